import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import Dropout


def test_dropout_rate_is_the_drop_probability_and_keeps_the_mean():
  x = jnp.ones((200, 500))
  y, _ = Dropout(0.3).apply({}, {}, x, key=jax.random.key(0), train=True)
  dropped = float(jnp.mean(y == 0))
  assert abs(dropped - 0.3) < 0.01
  np.testing.assert_allclose(y[y != 0], 1 / 0.7, rtol=1e-6)
  assert abs(float(y.mean()) - 1.0) < 0.02


def test_dropout_inference_is_identity_and_needs_no_key():
  x = jax.random.normal(jax.random.key(0), (4, 5))
  y, _ = Dropout(0.9).apply({}, {}, x)
  assert y is x


def test_dropout_is_deterministic_for_a_key_and_differs_across_keys():
  x = jnp.ones((8, 64))
  a, _ = Dropout(0.5).apply({}, {}, x, key=jax.random.key(1), train=True)
  b, _ = Dropout(0.5).apply({}, {}, x, key=jax.random.key(1), train=True)
  c, _ = Dropout(0.5).apply({}, {}, x, key=jax.random.key(2), train=True)
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)


def test_dropout_without_key_in_training_raises():
  with pytest.raises(ValueError, match=r"Dropout\(rate=0.5\) needs key= when train=True"):
    Dropout(0.5).apply({}, {}, jnp.ones((2, 3)), train=True)
