"""Convolutions over 1, 2 or 3 spatial axes, channels-last."""

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax
from jax.typing import DTypeLike

from fnn import initializers
from fnn.core import (
  Layer,
  PyTree,
  Shape,
  ShapeError,
  check_array,
  check_floating,
  check_input_shape,
  check_key,
  check_train,
  param_checker,
)
from fnn.initializers import Initializer
from fnn.layers._spatial import (
  Padding,
  as_padding,
  as_tuple,
  dilated_window,
  explicit_padding,
  geometry,
  output_sizes,
  spatial_rank,
  window_rank,
)
from fnn.layers.im2col import im2col

_LAYOUT = {1: ("NWC", "WIO", "NWC"), 2: ("NHWC", "HWIO", "NHWC"), 3: ("NDHWC", "DHWIO", "NDHWC")}
# On a CPU, Conv is im2col and a matrix product while the patches take at most this many
# bytes; bigger ones, grouped convolutions and other backends use XLA's convolution.
IM2COL_MAX_BYTES = 1 << 28


def convolve(
  x: jax.Array,
  w: jax.Array,
  strides: Sequence[int],
  pads: Sequence[tuple[int, int]],
  dilations: Sequence[int],
  groups: int = 1,
  input_dilation: Sequence[int] | None = None,
) -> jax.Array:
  """``Conv``'s linear map: ``x (N, *spatial, C)`` with ``w (*kernel, C // groups, F)``.

  ``input_dilation`` spreads the input's pixels apart first (``lax``'s ``lhs_dilation``,
  how :func:`ConvTranspose` upsamples); ``pads`` may then be negative.

  XLA:CPU runs the gradient of a convolution inside a loop body — the ``lax.scan`` of
  every ``fnn.train`` epoch — with a naive kernel, 5-30x slower than the same gradient
  outside a loop (jax-ml/jax#12868). im2col followed by a matrix product is as fast as
  XLA's convolution outside loops and stays so inside them (a LeNet-5 step in a scan:
  2.7 ms against 13.0 ms; a small GoogLeNet's: 0.26 s against 1.57 s), so on a CPU that
  is what runs, unless the patch matrix would exceed ``IM2COL_MAX_BYTES``.

  Returns:
    ``(N, *out_spatial, F)``.
  """
  n = w.ndim - 2
  spread = tuple(input_dilation or (1,) * n)
  sizes = [(i - 1) * d + 1 for i, d in zip(x.shape[1:-1], spread, strict=True)]
  out = output_sizes("Conv", sizes, dilated_window(w.shape[:-2], dilations), strides, pads)
  patch_bytes = x.shape[0] * math.prod(out) * math.prod(w.shape[:-1]) * x.dtype.itemsize
  if groups == 1 and patch_bytes <= IM2COL_MAX_BYTES and jax.default_backend() == "cpu":
    if any(d > 1 for d in spread) or any(p < 0 for pair in pads for p in pair):
      # lax.pad takes negative and interior padding, which im2col's jnp.pad does not.
      spacing = tuple((lo, hi, d - 1) for (lo, hi), d in zip(pads, spread, strict=True))
      x = lax.pad(x, jnp.zeros((), x.dtype), ((0, 0, 0), *spacing, (0, 0, 0)))
      pads = ((0, 0),) * n
    return im2col(x, w.shape[:-2], strides, pads, dilations) @ w.reshape(-1, w.shape[-1])
  return lax.conv_general_dilated(
    x,
    w,
    window_strides=strides,
    padding=pads,
    lhs_dilation=spread,
    rhs_dilation=dilations,
    dimension_numbers=_LAYOUT[n],
    feature_group_count=groups,
  )


def _transpose_pads(
  pad: Any, kernel: Sequence[int], strides: Sequence[int], dilations: Sequence[int]
) -> tuple:
  """The padding ``lax.conv_transpose`` gives its dilated input (as its own helper does)."""
  if not isinstance(pad, str):
    return tuple(pad)
  pads = []
  for k, s in zip(dilated_window(kernel, dilations), strides, strict=True):
    if pad == "SAME":
      length = k + s - 2
      low = k - 1 if s > k - 1 else math.ceil(length / 2)
    else:
      length = k + s - 2 + max(k - s, 0)
      low = k - 1
    pads.append((low, length - low))
  return tuple(pads)


def _check_channels(name: str, x: jax.Array, cin: int) -> None:
  if x.shape[-1] != cin:
    raise ShapeError(
      f"{name}: expected x[..., {cin}] ({cin} input channels, last axis), got shape {x.shape}"
    )


def Conv(
  features: int,
  kernel_size: int | Sequence[int],
  *,
  stride: int | Sequence[int] = 1,
  padding: Padding = "SAME",
  dilation: int | Sequence[int] = 1,
  groups: int = 1,
  use_bias: bool = True,
  w_init: Initializer = initializers.lecun_normal,
  b_init: Initializer = initializers.zeros,
  dtype: DTypeLike = jnp.float32,
) -> Layer:
  """A convolution (cross-correlation, as in every deep-learning library).

  Args:
    features: output channels.
    kernel_size: a tuple of 1-3 ints (its length is the number of spatial axes), or
      an int used for every spatial axis of the input (1-D, 2-D or 3-D by input rank).
    stride: an int or one per spatial axis.
    padding: ``'SAME'`` (default), ``'VALID'``, an int (both sides of every axis), or
      a ``(low, high)`` pair per spatial axis.
    dilation: kernel dilation, an int or one per spatial axis.
    groups: feature groups; input and output channels must both be divisible by it
      (``groups == in_channels`` is a depthwise convolution).
    use_bias: whether to add ``b``.
    w_init: the kernel's initializer (default ``lecun_normal``).
    b_init: the bias's initializer (default ``zeros``).
    dtype: parameter dtype.

  Params:
    ``{'w': (*kernel_size, in // groups, features), 'b': (features,)}`` (HWIO).

  Input ``(N, *spatial, in)``; output ``(N, *spatial_out, features)`` with, per
  axis, ``n_out = floor((n_in + p_lo + p_hi - d·(k-1) - 1) / s) + 1``.
  """
  if not isinstance(features, int) or features < 1:
    raise ValueError(f"Conv: features must be a positive int, got {features!r}")
  fixed = window_rank("Conv", "kernel_size", kernel_size)
  if not isinstance(groups, int) or groups < 1 or features % groups:
    raise ValueError(
      f"Conv: groups must be a positive int dividing features={features}, got {groups!r}"
    )
  name = f"Conv({features}, kernel_size={kernel_size!r})"

  def spec(n: int) -> tuple:
    kernel = as_tuple("Conv", "kernel_size", kernel_size, n)
    strides = as_tuple("Conv", "stride", stride, n)
    dilations = as_tuple("Conv", "dilation", dilation, n)
    window = dilated_window(kernel, dilations)
    return kernel, strides, dilations, window, as_padding("Conv", padding, n)

  # Validate the hyper-parameters now, when the layer is built.
  kernel0, strides0, dil0, _, pad0 = spec(fixed or 1)

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name)
    assert key is not None  # check_key raised otherwise
    shape = check_input_shape(name, input_shape)
    n = spatial_rank(name, shape, fixed)
    kernel, strides, _, window, pad = spec(n)
    cin = shape[-1]
    if cin % groups:
      raise ShapeError(f"{name}: {cin} input channels are not divisible by groups={groups}")
    pads = explicit_padding(pad, shape[1:-1], window, strides)
    out = output_sizes(name, shape[1:-1], window, strides, pads)
    kw, kb = jax.random.split(key)
    params = {"w": w_init(kw, kernel + (cin // groups, features), dtype)}
    if use_bias:
      params["b"] = b_init(kb, (features,), dtype)
    return params, {}, (shape[0],) + out + (features,)

  check_params = param_checker(name, init)

  def apply(
    params: PyTree,
    state: PyTree,
    x: Any,
    *,
    key: jax.Array | None = None,
    train: bool = False,
  ) -> tuple[Any, PyTree]:
    check_train(name, train)
    check_array(name, x)
    n = spatial_rank(name, x.shape, params["w"].ndim - 2)
    _check_channels(name, x, params["w"].shape[-2] * groups)
    check_floating(name, x)
    check_params(params, x.shape)
    _, strides, dilations, window, pad = spec(n)
    pads = explicit_padding(pad, x.shape[1:-1], window, strides)
    y = convolve(x, params["w"], strides, pads, dilations, groups)
    if use_bias:
      y = y + params["b"]
    return y, state

  return Layer(init, apply, name, geometry(kernel0, strides0, pad0, dil0))


def ConvTranspose(
  features: int,
  kernel_size: int | Sequence[int],
  *,
  stride: int | Sequence[int] = 1,
  padding: Padding = "SAME",
  dilation: int | Sequence[int] = 1,
  use_bias: bool = True,
  w_init: Initializer = initializers.lecun_normal,
  b_init: Initializer = initializers.zeros,
  dtype: DTypeLike = jnp.float32,
) -> Layer:
  """A transposed convolution (the gradient of a strided conv), as ``flax.linen.ConvTranspose``.

  Computed as ``lax.conv_transpose`` on an un-flipped kernel (flax's default
  ``transpose_kernel=False``), through :func:`convolve` (im2col on a CPU). With
  ``padding='SAME'`` the output spatial size is ``n_in · stride``; with ``'VALID'`` it
  is ``(n_in - 1) · stride + k``.

  Args:
    features: output channels.
    kernel_size: a tuple of 1-3 ints, or an int for every spatial axis of the input.
    stride: the upsampling factor, an int or one per spatial axis.
    padding: ``'SAME'``, ``'VALID'`` or explicit ``(low, high)`` pairs (as lax).
    dilation: kernel dilation.
    use_bias: as :func:`Conv`.
    w_init: as :func:`Conv`.
    b_init: as :func:`Conv`.
    dtype: as :func:`Conv`.

  Params:
    ``{'w': (*kernel_size, in, features), 'b': (features,)}``.
  """
  if not isinstance(features, int) or features < 1:
    raise ValueError(f"ConvTranspose: features must be a positive int, got {features!r}")
  fixed = window_rank("ConvTranspose", "kernel_size", kernel_size)
  name = f"ConvTranspose({features}, kernel_size={kernel_size!r})"

  def spec(n: int) -> tuple:
    return (
      as_tuple("ConvTranspose", "kernel_size", kernel_size, n),
      as_tuple("ConvTranspose", "stride", stride, n),
      as_tuple("ConvTranspose", "dilation", dilation, n),
      as_padding("ConvTranspose", padding, n),
    )

  spec(fixed or 1)

  def _apply(params: PyTree, x: jax.Array) -> jax.Array:
    n = x.ndim - 2
    _, strides, dilations, pad = spec(n)
    pads = _transpose_pads(pad, params["w"].shape[:-2], strides, dilations)
    y = convolve(x, params["w"], (1,) * n, pads, dilations, input_dilation=strides)
    if use_bias:
      y = y + params["b"]
    return y

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name)
    assert key is not None  # check_key raised otherwise
    shape = check_input_shape(name, input_shape)
    n = spatial_rank(name, shape, fixed)
    kernel = spec(n)[0]
    kw, kb = jax.random.split(key)
    params = {"w": w_init(kw, kernel + (shape[-1], features), dtype)}
    if use_bias:
      params["b"] = b_init(kb, (features,), dtype)
    out = jax.eval_shape(_apply, params, jax.ShapeDtypeStruct(shape, dtype)).shape
    if min(out[1:-1]) < 1:
      raise ShapeError(f"{name}: input {shape} gives an empty output {out}")
    return params, {}, tuple(out)

  check_params = param_checker(name, init)

  def apply(
    params: PyTree,
    state: PyTree,
    x: Any,
    *,
    key: jax.Array | None = None,
    train: bool = False,
  ) -> tuple[Any, PyTree]:
    check_train(name, train)
    check_array(name, x)
    spatial_rank(name, x.shape, params["w"].ndim - 2)
    _check_channels(name, x, params["w"].shape[-2])
    check_floating(name, x)
    check_params(params, x.shape)
    return _apply(params, x), state

  return Layer(init, apply, name)
