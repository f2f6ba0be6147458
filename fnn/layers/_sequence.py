"""Padded batches of sequences: :class:`RNNInput`, its lengths, and layers that act per step.

A padded batch travels through a model as ``RNNInput(x, lengths)``: ``x`` is
``(N, T, ...)`` and ``lengths[n]`` says how many leading steps of sequence ``n`` are
real. Recurrent layers read the lengths; layers that act on each time step alone
(Dense, Embedding, LayerNorm, Dropout, the activations) are wrapped by
:func:`per_step`, so they take an ``RNNInput`` too and pass its lengths on. Their
outputs at padded steps are whatever the layer computes there; the lengths say which
steps to use (``fnn.losses.masked`` does so).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

PyTree = Any


class RNNInput(NamedTuple):
  """An input to :func:`RNN` / :func:`Bidirectional` with its side inputs.

  Attributes:
    x: ``(N, T, F)`` sequences, padded at the end to a common ``T`` (``(N, T)``
      integer ids before an ``Embedding``).
    lengths: optional ``(N,)`` integer lengths in ``[0, T]``; steps past a sequence's
      end do not update its carry and give output 0.
    carry: optional initial carry (``(h, c)`` for an LSTM, ``h`` for the others, each
      ``(N, H)``; a ``(forward, backward)`` pair for Bidirectional). Default zeros.

  ``init`` takes the same structure of shapes, e.g. ``RNNInput((1, T, F), (1,))``;
  the model's output shape then has the structure ``apply`` returns.
  """

  x: jax.Array
  lengths: jax.Array | None = None
  carry: PyTree | None = None


def split_shape(input_shape: Any) -> tuple[tuple, Any, Any]:
  """``(x_shape, lengths_shape, carry_shapes)`` of an input shape.

  A plain shape (a tuple of ints) gives ``(shape, None, None)``; an
  ``RNNInput`` of shapes, or a tuple whose first entry is a shape, gives its parts.
  """
  if (
    isinstance(input_shape, (tuple, list))
    and input_shape
    and isinstance(input_shape[0], (tuple, list))
  ):
    parts = tuple(input_shape) + (None,) * (3 - len(input_shape))
    return parts[0], parts[1], parts[2]
  return input_shape, None, None


def join(y: Any, lengths: Any, carry: Any) -> Any:
  """``RNNInput(y, lengths, carry)``, or ``y`` alone when there are no side inputs."""
  return y if lengths is None and carry is None else RNNInput(y, lengths, carry)


def per_step(init: Callable, apply: Callable) -> tuple[Callable, Callable]:
  """Lets a layer that acts on each time step alone take an :class:`RNNInput`.

  The wrapped ``init`` takes an ``RNNInput`` of shapes and returns the output shape
  as ``RNNInput(out, lengths_shape, carry_shapes)`` (a plain tuple of shapes is not
  taken for one); the wrapped ``apply`` applies the
  layer to ``x`` and returns ``RNNInput(y, lengths, carry)``. Plain inputs are
  passed through unchanged, so the layer is the same layer for arrays.

  Args:
    init: the layer's init for plain arrays.
    apply: the layer's apply for plain arrays.

  Returns:
    ``(init, apply)``: the wrapped pair.
  """

  def wrapped_init(key: jax.Array | None, input_shape: Any) -> tuple[Any, Any, Any]:
    if not isinstance(input_shape, RNNInput):
      return init(key, input_shape)
    params, state, out = init(key, input_shape.x)
    return params, state, join(out, input_shape.lengths, input_shape.carry)

  def wrapped_apply(
    params: Any, state: Any, x: Any, *, key: jax.Array | None = None, train: bool = False
  ) -> tuple[Any, Any]:
    if not isinstance(x, RNNInput):
      return apply(params, state, x, key=key, train=train)
    y, state = apply(params, state, x.x, key=key, train=train)
    return join(y, x.lengths, x.carry), state

  return wrapped_init, wrapped_apply


def step_mask(lengths: jax.typing.ArrayLike, num_steps: int) -> jax.Array:
  """``(N, T)`` bools: True at the steps ``t < lengths[n]`` of each sequence."""
  return jnp.arange(num_steps)[None, :] < jnp.asarray(lengths)[:, None]


def check_lengths(lengths: Any, num_steps: int, *, name: str = "recurrent.check_lengths") -> None:
  """Raises ValueError unless every length is in ``[0, num_steps]``; host-side.

  ``RNN`` and ``Bidirectional`` run it on concrete lengths (eager calls); ``fit``
  runs it on its data. Under ``jit`` lengths cannot be checked: there a length above
  ``T`` acts as ``T`` (every step valid) and a negative length as 0 (no step valid,
  the carry stays the initial one).

  Args:
    lengths: ``(N,)`` integer lengths (any array; they are read on the host).
    num_steps: ``T``, the padded length.
    name: the function to name in the message.
  """
  values = np.asarray(lengths)
  bad = np.flatnonzero((values < 0) | (values > num_steps))
  if bad.size:
    i = int(bad[0])
    raise ValueError(
      f"{name}: lengths[{i}] = {int(values[i])} is outside [0, {num_steps}] (T = "
      f"{num_steps}, the padded length of x); {bad.size} of {values.size} lengths are "
      "out of range. A length counts the real steps of its sequence."
    )


def is_concrete(x: Any) -> bool:
  """Whether ``x``'s values can be read on the host now (not a tracer under jit)."""
  return not isinstance(x, jax.core.Tracer)
