import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import BatchNorm, LayerNorm


def _flax_params(params):
  """fnn's norm offset ``b`` is flax's ``bias``."""
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
      {"params": _flax_params(params), "batch_stats": state}, batch, mutable=["batch_stats"])
  np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
  for k in ("mean", "var"):
    np.testing.assert_allclose(new_state[k], updated["batch_stats"][k], rtol=1e-5, atol=1e-6)


def test_batch_norm_eval_uses_running_stats_and_keeps_state(batch):
  layer = BatchNorm()
  params, _, _ = layer.init(jax.random.key(0), batch.shape)
  state = {"mean": jnp.array([1.0, 0.0, -1.0]), "var": jnp.array([4.0, 1.0, 0.25])}
  y, new_state = layer.apply(params, state, batch, train=False)
  ref = nn.BatchNorm(use_running_average=True, epsilon=1e-5).apply(
      {"params": _flax_params(params), "batch_stats": state}, batch)
  np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
  assert new_state is state


def test_layer_norm_matches_flax_linen(batch):
  layer = LayerNorm(epsilon=1e-5)
  params, state, _ = layer.init(jax.random.key(0), batch.shape)
  params = {"scale": jnp.array([1.0, 2.0, 0.5]), "b": jnp.array([0.0, -1.0, 3.0])}
  y, _ = layer.apply(params, state, batch)
  ref = nn.LayerNorm(epsilon=1e-5).apply({"params": _flax_params(params)}, batch)
  np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
