"""Weight exchange with PyTorch: fnn params/state <-> a torch ``state_dict``.

torch is optional: it is imported only when a function here needs it.

Per layer (fnn params -> torch module's state_dict entries):

- ``Dense`` ``{w (in, out), b}`` <-> ``Linear``: ``weight = w.T``, ``bias = b``.
- ``Conv`` ``{w (*k, in/groups, out), b}`` (HWIO) <-> ``Conv{1,2,3}d``: ``weight (out,
  in/groups, *k)`` (OIHW), ``bias``.
- ``ConvTranspose`` ``{w (*k, in, out), b}``, applied unflipped <->
  ``ConvTranspose{1,2,3}d``: ``weight (in, out, *k)``, spatially flipped (1).
- ``BatchNorm`` ``{scale, b}``, state ``{mean, var}`` <-> ``weight``, ``bias``,
  ``running_mean``, ``running_var``, ``num_batches_tracked``.
- ``LayerNorm`` ``{scale, b}`` <-> ``weight``, ``bias``.
- ``Embedding`` ``{embedding (num, features)}`` <-> ``weight``.
- ``RNN(LSTMCell)`` ``{w_i (F, 4H), w_h (H, 4H), b}`` <-> ``LSTM``: ``weight_ih_l0 =
  w_i.T``, ``weight_hh_l0 = w_h.T``, ``bias_ih_l0 = b``, ``bias_hh_l0 = 0``.
- ``RNN(GRUCell)`` ``{w_i, w_h, b_i, b_h}`` <-> ``GRU``: the weights transposed,
  ``bias_ih_l0 = b_i``, ``bias_hh_l0 = b_h``.
- ``RNN(SimpleRNNCell)`` ``{w_i, w_h, b}`` <-> ``RNN`` (tanh), as the LSTM.
- ``Bidirectional(cell)`` ``{forward, backward}`` <-> one bidirectional module: the
  ``..._l0`` and ``..._l0_reverse`` entries.

(1) The weights transfer exactly. fnn's ``padding='VALID'`` is torch's ``padding=0``;
``'SAME'`` (output ``n · stride``) is torch's ``padding=(k - stride) // 2,
output_padding=stride + 2 · padding - k`` when ``k - stride`` is even. When it is odd
(k = 3, stride 2) XLA crops the extra row at the end and torch at the start, so
outputs differ by a shift: use explicit padding on one side or the other.

The gate order of fnn's LSTM (i, f, g, o) and GRU (r, z, n) is PyTorch's, so the gate
blocks need no reordering, only the transpose. An LSTM's two torch biases are summed
on import (fnn has one); on export the sum goes to ``bias_ih_l0`` and ``bias_hh_l0`` is
zero. ``num_batches_tracked`` is written as 0 and ignored on import. Only
single-layer, ``batch_first=True`` recurrent modules correspond to one fnn RNN.

Whole models are matched layer by layer. The fnn layers that hold parameters or state
are taken in the order their ``init`` runs (depth-first, as :func:`fnn.summary` lists
them). Each is paired with a torch module prefix:

1. ``names=None`` (default): the prefix is the layer's path in the params tree, keys
   joined by ``.``: ``named_serial`` names and ``serial`` indices, as ``nn.Module``
   attributes and ``nn.Sequential`` indices are named. ``alexnet``, ``googlenet`` and
   ``lenet5`` mirror their torch counterparts this way (see their docstrings).
2. ``names=[prefix, ...]``: the i-th fnn layer holding parameters gets the i-th prefix,
   e.g. ``module_prefixes(torch_model.state_dict())``. With ``names="order"``,
   :func:`from_torch_state_dict` does this with the state_dict it is given.
3. ``names={fnn_path: prefix}``: an explicit map (paths as ``summary`` prints them);
   unmapped layers keep rule 1.

A ``Dense`` whose input comes from a ``Flatten`` of an ``(N, *spatial, C)`` map (with
only pointwise layers, such as ``Dropout`` or an activation, between them) has its
rows permuted from fnn's channels-last flattening order to torch's channels-first one,
so a CNN's first fully connected layer transfers as it is. Inputs are still the user's
to transpose (``(N, H, W, C)`` here, ``(N, C, H, W)`` in torch).

Every key is checked: a missing, extra or wrongly shaped entry raises, naming the key,
the fnn layer and both shapes.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from fnn._trace import LayerNode, trace
from fnn.core import Layer, Shape, ShapeError

Names = None | str | Sequence[str] | Mapping[str, str]


def _constructor(name: str) -> str:
  return name.split("(", 1)[0]


def _kind(node: LayerNode) -> str:
  """``'Dense'``, ``'Conv'``, ..., ``'RNN:LSTMCell'``, ``'Bidirectional:GRUCell'``."""
  name = node.layer.name
  kind = _constructor(name)
  if kind in ("RNN", "Bidirectional"):
    kind += ":" + _constructor(name[len(kind) + 1 :])
  return kind


# ----------------------------------------------------------------------------
# Per-layer layout conversions, on numpy arrays. Each ``_to_*`` maps fnn (params, state)
# to {torch name: array}; each ``_from_*`` maps {torch name: array} back.


def _flatten_order(node, w, to_torch):
  """Permutes a Dense's rows between (*spatial, C) and (C, *spatial) flattening order."""
  spatial_c = getattr(node, "flattened_from", None)
  if spatial_c is None:
    return w
  n = len(spatial_c) - 1
  if to_torch:
    return w.reshape(*spatial_c, -1).transpose(n, *range(n), n + 1).reshape(w.shape)
  c_spatial = (spatial_c[-1],) + tuple(spatial_c[:-1])
  return w.reshape(*c_spatial, -1).transpose(*range(1, n + 1), 0, n + 1).reshape(w.shape)


def _dense_to(node, p, s):
  out = {"weight": _flatten_order(node, p["w"], True).T}
  if "b" in p:
    out["bias"] = p["b"]
  return out


def _dense_from(node, t):
  p = {"w": _flatten_order(node, t["weight"].T, False)}
  if "bias" in t:
    p["b"] = t["bias"]
  return p, {}


def _conv_to(node, p, s):
  n = p["w"].ndim - 2
  out = {"weight": p["w"].transpose(n + 1, n, *range(n))}
  if "b" in p:
    out["bias"] = p["b"]
  return out


def _conv_from(node, t):
  n = t["weight"].ndim - 2
  p = {"w": t["weight"].transpose(*range(2, n + 2), 1, 0)}
  if "bias" in t:
    p["b"] = t["bias"]
  return p, {}


def _conv_transpose_to(node, p, s):
  n = p["w"].ndim - 2
  flipped = np.flip(p["w"], axis=tuple(range(n)))
  out = {"weight": flipped.transpose(n, n + 1, *range(n))}
  if "b" in p:
    out["bias"] = p["b"]
  return out


def _conv_transpose_from(node, t):
  n = t["weight"].ndim - 2
  w = t["weight"].transpose(*range(2, n + 2), 0, 1)
  p = {"w": np.flip(w, axis=tuple(range(n)))}
  if "bias" in t:
    p["b"] = t["bias"]
  return p, {}


_NORM_NAMES = (("scale", "weight"), ("b", "bias"))


def _norm_to(node, p, s):
  out = {torch: p[fnn] for fnn, torch in _NORM_NAMES if fnn in p}
  if s:
    out.update(
      running_mean=s["mean"], running_var=s["var"], num_batches_tracked=np.zeros((), np.int64)
    )
  return out


def _norm_from(node, t):
  p = {fnn: t[torch] for fnn, torch in _NORM_NAMES if torch in t}
  s = {"mean": t["running_mean"], "var": t["running_var"]} if "running_mean" in t else {}
  return p, s


def _embedding_to(node, p, s):
  return {"weight": p["embedding"]}


def _embedding_from(node, t):
  return {"embedding": t["weight"]}, {}


def _cell_to(p, suffix=""):
  out = {f"weight_ih_l0{suffix}": p["w_i"].T, f"weight_hh_l0{suffix}": p["w_h"].T}
  if "b" in p:  # LSTM, simple RNN: one bias, all of it on the input side
    out[f"bias_ih_l0{suffix}"] = p["b"]
    out[f"bias_hh_l0{suffix}"] = np.zeros_like(p["b"])
  else:  # GRU: b_hn sits inside r * (.), so both biases are kept
    out[f"bias_ih_l0{suffix}"] = p["b_i"]
    out[f"bias_hh_l0{suffix}"] = p["b_h"]
  return out


def _cell_from(t, fnn_keys, suffix=""):
  p = {"w_i": t[f"weight_ih_l0{suffix}"].T, "w_h": t[f"weight_hh_l0{suffix}"].T}
  if "b" in fnn_keys:
    p["b"] = t[f"bias_ih_l0{suffix}"] + t[f"bias_hh_l0{suffix}"]
  else:
    p["b_i"], p["b_h"] = t[f"bias_ih_l0{suffix}"], t[f"bias_hh_l0{suffix}"]
  return p


def _rnn_to(node, p, s):
  return _cell_to(p)


def _rnn_from(node, t):
  return _cell_from(t, node.params), {}


def _bidirectional_to(node, p, s):
  return {**_cell_to(p["forward"]), **_cell_to(p["backward"], "_reverse")}


def _bidirectional_from(node, t):
  return {
    "forward": _cell_from(t, node.params["forward"]),
    "backward": _cell_from(t, node.params["backward"], "_reverse"),
  }, {}


_CELLS = ("LSTMCell", "GRUCell", "SimpleRNNCell")
_CONVERTERS = {
  "Dense": (_dense_to, _dense_from),
  "Conv": (_conv_to, _conv_from),
  "ConvTranspose": (_conv_transpose_to, _conv_transpose_from),
  "BatchNorm": (_norm_to, _norm_from),
  "LayerNorm": (_norm_to, _norm_from),
  "Embedding": (_embedding_to, _embedding_from),
  **{f"RNN:{c}": (_rnn_to, _rnn_from) for c in _CELLS},
  **{f"Bidirectional:{c}": (_bidirectional_to, _bidirectional_from) for c in _CELLS},
}


# ----------------------------------------------------------------------------
# Matching layers to torch module prefixes.


def _path_str(path) -> str:
  return ".".join(str(k) for k in path)


def _weighted_layers(where: str, model: Layer, input_shape: Shape):
  """The model's root node, and its layers holding params or state (checked convertible).

  The layers come in init order.
  """
  root = trace(model, input_shape)
  leaves = root.leaves()
  found = []
  for i, node in enumerate(leaves):
    if not (jax.tree.leaves(node.params) or jax.tree.leaves(node.state)):
      continue
    if node.path is None:
      raise TypeError(
        f"{where}: cannot tell where {node.layer.name}'s params sit in the "
        "model's params (its parent stores them in a form of its own)"
      )
    if _kind(node) not in _CONVERTERS:
      raise TypeError(
        f"{where}: {node.layer.name} at '{_path_str(node.path)}' has no "
        f"PyTorch counterpart here; supported: {', '.join(sorted(_CONVERTERS))}"
      )
    node.flattened_from = _flatten_source(leaves, i) if _kind(node) == "Dense" else None
    found.append(node)
  return root, found


def _flatten_source(leaves: list[LayerNode], i: int) -> tuple | None:
  """``(*spatial, C)`` if leaf ``i`` (a Dense) reads a Flatten of a spatial map."""
  for node in reversed(leaves[:i]):
    if node.layer.geometry == "pointwise" and not jax.tree.leaves(node.params):
      continue
    shape = node.input_shape
    if _constructor(node.layer.name) == "Flatten" and len(shape) >= 3:
      return tuple(shape[1:])
    return None
  return None


def module_prefixes(state_dict: Mapping[str, Any]) -> list[str]:
  """The module prefixes of a torch ``state_dict``, in order of first appearance.

  ``'features.0.weight'`` has prefix ``'features.0'``; ``'weight_ih_l0'`` (a bare
  module's own state_dict) has prefix ``''``.
  """
  prefixes: list[str] = []
  for key in state_dict:
    prefix = key.rsplit(".", 1)[0] if "." in key else ""
    if not prefixes or prefixes[-1] != prefix:
      if prefix in prefixes:
        continue
      prefixes.append(prefix)
  return prefixes


def _prefixes(
  where: str, nodes: list[LayerNode], names: Names, state_dict: Mapping | None = None
) -> list[str]:
  if isinstance(names, str):
    if names != "order" or state_dict is None:
      raise ValueError(
        f"{where}: names must be None, a sequence of prefixes or a mapping"
        + (" or 'order'" if state_dict is not None else "")
        + f", got {names!r}"
      )
    names = module_prefixes(state_dict)
  if names is None or isinstance(names, Mapping):
    mapping = names or {}
    return [mapping.get(_path_str(n.path), _path_str(n.path)) for n in nodes]
  names = list(names)
  if len(names) != len(nodes):
    raise ValueError(
      f"{where}: got {len(names)} torch prefixes for {len(nodes)} fnn layers "
      f"holding parameters ({', '.join(n.layer.name for n in nodes)})"
    )
  return names


def _key(prefix: str, name: str) -> str:
  return f"{prefix}.{name}" if prefix else name


# ----------------------------------------------------------------------------
# The two directions.


def _numpy(tree):
  return jax.tree.map(np.asarray, tree)


def _get(tree, path):
  for k in path:
    tree = tree[k]
  return tree


def to_torch_state_dict(
  model: Layer, params, state, input_shape: Shape, *, names: Names = None
) -> collections.OrderedDict:
  """Exports fnn ``params`` and ``state`` as a torch ``state_dict``.

  Args:
    model: the Layer the params belong to.
    params: as ``model.init`` returned them (or trained).
    state: likewise.
    input_shape: the input shape the model was initialised for.
    names: how fnn layers map to torch module prefixes (see the module docstring):
      ``None``, a sequence of prefixes, or a mapping ``{fnn path: prefix}``.

  Returns:
    An ``OrderedDict`` of ``torch.Tensor`` for ``torch_model.load_state_dict``.

  Raises:
    TypeError: for a layer with no torch counterpart (e.g. ``Hopfield``).

  Examples:
    >>> model = fnn.models.mlp(4, [8], 2)
    >>> params, state, _ = model.init(jax.random.key(0), (1, 4))
    >>> state_dict = to_torch_state_dict(model, params, state, (1, 4))
    >>> {name: tuple(tensor.shape) for name, tensor in state_dict.items()}
    {'fc1.weight': (8, 4), 'fc1.bias': (8,), 'out.weight': (2, 8), 'out.bias': (2,)}
    >>> back, _ = from_torch_state_dict(model, state_dict, (1, 4))
    >>> bool((back["fc1"]["w"] == params["fc1"]["w"]).all())
    True
  """
  import torch

  where = "interop.to_torch_state_dict"
  _, nodes = _weighted_layers(where, model, input_shape)
  prefixes = _prefixes(where, nodes, names)
  out = collections.OrderedDict()
  for node, prefix in zip(nodes, prefixes, strict=False):
    to_torch, _ = _CONVERTERS[_kind(node)]
    p, s = _numpy(_get(params, node.path)), _numpy(_get(state, node.path))
    for name, value in to_torch(node, p, s).items():
      out[_key(prefix, name)] = torch.from_numpy(np.array(value))  # a writable copy
  return out


def _as_numpy(value):
  if hasattr(value, "detach"):  # a torch.Tensor
    value = value.detach().cpu().numpy()
  return np.asarray(value)


def _check_shape(where, key, node, want, got):
  if tuple(want.shape) != tuple(got.shape):
    raise ShapeError(
      f"{where}: '{key}' has shape {tuple(got.shape)}, but "
      f"{node.layer.name} at '{_path_str(node.path)}' needs "
      f"{tuple(want.shape)} there"
    )


def _as_fnn(tree, like):
  """Numpy leaves -> jax arrays in the dtypes of ``like`` (the fnn layout)."""
  return jax.tree.map(lambda a, w: jnp.asarray(a, dtype=w.dtype), tree, like)


def _rebuild(tree, path, replacements):
  if path in replacements:
    return replacements[path]
  if isinstance(tree, dict):
    return {k: _rebuild(v, path + (k,), replacements) for k, v in tree.items()}
  if isinstance(tree, (tuple, list)):
    return type(tree)(_rebuild(v, path + (i,), replacements) for i, v in enumerate(tree))
  raise ValueError(f"no torch entry fills the fnn leaf at '{_path_str(path)}'")


def from_torch_state_dict(
  model: Layer,
  state_dict: Mapping[str, Any],
  input_shape: Shape,
  *,
  names: Names = None,
  strict: bool = True,
):
  """Imports a torch ``state_dict`` as fnn ``(params, state)`` for ``model``.

  Args:
    model: the fnn Layer to fill.
    state_dict: ``torch_model.state_dict()`` (tensors or numpy arrays).
    input_shape: the input shape to initialise ``model`` for.
    names: ``None``, ``'order'``, a sequence of prefixes, or ``{fnn path: prefix}``
      (see the module docstring).
    strict: raise if the state_dict has entries no fnn layer takes.

  Returns:
    ``(params, state)``, laid out as ``model.init`` lays them out, in its dtypes.

  Raises:
    ValueError: a missing entry, or an unused one with ``strict``.
    ShapeError: an entry of the wrong shape (the message names both shapes).
    TypeError: a layer with no torch counterpart.
  """
  where = "interop.from_torch_state_dict"
  root, nodes = _weighted_layers(where, model, input_shape)
  prefixes = _prefixes(where, nodes, names, state_dict)
  used, new_params, new_state = set(), {}, {}
  for node, prefix in zip(nodes, prefixes, strict=False):
    to_torch, from_torch = _CONVERTERS[_kind(node)]
    tensors = {}
    for name, want in to_torch(node, _zeros(node.params), _zeros(node.state)).items():
      key = _key(prefix, name)
      if key not in state_dict:
        raise ValueError(
          f"{where}: the state_dict has no '{key}', which {node.layer.name} at "
          f"'{_path_str(node.path)}' needs (torch prefix {prefix!r})"
        )
      tensors[name] = _as_numpy(state_dict[key])
      _check_shape(where, key, node, want, tensors[name])
      used.add(key)
    p, s = from_torch(node, tensors)
    new_params[node.path] = _as_fnn(p, node.params)
    new_state[node.path] = _as_fnn(s, node.state)
  unused = [k for k in state_dict if k not in used]
  if strict and unused:
    raise ValueError(
      f"{where}: no fnn layer takes {unused}; pass names= to match them, or "
      "strict=False to ignore them"
    )
  return _rebuild(root.params, (), new_params), _rebuild(root.state, (), new_state)


def _zeros(tree):
  return jax.tree.map(lambda a: np.zeros(a.shape, a.dtype), tree)
