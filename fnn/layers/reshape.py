"""Layers that only change the shape of their input."""

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from fnn.core import (
  Layer,
  PyTree,
  Shape,
  ShapeError,
  check_array,
  check_input_shape,
  check_key,
  check_train,
)


def Flatten() -> Layer:
  """``(N, d1, d2, ...) -> (N, d1·d2·...)``. No params or state."""
  name = "Flatten()"

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name, allow_none=True)
    shape = check_input_shape(name, input_shape)
    if len(shape) < 1:
      raise ShapeError(f"{name}: expected a batched input (N, ...), got shape {shape}")
    return {}, {}, (shape[0], int(np.prod(shape[1:])))

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
    return x.reshape(x.shape[0], -1), state

  return Layer(init, apply, name)


def Reshape(shape: Sequence[int]) -> Layer:
  """Reshapes each example: ``(N, ...) -> (N, *shape)``; one entry may be -1.

  Args:
    shape: the per-example target shape (without the batch axis).
  """
  target = tuple(shape)
  if not all(isinstance(d, int) and (d >= 1 or d == -1) for d in target) or target.count(-1) > 1:
    raise ValueError(f"Reshape: shape must be positive ints with at most one -1, got {shape!r}")
  name = f"Reshape({target})"

  def resolve(in_shape: tuple) -> tuple:
    size = int(np.prod(in_shape[1:]))
    known = int(np.prod([d for d in target if d != -1]))
    if -1 in target:
      if size % known:
        raise ShapeError(
          f"{name}: cannot reshape examples of shape {tuple(in_shape[1:])} "
          f"({size} elements) into {target}"
        )
      out = tuple(size // known if d == -1 else d for d in target)
    else:
      out = target
    if int(np.prod(out)) != size:
      raise ShapeError(
        f"{name}: cannot reshape examples of shape {tuple(in_shape[1:])} "
        f"({size} elements) into {target} ({int(np.prod(out))} elements)"
      )
    return (in_shape[0],) + out

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name, allow_none=True)
    return {}, {}, resolve(check_input_shape(name, input_shape))

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
    return x.reshape(resolve(x.shape)), state

  return Layer(init, apply, name)
