"""Records the tree of layers a model initialises, for :func:`fnn.summary` and :mod:`fnn.interop`.

Layers are closures, so a model cannot list its children. Instead, while
:func:`trace` runs ``model.init`` under ``jax.eval_shape`` (nothing is allocated), it
sets the observer that ``Layer.init`` consults (see :mod:`fnn.core`), and every
``layer.init`` call, however deeply nested, is recorded with its input and output
shapes. A child's place in the parameter tree is found by identity: a combinator puts
the params dict its child returned into its own params (``serial`` in a tuple,
``named_serial`` and ``residual`` in a dict), so the child's path is where that very
object sits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jax

from fnn.core import _INIT_OBSERVER, Layer, Shape, check_input_shape


class LayerNode:
  """One ``init`` call: a layer, where its params sit, and what it was given and gave.

  Attributes:
    layer: the Layer.
    path: its params' (and state's) path in the model's trees, a tuple of dict keys and
      tuple indices; ``None`` when the parent does not store them as they were returned.
    input_shape, output_shape: the shapes ``init`` saw and returned.
    params, state: trees of ``jax.ShapeDtypeStruct``.
    children: the nodes of the layers its ``init`` initialised, in call order.
  """

  def __init__(self, layer: Layer, input_shape):
    self.layer, self.input_shape = layer, input_shape
    self.path: tuple | None = None
    self.params = self.state = self.output_shape = None
    self.children: list[LayerNode] = []

  def walk(self, depth: int = 0):
    """Yields ``(node, depth)`` depth-first, parents before children."""
    yield self, depth
    for child in self.children:
      yield from child.walk(depth + 1)

  def leaves(self):
    """The nodes without children (the layers that compute), in call order."""
    return [node for node, _ in self.walk() if not node.children]


def _find(tree, target, path=()):
  """The path of ``target`` (by identity) inside a tree of dicts/tuples/lists, or None."""
  if tree is target:
    return path
  items: Iterable[tuple[Any, Any]]
  if isinstance(tree, dict):
    items = tree.items()
  elif isinstance(tree, (tuple, list)):
    items = enumerate(tree)
  else:
    return None
  for key, sub in items:
    found = _find(sub, target, path + (key,))
    if found is not None:
      return found
  return None


def _resolve_paths(node: LayerNode) -> None:
  """Sets every descendant's ``path`` from its parent's (while the containers are alive)."""
  taken = set()
  for child in node.children:
    rel = None
    if node.path is not None:
      for tree, own in ((node.params, child.params), (node.state, child.state)):
        # An empty {} of a stateless child can only be told apart by identity.
        rel = _find(tree, own)
        if rel is not None and (rel not in taken or rel == ()):
          break
        rel = None
    child.path = None if rel is None else node.path + rel
    if rel is not None:
      taken.add(rel)
    _resolve_paths(child)


def _collapse(node: LayerNode) -> None:
  """Merges a wrapper into its single child when the child's params are the wrapper's.

  E.g. ``mlp``'s inner ``named_serial`` or ``basic_block``'s ``serial``: the wrapper's
  row keeps its name and gets the child's children.
  """
  while len(node.children) == 1 and node.children[0].path == node.path and node.path is not None:
    node.children = node.children[0].children
  for child in node.children:
    _collapse(child)


def _as_shapes(tree):
  """The tree with ShapeDtypeStruct leaves, dicts kept in their order (jax.tree.map sorts)."""
  if isinstance(tree, dict):
    return {k: _as_shapes(v) for k, v in tree.items()}
  if isinstance(tree, (tuple, list)) and not hasattr(tree, "_fields"):
    return type(tree)(_as_shapes(v) for v in tree)
  return jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), tree)


def trace(model: Layer, input_shape: Shape) -> LayerNode:
  """Runs ``model.init`` abstractly and returns the root of the tree of layers.

  Args:
    model: any Layer.
    input_shape: as for ``model.init``.

  Returns:
    The model's :class:`LayerNode` (path ``()``), params and state as
    ``jax.ShapeDtypeStruct`` trees.
  """
  input_shape = check_input_shape(getattr(model, "name", "trace"), input_shape)
  top = LayerNode(model, input_shape)  # a sentinel: its one child is the model
  stack = [top]

  def observer(layer, init, key, shape):
    node = LayerNode(layer, shape)
    stack[-1].children.append(node)
    stack.append(node)
    try:
      node.params, node.state, node.output_shape = out = init(key, shape)
    finally:
      stack.pop()
    return out

  def run(key):
    token = _INIT_OBSERVER.set(observer)
    try:
      model.init(key, input_shape)
    finally:
      _INIT_OBSERVER.reset(token)
    root = top.children[0]
    root.path = ()
    _resolve_paths(root)
    for node, _ in root.walk():
      node.params, node.state = _as_shapes(node.params), _as_shapes(node.state)
    return 0

  jax.eval_shape(run, jax.random.key(0))
  root = top.children[0]
  _collapse(root)
  return root


def count(tree: Any) -> int:
  """The number of elements in the array leaves of a tree (of arrays or shapes)."""
  total = 0
  for leaf in jax.tree.leaves(tree):
    size = 1
    for d in leaf.shape:
      size *= int(d)
    total += size
  return total
