"""Recurrent layers: cells as pure functions, scanned over time by :func:`RNN`.

A cell is a pure function of ``(params, carry, x_t) -> (new_carry, y_t)`` on one time
step of a batch: ``x_t`` is ``(N, F)``, ``y_t`` is ``(N, H)``.

| cell | params | carry | equations |
| --- | --- | --- | --- |
| `simple_rnn_cell` | `w_i (F, H)`, `w_h (H, H)`, `b (H,)` | `h` | h' = tanh(x w_i + h w_h + b) |
| `lstm_cell` | `w_i (F, 4H)`, `w_h (H, 4H)`, `b (4H,)` | `(h, c)` | gates i, f, g, o [^torch] |
| `gru_cell` | `w_i (F, 3H)`, `w_h (H, 3H)`, `b_i`, `b_h (3H,)` | `h` | gates r, z, n [^torch] |

[^torch]: PyTorch's gate order and equations.

LSTM (with σ the logistic sigmoid)::

    [i, f, g, o] = x w_i + h w_h + b
    c' = σ(f) c + σ(i) tanh(g);   h' = σ(o) tanh(c')

GRU::

    [r_i, z_i, n_i] = x w_i + b_i;   [r_h, z_h, n_h] = h w_h + b_h
    r = σ(r_i + r_h);   z = σ(z_i + z_h);   n = tanh(n_i + r n_h)
    h' = (1 - z) n + z h

The column blocks of ``w_i``/``w_h``/``b`` are the gates in that order, so PyTorch's
``weight_ih_l0.T`` is ``w_i`` and ``bias_ih_l0 + bias_hh_l0`` is ``b`` (the GRU keeps
both biases, since ``b_hn`` sits inside ``r ⊙ (·)``).

``SimpleRNNCell(H)``, ``LSTMCell(H)``, ``GRUCell(H)`` bundle a cell function with its
initializer as a :class:`Cell`; ``RNN(cell)`` turns a Cell into a Layer that runs
``lax.scan`` over the time axis of ``(N, T, F)`` input, so BPTT is ``jax.grad``.

Side inputs (sequence lengths of a padded batch, an initial carry) travel with the
input as an :class:`RNNInput`; a plain array means "all steps valid, zero carry".
Lengths must be in ``[0, T]``: eager calls check them (:func:`check_lengths`); under
``jit`` they cannot be checked, and a length above ``T`` acts as ``T``, a negative
one as 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

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
  check_integer,
  check_key,
  check_last_axis,
  check_rank,
  check_train,
  param_checker,
)
from fnn.initializers import Initializer
from fnn.layers._sequence import RNNInput, check_lengths, is_concrete, split_shape
from fnn.layers.lstm_scan import lstm_scan

# ----------------------------------------------------------------------------
# Cell functions: one time step on a batch.


def simple_rnn_cell(params: PyTree, h: jax.Array, x: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Elman cell ``h' = tanh(x w_i + h w_h + b)``.

  Args:
    params: ``{'w_i': (F, H), 'w_h': (H, H), 'b': (H,)}``.
    h: the carry, ``(N, H)``.
    x: the input at one step, ``(N, F)``.

  Returns:
    ``(h', h')``: the new carry and the output, both ``(N, H)``.
  """
  h = jnp.tanh(x @ params["w_i"] + h @ params["w_h"] + params["b"])
  return h, h


def lstm_cell(params: PyTree, carry: PyTree, x: jax.Array) -> tuple[PyTree, jax.Array]:
  """LSTM cell with the gates in PyTorch's order i, f, g, o (see the module docstring).

  Args:
    params: ``{'w_i': (F, 4H), 'w_h': (H, 4H), 'b': (4H,)}``.
    carry: ``(h, c)``, each ``(N, H)``.
    x: the input at one step, ``(N, F)``.

  Returns:
    ``((h', c'), h')``.
  """
  h, c = carry
  # One fused matmul per operand for all four gates, then split by columns.
  gates = x @ params["w_i"] + h @ params["w_h"] + params["b"]
  i, f, g, o = jnp.split(gates, 4, axis=-1)
  c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
  h = jax.nn.sigmoid(o) * jnp.tanh(c)
  return (h, c), h


def gru_cell(params: PyTree, h: jax.Array, x: jax.Array) -> tuple[jax.Array, jax.Array]:
  """GRU cell with PyTorch's equations and gate order r, z, n (see the module docstring).

  Args:
    params: ``{'w_i': (F, 3H), 'w_h': (H, 3H), 'b_i': (3H,), 'b_h': (3H,)}``.
    h: the carry, ``(N, H)``.
    x: the input at one step, ``(N, F)``.

  Returns:
    ``(h', h')``.
  """
  r_i, z_i, n_i = jnp.split(x @ params["w_i"] + params["b_i"], 3, axis=-1)
  r_h, z_h, n_h = jnp.split(h @ params["w_h"] + params["b_h"], 3, axis=-1)
  r = jax.nn.sigmoid(r_i + r_h)
  z = jax.nn.sigmoid(z_i + z_h)
  n = jnp.tanh(n_i + r * n_h)
  h = (1.0 - z) * n + z * h
  return h, h


# ----------------------------------------------------------------------------
# Cell descriptors.


class Cell(NamedTuple):
  """A recurrent cell: its step function and what :func:`RNN` needs to know about it.

  Attributes:
    init: ``(key, input_size) -> params``.
    step: ``(params, carry, x_t) -> (new_carry, y_t)`` with ``x_t`` ``(N, F)`` and
      ``y_t`` ``(N, H)``.
    zero_carry: ``(batch_size, dtype) -> carry`` of zeros.
    output: ``carry -> y``, the output the cell last emitted (``h``); RNN uses it for
      the last output of a sequence.
    hidden_size: ``H``.
    name: how the cell appears in errors, e.g. ``LSTMCell(128)``.
    scan: optional whole-sequence version of the scan, ``(params, carry, xs, valid,
      cut, unroll) -> (final_carry, hs)`` on time-major ``xs`` (see
      :func:`fnn.layers.lstm_scan.lstm_scan`), used by :func:`rnn_scan` instead of
      scanning ``step``; it must give the same values and gradients. ``None``: scan ``step``.
  """

  init: Callable[[jax.Array, int], PyTree]
  step: Callable[[PyTree, PyTree, jax.Array], tuple[PyTree, jax.Array]]
  zero_carry: Callable[..., PyTree]  # (batch_size, dtype=float32)
  output: Callable[[PyTree], jax.Array]
  hidden_size: int
  name: str
  scan: Callable | None = None

  def __repr__(self) -> str:
    return self.name


def _check_hidden(name: str, hidden_size: int) -> None:
  if not isinstance(hidden_size, int) or hidden_size < 1:
    raise ValueError(f"{name}: hidden_size must be a positive int, got {hidden_size!r}")


def _gate_blocks(
  init: Initializer, key: jax.Array, shape: tuple, n_gates: int, dtype: DTypeLike
) -> jax.Array:
  """``n_gates`` independent ``shape`` blocks side by side (e.g. one orthogonal per gate)."""
  keys = jax.random.split(key, n_gates)
  return jnp.concatenate([init(k, shape, dtype) for k in keys], axis=-1)


def _h_carry(hidden_size: int) -> Callable[..., jax.Array]:
  return lambda batch_size, dtype=jnp.float32: jnp.zeros((batch_size, hidden_size), dtype)


def SimpleRNNCell(
  hidden_size: int,
  *,
  w_init: Initializer = initializers.lecun_normal,
  w_h_init: Initializer = initializers.orthogonal(),
  dtype: DTypeLike = jnp.float32,
) -> Cell:
  """Elman (tanh) cell: params ``{'w_i': (F, H), 'w_h': (H, H), 'b': (H,)}``, carry ``h``.

  Args:
    hidden_size: ``H``.
    w_init: initializer of ``w_i`` (default ``lecun_normal``).
    w_h_init: initializer of ``w_h`` (default orthogonal).
    dtype: parameter dtype.
  """
  name = f"SimpleRNNCell({hidden_size})"
  _check_hidden(name, hidden_size)

  def init(key: jax.Array, input_size: int) -> PyTree:
    k_i, k_h = jax.random.split(key)
    return {
      "w_i": w_init(k_i, (input_size, hidden_size), dtype),
      "w_h": w_h_init(k_h, (hidden_size, hidden_size), dtype),
      "b": jnp.zeros((hidden_size,), dtype),
    }

  return Cell(init, simple_rnn_cell, _h_carry(hidden_size), lambda h: h, hidden_size, name)


def LSTMCell(
  hidden_size: int,
  *,
  forget_bias: float = 1.0,
  w_init: Initializer = initializers.lecun_normal,
  w_h_init: Initializer = initializers.orthogonal(),
  dtype: DTypeLike = jnp.float32,
) -> Cell:
  """LSTM cell: params ``{'w_i': (F, 4H), 'w_h': (H, 4H), 'b': (4H,)}``, carry ``(h, c)``.

  Gates in PyTorch's order i, f, g, o, so ``nn.LSTM``'s weights map one to one
  (``w_i = weight_ih_l0.T``, ``w_h = weight_hh_l0.T``, ``b = bias_ih_l0 + bias_hh_l0``).

  Args:
    hidden_size: ``H``.
    forget_bias: initial value of the forget gate's bias (default 1, so the cell starts
      by remembering; Gers et al. 2000, Jozefowicz et al. 2015).
    w_init: initializer of ``w_i`` (default ``lecun_normal``, as flax).
    w_h_init: initializer of each gate's ``(H, H)`` block of ``w_h`` (default orthogonal).
    dtype: parameter dtype.
  """
  name = f"LSTMCell({hidden_size})"
  _check_hidden(name, hidden_size)

  def init(key: jax.Array, input_size: int) -> PyTree:
    k_i, k_h = jax.random.split(key)
    b = jnp.zeros((4, hidden_size), dtype).at[1].set(forget_bias).reshape(-1)
    return {
      "w_i": _gate_blocks(w_init, k_i, (input_size, hidden_size), 4, dtype),
      "w_h": _gate_blocks(w_h_init, k_h, (hidden_size, hidden_size), 4, dtype),
      "b": b,
    }

  def zero_carry(batch_size: int, dtype: DTypeLike = jnp.float32) -> PyTree:
    h = jnp.zeros((batch_size, hidden_size), dtype)
    return (h, h)

  return Cell(
    init, lstm_cell, zero_carry, lambda carry: carry[0], hidden_size, name, scan=lstm_scan
  )


def GRUCell(
  hidden_size: int,
  *,
  w_init: Initializer = initializers.lecun_normal,
  w_h_init: Initializer = initializers.orthogonal(),
  dtype: DTypeLike = jnp.float32,
) -> Cell:
  """GRU cell, with PyTorch's equations.

  GRU cell (PyTorch's equations, gates r, z, n): params ``{'w_i': (F, 3H),
  'w_h': (H, 3H), 'b_i': (3H,), 'b_h': (3H,)}``, carry ``h``.

  PyTorch's ``nn.GRU`` maps one to one: ``w_i = weight_ih_l0.T``, ``w_h =
  weight_hh_l0.T``, ``b_i = bias_ih_l0``, ``b_h = bias_hh_l0``.

  Args:
    hidden_size: ``H``.
    w_init: initializer of ``w_i`` (default ``lecun_normal``).
    w_h_init: initializer of each gate's ``(H, H)`` block of ``w_h`` (default orthogonal).
    dtype: parameter dtype.
  """
  name = f"GRUCell({hidden_size})"
  _check_hidden(name, hidden_size)

  def init(key: jax.Array, input_size: int) -> PyTree:
    k_i, k_h = jax.random.split(key)
    return {
      "w_i": _gate_blocks(w_init, k_i, (input_size, hidden_size), 3, dtype),
      "w_h": _gate_blocks(w_h_init, k_h, (hidden_size, hidden_size), 3, dtype),
      "b_i": jnp.zeros((3 * hidden_size,), dtype),
      "b_h": jnp.zeros((3 * hidden_size,), dtype),
    }

  return Cell(init, gru_cell, _h_carry(hidden_size), lambda h: h, hidden_size, name)


# ----------------------------------------------------------------------------
# The scan.


def rnn_scan(
  cell: Cell,
  params: PyTree,
  carry: PyTree,
  x: jax.Array,
  *,
  lengths: jax.Array | None = None,
  reverse: bool = False,
  return_sequences: bool = True,
  truncate: int | None = None,
  unroll: int = 1,
) -> tuple[PyTree, jax.Array]:
  """Runs ``cell`` over the time axis of ``x`` with ``lax.scan``: the function under RNN.

  Args:
    cell: a :class:`Cell`.
    params: the cell's params.
    carry: the initial carry (e.g. ``cell.zero_carry(N)``).
    x: ``(N, T, F)``.
    lengths: optional ``(N,)`` ints: steps ``t >= lengths[n]`` of sequence ``n`` are
      padding; there the carry stops updating and the output is 0.
    reverse: run from ``t = T - 1`` down to 0 (outputs stay aligned with inputs).
    return_sequences: return all outputs ``(N, T, H)``, else only the last ``(N, H)``
      (the output at each sequence's last valid step; for ``reverse``, at ``t = 0``).
    truncate: truncated BPTT: the forward pass is unchanged, but the gradient flows back
      at most through the chunk of ``truncate`` steps it starts in (``stop_gradient`` on
      the carry between chunks, counted from where the scan starts). ``None``: full BPTT.
    unroll: passed to ``lax.scan``.

  Returns:
    ``(final_carry, y)`` with ``y`` ``(N, T, H)`` or ``(N, H)``.
  """
  n, t = x.shape[0], x.shape[1]
  xs = jnp.swapaxes(x, 0, 1)  # (T, N, F): scan runs over the leading axis
  masked = lengths is not None or truncate is not None
  valid = None
  if masked:
    lengths = jnp.full((n,), t) if lengths is None else lengths
    valid = jnp.arange(t)[:, None] < lengths[None, :]  # (T, N)
  if reverse:
    xs = xs[::-1]
    valid = None if valid is None else valid[::-1]

  if cell.scan is not None:
    # Chunks of k steps counted from where the scan starts; the carry entering each
    # chunk but the first is cut from the gradient.
    steps = jnp.arange(t)
    cut = None if truncate is None else (steps > 0) & (steps % truncate == 0)
    carry, hs = cell.scan(params, carry, xs, valid, cut, unroll)
    if not return_sequences:
      return carry, cell.output(carry)
    ys = hs if valid is None else jnp.where(valid[:, :, None], hs, jnp.zeros_like(hs))
    return carry, jnp.swapaxes(ys[::-1] if reverse else ys, 0, 1)

  def body(carry: PyTree, step_in: Any) -> tuple[PyTree, Any]:
    x_t, valid_t = step_in
    new_carry, y = cell.step(params, carry, x_t)
    if valid_t is not None:
      new_carry = jax.tree.map(lambda a, b: jnp.where(valid_t[:, None], a, b), new_carry, carry)
      y = jnp.where(valid_t[:, None], y, jnp.zeros_like(y))
    return new_carry, (y if return_sequences else None)

  if truncate is None:
    carry, ys = lax.scan(body, carry, (xs, valid), unroll=unroll)
  else:
    # Pad T up to a multiple of k with invalid steps (the carry holds through them),
    # then scan over chunks of k steps, cutting the gradient at each chunk's start.
    assert valid is not None  # truncate set makes the scan masked
    k = truncate
    chunks = -(-t // k)
    pad = chunks * k - t
    xs = jnp.pad(xs, ((0, pad),) + ((0, 0),) * (xs.ndim - 1))
    valid = jnp.pad(valid, ((0, pad), (0, 0)))
    xs = xs.reshape((chunks, k) + xs.shape[1:])
    valid = valid.reshape((chunks, k) + valid.shape[1:])

    def chunk_body(carry: PyTree, chunk_in: Any) -> tuple[PyTree, Any]:
      index, xs_c, valid_c = chunk_in
      # The first chunk keeps the gradient to the initial carry; later chunks do not.
      cut = jax.tree.map(lax.stop_gradient, carry)
      carry = jax.tree.map(lambda a, b: jnp.where(index == 0, a, b), carry, cut)
      return lax.scan(body, carry, (xs_c, valid_c), unroll=unroll)

    carry, ys = lax.scan(chunk_body, carry, (jnp.arange(chunks), xs, valid))
    if return_sequences:
      ys = ys.reshape((chunks * k,) + ys.shape[2:])[:t]
  if not return_sequences:
    return carry, cell.output(carry)
  if reverse:
    ys = ys[::-1]
  return carry, jnp.swapaxes(ys, 0, 1)


# ----------------------------------------------------------------------------
# Layers.


def _as_cell(obj: Any, where: str) -> Cell:
  if isinstance(obj, Cell):
    return obj
  if callable(obj) and getattr(obj, "__name__", "").endswith("Cell"):
    raise TypeError(
      f"{where} is the function {obj.__name__}, not a Cell; did you mean "
      f"{obj.__name__}(hidden_size)?"
    )
  raise TypeError(
    f"{where} must be a Cell (SimpleRNNCell, LSTMCell, GRUCell), got {type(obj).__name__}"
  )


def _split_input(name: str, inp: Any) -> tuple[jax.Array, Any, Any]:
  """``(x, lengths, carry, had_lengths)`` from an array or an RNNInput, checked."""
  if isinstance(inp, RNNInput):
    x, lengths, carry = inp
  else:
    x, lengths, carry = inp, None, None
  check_array(name, x)
  check_rank(name, x.shape, 3, "(N, T, F)")
  check_floating(name, x)
  if lengths is not None:
    check_array(name, lengths)
    check_integer(name, lengths)
    if lengths.shape != x.shape[:1]:
      raise ShapeError(
        f"{name}: expected lengths of shape ({x.shape[0]},), one per sequence "
        f"of x {x.shape}, got shape {lengths.shape}"
      )
    if is_concrete(lengths):  # an eager call: the values can be checked on the host
      check_lengths(lengths, x.shape[1], name=name)
  return x, lengths, carry


def _check_carry(name: str, carry: PyTree, expected: PyTree) -> None:
  got = jax.tree.map(jnp.shape, carry)
  want = jax.tree.map(jnp.shape, expected)
  # mypy sees jaxlib's PyTreeDef as an unresolved type, without comparisons
  if jax.tree.structure(carry) != jax.tree.structure(expected) or got != want:  # type: ignore[operator]
    raise ShapeError(f"{name}: expected an initial carry with shapes {want}, got {got}")


def _run(
  name: str,
  cell: Cell,
  params: PyTree,
  x: jax.Array,
  lengths: Any,
  carry: PyTree,
  reverse: bool,
  return_sequences: bool,
  truncate: int | None,
  unroll: int,
) -> tuple[PyTree, jax.Array]:
  check_last_axis(name, x.shape, params["w_i"].shape[0])
  zero = cell.zero_carry(x.shape[0], x.dtype)
  if carry is None:
    carry = zero
  else:
    _check_carry(name, carry, zero)
  return rnn_scan(
    cell,
    params,
    carry,
    x,
    lengths=lengths,
    reverse=reverse,
    return_sequences=return_sequences,
    truncate=truncate,
    unroll=unroll,
  )


def _check_options(name: str, truncate: int | None, unroll: int) -> None:
  if truncate is not None and (not isinstance(truncate, int) or truncate < 1):
    raise ValueError(
      f"{name}: truncate must be a positive int (steps per BPTT chunk) or None, got {truncate!r}"
    )
  if not isinstance(unroll, int) or unroll < 1:
    raise ValueError(f"{name}: unroll must be a positive int, got {unroll!r}")


def _rnn_input_shape(name: str, input_shape: Shape) -> tuple[tuple, Any]:
  """The shapes of the inputs and lengths of an RNN input shape.

  ``(x_shape, lengths_shape)`` of an input shape: a plain ``(N, T, F)`` or the
  shapes of an RNNInput ``(x, lengths, carry)``.
  """
  shape, lengths, _ = split_shape(input_shape)
  shape = check_input_shape(name, shape)
  check_rank(name, shape, 3, "(N, T, F)")
  return shape, (None if lengths is None else tuple(lengths))


def _wrap_output(
  y: Any, lengths: Any, final_carry: PyTree, return_sequences: bool, return_carry: bool
) -> Any:
  # A masked sequence stays masked, so the layers after it in `serial` see the lengths
  # (init does the same with shapes, so init and apply agree on the structure).
  if return_sequences and lengths is not None:
    y = RNNInput(y, lengths)
  return (y, final_carry) if return_carry else y


def RNN(
  cell: Cell,
  *,
  return_sequences: bool = True,
  reverse: bool = False,
  return_carry: bool = False,
  truncate: int | None = None,
  unroll: int = 1,
) -> Layer:
  """Scans ``cell`` over the time axis of ``(N, T, F)`` input: a Layer trained by BPTT.

  Input: an ``(N, T, F)`` array, or an :class:`RNNInput` with ``lengths`` (padded
  batch) and/or an initial ``carry``. Output: ``(N, T, H)`` (``return_sequences``) or
  the last output ``(N, H)``. When the input had ``lengths`` and the output is a
  sequence, it is returned as ``RNNInput(y, lengths)``, so the layers after it in
  :func:`fnn.serial` see the lengths: RNNs use them, and Dense, LayerNorm, Dropout and
  the activations act on each step and pass them on (a per-step read-out, trained
  with ``fnn.losses.masked``). ``init`` given ``RNNInput`` shapes returns the output
  shape with the same structure.

  Lengths must be in ``[0, T]``; eager calls raise ValueError otherwise. Under
  ``jit`` they cannot be checked: a length above ``T`` acts as ``T`` and a negative
  one as 0 (``fit`` checks its data with :func:`check_lengths` first).

  Examples:
    Many-to-one, on padded sequences of lengths 20, 15, 10 and 5:

    >>> from fnn.layers import Dense
    >>> model = fnn.serial(RNN(LSTMCell(16)), RNN(LSTMCell(16), return_sequences=False), Dense(1))
    >>> params, state, _ = model.init(jax.random.key(0), (1, 20, 2))
    >>> x, lengths = jnp.ones((4, 20, 2)), jnp.array([20, 15, 10, 5])
    >>> y, _ = model.apply(params, state, RNNInput(x, lengths=lengths))
    >>> y.shape
    (4, 1)

    Many-to-many: the output keeps the lengths, for a loss over the real steps.

    >>> per_step = fnn.serial(RNN(LSTMCell(16)), Dense(1))
    >>> params, state, _ = per_step.init(jax.random.key(0), (1, 20, 2))
    >>> y, _ = per_step.apply(params, state, RNNInput(x, lengths=lengths))
    >>> y.x.shape, y.lengths.tolist()
    ((4, 20, 1), [20, 15, 10, 5])

  Args:
    cell: a :class:`Cell` (``SimpleRNNCell(H)``, ``LSTMCell(H)``, ``GRUCell(H)``).
    return_sequences: all outputs ``(N, T, H)`` (default) or only the last ``(N, H)``.
    reverse: scan from the end of each sequence to its start.
    return_carry: also return the final carry: output ``(y, carry)`` (e.g. to feed
      a decoder's ``RNNInput(..., carry=carry)``).
    truncate: truncated BPTT in chunks of this many steps (see :func:`rnn_scan`); the
      forward pass is unchanged, so the layer trains with any loss and ``fit``.
    unroll: ``lax.scan``'s unroll factor.

  Params: the cell's params (e.g. LSTM ``{'w_i': (F, 4H), 'w_h': (H, 4H), 'b': (4H,)}``);
  no state.
  """
  cell = _as_cell(cell, "RNN: cell")
  name = (
    f"RNN({cell.name}"
    + (", reverse=True" if reverse else "")
    + (f", truncate={truncate})" if truncate else ")")
  )
  _check_options(name, truncate, unroll)

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name)
    assert key is not None  # check_key raised otherwise
    (n, t, f), lengths = _rnn_input_shape(name, input_shape)
    params = cell.init(key, f)
    out = (n, t, cell.hidden_size) if return_sequences else (n, cell.hidden_size)
    carry = jax.tree.map(jnp.shape, cell.zero_carry(n))
    return params, {}, _wrap_output(out, lengths, carry, return_sequences, return_carry)

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
    x, lengths, carry = _split_input(name, x)
    check_last_axis(name, x.shape, params["w_i"].shape[0])
    check_params(params, x.shape)
    final, y = _run(
      name, cell, params, x, lengths, carry, reverse, return_sequences, truncate, unroll
    )
    return _wrap_output(y, lengths, final, return_sequences, return_carry), state

  return Layer(init, apply, name)


def Bidirectional(
  cell: Cell,
  backward_cell: Cell | None = None,
  *,
  return_sequences: bool = True,
  return_carry: bool = False,
  truncate: int | None = None,
  unroll: int = 1,
) -> Layer:
  """A forward and a backward RNN over the same input, outputs concatenated.

  With ``lengths`` the backward direction starts at each sequence's own last step.
  Output ``(N, T, 2H)`` (``return_sequences``), else ``(N, 2H)``: the forward output at
  the last valid step and the backward output at ``t = 0``. An initial carry, if given
  in an :class:`RNNInput`, is a ``(forward, backward)`` pair, and so is the final carry.

  Args:
    cell: the forward cell.
    backward_cell: the backward cell (default: a fresh copy of ``cell``).
    return_sequences: as in :func:`RNN`.
    return_carry: as in :func:`RNN`.
    truncate: as in :func:`RNN`.
    unroll: as in :func:`RNN`.

  Params: ``{'forward': ..., 'backward': ...}``, each the cell's params; no state.
  """
  fwd = _as_cell(cell, "Bidirectional: cell")
  bwd = fwd if backward_cell is None else _as_cell(backward_cell, "Bidirectional: backward_cell")
  name = f"Bidirectional({fwd.name}" + (f", {bwd.name})" if backward_cell is not None else ")")
  _check_options(name, truncate, unroll)

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    check_key(key, name)
    assert key is not None  # check_key raised otherwise
    (n, t, f), lengths = _rnn_input_shape(name, input_shape)
    k_f, k_b = jax.random.split(key)
    params = {"forward": fwd.init(k_f, f), "backward": bwd.init(k_b, f)}
    h = fwd.hidden_size + bwd.hidden_size
    out = (n, t, h) if return_sequences else (n, h)
    carry = jax.tree.map(jnp.shape, (fwd.zero_carry(n), bwd.zero_carry(n)))
    return params, {}, _wrap_output(out, lengths, carry, return_sequences, return_carry)

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
    x, lengths, carry = _split_input(name, x)
    check_last_axis(name, x.shape, params["forward"]["w_i"].shape[0])
    check_params(params, x.shape)
    if carry is not None and not (isinstance(carry, (tuple, list)) and len(carry) == 2):
      raise ShapeError(
        f"{name}: the initial carry must be a (forward, backward) pair, got {type(carry).__name__}"
      )
    c_f, c_b = (None, None) if carry is None else carry
    final_f, y_f = _run(
      name, fwd, params["forward"], x, lengths, c_f, False, return_sequences, truncate, unroll
    )
    final_b, y_b = _run(
      name, bwd, params["backward"], x, lengths, c_b, True, return_sequences, truncate, unroll
    )
    y = jnp.concatenate([y_f, y_b], axis=-1)
    return _wrap_output(y, lengths, (final_f, final_b), return_sequences, return_carry), state

  return Layer(init, apply, name)
