"""The same checks for every layer.

Every layer, listed once, gets the same checks (as stax_test's _CheckShapeAgreement and
haiku's integration harness): the shape init reports equals jax.eval_shape of apply;
jit == eager; vmap over a stack of parameters (an ensemble) equals a loop; and a
finite-difference gradient check in float64. A layer added to LAYERS gets all of them.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import fnn
from fnn import layers as L
from fnn import models
from fnn.data.augment import Augment, random_shift
from fnn.energy.hopfield import Hopfield

# name -> (layer, input shape(s), input dtype, apply kwargs)
LAYERS = {
  "Dense": (L.Dense(3), (2, 5), "float32", {}),
  "Dense_rank3": (L.Dense(3, use_bias=False), (2, 4, 5), "float32", {}),
  "Conv2d": (L.Conv(4, (3, 3)), (2, 6, 6, 3), "float32", {}),
  "Conv1d_strided_valid": (L.Conv(3, 3, stride=2, padding="VALID"), (2, 9, 2), "float32", {}),
  "Conv3d": (L.Conv(2, (2, 2, 2), padding=1), (1, 3, 4, 4, 2), "float32", {}),
  "Conv2d_groups_dilation": (L.Conv(4, (3, 3), groups=2, dilation=2), (2, 7, 7, 4), "float32", {}),
  "ConvTranspose2d": (L.ConvTranspose(3, (3, 3), stride=2), (2, 4, 4, 2), "float32", {}),
  "ConvTranspose1d_valid": (L.ConvTranspose(2, 3, padding="VALID"), (2, 5, 3), "float32", {}),
  "MaxPool_tiled": (L.MaxPool((2, 2)), (2, 6, 7, 3), "float32", {}),
  "MaxPool_overlapping_same": (L.MaxPool(3, stride=2, padding="SAME"), (2, 7, 7, 2), "float32", {}),
  "AvgPool_tiled": (L.AvgPool(2), (2, 8, 3), "float32", {}),
  "AvgPool_overlapping": (L.AvgPool((3, 3), stride=1, padding="SAME"), (2, 5, 5, 2), "float32", {}),
  "GlobalAvgPool": (L.GlobalAvgPool(), (2, 4, 4, 3), "float32", {}),
  "Flatten": (L.Flatten(), (2, 3, 4, 2), "float32", {}),
  "Reshape": (L.Reshape((-1, 2)), (2, 3, 4), "float32", {}),
  "BatchNorm_eval": (L.BatchNorm(), (4, 3, 3, 2), "float32", {}),
  "BatchNorm_train": (L.BatchNorm(), (4, 3), "float32", {"train": True}),
  "LayerNorm": (L.LayerNorm(), (3, 4, 5), "float32", {}),
  "Dropout_train": (L.Dropout(0.5), (4, 6), "float32", {"train": True, "key": True}),
  "Dropout_eval": (L.Dropout(0.5), (4, 6), "float32", {}),
  "Embedding": (L.Embedding(7, 4), (3, 5), "int32", {}),
  "Identity": (L.Identity(), (3, 4), "float32", {}),
  "Step": (L.Step(), (3, 4), "float32", {}),
  "Sigmoid": (L.Sigmoid(), (3, 4), "float32", {}),
  "Tanh": (L.Tanh(), (3, 4), "float32", {}),
  "Relu": (L.Relu(), (3, 4), "float32", {}),
  "LeakyRelu": (L.LeakyRelu(0.1), (3, 4), "float32", {}),
  "Elu": (L.Elu(), (3, 4), "float32", {}),
  "Gelu": (L.Gelu(), (3, 4), "float32", {}),
  "Softplus": (L.Softplus(), (3, 4), "float32", {}),
  "Softmax": (L.Softmax(), (3, 4), "float32", {}),
  "LogSoftmax": (L.LogSoftmax(), (3, 4), "float32", {}),
  "serial": (
    fnn.serial(L.Dense(4), L.Tanh(), L.Dropout(0.3), L.Dense(2)),
    (3, 5),
    "float32",
    {"train": True, "key": True},
  ),
  "named_serial": (
    fnn.named_serial(("fc", L.Dense(4)), ("bn", L.BatchNorm()), ("act", L.Relu())),
    (3, 5),
    "float32",
    {"train": True},
  ),
  "residual": (fnn.residual(L.Dense(5), L.Tanh()), (3, 5), "float32", {}),
  "residual_projection": (
    fnn.residual(L.Dense(4), shortcut=L.Dense(4, use_bias=False)),
    (3, 5),
    "float32",
    {},
  ),
  "fanout_parallel": (
    fnn.serial(fnn.fanout(2), fnn.parallel(L.Dense(2), L.Relu())),
    (3, 4),
    "float32",
    {},
  ),
  "RNN_LSTM": (L.RNN(L.LSTMCell(3)), (2, 5, 2), "float32", {}),
  "RNN_GRU_last_reverse": (
    L.RNN(L.GRUCell(3), return_sequences=False, reverse=True),
    (2, 5, 2),
    "float32",
    {},
  ),
  "RNN_SimpleRNN": (L.RNN(L.SimpleRNNCell(3)), (2, 5, 2), "float32", {}),
  "Bidirectional_LSTM": (L.Bidirectional(L.LSTMCell(2)), (2, 5, 2), "float32", {}),
  "Hopfield_stored_patterns": (Hopfield(3, steps=2), (2, 4), "float32", {}),
  "Hopfield_inputs_projected": (Hopfield(source="inputs", features=3), (2, 5, 4), "float32", {}),
  "Augment_shift_train": (
    Augment(random_shift),
    (2, 6, 6, 1),
    "float32",
    {"train": True, "key": True},
  ),
  "mlp": (models.mlp(6, [5, 4], 3), (2, 6), "float32", {}),
  "lenet5": (models.lenet5(), (2, 28, 28, 1), "float32", {}),
  "vgg_block": (models.vgg_block(4, batch_norm=True), (2, 6, 6, 3), "float32", {"train": True}),
  "basic_block_projection": (
    models.basic_block(4, stride=2),
    (2, 6, 6, 3),
    "float32",
    {"train": True},
  ),
  "resnet": (
    models.resnet(5, stage_features=(4, 8), blocks_per_stage=1),
    (2, 8, 8, 3),
    "float32",
    {"train": True},
  ),
  "LocalResponseNorm": (L.LocalResponseNorm(3, alpha=0.5, k=2.0), (2, 3, 3, 5), "float32", {}),
  "inception_block": (
    models.inception_block(2, 2, 3, 1, 2, 2),
    (2, 5, 5, 3),
    "float32",
    {"train": True},
  ),
  "alexnet_small_lrn": (
    models.alexnet(3, lrn=True, small=True, width=1 / 32),
    (2, 32, 32, 3),
    "float32",
    {},
  ),
  "vgg11_small_bn": (
    models.vgg(11, 3, batch_norm=True, small=True, width=1 / 32),
    (2, 32, 32, 3),
    "float32",
    {"train": True},
  ),
  # Deep nets in eval mode: in training, BatchNorm over the 2 values per channel left at
  # 1x1 is too ill-conditioned for the float32 jit == eager and gradient checks.
  "googlenet_small": (models.googlenet(3, small=True, width=1 / 32), (2, 8, 8, 3), "float32", {}),
  "resnet18_small": (models.resnet18(3, small=True, width=1 / 16), (2, 8, 8, 3), "float32", {}),
}
# Whole zoo models: each distinct parameter shape costs an eager initializer compile.
SLOW = {"alexnet_small_lrn", "vgg11_small_bn", "googlenet_small", "resnet18_small"}
# At init a conv over an all-zero (ReLU'd) patch gives exactly 0, which the zero bias of
# the BatchNorm after it keeps at 0, right on the next ReLU's kink (or a max-pool tie):
# finite differences mean nothing there. Their layers are gradient-checked one by one.
NO_GRADCHECK = {"googlenet_small", "resnet18_small"}


def _input(shape, dtype, seed=0):
  rng = np.random.default_rng(seed)
  if dtype == "int32":
    return jnp.asarray(rng.integers(0, 7, shape), jnp.int32)
  return jnp.asarray(rng.normal(size=shape), jnp.float32)


@pytest.fixture(
  scope="module",
  params=[pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(LAYERS)],
)
def case(request):
  layer, shape, dtype, kwargs = LAYERS[request.param]
  params, state, out_shape = layer.init(jax.random.key(1), shape)
  x = _input(shape, dtype)
  kwargs = dict(kwargs)
  if kwargs.get("key"):
    kwargs["key"] = jax.random.key(2)
  return request.param, layer, params, state, out_shape, x, kwargs


def _outputs(tree):
  return jax.tree.leaves(tree)


def test_init_shape_equals_eval_shape_of_apply(case):
  _name, layer, params, state, out_shape, x, kwargs = case

  def shapes(x):
    y = jax.eval_shape(lambda p, s, x: layer.apply(p, s, x, **kwargs)[0], params, state, x)
    return [a.shape for a in jax.tree.leaves(y)]

  expected = list(out_shape) if isinstance(out_shape[0], tuple) else [tuple(out_shape)]
  assert shapes(x) == expected
  # the batch axis of init's shape is a placeholder: another batch size works too
  bigger = shapes(jnp.concatenate([x, x[:1]]))
  assert bigger == [(s[0] + 1,) + s[1:] for s in expected]


def test_layer_is_hashable(case):
  name, layer, *_ = case
  assert hash(layer) == hash(layer)
  assert {layer: name}[layer] == name


def test_jit_equals_eager(case, assert_close):
  _name, layer, params, state, _, x, kwargs = case
  eager = layer.apply(params, state, x, **kwargs)
  jitted = jax.jit(lambda p, s, x, key: layer.apply(p, s, x, **{**kwargs, "key": key}))(
    params, state, x, kwargs.get("key")
  )
  for a, b in zip(_outputs(eager), _outputs(jitted), strict=True):
    assert_close(a, b)


def test_vmap_over_stacked_params_equals_loop(case, assert_close):
  _name, layer, _, _, _, x, kwargs = case
  keys = jax.random.split(jax.random.key(3), 3)
  params, state = fnn.init_params(keys, layer, x.shape)
  # Jitted, so that a big model compiles once rather than primitive by primitive.
  apply = jax.jit(lambda p, s: layer.apply(p, s, x, **kwargs))
  stacked = jax.jit(jax.vmap(apply, axis_size=3))(params, state)
  for i in range(3):
    p_i, s_i = jax.tree.map(lambda a, i=i: a[i], (params, state))
    # init_params is the same init as one call with that key
    p_ref, _s_ref, _ = layer.init(keys[i], x.shape)
    for a, b in zip(jax.tree.leaves(p_i), jax.tree.leaves(p_ref), strict=True):
      assert_close(a, b, reordered=True)  # a batched QR (orthogonal init) on GPU
    single = apply(p_i, s_i)
    for a, b in zip(
      _outputs(single), _outputs(jax.tree.map(lambda a, i=i: a[i], stacked)), strict=True
    ):
      assert_close(a, b)  # the batched kernels' order, carried through the layers


def test_gradient_matches_finite_differences(case):
  name, layer, params, state, _, x, kwargs = case
  if name in NO_GRADCHECK:
    pytest.skip("ReLU kinks at init (see NO_GRADCHECK)")
  floating = jnp.issubdtype(x.dtype, jnp.floating)
  weights = jax.tree.map(
    lambda s: jnp.asarray(np.random.default_rng(4).normal(size=s.shape)),
    jax.eval_shape(lambda: layer.apply(params, state, x, **kwargs)[0]),
  )

  def f(tree):
    y, _ = layer.apply(tree["params"], state, tree["x"] if floating else x, **kwargs)
    return sum(
      jnp.sum(a * w) for a, w in zip(jax.tree.leaves(y), jax.tree.leaves(weights), strict=True)
    )

  tree = {"params": params, "x": x if floating else jnp.zeros(())}
  result = fnn.gradcheck(f, tree, max_elements_per_leaf=6, floor=1e-5)
  assert result.max_rel_error < 1e-4, result


# ---------------------------------------------------------------------------
# Bad arguments every layer must refuse with its own message (issue 13).


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_init_with_an_int_key_raises_a_type_error(name):
  layer, shape, _, _ = LAYERS[name]
  with pytest.raises(
    TypeError,
    match=r"expected a PRNG key such as jax.random.key\(0\), "
    r"got int 0",
  ):
    layer.init(0, shape)


def test_train_that_is_not_a_bool_raises_a_type_error(case):
  _name, layer, params, state, _, x, kwargs = case
  with pytest.raises(TypeError, match=r"train must be a Python bool, got str 'yes'"):
    layer.apply(params, state, x, **{**kwargs, "train": "yes"})


def _grown(params):
  """``params`` with one element added to the last axis of its last non-scalar leaf."""
  leaves, treedef = jax.tree.flatten(params)
  i = max(j for j, leaf in enumerate(leaves) if leaf.ndim)
  leaves[i] = jnp.concatenate([leaves[i], leaves[i][..., :1]], axis=-1)
  return jax.tree.unflatten(treedef, leaves)


def test_params_of_another_shape_raise_a_shape_error_at_trace_time(case):
  _name, layer, params, state, _, x, kwargs = case
  if not jax.tree.leaves(params):
    pytest.skip("no params")
  with pytest.raises(fnn.ShapeError, match=r"has shape|expected x\[\.\.\., \d+\]"):
    jax.eval_shape(lambda p: layer.apply(p, state, x, **kwargs), _grown(params))


def test_mixed_precision_computes_in_bfloat16_under_jit_grad_and_vmap(case, assert_close):
  """fnn.mixed_precision agrees with float32 for every layer.

  fnn.mixed_precision(layer): float32 output within bfloat16 rounding of the float32
  layer, float32 gradients, state dtypes kept, and it vmaps over stacked params.
  """
  _name, layer, params, state, _, x, kwargs = case
  mixed = fnn.mixed_precision(layer)

  def run(m):
    return jax.jit(lambda p, s, x, key: m.apply(p, s, x, **{**kwargs, "key": key}))(
      params, state, x, kwargs.get("key")
    )

  (want, _), (got, new_state) = run(layer), run(mixed)
  assert {a.dtype for a in jax.tree.leaves(got)} == {jnp.dtype(jnp.float32)}
  assert_close(got, want, dtype=jnp.bfloat16)
  assert jax.tree.map(lambda a: a.dtype, new_state) == jax.tree.map(lambda a: a.dtype, state)
  # Jitted, so that a big model compiles once rather than primitive by primitive.
  grads = jax.jit(
    jax.grad(
      lambda p: sum(jnp.sum(y) for y in jax.tree.leaves(mixed.apply(p, state, x, **kwargs)[0]))
    )
  )(params)
  assert jax.tree.map(lambda a: a.dtype, grads) == jax.tree.map(lambda a: a.dtype, params)
  stacked = jax.tree.map(lambda a: jnp.stack([a, a]), params)
  both, _ = jax.jit(jax.vmap(lambda p: mixed.apply(p, state, x, **kwargs), axis_size=2))(stacked)
  assert_close(jax.tree.map(lambda a: a[1], both), got, dtype=jnp.bfloat16)
