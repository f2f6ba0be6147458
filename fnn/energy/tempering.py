"""Parallel tempering (replica exchange) for Bernoulli RBMs: sampling and training.

K replicas of a Gibbs chain run side by side, replica ``i`` at inverse temperature
``betas[i]`` of the tempered RBM ``p_β(v, h) ∝ exp(-β E(v, h))`` (every parameter scaled
by β), with ``betas[0] = 1`` the model itself and smaller β flatter distributions
whose chains cross between modes easily. After each sweep neighbouring replicas
propose to exchange their states, the pairs ``(0, 1), (2, 3), ...`` on even sweeps and
``(1, 2), (3, 4), ...`` on odd ones, accepted with probability

    min(1, exp(F_βi(v_i) + F_βj(v_j) - F_βi(v_j) - F_βj(v_i))),

``F_β(v) = -β b_v·v - Σ_j softplus(β (b_h + vᵀw)_j)`` the tempered free energy (the
hiddens summed out). Each move leaves the product ``Π_i p_βi(v_i)`` invariant, so the
β = 1 replica samples the RBM; the swaps carry states found at high temperature down
to it (Swendsen & Wang 1986; Geyer 1991; for RBMs Desjardins et al. 2010, "Tempered
Markov chain Monte Carlo for training of restricted Boltzmann machines", AISTATS, and
Cho, Raiko & Ilin 2010, "Parallel tempering is efficient for learning restricted
Boltzmann machines", IJCNN).

The replicas are one array ``(K, N, n_visible)``: N independent tempering chains,
each with K replicas. The tempered conditionals are vmapped over the K temperatures
and the sweeps are one ``lax.scan``; samplers take their key first.

* :func:`sample` draws samples (the β = 1 replica after ``sweeps`` sweeps).
* :func:`chain` continues a :class:`Replicas` state; it returns the swap acceptance
  rate of each neighbouring pair.
* :func:`negative_phase` is PT's negative phase for training: ``rbm.cd_step(...,
  betas=...)`` and ``rbm.fit(..., betas=...)`` keep the replicas in ``TrainState.state``
  and log the swap acceptance rates.

With one temperature (``betas=(1.0,)``) a chain is exactly :func:`fnn.energy.rbm.gibbs_chain`
with the Gibbs half of the key (``jax.random.split(key)[0]``).

Examples:
  >>> from fnn.energy import rbm, tempering
  >>> params = rbm.init(jax.random.key(0), 16, 8)
  >>> betas = tempering.inverse_temperatures(4, beta_min=0.5)
  >>> betas
  (1.0, 0.8333333333333334, 0.6666666666666667, 0.5)
  >>> v0 = jax.random.bernoulli(jax.random.key(1), 0.5, (5, 16)).astype(jnp.float32)
  >>> result = tempering.sample(jax.random.key(2), params, v0, 20, betas=betas)
  >>> result.v.shape, result.acceptance.shape  # the β = 1 samples, the swap rate per pair
  ((5, 16), (3,))
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn.core import ShapeError, check_key
from fnn.energy import rbm


class Replicas(NamedTuple):
  """The state of N parallel-tempering chains.

  Attributes:
    v: ``(K, N, n_visible)``: ``v[i]`` are the N replicas at ``betas[i]``.
    sweep: int32 scalar, the sweeps made so far; its parity chooses which
      neighbouring pairs the next swap proposes.
  """

  v: jax.Array
  sweep: jax.Array


class Sample(NamedTuple):
  """What :func:`sample` returns.

  Attributes:
    v: ``(N, n_visible)`` the β = 1 replicas: the samples.
    acceptance: ``(K - 1,)`` the fraction of proposed swaps accepted between
      ``betas[i]`` and ``betas[i + 1]``.
    replicas: the final :class:`Replicas` (to continue with :func:`chain`).
  """

  v: jax.Array
  acceptance: jax.Array
  replicas: Replicas


def check_betas(where: str, betas) -> tuple:
  """Checks an inverse-temperature ladder on the host; returns it as a tuple of floats.

  It must be a non-empty 1-D sequence starting at 1 and strictly decreasing to a
  value >= 0 (``betas[0] = 1`` is the model being sampled).
  """
  array = np.asarray(betas, np.float64)
  if array.ndim != 1 or array.size == 0:
    raise ValueError(
      f"{where}: betas must be a non-empty 1-D sequence of inverse temperatures, "
      f"got shape {array.shape}"
    )
  if array[0] != 1 or np.any(np.diff(array) >= 0) or array[-1] < 0:
    raise ValueError(
      f"{where}: betas must start at 1 and decrease strictly to a value >= 0 "
      f"(betas[0] = 1 is the model), got {array.tolist()}"
    )
  return tuple(float(b) for b in array)


def inverse_temperatures(n_temperatures: int, *, beta_min: float, spacing: str = "linear") -> tuple:
  """A ladder of ``n_temperatures`` inverse temperatures from 1 down to ``beta_min``.

  Args:
    n_temperatures: K >= 1 (K = 1 is plain Gibbs sampling).
    beta_min: the smallest β, in [0, 1) (must be > 0 for geometric spacing).
    spacing: ``"linear"`` (equal steps in β) or ``"geometric"`` (equal ratios).

  Returns:
    A tuple of K floats, ``1.0`` first.
  """
  if not isinstance(n_temperatures, (int, np.integer)) or n_temperatures < 1:
    raise ValueError(
      f"tempering.inverse_temperatures: n_temperatures must be an int >= 1, got {n_temperatures!r}"
    )
  if n_temperatures == 1:
    return (1.0,)
  if not 0 <= beta_min < 1:
    raise ValueError(f"tempering.inverse_temperatures: beta_min must be in [0, 1), got {beta_min}")
  if spacing == "linear":
    ladder = np.linspace(1.0, beta_min, n_temperatures)
  elif spacing == "geometric":
    if beta_min <= 0:
      raise ValueError("tempering.inverse_temperatures: geometric spacing needs beta_min > 0")
    ladder = np.geomspace(1.0, beta_min, n_temperatures)
  else:
    raise ValueError(
      f"tempering.inverse_temperatures: spacing must be 'linear' or 'geometric', got {spacing!r}"
    )
  return tuple(float(b) for b in ladder)


def init_replicas(params: dict, n_temperatures: int, v0) -> Replicas:
  """Replicas that all start at ``v0``: ``(N, n_visible)`` (random bits, data, or zeros).

  Returns:
    A :class:`Replicas` with ``v`` of shape ``(n_temperatures, N, n_visible)``, sweep 0.
  """
  rbm.check_visible("tempering.init_replicas", params, v0)
  v = jnp.broadcast_to(v0, (n_temperatures,) + v0.shape).astype(params["w"].dtype)
  return Replicas(v, jnp.zeros((), jnp.int32))


# ----------------------------------------------------------------------------
# The tempered model, vmapped over the replicas' temperatures.


def tempered_free_energy(params: dict, beta, v):
  """``F_β(v) = -β b_v·v - Σ_j softplus(β (b_h + vᵀw)_j)``: ``(N, n_visible)`` -> ``(N,)``.

  ``p_β(v) ∝ exp(-F_β(v))`` is the visible marginal of ``exp(-β E(v, h))``; at β = 1
  it is :func:`fnn.energy.rbm.free_energy`.
  """
  return -beta * (v @ params["b_v"]) - jnp.sum(
    jax.nn.softplus(beta * rbm.hidden_logits(params, v)), axis=-1
  )


def _hidden_logits(params, beta, v):
  return beta * rbm.hidden_logits(params, v)


def _visible_logits(params, beta, h):
  return beta * (params["b_v"] + h @ params["w"].T)


def tempered_gibbs_step(key: jax.Array, params: dict, betas, v):
  """One Gibbs sweep of every replica at its own temperature.

  Args:
    key: PRNG key (split into the hidden and the visible draws, as
      :func:`fnn.energy.rbm.gibbs_step` does).
    params: Bernoulli RBM parameters.
    betas: ``(K,)`` inverse temperatures.
    v: ``(K, N, n_visible)`` replicas.

  Returns:
    ``(v_new, h)``: ``(K, N, n_visible)`` and the hiddens drawn, ``(K, N, n_hidden)``.
  """
  kh, kv = jax.random.split(key)
  h_probs = jax.nn.sigmoid(jax.vmap(_hidden_logits, (None, 0, 0))(params, betas, v))
  h = jax.random.bernoulli(kh, h_probs).astype(h_probs.dtype)
  v_probs = jax.nn.sigmoid(jax.vmap(_visible_logits, (None, 0, 0))(params, betas, h))
  return jax.random.bernoulli(kv, v_probs).astype(v_probs.dtype), h


def swap_log_ratios(params: dict, betas, v):
  """Log acceptance ratio of exchanging replicas ``i`` and ``i + 1``, for every pair.

  Returns:
    ``(K - 1, N)``: ``F_βi(v_i) + F_βi+1(v_i+1) - F_βi(v_i+1) - F_βi+1(v_i)``.
  """
  own = jax.vmap(tempered_free_energy, (None, 0, 0))(params, betas, v)  # (K, N)
  up = jax.vmap(tempered_free_energy, (None, 0, 0))(params, betas[:-1], v[1:])  # F_βi(v_i+1)
  down = jax.vmap(tempered_free_energy, (None, 0, 0))(params, betas[1:], v[:-1])  # F_βi+1(v_i)
  return own[:-1] + own[1:] - up - down


def swap(key: jax.Array, params: dict, betas, v, parity):
  """Proposes to exchange the neighbouring replicas ``(i, i + 1)`` with ``i % 2 == parity``.

  Each proposal is a Metropolis–Hastings move with a symmetric proposal, so it keeps
  ``Π_i p_βi(v_i)`` invariant; the pairs of one parity are disjoint and decided
  independently.

  Args:
    key: PRNG key for the acceptance draws.
    params: Bernoulli RBM parameters.
    betas: ``(K,)`` inverse temperatures.
    v: ``(K, N, n_visible)`` replicas.
    parity: 0 or 1 (an int32 scalar under jit).

  Returns:
    ``(v_new, accepted, proposed)``: the replicas after the exchanges, ``(K - 1, N)``
    float 1.0 where pair ``i`` of chain ``n`` swapped, and ``(K - 1,)`` float 1.0 for
    the pairs that were proposed.
  """
  log_r = swap_log_ratios(params, betas, v)
  proposed = jnp.arange(betas.shape[0] - 1) % 2 == parity
  log_u = jnp.log(jax.random.uniform(key, log_r.shape, log_r.dtype))
  accepted = proposed[:, None] & (log_u < log_r)  # (K-1, N)
  no_pair = jnp.zeros((1,) + accepted.shape[1:], bool)
  from_above = jnp.concatenate([accepted, no_pair])[..., None]  # replica i takes v[i + 1]
  from_below = jnp.concatenate([no_pair, accepted])[..., None]  # replica i takes v[i - 1]
  v_new = jnp.where(
    from_above, jnp.roll(v, -1, axis=0), jnp.where(from_below, jnp.roll(v, 1, axis=0), v)
  )
  dtype = log_r.dtype
  return v_new, accepted.astype(dtype), proposed.astype(dtype)


def chain(key: jax.Array, params: dict, betas, replicas: Replicas, sweeps: int):
  """``sweeps`` parallel-tempering sweeps (Gibbs at every temperature, then swaps).

  Args:
    key: PRNG key; ``k_gibbs, k_swap = split(key)``, and sweep ``t`` (counted from the
      replicas' ``sweep``) uses ``fold_in(k_gibbs, t)`` and ``fold_in(k_swap, t)``.
    params: Bernoulli RBM parameters.
    betas: the K inverse temperatures, ``betas[0] = 1`` (:func:`check_betas`).
    replicas: the starting :class:`Replicas` (:func:`init_replicas`).
    sweeps: number of sweeps, a Python int >= 1.

  Returns:
    ``(replicas, acceptance)``: the new state and the ``(K - 1,)`` fraction of
    proposed swaps accepted in these sweeps, per neighbouring pair (nan for a pair
    that was never proposed, i.e. a single sweep's other parity).
  """
  where = "tempering.chain"
  sweeps = rbm._check_k(where, sweeps)
  _check_bernoulli(where, params)
  betas = jnp.asarray(betas, params["w"].dtype)
  if replicas.v.ndim != 3 or replicas.v.shape[0] != betas.shape[0]:
    raise ShapeError(
      f"{where}: expected replicas of shape ({betas.shape[0]}, N, "
      f"{rbm.n_visible(params)}) for {betas.shape[0]} temperatures, got "
      f"{tuple(replicas.v.shape)}"
    )
  k_gibbs, k_swap = jax.random.split(key)

  def one_sweep(carry, t):
    v, accepted, proposed = carry
    v, _ = tempered_gibbs_step(jax.random.fold_in(k_gibbs, t), params, betas, v)
    v, acc, prop = swap(jax.random.fold_in(k_swap, t), params, betas, v, t % 2)
    return (v, accepted + acc.mean(axis=1), proposed + prop), None

  zeros = jnp.zeros((betas.shape[0] - 1,), replicas.v.dtype)
  t = replicas.sweep + jnp.arange(sweeps, dtype=jnp.int32)
  (v, accepted, proposed), _ = jax.lax.scan(one_sweep, (replicas.v, zeros, zeros), t)
  return Replicas(v, replicas.sweep + sweeps), accepted / proposed


def sample(key: jax.Array, params: dict, v0, sweeps: int, *, betas) -> Sample:
  """Samples an RBM by parallel tempering: every replica starts at ``v0``.

  Args:
    key: PRNG key (as for :func:`chain`).
    params: Bernoulli RBM parameters.
    v0: ``(N, n_visible)`` start of the N tempering chains (random bits to sample
      from noise).
    sweeps: number of sweeps, >= 1.
    betas: the K inverse temperatures, 1 first, strictly decreasing
      (:func:`inverse_temperatures`).

  Returns:
    A :class:`Sample`: the β = 1 replicas ``(N, n_visible)``, the swap acceptance
    rates ``(K - 1,)`` and the final replicas.
  """
  check_key(key, "tempering.sample")
  betas = check_betas("tempering.sample", betas)
  replicas, acceptance = _compiled_chain(
    key, params, init_replicas(params, len(betas), v0), int(sweeps), betas
  )
  return Sample(replicas.v[0], acceptance, replicas)


_compiled_chain = jax.jit(
  lambda key, params, replicas, sweeps, betas: chain(key, params, betas, replicas, sweeps),
  static_argnums=(3, 4),
)


def negative_phase(key: jax.Array, params: dict, replicas: Replicas, *, betas, k: int = 1):
  """Parallel tempering's negative phase: ``k`` sweeps of the persistent replicas.

  The samples for the gradient are the β = 1 replicas after the sweeps (Desjardins et
  al. 2010; Cho et al. 2010), and the replicas persist to the next update.

  Returns:
    ``(v_model, replicas, acceptance)``: ``(N, n_visible)``, the new state and the
    ``(K - 1,)`` swap acceptance rates of these sweeps.
  """
  replicas, acceptance = chain(key, params, betas, replicas, k)
  return replicas.v[0], replicas, acceptance


def _check_bernoulli(where: str, params: dict) -> None:
  rbm.check_params(where, params)
  if rbm.is_gaussian(params):
    raise TypeError(
      f"{where}: parallel tempering is implemented for Bernoulli RBMs (these "
      "params carry 'log_sigma')"
    )


def acceptance_logs(acceptance) -> dict:
  """Swap acceptance logs of a training step.

  A training step's logs of the swap acceptance rates (scalars): their mean over
  the pairs and the lowest pair's (the ladder's bottleneck). Pairs not proposed in
  the step (nan) are left out.
  """
  return {"swap_acceptance": jnp.nanmean(acceptance), "swap_acceptance_min": jnp.nanmin(acceptance)}
