"""Receptive-field arithmetic for stacks of convolutions and pools."""

from collections.abc import Sequence
from typing import Any, NamedTuple

from fnn.core import Geometry, Layer
from fnn.layers._spatial import as_padding, explicit_padding, output_sizes


class FieldRow(NamedTuple):
  """One layer's geometry along one spatial axis.

  Attributes:
    name: the layer's name.
    size: output size n_out.
    jump: distance in input pixels between adjacent outputs, j_out.
    receptive_field: input pixels seen by one output, r_out.
    start: centre of the first output's field in input coordinates (0 = first pixel).
  """

  name: str
  size: int
  jump: int
  receptive_field: int
  start: float


def _window_along(layer: Layer, i: int, axis: int) -> tuple[str, int, int, Any]:
  """``(name, dilated kernel, stride, padding)`` of an fnn layer along ``axis``."""
  g = layer.geometry
  if not isinstance(g, Geometry):
    raise ValueError(
      f"receptive_field: layer {i} {layer.name} has no window geometry; "
      "only convolutions, pools and pointwise layers can be followed"
    )
  k = g.dilation[axis % len(g.dilation)] * (g.kernel[axis % len(g.kernel)] - 1) + 1
  pad = g.padding if isinstance(g.padding, str) else g.padding[axis % len(g.padding)]
  return layer.name, k, g.stride[axis % len(g.stride)], pad


def receptive_field(layers: Sequence, input_size: int, axis: int = 0) -> list[FieldRow]:
  """Output size, jump, receptive field and start of each layer, along one spatial axis.

  With n the size, j the jump, r the receptive field and s the start:
  ``n_out = floor((n_in + 2p - k) / s) + 1``, ``j_out = j_in · s``,
  ``r_out = r_in + (k - 1) · j_in``, ``start_out = start_in + ((k - 1)/2 - p) · j_in``
  (with unequal padding, p is the low side and n_out uses p_low + p_high). Padding
  is resolved as the layers themselves resolve it (``fnn.layers._spatial``).

  Args:
    layers: fnn layers (Conv, MaxPool, AvgPool give their window geometry; pointwise
      layers such as activations and BatchNorm pass through), or plain
      ``(kernel, stride, padding)`` tuples, or ``(name, kernel, stride, padding)``.
    input_size: the input's size along ``axis``.
    axis: which spatial axis to follow (for layers with per-axis geometry).

  Returns:
    A list of :class:`FieldRow`, the input first (n = input_size, j = 1, r = 1, start 0;
    coordinates are pixel indices, so the first input pixel is centred at 0).

  Raises:
    ValueError: for a layer without window geometry that is not pointwise (Dense,
      Flatten): the receptive field is not defined through it.
  """
  rows = [FieldRow("input", int(input_size), 1, 1, 0.0)]
  for i, layer in enumerate(layers):
    prev = rows[-1]
    if isinstance(layer, Layer) and layer.geometry == "pointwise":
      rows.append(prev._replace(name=layer.name))
      continue
    if isinstance(layer, Layer):
      name, k, s, pad = _window_along(layer, i, axis)
    else:
      spec = tuple(layer)
      name, (k, s, pad) = (spec[0], spec[1:]) if isinstance(spec[0], str) else (f"layer{i}", spec)
    one_axis = pad if isinstance(pad, (str, int)) else [pad]  # a (low, high) pair
    pads = explicit_padding(as_padding("receptive_field", one_axis, 1), (prev.size,), (k,), (s,))
    (size,) = output_sizes(f"receptive_field: {name}", (prev.size,), (k,), (s,), pads)
    lo = pads[0][0]
    rows.append(
      FieldRow(
        name,
        size,
        prev.jump * s,
        prev.receptive_field + (k - 1) * prev.jump,
        prev.start + ((k - 1) / 2 - lo) * prev.jump,
      )
    )
  return rows
