"""Minibatches on the host, for data streamed to a jitted step."""

import jax
import numpy as np


def iterate_batches(x, y, batch_size: int, *, key=None, drop_remainder: bool = False):
  """Yields ``(x_batch, y_batch)`` numpy slices, shuffled by ``key`` if given.

  Args:
    x: an array with leading axis ``n``.
    y: an array with the same leading axis ``n``.
    batch_size: rows per batch.
    key: a PRNG key for the order (None keeps the file order).
    drop_remainder: skip the last batch when it is smaller than ``batch_size``.
  """
  n = len(x)
  if len(y) != n:
    raise ValueError(f"iterate_batches: x has {n} rows but y has {len(y)}")
  if not isinstance(batch_size, int) or batch_size < 1:
    raise ValueError(f"iterate_batches: batch_size must be a positive int, got {batch_size!r}")
  order = np.arange(n) if key is None else np.asarray(jax.random.permutation(key, n))
  stop = n - n % batch_size if drop_remainder else n
  for start in range(0, stop, batch_size):
    idx = order[start : start + batch_size]
    yield x[idx], y[idx]
