"""A model summary: one row per layer with its output shape and parameter count.

``fnn.summary(model, input_shape)`` is fnn's ``model.summary()`` / ``tabulate`` /
torchinfo. It initialises the model under ``jax.eval_shape``, so a 138M-parameter
VGG-16 is summarised without allocating a single weight.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from fnn._trace import count, trace
from fnn.core import Layer, Shape


class SummaryRow(NamedTuple):
  """One layer of a :class:`Summary`.

  Attributes:
    path: where the layer's params sit in the model's params, keys joined by ``.``
      (``'features.0'``, ``'conv1'``; ``''`` for the model itself; ``'?'`` when the
      parent stores them in a form of its own).
    name: the layer's repr, e.g. ``Conv(64, kernel_size=(3, 3))``.
    depth: nesting depth (0 for the model).
    output_shape: the shape ``init`` returned (a tuple, or a structure of tuples).
    params: parameters (elements) of this layer, its children's included.
    state: state elements (BatchNorm running statistics) likewise.
    leaf: whether the layer has no child layers.
  """

  path: str
  name: str
  depth: int
  output_shape: Any
  params: int
  state: int
  leaf: bool


def _path_str(path: Any) -> str:
  return "?" if path is None else ".".join(str(k) for k in path)


def _short(name: str, limit: int = 48) -> str:
  """A composite's repr lists all of its children; keep the table narrow."""
  if len(name) <= limit:
    return name
  head = name.split("(", 1)[0]
  return f"{head}(…)" if len(head) + 3 <= limit else name[: limit - 1] + "…"


class Summary(NamedTuple):
  """The rows of :func:`summary` and the totals; ``str()`` gives a readable table.

  Attributes:
    rows: the :class:`SummaryRow` s, parents before their children. A parent's
      counts include its children's, so the totals are the sum over the ``leaf`` rows.
    total_params: parameters of the whole model.
    total_state: state elements of the whole model.
    input_shape: the input shape summarised.
  """

  rows: list
  total_params: int
  total_state: int
  input_shape: Any

  def __str__(self) -> str:
    header = ("path", "layer", "output shape", "params", "state")
    table = [
      (
        r.path,
        "  " * r.depth + _short(r.name),
        str(r.output_shape),
        f"{r.params:,}",
        f"{r.state:,}",
      )
      for r in self.rows
    ]
    widths = [max(len(row[i]) for row in [header] + table) for i in range(5)]
    align = ("<", "<", "<", ">", ">")

    def fmt(row: tuple) -> str:
      return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(row, align, widths, strict=False)).rstrip()

    rule = "-" * len(fmt(tuple("-" * w for w in widths)))
    lines = [
      f"input shape {self.input_shape}",
      fmt(header),
      rule,
      *map(fmt, table),
      rule,
      f"total params: {self.total_params:,}",
      f"total state: {self.total_state:,}",
    ]
    return "\n".join(lines)


def summary(model: Layer, input_shape: Shape) -> Summary:
  """Summarises ``model`` for inputs of ``input_shape``, without allocating it.

  Every layer the model initialises gets a row, through any combinator (``serial``,
  ``named_serial``, ``parallel``, ``residual``, the models' own wrappers), recurrent
  and Hopfield layers included.

  Examples:
    >>> print(fnn.summary(fnn.models.mlp(64, [32], 10), (1, 64)))
    input shape (1, 64)
    path  layer              output shape  params  state
    ----------------------------------------------------
          mlp(64, [32], 10)  (1, 10)        2,410      0
    fc1     Dense(32)        (1, 32)        2,080      0
    act1    Relu()           (1, 32)            0      0
    out     Dense(10)        (1, 10)          330      0
    ----------------------------------------------------
    total params: 2,410
    total state: 0
    >>> fnn.summary(fnn.models.lenet5(), (1, 28, 28, 1)).total_params
    61706

    ``fnn.summary(fnn.models.vgg(16), (1, 224, 224, 3)).total_params`` is 138357544.

  Args:
    model: any Layer.
    input_shape: as for ``model.init`` (batch axis included).

  Returns:
    A :class:`Summary`.
  """
  root = trace(model, input_shape)
  rows = [
    SummaryRow(
      _path_str(node.path),
      node.layer.name,
      depth,
      node.output_shape,
      count(node.params),
      count(node.state),
      not node.children,
    )
    for node, depth in root.walk()
  ]
  return Summary(rows, count(root.params), count(root.state), tuple(input_shape))
