"""The travelling salesman problem with Hopfield networks, and the tools around them.

Tour tools: :func:`check_distances`, :func:`tour_length`, :func:`is_valid_tour`,
:func:`held_karp` (exact, n <= 13). TSPLIB files: :func:`read_tsplib`, :func:`read_tour`
(from :mod:`fnn.energy.tsplib`).

**The Hopfield–Tank network** (Hopfield & Tank 1985). Neuron ``V[X, i]`` in [0, 1] says
"city X is visited at position i". Its energy, with the course's coefficients
``lambda1..lambda4`` (Hopfield–Tank's ``D, A, B, C``)::

  E = lambda2/2 sum_X sum_i sum_{j!=i} V_Xi V_Xj        # row: each city at one position (A)
    + lambda3/2 sum_i sum_X sum_{Y!=X} V_Xi V_Yi        # column: one city per position (B)
    + lambda4/2 (sum_X sum_i V_Xi - n_bar)^2            # global: n neurons on (C)
    + lambda1/2 sum_X sum_{Y!=X} sum_i d_XY V_Xi (V_Y,i+1 + V_Y,i-1)   # tour length (D)

and the continuous neurons follow ``du/dt = -u/tau - dE/dV``, ``V = (1 + tanh(u/u0))/2``
(a sigmoid of gain ``1/u0``), Euler-integrated with ``lax.scan``. The decoded tour is
valid only when ``V > 1/2`` is a permutation matrix; it often is not (Wilson & Pawley 1988).

**The annealed network** (mean-field annealing with Potts neurons, Peterson & Söderberg
1989, with Sinkhorn row *and* column normalisation as in softassign, Gold & Rangarajan
1996). The constraints are built into the neurons: at temperature ``T``,
``V = sinkhorn(exp(-(dE_dist/dV - gamma V) / T))`` is doubly stochastic, and ``T`` is
lowered geometrically until ``V`` is (nearly) a permutation; decoding by greedy
assignment always gives a valid tour.

:func:`two_opt` is a classical local search, not a neural network: use it only as a
separately reported polish.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn.core import ShapeError
from fnn.energy.tsplib import TSPInstance, read_tour, read_tsplib  # noqa: F401  (re-export)

HELD_KARP_MAX_CITIES = 13

# ----------------------------------------------------------------------------
# Distances and tours.


def _is_concrete(x) -> bool:
  return not isinstance(x, jax.core.Tracer)


def _check_real_dtype(name: str, what: str, x) -> np.ndarray:
  """``x`` as a numpy array; TypeError unless its dtype is real numeric (not bool)."""
  x = np.asarray(x)
  if x.dtype == np.bool_ or not (
    np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)
  ):
    raise TypeError(f"{name}: expected {what} of a real numeric dtype, got dtype {x.dtype}")
  return x


def check_distances(distances, name: str = "tsp.check_distances") -> np.ndarray:
  """Validates a distance matrix and returns it as float64 numpy.

  Args:
    distances: (n, n) distances.
    name: the qualified function name that starts every error message.

  Raises:
    TypeError: for a dtype that is not real numeric.
    ShapeError: unless it is a square (n, n) matrix.
    ValueError: for n < 3, a non-finite or negative entry, an asymmetric matrix or a
      non-zero diagonal.
  """
  d = _check_real_dtype(name, "distances", distances).astype(np.float64)
  if d.ndim != 2 or d.shape[0] != d.shape[1]:
    raise ShapeError(f"{name}: expected a square (n, n) distance matrix, got shape {d.shape}")
  n = d.shape[0]
  if n < 3:
    raise ValueError(f"{name}: a tour needs at least 3 cities, got {n}")
  if not np.all(np.isfinite(d)):
    i, j = np.argwhere(~np.isfinite(d))[0]
    raise ValueError(f"{name}: distances must be finite, got d[{i}, {j}] = {d[i, j]}")
  if np.any(d < 0):
    i, j = np.argwhere(d < 0)[0]
    raise ValueError(f"{name}: distances must be non-negative, got d[{i}, {j}] = {d[i, j]}")
  if not np.allclose(d, d.T, rtol=1e-6, atol=1e-9):
    i, j = np.argwhere(~np.isclose(d, d.T, rtol=1e-6, atol=1e-9))[0]
    raise ValueError(
      f"{name}: the distance matrix must be symmetric, got d[{i}, {j}] = "
      f"{d[i, j]} but d[{j}, {i}] = {d[j, i]}"
    )
  if np.any(np.diag(d) != 0):
    i = int(np.flatnonzero(np.diag(d))[0])
    raise ValueError(
      f"{name}: the diagonal of the distance matrix must be 0, got d[{i}, {i}] = {d[i, i]}"
    )
  return d


def euclidean_distances(coords) -> np.ndarray:
  """Plain float Euclidean distances between the rows of ``coords``.

  Args:
    coords: (n, k) coordinates, one city per row (k = 2 for the plane).

  Returns:
    float64 (n, n) distances.
  """
  name = "tsp.euclidean_distances"
  c = _check_real_dtype(name, "coordinates", coords).astype(np.float64)
  if c.ndim != 2:
    hint = "; for cities on a line pass coords[:, None]" if c.ndim == 1 else ""
    raise ShapeError(
      f"{name}: expected coordinates of shape (n, k), one city per row "
      f"(k = 2 in the plane), got shape {c.shape}{hint}"
    )
  if not np.all(np.isfinite(c)):
    i, j = np.argwhere(~np.isfinite(c))[0]
    raise ValueError(f"{name}: coordinates must be finite, got coords[{i}, {j}] = {c[i, j]}")
  return np.sqrt(np.sum((c[:, None] - c[None]) ** 2, axis=-1))


def is_valid_tour(tour, n: int) -> bool:
  """Whether ``tour`` is a permutation of ``0..n-1``."""
  t = np.asarray(tour)
  return t.shape == (n,) and np.array_equal(np.sort(t), np.arange(n))


def _check_tours(name: str, tours, n: int) -> np.ndarray:
  """Checks concrete tours (..., n): integer dtype, every row a permutation of 0..n-1."""
  t = np.asarray(tours)
  if not np.issubdtype(t.dtype, np.integer):
    raise TypeError(f"{name}: expected integer city indices, got dtype {t.dtype}")
  if t.ndim < 1 or t.shape[-1] != n:
    raise ShapeError(
      f"{name}: expected tours of shape (..., {n}) for {n} cities, got shape {t.shape}"
    )
  rows = t.reshape(-1, n)
  outside = (rows < 0) | (rows >= n)
  if outside.any():
    r, i = np.argwhere(outside)[0]
    raise ValueError(
      f"{name}: city indices must be in [0, {n}), got {rows[r, i]} at "
      f"position {i}" + (f" of tour {r}" if t.ndim > 1 else "")
    )
  for r, row in enumerate(rows):
    counts = np.bincount(row, minlength=n)
    if np.any(counts != 1):
      city = int(np.flatnonzero(counts > 1)[0])
      missing = int(np.flatnonzero(counts == 0)[0])
      raise ValueError(
        f"{name}: a tour must visit every city once (a permutation of "
        f"0..{n - 1}), got city {city} {counts[city]} times and city "
        f"{missing} never" + (f" in tour {r}" if t.ndim > 1 else "")
      )
  return t


def tour_length(distances, tour):
  """Length of the closed tour ``tour`` (n,), or of a batch of tours (..., n).

  Called with concrete arrays it checks that every tour is a permutation of
  ``0..n-1``. Under ``jit`` (traced arguments) nothing is checked and JAX's indexing
  rules apply: an index >= n is clamped to n - 1 and a negative one wraps around, so
  such a "tour" gets a finite, meaningless length.

  Args:
    distances: (n, n) distances (numpy or jax).
    tour: (..., n) integer city indices.

  Returns:
    The length(s), shape ``tour.shape[:-1]``.
  """
  if _is_concrete(distances) and _is_concrete(tour):
    name = "tsp.tour_length"
    d = _check_real_dtype(name, "distances", distances)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
      raise ShapeError(f"{name}: expected a square (n, n) distance matrix, got shape {d.shape}")
    _check_tours(name, tour, d.shape[0])
  return _tour_length(jnp.asarray(distances), jnp.asarray(tour))


def _tour_length(d, t):
  return jnp.sum(d[t, jnp.roll(t, -1, axis=-1)], axis=-1)


def held_karp(distances) -> tuple[float, np.ndarray]:
  """Exact optimum by Held–Karp dynamic programming, O(2^n n^2), for n <= 13.

  Args:
    distances: (n, n) symmetric, non-negative, finite distances, 3 <= n <= 13.

  Returns:
    ``(length, tour)``: the optimal length and a tour (n,) starting at city 0.
  """
  d = check_distances(distances, "tsp.held_karp")
  n = d.shape[0]
  if n > HELD_KARP_MAX_CITIES:
    raise ValueError(
      f"tsp.held_karp: n = {n} cities is too many for exact search (at most {HELD_KARP_MAX_CITIES})"
    )
  m = n - 1  # cities 1..n-1, city 0 is the start
  cost = np.full((1 << m, m), np.inf)
  parent = np.zeros((1 << m, m), np.int64)
  for j in range(m):
    cost[1 << j, j] = d[0, j + 1]
  inner = d[1:, 1:]
  for mask in range(1, 1 << m):
    members = [j for j in range(m) if mask >> j & 1]
    if len(members) < 2:
      continue
    for j in members:
      prev = mask ^ (1 << j)
      cand = cost[prev] + inner[:, j]
      k = int(np.argmin(cand))
      cost[mask, j], parent[mask, j] = cand[k], k
  full = (1 << m) - 1
  final = cost[full] + d[1:, 0]
  j = int(np.argmin(final))
  length = float(final[j])
  tour, mask = [], full
  for _ in range(m):
    tour.append(j + 1)
    j, mask = int(parent[mask, j]), mask ^ (1 << j)
  return length, np.array([0] + tour[::-1])


def two_opt(distances, tours, max_rounds: int = 1000) -> np.ndarray:
  """2-opt local search (best improvement), a classical heuristic — **not** the network.

  Use it only as an optional polish reported separately from a network's own tour.

  Args:
    distances: (n, n) symmetric, non-negative, finite distances.
    tours: (n,) or (R, n) tours, each a permutation of ``0..n-1``.
    max_rounds: at most this many improving reversals per tour.

  Returns:
    The improved tours, int64 of the shape of ``tours``.
  """
  name = "tsp.two_opt"
  d = check_distances(distances, name)
  t = _check_tours(name, tours, d.shape[0]).astype(np.int64)
  if not isinstance(max_rounds, int) or isinstance(max_rounds, bool):
    raise TypeError(f"{name}: max_rounds must be a Python int, got {type(max_rounds).__name__}")
  if max_rounds < 0:
    raise ValueError(f"{name}: max_rounds must be >= 0, got {max_rounds}")
  polished = t.reshape(-1, d.shape[0]).copy()
  for row in polished:  # each row is improved in place
    _two_opt_one(d, row, max_rounds)
  return polished.reshape(t.shape)


def _two_opt_one(d, t, max_rounds):
  n = len(t)
  for _ in range(max_rounds):
    a, b = t, np.roll(t, -1)
    # Reversing t[i+1..j] replaces edges (a_i, b_i), (a_j, b_j) by (a_i, a_j), (b_i, b_j).
    edges = d[a, b]
    delta = d[a[:, None], a[None, :]] + d[b[:, None], b[None, :]] - edges[:, None] - edges[None, :]
    delta = np.triu(delta, 2)
    delta[0, n - 1] = 0.0
    i, j = np.unravel_index(np.argmin(delta), delta.shape)
    if delta[i, j] >= -1e-9:
      break
    t[i + 1 : j + 1] = t[i + 1 : j + 1][::-1]
  return t


# ----------------------------------------------------------------------------
# Decoding.


def decode_threshold(v):
  """Hopfield–Tank decoding: ``V > 1/2`` must be a permutation matrix.

  Args:
    v: (n, n) neuron outputs, city x position.

  Returns:
    ``(tour, valid)``: tour (n,) int32 = the city with the largest output at each
    position, and whether the thresholded matrix has exactly one 1 per row and column.
  """
  on = v > 0.5
  valid = jnp.all(on.sum(0) == 1) & jnp.all(on.sum(1) == 1)
  return jnp.argmax(v, axis=0).astype(jnp.int32), valid


def decode_greedy(v):
  """Greedy assignment: take the largest remaining entry, strike its row and column.

  Always a valid tour. Args: v (n, n) city x position. Returns: tour (n,) int32.
  """
  n = v.shape[0]

  def pick(i, carry):
    scores, tour = carry
    flat = jnp.argmax(scores)
    city, pos = flat // n, flat % n
    scores = scores.at[city, :].set(-jnp.inf).at[:, pos].set(-jnp.inf)
    return scores, tour.at[pos].set(city)

  _, tour = jax.lax.fori_loop(0, n, pick, (v.astype(jnp.float32), jnp.zeros(n, jnp.int32)))
  return tour


class TSPResult(NamedTuple):
  """One (or, batched, R) restart(s) of a TSP network.

  Attributes:
    tour: (n,) int32 decoded tour (city at each position).
    valid: bool, whether the network's own output decodes to a permutation.
    length: float32 tour length when ``valid``, ``inf`` otherwise (an invalid output
      is never mistaken for a tour).
    energies: (num_records,) float32 energy (Hopfield–Tank) or expected tour length
      (annealed) along the run.
    v: (n, n) final neuron outputs.
  """

  tour: jax.Array
  valid: jax.Array
  length: jax.Array
  energies: jax.Array
  v: jax.Array


def _neighbours(v):
  """``V_Y,i+1 + V_Y,i-1`` (cyclic positions) for v (n, n) city x position."""
  return jnp.roll(v, -1, axis=1) + jnp.roll(v, 1, axis=1)


# ----------------------------------------------------------------------------
# Hopfield–Tank.


class HopfieldTankConfig(NamedTuple):
  """Hyper-parameters of the Hopfield–Tank network (defaults: Hopfield & Tank 1985).

  Attributes:
    lambda1: distance term (H&T's D).
    lambda2: row term, one position per city (H&T's A).
    lambda3: column term, one city per position (H&T's B).
    lambda4: global term, n neurons on (H&T's C).
    n_bar: the global term's target; None means 1.5 n (H&T used 15 for 10 cities).
    u0: the sigmoid's gain is 1/u0.
    tau: the neurons' time constant.
    dt: Euler step.
    steps: integration steps.
    noise: initial u is the value giving sum V = n plus uniform noise of +-noise*u0.
    records: how many energy values to record along the run.
  """

  lambda1: float = 500.0
  lambda2: float = 500.0
  lambda3: float = 500.0
  lambda4: float = 200.0
  n_bar: float | None = None
  u0: float = 0.02
  tau: float = 1.0
  dt: float = 1e-5
  steps: int = 10000
  noise: float = 0.1
  records: int = 100


def hopfield_tank_energy(distances, v, config: HopfieldTankConfig = HopfieldTankConfig()):
  """The Hopfield–Tank energy of outputs ``v`` (n, n) (city x position); a scalar."""
  d = jnp.asarray(distances, jnp.float32)
  n_bar = 1.5 * v.shape[0] if config.n_bar is None else config.n_bar
  row = jnp.sum(v.sum(1) ** 2 - (v * v).sum(1))
  col = jnp.sum(v.sum(0) ** 2 - (v * v).sum(0))
  glob = (v.sum() - n_bar) ** 2
  dist = jnp.sum(v * (d @ _neighbours(v)))
  return 0.5 * (
    config.lambda2 * row + config.lambda3 * col + config.lambda4 * glob + config.lambda1 * dist
  )


def hopfield_tank_gradient(distances, v, config: HopfieldTankConfig = HopfieldTankConfig()):
  """``dE/dV`` of :func:`hopfield_tank_energy` (for symmetric d), shape (n, n)."""
  c = config
  d = jnp.asarray(distances, jnp.float32)
  n_bar = 1.5 * v.shape[0] if c.n_bar is None else c.n_bar
  return (
    c.lambda2 * (v.sum(1, keepdims=True) - v)
    + c.lambda3 * (v.sum(0, keepdims=True) - v)
    + c.lambda4 * (v.sum() - n_bar)
    + c.lambda1 * d @ _neighbours(v)
  )


def hopfield_tank_run(
  key, distances, config: HopfieldTankConfig = HopfieldTankConfig()
) -> TSPResult:
  """One run of the Hopfield–Tank network from a random start (jit- and vmap-friendly).

  Args:
    key: PRNG key for the initial state.
    distances: (n, n) distances (checked by :func:`check_distances` in
      :func:`hopfield_tank`; this inner function does not check).
    config: a :class:`HopfieldTankConfig`.

  Returns:
    A :class:`TSPResult` (``valid`` from :func:`decode_threshold`; ``length`` is
    ``inf`` when the thresholded outputs are not a permutation matrix).
  """
  d = jnp.asarray(distances, jnp.float32)
  n = d.shape[0]
  c = config
  u_start = -0.5 * c.u0 * jnp.log(n - 1.0)  # V = 1/n everywhere, so sum V = n
  u = u_start + c.noise * c.u0 * jax.random.uniform(key, (n, n), minval=-1.0, maxval=1.0)

  def output(u):
    return 0.5 * (1.0 + jnp.tanh(u / c.u0))

  def step(u, _):
    return u + c.dt * (-u / c.tau - hopfield_tank_gradient(d, output(u), c)), None

  per_record = max(c.steps // c.records, 1)

  def chunk(u, _):
    u, _ = jax.lax.scan(step, u, None, length=per_record)
    return u, hopfield_tank_energy(d, output(u), c)

  u, energies = jax.lax.scan(chunk, u, None, length=c.records)
  v = output(u)
  tour, valid = decode_threshold(v)
  length = jnp.where(valid, _tour_length(d, tour), jnp.inf)
  return TSPResult(tour, valid, length, energies, v)


# ----------------------------------------------------------------------------
# Mean-field annealing (Potts / softassign).


class AnnealConfig(NamedTuple):
  """Hyper-parameters of the annealed network.

  Distances are divided by their mean off-diagonal value, and temperatures are given
  as fractions of the critical temperature ``T_c`` at which the uniform state
  ``V = 1/n`` becomes unstable (linear stability: ``T_c = 2 |mu_min| / n`` with
  ``mu_min`` the most negative eigenvalue of the centred normalised distance matrix),
  so one schedule suits instances of different sizes and layouts.

  Attributes:
    t_start: initial temperature, as a fraction of ``T_c``.
    t_end: final temperature, as a fraction of ``T_c``.
    cooling: multiplicative factor per temperature step (< 1).
    iterations: mean-field iterations per temperature.
    sinkhorn_iterations: row/column normalisations per mean-field iteration.
    gamma: self-coupling that pushes V towards a permutation (softassign's gamma).
    damping: fraction of the new V taken at each iteration (1 = no damping).
    noise: relative noise on the initial uniform V, ``V0 = (1 + noise * U(-1, 1)) / n``.
      Starting near (not above) the critical temperature, the noise survives into the
      symmetry breaking and makes restarts explore different tours.
    fix_first_city: clamp city 0 to position 0 (removes the tour's rotation symmetry).
    self_penalty: distance (relative to the mean) of a city to itself in the field at
      ``t_end``, grown from 0 at ``t_start``; it is 0 in the energy of any permutation
      but stops synchronous oscillations at low temperature.
  """

  t_start: float = 0.4
  t_end: float = 0.008
  cooling: float = 0.99
  iterations: int = 10
  sinkhorn_iterations: int = 10
  gamma: float = 0.3
  damping: float = 0.3
  noise: float = 1.0
  fix_first_city: bool = True
  self_penalty: float = 0.3

  @property
  def temperatures(self) -> np.ndarray:
    """The schedule, as fractions of ``T_c``: ``t_start * cooling**k`` down to ``t_end``."""
    steps = int(np.ceil(np.log(self.t_end / self.t_start) / np.log(self.cooling))) + 1
    return (self.t_start * self.cooling ** np.arange(steps)).astype(np.float32)


def _sinkhorn(log_k, row, col, iterations):
  """Sinkhorn scaling of ``exp(log_k)`` to a doubly stochastic matrix.

  ``row`` (n, 1) and ``col`` (1, n) are the log scalings to start from; warm-starting
  them from the previous iteration keeps Sinkhorn accurate at low temperature, where
  a cold start needs very many iterations. With them absorbed, ``exp(log_k + row + col)``
  is already nearly doubly stochastic, so the iterations run multiplicatively (matrix-
  vector products, one ``exp`` per call) without overflow: the same iterates as
  log-domain Sinkhorn at a fraction of the cost. Returns ``(V, row, col)``.
  """
  k = jnp.exp(log_k + row + col)
  tiny = jnp.finfo(k.dtype).tiny

  def body(_, ab):
    a, b = ab
    a = 1.0 / jnp.maximum(k @ b.T, tiny)
    b = 1.0 / jnp.maximum(a.T @ k, tiny)
    return a, b

  ones_row, ones_col = jnp.ones_like(row), jnp.ones_like(col)
  a, b = jax.lax.fori_loop(0, iterations, body, (ones_row, ones_col))
  return a * k * b, row + jnp.log(a), col + jnp.log(b)


def annealed_run(key, distances, config: AnnealConfig = AnnealConfig()) -> TSPResult:
  """One run of mean-field annealing from a near-uniform random start (jit/vmap-friendly).

  Args:
    key: PRNG key for the initial noise.
    distances: (n, n) distances (checked in :func:`annealed`, not here).
    config: an :class:`AnnealConfig`.


  At each temperature ``T`` it iterates ``V <- sinkhorn(-(d @ (V_{i+1} + V_{i-1}) - gamma
  V) / T)`` (with damping); the recorded curve is the expected tour length
  ``sum V * (d @ V_{i+1})`` (in the instance's units) at each temperature.

  Returns:
    A :class:`TSPResult`; ``valid`` checks the greedy-decoded tour (always True).
  """
  d = jnp.asarray(distances, jnp.float32)
  n = d.shape[0]
  c = config
  scale = jnp.sum(d) / (n * (n - 1))
  dn = d / scale
  centred = dn - dn.mean(0, keepdims=True) - dn.mean(1, keepdims=True) + dn.mean()
  t_critical = 2.0 * jnp.abs(jnp.linalg.eigvalsh(centred)[0]) / n
  # With city 0 clamped to position 0 only the (n-1) x (n-1) block is free.
  free = slice(1, None) if c.fix_first_city else slice(None)
  m = n - 1 if c.fix_first_city else n
  base = jnp.zeros((n, n)).at[0, 0].set(1.0) if c.fix_first_city else jnp.zeros((n, n))
  v0 = base.at[free, free].set((1.0 + c.noise * jax.random.uniform(key, (m, m), minval=-1.0)) / m)

  def at_temperature(carry, t_relative):
    # A city next to itself costs 0 in d, so a synchronous update pulls each city
    # towards the positions beside its current one and, at low temperature, adjacent
    # cities swap back and forth. A diagonal penalty, grown as T falls (log scale),
    # stops that without changing any permutation's energy.
    penalty = c.self_penalty * jnp.log(c.t_start / t_relative) / np.log(c.t_start / c.t_end)
    coupling = dn + penalty * jnp.eye(n)
    t = t_relative * t_critical

    def iterate(_, carry):
      v, row, col = carry
      field = coupling @ _neighbours(v) - c.gamma * v
      # The scalings are kept in field units (times T) so they carry across temperatures.
      block, row, col = _sinkhorn(-field[free, free] / t, row / t, col / t, c.sinkhorn_iterations)
      new = base.at[free, free].set(block)
      return (1.0 - c.damping) * v + c.damping * new, row * t, col * t

    v, row, col = jax.lax.fori_loop(0, c.iterations, iterate, carry)
    return (v, row, col), jnp.sum(v * (d @ jnp.roll(v, -1, axis=1)))

  init = (v0, jnp.zeros((m, 1)), jnp.zeros((1, m)))
  (v, _, _), energies = jax.lax.scan(at_temperature, init, jnp.asarray(c.temperatures))
  tour = decode_greedy(v)
  valid = jnp.all(jnp.sort(tour) == jnp.arange(n))
  length = jnp.where(valid, _tour_length(d, tour), jnp.inf)
  return TSPResult(tour, valid, length, energies, v)


# ----------------------------------------------------------------------------
# Restarts under vmap.


@functools.partial(jax.jit, static_argnames=("config",))
def _hopfield_tank_restarts(keys, d, config):
  return jax.vmap(lambda k: hopfield_tank_run(k, d, config))(keys)


@functools.partial(jax.jit, static_argnames=("config",))
def _annealed_restarts(keys, d, config):
  return jax.vmap(lambda k: annealed_run(k, d, config))(keys)


def _keys(name, key, restarts, config, config_type):
  if key is None:
    raise TypeError(
      f"{name}: needs a PRNG key for the random initial states, e.g. jax.random.key(0); got None"
    )
  if not isinstance(restarts, int) or isinstance(restarts, bool):
    raise TypeError(f"{name}: restarts must be a Python int, got {type(restarts).__name__}")
  if restarts < 1:
    raise ValueError(f"{name}: restarts must be >= 1, got {restarts}")
  if not isinstance(config, config_type):
    raise TypeError(f"{name}: config must be a {config_type.__name__}, got {type(config).__name__}")
  return jax.random.split(key, restarts)


def hopfield_tank(
  key, distances, restarts: int = 1, config: HopfieldTankConfig = HopfieldTankConfig()
) -> TSPResult:
  """``restarts`` runs of the Hopfield–Tank network in one jit-compiled ``vmap``.

  Args:
    key: PRNG key, split into one key per restart.
    distances: (n, n) symmetric, non-negative, finite distances, n >= 3.
    restarts: number of independent random starts R.
    config: a :class:`HopfieldTankConfig`.

  Returns:
    A :class:`TSPResult` with a leading axis R on every field; a restart whose outputs
    do not decode to a permutation has ``valid=False`` and ``length=inf``.
  """
  name = "tsp.hopfield_tank"
  d = check_distances(distances, name)
  keys = _keys(name, key, restarts, config, HopfieldTankConfig)
  return _hopfield_tank_restarts(keys, jnp.asarray(d, jnp.float32), config)


def annealed(key, distances, restarts: int = 1, config: AnnealConfig = AnnealConfig()) -> TSPResult:
  """``restarts`` runs of the mean-field-annealed network in one jit-compiled ``vmap``.

  Args:
    key: PRNG key, split into one key per restart.
    distances: (n, n) symmetric, non-negative, finite distances, n >= 3.
    restarts: number of independent random starts R.
    config: an :class:`AnnealConfig`.

  Returns:
    A :class:`TSPResult` with a leading axis R on every field.
  """
  name = "tsp.annealed"
  d = check_distances(distances, name)
  keys = _keys(name, key, restarts, config, AnnealConfig)
  if not 0.0 < config.cooling < 1.0:
    raise ValueError(f"{name}: config.cooling must be in (0, 1), got {config.cooling}")
  if not 0.0 < config.t_end < config.t_start:
    raise ValueError(
      f"{name}: need 0 < config.t_end < config.t_start, got "
      f"t_start={config.t_start}, t_end={config.t_end}"
    )
  return _annealed_restarts(keys, jnp.asarray(d, jnp.float32), config)
