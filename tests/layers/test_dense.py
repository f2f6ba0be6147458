import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from fnn.layers import Dense


def test_dense_matches_flax_linen_dense(assert_close):
  layer = Dense(7)
  params, state, out_shape = layer.init(jax.random.key(0), (1, 5))
  x = jax.random.normal(jax.random.key(1), (4, 3, 5))
  y, _ = layer.apply(params, state, x)
  ref = nn.Dense(7).apply({"params": {"kernel": params["w"], "bias": params["b"]}}, x)
  assert_close(y, ref)
  assert out_shape == (1, 7)


def test_dense_layout_is_in_by_out():
  params, _, _ = Dense(3).init(jax.random.key(0), (2, 8))
  assert params["w"].shape == (8, 3)
  assert params["b"].shape == (3,)
  np.testing.assert_array_equal(params["b"], 0.0)


def test_dense_default_init_is_lecun_normal_scale():
  params, _, _ = Dense(256).init(jax.random.key(0), (1, 400))
  # lecun_normal: variance 1 / fan_in (truncated normal rescaled to that variance)
  assert abs(float(jnp.var(params["w"])) * 400 - 1.0) < 0.05
