"""The width multiplier the zoo models share (small, fast variants for CPUs and tests)."""

import numbers
from typing import Any


def check_width(where: str, width: Any) -> float:
  """Returns ``width`` if it is a positive real number, else raises ValueError."""
  if not isinstance(width, numbers.Real) or isinstance(width, bool) or not float(width) > 0:
    raise ValueError(
      f"{where}: width must be a positive number (1.0 = the published "
      f"channel counts), got {width!r}"
    )
  return float(width)


def scaled(channels: int, width: float) -> int:
  """``channels · width`` rounded, at least 1."""
  return max(1, round(channels * width))


def check_num_classes(where: str, num_classes: Any) -> int:
  if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
    raise ValueError(f"{where}: num_classes must be a positive int, got {num_classes!r}")
  return num_classes
