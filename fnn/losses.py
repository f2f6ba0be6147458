"""Loss functions and weight penalties.

Losses return one value per example (reduce with ``.mean()`` yourself), so the same
function serves weighted, masked and per-example uses — as in optax.

Conventions:
  * ``mean_squared_error`` has **no** ½ factor: it is ``mean((p - t)**2)`` over the
    feature axes, like scikit-learn and ``torch.nn.MSELoss``. The course's
    E = ½ Σ (y − t)² is ``0.5 * sum_squared_error(p, t)``.
  * ``l2_penalty`` **has** the ½: ``½ Σ w²``, so its gradient is ``w`` and
    ``loss + λ · l2_penalty(params)`` is the classic weight decay by λ under SGD.
"""

import jax
import jax.numpy as jnp

from fnn.core import ShapeError


def _check_same_shape(name, a, b):
  if jnp.shape(a) != jnp.shape(b):
    raise ShapeError(f"{name}: predictions have shape {jnp.shape(a)} but targets have "
                     f"shape {jnp.shape(b)}; they must match")


def _per_example(x):
  return x.reshape(x.shape[0], -1) if x.ndim > 1 else x[:, None]


def mean_squared_error(predictions, targets):
  """``mean((p - t)**2)`` per example (no ½ factor). Shapes ``(N, ...)`` -> ``(N,)``."""
  _check_same_shape("mean_squared_error", predictions, targets)
  return jnp.mean(_per_example((predictions - targets) ** 2), axis=-1)


def sum_squared_error(predictions, targets):
  """``sum((p - t)**2)`` per example. Shapes ``(N, ...)`` -> ``(N,)``."""
  _check_same_shape("sum_squared_error", predictions, targets)
  return jnp.sum(_per_example((predictions - targets) ** 2), axis=-1)


def softmax_cross_entropy(logits, labels):
  """Cross-entropy of softmax(logits) against labels, per example.

  Computed from ``log_softmax`` (a max-shifted logsumexp), so logits of ±1e4 give
  finite values and gradients.

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
      raise TypeError("softmax_cross_entropy: labels of shape "
                      f"{labels.shape} must be integer class indices, got {labels.dtype}")
    if labels.shape != logits.shape[:-1]:
      raise ShapeError(f"softmax_cross_entropy: logits {logits.shape} need labels of shape "
                       f"{logits.shape[:-1]}, got {labels.shape}")
    return -jnp.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
  if labels.shape != logits.shape:
    raise ShapeError(f"softmax_cross_entropy: logits {logits.shape} need integer labels of "
                     f"shape {logits.shape[:-1]} or one-hot labels of shape {logits.shape}, "
                     f"got {labels.shape}")
  return -jnp.sum(labels * log_p, axis=-1)


def binary_cross_entropy_with_logits(logits, targets):
  """Elementwise ``-t log σ(z) - (1-t) log(1-σ(z))``, computed stably from logits ``z``.

  Shapes: ``logits`` and ``targets`` the same; returns that shape.
  """
  _check_same_shape("binary_cross_entropy_with_logits", logits, targets)
  # log σ(z) = -softplus(-z), log(1-σ(z)) = -softplus(z)
  return targets * jax.nn.softplus(-logits) + (1 - targets) * jax.nn.softplus(logits)


def _weight_leaves(params, weights_only):
  leaves = jax.tree_util.tree_leaves_with_path(params)
  if not weights_only:
    return [x for _, x in leaves]
  out = []
  for path, x in leaves:
    last = path[-1] if path else None
    name = getattr(last, "key", None)
    if name in ("w", "W", "w_i", "w_h", "embedding", "kernel"):
      out.append(x)
  return out


def l2_penalty(params, *, weights_only=True):
  """``½ Σ w²`` over the weights of a params pytree.

  Args:
    params: any pytree of arrays.
    weights_only: if True (default), only leaves whose dict key names a weight
      (``'w'``, ``'W'``, ``'w_i'``, ``'w_h'``, ``'embedding'``) count: biases and
      norm scales are not decayed. If False, every leaf counts.

  Returns:
    A scalar.
  """
  return 0.5 * sum(jnp.sum(jnp.square(x)) for x in _weight_leaves(params, weights_only))


def l1_penalty(params, *, weights_only=True):
  """``Σ |w|`` over the weights of a params pytree (see :func:`l2_penalty`)."""
  return sum(jnp.sum(jnp.abs(x)) for x in _weight_leaves(params, weights_only))
