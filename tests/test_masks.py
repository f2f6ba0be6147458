import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import fnn
from fnn import masks
from fnn.layers import RNN, BatchNorm, Conv, Dense, Embedding, Flatten, LSTMCell


def test_decay_mask_selects_every_leaf_with_two_or_more_axes():
  model = fnn.serial(Conv(2, 3), BatchNorm(), Flatten(), Dense(3))
  params, _, _ = model.init(jax.random.key(0), (1, 4, 4, 1))
  mask = masks.decay_mask(params)
  assert mask[0] == {"w": True, "b": False}
  assert all(v is False for v in mask[1].values())  # BatchNorm's scale and offset
  assert mask[3] == {"w": True, "b": False}
  lstm = RNN(LSTMCell(3)).init(jax.random.key(0), (1, 2, 4))[0]
  assert masks.decay_mask(lstm) == {"w_i": True, "w_h": True, "b": False}
  emb = Embedding(5, 2).init(jax.random.key(0), (1, 3))[0]
  assert masks.decay_mask(emb) == {"embedding": True}


def test_adamw_with_the_decay_mask_leaves_biases_undecayed():
  params = {"w": jnp.ones((2, 2)), "b": jnp.ones((2,))}
  opt = optax.adamw(0.1, weight_decay=0.5, mask=masks.decay_mask)
  zero = jax.tree.map(jnp.zeros_like, params)
  updates, _ = opt.update(zero, opt.init(params), params)
  np.testing.assert_allclose(updates["w"], -0.1 * 0.5 * params["w"])
  np.testing.assert_array_equal(updates["b"], 0.0)


def _frozen_fit(selectors, model=None):
  model = model or fnn.models.mlp(4, [8, 8], 3)
  opt = optax.multi_transform(
    {"trainable": optax.adam(1e-2), "frozen": optax.set_to_zero()}, masks.freeze(*selectors)
  )
  rng = np.random.default_rng(0)
  x = rng.normal(size=(32, 4)).astype(np.float32)
  y = (x[:, 0] > 0).astype(np.int32)
  ts = fnn.train.init_train_state(jax.random.key(0), model, opt, (1, 4))
  result = fnn.train.fit(
    model,
    fnn.losses.softmax_cross_entropy,
    opt,
    x,
    y,
    train_state=ts,
    epochs=2,
    batch_size=8,
    progress=False,
  )
  return ts.params, result.state.params


def test_freeze_by_layer_name_keeps_those_layers_and_trains_the_rest():
  before, after = _frozen_fit(["fc1", "fc2"])
  for name in ("fc1", "fc2"):
    for k in ("w", "b"):
      np.testing.assert_array_equal(after[name][k], before[name][k])
  assert not np.allclose(after["out"]["w"], before["out"]["w"])


def test_freeze_by_path_and_serial_index():
  model = fnn.named_serial(("encoder", fnn.serial(Dense(8), Dense(8))), ("head", Dense(3)))
  params = model.init(jax.random.key(0), (1, 4))[0]
  labels = masks.freeze("encoder/0")(params)
  assert labels["encoder"][0] == {"w": "frozen", "b": "frozen"}
  assert labels["encoder"][1] == {"w": "trainable", "b": "trainable"}
  assert masks.freeze(("encoder", 1), "b")(params)["head"] == {"w": "trainable", "b": "frozen"}


def test_freeze_a_name_that_matches_nothing_raises_listing_the_keys():
  params = fnn.models.mlp(4, [8], 3).init(jax.random.key(0), (1, 4))[0]
  with pytest.raises(
    ValueError,
    match=r"masks.freeze: 'fc_1' names no parameter; the params' "
    r"top-level keys are \['fc1', 'out'\]",
  ):
    masks.freeze("fc_1")(params)
  with pytest.raises(TypeError, match=r"masks.freeze: a selector is a layer name"):
    masks.freeze(3.5)
  with pytest.raises(ValueError, match=r"masks.freeze: name at least one layer"):
    masks.freeze()


def test_fine_tuning_with_frozen_layers_and_a_frozen_batch_norm():
  """The fine-tuning recipe: frozen features (weights and BatchNorm statistics)."""
  model = fnn.named_serial(("fc", Dense(8)), ("bn", BatchNorm(frozen=True)), ("out", Dense(3)))
  before, after = _frozen_fit(["fc", "bn"], model)
  for name in ("fc", "bn"):
    jax.tree.map(np.testing.assert_array_equal, after[name], before[name])
  assert not np.allclose(after["out"]["w"], before["out"]["w"])
