import jax.numpy as jnp
import numpy as np

from fnn.layers import Flatten, Reshape


def test_flatten_matches_numpy_reshape_row_major():
  x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
  y, _ = Flatten().apply({}, {}, jnp.asarray(x))
  np.testing.assert_array_equal(y, x.reshape(2, 12))


def test_reshape_resolves_minus_one_per_example():
  x = np.arange(24, dtype=np.float32).reshape(2, 12)
  layer = Reshape((-1, 2))
  assert layer.init(None, (5, 12))[2] == (5, 6, 2)
  y, _ = layer.apply({}, {}, jnp.asarray(x))
  np.testing.assert_array_equal(y, x.reshape(2, 6, 2))
