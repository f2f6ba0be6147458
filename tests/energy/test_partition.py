"""fnn.energy.partition: exact log Z against brute force, AIS against exact log Z."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import logsumexp

from fnn.energy import partition, rbm


def _brute_log_z(params):
  """Log Σ_{v,h} exp(-E(v, h)) over the full joint, in float64."""
  W, b, c = (np.asarray(params[k], np.float64) for k in ("w", "b_v", "b_h"))
  v = np.array(list(itertools.product([0, 1], repeat=W.shape[0])), np.float64)
  h = np.array(list(itertools.product([0, 1], repeat=W.shape[1])), np.float64)
  return logsumexp((v @ b)[:, None] + (h @ c)[None] + v @ W @ h.T)


def _random_rbm(seed, nv, nh, scale=1.0):
  kw, kb, kc = jax.random.split(jax.random.key(seed), 3)
  return {
    "w": scale * jax.random.normal(kw, (nv, nh)),
    "b_v": 0.5 * jax.random.normal(kb, (nv,)),
    "b_h": 0.5 * jax.random.normal(kc, (nh,)),
  }


@pytest.mark.parametrize(("nv", "nh"), [(6, 4), (4, 6), (5, 5)])
def test_exact_log_partition_matches_brute_force_over_the_joint(nv, nh, assert_close):
  params = _random_rbm(nv * 10 + nh, nv, nh)
  # a logsumexp of 2^min(nv, nh) exact terms: a few ulps
  assert_close(partition.log_partition_exact(params), _brute_log_z(params), ulps=4)


def test_exact_log_partition_sums_in_chunks_for_larger_layers(assert_close):
  params = _random_rbm(0, 40, 14, scale=0.3)  # 2^14 hidden states: four chunks
  W, b, c = (np.asarray(params[k], np.float64) for k in ("w", "b_v", "b_h"))
  h = np.array(list(itertools.product([0, 1], repeat=14)), np.float64)
  expected = logsumexp(h @ c + np.logaddexp(0, b + h @ W.T).sum(1))
  assert_close(partition.log_partition_exact(params), expected)


def test_gaussian_exact_log_partition_matches_quadrature():
  params = rbm.init(jax.random.key(1), 2, 3, visible="gaussian", weight_scale=0.6)
  params["log_sigma"] = jnp.array([-0.2, 0.3])
  params["b_v"] = jnp.array([0.4, -0.7])
  params["b_h"] = jnp.array([0.1, -0.3, 0.2])
  grid = np.linspace(-12, 12, 801)
  v = np.stack(np.meshgrid(grid, grid, indexing="ij"), -1).reshape(-1, 2)
  neg_f = -np.asarray(
    rbm.free_energy(jax.tree.map(lambda x: np.asarray(x, np.float64), params), v), np.float64
  )
  log_z = logsumexp(neg_f) + 2 * np.log(grid[1] - grid[0])
  np.testing.assert_allclose(partition.log_partition_exact(params), log_z, rtol=1e-4)


def test_exact_log_partition_refuses_large_layers():
  params = rbm.init(jax.random.key(0), 30, 25)
  with pytest.raises(ValueError, match=r"smaller layer has 25 units .*Use ais_log_partition"):
    partition.log_partition_exact(params)


def test_ais_is_within_005_nats_of_the_exact_log_partition():
  params = _random_rbm(42, 6, 4)
  exact = float(partition.log_partition_exact(params))
  ais = partition.ais_log_partition(
    jax.random.key(0), params, n_runs=200, betas=partition.ais_betas(2000)
  )
  assert abs(ais.log_z - exact) < 0.05, (ais.log_z, exact)
  assert ais.log_z_lower <= exact + 0.05
  assert ais.log_z_upper >= exact - 0.05


def test_ais_with_a_data_base_rate_on_a_wider_model():
  """24 visible x 10 hidden: exact by summing the hiddens; AIS from a data base rate."""
  params = _random_rbm(3, 24, 10, scale=0.5)
  data = (np.random.default_rng(0).random((500, 24)) < 0.3).astype(np.float32)
  exact = float(partition.log_partition_exact(params))
  ais = partition.ais_log_partition(
    jax.random.key(1),
    params,
    n_runs=100,
    betas=partition.ais_betas(3000),
    base_visible_bias=rbm.data_visible_bias(data),
  )
  assert abs(ais.log_z - exact) < 0.05, (ais.log_z, exact)


def test_ais_log_likelihood_is_minus_free_energy_minus_log_z():
  params = _random_rbm(5, 6, 4)
  v = jnp.asarray(np.random.default_rng(1).random((30, 6)) < 0.5, jnp.float32)
  result = partition.ais_log_likelihood(
    jax.random.key(0), params, v, n_runs=100, betas=partition.ais_betas(1000)
  )
  exact = float(
    jnp.mean(partition.log_likelihood(params, v, partition.log_partition_exact(params)))
  )
  assert abs(result["mean_log_likelihood"] - exact) < 0.05
  assert result["lower"] <= result["mean_log_likelihood"] <= result["upper"]


def test_ais_betas_follow_the_published_schedule():
  betas = partition.ais_betas()
  assert len(betas) == 14501
  assert betas[0] == 0
  assert betas[-1] == 1
  assert np.all(np.diff(betas) > 0)
  assert np.sum(betas < 0.5) == 500
  assert np.sum((betas >= 0.5) & (betas < 0.9)) == 4000


@pytest.mark.parametrize("n_runs", [0, 1, 2.5])
def test_ais_with_fewer_than_two_runs_is_a_clear_error(n_runs):
  with pytest.raises(ValueError, match=r"partition.ais_log_partition: n_runs must be an int >= 2"):
    partition.ais_log_partition(jax.random.key(0), _random_rbm(0, 4, 3), n_runs=n_runs)
