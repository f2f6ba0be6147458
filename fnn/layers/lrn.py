"""Local response normalisation across channels (Krizhevsky et al. 2012), channels-last."""

import numbers
from typing import Any

import jax
from jax import lax

from fnn.core import (
  Layer,
  PyTree,
  Shape,
  ShapeError,
  check_array,
  check_floating,
  check_input_shape,
  check_key,
  check_train,
)


def LocalResponseNorm(size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Layer:
  """Divides each activation by a power of the summed squares of its channel neighbours.

  With the definition of ``torch.nn.LocalResponseNorm``, over the last axis::

      y[..., c] = x[..., c] / (k + alpha / size · Σ_{c'} x[..., c']²) ** beta

  where ``c'`` runs over ``c - size // 2 ... c + (size - 1) // 2``, clipped to the
  channels that exist (the sum treats missing neighbours as 0 and still divides by
  ``size``).

  The AlexNet paper writes the sum without dividing by ``size``: its constants
  ``n = 5``, alpha 1e-4, ``β = 0.75``, ``k = 2`` are ``LocalResponseNorm(5, alpha=5e-4,
  beta=0.75, k=2.0)`` here (this alpha is n times the paper's).

  Args:
    size: number of neighbouring channels in the sum (including the channel itself).
    alpha: scale of the sum (divided by ``size``).
    beta: exponent.
    k: additive constant.

  Params/state: none. Input and output ``(N, ..., C)``.
  """
  if not isinstance(size, int) or isinstance(size, bool) or size < 1:
    raise ValueError(f"LocalResponseNorm: size must be a positive int, got {size!r}")
  for what, value in (("alpha", alpha), ("beta", beta), ("k", k)):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
      raise TypeError(f"LocalResponseNorm: {what} must be a real number, got {value!r}")
  name = f"LocalResponseNorm({size}, alpha={alpha}, beta={beta}, k={k})"

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name, allow_none=True)
    shape = check_input_shape(name, input_shape)
    if len(shape) < 2:
      raise ShapeError(f"{name}: expected input (N, ..., C) of rank >= 2, got shape {shape}")
    return {}, {}, shape

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
    if x.ndim < 2:
      raise ShapeError(f"{name}: expected input (N, ..., C) of rank >= 2, got shape {x.shape}")
    check_floating(name, x)
    ones = (1,) * (x.ndim - 1)
    pads = ((0, 0),) * (x.ndim - 1) + ((size // 2, (size - 1) // 2),)
    sums = lax.reduce_window(x * x, 0.0, lax.add, ones + (size,), ones + (1,), pads)
    return x * (k + (alpha / size) * sums) ** (-beta), state

  return Layer(init, apply, name, "pointwise")
