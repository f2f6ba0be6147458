"""Fully connected layer."""

from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import DTypeLike

from fnn import initializers
from fnn.core import (
  Layer,
  PyTree,
  Shape,
  ShapeError,
  check_array,
  check_floating,
  check_input_shape,
  check_key,
  check_last_axis,
  check_train,
  param_checker,
)
from fnn.initializers import Initializer
from fnn.layers._sequence import per_step


def Dense(
  features: int,
  *,
  use_bias: bool = True,
  w_init: Initializer = initializers.lecun_normal,
  b_init: Initializer = initializers.zeros,
  dtype: DTypeLike = jnp.float32,
) -> Layer:
  """``y = x @ w + b`` over the last axis.

  Args:
    features: output size ``out``.
    use_bias: whether to add ``b`` (if False, params have no ``'b'``).
    w_init: initializer for ``w`` (default ``lecun_normal``).
    b_init: initializer for ``b`` (default ``zeros``).
    dtype: parameter dtype.

  Params:
    ``{'w': (in, out), 'b': (out,)}``; no state.

  Input ``(..., in)``, output ``(..., out)``; an :class:`RNNInput` is read per step
  and its lengths passed on.
  """
  if not isinstance(features, int) or features < 1:
    raise ValueError(f"Dense: features must be a positive int, got {features!r}")
  name = f"Dense({features})"

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name)
    assert key is not None  # check_key raised otherwise
    shape = check_input_shape(name, input_shape)
    if len(shape) < 2:
      raise ShapeError(f"{name}: expected input (batch, ..., in) of rank >= 2, got shape {shape}")
    kw, kb = jax.random.split(key)
    params = {"w": w_init(kw, (shape[-1], features), dtype)}
    if use_bias:
      params["b"] = b_init(kb, (features,), dtype)
    return params, {}, shape[:-1] + (features,)

  check_params = param_checker(name, init)

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
    check_last_axis(name, x.shape, params["w"].shape[0])
    check_floating(name, x)
    check_params(params, x.shape)
    y = x @ params["w"]
    if use_bias:
      y = y + params["b"]
    return y, state

  return Layer(*per_step(init, apply), name)
