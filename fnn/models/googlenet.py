"""GoogLeNet (Szegedy et al. 2015): Inception modules in torchvision's layout."""

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from fnn.core import (
  _PATH_ERRORS,
  Layer,
  PyTree,
  Shape,
  ShapeError,
  _child_key,
  _reraise_with_path,
  check_input_shape,
  check_key,
  check_train,
  named_serial,
  serial,
)
from fnn.layers import BatchNorm, Conv, Dense, Dropout, GlobalAvgPool, MaxPool, Relu
from fnn.models._width import BN_MOMENTUM, check_num_classes, check_width, scaled


def conv_unit(
  features: int, kernel: int, *, stride: int = 1, padding: int = 0, batch_norm: bool = True
) -> Layer:
  """Torchvision's ``BasicConv2d``: ``conv (no bias) -> BatchNorm(eps 1e-3, momentum 0.9) -> ReLU``.

  Without ``batch_norm``: ``conv (with bias) -> ReLU``, as in the paper.

  Returns:
    A ``named_serial`` with children ``conv``, [``bn``,] ``relu``.
  """
  conv = Conv(features, (kernel, kernel), stride=stride, padding=padding, use_bias=not batch_norm)
  if not batch_norm:
    return named_serial(("conv", conv), ("relu", Relu()))
  return named_serial(
    ("conv", conv), ("bn", BatchNorm(momentum=BN_MOMENTUM, epsilon=1e-3)), ("relu", Relu())
  )


def concat_branches(*named_branches: tuple[str, Layer]) -> Layer:
  """Runs every branch on the same input and concatenates their outputs along channels.

  Returns:
    A Layer with params and state dicts keyed by the branch names. The branches'
    outputs must agree on every axis but the last.
  """
  labels = [label for label, _ in named_branches]
  name = f"concat_branches({', '.join(labels)})"

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name, allow_none=True)
    shape = check_input_shape(name, input_shape)
    params, states, outs = {}, {}, []
    for i, (label, layer) in enumerate(named_branches):
      try:
        params[label], states[label], out = layer.init(_child_key(key, i), shape)
      except _PATH_ERRORS as e:
        _reraise_with_path(e, f"{name} {label!r}:")
      outs.append(tuple(out))
    if len({out[:-1] for out in outs}) != 1:
      raise ShapeError(
        f"{name}: the branches' outputs must agree on all axes but the "
        f"channels, got {dict(zip(labels, outs, strict=False))}"
      )
    return params, states, outs[0][:-1] + (sum(out[-1] for out in outs),)

  def apply(
    params: PyTree,
    state: PyTree,
    x: Any,
    *,
    key: jax.Array | None = None,
    train: bool = False,
  ) -> tuple[Any, PyTree]:
    check_train(name, train)
    ys, new_states = [], {}
    for i, (label, layer) in enumerate(named_branches):
      try:
        y, new_states[label] = layer.apply(
          params[label], state[label], x, key=_child_key(key, i), train=train
        )
      except _PATH_ERRORS as e:
        _reraise_with_path(e, f"{name} {label!r}:")
      ys.append(y)
    return jnp.concatenate(ys, axis=-1), new_states

  return Layer(init, apply, name)


def inception_block(
  c1: int,
  c3_reduce: int,
  c3: int,
  c5_reduce: int,
  c5: int,
  pool_proj: int,
  *,
  c5_kernel: int = 5,
  batch_norm: bool = True,
) -> Layer:
  """An Inception module: four parallel branches concatenated along channels.

  ``branch1``: 1×1 conv to ``c1``; ``branch2``: 1×1 to ``c3_reduce`` then 3×3 to ``c3``;
  ``branch3``: 1×1 to ``c5_reduce`` then ``c5_kernel``×``c5_kernel`` to ``c5``;
  ``branch4``: 3×3 max-pool (stride 1) then 1×1 to ``pool_proj``. Every conv is a
  :func:`conv_unit` padded to keep the spatial size. The names and nesting are
  torchvision's (``branch2.1.conv.w`` is ``branch2.1.conv.weight`` there).

  The channel counts come in the order of the paper's Table 1 ("#1×1, #3×3 reduce, #3×3,
  #5×5 reduce, #5×5, pool proj").

  Args:
    c1: output channels of ``branch1``.
    c3_reduce: the 1×1 reduction before the 3×3 conv.
    c3: output channels of ``branch2``.
    c5_reduce: the 1×1 reduction before the "5×5" conv.
    c5: output channels of ``branch3``.
    pool_proj: output channels of ``branch4``.
    c5_kernel: kernel of the "5×5" branch: 5 as in the paper; torchvision's
      ``googlenet`` uses 3 (kept there for its pretrained weights).
    batch_norm: BatchNorm after every conv (torchvision) or not (the paper).

  Returns:
    A Layer ``(N, H, W, C) -> (N, H, W, c1 + c3 + c5 + pool_proj)``.
  """
  sizes = (c1, c3_reduce, c3, c5_reduce, c5, pool_proj)
  if not all(isinstance(c, int) and c >= 1 for c in sizes):
    raise ValueError(f"inception_block: channel counts must be positive ints, got {sizes!r}")
  if c5_kernel not in (3, 5):
    raise ValueError(
      f"inception_block: c5_kernel must be 5 (paper) or 3 (torchvision), got {c5_kernel!r}"
    )

  def unit(f: int, k: int) -> Layer:
    return conv_unit(f, k, padding=k // 2, batch_norm=batch_norm)

  return concat_branches(
    ("branch1", unit(c1, 1)),
    ("branch2", serial(unit(c3_reduce, 1), unit(c3, 3))),
    ("branch3", serial(unit(c5_reduce, 1), unit(c5, c5_kernel))),
    ("branch4", serial(MaxPool((3, 3), stride=1, padding="SAME"), unit(pool_proj, 1))),
  )


# torchvision's GoogLeNet: (name, channels) of each Inception module, "maxpool" between.
_INCEPTIONS: Sequence = (
  ("inception3a", (64, 96, 128, 16, 32, 32)),
  ("inception3b", (128, 128, 192, 32, 96, 64)),
  ("maxpool3", None),
  ("inception4a", (192, 96, 208, 16, 48, 64)),
  ("inception4b", (160, 112, 224, 24, 64, 64)),
  ("inception4c", (128, 128, 256, 24, 64, 64)),
  ("inception4d", (112, 144, 288, 32, 64, 64)),
  ("inception4e", (256, 160, 320, 32, 128, 128)),
  ("maxpool4", None),
  ("inception5a", (256, 160, 320, 32, 128, 128)),
  ("inception5b", (384, 192, 384, 48, 128, 128)),
)


def googlenet(
  num_classes: int = 1000, *, small: bool = False, width: float = 1.0, dropout: float = 0.2
) -> Layer:
  """GoogLeNet in torchvision's layout, without the auxiliary classifiers.

  ``conv1 7×7/2 -> maxpool -> conv2 1×1 -> conv3 3×3 -> maxpool -> inception 3a, 3b ->
  maxpool -> 4a..4e -> maxpool -> 5a, 5b -> global average pool -> Dropout -> fc``,
  each conv a :func:`conv_unit` (conv + BatchNorm + ReLU) and the "5×5" branches 3×3,
  as in torchvision. On 224×224×3 with 1000 classes it has torchvision's 6,624,904
  parameters; the children have torchvision's names (``conv1``, ``inception3a``, ...,
  ``fc``).

  torchvision pools with ``ceil_mode=True``; here the pools use ``'SAME'`` padding,
  which gives the same sizes for the even inputs a 224×224 image meets (112, 56, 28, 14).

  Args:
    num_classes: logits per example.
    small: the CIFAR-size (32×32) variant: the stem (conv1 to the second max-pool) is
      one 3×3 conv to 192 channels, so 32×32 reaches the 5b module as 8×8.
    width: multiplies every channel count (1.0: the published net).
    dropout: drop probability before ``fc``.

  Returns:
    A ``named_serial``: ``(N, H, W, C)`` -> ``(N, num_classes)``.
  """
  check_num_classes("googlenet", num_classes)
  w = check_width("googlenet", width)

  def c(n: int) -> int:
    return scaled(n, w)

  def pool(k: int) -> Layer:
    return MaxPool((k, k), stride=2, padding="SAME")

  if small:
    stem = [("conv1", conv_unit(c(192), 3, padding=1))]
  else:
    stem = [
      ("conv1", conv_unit(c(64), 7, stride=2, padding=3)),
      ("maxpool1", pool(3)),
      ("conv2", conv_unit(c(64), 1)),
      ("conv3", conv_unit(c(192), 3, padding=1)),
      ("maxpool2", pool(3)),
    ]
  body = [
    (
      label,
      pool(3 if label == "maxpool3" else 2)
      if sizes is None
      else inception_block(*(c(n) for n in sizes), c5_kernel=3),
    )
    for label, sizes in _INCEPTIONS
  ]
  return named_serial(
    *stem,
    *body,
    ("avgpool", GlobalAvgPool()),
    ("dropout", Dropout(dropout)),
    ("fc", Dense(num_classes)),
  )
