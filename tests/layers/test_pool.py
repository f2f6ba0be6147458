import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import AvgPool, GlobalAvgPool, MaxPool


@pytest.mark.parametrize(
  ("window", "stride", "padding", "shape"),
  [
    ((2, 2), None, "VALID", (2, 6, 8, 3)),  # tiles: the reshape path
    ((2, 2), None, "VALID", (2, 7, 9, 3)),  # tiles after cropping the remainder
    ((3, 3), (2, 2), "VALID", (2, 7, 7, 2)),  # overlapping windows
    ((3, 3), (2, 2), "SAME", (2, 7, 6, 2)),
    ((2,), None, "VALID", (2, 9, 4)),
  ],
)
def test_pools_match_flax_linen(window, stride, padding, shape, assert_close):
  x = jax.random.normal(jax.random.key(0), shape)
  strides = stride or window
  y_max, _ = MaxPool(window, stride, padding).apply({}, {}, x)
  np.testing.assert_allclose(y_max, nn.max_pool(x, window, strides, padding), rtol=1e-6)
  y_avg, _ = AvgPool(window, stride, padding).apply({}, {}, x)
  assert_close(y_avg, nn.avg_pool(x, window, strides, padding))


def test_tiled_max_pool_gradient_equals_reduce_window_gradient():
  x = jax.random.normal(jax.random.key(0), (2, 6, 6, 3))
  fast = jax.grad(lambda x: jnp.sum(MaxPool((2, 2)).apply({}, {}, x)[0] ** 2))(x)
  ref = jax.grad(lambda x: jnp.sum(nn.max_pool(x, (2, 2), (2, 2)) ** 2))(x)
  np.testing.assert_allclose(fast, ref, rtol=1e-6)


def test_global_avg_pool_is_the_spatial_mean():
  x = np.random.default_rng(0).normal(size=(2, 3, 4, 5)).astype(np.float32)
  y, _ = GlobalAvgPool().apply({}, {}, jnp.asarray(x))
  np.testing.assert_allclose(y, x.mean(axis=(1, 2)), rtol=1e-6)
