"""Hopfield networks: classical associative memory and the modern continuous network.

Classical network (Hopfield 1982). ``N`` neurons with states ``s`` in {-1, +1}
(bipolar) or {0, 1} (binary), a symmetric weight matrix ``W`` (N, N) with zero
diagonal, and optional thresholds ``theta`` (N,). Its energy is

.. math::  E(s) = -\\tfrac12 s^\\top W s + \\theta^\\top s

and neuron ``i`` updates to ``+1`` if ``h_i = (W s)_i - theta_i > 0``, to ``-1``
(``0`` when binary) if ``h_i < 0`` and keeps its state if ``h_i = 0``. One neuron at
a time (asynchronous) the energy never increases, so recall ends at a fixed point.

Storage rules take patterns as rows, shape (K, N), and return ``W``:

* :func:`hebbian`:  ``W = sum_k x_k x_k^T - K I`` (zero diagonal, unnormalised, as in
  the course; scaling W does not change the dynamics when ``theta = 0``).
* :func:`pseudo_inverse`: the projection rule ``W = X^+ X`` (Personnaz et al. 1985),
  diagonal zeroed; stores up to ~N linearly independent patterns exactly.
* :func:`storkey`: Storkey's (1997) local, incremental rule; its capacity,
  ~N / sqrt(2 ln N), is above Hebbian's ~0.138 N.

Binary patterns are converted to bipolar (``2x - 1``) before storage, the standard
choice; recall can still run on binary states.

Modern Hopfield network (Ramsauer et al. 2020, "Hopfield Networks is All You Need").
Stored patterns ``X`` as rows (M, d), a state ``xi`` (d,), inverse temperature beta:

.. math::  \\xi \\leftarrow X^\\top \\mathrm{softmax}(\\beta X \\xi), \\qquad
           E(\\xi) = -\\beta^{-1}\\log\\sum_i e^{\\beta x_i^\\top \\xi}
                     + \\tfrac12 \\xi^\\top\\xi + \\beta^{-1}\\log M + \\tfrac12 m^2

with ``m = max_i ||x_i||``. :func:`Hopfield` wraps it as an fnn Layer.
"""

from __future__ import annotations

import functools
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from fnn import initializers
from fnn.core import (Layer, ShapeError, check_array, check_floating, check_input_shape,
                      check_train)

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
        f"(of {values.size} distinct values){hint}")


def _check_patterns(name: str, patterns, binary: bool) -> jax.Array:
  check_array(name, patterns)
  if patterns.ndim != 2:
    raise ShapeError(f"{name}: expected patterns as rows, shape (K, N), got shape {patterns.shape}")
  if patterns.shape[0] < 1 or patterns.shape[1] < 1:
    raise ShapeError(f"{name}: expected at least one pattern of size >= 1, got shape {patterns.shape}")
  check_states(name, patterns, binary=binary)
  x = jnp.asarray(patterns, jnp.float32)
  return to_bipolar(x) if binary else x


def _check_weights(name: str, W, s, theta):
  """Checks W is square and matches the state size; returns ``(W, theta)`` as float arrays."""
  check_array(name, W)
  if W.ndim != 2 or W.shape[0] != W.shape[1]:
    raise ShapeError(f"{name}: expected a square weight matrix W (N, N), got shape {W.shape}")
  n = W.shape[0]
  if s.shape[-1] != n:
    raise ShapeError(
        f"{name}: state/pattern size {s.shape[-1]} does not match W of shape {W.shape} "
        f"(expected states of shape (..., {n}))")
  if theta is None:
    theta = jnp.zeros((n,), jnp.float32)
  elif jnp.shape(theta) != (n,):
    raise ShapeError(f"{name}: expected thresholds theta of shape ({n},), got {jnp.shape(theta)}")
  return jnp.asarray(W, jnp.float32), jnp.asarray(theta, jnp.float32)


# ----------------------------------------------------------------------------
# Storage rules.


def hebbian(patterns, *, binary: bool = False) -> jax.Array:
  """Hebbian (outer-product) rule: ``W = sum_k x_k x_k^T - K I``.

  Args:
    patterns: (K, N) array of ±1 entries (0/1 with ``binary=True``).
    binary: whether ``patterns`` are 0/1 (converted with :func:`to_bipolar`).

  Returns:
    ``W`` (N, N) float32, symmetric, zero diagonal.
  """
  x = _check_patterns("hebbian", patterns, binary)
  k = x.shape[0]
  return x.T @ x - k * jnp.eye(x.shape[1], dtype=x.dtype)


def pseudo_inverse(patterns, *, binary: bool = False) -> jax.Array:
  """Projection (pseudo-inverse) rule: ``W = X^+ X`` with the diagonal zeroed.

  ``X^+ X`` projects onto the span of the patterns, so each pattern satisfies
  ``W x = x - diag(X^+ X) x``; with diagonal entries below 1 (true for fewer than
  N linearly independent patterns in general position) every pattern is a fixed point.

  Args:
    patterns: (K, N) array of ±1 entries (0/1 with ``binary=True``).
    binary: whether ``patterns`` are 0/1.

  Returns:
    ``W`` (N, N) float32, symmetric, zero diagonal.
  """
  x = _check_patterns("pseudo_inverse", patterns, binary)
  w = jnp.linalg.pinv(x) @ x
  w = 0.5 * (w + w.T)  # exact symmetry despite round-off
  return w * (1.0 - jnp.eye(x.shape[1], dtype=w.dtype))


def storkey(patterns, *, binary: bool = False) -> jax.Array:
  """Storkey's (1997) incremental rule, one pattern at a time with ``lax.scan``.

  .. math:: w_{ij} \\leftarrow w_{ij} + \\tfrac1N (x_i x_j - x_i h_{ji} - h_{ij} x_j),
            \\quad h_{ij} = \\sum_{k \\ne i, j} w_{ik} x_k

  Args:
    patterns: (K, N) array of ±1 entries (0/1 with ``binary=True``).
    binary: whether ``patterns`` are 0/1.

  Returns:
    ``W`` (N, N) float32, symmetric, zero diagonal (scale ~1/N, unlike :func:`hebbian`).
  """
  x = _check_patterns("storkey", patterns, binary)
  n = x.shape[1]
  off_diagonal = 1.0 - jnp.eye(n, dtype=x.dtype)

  def add(w, xi):
    # h[i, j] = sum_{k != i, j} w_ik xi_k; the diagonal of w stays zero so k != i is free.
    h = (w @ xi)[:, None] - w * xi[None, :]
    dw = (jnp.outer(xi, xi) - xi[:, None] * h.T - h * xi[None, :]) / n
    return (w + dw) * off_diagonal, None

  w, _ = jax.lax.scan(add, jnp.zeros((n, n), x.dtype), x)
  return 0.5 * (w + w.T)


# ----------------------------------------------------------------------------
# Energy and recall.


def energy(W, s, theta=None) -> jax.Array:
  """``E(s) = -1/2 s^T W s + theta^T s`` for states ``s`` (..., N); returns shape (...)."""
  s = jnp.asarray(s)
  W, theta = _check_weights("energy", W, s, theta)
  s = s.astype(jnp.float32)
  return -0.5 * jnp.einsum("...i,ij,...j->...", s, W, s) + s @ theta


class RecallResult(NamedTuple):
  """What a recall returns.

  Attributes:
    state: the final state, shape (N,) (or (B, N) batched), same dtype as the probe.
    sweeps: int32 number of sweeps run (a sweep updates every neuron once).
    converged: bool, whether the last sweep changed nothing (a fixed point).
    energies: float32 (max_sweeps + 1,) energy after each sweep, index 0 = the probe;
      entries after the last sweep repeat the final energy. ``None`` unless
      ``trajectory=True``.
  """
  state: jax.Array
  sweeps: jax.Array
  converged: jax.Array
  energies: Optional[jax.Array] = None


def _new_value(h, old, low):
  """The Hopfield update rule: +1 if h > 0, ``low`` if h < 0, unchanged if h == 0."""
  return jnp.where(h > 0, 1.0, jnp.where(h < 0, low, old))


def _run_sweeps(sweep, W, s0, theta, max_sweeps, trajectory, key):
  """``lax.while_loop`` of ``sweep(s, key) -> s`` until a fixed point or ``max_sweeps``."""
  energies0 = None
  if trajectory:
    energies0 = jnp.full((max_sweeps + 1,), energy(W, s0, theta))

  def cond(carry):
    _, t, converged, _, _ = carry
    return (~converged) & (t < max_sweeps)

  def body(carry):
    s, t, _, key, energies = carry
    key, sub = jax.random.split(key) if key is not None else (None, None)
    new = sweep(s, sub)
    if trajectory:
      e = energy(W, new, theta)
      energies = jnp.where(jnp.arange(max_sweeps + 1) > t, e, energies)
    return new, t + 1, jnp.all(new == s), key, energies

  init = (s0, jnp.int32(0), jnp.bool_(False), key, energies0)
  s, t, converged, _, energies = jax.lax.while_loop(cond, body, init)
  return s, t, converged, energies


def _prepare(name, W, probes, theta, binary, max_sweeps, rank):
  probes = jnp.asarray(probes)
  if probes.ndim != rank:
    raise ShapeError(
        f"{name}: expected {'one probe of shape (N,)' if rank == 1 else 'probes of shape (B, N)'}"
        f", got shape {probes.shape}" + ("; use recall_batch for many probes" if rank == 1 else ""))
  check_states(name, probes, binary=binary)
  W, theta = _check_weights(name, W, probes, theta)
  if not isinstance(max_sweeps, int) or max_sweeps < 1:
    raise ValueError(f"{name}: max_sweeps must be a positive int, got {max_sweeps!r}")
  return W, probes.astype(jnp.float32), theta


def _sync_core(W, s0, theta, max_sweeps, binary, trajectory):
  low = 0.0 if binary else -1.0

  def sweep(s, _):
    return _new_value(W @ s - theta, s, low)

  return _run_sweeps(sweep, W, s0, theta, max_sweeps, trajectory, None)


def _async_core(W, s0, key, theta, max_sweeps, binary, trajectory):
  low = 0.0 if binary else -1.0
  n = W.shape[0]

  def sweep(s, key):
    def update(s, i):
      return s.at[i].set(_new_value(W[i] @ s - theta[i], s[i], low)), None
    s, _ = jax.lax.scan(update, s, jax.random.permutation(key, n))
    return s

  return _run_sweeps(sweep, W, s0, theta, max_sweeps, trajectory, key)


# Compiled once per (shapes, static settings) and shared by every call.
_STATIC = ("max_sweeps", "binary", "trajectory")
_sync_one = jax.jit(_sync_core, static_argnames=_STATIC)
_async_one = jax.jit(_async_core, static_argnames=_STATIC)


@functools.partial(jax.jit, static_argnames=_STATIC)
def _sync_many(W, probes, theta, max_sweeps, binary, trajectory):
  return jax.vmap(lambda p: _sync_core(W, p, theta, max_sweeps, binary, trajectory))(probes)


@functools.partial(jax.jit, static_argnames=_STATIC)
def _async_many(W, probes, keys, theta, max_sweeps, binary, trajectory):
  return jax.vmap(lambda p, k: _async_core(W, p, k, theta, max_sweeps, binary, trajectory))(
      probes, keys)


def _result(out, probe_dtype):
  s, t, conv, e = out
  return RecallResult(s.astype(probe_dtype), t, conv, e)


def recall_sync(W, probe, theta=None, *, max_sweeps: int = 100, binary: bool = False,
                trajectory: bool = False) -> RecallResult:
  """Synchronous recall: all neurons update at once, ``s <- sgn(W s - theta)``.

  May end in a 2-cycle (then ``converged`` is False after ``max_sweeps``).

  Args:
    W: (N, N) weights.
    probe: (N,) initial state, ±1 (0/1 with ``binary=True``).
    theta: optional (N,) thresholds.
    max_sweeps: the sweep budget (Python int).
    binary: states are 0/1 instead of ±1.
    trajectory: also return the energy after each sweep.

  Returns:
    A :class:`RecallResult`.
  """
  W, s0, theta = _prepare("recall_sync", W, probe, theta, binary, max_sweeps, 1)
  return _result(_sync_one(W, s0, theta, max_sweeps=max_sweeps, binary=binary,
                           trajectory=trajectory), jnp.asarray(probe).dtype)


def recall_async(W, probe, key, theta=None, *, max_sweeps: int = 100, binary: bool = False,
                 trajectory: bool = False) -> RecallResult:
  """Asynchronous recall: one neuron at a time, in a fresh random order each sweep.

  The energy never increases (W symmetric, diagonal >= 0), so recall stops at a fixed
  point: a sweep that changes nothing.

  Args:
    W: (N, N) weights.
    probe: (N,) initial state, ±1 (0/1 with ``binary=True``).
    key: PRNG key for the update orders.
    theta: optional (N,) thresholds.
    max_sweeps: the sweep budget (Python int).
    binary: states are 0/1 instead of ±1.
    trajectory: also return the energy after each sweep.

  Returns:
    A :class:`RecallResult`.
  """
  if key is None:
    raise ValueError("recall_async: needs a PRNG key for the random update order")
  W, s0, theta = _prepare("recall_async", W, probe, theta, binary, max_sweeps, 1)
  return _result(_async_one(W, s0, key, theta, max_sweeps=max_sweeps, binary=binary,
                            trajectory=trajectory), jnp.asarray(probe).dtype)


def recall_batch(W, probes, key=None, theta=None, *, mode: str = "async",
                 max_sweeps: int = 100, binary: bool = False,
                 trajectory: bool = False) -> RecallResult:
  """Recalls many probes at once with ``vmap`` (one compiled program per shape).

  Args:
    W: (N, N) weights.
    probes: (B, N) probes.
    key: PRNG key (needed for ``mode="async"``; split per probe).
    theta: optional (N,) thresholds.
    mode: ``"async"`` or ``"sync"``.
    max_sweeps, binary, trajectory: as in :func:`recall_async`.

  Returns:
    A :class:`RecallResult` whose fields have a leading batch axis B.
  """
  if mode not in ("async", "sync"):
    raise ValueError(f"recall_batch: mode must be 'async' or 'sync', got {mode!r}")
  if mode == "async" and key is None:
    raise ValueError("recall_batch: mode='async' needs a PRNG key")
  W, s0, theta = _prepare("recall_batch", W, probes, theta, binary, max_sweeps, 2)
  static = dict(max_sweeps=max_sweeps, binary=binary, trajectory=trajectory)
  dtype = jnp.asarray(probes).dtype
  if mode == "sync":
    return _result(_sync_many(W, s0, theta, **static), dtype)
  keys = jax.random.split(key, s0.shape[0])
  return _result(_async_many(W, s0, keys, theta, **static), dtype)


# ----------------------------------------------------------------------------
# Modern (continuous) Hopfield network.


def _check_modern(name, X, xi, beta):
  check_array(name, X)
  if X.ndim != 2:
    raise ShapeError(f"{name}: expected stored patterns as rows, shape (M, d), got {X.shape}")
  xi = jnp.asarray(xi)
  if xi.shape[-1] != X.shape[1]:
    raise ShapeError(
        f"{name}: state size {xi.shape[-1]} does not match stored patterns of shape "
        f"{X.shape} (expected states (..., {X.shape[1]}))")
  if isinstance(beta, (int, float)) and beta <= 0:
    raise ValueError(f"{name}: beta must be positive, got {beta}")
  return xi


def modern_update(X, xi, beta) -> jax.Array:
  """One update of the modern Hopfield network, ``xi <- X^T softmax(beta X xi)``.

  Args:
    X: (M, d) stored patterns as rows.
    xi: (..., d) state(s).
    beta: inverse temperature (> 0).

  Returns:
    The new state(s), shape (..., d).
  """
  xi = _check_modern("modern_update", X, xi, beta)
  return jax.nn.softmax(beta * xi @ X.T, axis=-1) @ X


def modern_energy(X, xi, beta) -> jax.Array:
  """Ramsauer et al.'s energy ``-lse(beta, X xi) + xi.xi/2 + log(M)/beta + m^2/2``; shape (...)."""
  xi = _check_modern("modern_energy", X, xi, beta)
  m2 = jnp.max(jnp.sum(X * X, axis=-1))
  lse = jax.nn.logsumexp(beta * xi @ X.T, axis=-1) / beta
  return -lse + 0.5 * jnp.sum(xi * xi, axis=-1) + jnp.log(X.shape[0]) / beta + 0.5 * m2


def modern_recall(X, xi, beta, *, steps: int = 1) -> jax.Array:
  """``steps`` modern updates (one is usually enough for well-separated patterns)."""
  xi = _check_modern("modern_recall", X, xi, beta)
  return jax.lax.fori_loop(0, steps, lambda _, s: jax.nn.softmax(beta * s @ X.T, -1) @ X, xi)


def Hopfield(num_patterns: Optional[int] = None, *, source: str = "params",
             features: Optional[int] = None, beta: Optional[float] = None,
             steps: int = 1, pattern_init=initializers.normal(1.0)) -> Layer:
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
  if source not in ("params", "inputs"):
    raise ValueError(f"Hopfield: source must be 'params' or 'inputs', got {source!r}")
  if source == "params" and (not isinstance(num_patterns, int) or num_patterns < 1):
    raise ValueError(f"Hopfield: source='params' needs num_patterns, a positive int; got {num_patterns!r}")
  if features is not None and (not isinstance(features, int) or features < 1):
    raise ValueError(f"Hopfield: features must be a positive int or None, got {features!r}")
  if not isinstance(steps, int) or steps < 1:
    raise ValueError(f"Hopfield: steps must be a positive int, got {steps!r}")
  if features is not None and steps != 1:
    raise ValueError("Hopfield: steps > 1 needs features=None (projections map to another space)")
  if beta is not None and beta <= 0:
    raise ValueError(f"Hopfield: beta must be positive, got {beta}")
  name = f"Hopfield({num_patterns if source == 'params' else 'inputs'}" + (
      f", features={features})" if features else ")")

  def init(key, input_shape):
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

  def apply(params, state, x, *, key=None, train=False):
    check_train(name, train)
    check_array(name, x)
    check_floating(name, x)
    f = params["w_q"].shape[0] if features else (
        params["patterns"].shape[1] if source == "params" else x.shape[-1])
    if x.shape[-1] != f:
      raise ShapeError(f"{name}: expected x[..., {f}], got shape {x.shape}")
    if source == "inputs" and x.ndim != 3:
      raise ShapeError(f"{name}: source='inputs' expects input (N, T, F), got shape {x.shape}")
    stored = params["patterns"] if source == "params" else x
    if features is None:
      b = beta if beta is not None else float(1.0 / np.sqrt(f))  # float: keeps bf16 x bf16
      if source == "params":
        return modern_recall(stored, x, b, steps=steps), state
      # Per sequence: the T positions are the stored patterns of that sequence.
      return jax.vmap(lambda s: modern_recall(s, s, b, steps=steps))(x), state
    b = beta if beta is not None else float(1.0 / np.sqrt(features))
    q = x @ params["w_q"]
    k = stored @ params["w_k"]
    v = stored @ params["w_v"]
    if source == "params":
      return jax.nn.softmax(b * q @ k.T, axis=-1) @ v, state
    attn = jax.nn.softmax(b * jnp.einsum("ntd,nsd->nts", q, k), axis=-1)
    return jnp.einsum("nts,nsd->ntd", attn, v), state

  return Layer(init, apply, name)
