"""Loss functions and weight penalties.

Losses return one value per example (reduce with ``.mean()`` yourself), so the same
function serves weighted, masked and per-example uses — as in optax.

Conventions:
  * ``mean_squared_error`` has **no** ½ factor: it is ``mean((p - t)**2)`` over the
    feature axes, like scikit-learn and ``torch.nn.MSELoss``. The course's
    E = ½ Σ (y − t)² is ``0.5 * sum_squared_error(p, t)``.
  * ``l2_penalty`` **has** the ½: ``½ Σ w²``, so its gradient is ``w`` and
    ``loss + λ · l2_penalty(params)`` is the classic weight decay by λ under SGD.
    Which leaves count is decided by structure (:func:`fnn.masks.decay_mask`: every
    leaf with ``ndim >= 2``), through a ``mask=`` you can replace.
  * Sequences: :func:`masked` turns a per-example loss into a per-sequence one over the
    real steps of a padded batch (``fnn.layers.RNNInput``);
    :func:`per_step_cross_entropy` is ``masked(softmax_cross_entropy)``.
  * Losses that take integer class labels carry ``check_targets(outputs_shape,
    targets)``, a host-side check that every label is in ``[0, num_classes)``
    (``fit`` runs it on its data; under ``jit`` an out-of-range label cannot raise).
"""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from fnn.core import ShapeError
from fnn.layers._sequence import RNNInput, is_concrete, step_mask
from fnn.masks import decay_mask


def _check_same_shape(name: str, a: jax.Array, b: jax.Array) -> None:
  if jnp.shape(a) != jnp.shape(b):
    raise ShapeError(
      f"{name}: predictions have shape {jnp.shape(a)} but targets have "
      f"shape {jnp.shape(b)}; they must match"
    )


def _per_example(x: jax.Array) -> jax.Array:
  return x.reshape(x.shape[0], -1) if x.ndim > 1 else x[:, None]


def mean_squared_error(predictions: jax.Array, targets: jax.Array) -> jax.Array:
  """``mean((p - t)**2)`` per example (no ½ factor). Shapes ``(N, ...)`` -> ``(N,)``."""
  _check_same_shape("mean_squared_error", predictions, targets)
  return jnp.mean(_per_example((predictions - targets) ** 2), axis=-1)


def sum_squared_error(predictions: jax.Array, targets: jax.Array) -> jax.Array:
  """``sum((p - t)**2)`` per example. Shapes ``(N, ...)`` -> ``(N,)``."""
  _check_same_shape("sum_squared_error", predictions, targets)
  return jnp.sum(_per_example((predictions - targets) ** 2), axis=-1)


def _x_shape(outputs_shape: Any) -> tuple:
  """The array shape in an output shape that may be an ``RNNInput`` of shapes."""
  if isinstance(outputs_shape, RNNInput) or (
    outputs_shape and isinstance(outputs_shape[0], (tuple, list))
  ):
    return tuple(outputs_shape[0])
  return tuple(outputs_shape)


def check_class_labels(
  outputs_shape: Any,
  targets: Any,
  *,
  mask: Any = None,
  name: str = "losses.softmax_cross_entropy",
) -> None:
  """Raises ValueError unless integer ``targets`` are in ``[0, K)``; host-side.

  ``K = outputs_shape[-1]``. One-hot or probability targets (not integers) pass.

  Args:
    outputs_shape: the model's output shape ``(N, ..., K)`` (an ``RNNInput`` of
      shapes is read as its ``x``); only ``K`` is used.
    targets: the labels, any array (read on the host).
    mask: optional bools broadcastable to ``targets``; labels where it is False (the
      padded steps of a sequence) are not checked.
    name: the function to name in the message.
  """
  labels = np.asarray(targets)
  if not np.issubdtype(labels.dtype, np.integer):
    return
  k = _x_shape(outputs_shape)[-1]
  bad = (labels < 0) | (labels >= k)
  if mask is not None:
    bad &= np.broadcast_to(np.asarray(mask, bool), bad.shape)
  if bad.any():
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    index = where[0] if len(where) == 1 else where
    raise ValueError(
      f"{name}: label {int(labels[where])} at index {index} is outside [0, {k}) (the "
      f"model has {k} outputs, one per class); {int(bad.sum())} of {labels.size} labels "
      "are out of range"
    )


def softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
  """Cross-entropy of softmax(logits) against labels, per example.

  Computed from ``log_softmax`` (a max-shifted logsumexp), so logits of ±1e4 give
  finite values and gradients. Integer labels must be in ``[0, K)``: an eager call
  checks them; under ``jit`` they cannot be checked (an out-of-range label gives a
  meaningless loss), so ``fit`` checks its data first with ``check_targets``.

  Args:
    logits: ``(N, ..., K)`` unnormalised scores.
    labels: integer class indices ``(N, ...)``, or one-hot / probability vectors
      ``(N, ..., K)``.

  Returns:
    ``(N, ...)`` losses.
  """
  logits = jnp.asarray(logits)
  labels = jnp.asarray(labels)
  log_p = jax.nn.log_softmax(logits, axis=-1)
  if labels.ndim == logits.ndim - 1:
    if not jnp.issubdtype(labels.dtype, jnp.integer):
      raise TypeError(
        "losses.softmax_cross_entropy: labels of shape "
        f"{labels.shape} must be integer class indices, got {labels.dtype}"
      )
    if labels.shape != logits.shape[:-1]:
      raise ShapeError(
        f"losses.softmax_cross_entropy: logits {logits.shape} need labels of "
        f"shape {logits.shape[:-1]}, got {labels.shape}"
      )
    if is_concrete(labels):
      check_class_labels(logits.shape, labels)
    return -jnp.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
  if labels.shape != logits.shape:
    raise ShapeError(
      f"losses.softmax_cross_entropy: logits {logits.shape} need integer "
      f"labels of shape {logits.shape[:-1]} or one-hot labels of shape "
      f"{logits.shape}, got {labels.shape}"
    )
  return -jnp.sum(labels * log_p, axis=-1)


# The host check fit runs on the targets before training (an attribute of the loss).
setattr(softmax_cross_entropy, "check_targets", check_class_labels)  # noqa: B010


def binary_cross_entropy_with_logits(logits: jax.Array, targets: jax.Array) -> jax.Array:
  """Elementwise ``-t log σ(z) - (1-t) log(1-σ(z))``, computed stably from logits ``z``.

  Shapes: ``logits`` and ``targets`` the same; returns that shape.
  """
  _check_same_shape("binary_cross_entropy_with_logits", logits, targets)
  # log σ(z) = -softplus(-z), log(1-σ(z)) = -softplus(z)
  return targets * jax.nn.softplus(-logits) + (1 - targets) * jax.nn.softplus(logits)


def _selected_leaves(params: Any, mask: Any) -> list:
  if mask is None:
    return jax.tree.leaves(params)
  chosen = mask(params) if callable(mask) else mask
  return [
    x for x, keep in zip(jax.tree.leaves(params), jax.tree.leaves(chosen), strict=True) if keep
  ]


def l2_penalty(params: Any, *, mask: Any = decay_mask) -> jax.Array | float:
  """``½ Σ w²`` over the weights of a params pytree.

  Args:
    params: any pytree of arrays.
    mask: which leaves count: a function ``params -> bools`` (optax's form), a
      pytree of bools, or None for every leaf. The default,
      :func:`fnn.masks.decay_mask`, takes every leaf with ``ndim >= 2`` (weights,
      kernels, embeddings, stored patterns), not biases or norm scales.

  Returns:
    A scalar.
  """
  return 0.5 * sum(jnp.sum(jnp.square(x)) for x in _selected_leaves(params, mask))


def l1_penalty(params: Any, *, mask: Any = decay_mask) -> jax.Array | float:
  """``Σ |w|`` over the weights of a params pytree (``mask`` as in :func:`l2_penalty`)."""
  return sum(jnp.sum(jnp.abs(x)) for x in _selected_leaves(params, mask))


# ----------------------------------------------------------------------------
# Sequences: per-step losses over padded batches.


def _split_sequence(where: str, outputs: Any, targets: Any, mask: Any) -> tuple:
  lengths = None
  if isinstance(outputs, RNNInput):
    outputs, lengths = outputs.x, outputs.lengths
  outputs, targets = jnp.asarray(outputs), jnp.asarray(targets)
  if outputs.ndim < 2 or targets.shape[:2] != outputs.shape[:2]:
    raise ShapeError(
      f"{where}: expected outputs (N, T, ...) and targets (N, T, ...) with the "
      f"same N and T, got {outputs.shape} and {targets.shape}"
    )
  if mask is None and lengths is not None:
    mask = step_mask(lengths, outputs.shape[1])
  if mask is not None and jnp.shape(mask) != outputs.shape[:2]:
    raise ShapeError(
      f"{where}: expected a mask of shape {outputs.shape[:2]} (N, T), got {jnp.shape(mask)}"
    )
  return outputs, targets, mask


def masked(loss: Callable, *, name: str | None = None) -> Callable:
  """Turns a per-example loss into a loss over padded sequences.

  A per-example loss applied at every step of ``(N, T, ...)`` sequences, averaged
  over each sequence's real steps.

  The returned ``loss(outputs, targets, *, mask=None) -> (N,)`` applies ``loss`` to
  each step, ``(N·T, ...)`` at once, and averages sequence ``n``'s values over the
  steps where ``mask[n]`` is True. The mask comes from ``mask=`` ``(N, T)``, else from
  the outputs when they are an ``fnn.layers.RNNInput(y, lengths)`` (what a model
  ``serial(RNN(...), Dense(K))`` returns for a padded batch), else every step counts.
  So ``fit(model, masked(loss), opt, RNNInput(x, lengths), y, ...)`` trains on the
  real steps only, and its loss is the mean over sequences of each sequence's own
  loss. Padded steps' targets are never used (any pad value will do; give
  ``check_targets`` the same ``mask=`` so that it skips them too).

  Args:
    loss: a per-example loss ``(outputs (M, ...), targets (M, ...)) -> (M,)``, e.g.
      :func:`softmax_cross_entropy` or :func:`mean_squared_error`.
    name: the returned function's name (default ``masked(<loss>)``), for messages.

  Returns:
    The per-sequence loss, with ``check_targets`` forwarded from ``loss`` if it has one.
  """
  name = name or f"masked({getattr(loss, '__name__', 'loss')})"
  where = f"losses.{name}"

  def per_sequence(outputs: Any, targets: Any, *, mask: Any = None) -> jax.Array:
    outputs, targets, mask = _split_sequence(where, outputs, targets, mask)
    n, t = outputs.shape[:2]
    if mask is not None:
      mask = jnp.asarray(mask, bool)
      # Padded steps' targets are never used; zeros there keep a pad value such as -1
      # from raising in an eager call or making a NaN gradient.
      steps_mask = mask.reshape((n, t) + (1,) * (targets.ndim - 2))
      targets = jnp.where(steps_mask, targets, jnp.zeros_like(targets))
    steps = loss(
      outputs.reshape((n * t,) + outputs.shape[2:]), targets.reshape((n * t,) + targets.shape[2:])
    ).reshape(n, t)
    if mask is None:
      return steps.mean(axis=1)
    total = jnp.where(mask, steps, jnp.zeros_like(steps)).sum(axis=1)
    return total / jnp.maximum(mask.sum(axis=1), 1).astype(steps.dtype)

  per_sequence.__name__ = per_sequence.__qualname__ = name
  check = getattr(loss, "check_targets", None)
  if check is check_class_labels:

    def check_targets(outputs_shape: Any, targets: Any, *, mask: Any = None) -> None:
      return check(outputs_shape, targets, mask=mask, name=where)

    setattr(per_sequence, "check_targets", check_targets)  # noqa: B010
  elif check is not None:
    setattr(per_sequence, "check_targets", check)  # noqa: B010
  return per_sequence


per_step_cross_entropy = masked(softmax_cross_entropy, name="per_step_cross_entropy")
per_step_cross_entropy.__doc__ = """Mean over each sequence's real steps of the
cross-entropy at each step: ``(N, T, K), (N, T) -> (N,)``.

``masked(softmax_cross_entropy)``: with an ``RNNInput(logits, lengths)`` (or ``mask=``)
only the real steps count. Integer labels in ``[0, K)``; ``check_targets`` checks them.
"""
