"""Classification metrics on a batch: plain functions of arrays."""

import jax
import jax.numpy as jnp

from fnn.core import ShapeError


def _predicted(logits_or_labels: jax.Array) -> jax.Array:
  x = jnp.asarray(logits_or_labels)
  return x if jnp.issubdtype(x.dtype, jnp.integer) else jnp.argmax(x, axis=-1)


def accuracy(predictions: jax.Array, labels: jax.Array) -> jax.Array:
  """Fraction of examples whose predicted class equals the label.

  Args:
    predictions: logits/probabilities ``(N, K)`` (argmax is taken) or integer
      predicted classes ``(N,)``.
    labels: integer classes ``(N,)`` (or one-hot ``(N, K)``).

  Returns:
    A scalar in [0, 1].
  """
  pred = _predicted(predictions)
  labels = _predicted(labels)
  if pred.shape != labels.shape:
    raise ShapeError(f"accuracy: predicted classes have shape {pred.shape}, labels {labels.shape}")
  return jnp.mean(pred == labels)


def top_k_accuracy(logits: jax.Array, labels: jax.Array, k: int = 5) -> jax.Array:
  """Fraction of examples whose label is among the ``k`` largest logits.

  Args:
    logits: ``(N, K)`` scores.
    labels: integer classes ``(N,)``.
    k: how many top classes count as a hit.

  Returns:
    A scalar in [0, 1].
  """
  logits = jnp.asarray(logits)
  if not 1 <= k <= logits.shape[-1]:
    raise ValueError(f"top_k_accuracy: k must be in [1, {logits.shape[-1]}], got {k}")
  label_score = jnp.take_along_axis(logits, jnp.asarray(labels)[..., None], axis=-1)
  # rank = how many classes score strictly higher than the label's class
  rank = jnp.sum(logits > label_score, axis=-1)
  return jnp.mean(rank < k)


def confusion_matrix(predictions: jax.Array, labels: jax.Array, num_classes: int) -> jax.Array:
  """Counts ``C[i, j]`` of examples with true class ``i`` predicted as ``j``.

  Args:
    predictions: logits ``(N, K)`` or integer predicted classes ``(N,)``.
    labels: integer classes ``(N,)``.
    num_classes: ``K``.

  Returns:
    An int32 array ``(K, K)``; rows are true classes, columns predictions (as
    scikit-learn's ``confusion_matrix``).
  """
  pred = _predicted(predictions)
  labels = jnp.asarray(labels)
  return jnp.zeros((num_classes, num_classes), jnp.int32).at[labels, pred].add(1)
