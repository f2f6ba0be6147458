"""ImageNet ResNets (He et al. 2016) with basic blocks: ResNet-18 and ResNet-34."""

from fnn.core import Layer, named_serial, serial
from fnn.layers import BatchNorm, Conv, Dense, GlobalAvgPool, MaxPool, Relu
from fnn.models._width import BN_MOMENTUM, check_num_classes, check_width, scaled
from fnn.models.cnn import basic_block

_STAGE_FEATURES = (64, 128, 256, 512)


def _resnet(where: str, blocks: tuple, num_classes: int, small: bool, width: float) -> Layer:
  check_num_classes(where, num_classes)
  w = check_width(where, width)
  if small:
    stem = [
      ("conv1", Conv(scaled(64, w), (3, 3), padding=1, use_bias=False)),
      ("bn1", BatchNorm(momentum=BN_MOMENTUM)),
      ("relu", Relu()),
    ]
  else:
    stem = [
      ("conv1", Conv(scaled(64, w), (7, 7), stride=2, padding=3, use_bias=False)),
      ("bn1", BatchNorm(momentum=BN_MOMENTUM)),
      ("relu", Relu()),
      ("maxpool", MaxPool((3, 3), stride=2, padding=1)),
    ]
  stages = [
    (
      f"layer{i + 1}",
      serial(*(basic_block(scaled(f, w), stride=2 if i and not b else 1) for b in range(n))),
    )
    for i, (f, n) in enumerate(zip(_STAGE_FEATURES, blocks, strict=False))
  ]
  return named_serial(*stem, *stages, ("avgpool", GlobalAvgPool()), ("fc", Dense(num_classes)))


def resnet18(num_classes: int = 1000, *, small: bool = False, width: float = 1.0) -> Layer:
  """ResNet-18 in torchvision's layout, built of :func:`fnn.models.basic_block`.

  ``conv1 7×7/2 (pad 3, no bias) -> bn1 -> ReLU -> maxpool 3/2 (pad 1) -> layer1..layer4
  (2 basic blocks each, of 64, 128, 256, 512 channels; the first block of layers 2-4 has
  stride 2 and a 1×1 projection shortcut) -> global average pool -> fc``. On 224×224×3
  with 1000 classes it has torchvision's 11,689,512 parameters. Each block's
  parametrised layers come in torchvision's order (conv1, bn1, conv2, bn2, then the
  downsample conv and bn), so :mod:`fnn.interop` can match them by order; the names
  inside a block are :func:`basic_block`'s, not torchvision's.

  Args:
    num_classes: logits per example.
    small: the CIFAR-size (32×32) variant: conv1 is 3×3, stride 1, pad 1, and there is
      no max-pool, so 32×32 reaches layer4 as 4×4.
    width: multiplies every channel count (1.0: the published net).

  Returns:
    A ``named_serial``: ``(N, H, W, C)`` -> ``(N, num_classes)``.
  """
  return _resnet("resnet18", (2, 2, 2, 2), num_classes, small, width)


def resnet34(num_classes: int = 1000, *, small: bool = False, width: float = 1.0) -> Layer:
  """ResNet-34: :func:`resnet18` with 3, 4, 6, 3 basic blocks per stage.

  On 224×224×3 with 1000 classes it has torchvision's 21,797,672 parameters.

  Args:
    num_classes: logits per example.
    small: the CIFAR-size (32×32) variant, as in :func:`resnet18`.
    width: multiplies every channel count (1.0: the published net).

  Returns:
    A ``named_serial``: ``(N, H, W, C)`` -> ``(N, num_classes)``.
  """
  return _resnet("resnet34", (3, 4, 6, 3), num_classes, small, width)
