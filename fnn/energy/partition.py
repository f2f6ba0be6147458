"""An RBM's partition function: exact by enumeration, or by annealed importance sampling.

* :func:`log_partition_exact` sums over every state of the smaller layer (at most
  ~20 units: 2^20 states, summed in chunks of 4096 by ``lax.map``).
* :func:`ais_log_partition` is the AIS estimator of Salakhutdinov & Murray (2008), "On
  the quantitative analysis of deep belief networks" (ICML), §4: a path from a
  base-rate model ``A`` (independent visibles with biases ``b_A``, the RBM's hidden
  units with zero weights) to the RBM ``B`` through

      p*_β(v) = exp((1 - β) b_A·v + β b_v·v) Π_j (1 + exp(β (b_h,j + vᵀw_j))),

  with one Gibbs sweep at each β; ``log Z_B ≈ log Z_A + log mean_runs w``. The paper
  reports ``log Ẑ`` with the bounds ``log(Ẑ ± 3σ̂)``, σ̂ the standard error of the mean
  weight over the runs; :class:`AISResult` carries the same.
* :func:`log_likelihood` is ``-F(v) - log Z``, for a test set's mean log-likelihood.

AIS is implemented for Bernoulli RBMs; exact enumeration also for Gaussian ones.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn.core import check_key
from fnn.energy import rbm

MAX_EXACT_UNITS = 20
_CHUNK = 4096


def _binary_states(ids, n_units: int, dtype):
  """Rows of the binary expansions of the integers ``ids``: ``(len(ids), n_units)``."""
  return ((ids[:, None] >> jnp.arange(n_units)) & 1).astype(dtype)


def _logsumexp_over_states(log_weight, n_units: int, dtype):
  """``log Σ_s exp(log_weight(s))`` over all ``2^n_units`` binary states, chunked."""
  total = 2**n_units
  chunk = min(total, _CHUNK)

  def one_chunk(start):
    return jax.nn.logsumexp(log_weight(_binary_states(start + jnp.arange(chunk), n_units, dtype)))

  return jax.nn.logsumexp(jax.lax.map(one_chunk, jnp.arange(0, total, chunk)))


def log_partition_exact(params: dict, *, max_units: int = MAX_EXACT_UNITS):
  """``log Z`` by summing over the smaller layer's ``2^n`` states.

  Bernoulli RBM: over hiddens, ``log Σ_h exp(b_h·h + Σ_i softplus(b_v,i + (wh)_i))``, or over
  visibles, ``log Σ_v exp(-F(v))``, whichever layer is smaller. Gaussian RBM: over
  hiddens, with the Gaussian integral done in closed form:
  ``log Σ_h exp(b_h·h + (b_v/σ)·wh + |wh|²/2) + Σ_i log(√(2π) σ_i)``.

  Args:
    params: RBM parameters.
    max_units: refuse layers larger than this (the cost is ``2^n``).

  Returns:
    A scalar ``log Z``.
  """
  rbm.check_params("partition.log_partition_exact", params)
  nv, nh = params["w"].shape
  dtype = params["w"].dtype
  w, b, c = params["w"], params["b_v"], params["b_h"]
  if rbm.is_gaussian(params):
    if nh > max_units:
      raise ValueError(
        f"partition.log_partition_exact: a Gaussian RBM is summed over its {nh} hidden "
        f"units, more than max_units={max_units} (2^{nh} states)"
      )
    sigma = jnp.exp(params["log_sigma"])

    def log_weight(h):
      a = h @ w.T
      return h @ c + a @ (b / sigma) + 0.5 * jnp.sum(a * a, axis=-1)

    return _logsumexp_over_states(log_weight, nh, dtype) + jnp.sum(
      jnp.log(jnp.sqrt(2 * jnp.pi) * sigma)
    )
  n = min(nv, nh)
  if n > max_units:
    raise ValueError(
      f"partition.log_partition_exact: the smaller layer has {n} units (visible {nv}, "
      f"hidden {nh}); enumerating 2^{n} states is more than max_units="
      f"{max_units} allows. Use ais_log_partition for a model this size"
    )
  if nh <= nv:
    return _logsumexp_over_states(
      lambda h: h @ c + jnp.sum(jax.nn.softplus(b + h @ w.T), axis=-1), nh, dtype
    )
  return _logsumexp_over_states(lambda v: -rbm.free_energy(params, v), nv, dtype)


def log_likelihood(params: dict, v, log_z):
  """``log p(v) = -F(v) - log Z`` per example: ``(N, n_visible)`` -> ``(N,)``."""
  return -rbm.free_energy(params, v) - log_z


def ais_betas(n_intermediate: int = 14500):
  """AIS inverse temperatures on Salakhutdinov & Murray's schedule.

  The inverse temperatures of Salakhutdinov & Murray (2008): 500 spaced uniformly in
  [0, 0.5), 4000 in [0.5, 0.9) and 10000 in [0.9, 1], scaled to ``n_intermediate``.

  Returns:
    A float32 numpy array from 0 to 1 of ``n_intermediate + 1`` values.
  """
  if n_intermediate < 3:
    raise ValueError(
      f"partition.ais_betas: need at least 3 intermediate distributions, got {n_intermediate}"
    )
  n1 = max(1, round(n_intermediate * 500 / 14500))
  n2 = max(1, round(n_intermediate * 4000 / 14500))
  n3 = n_intermediate - n1 - n2
  return np.concatenate(
    [
      np.linspace(0, 0.5, n1, endpoint=False),
      np.linspace(0.5, 0.9, n2, endpoint=False),
      np.linspace(0.9, 1, n3 + 1),
    ]
  ).astype(np.float32)


class AISResult(NamedTuple):
  """An AIS estimate of ``log Z``.

  Attributes:
    log_z: ``log Ẑ = log Z_A + log mean(w)``.
    log_z_lower: ``log(Ẑ - 3σ̂)`` (``-inf`` when the interval reaches 0).
    log_z_upper: ``log(Ẑ + 3σ̂)``; σ̂ = std(w) / sqrt(n_runs) as in the paper.
    log_weights: ``(n_runs,)`` the runs' log importance weights.
    log_z_base: ``log Z_A`` of the base-rate model.
  """

  log_z: float
  log_z_lower: float
  log_z_upper: float
  log_weights: np.ndarray
  log_z_base: float


def ais_log_partition(
  key: jax.Array, params: dict, *, n_runs: int = 100, betas=None, base_visible_bias=None
) -> AISResult:
  """Estimates ``log Z`` of a Bernoulli RBM by annealed importance sampling.

  Args:
    key: PRNG key.
    params: Bernoulli RBM parameters.
    n_runs: independent AIS runs (the paper uses 100; at least 2 for the ±3σ bounds).
    betas: increasing inverse temperatures from 0 to 1 (default :func:`ais_betas`,
      the paper's 14,500 intermediate distributions).
    base_visible_bias: ``b_A``, the base-rate model's visible biases; the paper uses
      the training data's :func:`fnn.energy.rbm.data_visible_bias`. Default zeros
      (the uniform distribution).

  Returns:
    An :class:`AISResult`.
  """
  where = "partition.ais_log_partition"
  check_key(key, where)
  rbm.check_params(where, params)
  if rbm.is_gaussian(params):
    raise TypeError(
      f"{where}: implemented for Bernoulli RBMs; for a Gaussian RBM "
      "with few hidden units use log_partition_exact"
    )
  if not isinstance(n_runs, (int, np.integer)) or isinstance(n_runs, bool) or n_runs < 2:
    raise ValueError(
      f"{where}: n_runs must be an int >= 2 (the bounds need the spread of "
      f"the runs' weights), got {n_runs!r}"
    )
  betas = np.asarray(ais_betas() if betas is None else betas, np.float64)
  if (
    betas.ndim != 1
    or betas.shape[0] < 2
    or betas[0] != 0
    or betas[-1] != 1
    or np.any(np.diff(betas) < 0)
  ):
    raise ValueError(
      f"{where}: betas must be a 1-D increasing array from 0 to 1, got shape {betas.shape}"
    )
  betas = jnp.asarray(betas, params["w"].dtype)
  b_v = params["b_v"]
  base = (
    jnp.zeros_like(b_v)
    if base_visible_bias is None
    else jnp.asarray(base_visible_bias, b_v.dtype).reshape(b_v.shape)
  )
  log_w = _ais_log_weights(key, params, betas, base, int(n_runs))
  log_z_base = jnp.sum(jax.nn.softplus(base)) + rbm.n_hidden(params) * jnp.log(2.0)
  return _summarise(np.asarray(log_w, np.float64), float(log_z_base))


@functools.partial(jax.jit, static_argnums=(4,))
def _ais_log_weights(key, params, betas, base, n_runs):
  w, b, c = params["w"], params["b_v"], params["b_h"]
  k0, k_run = jax.random.split(key)
  v = jax.random.bernoulli(k0, jax.nn.sigmoid(base), (n_runs, b.shape[0])).astype(w.dtype)

  def log_p_star(beta, v, pre):
    return v @ ((1 - beta) * base + beta * b) + jnp.sum(jax.nn.softplus(beta * pre), axis=-1)

  def step(carry, inputs):
    v, log_w = carry
    beta_prev, beta, t = inputs
    pre = v @ w + c
    log_w = log_w + log_p_star(beta, v, pre) - log_p_star(beta_prev, v, pre)
    # One Gibbs sweep leaving p*_beta invariant.
    kh, kv = jax.random.split(jax.random.fold_in(k_run, t))
    h = jax.random.bernoulli(kh, jax.nn.sigmoid(beta * pre)).astype(w.dtype)
    v = jax.random.bernoulli(kv, jax.nn.sigmoid((1 - beta) * base + beta * (b + h @ w.T))).astype(
      w.dtype
    )
    return (v, log_w), None

  steps = (betas[:-1], betas[1:], jnp.arange(betas.shape[0] - 1))
  (_, log_w), _ = jax.lax.scan(step, (v, jnp.zeros((n_runs,), w.dtype)), steps)
  return log_w


def _summarise(log_w: np.ndarray, log_z_base: float) -> AISResult:
  shift = log_w.max()
  w = np.exp(log_w - shift)
  mean, se = w.mean(), w.std(ddof=1) / np.sqrt(len(w)) if len(w) > 1 else 0.0
  lower = np.log(mean - 3 * se) if mean > 3 * se else -np.inf
  return AISResult(
    log_z=float(log_z_base + shift + np.log(mean)),
    log_z_lower=float(log_z_base + shift + lower),
    log_z_upper=float(log_z_base + shift + np.log(mean + 3 * se)),
    log_weights=log_w,
    log_z_base=log_z_base,
  )


def ais_log_likelihood(
  key: jax.Array, params: dict, v, *, n_runs: int = 100, betas=None, base_visible_bias=None
) -> dict:
  """Mean log-likelihood of ``v`` under the RBM with ``log Z`` from AIS.

  Args:
    key: PRNG key.
    params: Bernoulli RBM parameters.
    v: ``(N, n_visible)`` test data.
    n_runs: as :func:`ais_log_partition`.
    betas: as :func:`ais_log_partition`.
    base_visible_bias: as :func:`ais_log_partition`.

  Returns:
    ``{'mean_log_likelihood', 'lower', 'upper', 'log_z', 'log_z_lower', 'log_z_upper',
    'n_runs'}``: the mean ``-F(v) - log Ẑ`` and its range from the ``log(Ẑ ∓ 3σ̂)``
    bounds (a larger Z gives a smaller likelihood).
  """
  rbm.check_visible("partition.ais_log_likelihood", params, v)
  ais = ais_log_partition(
    key, params, n_runs=n_runs, betas=betas, base_visible_bias=base_visible_bias
  )
  mean_neg_f = float(jnp.mean(-rbm.free_energy(params, v)))
  return {
    "mean_log_likelihood": mean_neg_f - ais.log_z,
    "lower": mean_neg_f - ais.log_z_upper,
    "upper": mean_neg_f - ais.log_z_lower,
    "log_z": ais.log_z,
    "log_z_lower": ais.log_z_lower,
    "log_z_upper": ais.log_z_upper,
    "n_runs": n_runs,
  }
