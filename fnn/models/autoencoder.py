"""Autoencoders: encoder and decoder builders (dense and convolutional) and their pair.

An autoencoder is ``named_serial(("encoder", encoder), ("decoder", decoder))``, so its
params are ``{'encoder': ..., 'decoder': ...}`` and the code of an input is
``encoder.apply(params['encoder'], state['encoder'], x)``. Train it on a
reconstruction loss, e.g. ``fnn.losses.binary_cross_entropy_with_logits`` on the
decoder's logits (``output_activation=None``) or ``mean_squared_error`` on its
sigmoid output.

Examples:
  >>> model = autoencoder(dense_encoder(64, [128], 2), dense_decoder(2, [128], 64))
  >>> params, state, out_shape = model.init(jax.random.key(0), (1, 64))
  >>> x = jnp.linspace(0, 1, 5 * 64).reshape(5, 64)
  >>> recon, _ = model.apply(params, state, x)
  >>> recon.shape, bool(((recon > 0) & (recon < 1)).all())
  ((5, 64), True)
  >>> jax.tree.map(jnp.shape, params["encoder"]["code"])
  {'b': (2,), 'w': (128, 2)}
"""

from collections.abc import Callable, Sequence

import jax

from fnn import initializers
from fnn.core import Layer, PyTree, Shape, ShapeError, named_serial
from fnn.initializers import Initializer
from fnn.layers import Conv, ConvTranspose, Dense, Flatten, Relu, Reshape, Sigmoid


def _positive_ints(where: str, name: str, values: Sequence[int]) -> list[int]:
  values = list(values)
  if not all(isinstance(v, int) and v >= 1 for v in values):
    raise ValueError(f"{where}: {name} must be positive ints, got {values!r}")
  return values


def dense_encoder(
  in_features: int,
  hidden: Sequence[int],
  code_size: int,
  *,
  activation: Callable[[], Layer] = Relu,
  w_init: Initializer = initializers.lecun_normal,
) -> Layer:
  """``Dense -> activation`` per hidden size, then a linear ``Dense(code_size)``.

  Args:
    in_features: input width (checked at init; input ``(N, in_features)``).
    hidden: hidden sizes, e.g. ``[128]``.
    code_size: size of the code (output ``(N, code_size)``).
    activation: a layer constructor for the hidden layers.
    w_init: weight initializer.

  Returns:
    A ``named_serial`` with children ``fc1, act1, ..., code``.
  """
  where = f"dense_encoder({in_features}, {list(hidden)}, {code_size})"
  _positive_ints(where, "in_features, hidden and code_size", [in_features, *hidden, code_size])
  children = []
  for i, h in enumerate(hidden, start=1):
    children += [(f"fc{i}", Dense(h, w_init=w_init)), (f"act{i}", activation())]
  children.append(("code", Dense(code_size, w_init=w_init)))
  inner = named_serial(*children)

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    if len(input_shape) != 2 or input_shape[-1] != in_features:
      raise ShapeError(
        f"{where}: expected input (N, {in_features}), got shape {tuple(input_shape)}"
      )
    return inner.init(key, input_shape)

  return Layer(init, inner.apply, where)


def dense_decoder(
  code_size: int,
  hidden: Sequence[int],
  out_features: int,
  *,
  activation: Callable[[], Layer] = Relu,
  output_activation: Callable[[], Layer] | None = Sigmoid,
  w_init: Initializer = initializers.lecun_normal,
) -> Layer:
  """A dense decoder (or encoder): an MLP from the code.

  ``Dense -> activation`` per hidden size, then ``Dense(out_features)`` and
  ``output_activation`` (``Sigmoid`` for data in [0, 1]; ``None`` to output logits).

  Returns:
    A ``named_serial`` with children ``fc1, act1, ..., out[, out_act]``; input
    ``(N, code_size)``, output ``(N, out_features)``.
  """
  where = f"dense_decoder({code_size}, {list(hidden)}, {out_features})"
  _positive_ints(where, "code_size, hidden and out_features", [code_size, *hidden, out_features])
  children = []
  for i, h in enumerate(hidden, start=1):
    children += [(f"fc{i}", Dense(h, w_init=w_init)), (f"act{i}", activation())]
  children.append(("out", Dense(out_features, w_init=w_init)))
  if output_activation is not None:
    children.append(("out_act", output_activation()))
  return named_serial(*children)


def conv_encoder(
  image_shape: Sequence[int],
  channels: Sequence[int],
  code_size: int,
  *,
  kernel_size: int = 3,
  activation: Callable[[], Layer] = Relu,
) -> Layer:
  """A convolutional encoder.

  Stride-2 ``Conv -> activation`` per entry of ``channels``, then ``Flatten`` and a
  linear ``Dense(code_size)``. Each conv halves the height and width (``'SAME'``).

  Args:
    image_shape: ``(H, W, C)`` of one input image; H and W must be divisible by
      ``2 ** len(channels)`` so :func:`conv_decoder` can mirror the encoder exactly.
    channels: output channels per conv, e.g. ``[16, 32]``.
    code_size: size of the code.
    kernel_size: conv kernel size.
    activation: a layer constructor after each conv.

  Returns:
    A ``named_serial`` ``conv1, act1, ..., flatten, code``: ``(N, H, W, C)`` -> ``(N, code_size)``.
  """
  _height, _width, _ = _check_image(f"conv_encoder{tuple(image_shape)}", image_shape, channels)
  children = []
  for i, ch in enumerate(channels, start=1):
    children += [(f"conv{i}", Conv(ch, kernel_size, stride=2)), (f"act{i}", activation())]
  children += [("flatten", Flatten()), ("code", Dense(code_size))]
  return named_serial(*children)


def conv_decoder(
  code_size: int,
  image_shape: Sequence[int],
  channels: Sequence[int],
  *,
  kernel_size: int = 3,
  activation: Callable[[], Layer] = Relu,
  output_activation: Callable[[], Layer] | None = Sigmoid,
) -> Layer:
  """A convolutional decoder, the mirror of :func:`conv_encoder`.

  The mirror of :func:`conv_encoder`: ``Dense`` to an ``(H/2^L, W/2^L, channels[0])``
  map, then stride-2 ``ConvTranspose -> activation`` through ``channels[1:]``, a last
  stride-2 ``ConvTranspose`` to the image's C channels and ``output_activation``.

  Args:
    code_size: size of the code (input ``(N, code_size)``).
    image_shape: ``(H, W, C)`` of the output images.
    channels: channels of the feature maps from the top, e.g. ``[32, 16]`` (the encoder's
      reversed); there are ``len(channels)`` upsampling steps.
    kernel_size: kernel size of the transposed convolutions.
    activation: a layer constructor after each hidden transposed convolution.
    output_activation: ``Sigmoid`` (default) or ``None`` for logits.

  Returns:
    A ``named_serial``: ``(N, code_size)`` -> ``(N, H, W, C)``.
  """
  height, width, n_channels = _check_image(
    f"conv_decoder{tuple(image_shape)}", image_shape, channels
  )
  scale = 2 ** len(channels)
  top = (height // scale, width // scale, channels[0])
  children = [
    ("fc", Dense(top[0] * top[1] * top[2])),
    ("act0", activation()),
    ("reshape", Reshape(top)),
  ]
  for i, ch in enumerate(channels[1:], start=1):
    children += [
      (f"deconv{i}", ConvTranspose(ch, kernel_size, stride=2)),
      (f"act{i}", activation()),
    ]
  children.append(("out", ConvTranspose(n_channels, kernel_size, stride=2)))
  if output_activation is not None:
    children.append(("out_act", output_activation()))
  return named_serial(*children)


def _check_image(where: str, image_shape: Sequence[int], channels: Sequence[int]) -> tuple:
  shape = tuple(image_shape)
  if len(shape) != 3:
    raise ShapeError(f"{where}: image_shape must be (H, W, C), got {shape!r}")
  _positive_ints(where, "image_shape", shape)
  _positive_ints(where, "channels", channels)
  if not channels:
    raise ValueError(f"{where}: channels must name at least one conv layer")
  scale = 2 ** len(channels)
  if shape[0] % scale or shape[1] % scale:
    raise ShapeError(
      f"{where}: height and width must be divisible by 2^{len(channels)} = "
      f"{scale} for {len(channels)} stride-2 layers, got {shape[:2]}"
    )
  return shape


def autoencoder(encoder: Layer, decoder: Layer) -> Layer:
  """``named_serial(("encoder", encoder), ("decoder", decoder))``: input -> reconstruction.

  Returns:
    A Layer with params ``{'encoder': ..., 'decoder': ...}``.
  """
  return named_serial(("encoder", encoder), ("decoder", decoder))
