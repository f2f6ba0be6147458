"""Parameter initializers: functions ``(key, shape, dtype=jnp.float32) -> array``.

These are jax.nn.initializers, re-exported under the names the course uses, so an
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
| ``orthogonal(scale)`` | a (scaled) orthogonal matrix, for recurrent weights |
"""

import jax.nn.initializers as _jinit

Initializer = _jinit.Initializer

glorot_normal = _jinit.glorot_normal()
glorot_uniform = _jinit.glorot_uniform()
xavier_normal = glorot_normal
xavier_uniform = glorot_uniform
he_normal = _jinit.he_normal()
he_uniform = _jinit.he_uniform()
kaiming_normal = he_normal
kaiming_uniform = he_uniform
lecun_normal = _jinit.lecun_normal()
lecun_uniform = _jinit.lecun_uniform()
zeros = _jinit.zeros
ones = _jinit.ones
normal = _jinit.normal
uniform = _jinit.uniform
orthogonal = _jinit.orthogonal
constant = _jinit.constant
variance_scaling = _jinit.variance_scaling

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
