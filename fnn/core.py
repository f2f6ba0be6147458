"""The layer protocol and the combinators that build models out of layers.

A layer is a pair of pure functions, bundled in a :class:`Layer`::

    init(key, input_shape) -> (params, state, output_shape)
    apply(params, state, x, *, key=None, train=False) -> (y, new_state)

* ``input_shape`` is a tuple of ints that includes the batch axis (any placeholder
  size, e.g. 1). Images are channels-last ``(N, H, W, C)``, sequences ``(N, T, F)``.
* ``params`` are what an optimizer changes; ``state`` is what the layer changes
  itself (BatchNorm running statistics). Both are nested dicts/tuples of arrays;
  stateless layers use ``{}``. Nothing else is hidden anywhere.
* ``key`` is the only source of randomness. A layer that needs one and gets
  ``None`` raises a clear error.
* ``train`` is a Python bool; a traced value is a ``TypeError``.
* ``init`` does its shape bookkeeping in Python and raises :class:`ShapeError` for
  inputs it cannot take; ``apply`` re-checks static shapes at trace time, so the
  same error appears under ``jax.jit``. Combinators re-raise a child's error with
  its path, e.g. ``serial[2] 'fc2' Dense(10): expected x[..., 512], got shape (32, 256)``.

Examples:
  >>> from fnn.layers import Dense, Dropout, Relu
  >>> model = fnn.serial(Dense(512), Relu(), Dropout(0.2), Dense(10))
  >>> params, state, out_shape = model.init(jax.random.key(0), (1, 784))
  >>> out_shape
  (1, 10)
  >>> x = jnp.ones((32, 784))
  >>> logits, state = model.apply(params, state, x, key=jax.random.key(1), train=True)
  >>> logits.shape
  (32, 10)
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, NoReturn, Protocol

import jax
import jax.numpy as jnp
import numpy as np

PyTree = Any
Shape = tuple


class ShapeError(ValueError):
  """An input of the wrong shape (or rank) for a layer, raised at init or trace time."""


class InitFn(Protocol):
  """The type of :attr:`Layer.init`."""

  def __call__(self, key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    """Builds the parameters and state for inputs of ``input_shape``.

    Args:
      key: a JAX PRNG key (``jax.random.key``) for the parameters' initial values
        (None for layers without random initial values, such as activations).
      input_shape: shape of the input, batch axis included.

    Returns:
      ``(params, state, output_shape)``.
    """


class ApplyFn(Protocol):
  """The type of :attr:`Layer.apply`."""

  def __call__(
    self,
    params: PyTree,
    state: PyTree,
    x: Any,
    *,
    key: jax.Array | None = None,
    train: bool = False,
  ) -> tuple[Any, PyTree]:
    """Runs the layer.

    Args:
      params: the parameters ``init`` returned (or an optimizer's update of them).
      state: the layer's own state (``{}`` for stateless layers).
      x: a batched input.
      key: a PRNG key, needed only by random layers in training (Dropout).
      train: a Python bool switching Dropout/BatchNorm to training behaviour.

    Returns:
      ``(y, new_state)``.
    """


class Geometry(NamedTuple):
  """The window a convolution or pooling layer slides over its spatial axes.

  Attributes:
    kernel: window size per spatial axis (undilated), e.g. ``(3, 3)``.
    stride: step per spatial axis.
    padding: ``'SAME'``, ``'VALID'``, or one ``(low, high)`` pair per spatial axis.
    dilation: kernel dilation per spatial axis (1 for pools).

  A layer built with an int window (for any number of spatial axes) holds
  1-tuples; readers index them with ``axis % len(kernel)``. Every field is a tuple
  or a str, so a Layer holding a Geometry is hashable.
  """

  kernel: tuple
  stride: tuple
  padding: str | tuple
  dilation: tuple


class Layer(NamedTuple):
  """A pair of pure functions ``(init, apply)``; see the module docstring.

  Attributes:
    init: ``(key, input_shape) -> (params, state, output_shape)``.
    apply: ``(params, state, x, *, key=None, train=False) -> (y, new_state)``.
    name: how the layer appears in error messages and ``repr``, e.g. ``Dense(10)``.
    geometry: a :class:`Geometry` for layers that slide a window over spatial axes
      (conv, pooling); ``"pointwise"`` for layers that act per position
      (activations, norms); ``None`` otherwise. Used by :func:`fnn.receptive_field`.

  A Layer is hashable (its fields are functions, a str and a frozen geometry), so it
  can key a compile cache. Two separately built layers are different keys even when
  they have the same hyper-parameters, since their functions are different closures.
  """

  init: InitFn
  apply: ApplyFn
  name: str = "Layer"
  geometry: Geometry | str | None = None

  def __repr__(self) -> str:
    return self.name


# Reading ``layer.init`` goes through this property, so that :func:`fnn.summary` (and
# :mod:`fnn.interop`) can see every layer a model initialises, combinators and the
# layers inside user-written wrappers alike, without each combinator having to list
# its children. With no observer set (the normal case) it returns the stored function.
_INIT_OBSERVER: contextvars.ContextVar = contextvars.ContextVar("fnn_init_observer", default=None)
_stored_init: Any = Layer.init  # the NamedTuple field's descriptor


def _observed_init(layer: Layer) -> InitFn:
  init = _stored_init.__get__(layer, Layer)
  observer = _INIT_OBSERVER.get()
  if observer is None:
    return init
  return lambda key, input_shape: observer(layer, init, key, input_shape)


Layer.init = property(_observed_init, doc=_stored_init.__doc__)  # type: ignore[assignment]


# ----------------------------------------------------------------------------
# Checking helpers shared by all layers.


def check_train(name: str, train: Any) -> None:
  """Raises a TypeError unless ``train`` is a Python bool."""
  if not isinstance(train, (bool, np.bool_)):
    raise TypeError(
      f"{name}: train must be a Python bool, got {type(train).__name__} {train!r}. "
      "It selects which program is traced, so it cannot be a traced value; "
      "pass train=True/False as a literal or mark it static in jax.jit."
    )


def check_input_shape(name: str, input_shape: Any) -> Shape:
  """Validates ``input_shape`` given to ``init`` and returns it as a tuple of ints.

  A tuple holding shapes (or None) rather than ints is a structure of shapes, as
  ``parallel`` branches or an ``RNNInput`` take; it is returned as it is, for the
  layers that consume its parts to check.
  """
  if isinstance(input_shape, tuple) and any(isinstance(d, tuple) or d is None for d in input_shape):
    return input_shape
  try:
    if isinstance(input_shape, (str, bytes)):
      raise TypeError
    shape = tuple(int(d) for d in input_shape)
  except (TypeError, ValueError):
    raise ShapeError(
      f"{name}: input_shape must be a tuple of ints including the batch axis, got {input_shape!r}"
    ) from None
  if any(d < 0 for d in shape):
    raise ShapeError(f"{name}: input_shape has a negative size: {shape}")
  return shape


def check_rank(name: str, shape: Shape, rank: int | Sequence[int], what: str) -> None:
  """Raises ShapeError unless ``len(shape)`` is ``rank`` (or one of ``rank``).

  Args:
    name: the layer's name.
    shape: the shape to check.
    rank: the allowed rank(s).
    what: a description of the expected layout, e.g. ``"(N, H, W, C)"``.
  """
  ranks = (rank,) if isinstance(rank, int) else tuple(rank)
  if len(shape) not in ranks:
    raise ShapeError(
      f"{name}: expected input of rank {' or '.join(map(str, ranks))} {what}, "
      f"got shape {tuple(shape)} (rank {len(shape)})"
    )


def check_last_axis(name: str, shape: Shape, size: int) -> None:
  """Raises ShapeError unless ``shape[-1] == size``."""
  if len(shape) < 1 or shape[-1] != size:
    raise ShapeError(f"{name}: expected x[..., {size}], got shape {tuple(shape)}")


def check_floating(name: str, x: Any) -> None:
  """Raises TypeError unless ``x`` has a floating-point dtype."""
  dtype = jnp.result_type(x)
  if not jnp.issubdtype(dtype, jnp.floating):
    raise TypeError(
      f"{name}: expected a floating-point input, got dtype {dtype}; "
      "cast it first, e.g. x.astype(jnp.float32)"
    )


def check_integer(name: str, x: Any) -> None:
  """Raises TypeError unless ``x`` has an integer dtype."""
  dtype = jnp.result_type(x)
  if not jnp.issubdtype(dtype, jnp.integer):
    raise TypeError(
      f"{name}: expected integer indices, got dtype {dtype}; "
      "cast them first, e.g. x.astype(jnp.int32)"
    )


def check_array(name: str, x: Any) -> Any:
  """Raises TypeError for an input that is not an array (a list, a dict...)."""
  if not hasattr(x, "shape") or not hasattr(x, "dtype"):
    hint = ""
    if hasattr(x, "lengths") and hasattr(x, "x"):  # an RNNInput (a padded batch)
      hint = (
        "; this layer does not act on each time step alone, so it cannot take a "
        "padded batch with lengths (Dense, Embedding, LayerNorm, Dropout and the "
        "activations can)"
      )
    raise TypeError(f"{name}: expected an array input, got {type(x).__name__}{hint}")
  return x


def _describe(value: Any) -> str:
  if hasattr(value, "shape") and hasattr(value, "dtype"):
    return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
  return f"{type(value).__name__} {value!r}"


def check_key(key: Any, name: str, *, allow_none: bool = False) -> Any:
  """Raises TypeError unless ``key`` is one JAX PRNG key; returns it.

  Accepted: a typed key (``jax.random.key(seed)``, shape ``()``) or raw uint32 key data
  (``jax.random.PRNGKey(seed)``, shape ``(2,)``), concrete or traced.

  Args:
    key: the value to check.
    name: the function or layer to name in the message.
    allow_none: accept ``None`` too (for an ``init`` that makes no parameters).
  """
  if key is None and allow_none:
    return key
  dtype = getattr(key, "dtype", None)
  typed = dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key)
  if (typed and jnp.ndim(key) == 0) or (
    dtype == jnp.uint32 and getattr(key, "shape", None) == (2,)
  ):
    return key
  batch = "; that is a batch of keys: pass one (fnn.init_params takes a batch)" if typed else ""
  raise TypeError(
    f"{name}: expected a PRNG key such as jax.random.key(0), got {_describe(key)}{batch}"
  )


def param_checker(name: str, init: InitFn) -> Callable[[PyTree, Shape], None]:
  """A check that ``params`` are what ``init`` makes for an input shape.

  Layers call the returned ``check(params, input_shape)`` in ``apply`` after their
  own input checks. It compares the params' leaf paths and shapes (not dtypes, so
  cast params pass) with ``jax.eval_shape`` of ``init``, at trace time only: under
  ``jit`` it adds nothing to the compiled program, and the expected shapes are
  cached per input shape, so eager calls stay cheap.

  Args:
    name: the layer's name, for the message.
    init: the layer's ``init``.

  Returns:
    ``check(params, input_shape)``, raising :class:`ShapeError` naming the leaf and
    both shapes.
  """

  @functools.lru_cache(maxsize=16)
  def expected(example_shape: Shape) -> tuple[Any, list[Shape]]:
    params = jax.eval_shape(lambda k: init(k, example_shape)[0], jax.random.key(0))
    leaves, treedef = jax.tree.flatten(params)
    return treedef, [tuple(leaf.shape) for leaf in leaves]

  def check(params: PyTree, input_shape: Shape) -> None:
    example_shape = (1,) + tuple(input_shape[1:])  # params never depend on the batch size
    want_def, want_shapes = expected(example_shape)
    leaves, treedef = jax.tree.flatten(params)
    if treedef == want_def and [np.shape(leaf) for leaf in leaves] == want_shapes:
      return  # the common case, without building the paths

    def paths(tree: PyTree) -> list[tuple[str, Shape]]:
      return [
        (jax.tree_util.keystr(p), tuple(np.shape(leaf)))
        for p, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]
      ]

    got = paths(params)
    want = paths(jax.tree.unflatten(want_def, [np.empty(s, bool) for s in want_shapes]))
    if got == want:
      return  # another container type with the same paths (e.g. a FrozenDict)
    where = f"for input shape {tuple(input_shape)}"
    if [p for p, _ in got] != [p for p, _ in want]:
      raise ShapeError(
        f"{name}: params have leaves {[p for p, _ in got]} but {name} makes "
        f"{[p for p, _ in want]} {where}; pass the params this layer's init made"
      )
    path, shape, need = next((p, g, w) for (p, g), (_, w) in zip(got, want, strict=True) if g != w)
    raise ShapeError(
      f"{name}: params{path} has shape {shape} but {name} makes {need} {where}; "
      "these params come from another layer or another input size"
    )

  return check


# ----------------------------------------------------------------------------
# Combinators.

# Errors raised by a child are re-raised with the child's path in front. Only these
# exact types are rewritten: their constructors take one message, and they are what
# fnn's own checks raise. Anything else passes through untouched.
_PATH_ERRORS = (ShapeError, ValueError, TypeError)


def _reraise_with_path(err: Exception, prefix: str) -> NoReturn:
  if type(err) in _PATH_ERRORS:
    raise type(err)(f"{prefix} {err}") from err
  raise err


def _as_layer(obj: Any, where: str) -> Layer:
  if isinstance(obj, Layer):
    return obj
  if callable(obj):
    hint = getattr(obj, "__name__", type(obj).__name__)
    raise TypeError(
      f"{where} is the function {hint}, not a Layer; did you mean {hint}()? "
      "Layer constructors are always called."
    )
  raise TypeError(f"{where} is a {type(obj).__name__}, not a Layer")


def _child_key(key: jax.Array | None, i: int) -> jax.Array | None:
  return None if key is None else jax.random.fold_in(key, i)


def _sequence(
  kind: str, names: Sequence[str | None], layers: Sequence[Layer], wrap: Callable[[list], PyTree]
) -> Layer:
  """Shared body of ``serial`` and ``named_serial``: ``wrap`` builds the params container."""
  if not layers:
    raise ValueError(f"{kind}: needs at least one layer")
  labels = [f"{kind}[{i}]" + (f" {n!r}" if n is not None else "") for i, n in enumerate(names)]

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, kind, allow_none=True)
    shape = check_input_shape(kind, input_shape)
    params, states = [], []
    for i, (label, layer) in enumerate(zip(labels, layers, strict=True)):
      try:
        p, s, shape = layer.init(_child_key(key, i), shape)
      except _PATH_ERRORS as e:
        _reraise_with_path(e, label)
      params.append(p)
      states.append(s)
    return wrap(params), wrap(states), shape

  def apply(
    params: PyTree, state: PyTree, x: Any, *, key: jax.Array | None = None, train: bool = False
  ) -> tuple[Any, PyTree]:
    check_train(kind, train)
    keys = range(len(layers)) if names[0] is None else names
    new_states = []
    for i, (label, layer, k) in enumerate(zip(labels, layers, keys, strict=True)):
      try:
        x, s = layer.apply(params[k], state[k], x, key=_child_key(key, i), train=train)
      except _PATH_ERRORS as e:
        _reraise_with_path(e, label)
      new_states.append(s)
    return x, wrap(new_states)

  inner = ", ".join(map(repr, layers))
  return Layer(init, apply, f"{kind}({inner})")


def serial(*layers: Layer) -> Layer:
  """Chains layers: the output of each is the input of the next.

  Child ``i`` gets ``jax.random.fold_in(key, i)`` in both ``init`` and ``apply``, so
  adding a layer does not change the others' randomness.

  Args:
    *layers: the layers, in order.

  Returns:
    A Layer whose params and state are tuples with one entry per child.
  """
  checked = [_as_layer(layer, f"serial: argument {i}") for i, layer in enumerate(layers)]
  return _sequence("serial", [None] * len(checked), checked, tuple)


def named_serial(*named_layers: tuple[str, Layer]) -> Layer:
  """Like :func:`serial`, with named children: params and state are dicts by name.

  Examples:
    >>> from fnn.layers import Dense, Relu
    >>> model = named_serial(("fc1", Dense(512)), ("act", Relu()), ("fc2", Dense(10)))
    >>> params, state, _ = model.init(jax.random.key(0), (1, 784))
    >>> list(params), params["fc2"]["w"].shape
    (['fc1', 'act', 'fc2'], (512, 10))

  Args:
    *named_layers: ``(name, layer)`` pairs; names must be unique strings.

  Returns:
    A Layer whose params and state are dicts keyed by the names, in order.
  """
  names, layers = [], []
  for i, item in enumerate(named_layers):
    if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
      raise TypeError(f"named_serial: argument {i} must be a (name, layer) pair, got {item!r}")
    names.append(item[0])
    layers.append(_as_layer(item[1], f"named_serial: argument {i} ({item[0]!r})"))
  if len(set(names)) != len(names):
    raise ValueError(f"named_serial: names must be unique, got {names}")
  return _sequence("named_serial", names, layers, lambda xs: dict(zip(names, xs, strict=True)))


def parallel(*layers: Layer) -> Layer:
  """Applies layer ``i`` to input ``i``: takes and returns tuples of arrays.

  ``init`` takes a tuple of input shapes (one per layer) and returns a tuple of
  output shapes. Combine with :func:`fanout` to run branches on one input.

  Returns:
    A Layer whose params and state are tuples with one entry per child.
  """
  children = [_as_layer(layer, f"parallel: argument {i}") for i, layer in enumerate(layers)]
  n = len(children)

  def _check_count(what: str, got: Any) -> None:
    if not isinstance(got, (tuple, list)) or len(got) != n:
      raise ShapeError(
        f"parallel: expected a tuple of {n} {what} (one per branch), got {got!r}"
        if not hasattr(got, "shape")
        else f"parallel: expected a tuple of {n} {what} (one per branch), got one array "
        f"of shape {got.shape}"
      )

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, "parallel", allow_none=True)
    _check_count("input shapes", input_shape)  # one per branch
    params, states, shapes = [], [], []
    for i, (layer, shape) in enumerate(zip(children, input_shape, strict=True)):
      try:
        p, s, out = layer.init(_child_key(key, i), shape)
      except _PATH_ERRORS as e:
        _reraise_with_path(e, f"parallel[{i}]")
      params.append(p)
      states.append(s)
      shapes.append(out)
    return tuple(params), tuple(states), tuple(shapes)

  def apply(
    params: PyTree, state: PyTree, x: Any, *, key: jax.Array | None = None, train: bool = False
  ) -> tuple[Any, PyTree]:
    check_train("parallel", train)
    _check_count("inputs", x)
    ys, new_states = [], []
    for i, (layer, x_i) in enumerate(zip(children, x, strict=True)):
      try:
        y, s = layer.apply(params[i], state[i], x_i, key=_child_key(key, i), train=train)
      except _PATH_ERRORS as e:
        _reraise_with_path(e, f"parallel[{i}]")
      ys.append(y)
      new_states.append(s)
    return tuple(ys), tuple(new_states)

  return Layer(init, apply, f"parallel({', '.join(map(repr, children))})")


def fanout(n: int) -> Layer:
  """Copies its input into a tuple of ``n`` (to feed :func:`parallel`)."""
  if not isinstance(n, int) or n < 1:
    raise ValueError(f"fanout: n must be a positive int, got {n!r}")

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, f"fanout({n})", allow_none=True)
    shape = check_input_shape(f"fanout({n})", input_shape)
    return {}, {}, (shape,) * n

  def apply(
    params: PyTree, state: PyTree, x: Any, *, key: jax.Array | None = None, train: bool = False
  ) -> tuple[Any, PyTree]:
    check_train(f"fanout({n})", train)
    return (x,) * n, state

  return Layer(init, apply, f"fanout({n})")


def residual(*layers: Layer, shortcut: Layer | None = None) -> Layer:
  """``y = serial(*layers)(x) + shortcut(x)``, with ``shortcut`` the identity by default.

  Args:
    *layers: the main branch.
    shortcut: an optional projection (e.g. a 1x1 ``Conv`` with stride) used when
      the main branch changes the shape.

  Returns:
    A Layer with params/state ``{'main': ..., 'shortcut': ...}`` (``shortcut``
    is ``{}`` for the identity).

  Raises:
    ShapeError: at init, if the two branches' output shapes differ.
  """
  main = serial(*layers)
  short = None if shortcut is None else _as_layer(shortcut, "residual: shortcut")
  name = f"residual({', '.join(map(repr, layers))}" + (
    f", shortcut={short!r})" if short is not None else ")"
  )

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, "residual", allow_none=True)
    shape = check_input_shape("residual", input_shape)
    try:
      pm, sm, out = main.init(_child_key(key, 0), shape)
    except _PATH_ERRORS as e:
      _reraise_with_path(e, "residual main:")
    ps: PyTree
    ss: PyTree
    if short is None:
      ps, ss, out_short = {}, {}, shape
    else:
      try:
        ps, ss, out_short = short.init(_child_key(key, 1), shape)
      except _PATH_ERRORS as e:
        _reraise_with_path(e, "residual shortcut:")
    if tuple(out) != tuple(out_short):
      raise ShapeError(
        f"{name}: the main branch gives shape {tuple(out)} but the shortcut gives "
        f"{tuple(out_short)}; pass shortcut= a projection to match them"
      )
    return {"main": pm, "shortcut": ps}, {"main": sm, "shortcut": ss}, tuple(out)

  def apply(
    params: PyTree, state: PyTree, x: Any, *, key: jax.Array | None = None, train: bool = False
  ) -> tuple[Any, PyTree]:
    check_train("residual", train)
    try:
      y, sm = main.apply(params["main"], state["main"], x, key=_child_key(key, 0), train=train)
    except _PATH_ERRORS as e:
      _reraise_with_path(e, "residual main:")
    if short is None:
      skip, ss = x, state["shortcut"]
    else:
      try:
        skip, ss = short.apply(
          params["shortcut"], state["shortcut"], x, key=_child_key(key, 1), train=train
        )
      except _PATH_ERRORS as e:
        _reraise_with_path(e, "residual shortcut:")
    if y.shape != skip.shape:
      raise ShapeError(f"{name}: main branch gives shape {y.shape}, shortcut {skip.shape}")
    return y + skip, {"main": sm, "shortcut": ss}

  return Layer(init, apply, name)


def init_params(keys: jax.Array, layer: Layer, input_shape: Shape) -> tuple[PyTree, PyTree]:
  """Initialises an ensemble: ``layer.init`` vmapped over a batch of keys.

  Args:
    keys: a batch of PRNG keys, shape ``(M,)`` (e.g. ``jax.random.split(key, M)``).
    layer: any Layer.
    input_shape: the input shape, as for ``layer.init``.

  Returns:
    ``(params, state)`` whose every leaf has a leading axis of size ``M``; apply
    them with ``jax.vmap(layer.apply, in_axes=(0, 0, None))``.
  """
  dtype = getattr(keys, "dtype", None)
  typed = dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key)
  raw = dtype == jnp.uint32 and jnp.ndim(keys) == 2 and jnp.shape(keys)[-1] == 2
  if not ((typed and jnp.ndim(keys) == 1) or raw):
    raise TypeError(
      "core.init_params: keys must be a batch of PRNG keys of shape (M,), "
      f"e.g. jax.random.split(jax.random.key(0), M), got {_describe(keys)}"
    )
  input_shape = check_input_shape(layer.name, input_shape)
  return jax.vmap(lambda k: layer.init(k, input_shape)[:2])(keys)


def output_shape(layer: Layer, input_shape: Shape) -> Shape:
  """The output shape ``layer`` gives for ``input_shape``, without allocating params."""
  shapes = []

  def _init(key: jax.Array) -> tuple[PyTree, PyTree]:
    params, state, shape = layer.init(key, input_shape)
    shapes.append(shape)
    return params, state

  jax.eval_shape(_init, jax.random.key(0))
  return shapes[0]
