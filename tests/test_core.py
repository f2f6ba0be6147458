import jax
import jax.numpy as jnp
import pytest

import fnn
from fnn.layers import Dense, Relu


def test_serial_error_names_the_path_and_both_shapes():
  model = fnn.named_serial(("fc1", Dense(8)), ("act", Relu()), ("fc2", Dense(3)))
  params, state, _ = model.init(jax.random.key(0), (1, 5))
  with pytest.raises(
    fnn.ShapeError,
    match=r"named_serial\[0\] 'fc1' Dense\(8\): expected x\[\.\.\., 5\], got shape \(4, 6\)",
  ):
    model.apply(params, state, jnp.ones((4, 6)))


def test_adding_a_layer_does_not_change_the_others_initialisation():
  a = fnn.serial(Dense(4), Relu(), Dense(3))
  b = fnn.serial(Dense(4), Relu(), Dense(3), Relu(), Dense(2))
  pa, _, _ = a.init(jax.random.key(0), (1, 5))
  pb, _, _ = b.init(jax.random.key(0), (1, 5))
  for i in (0, 2):
    assert jnp.array_equal(pa[i]["w"], pb[i]["w"])


def test_serial_gives_tuples_and_named_serial_gives_dicts_in_order():
  params, _state, shape = fnn.serial(Dense(4), Relu()).init(jax.random.key(0), (1, 3))
  assert isinstance(params, tuple)
  assert params[1] == {}
  assert shape == (1, 4)
  params, _, _ = fnn.named_serial(("b", Dense(4)), ("a", Dense(2))).init(jax.random.key(0), (1, 3))
  assert list(params) == ["b", "a"]
  assert params["a"]["w"].shape == (4, 2)


def test_named_serial_apply_works_on_a_reordered_params_dict():
  model = fnn.named_serial(("z", Dense(4)), ("a", Dense(2)))
  params, state, _ = model.init(jax.random.key(0), (1, 3))
  x = jnp.ones((2, 3))
  shuffled = {"a": params["a"], "z": params["z"]}  # e.g. after a sorted-keys checkpoint
  assert jnp.array_equal(model.apply(params, state, x)[0], model.apply(shuffled, state, x)[0])


def test_residual_adds_the_input():
  layer = fnn.residual(Dense(3))
  params, state, _ = layer.init(jax.random.key(0), (1, 3))
  x = jnp.arange(6.0).reshape(2, 3)
  y, _ = layer.apply(params, state, x)
  assert jnp.allclose(y, x + x @ params["main"][0]["w"] + params["main"][0]["b"])


def test_child_keys_are_fold_ins_so_dropout_masks_differ_between_children():
  from fnn.layers import Dropout

  model = fnn.serial(Dropout(0.5), Dropout(0.5))
  x = jnp.ones((1, 100))
  y, _ = model.apply(model.init(None, (1, 100))[0], ((), ()), x, key=jax.random.key(0), train=True)
  first, _ = Dropout(0.5).apply({}, {}, x, key=jax.random.fold_in(jax.random.key(0), 0), train=True)
  second, _ = Dropout(0.5).apply(
    {}, {}, first, key=jax.random.fold_in(jax.random.key(0), 1), train=True
  )
  assert jnp.array_equal(y, second)


def test_output_shape_without_allocating():
  assert fnn.output_shape(fnn.models.lenet5(), (7, 28, 28, 1)) == (7, 10)


def test_layers_are_hashable_with_a_frozen_geometry():
  from fnn.core import Geometry
  from fnn.layers import AvgPool, Conv, MaxPool

  conv = Conv(8, (3, 3))
  assert hash(conv) == hash(conv)
  assert {conv: 1}[conv] == 1
  assert isinstance(conv.geometry, Geometry)
  assert conv.geometry.kernel == (3, 3)
  for layer in (
    MaxPool((2, 2)),
    AvgPool(3, stride=1, padding="SAME"),
    Conv(4, 3, padding=((1, 2),)),
    fnn.serial(conv, MaxPool(2)),
  ):
    hash(layer)
  # two separately built layers are different cache keys, as their closures differ
  assert Conv(8, (3, 3)) != conv
