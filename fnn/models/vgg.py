"""VGG-11/13/16/19 (Simonyan & Zisserman 2015) in torchvision's layout, built of vgg_blocks."""

from fnn.core import Layer, named_serial, serial
from fnn.layers import Dense, Dropout, Flatten, Relu
from fnn.models._width import check_num_classes, check_width, scaled
from fnn.models.cnn import vgg_block

# Convolutions per block for each depth (the paper's configurations A, B, D, E).
_CONVS = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
_FEATURES = (64, 128, 256, 512, 512)


def vgg(
  depth: int,
  num_classes: int = 1000,
  batch_norm: bool = False,
  *,
  small: bool = False,
  width: float = 1.0,
  dropout: float = 0.5,
) -> Layer:
  """VGG with ``depth`` weight layers: five :func:`vgg_block` s and a classifier.

  ``features``: blocks of 64, 128, 256, 512, 512 channels (3×3 SAME convs, each block
  ending in a 2×2 max-pool); ``flatten``; ``classifier``: ``Dense 4096 -> ReLU ->
  Dropout -> Dense 4096 -> ReLU -> Dropout -> Dense num_classes`` (torchvision's
  order). On 224×224×3 with 1000 classes VGG-16 has torchvision's 138,357,544
  parameters.

  Differences from torchvision: no ``AdaptiveAvgPool2d((7, 7))`` (the identity on
  224×224 input); the features are nested per block (``features.0.0`` is the first
  conv, where torchvision counts ``features.0, features.2, ...`` flat); and with
  ``batch_norm=True`` the convolutions have no bias (BatchNorm's offset ``b``
  replaces it), so ``vgg(16, batch_norm=True)`` has 4,224 parameters fewer than
  torchvision's ``vgg16_bn`` (138,365,992).

  Args:
    depth: 11, 13, 16 or 19.
    num_classes: logits per example.
    batch_norm: BatchNorm after every convolution.
    small: the CIFAR-size (32×32) variant: the five pools leave 1×1×512 features and
      the classifier is one ``Dense num_classes``.
    width: multiplies every channel count and hidden size (1.0: the published net).
    dropout: drop probability in the classifier.

  Returns:
    A ``named_serial`` (``features``, ``flatten``, ``classifier``): ``(N, H, W, C)`` ->
    ``(N, num_classes)``; H and W must be at least 32.
  """
  if depth not in _CONVS:
    raise ValueError(f"vgg: depth must be one of {sorted(_CONVS)}, got {depth!r}")
  check_num_classes("vgg", num_classes)
  w = check_width("vgg", width)
  features = serial(
    *(
      vgg_block(scaled(f, w), n, batch_norm=batch_norm)
      for f, n in zip(_FEATURES, _CONVS[depth], strict=False)
    )
  )
  if small:
    classifier = serial(Dense(num_classes))
  else:
    hidden = scaled(4096, w)
    classifier = serial(
      Dense(hidden),
      Relu(),
      Dropout(dropout),
      Dense(hidden),
      Relu(),
      Dropout(dropout),
      Dense(num_classes),
    )
  return named_serial(("features", features), ("flatten", Flatten()), ("classifier", classifier))
