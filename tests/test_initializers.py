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


def test_truncated_normal_draws_stay_within_two_standard_deviations():
  w = init.lecun_normal(KEY, (256, 64))
  assert float(jnp.abs(w).max()) <= 2 / 0.87962566103423978 * np.sqrt(1 / 256) * (1 + 1e-6)


def test_weights_of_many_shapes_share_one_compiled_sampler_per_length_class():
  # The reason fnn draws through _unit_draw: XLA compiles a sampler per weight shape
  # otherwise (0.2-0.5 s each on a CPU). Nine shapes of 1024 values or fewer: one class.
  shapes = [(3, 3, c, f) for c in (1, 2, 4) for f in (5, 7, 9)]
  before = init._unit_draw._cache_size()
  weights = [init.he_normal(KEY, s) for s in shapes]
  assert init._unit_draw._cache_size() - before <= 1
  assert [w.shape for w in weights] == shapes


def test_complex_dtypes_and_out_sharding_fall_back_to_jax_initializers():
  w = init.glorot_normal(KEY, (8, 4), jnp.complex64)
  assert w.dtype == jnp.complex64
  sharding = jax.sharding.NamedSharding(
    jax.make_mesh((1,), ("x",), devices=jax.devices()[:1]), jax.sharding.PartitionSpec()
  )
  np.testing.assert_array_equal(
    init.lecun_normal(KEY, (8, 4), out_sharding=sharding),
    jax.nn.initializers.lecun_normal()(KEY, (8, 4), out_sharding=sharding),
  )


def test_weights_past_the_power_of_two_classes_have_the_right_variance():
  w = init.lecun_normal(KEY, (2048, 2049))  # 4.2M values: drawn in steps of 2^20
  assert w.shape == (2048, 2049)
  assert abs(float(jnp.var(w)) * 2048 - 1) < 0.01
