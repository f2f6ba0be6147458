"""Convolutional models: LeNet-5, VGG-style blocks, ResNet basic blocks and a small ResNet."""

from collections.abc import Callable, Sequence
from typing import Any

import jax

from fnn.core import Layer, PyTree, Shape, named_serial, residual, serial
from fnn.layers import AvgPool, BatchNorm, Conv, Dense, Flatten, GlobalAvgPool, MaxPool, Relu
from fnn.models._width import BN_MOMENTUM


def lenet5(
  num_classes: int = 10,
  *,
  activation: Callable[[], Layer] = Relu,
  pool: str = "max",
  conv1_padding: str | int | Sequence[Any] = "SAME",
) -> Layer:
  """LeNet-5 (LeCun et al. 1998) for single- or multi-channel 28×28 or 32×32 images.

  ``conv1 5×5×6 -> act -> pool 2 -> conv2 5×5×16 (VALID) -> act -> pool 2 -> fc 120
  -> act -> fc 84 -> act -> out``. With ``conv1_padding='SAME'`` (default) a
  28×28 input gives the classic 16×5×5 feature map, as 32×32 does with ``'VALID'``.
  Smaller images (the 8×8 digits) must be resized first, e.g. ``jax.image.resize``.

  Args:
    num_classes: logits per example.
    activation: layer constructor (``Relu`` default; ``Tanh`` is the original's).
    pool: ``'max'`` (default) or ``'avg'`` (the original's subsampling).
    conv1_padding: padding of the first convolution.

  Returns:
    A ``named_serial`` Layer: conv1, act1, pool1, conv2, act2, pool2, flatten, fc1,
    act3, fc2, act4, out. Input ``(N, H, W, C)``, output ``(N, num_classes)``.
  """
  if pool not in ("max", "avg"):
    raise ValueError(f"lenet5: pool must be 'max' or 'avg', got {pool!r}")
  Pool = MaxPool if pool == "max" else AvgPool
  return named_serial(
    ("conv1", Conv(6, (5, 5), padding=conv1_padding)),
    ("act1", activation()),
    ("pool1", Pool((2, 2))),
    ("conv2", Conv(16, (5, 5), padding="VALID")),
    ("act2", activation()),
    ("pool2", Pool((2, 2))),
    ("flatten", Flatten()),
    ("fc1", Dense(120)),
    ("act3", activation()),
    ("fc2", Dense(84)),
    ("act4", activation()),
    ("out", Dense(num_classes)),
  )


def vgg_block(features: int, num_convs: int = 2, *, batch_norm: bool = False) -> Layer:
  """``num_convs`` × (3×3 SAME conv [-> BatchNorm] -> ReLU), then a 2×2 max-pool.

  Input ``(N, H, W, C)``; output ``(N, H // 2, W // 2, features)``.
  """
  if not isinstance(num_convs, int) or num_convs < 1:
    raise ValueError(f"vgg_block: num_convs must be a positive int, got {num_convs!r}")
  layers = []
  for _ in range(num_convs):
    layers.append(Conv(features, (3, 3), use_bias=not batch_norm))
    if batch_norm:
      layers.append(BatchNorm(momentum=BN_MOMENTUM))
    layers.append(Relu())
  layers.append(MaxPool((2, 2)))
  return serial(*layers)


def basic_block(features: int, stride: int = 1) -> Layer:
  """A ResNet basic block (He et al. 2016): two 3×3 convs with BatchNorm and a skip.

  ``relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))``. The shortcut is the identity
  when the input already has ``features`` channels and ``stride == 1``, otherwise a
  1×1 strided conv with BatchNorm (chosen at ``init`` from the input shape). The 3×3
  convs pad one pixel on each side, as torchvision's ``BasicBlock`` (with stride 2,
  ``'SAME'`` would pad only the far side of an even input).

  Params/state: ``{'main': ..., 'shortcut': ...}`` (shortcut ``{}`` for the identity).
  Input ``(N, H, W, C)``; output ``(N, ceil(H / stride), ceil(W / stride), features)``.
  """
  main = [
    Conv(features, (3, 3), stride=stride, padding=1, use_bias=False),
    BatchNorm(momentum=BN_MOMENTUM),
    Relu(),
    Conv(features, (3, 3), padding=1, use_bias=False),
    BatchNorm(momentum=BN_MOMENTUM),
  ]
  identity = serial(residual(*main), Relu())
  projected = serial(
    residual(
      *main,
      shortcut=serial(
        Conv(features, (1, 1), stride=stride, use_bias=False), BatchNorm(momentum=BN_MOMENTUM)
      ),
    ),
    Relu(),
  )
  name = f"basic_block({features}, stride={stride})"

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    chosen = identity if (input_shape[-1] == features and stride == 1) else projected
    return chosen.init(key, input_shape)

  def apply(
    params: PyTree,
    state: PyTree,
    x: Any,
    *,
    key: jax.Array | None = None,
    train: bool = False,
  ) -> tuple[Any, PyTree]:
    chosen = projected if params[0]["shortcut"] else identity
    return chosen.apply(params, state, x, key=key, train=train)

  return Layer(init, apply, name)


def resnet(
  num_classes: int = 10, *, stage_features: Sequence[int] = (16, 32, 64), blocks_per_stage: int = 2
) -> Layer:
  """A small ResNet for 32×32-ish images (the CIFAR ResNet-(6n+2) family).

  ``3×3 conv stem -> BatchNorm -> ReLU -> stages of basic blocks (the first block of
  every stage after the first has stride 2) -> global average pool -> Dense``.
  ``blocks_per_stage=3`` with the default stages is ResNet-20.

  Returns:
    A ``named_serial`` Layer with children ``stem``, ``stage1``..., ``pool``, ``out``.
  """
  stages = []
  for i, f in enumerate(stage_features):
    blocks = [
      basic_block(f, stride=2 if (i > 0 and b == 0) else 1) for b in range(blocks_per_stage)
    ]
    stages.append((f"stage{i + 1}", serial(*blocks)))
  return named_serial(
    (
      "stem",
      serial(
        Conv(stage_features[0], (3, 3), use_bias=False), BatchNorm(momentum=BN_MOMENTUM), Relu()
      ),
    ),
    *stages,
    ("pool", GlobalAvgPool()),
    ("out", Dense(num_classes)),
  )
