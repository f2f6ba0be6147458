"""Inverted dropout."""

from typing import Any

import jax
import jax.numpy as jnp

from fnn.core import Layer, PyTree, Shape, check_array, check_floating, check_key, check_train
from fnn.layers._sequence import per_step


def Dropout(rate: float) -> Layer:
  """Zeroes each element with probability ``rate`` in training, scaling the rest by 1/(1-rate).

  ``rate`` is the probability of **dropping** (not keeping) a unit. With
  ``train=False`` (the default) the layer is the identity, so no rescaling is needed
  at test time. In training it needs ``key=``; without one it raises.

  Args:
    rate: drop probability in [0, 1).

  Params/state: none. Input and output: any shape.
  """
  if not (isinstance(rate, (int, float)) and 0 <= rate < 1):
    raise ValueError(
      f"Dropout: rate is the probability of dropping a unit and must be in [0, 1), got {rate!r}"
    )
  name = f"Dropout(rate={rate})"

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
    if not train or rate == 0:
      return x, state
    if key is None:
      raise ValueError(f"{name} needs key= when train=True (pass a jax.random.key to apply)")
    check_key(key, name)
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), jnp.zeros_like(x)), state

  return Layer(*per_step(init, apply), name, "pointwise")
