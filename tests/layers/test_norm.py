import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import BatchNorm, LayerNorm


def _flax_params(params):
  """Fnn's norm offset ``b`` is flax's ``bias``."""
  return {"scale": params["scale"], "bias": params["b"]}


@pytest.fixture(scope="module")
def batch():
  return jax.random.normal(jax.random.key(0), (6, 4, 4, 3)) * 2.0 + 1.0


def test_batch_norm_train_matches_flax_linen_and_updates_running_stats(batch):
  layer = BatchNorm(momentum=0.9, epsilon=1e-5)
  params, state, _ = layer.init(jax.random.key(0), batch.shape)
  params = {"scale": jnp.array([1.0, 2.0, 0.5]), "b": jnp.array([0.0, -1.0, 3.0])}
  y, new_state = layer.apply(params, state, batch, train=True)
  ref, updated = nn.BatchNorm(use_running_average=False, momentum=0.9, epsilon=1e-5).apply(
    {"params": _flax_params(params), "batch_stats": state}, batch, mutable=["batch_stats"]
  )
  np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
  for k in ("mean", "var"):
    np.testing.assert_allclose(new_state[k], updated["batch_stats"][k], rtol=1e-5, atol=1e-6)


def test_batch_norm_eval_uses_running_stats_and_keeps_state(batch):
  layer = BatchNorm()
  params, _, _ = layer.init(jax.random.key(0), batch.shape)
  state = {"mean": jnp.array([1.0, 0.0, -1.0]), "var": jnp.array([4.0, 1.0, 0.25])}
  y, new_state = layer.apply(params, state, batch, train=False)
  ref = nn.BatchNorm(use_running_average=True, epsilon=1e-5).apply(
    {"params": _flax_params(params), "batch_stats": state}, batch
  )
  np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
  assert new_state is state


def test_layer_norm_matches_flax_linen(batch):
  layer = LayerNorm(epsilon=1e-5)
  params, state, _ = layer.init(jax.random.key(0), batch.shape)
  params = {"scale": jnp.array([1.0, 2.0, 0.5]), "b": jnp.array([0.0, -1.0, 3.0])}
  y, _ = layer.apply(params, state, batch)
  ref = nn.LayerNorm(epsilon=1e-5).apply({"params": _flax_params(params)}, batch)
  np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_frozen_batch_norm_trains_in_eval_mode_and_keeps_its_statistics(batch):
  frozen, plain = BatchNorm(frozen=True), BatchNorm()
  params, _, _ = frozen.init(jax.random.key(0), batch.shape)
  state = {"mean": jnp.array([1.0, 0.0, -1.0]), "var": jnp.array([4.0, 1.0, 0.25])}
  y, new_state = frozen.apply(params, state, batch, train=True)
  ref = nn.BatchNorm(use_running_average=True, epsilon=1e-5).apply(
    {"params": _flax_params(params), "batch_stats": state}, batch
  )
  np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
  assert new_state is state
  # the unfrozen layer, given the same call, would have moved the statistics
  moved = plain.apply(params, state, batch, train=True)[1]
  assert not np.allclose(moved["mean"], state["mean"])
  # a batch of one is fine: no batch statistics are computed
  frozen.apply(params, state, batch[:1, :1, :1], train=True)
  assert repr(frozen) == "BatchNorm(frozen=True)"


def test_frozen_batch_norm_inside_a_model_fit_leaves_the_state_unchanged():
  import optax

  import fnn

  model = fnn.serial(fnn.layers.Dense(3), BatchNorm(frozen=True), fnn.layers.Dense(2))
  x = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
  y = (x[:, 0] > 0).astype(np.int32)
  params, state, _ = model.init(jax.random.key(0), (1, 4))
  state = (state[0], {"mean": jnp.full(3, 0.5), "var": jnp.full(3, 2.0)}, state[2])
  ts = fnn.train.init_train_state(
    jax.random.key(0), model, optax.sgd(0.1), (1, 4), params=params, state=state
  )
  result = fnn.train.fit(
    model,
    fnn.losses.softmax_cross_entropy,
    optax.sgd(0.1),
    x,
    y,
    train_state=ts,
    epochs=2,
    batch_size=4,
    progress=False,
  )
  for k in ("mean", "var"):
    np.testing.assert_array_equal(result.state.state[1][k], state[1][k])
  assert not np.allclose(result.state.params[0]["w"], params[0]["w"])  # the rest trained


def test_batch_norm_frozen_must_be_a_bool():
  with pytest.raises(TypeError, match=r"BatchNorm: frozen must be a bool, got 'yes'"):
    BatchNorm(frozen="yes")
