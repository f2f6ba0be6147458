"""Normalisation layers: BatchNorm (with running statistics in ``state``) and LayerNorm."""

from typing import Any

import jax
import jax.numpy as jnp
from jax import lax
from jax.typing import DTypeLike

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
from fnn.layers._sequence import per_step


def _affine_params(channels: int, use_scale: bool, use_bias: bool, dtype: DTypeLike) -> dict:
  params = {}
  if use_scale:
    params["scale"] = jnp.ones((channels,), dtype)  # initializers.ones, which takes no key
  if use_bias:
    params["b"] = jnp.zeros((channels,), dtype)
  return params


def _affine(y: jax.Array, params: dict) -> jax.Array:
  """``y · scale + b`` with whichever of the two the layer has."""
  if "scale" in params:
    y = y * params["scale"]
  if "b" in params:
    y = y + params["b"]
  return y


def _statistics_dtype(x: jax.Array) -> Any:
  """Statistics (and the normalisation) run in at least float32: bf16/f16 inputs upcast."""
  return x.astype(jnp.promote_types(x.dtype, jnp.float32))


def BatchNorm(
  *,
  momentum: float = 0.99,
  epsilon: float = 1e-5,
  use_scale: bool = True,
  use_bias: bool = True,
  frozen: bool = False,
  dtype: DTypeLike = jnp.float32,
) -> Layer:
  """Batch normalisation over every axis but the last (features/channels).

  With ``train=True`` it normalises with the batch's mean and (biased) variance and
  returns the running statistics updated by an exponential moving average,
  ``running = momentum · running + (1 - momentum) · batch`` (flax's convention; the
  running variance uses the biased batch variance, as flax does). With
  ``train=False`` it uses the running statistics and returns ``state`` unchanged.
  The state is never differentiated: return it from the loss with ``has_aux=True``.

  ``frozen=True`` keeps the layer in eval mode whatever ``train`` says: it normalises
  with the running statistics and never updates them (fine-tuning a pretrained model,
  where a small batch's statistics would overwrite the pretrained ones; freeze
  ``scale``/``b`` too with :func:`fnn.masks.freeze`).

  Args:
    momentum: EMA decay of the running statistics, in [0, 1).
    epsilon: added to the variance.
    use_scale: learn ``scale`` (γ, init 1).
    use_bias: learn the offset ``b`` (β, init 0).
    frozen: always use (and keep) the running statistics, also with ``train=True``.
    dtype: parameter dtype.

  Params ``{'scale': (C,), 'b': (C,)}``; state ``{'mean': (C,), 'var': (C,)}``,
  initialised to 0 and 1. Input and output ``(N, ..., C)``, in the input's dtype; the
  statistics are computed in at least float32 (so bfloat16 inputs keep them exact).

  Raises:
    ValueError: in training, when a channel's statistics would come from one value
      (a batch of one example with no other axes), since the variance is then 0.
  """
  if not 0 <= momentum < 1:
    raise ValueError(f"BatchNorm: momentum must be in [0, 1), got {momentum!r}")
  if not epsilon > 0:
    raise ValueError(f"BatchNorm: epsilon must be > 0, got {epsilon!r}")
  if not isinstance(frozen, bool):
    raise TypeError(f"BatchNorm: frozen must be a bool, got {frozen!r}")
  name = "BatchNorm(frozen=True)" if frozen else "BatchNorm()"

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name, allow_none=True)
    shape = check_input_shape(name, input_shape)
    if len(shape) < 2:
      raise ShapeError(f"{name}: expected input (N, ..., C) of rank >= 2, got shape {shape}")
    c = shape[-1]
    state = {"mean": jnp.zeros((c,), dtype), "var": jnp.ones((c,), dtype)}
    return _affine_params(c, use_scale, use_bias, dtype), state, shape

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
    if x.ndim < 2:
      raise ShapeError(f"{name}: expected input (N, ..., C) of rank >= 2, got shape {x.shape}")
    check_last_axis(name, x.shape, state["mean"].shape[0])
    check_floating(name, x)
    check_params(params, x.shape)
    in_dtype, x = x.dtype, _statistics_dtype(x)
    axes = tuple(range(x.ndim - 1))
    if train and not frozen:
      count = x.size // x.shape[-1]
      if count < 2:
        raise ValueError(
          f"{name}: training needs more than one value per channel to estimate a variance, "
          f"got input of shape {x.shape} (1 value per channel); use a batch of >= 2 "
          "examples, or train=False"
        )
      mean = x.mean(axis=axes)
      var = jnp.mean(jnp.square(x - mean), axis=axes)
      new_state = {
        "mean": momentum * state["mean"] + (1 - momentum) * lax.stop_gradient(mean),
        "var": momentum * state["var"] + (1 - momentum) * lax.stop_gradient(var),
      }
    else:
      mean, var, new_state = state["mean"], state["var"], state
    y = _affine((x - mean) * lax.rsqrt(var + epsilon), params)
    return y.astype(in_dtype), new_state

  return Layer(init, apply, name, "pointwise")


def LayerNorm(
  *,
  epsilon: float = 1e-5,
  use_scale: bool = True,
  use_bias: bool = True,
  dtype: DTypeLike = jnp.float32,
) -> Layer:
  """Normalises each example over its last axis: ``(x - mean) / sqrt(var + eps) · scale + b``.

  Params ``{'scale': (C,), 'b': (C,)}``; no state; same in train and eval.
  Input and output ``(N, ..., C)``, in the input's dtype (the statistics are computed
  in at least float32); an :class:`RNNInput` is normalised per step and its lengths
  passed on.
  """
  if not epsilon > 0:
    raise ValueError(f"LayerNorm: epsilon must be > 0, got {epsilon!r}")
  name = "LayerNorm()"

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name, allow_none=True)
    shape = check_input_shape(name, input_shape)
    if len(shape) < 2:
      raise ShapeError(f"{name}: expected input (N, ..., C) of rank >= 2, got shape {shape}")
    return _affine_params(shape[-1], use_scale, use_bias, dtype), {}, shape

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
    c = params.get("scale") if use_scale else params.get("b")
    if c is not None:
      check_last_axis(name, x.shape, c.shape[0])
    check_floating(name, x)
    check_params(params, x.shape)
    in_dtype, x = x.dtype, _statistics_dtype(x)
    mean = x.mean(axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
    return _affine((x - mean) * lax.rsqrt(var + epsilon), params).astype(in_dtype), state

  return Layer(*per_step(init, apply), name, "pointwise")
