"""Splitting a data set into parts, and picking a few examples per class: on the host, with numpy.

Both are seeded like numpy: ``seed`` is an int or a ``numpy.random.Generator``
(``numpy.random.default_rng(seed)`` is what draws), so a split is the same on every
machine and needs no device.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

PyTree = Any


def _generator(where: str, seed) -> np.random.Generator:
  if isinstance(seed, (bool, np.bool_)) or not isinstance(
    seed, (int, np.integer, np.random.Generator)
  ):
    hint = (
      " (a jax.random key: these host-side helpers draw with numpy; pass an int)"
      if hasattr(seed, "dtype")
      else ""
    )
    raise TypeError(
      f"{where}: seed must be an int or a numpy.random.Generator, got {type(seed).__name__}{hint}"
    )
  return np.random.default_rng(seed)


def _num_rows(where: str, arrays) -> int:
  sizes = {int(np.shape(leaf)[0]) if np.ndim(leaf) else -1 for leaf in jax.tree.leaves(arrays)}
  if not sizes:
    raise ValueError(f"{where}: pass at least one array")
  if len(sizes) != 1 or -1 in sizes:
    raise ValueError(
      f"{where}: the arrays must share their leading axis (rows), got sizes {sorted(sizes)}"
    )
  return sizes.pop()


def _boundaries(fractions: Sequence[float], n: int) -> list[int]:
  """Row counts where each part of a split starts.

  Row counts where each part starts: every part but the first gets ``round(f · n)``
  rows, counted from the end, so a two-way split's last part is ``round(f · n)`` rows
  whatever the rounding of the first.
  """
  tails = [n - round(n * sum(fractions[k:])) for k in range(1, len(fractions))]
  return [0] + tails + [n]


def split(*arrays, fractions: Sequence[float], seed=None, stratify=None) -> tuple:
  """Cuts the rows of ``arrays`` into consecutive parts: train / validation (/ test).

  Every part but the first gets ``round(fraction · n)`` rows and the first gets the
  rest, so ``split(x, y, fractions=(0.8, 0.2))`` puts ``round(0.2 · n)`` rows in the
  validation part.

  Args:
    *arrays: arrays (or pytrees of arrays, e.g. an ``RNNInput``) sharing the leading
      axis ``n``.
    fractions: two or more non-negative numbers summing to 1, one per part.
    seed: None keeps the row order, so the last part is the tail of the data (as
      Keras's ``validation_split``); an int or a ``numpy.random.Generator`` shuffles
      the rows first with ``numpy.random.default_rng(seed).permutation(n)``.
    stratify: optional labels ``(n,)``: each class is cut by the same fractions, so
      every part has (up to rounding) the class proportions of the whole.

  Returns:
    A tuple with one entry per part, each a tuple with one entry per input array (the
    rows of that part, in shuffled order; without ``seed`` in their original order).
  """
  where = "data.split"
  n = _num_rows(where, arrays)
  fractions = tuple(float(f) for f in fractions)
  if len(fractions) < 2 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-6:
    raise ValueError(
      f"{where}: fractions must be two or more non-negative numbers summing to 1, got {fractions}"
    )
  order = np.arange(n) if seed is None else _generator(where, seed).permutation(n)
  if stratify is None:
    cuts = _boundaries(fractions, n)
    # In order, slices: no copy of numpy inputs (fit's validation split of big data).
    parts = [slice(lo, hi) if seed is None else order[lo:hi] for lo, hi in itertools.pairwise(cuts)]
  else:
    labels = np.asarray(stratify)
    if labels.shape != (n,):
      raise ValueError(
        f"{where}: stratify must have shape ({n},), one label per row, got {labels.shape}"
      )
    part_of = np.empty(n, np.int64)  # the part of each position in `order`
    for c in np.unique(labels):
      where_c = np.flatnonzero(labels[order] == c)
      cuts = _boundaries(fractions, len(where_c))
      for i, (lo, hi) in enumerate(itertools.pairwise(cuts)):
        part_of[where_c[lo:hi]] = i
    parts = [order[part_of == i] for i in range(len(fractions))]
  return tuple(tuple(jax.tree.map(lambda a, idx=idx: a[idx], a) for a in arrays) for idx in parts)


def balanced_subset(labels, per_class: int, *, seed, classes=None) -> np.ndarray:
  """Indices of ``per_class`` examples of each class, drawn without replacement.

  For class ``c`` in turn (``classes``, by default the sorted distinct labels) it
  draws ``rng.choice(np.flatnonzero(labels == c), per_class, replace=False)`` with
  ``rng = numpy.random.default_rng(seed)``, and concatenates the draws.

  Args:
    labels: integer labels ``(n,)``.
    per_class: how many examples of each class.
    seed: an int or a ``numpy.random.Generator``.
    classes: the classes to draw from, in order (default ``numpy.unique(labels)``).

  Returns:
    int64 indices ``(len(classes) · per_class,)``, grouped by class.
  """
  where = "data.balanced_subset"
  labels = np.asarray(labels)
  if labels.ndim != 1:
    raise ValueError(f"{where}: labels must be one per example, shape (n,), got {labels.shape}")
  if isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer)) or per_class < 1:
    raise ValueError(f"{where}: per_class must be a positive int, got {per_class!r}")
  rng = _generator(where, seed)
  classes = np.unique(labels) if classes is None else classes
  picks = []
  for c in classes:
    members = np.flatnonzero(labels == c)
    if len(members) < per_class:
      raise ValueError(
        f"{where}: class {c} has {len(members)} examples, fewer than per_class={per_class}"
      )
    picks.append(rng.choice(members, per_class, replace=False))
  return np.concatenate(picks).astype(np.int64)
