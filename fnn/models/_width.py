"""What the zoo models share: the width multiplier and BatchNorm's rate.

The width multiplier gives small, fast variants for CPUs and tests.
"""

import numbers
from typing import Any

# torchvision's BatchNorm2d rate (PyTorch's momentum=0.1 is this EMA decay, 0.9). With
# fnn's default 0.99 the running statistics of a deep net lag its weights after a few
# epochs: a small GoogLeNet trained 6 epochs on the digits scored 0.10 in eval mode, even
# on its training images (0.99 in train mode), and 0.97 on the test images with 0.9.
BN_MOMENTUM = 0.9


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
