"""Argument normalisation shared by the layers that slide a window (conv, pooling)."""

from collections.abc import Sequence
from typing import Any

from fnn.core import Geometry, ShapeError

# What a padding argument takes: "SAME", "VALID", an int, n ints or n (low, high) pairs.
Padding = str | int | Sequence[Any]


def as_tuple(name: str, what: str, value: int | Sequence[int], n: int) -> tuple:
  """An int or a length-n sequence of positive ints -> a length-n tuple."""
  if isinstance(value, int):
    value = (value,) * n
  value = tuple(value)
  if len(value) != n or not all(isinstance(v, int) and v >= 1 for v in value):
    raise ValueError(f"{name}: {what} must be a positive int or {n} positive ints, got {value!r}")
  return value


def dilated_window(kernel: Sequence[int], dilations: Sequence[int]) -> tuple[int, ...]:
  """The span of each dilated kernel axis: ``d · (k - 1) + 1``."""
  return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilations, strict=True))


def as_padding(name: str, padding: Padding, n: int) -> str | tuple:
  """'SAME' / 'VALID' / int / n ints / n (low, high) pairs -> 'SAME', 'VALID' or n pairs."""
  if isinstance(padding, str):
    mode = padding.upper()
    if mode not in ("SAME", "VALID"):
      raise ValueError(
        f"{name}: unknown padding mode {padding!r}; expected 'SAME', 'VALID', "
        "an int, or (low, high) pairs per spatial axis"
      )
    return mode
  if isinstance(padding, int):
    padding = [(padding, padding)] * n
  pads = []
  for p in padding:
    p = (p, p) if isinstance(p, int) else tuple(p)
    if len(p) != 2 or not all(isinstance(v, int) and v >= 0 for v in p):
      raise ValueError(
        f"{name}: padding must be 'SAME', 'VALID', a non-negative int, or "
        f"(low, high) pairs of non-negative ints, got {padding!r}"
      )
    pads.append(p)
  if len(pads) != n:
    raise ValueError(f"{name}: padding needs {n} entries (one per spatial axis), got {padding!r}")
  return tuple(pads)


def explicit_padding(
  padding: str | tuple, in_sizes: Sequence[int], window: Sequence[int], strides: Sequence[int]
) -> tuple:
  """Resolves 'SAME'/'VALID' into (low, high) pairs, as lax does (window already dilated)."""
  if padding == "VALID":
    return tuple((0, 0) for _ in in_sizes)
  if padding == "SAME":
    pads = []
    for n, k, s in zip(in_sizes, window, strides, strict=True):
      out = -(-n // s)
      total = max((out - 1) * s + k - n, 0)
      pads.append((total // 2, total - total // 2))
    return tuple(pads)
  return tuple(padding)


def output_sizes(
  name: str,
  in_shape: Sequence[int],
  window: Sequence[int],
  strides: Sequence[int],
  pads: Sequence[tuple],
) -> tuple:
  """n_out = floor((n_in + p_lo + p_hi - k) / s) + 1 per axis; raises if any is < 1."""
  out = []
  for n, k, s, (lo, hi) in zip(in_shape, window, strides, pads, strict=True):
    size = (n + lo + hi - k) // s + 1
    if size < 1:
      raise ShapeError(
        f"{name}: spatial input {tuple(in_shape)} is too small for window "
        f"{tuple(window)} with padding {tuple(pads)}"
      )
    out.append(size)
  return tuple(out)


def geometry(
  window: tuple, strides: tuple, pads: str | tuple, dilation: tuple | None = None
) -> Geometry:
  """The frozen (hashable) :class:`fnn.core.Geometry` a windowed layer records."""
  return Geometry(
    tuple(window),
    tuple(strides),
    pads,
    tuple(dilation) if dilation is not None else (1,) * len(window),
  )


def spatial_rank(name: str, shape: tuple, fixed_rank: int | None) -> int:
  """The number of spatial axes: ``fixed_rank`` if set, else from ``shape`` (N, *spatial, C)."""
  n = fixed_rank if fixed_rank is not None else len(shape) - 2
  if len(shape) != n + 2 or n not in (1, 2, 3):
    want = (
      f"rank {n + 2} (N, *{n} spatial axes, C)"
      if fixed_rank is not None
      else "rank 3, 4 or 5 (N, *spatial, C)"
    )
    raise ShapeError(
      f"{name}: expected input of {want}, got shape {tuple(shape)} (rank {len(shape)})"
    )
  return n


def window_rank(name: str, what: str, window: int | Sequence[int]) -> int | None:
  """None for an int window (it applies to every spatial axis), else its length (1-3)."""
  if isinstance(window, int):
    return None
  n = len(tuple(window))
  if n not in (1, 2, 3):
    raise ValueError(f"{name}: {what} must be an int or have 1, 2 or 3 entries, got {window!r}")
  return n
