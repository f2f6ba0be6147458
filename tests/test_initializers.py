import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import initializers as init

KEY = jax.random.key(0)
SHAPE = (3, 3, 64, 128)  # a conv kernel: fan_in = 3·3·64, fan_out = 3·3·128
FAN_IN, FAN_OUT = 9 * 64, 9 * 128


@pytest.mark.parametrize(
  ("fn", "variance"),
  [
    (init.glorot_normal, 2 / (FAN_IN + FAN_OUT)),
    (init.glorot_uniform, 2 / (FAN_IN + FAN_OUT)),
    (init.he_normal, 2 / FAN_IN),
    (init.he_uniform, 2 / FAN_IN),
    (init.lecun_normal, 1 / FAN_IN),
    (init.lecun_uniform, 1 / FAN_IN),
    (init.normal(0.05), 0.05**2),
  ],
)
def test_initializer_variance_follows_fan_in_and_fan_out_of_hwio_kernels(fn, variance):
  w = fn(KEY, SHAPE, jnp.float32)
  assert abs(float(jnp.var(w)) / variance - 1) < 0.03
  assert abs(float(jnp.mean(w))) < 0.1 * np.sqrt(variance)


def test_uniform_bounds_and_aliases():
  w = init.glorot_uniform(KEY, (100, 50))
  assert float(jnp.abs(w).max()) <= np.sqrt(6 / 150)
  assert init.xavier_uniform is init.glorot_uniform
  assert init.kaiming_normal is init.he_normal
  u = init.uniform(0.5)(KEY, (1000,))
  assert float(u.min()) >= 0
  assert float(u.max()) < 0.5


def test_orthogonal_gives_orthonormal_columns_and_constants_are_constant(assert_close):
  q = np.asarray(init.orthogonal()(KEY, (64, 32)), np.float64)  # checked in float64 numpy
  assert_close(q.T @ q, np.eye(32), dtype=np.float32)
  np.testing.assert_array_equal(init.zeros(KEY, (3,)), 0.0)
  np.testing.assert_array_equal(init.ones(KEY, (3,)), 1.0)
