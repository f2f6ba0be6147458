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
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from fnn.core import Layer, PyTree, Shape, check_array, check_floating, check_key, check_train
from fnn.layers._sequence import per_step


def identity(x: jax.Array) -> jax.Array:
  """Returns ``x`` unchanged."""
  return x


def step(x: jax.Array) -> jax.Array:
  """Heaviside step: 1.0 where x > 0, else 0.0, with a zero gradient."""
  return jnp.where(x > 0, 1.0, 0.0).astype(jnp.result_type(x))


sigmoid = jax.nn.sigmoid
tanh = jnp.tanh
relu = jax.nn.relu
softplus = jax.nn.softplus


def leaky_relu(x: jax.Array, negative_slope: float = 0.01) -> jax.Array:
  """``x`` where ``x >= 0``, else ``negative_slope * x``."""
  return jnp.where(x >= 0, x, negative_slope * x)


def elu(x: jax.Array, alpha: float = 1.0) -> jax.Array:
  """``x`` where ``x > 0``, else ``alpha * (e^x - 1)``."""
  return jax.nn.elu(x, alpha)


def gelu(x: jax.Array, approximate: bool = False) -> jax.Array:
  """``x·Φ(x)``, exact; with ``approximate=True`` the tanh approximation."""
  return jax.nn.gelu(x, approximate=approximate)


def softmax(x: jax.Array, axis: int = -1) -> jax.Array:
  """``e^x / Σ e^x`` over ``axis``: each slice sums to 1."""
  return jax.nn.softmax(x, axis=axis)


def log_softmax(x: jax.Array, axis: int = -1) -> jax.Array:
  """``x - logsumexp(x)`` over ``axis``, computed stably."""
  return jax.nn.log_softmax(x, axis=axis)


def _activation_layer(fn: Callable[..., jax.Array], name: str, **kwargs: Any) -> Layer:
  f = functools.partial(fn, **kwargs) if kwargs else fn

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name, allow_none=True)
    return {}, {}, tuple(input_shape)

  def apply(
    params: PyTree,
    state: PyTree,
    x: Any,
    *,
    key: jax.Array | None = None,
    train: bool = False,
  ) -> tuple[Any, PyTree]:
    check_train(name, train)
    check_array(name, x)
    check_floating(name, x)
    return f(x), state

  # Elementwise, or over the feature axis: each time step of a padded batch alone.
  if kwargs.get("axis", -1) == -1:
    init, apply = per_step(init, apply)
  return Layer(init, apply, name, "pointwise")


def Identity() -> Layer:
  """A layer that returns its input."""
  return _activation_layer(identity, "Identity()")


def Step() -> Layer:
  """The :func:`step` function as a layer."""
  return _activation_layer(step, "Step()")


def Sigmoid() -> Layer:
  """The logistic sigmoid as a layer."""
  return _activation_layer(sigmoid, "Sigmoid()")


def Tanh() -> Layer:
  """The hyperbolic tangent as a layer."""
  return _activation_layer(tanh, "Tanh()")


def Relu() -> Layer:
  """The rectifier ``max(0, x)`` as a layer."""
  return _activation_layer(relu, "Relu()")


def LeakyRelu(negative_slope: float = 0.01) -> Layer:
  """The :func:`leaky_relu` function as a layer.

  Args:
    negative_slope: the slope for negative inputs, >= 0.
  """
  if not negative_slope >= 0:
    raise ValueError(f"LeakyRelu: negative_slope must be >= 0, got {negative_slope!r}")
  return _activation_layer(
    leaky_relu, f"LeakyRelu({negative_slope})", negative_slope=negative_slope
  )


def Elu(alpha: float = 1.0) -> Layer:
  """The :func:`elu` function as a layer.

  Args:
    alpha: the scale of the negative part, > 0.
  """
  if not alpha > 0:
    raise ValueError(f"Elu: alpha must be > 0, got {alpha!r}")
  return _activation_layer(elu, f"Elu({alpha})", alpha=alpha)


def Gelu(approximate: bool = False) -> Layer:
  """The :func:`gelu` function as a layer.

  Args:
    approximate: use the tanh approximation instead of the exact ``x·Φ(x)``.
  """
  return _activation_layer(gelu, f"Gelu(approximate={approximate})", approximate=approximate)


def Softplus() -> Layer:
  """``log(1 + e^x)`` as a layer."""
  return _activation_layer(softplus, "Softplus()")


def Softmax(axis: int = -1) -> Layer:
  """The :func:`softmax` function as a layer.

  Args:
    axis: the axis that sums to 1 (default the last, the features).
  """
  return _activation_layer(softmax, f"Softmax(axis={axis})", axis=axis)


def LogSoftmax(axis: int = -1) -> Layer:
  """The :func:`log_softmax` function as a layer.

  Args:
    axis: the axis normalised over (default the last, the features).
  """
  return _activation_layer(log_softmax, f"LogSoftmax(axis={axis})", axis=axis)
