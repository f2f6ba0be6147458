"""AlexNet (Krizhevsky, Sutskever & Hinton 2012) in torchvision's layout."""

from fnn.core import Layer, named_serial, serial
from fnn.layers import Conv, Dense, Dropout, Flatten, LocalResponseNorm, MaxPool, Relu
from fnn.models._width import check_num_classes, check_width, scaled


def paper_lrn() -> Layer:
  """The paper's response normalisation: ``k = 2``, ``n = 5``, alpha 1e-4, ``β = 0.75``.

  The paper sums the squares without dividing by n, so its alpha of 1e-4 is
  ``alpha=5e-4`` in :func:`fnn.layers.LocalResponseNorm`'s (and PyTorch's) definition.
  """
  return LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)


def alexnet(
  num_classes: int = 1000,
  *,
  lrn: bool = False,
  small: bool = False,
  width: float = 1.0,
  dropout: float = 0.5,
) -> Layer:
  """AlexNet with torchvision's channels (64, 192, 384, 256, 256) and classifier.

  ``features``: ``conv 11×11/4 (pad 2) -> ReLU -> maxpool 3/2 -> conv 5×5 (pad 2) -> ReLU
  -> maxpool 3/2 -> conv 3×3 ×3 (pad 1, ReLU after each) -> maxpool 3/2``;
  ``flatten``; ``classifier``: ``Dropout -> Dense 4096 -> ReLU -> Dropout -> Dense 4096
  -> ReLU -> Dense num_classes``. On 224×224×3 with 1000 classes it has torchvision's
  61,100,840 parameters, and each parametrised layer sits at torchvision's state_dict
  path (``features.0``, ``features.3``, ..., ``classifier.6``).

  Differences from torchvision: there is no ``AdaptiveAvgPool2d((6, 6))``. On 224×224
  the feature map is already 6×6 and that pool is the identity; other input sizes
  change ``classifier.1``'s input size. And fnn flattens ``(H, W, C)`` where PyTorch
  flattens ``(C, H, W)`` (:mod:`fnn.interop` permutes ``classifier.1``'s rows).

  Differences from the paper: the paper has 96, 256, 384, 384, 256 channels, splits
  conv2, conv4 and conv5 into two groups (one per GPU), and normalises responses.
  ``lrn=True`` restores the last: ``paper_lrn()`` after the ReLUs of conv1 and conv2,
  before their max-pools, as the paper places it. LRN has no parameters, so the count
  is unchanged, but the feature indices after it shift by one and two.

  Args:
    num_classes: logits per example.
    lrn: insert the paper's local response normalisation (see above).
    small: a CIFAR-size (32×32) variant: conv1 is 3×3, stride 1, pad 1 (so 32×32
      gives 3×3×256 features) and the two hidden Dense layers have 1024 units.
    width: multiplies every channel count and hidden size (1.0: the published net).
    dropout: drop probability before the hidden Dense layers.

  Returns:
    A ``named_serial`` (``features``, ``flatten``, ``classifier``): ``(N, H, W, 3)`` ->
    ``(N, num_classes)``.
  """
  check_num_classes("alexnet", num_classes)
  w = check_width("alexnet", width)

  def c(n: int) -> int:
    return scaled(n, w)

  conv1 = Conv(c(64), (3, 3), padding=1) if small else Conv(c(64), (11, 11), stride=4, padding=2)
  norm = [paper_lrn()] if lrn else []
  features = serial(
    conv1,
    Relu(),
    *norm,
    MaxPool((3, 3), stride=2),
    Conv(c(192), (5, 5), padding=2),
    Relu(),
    *norm,
    MaxPool((3, 3), stride=2),
    Conv(c(384), (3, 3), padding=1),
    Relu(),
    Conv(c(256), (3, 3), padding=1),
    Relu(),
    Conv(c(256), (3, 3), padding=1),
    Relu(),
    MaxPool((3, 3), stride=2),
  )
  hidden = c(1024 if small else 4096)
  classifier = serial(
    Dropout(dropout),
    Dense(hidden),
    Relu(),
    Dropout(dropout),
    Dense(hidden),
    Relu(),
    Dense(num_classes),
  )
  return named_serial(("features", features), ("flatten", Flatten()), ("classifier", classifier))
