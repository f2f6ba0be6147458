"""Activation functions, as plain functions and as layers.

Each function takes an array and returns one of the same shape; each layer
(``Relu()``, ``LeakyRelu(0.1)``...) wraps the function and has no params or state.

| function | formula |
| --- | --- |
| ``identity`` | x |
| ``step`` | 1 if x > 0 else 0 (its gradient is 0 everywhere) |
| ``sigmoid`` | 1 / (1 + e^-x) |
| ``tanh`` | tanh x |
| ``relu`` | max(0, x) |
| ``leaky_relu`` | x if x > 0 else negative_slope·x (default 0.01) |
| ``elu`` | x if x > 0 else alpha·(e^x − 1) (default alpha 1) |
| ``gelu`` | x·Φ(x), exact by default (``approximate=True``: the tanh form) |
| ``softplus`` | log(1 + e^x), computed stably |
| ``softmax`` | e^x / Σ e^x over ``axis`` (default last) |
| ``log_softmax`` | x − logsumexp(x) over ``axis`` |
"""

import functools

import jax
import jax.numpy as jnp

from fnn.core import Layer, check_array, check_floating, check_key, check_train
from fnn.layers._sequence import per_step


def identity(x):
  return x


def step(x):
  """Heaviside step: 1.0 where x > 0, else 0.0, with a zero gradient."""
  return jnp.where(x > 0, 1.0, 0.0).astype(jnp.result_type(x))


sigmoid = jax.nn.sigmoid
tanh = jnp.tanh
relu = jax.nn.relu
softplus = jax.nn.softplus


def leaky_relu(x, negative_slope=0.01):
  return jnp.where(x >= 0, x, negative_slope * x)


def elu(x, alpha=1.0):
  return jax.nn.elu(x, alpha)


def gelu(x, approximate=False):
  return jax.nn.gelu(x, approximate=approximate)


def softmax(x, axis=-1):
  return jax.nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
  return jax.nn.log_softmax(x, axis=axis)


def _activation_layer(fn, name, **kwargs):
  f = functools.partial(fn, **kwargs) if kwargs else fn

  def init(key, input_shape):
    check_key(key, name, allow_none=True)
    return {}, {}, tuple(input_shape)

  def apply(params, state, x, *, key=None, train=False):
    check_train(name, train)
    check_array(name, x)
    check_floating(name, x)
    return f(x), state

  # Elementwise, or over the feature axis: each time step of a padded batch alone.
  if kwargs.get("axis", -1) == -1:
    init, apply = per_step(init, apply)
  return Layer(init, apply, name, "pointwise")


def Identity():
  return _activation_layer(identity, "Identity()")


def Step():
  return _activation_layer(step, "Step()")


def Sigmoid():
  return _activation_layer(sigmoid, "Sigmoid()")


def Tanh():
  return _activation_layer(tanh, "Tanh()")


def Relu():
  return _activation_layer(relu, "Relu()")


def LeakyRelu(negative_slope=0.01):
  if not negative_slope >= 0:
    raise ValueError(f"LeakyRelu: negative_slope must be >= 0, got {negative_slope!r}")
  return _activation_layer(
    leaky_relu, f"LeakyRelu({negative_slope})", negative_slope=negative_slope
  )


def Elu(alpha=1.0):
  if not alpha > 0:
    raise ValueError(f"Elu: alpha must be > 0, got {alpha!r}")
  return _activation_layer(elu, f"Elu({alpha})", alpha=alpha)


def Gelu(approximate=False):
  return _activation_layer(gelu, f"Gelu(approximate={approximate})", approximate=approximate)


def Softplus():
  return _activation_layer(softplus, "Softplus()")


def Softmax(axis=-1):
  return _activation_layer(softmax, f"Softmax(axis={axis})", axis=axis)


def LogSoftmax(axis=-1):
  return _activation_layer(log_softmax, f"LogSoftmax(axis={axis})", axis=axis)
