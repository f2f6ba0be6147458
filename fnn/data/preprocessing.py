"""Feature scaling: functions of numpy/jax arrays (splits are in :mod:`fnn.data.splits`).

Scalers take the training array first and any others after it; the statistics come
from the training array only (so nothing leaks from validation or test data) and
every array is transformed with them.
"""

import numpy as np


def _apply_all(fn, train, others):
  out = [fn(np.asarray(train, np.float32))] + [fn(np.asarray(o, np.float32)) for o in others]
  return out[0] if not others else tuple(out)


def standardize(train, *others, eps: float = 1e-8):
  """``(x - mean) / std`` per feature (last axes after the first), stats from ``train``.

  Returns:
    The standardized ``train`` (alone, or with ``others`` as a tuple), float32.
    Features with zero spread are only centred.
  """
  train = np.asarray(train, np.float32)
  mean, std = train.mean(axis=0), train.std(axis=0)
  std = np.where(std > eps, std, 1.0)
  return _apply_all(lambda x: ((x - mean) / std).astype(np.float32), train, others)


def min_max_scale(train, *others, feature_range=(0.0, 1.0)):
  """Maps each feature's training range onto ``feature_range`` (others may fall outside).

  Returns:
    The scaled arrays as for :func:`standardize`.
  """
  lo, hi = feature_range
  if not hi > lo:
    raise ValueError(
      f"min_max_scale: feature_range must be (low, high) with low < high, got {feature_range}"
    )
  train = np.asarray(train, np.float32)
  mn, mx = train.min(axis=0), train.max(axis=0)
  span = np.where(mx > mn, mx - mn, 1.0)
  return _apply_all(lambda x: (lo + (x - mn) / span * (hi - lo)).astype(np.float32), train, others)


def pca_whiten(train, *others, n_components=None, eps: float = 1e-5):
  """Projects onto the training set's principal axes and scales them to unit variance.

  Args:
    train: ``(n, d)`` data giving the mean and the principal axes.
    *others: arrays ``(m, d)`` transformed the same way.
    n_components: keep this many leading components (default all ``d``).
    eps: added to the variances before dividing (regularises tiny components).

  Returns:
    ``(n, k)`` float32 arrays whose training covariance is (nearly) the identity.
  """
  train = np.asarray(train, np.float64)
  if train.ndim != 2:
    raise ValueError(f"pca_whiten: expected (n, d) data, got shape {train.shape}")
  mean = train.mean(axis=0)
  _, s, vt = np.linalg.svd(train - mean, full_matrices=False)
  k = vt.shape[0] if n_components is None else int(n_components)
  if not 1 <= k <= vt.shape[0]:
    raise ValueError(f"pca_whiten: n_components must be in [1, {vt.shape[0]}], got {n_components}")
  variance = s[:k] ** 2 / (len(train) - 1)
  components = vt[:k].T / np.sqrt(variance + eps)
  return _apply_all(lambda x: ((x - mean) @ components).astype(np.float32), train, others)


def one_hot(labels, num_classes: int):
  """Integer labels ``(n, ...)`` -> float32 one-hot ``(n, ..., num_classes)``."""
  labels = np.asarray(labels)
  if not np.issubdtype(labels.dtype, np.integer):
    raise TypeError(f"one_hot: labels must be integers, got {labels.dtype}")
  if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
    raise ValueError(
      f"one_hot: labels must be in [0, {num_classes}), got values in "
      f"[{labels.min()}, {labels.max()}]"
    )
  return np.eye(num_classes, dtype=np.float32)[labels]
