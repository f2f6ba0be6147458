r"""Hopfield networks: classical associative memory and the modern continuous network.

Classical network (Hopfield 1982). ``d`` neurons with states ``s`` in {-1, +1}
(bipolar) or {0, 1} (binary). Its parameters are a pytree
``{'w': (d, d), 'b': (d,)}``: a symmetric weight matrix with zero diagonal and a bias
``b`` (the negative of the threshold, ``b = -theta``). Its energy is

.. math::  E(s) = -\\tfrac12 s^\\top w s - b^\\top s

and neuron ``i`` updates to ``+1`` if its field ``h_i = (w s)_i + b_i > 0``, to ``-1``
(``0`` when binary) if ``h_i < 0`` and keeps its state if ``h_i = 0``. One neuron at
a time (asynchronous) the energy never increases, so recall ends at a fixed point.

Every function is batched over a leading axis N: states and probes are ``(N, d)``
(one probe is ``N = 1``), energies ``(N,)``.

Storage rules take patterns as rows, shape (K, d), and return the parameters (with
``b = 0``):

* :func:`hebbian`:  ``w = sum_k x_k x_k^T - K I`` (zero diagonal, unnormalised, as in
  the course; scaling w does not change the dynamics when ``b = 0``).
* :func:`pseudo_inverse`: the projection rule ``w = X^+ X`` (Personnaz et al. 1985),
  diagonal zeroed; stores up to ~d linearly independent patterns exactly.
* :func:`storkey`: Storkey's (1997) local, incremental rule; its capacity,
  ~d / sqrt(2 ln d), is above Hebbian's ~0.138 d.

Binary patterns are converted to bipolar (``2x - 1``) before storage, the standard
choice; recall can still run on binary states. :func:`mean_field_overlap` gives the
replica-symmetric zero-temperature retrieval overlap of the Hebbian network
(Amit, Gutfreund & Sompolinsky 1987).

Modern Hopfield network (Ramsauer et al. 2020, "Hopfield Networks is All You Need").
Stored patterns as rows (M, d), states ``xi`` (N, d), inverse temperature beta:

.. math::  \\xi \\leftarrow X^\\top \\mathrm{softmax}(\\beta X \\xi), \\qquad
           E(\\xi) = -\\beta^{-1}\\log\\sum_i e^{\\beta x_i^\\top \\xi}
                     + \\tfrac12 \\xi^\\top\\xi + \\beta^{-1}\\log M + \\tfrac12 m^2

with ``m = max_i ||x_i||``. :func:`Hopfield` wraps it as an fnn Layer.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn import initializers
from fnn.core import (
  Layer,
  ShapeError,
  check_array,
  check_floating,
  check_input_shape,
  check_key,
  check_train,
  param_checker,
)

# ----------------------------------------------------------------------------
# States and checks.


def to_bipolar(s):
  """Binary {0, 1} states -> bipolar {-1, +1} (``2 s - 1``), same shape."""
  return 2 * jnp.asarray(s) - 1


def to_binary(s):
  """Bipolar {-1, +1} states -> binary {0, 1} (``(s + 1) / 2``), same shape."""
  s = jnp.asarray(s)
  # Integer division keeps integer states integer; it is exact for ±1.
  return (s + 1) // 2 if jnp.issubdtype(s.dtype, jnp.integer) else (s + 1) / 2


def _is_concrete(x) -> bool:
  return not isinstance(x, jax.core.Tracer)


def _check_real(name: str, what: str, x) -> None:
  """TypeError unless ``x`` is an array of real numbers (bool, complex, str refused)."""
  check_array(name, x)
  dtype = np.dtype(x.dtype)
  if dtype == np.bool_ or not (
    np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)
  ):
    raise TypeError(
      f"{name}: expected {what} of a real numeric dtype (int or float), got dtype {dtype}"
    )


def check_states(name: str, s, *, binary: bool = False):
  """Raises ValueError unless every entry of ``s`` is ±1 (or 0/1 when ``binary``).

  Traced values (inside ``jit``) cannot be inspected and pass unchecked.
  """
  check_array(name, s)
  if not _is_concrete(s):
    return
  values = np.unique(np.asarray(s))
  allowed = (0, 1) if binary else (-1, 1)
  bad = [v.item() for v in values if v not in allowed]
  if bad:
    kind = "binary (0/1)" if binary else "bipolar (-1/+1)"
    hint = "" if binary else "; for 0/1 states pass binary=True or convert with to_bipolar"
    raise ValueError(
      f"{name}: expected {kind} states, got values {sorted(bad)[:5]} "
      f"(of {values.size} distinct values){hint}"
    )


def _check_patterns(name: str, patterns, binary: bool) -> jax.Array:
  _check_real(name, "patterns", patterns)
  if patterns.ndim != 2:
    raise ShapeError(f"{name}: expected patterns as rows, shape (K, d), got shape {patterns.shape}")
  if patterns.shape[0] < 1 or patterns.shape[1] < 1:
    raise ShapeError(
      f"{name}: expected at least one pattern of size >= 1, got shape {patterns.shape}"
    )
  check_states(name, patterns, binary=binary)
  x = jnp.asarray(patterns, jnp.float32)
  return to_bipolar(x) if binary else x


def _check_params(name: str, params):
  """Checks ``{'w': (d, d), 'b': (d,)}``; returns ``(w, b)`` as float32 arrays."""
  if not isinstance(params, dict) or set(params) != {"w", "b"}:
    got = sorted(params) if isinstance(params, dict) else type(params).__name__
    raise TypeError(
      f"{name}: expected params {{'w': (d, d), 'b': (d,)}} as returned by "
      f"hebbian/pseudo_inverse/storkey, got {got}"
    )
  w, b = params["w"], params["b"]
  _check_real(name, "params['w']", w)
  _check_real(name, "params['b']", b)
  if w.ndim != 2 or w.shape[0] != w.shape[1]:
    raise ShapeError(
      f"{name}: expected a square weight matrix params['w'] (d, d), got shape {w.shape}"
    )
  if b.shape != (w.shape[0],):
    raise ShapeError(
      f"{name}: expected params['b'] of shape ({w.shape[0]},) to match "
      f"params['w'] {w.shape}, got {b.shape}"
    )
  return jnp.asarray(w, jnp.float32), jnp.asarray(b, jnp.float32)


def _check_batch(name: str, what: str, s, d: int):
  """Checks states ``(N, d)`` against ``d`` neurons; returns them as an array."""
  _check_real(name, what, s)
  if s.ndim != 2:
    hint = f"; for one state of shape ({d},) pass s[None]" if s.ndim == 1 else ""
    raise ShapeError(f"{name}: expected {what} of shape (N, {d}), got shape {s.shape}{hint}")
  if s.shape[1] != d:
    raise ShapeError(
      f"{name}: {what} have {s.shape[1]} units but params['w'] is "
      f"({d}, {d}); expected shape (N, {d}), got {s.shape}"
    )
  return s


def _check_recall_weights(name: str, w, b) -> None:
  """Host checks on concrete weights: finite, and w symmetric (the energy argument)."""
  if not (_is_concrete(w) and _is_concrete(b)):
    return
  w_host, b_host = np.asarray(w), np.asarray(b)
  for what, x in (("params['w']", w_host), ("params['b']", b_host)):
    if not np.all(np.isfinite(x)):
      where = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
      raise ValueError(f"{name}: {what} must be finite, got {x[where]} at index {where}")
  gap = np.abs(w_host - w_host.T)
  tolerance = 1e-5 * max(float(np.abs(w_host).max()), 1e-30)
  if gap.max() > tolerance:
    i, j = np.unravel_index(np.argmax(gap), gap.shape)
    raise ValueError(
      f"{name}: params['w'] must be symmetric (recall reaches a fixed point only when "
      f"w == w.T; otherwise it may cycle until max_sweeps), got w[{i}, {j}] = "
      f"{w_host[i, j]} but w[{j}, {i}] = {w_host[j, i]}; symmetrise it with (w + w.T) / 2"
    )


# ----------------------------------------------------------------------------
# Storage rules.


def _params(w) -> dict:
  return {"w": w, "b": jnp.zeros((w.shape[0],), w.dtype)}


def hebbian(patterns, *, binary: bool = False) -> dict:
  """Hebbian (outer-product) rule: ``w = sum_k x_k x_k^T - K I``.

  Args:
    patterns: (K, d) array of ±1 entries (0/1 with ``binary=True``).
    binary: whether ``patterns`` are 0/1 (converted with :func:`to_bipolar`).

  Returns:
    ``{'w': (d, d), 'b': (d,)}`` float32: ``w`` symmetric with zero diagonal, ``b = 0``.
  """
  x = _check_patterns("hopfield.hebbian", patterns, binary)
  k = x.shape[0]
  return _params(x.T @ x - k * jnp.eye(x.shape[1], dtype=x.dtype))


def pseudo_inverse(patterns, *, binary: bool = False) -> dict:
  """Projection (pseudo-inverse) rule: ``w = X^+ X`` with the diagonal zeroed.

  ``X^+ X`` projects onto the span of the patterns, so each pattern satisfies
  ``w x = x - diag(X^+ X) x``; with diagonal entries below 1 (true for fewer than
  d linearly independent patterns in general position) every pattern is a fixed point.

  Args:
    patterns: (K, d) array of ±1 entries (0/1 with ``binary=True``).
    binary: whether ``patterns`` are 0/1.

  Returns:
    ``{'w': (d, d), 'b': (d,)}`` float32: ``w`` symmetric with zero diagonal, ``b = 0``.
  """
  x = _check_patterns("hopfield.pseudo_inverse", patterns, binary)
  w = jnp.linalg.pinv(x) @ x
  w = 0.5 * (w + w.T)  # exact symmetry despite round-off
  return _params(w * (1.0 - jnp.eye(x.shape[1], dtype=w.dtype)))


def storkey(patterns, *, binary: bool = False) -> dict:
  r"""Storkey's (1997) incremental rule, one pattern at a time with ``lax.scan``.

  .. math:: w_{ij} \\leftarrow w_{ij} + \\tfrac1d (x_i x_j - x_i h_{ji} - h_{ij} x_j),
            \\quad h_{ij} = \\sum_{k \\ne i, j} w_{ik} x_k

  Args:
    patterns: (K, d) array of ±1 entries (0/1 with ``binary=True``).
    binary: whether ``patterns`` are 0/1.

  Returns:
    ``{'w': (d, d), 'b': (d,)}`` float32: ``w`` symmetric with zero diagonal (scale
    ~1/d, unlike :func:`hebbian`), ``b = 0``.
  """
  x = _check_patterns("hopfield.storkey", patterns, binary)
  n = x.shape[1]
  off_diagonal = 1.0 - jnp.eye(n, dtype=x.dtype)

  def add(w, xi):
    # h[i, j] = sum_{k != i, j} w_ik xi_k; the diagonal of w stays zero so k != i is free.
    h = (w @ xi)[:, None] - w * xi[None, :]
    dw = (jnp.outer(xi, xi) - xi[:, None] * h.T - h * xi[None, :]) / n
    return (w + dw) * off_diagonal, None

  w, _ = jax.lax.scan(add, jnp.zeros((n, n), x.dtype), x)
  return _params(0.5 * (w + w.T))


def mean_field_overlap(alpha: float) -> float:
  r"""The Hebbian network's retrieval overlap ``m`` at load ``alpha`` (RS theory, T = 0).

  Solves Amit, Gutfreund & Sompolinsky's zero-temperature replica-symmetric equations
  (Ann. Phys. 173, 30, 1987; in the form of Hertz, Krogh & Palmer 1991, section 2.5)

  .. math:: m = \\mathrm{erf}\\Big(\\frac{m}{\\sqrt{2\\alpha r}}\\Big), \\quad
            C = \\sqrt{\\frac{2}{\\pi\\alpha r}}\\, e^{-m^2/(2\\alpha r)}, \\quad
            r = \\frac{1}{(1 - C)^2}.

  With ``y = m / sqrt(2 alpha r)`` they reduce to one equation,
  ``erf(y) - (2/sqrt(pi)) y exp(-y^2) = sqrt(2 alpha) y``; the retrieval state is its
  largest root, which exists up to ``alpha_c ~ 0.138`` (where ``m ~ 0.967``).

  Args:
    alpha: the load P/d, ``>= 0``.

  Returns:
    ``m`` of the retrieval solution, or ``nan`` above ``alpha_c`` where there is none.
  """
  if not isinstance(alpha, (int, float)) or isinstance(alpha, bool):
    raise TypeError(
      f"hopfield.mean_field_overlap: alpha must be a float, got {type(alpha).__name__}"
    )
  if not alpha >= 0:
    raise ValueError(f"hopfield.mean_field_overlap: alpha must be >= 0, got {alpha}")
  if alpha == 0:
    return 1.0
  target = math.sqrt(2.0 * alpha)

  def slope(y):  # (erf(y) - 2/sqrt(pi) y e^{-y^2}) / y, which must equal sqrt(2 alpha)
    return (math.erf(y) - 2.0 / math.sqrt(math.pi) * y * math.exp(-y * y)) / y

  # slope rises from 0 to one maximum (near y = 1.5) and falls like 1/y: bracket the
  # largest root between the maximum and a y far enough out.
  grid = np.linspace(0.05, 10.0, 2000)
  y_peak = float(grid[np.argmax([slope(y) for y in grid])])
  if slope(y_peak) < target:
    return float("nan")
  lo, hi = y_peak, max(2.0 / target, y_peak + 1.0)
  for _ in range(200):  # bisection: slope(lo) >= target > slope(hi)
    mid = 0.5 * (lo + hi)
    lo, hi = (mid, hi) if slope(mid) >= target else (lo, mid)
  return math.erf(lo)


# ----------------------------------------------------------------------------
# Energy and recall.


def energy(params, s) -> jax.Array:
  """``E(s) = -1/2 s^T w s - b^T s`` for states ``s`` (N, d); returns shape (N,).

  Args:
    params: ``{'w': (d, d), 'b': (d,)}``.
    s: (N, d) states (±1 or 0/1; any real values are accepted).

  Returns:
    float32 (N,) energies.
  """
  w, b = _check_params("hopfield.energy", params)
  s = _check_batch("hopfield.energy", "states", s, w.shape[0]).astype(jnp.float32)
  return _energy(w, b, s)


def _energy(w, b, s):
  return -0.5 * jnp.einsum("...i,ij,...j->...", s, w, s) - s @ b


class RecallResult(NamedTuple):
  """What a recall returns, batched over the N probes.

  Attributes:
    state: (N, d) final states, same dtype as the probes.
    sweeps: int32 (N,) sweeps run (a sweep updates every neuron once).
    converged: bool (N,), whether the last sweep changed nothing (a fixed point) with
      finite fields; a network with non-finite weights never reports convergence.
    energies: float32 (N, max_sweeps + 1) energy after each sweep, index 0 = the probe;
      entries after the last sweep repeat the final energy. ``None`` unless
      ``trajectory=True``.
  """

  state: jax.Array
  sweeps: jax.Array
  converged: jax.Array
  energies: jax.Array | None = None


def _new_value(h, old, low):
  """The Hopfield update rule: +1 if h > 0, ``low`` if h < 0, unchanged if h == 0."""
  return jnp.where(h > 0, 1.0, jnp.where(h < 0, low, old))


def _run_sweeps(sweep, w, b, s0, max_sweeps, trajectory, key):
  """``lax.while_loop`` of ``sweep(s, key) -> s`` until a fixed point or ``max_sweeps``.

  A sweep of non-finite fields changes nothing (``h > 0`` and ``h < 0`` are both
  false), so ``converged`` also asks for finite weights, bias and state.
  """
  finite = jnp.all(jnp.isfinite(w)) & jnp.all(jnp.isfinite(b)) & jnp.all(jnp.isfinite(s0))
  energies0 = None
  if trajectory:
    energies0 = jnp.full((max_sweeps + 1,), _energy(w, b, s0))

  def cond(carry):
    _, t, fixed, _, _ = carry
    return (~fixed) & (t < max_sweeps)

  def body(carry):
    s, t, _, key, energies = carry
    key, sub = jax.random.split(key) if key is not None else (None, None)
    new = sweep(s, sub)
    if trajectory:
      e = _energy(w, b, new)
      energies = jnp.where(jnp.arange(max_sweeps + 1) > t, e, energies)
    return new, t + 1, jnp.all(new == s), key, energies

  init = (s0, jnp.int32(0), jnp.bool_(False), key, energies0)
  s, t, fixed, _, energies = jax.lax.while_loop(cond, body, init)
  return s, t, fixed & finite, energies


def _sync_core(w, b, s0, key, max_sweeps, binary, trajectory):
  del key  # synchronous updates are deterministic
  low = 0.0 if binary else -1.0

  def sweep(s, _):
    return _new_value(w @ s + b, s, low)

  return _run_sweeps(sweep, w, b, s0, max_sweeps, trajectory, None)


def _async_core(w, b, s0, key, max_sweeps, binary, trajectory):
  low = 0.0 if binary else -1.0
  n = w.shape[0]

  def sweep(s, key):
    def update(s, i):
      return s.at[i].set(_new_value(w[i] @ s + b[i], s[i], low)), None

    s, _ = jax.lax.scan(update, s, jax.random.permutation(key, n))
    return s

  return _run_sweeps(sweep, w, b, s0, max_sweeps, trajectory, key)


_CORES = {"sync": _sync_core, "async": _async_core}


# Compiled once per (shapes, static settings) and shared by every call.
@functools.partial(jax.jit, static_argnames=("mode", "max_sweeps", "binary", "trajectory"))
def _recall_many(w, b, probes, keys, mode, max_sweeps, binary, trajectory):
  core = functools.partial(
    _CORES[mode], max_sweeps=max_sweeps, binary=binary, trajectory=trajectory
  )
  return jax.vmap(lambda p, k: core(w, b, p, k))(probes, keys)


def _check_recall_options(name, mode, key, max_sweeps, binary):
  if mode not in _CORES:
    raise ValueError(f"{name}: mode must be 'async' or 'sync', got {mode!r}")
  if mode == "async" and key is None:
    raise TypeError(
      f"{name}: mode='async' updates neurons in a random order and needs "
      f"key=jax.random.key(seed); pass one, or use mode='sync'"
    )
  if not isinstance(max_sweeps, int) or isinstance(max_sweeps, bool):
    raise TypeError(f"{name}: max_sweeps must be a Python int, got {type(max_sweeps).__name__}")
  if max_sweeps < 1:
    raise ValueError(f"{name}: max_sweeps must be >= 1, got {max_sweeps}")
  if not isinstance(binary, bool):
    raise TypeError(f"{name}: binary must be a Python bool, got {type(binary).__name__}")


def recall(
  params,
  probes,
  *,
  key=None,
  mode: str = "async",
  max_sweeps: int = 100,
  binary: bool = False,
  trajectory: bool = False,
) -> RecallResult:
  """Recalls N probes at once (``vmap`` of a ``lax.while_loop``; one compile per shape).

  ``mode="async"`` (the default, the classical dynamics): one neuron at a time, in a
  fresh random order per sweep drawn from ``key`` (split per probe). With ``w``
  symmetric the energy never increases, so recall stops at a fixed point: a sweep that
  changes nothing. ``mode="sync"``: all neurons at once, ``s <- sgn(w s + b)``; it is
  deterministic (``key`` is ignored) and may end in a 2-cycle (then ``converged`` is
  False after ``max_sweeps``).

  Checks run on the host when the arguments are concrete: probe values, shapes, and
  that ``w`` and ``b`` are finite and ``w`` symmetric. Under ``jit`` (traced
  arguments) they cannot run: a non-symmetric ``w`` then runs until a fixed point or
  ``max_sweeps`` and ``converged`` says which; non-finite weights never report
  ``converged=True``.

  Args:
    params: ``{'w': (d, d), 'b': (d,)}``.
    probes: (N, d) initial states, ±1 (0/1 with ``binary=True``); one probe is N = 1.
    key: PRNG key for the asynchronous update order (keyword-only; incidental
      randomness, needed for ``mode="async"``).
    mode: ``"async"`` or ``"sync"``.
    max_sweeps: the sweep budget (Python int >= 1).
    binary: states are 0/1 instead of ±1.
    trajectory: also return the energy after each sweep.

  Returns:
    A :class:`RecallResult` whose fields have a leading axis N.
  """
  name = "hopfield.recall"
  _check_recall_options(name, mode, key, max_sweeps, binary)
  w, b = _check_params(name, params)
  probes = _check_batch(name, "probes", probes, w.shape[0])
  check_states(name, probes, binary=binary)
  _check_recall_weights(name, params["w"], params["b"])
  n = probes.shape[0]
  keys = jax.random.split(key, n) if mode == "async" else jnp.zeros((n,), jnp.uint32)
  s, t, converged, e = _recall_many(
    w,
    b,
    probes.astype(jnp.float32),
    keys,
    mode=mode,
    max_sweeps=max_sweeps,
    binary=binary,
    trajectory=trajectory,
  )
  return RecallResult(s.astype(jax.dtypes.canonicalize_dtype(probes.dtype)), t, converged, e)


# ----------------------------------------------------------------------------
# Modern (continuous) Hopfield network.


def _check_modern(name, patterns, xi, beta):
  _check_real(name, "patterns", patterns)
  if patterns.ndim != 2:
    raise ShapeError(
      f"{name}: expected stored patterns as rows, shape (M, d), got {patterns.shape}"
    )
  _check_real(name, "states", xi)
  d = patterns.shape[1]
  if xi.ndim != 2 or xi.shape[1] != d:
    hint = "; for one state pass xi[None]" if xi.ndim == 1 else ""
    raise ShapeError(
      f"{name}: expected states of shape (N, {d}) to match stored patterns "
      f"{patterns.shape}, got {xi.shape}{hint}"
    )
  if isinstance(beta, (int, float)) and not beta > 0:
    raise ValueError(f"{name}: beta must be positive, got {beta}")
  return jnp.asarray(patterns, jnp.float32), jnp.asarray(xi, jnp.float32)


def _modern_steps(patterns, xi, beta, steps):
  """``steps`` updates of states ``xi`` (..., d) (any leading axes; no checks)."""

  def update(_, s):
    return jax.nn.softmax(beta * s @ patterns.T, axis=-1) @ patterns

  return jax.lax.fori_loop(0, steps, update, xi)


def modern_update(patterns, xi, beta) -> jax.Array:
  """One update of the modern Hopfield network, ``xi <- X^T softmax(beta X xi)``.

  Args:
    patterns: (M, d) stored patterns X as rows.
    xi: (N, d) states.
    beta: inverse temperature (> 0).

  Returns:
    The new states, float32 (N, d).
  """
  patterns, xi = _check_modern("hopfield.modern_update", patterns, xi, beta)
  return _modern_steps(patterns, xi, beta, 1)


def modern_energy(patterns, xi, beta) -> jax.Array:
  """Ramsauer et al.'s energy ``-lse(beta, X xi) + xi.xi/2 + log(M)/beta + m^2/2``.

  Args:
    patterns: (M, d) stored patterns X as rows.
    xi: (N, d) states.
    beta: inverse temperature (> 0).

  Returns:
    float32 (N,) energies (>= 0, Ramsauer et al., Theorem 1).
  """
  patterns, xi = _check_modern("hopfield.modern_energy", patterns, xi, beta)
  m2 = jnp.max(jnp.sum(patterns * patterns, axis=-1))
  lse = jax.nn.logsumexp(beta * xi @ patterns.T, axis=-1) / beta
  return -lse + 0.5 * jnp.sum(xi * xi, axis=-1) + jnp.log(patterns.shape[0]) / beta + 0.5 * m2


def modern_recall(patterns, xi, beta, *, steps: int = 1) -> jax.Array:
  """``steps`` modern updates of (N, d) states; returns float32 (N, d).

  One update is usually enough for well-separated patterns.
  """
  patterns, xi = _check_modern("hopfield.modern_recall", patterns, xi, beta)
  if not isinstance(steps, int) or isinstance(steps, bool):
    raise TypeError(
      f"hopfield.modern_recall: steps must be a Python int, got {type(steps).__name__}"
    )
  if steps < 1:
    raise ValueError(f"hopfield.modern_recall: steps must be >= 1, got {steps}")
  return _modern_steps(patterns, xi, beta, steps)


def _check_hopfield_arguments(num_patterns, source, features, beta, steps):
  if source not in ("params", "inputs"):
    raise ValueError(f"Hopfield: source must be 'params' or 'inputs', got {source!r}")
  if source == "params" and (not isinstance(num_patterns, int) or num_patterns < 1):
    raise ValueError(
      f"Hopfield: source='params' needs num_patterns, a positive int; got {num_patterns!r}"
    )
  if features is not None and (not isinstance(features, int) or features < 1):
    raise ValueError(f"Hopfield: features must be a positive int or None, got {features!r}")
  if not isinstance(steps, int) or steps < 1:
    raise ValueError(f"Hopfield: steps must be a positive int, got {steps!r}")
  if features is not None and steps != 1:
    raise ValueError("Hopfield: steps > 1 needs features=None (projections map to another space)")
  if beta is not None and beta <= 0:
    raise ValueError(f"Hopfield: beta must be positive, got {beta}")


def Hopfield(
  num_patterns: int | None = None,
  *,
  source: str = "params",
  features: int | None = None,
  beta: float | None = None,
  steps: int = 1,
  pattern_init=initializers.normal(1.0),
) -> Layer:
  """A modern Hopfield layer (Ramsauer et al. 2020) in the fnn Layer protocol.

  Two sources of stored patterns:

  * ``source="params"``: ``num_patterns`` learnable patterns ``P`` (M, F) in params;
    input (N, F) or (N, T, F) queries; output ``softmax(beta q P^T) P`` (iterated
    ``steps`` times) of the input's shape.
  * ``source="inputs"``: the layer's input (N, T, F) is both the stored patterns and
    the queries (each position retrieves from the sequence it belongs to).

  With ``features=d`` the layer learns projections as in the paper's Hopfield layer:
  ``q = x w_q``, ``k = Y w_k``, ``v = Y w_v`` (all (F, d)), output
  ``softmax(beta q k^T) v`` of size d (one step). Without ``features`` it is the pure
  update rule (no params for ``source="inputs"``).

  Args:
    num_patterns: M, for ``source="params"``.
    source: ``"params"`` or ``"inputs"``.
    features: optional projection size d.
    beta: inverse temperature, default ``1/sqrt(F)`` (``1/sqrt(d)`` with projections).
    steps: updates per call (only without projections).
    pattern_init: initializer of the stored patterns.

  Params:
    ``{'patterns': (M, F)}`` (params source), plus ``'w_q', 'w_k', 'w_v'`` (F, d) with
    ``features``; no state.
  """
  _check_hopfield_arguments(num_patterns, source, features, beta, steps)
  name = f"Hopfield({num_patterns if source == 'params' else 'inputs'}" + (
    f", features={features})" if features else ")"
  )

  def init(key, input_shape):
    check_key(key, name)
    shape = check_input_shape(name, input_shape)
    if source == "inputs" and len(shape) != 3:
      raise ShapeError(f"{name}: source='inputs' expects input (N, T, F), got shape {shape}")
    if source == "params" and len(shape) not in (2, 3):
      raise ShapeError(f"{name}: expected input (N, F) or (N, T, F), got shape {shape}")
    f = shape[-1]
    kp, kq, kk, kv = jax.random.split(key, 4)
    params = {}
    if source == "params":
      params["patterns"] = pattern_init(kp, (num_patterns, f), jnp.float32)
    if features is not None:
      for name_, k in (("w_q", kq), ("w_k", kk), ("w_v", kv)):
        params[name_] = initializers.lecun_normal(k, (f, features), jnp.float32)
    return params, {}, shape[:-1] + ((features,) if features else (f,))

  check_params = param_checker(name, init)

  def apply(params, state, x, *, key=None, train=False):
    check_train(name, train)
    check_array(name, x)
    check_floating(name, x)
    f = (
      params["w_q"].shape[0]
      if features
      else (params["patterns"].shape[1] if source == "params" else x.shape[-1])
    )
    if x.shape[-1] != f:
      raise ShapeError(f"{name}: expected x[..., {f}], got shape {x.shape}")
    if source == "inputs" and x.ndim != 3:
      raise ShapeError(f"{name}: source='inputs' expects input (N, T, F), got shape {x.shape}")
    check_params(params, x.shape)
    stored = params["patterns"] if source == "params" else x
    if features is None:
      b = beta if beta is not None else float(1.0 / np.sqrt(f))  # float: keeps bf16 x bf16
      if source == "params":
        return _modern_steps(stored, x, b, steps), state
      # Per sequence: the T positions are the stored patterns of that sequence.
      return jax.vmap(lambda s: _modern_steps(s, s, b, steps))(x), state
    b = beta if beta is not None else float(1.0 / np.sqrt(features))
    q = x @ params["w_q"]
    k = stored @ params["w_k"]
    v = stored @ params["w_v"]
    if source == "params":
      return jax.nn.softmax(b * q @ k.T, axis=-1) @ v, state
    attn = jax.nn.softmax(b * jnp.einsum("ntd,nsd->nts", q, k), axis=-1)
    return jnp.einsum("nts,nsd->ntd", attn, v), state

  return Layer(init, apply, name)
