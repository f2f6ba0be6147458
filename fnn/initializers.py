"""Parameter initializers: functions ``(key, shape, dtype=jnp.float32) -> array``.

The random ones have jax.nn.initializers' signatures and distributions, so an
initializer from either place can be handed to any fnn layer. Fan-in and fan-out
follow the layer layouts: the last axis is the output, the one before it the input,
and the leading (kernel) axes multiply both — right for Dense ``(in, out)`` and for
Conv kernels ``(*kernel, in // groups, out)``.

| name | distribution |
| --- | --- |
| ``glorot_normal`` / ``xavier_normal`` | truncated normal, variance 2 / (fan_in + fan_out) |
| ``glorot_uniform`` / ``xavier_uniform`` | U(-a, a), a = sqrt(6 / (fan_in + fan_out)) |
| ``he_normal`` / ``kaiming_normal`` | truncated normal, variance 2 / fan_in (for ReLU) |
| ``he_uniform`` / ``kaiming_uniform`` | U(-a, a), a = sqrt(6 / fan_in) |
| ``lecun_normal`` | truncated normal, variance 1 / fan_in (the Dense/Conv default) |
| ``lecun_uniform`` | U(-a, a), a = sqrt(3 / fan_in) |
| ``normal(stddev)`` | N(0, stddev²) |
| ``uniform(scale)`` | U(0, scale), as jax.nn.initializers.uniform |
| ``zeros`` / ``ones`` | constants (the bias default is ``zeros``) |
| ``orthogonal(scale)`` | a (scaled) orthogonal matrix, for recurrent weights (jax's) |

**Why not jax.nn.initializers' own functions.** Those draw with the weight's shape, and
XLA compiles a random sampler (threefry, then the transform) once per shape: 0.2–0.5 s
each on a CPU. A GoogLeNet has 56 distinct weight shapes, so its eager ``init`` took 25 s,
nearly all of it compiling. Here every draw takes the first ``prod(shape)`` values of a
flat draw whose length is rounded up to a power of two (at least 1024; above 2^22 values,
to a multiple of 2^20), so one sampler per length class serves every model. The values
are independent draws from the same distribution as jax's, but not the same numbers for
the same key.
"""

import functools
import math
from collections.abc import Sequence
from typing import Any, Literal

import jax
import jax.nn.initializers as _jinit
import jax.numpy as jnp

Initializer = _jinit.Initializer

_Distribution = Literal["truncated_normal", "normal", "uniform"]
_Mode = Literal["fan_in", "fan_out", "fan_avg", "fan_geo_avg"]
# The standard deviation of N(0, 1) truncated to (-2, 2), as in jax.nn.initializers.
_TRUNCATED_STDDEV = 0.87962566103423978
_MIN_DRAW = 1024
_POWER_OF_TWO_UP_TO = 1 << 22
_BIG_DRAW_STEP = 1 << 20


@functools.partial(jax.jit, static_argnames=("distribution", "length", "dtype"))
def _unit_draw(key: jax.Array, distribution: str, length: int, dtype: jnp.dtype) -> jax.Array:
  """``length`` values with mean 0 and variance 1 (``"uniform01"``: U(0, 1))."""
  if distribution == "truncated_normal":
    return jax.random.truncated_normal(key, -2.0, 2.0, (length,), dtype) / _TRUNCATED_STDDEV
  if distribution == "normal":
    return jax.random.normal(key, (length,), dtype)
  if distribution == "uniform":
    return jax.random.uniform(key, (length,), dtype, -1.0, 1.0) * math.sqrt(3.0)
  return jax.random.uniform(key, (length,), dtype)


def _draw(
  key: jax.Array, distribution: str, shape: Sequence[int], dtype: jnp.dtype, scale: float
) -> jax.Array:
  shape = tuple(int(d) for d in shape)
  size = math.prod(shape)
  if size <= _POWER_OF_TWO_UP_TO:
    length = max(_MIN_DRAW, 1 << max(size - 1, 0).bit_length())
  else:  # big weights: a multiple of 2^20, so the spare draws stay under 25%
    length = -(-size // _BIG_DRAW_STEP) * _BIG_DRAW_STEP
  flat = _unit_draw(key, distribution, length, jnp.dtype(dtype))
  return _take(flat, jnp.asarray(scale, dtype), shape)


@functools.partial(jax.jit, static_argnames="shape")
def _take(flat: jax.Array, scale: jax.Array, shape: tuple[int, ...]) -> jax.Array:
  # One small compile per shape, where eager slice, multiply and reshape were three.
  return (flat[: math.prod(shape)] * scale).reshape(shape)


def _float_dtype(dtype: Any) -> jnp.dtype:
  """``dtype``, float32 when None (jax.nn.initializers' default)."""
  return jnp.dtype(jnp.float32 if dtype is None else dtype)


def _size(shape: Sequence[int], axis: int | Sequence[int]) -> int:
  return shape[axis] if isinstance(axis, int) else math.prod(shape[i] for i in axis)


def _fans(
  shape: Sequence[int],
  in_axis: int | Sequence[int],
  out_axis: int | Sequence[int],
  batch_axis: int | Sequence[int],
) -> tuple[float, float]:
  """As jax.nn.initializers: the kernel (receptive-field) axes multiply both fans."""
  if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
    raise ValueError(
      f"can't compute the fans of a {len(shape)}-dimensional weight with the default "
      "in_axis; it must be at least 2-D, or give in_axis"
    )
  in_size, out_size = _size(shape, in_axis), _size(shape, out_axis)
  receptive_field = math.prod(shape) / in_size / out_size / _size(shape, batch_axis)
  return in_size * receptive_field, out_size * receptive_field


def variance_scaling(
  scale: float,
  mode: _Mode,
  distribution: _Distribution,
  in_axis: int | Sequence[int] = -2,
  out_axis: int | Sequence[int] = -1,
  batch_axis: int | Sequence[int] = (),
  dtype: jnp.dtype | None = None,
) -> Initializer:
  """jax.nn.initializers.variance_scaling's distribution, drawn from a shared sampler.

  Samples have mean 0 and standard deviation ``sqrt(scale / n)``, ``n`` the fan chosen
  by ``mode`` (``"fan_avg"``: the mean of fan-in and fan-out; ``"fan_geo_avg"``: their
  geometric mean). ``"truncated_normal"`` truncates at two standard deviations before
  scaling; ``"uniform"`` is U(-a, a) with that standard deviation. Complex dtypes and
  an ``out_sharding`` are handed to jax's own initializer.

  Returns:
    ``init(key, shape, dtype=dtype) -> array`` of ``shape``.
  """
  if mode not in ("fan_in", "fan_out", "fan_avg", "fan_geo_avg"):
    raise ValueError(f"invalid mode for variance scaling initializer: {mode!r}")
  if distribution not in ("truncated_normal", "normal", "uniform"):
    raise ValueError(f"invalid distribution for variance scaling initializer: {distribution!r}")

  def init(
    key: jax.Array,
    shape: Sequence[int],
    dtype: Any = dtype,
    out_sharding: Any = None,
  ) -> jax.Array:
    dtype = _float_dtype(dtype)
    if out_sharding is not None or not jnp.issubdtype(dtype, jnp.floating):
      jax_init = _jinit.variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis)
      return jax_init(key, shape, dtype, out_sharding=out_sharding)
    fan_in, fan_out = _fans(shape, in_axis, out_axis, batch_axis)
    n = {
      "fan_in": fan_in,
      "fan_out": fan_out,
      "fan_avg": (fan_in + fan_out) / 2,
      "fan_geo_avg": (fan_in * fan_out) ** 0.5,
    }[mode]
    return _draw(key, distribution, shape, dtype, math.sqrt(scale / n))

  return init


def _scaled(distribution: str, scale: float, jax_init: Initializer, default: Any) -> Initializer:
  """``scale`` times a unit draw of ``distribution``; ``out_sharding`` goes to ``jax_init``."""

  def init(
    key: jax.Array, shape: Sequence[int], dtype: Any = default, out_sharding: Any = None
  ) -> jax.Array:
    if out_sharding is not None:
      return jax_init(key, shape, dtype, out_sharding=out_sharding)
    return _draw(key, distribution, shape, _float_dtype(dtype), scale)

  return init


def normal(stddev: float = 1e-2, dtype: jnp.dtype | None = None) -> Initializer:
  """N(0, stddev²), as jax.nn.initializers.normal."""
  return _scaled("normal", stddev, _jinit.normal(stddev), dtype)


def uniform(scale: float = 1e-2, dtype: jnp.dtype | None = None) -> Initializer:
  """U(0, scale), as jax.nn.initializers.uniform."""
  return _scaled("uniform01", scale, _jinit.uniform(scale), dtype)


glorot_normal = variance_scaling(1.0, "fan_avg", "truncated_normal")
glorot_uniform = variance_scaling(1.0, "fan_avg", "uniform")
xavier_normal = glorot_normal
xavier_uniform = glorot_uniform
he_normal = variance_scaling(2.0, "fan_in", "truncated_normal")
he_uniform = variance_scaling(2.0, "fan_in", "uniform")
kaiming_normal = he_normal
kaiming_uniform = he_uniform
lecun_normal = variance_scaling(1.0, "fan_in", "truncated_normal")
lecun_uniform = variance_scaling(1.0, "fan_in", "uniform")
zeros = _jinit.zeros
ones = _jinit.ones
orthogonal = _jinit.orthogonal
constant = _jinit.constant

__all__ = [
  "Initializer",
  "constant",
  "glorot_normal",
  "glorot_uniform",
  "he_normal",
  "he_uniform",
  "kaiming_normal",
  "kaiming_uniform",
  "lecun_normal",
  "lecun_uniform",
  "normal",
  "ones",
  "orthogonal",
  "uniform",
  "variance_scaling",
  "xavier_normal",
  "xavier_uniform",
  "zeros",
]
