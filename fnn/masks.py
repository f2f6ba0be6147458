"""Masks and labels over a params pytree: what to decay, what to freeze.

Both follow optax's conventions, so they plug into optax as they are:

* :func:`decay_mask` ``(params) -> bools``: True for the leaves weight decay applies
  to. By structure, not by name: every leaf with ``ndim >= 2`` (weight matrices,
  conv kernels, embedding tables, stored patterns), never a bias or a norm's scale.
  It is the default of :func:`fnn.losses.l2_penalty` and fits ``optax.adamw``::

      optax.adamw(1e-3, weight_decay=1e-4, mask=fnn.masks.decay_mask)

  Replace it with any function of the same form (e.g. ``lambda p: jax.tree.map(
  lambda x: x.ndim >= 2 and x.shape[0] > 1, p)``).
* :func:`freeze` ``(*selectors) -> (params -> labels)``: the label tree of
  ``optax.multi_transform``, ``"frozen"`` under the named layers and ``"trainable"``
  elsewhere::

      optimizer = optax.multi_transform(
        {"trainable": optax.adam(1e-3), "frozen": optax.set_to_zero()},
        fnn.masks.freeze("fc1", "fc2"),
      )
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax

PyTree = Any

FROZEN = "frozen"
TRAINABLE = "trainable"


def decay_mask(params: PyTree) -> PyTree:
  """True for every leaf with ``ndim >= 2``: the leaves weight decay applies to.

  Args:
    params: a params pytree.

  Returns:
    A pytree of Python bools with the structure of ``params``.

  Examples:
    >>> params, _, _ = fnn.models.mlp(4, [8], 2).init(jax.random.key(0), (1, 4))
    >>> decay_mask(params)
    {'act1': {}, 'fc1': {'b': False, 'w': True}, 'out': {'b': False, 'w': True}}
  """
  return jax.tree.map(lambda x: len(getattr(x, "shape", ())) >= 2, params)


def _components(selector: str | int | Sequence[str | int], where: str) -> tuple[str, ...]:
  if isinstance(selector, str):
    parts = tuple(p for p in selector.split("/") if p)
  elif isinstance(selector, (tuple, list)):
    parts = tuple(str(p) for p in selector)
  else:
    raise TypeError(
      f"{where}: a selector is a layer name ('fc1'), a path ('encoder/fc1', "
      f"('encoder', 0)), got {type(selector).__name__} {selector!r}"
    )
  if not parts:
    raise ValueError(f"{where}: empty selector {selector!r}")
  return parts


def _key_name(entry: Any) -> str:
  for attr in ("key", "idx", "name"):
    if hasattr(entry, attr):
      return str(getattr(entry, attr))
  return str(entry)


def _matches(path: Sequence[str], parts: Sequence[str]) -> bool:
  k = len(parts)
  return any(tuple(path[i : i + k]) == tuple(parts) for i in range(len(path) - k + 1))


def freeze(*selectors: str | int | Sequence[str | int]) -> Callable[[PyTree], PyTree]:
  """The ``optax.multi_transform`` labels that freeze the layers ``selectors`` name.

  A selector is a layer name (a dict key of ``named_serial`` params, e.g. ``"fc1"``)
  or a path of keys, as ``"encoder/fc1"`` or ``("encoder", "fc1")``; tuple indices of
  ``serial`` params count as keys (``"0"`` or ``0``). A leaf is frozen when its path
  contains a selector's keys in a row, anywhere.

  Args:
    *selectors: the layers to freeze.

  Returns:
    ``labels(params)``: a pytree of ``"frozen"`` / ``"trainable"`` with the structure
    of ``params``, for ``optax.multi_transform(transforms, labels)``.

  Raises:
    ValueError: when called on params that a selector matches nowhere (a typo would
      otherwise train everything).

  Examples:
    >>> params, _, _ = fnn.models.mlp(4, [8], 2).init(jax.random.key(0), (1, 4))
    >>> freeze("fc1")(params)
    {'act1': {}, 'fc1': {'b': 'frozen', 'w': 'frozen'}, 'out': {'b': 'trainable', 'w': 'trainable'}}
    >>> optimizer = optax.multi_transform(
    ...   {"trainable": optax.adam(1e-3), "frozen": optax.set_to_zero()}, freeze("fc1")
    ... )
  """
  if not selectors:
    raise ValueError("masks.freeze: name at least one layer to freeze")
  wanted = [_components(s, "masks.freeze") for s in selectors]

  def labels(params: PyTree) -> PyTree:
    leaves, treedef = jax.tree_util.tree_flatten_with_path(params)
    paths = [tuple(_key_name(e) for e in path) for path, _ in leaves]
    for selector, parts in zip(selectors, wanted, strict=True):
      if not any(_matches(path, parts) for path in paths):
        names = sorted({p[0] for p in paths if p})
        raise ValueError(
          f"masks.freeze: {selector!r} names no parameter; the params' top-level keys are {names}"
        )
    out = [
      FROZEN if any(_matches(path, parts) for parts in wanted) else TRAINABLE for path in paths
    ]
    return jax.tree.unflatten(treedef, out)

  return labels
