"""Lookup table from integer ids to vectors."""

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
  check_input_shape,
  check_integer,
  check_key,
  check_train,
  param_checker,
)
from fnn.initializers import Initializer
from fnn.layers._sequence import per_step


def Embedding(
  num_embeddings: int,
  features: int,
  *,
  init: Initializer = initializers.variance_scaling(1.0, "fan_in", "normal", out_axis=0),
  dtype: DTypeLike = jnp.float32,
) -> Layer:
  """Maps integer ids ``(N, ...)`` to vectors ``(N, ..., features)``.

  Args:
    num_embeddings: vocabulary size; ids must be in ``[0, num_embeddings)``. Under
      jit out-of-range ids cannot raise; they are clamped (as ``jnp.take``).
    features: vector size.
    init: initializer for the table (default: N(0, 1/features)-scaled normal, as flax).
    dtype: parameter dtype.

  Params ``{'embedding': (num_embeddings, features)}``; no state. An
  :class:`RNNInput` of ids ``(N, T)`` gives ``RNNInput((N, T, features), lengths)``.
  """
  if not isinstance(num_embeddings, int) or num_embeddings < 1:
    raise ValueError(f"Embedding: num_embeddings must be a positive int, got {num_embeddings!r}")
  if not isinstance(features, int) or features < 1:
    raise ValueError(f"Embedding: features must be a positive int, got {features!r}")
  name = f"Embedding({num_embeddings}, {features})"

  def init_fn(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name)
    assert key is not None  # check_key raised otherwise
    shape = check_input_shape(name, input_shape)
    if len(shape) < 1:
      raise ShapeError(f"{name}: expected batched integer ids (N, ...), got shape {shape}")
    return {"embedding": init(key, (num_embeddings, features), dtype)}, {}, shape + (features,)

  check_params = param_checker(name, init_fn)

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
    check_integer(name, x)
    check_params(params, x.shape)
    return jnp.take(params["embedding"], x, axis=0, mode="clip"), state

  return Layer(*per_step(init_fn, apply), name)
