"""im2col: convolution as a matrix product, the way the course explains it.

On a CPU :func:`fnn.layers.Conv` runs as this followed by a matrix product, because
XLA:CPU's convolution gradients are slow inside loops (see
:func:`fnn.layers.conv.convolve`). Elsewhere it calls XLA's convolution
(``lax.conv_general_dilated``), which never builds the ``kh·kw``-times larger patch
matrix and picks an algorithm per device.
"""

import itertools
from collections.abc import Sequence

import jax
import jax.numpy as jnp

from fnn.core import ShapeError, check_array
from fnn.layers._spatial import (
  Padding,
  as_padding,
  as_tuple,
  dilated_window,
  explicit_padding,
  output_sizes,
)


def im2col(
  x: jax.Array,
  kernel: int | Sequence[int],
  stride: int | Sequence[int] = 1,
  padding: Padding = "VALID",
  dilation: int | Sequence[int] = 1,
) -> jax.Array:
  """The patches a convolution sees, one row of ``kh·kw·C`` values per output position.

  The row order is the kernel positions in row-major order, and the channels within
  each, which is the order of ``w.reshape(-1, out)`` for an HWIO kernel ``w``. So::

      im2col(x, w.shape[:-2], stride, padding, dilation) @ w.reshape(-1, out) + b

  equals ``Conv(out, w.shape[:-2], stride=stride, padding=padding,
  dilation=dilation)`` with params ``{'w': w, 'b': b}`` (``groups=1``).

  Args:
    x: ``(N, *spatial, C)`` with 1-3 spatial axes.
    kernel: window size, an int (every spatial axis) or one per spatial axis.
    stride: an int or one per spatial axis.
    padding: ``'VALID'`` (default), ``'SAME'``, an int, or ``(low, high)`` pairs, as
      :func:`fnn.layers.Conv`; the padding is zeros.
    dilation: kernel dilation, an int or one per spatial axis.

  Returns:
    ``(N, *spatial_out, prod(kernel)·C)``.

  Raises:
    ShapeError: for an input that is not ``(N, *1-3 spatial axes, C)``, or too small.

  Examples:
    >>> from fnn.layers import Conv
    >>> x = jnp.arange(2 * 5 * 5 * 3, dtype=jnp.float32).reshape(2, 5, 5, 3)
    >>> im2col(x, 3).shape, im2col(x, 3, padding="SAME").shape
    ((2, 3, 3, 27), (2, 5, 5, 27))
    >>> conv = Conv(4, (3, 3), padding="VALID")
    >>> p, s, _ = conv.init(jax.random.key(0), x.shape)
    >>> y, _ = conv.apply(p, s, x)
    >>> bool(jnp.allclose(im2col(x, 3) @ p["w"].reshape(-1, 4) + p["b"], y, rtol=1e-5, atol=1e-3))
    True
  """
  check_array("im2col", x)
  n = x.ndim - 2
  if n not in (1, 2, 3):
    raise ShapeError(f"im2col: expected x of rank 3, 4 or 5 (N, *spatial, C), got shape {x.shape}")
  kernel = as_tuple("im2col", "kernel", kernel, n)
  strides = as_tuple("im2col", "stride", stride, n)
  dilations = as_tuple("im2col", "dilation", dilation, n)
  window = dilated_window(kernel, dilations)
  pads = explicit_padding(as_padding("im2col", padding, n), x.shape[1:-1], window, strides)
  out = output_sizes("im2col", x.shape[1:-1], window, strides, pads)
  x = jnp.pad(x, ((0, 0),) + tuple(pads) + ((0, 0),))
  patches = []
  for offset in itertools.product(*(range(k) for k in kernel)):
    # The input pixels under kernel position `offset`, for every output position.
    index = tuple(
      slice(i * d, i * d + s * (o - 1) + 1, s)
      for i, d, s, o in zip(offset, dilations, strides, out, strict=False)
    )
    patches.append(x[(slice(None),) + index])
  return jnp.concatenate(patches, axis=-1)
