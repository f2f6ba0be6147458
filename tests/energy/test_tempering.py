"""fnn.energy.tempering against exact enumeration of tiny RBMs and plain Gibbs sampling."""

import itertools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import stats

from fnn.core import ShapeError
from fnn.energy import rbm, tempering

N_VISIBLE, N_HIDDEN = 6, 4
BETAS = (1.0, 0.7, 0.45, 0.25)


def _states(n):
  return np.array(list(itertools.product([0, 1], repeat=n)), np.float64)


def _tempered_marginal(params, beta):
  """Exact p_β(v) ∝ Σ_h exp(-β E(v, h)) over all 2^6 visible states, in float64."""
  W, b, c = (np.asarray(params[k], np.float64) for k in ("w", "b_v", "b_h"))
  v, h = _states(W.shape[0]), _states(W.shape[1])
  log_joint = beta * ((v @ b)[:, None] + (h @ c)[None, :] + v @ W @ h.T)
  log_p = np.logaddexp.reduce(log_joint, axis=1)
  return np.exp(log_p - np.logaddexp.reduce(log_p))


@pytest.fixture(scope="module")
def tiny():
  """A 6x4 RBM with strong weights, so that its marginal has several modes."""
  kw, kb, kc = jax.random.split(jax.random.key(42), 3)
  return {
    "w": 2.0 * jax.random.normal(kw, (N_VISIBLE, N_HIDDEN)),
    "b_v": 0.5 * jax.random.normal(kb, (N_VISIBLE,)),
    "b_h": 0.5 * jax.random.normal(kc, (N_HIDDEN,)),
  }


def _chi_square_p_value(samples, probs):
  """Chi-square goodness of fit of binary rows to a distribution.

  Chi-square goodness of fit of binary rows to ``probs`` over their 2^d states
  (states expected fewer than 5 times pooled).
  """
  powers = 2 ** np.arange(samples.shape[1])[::-1]
  observed = np.bincount((np.asarray(samples) @ powers).astype(int), minlength=probs.size)
  expected = probs * len(samples)
  big = expected >= 5
  obs, exp = observed[big], expected[big]
  if not big.all():
    obs, exp = np.append(obs, observed[~big].sum()), np.append(exp, expected[~big].sum())
  chi2 = ((obs - exp) ** 2 / exp).sum()
  return stats.chi2.sf(chi2, len(obs) - 1), chi2, len(obs) - 1


def test_tempered_samples_match_the_exact_marginals_at_every_temperature(tiny):
  """Tempering chains sample every replica's exact distribution.

  20000 tempering chains of 4 replicas, 60 sweeps from random bits: the β = 1
  replicas fit the model's exact p(v), and every other replica its tempered p_β(v).
  """
  key = jax.random.key(7)
  v0 = jax.random.bernoulli(key, 0.5, (20000, N_VISIBLE)).astype(jnp.float32)
  result = tempering.sample(jax.random.fold_in(key, 1), tiny, v0, 60, betas=BETAS)
  np.testing.assert_array_equal(result.v, result.replicas.v[0])
  for i, beta in enumerate(BETAS):
    p_value, chi2, dof = _chi_square_p_value(result.replicas.v[i], _tempered_marginal(tiny, beta))
    assert p_value > 1e-3, f"beta {beta}: chi2 {chi2:.1f} on {dof} dof, p = {p_value:.2g}"


def test_one_temperature_is_plain_gibbs_sampling(tiny):
  key = jax.random.key(3)
  v0 = jax.random.bernoulli(jax.random.key(4), 0.5, (50, N_VISIBLE)).astype(jnp.float32)
  result = tempering.sample(key, tiny, v0, 25, betas=(1.0,))
  gibbs = rbm.gibbs_chain(jax.random.split(key)[0], tiny, v0, 25)
  np.testing.assert_array_equal(result.v, gibbs)
  assert result.acceptance.shape == (0,)


def test_swap_log_ratios_are_the_exact_product_density_ratios(tiny):
  """The exact log acceptance ratio of every swap.

  For every pair of visible states (a, b) at β = (1, 0.45): log of
  p_1(b) p_0.45(a) / (p_1(a) p_0.45(b)) from the enumerated marginals.
  """
  betas = (1.0, 0.45)
  s = _states(N_VISIBLE)
  a, b = np.repeat(s, len(s), 0), np.tile(s, (len(s), 1))
  v = jnp.asarray(np.stack([a, b]), jnp.float32)  # replica 0 at a, 1 at b
  log_r = tempering.swap_log_ratios(tiny, jnp.asarray(betas), v)[0]
  p0, p1 = (np.log(_tempered_marginal(tiny, beta)) for beta in betas)
  powers = 2 ** np.arange(N_VISIBLE)[::-1]
  ia, ib = (a @ powers).astype(int), (b @ powers).astype(int)
  expected = p0[ib] + p1[ia] - p0[ia] - p1[ib]
  np.testing.assert_allclose(log_r, expected, rtol=1e-4, atol=1e-4)


def test_a_swap_move_keeps_the_product_of_the_replicas_distributions(tiny):
  """The swap move leaves the product distribution invariant.

  The swap move's transition matrix over all 64 x 64 (v_0, v_1) states, built from
  the acceptance probabilities min(1, exp(log_r)) the move uses, leaves the exact
  product p_1(v_0) p_0.45(v_1) unchanged (by enumeration).
  """
  betas = (1.0, 0.45)
  s = _states(N_VISIBLE)
  n = len(s)
  a, b = np.repeat(s, n, 0), np.tile(s, (n, 1))  # state index a * n + b
  v = jnp.asarray(np.stack([a, b]), jnp.float32)
  accept = np.minimum(
    1.0, np.exp(np.asarray(tempering.swap_log_ratios(tiny, jnp.asarray(betas), v)[0], np.float64))
  )
  pi = np.outer(_tempered_marginal(tiny, betas[0]), _tempered_marginal(tiny, betas[1])).ravel()
  index = np.arange(n * n)
  swapped = (index % n) * n + index // n
  transition = np.zeros((n * n, n * n))
  transition[index, swapped] += accept
  transition[index, index] += 1 - accept
  np.testing.assert_allclose(pi @ transition, pi, rtol=1e-4, atol=1e-9)
  assert 0.05 < np.mean(accept) < 0.95  # a test with swaps both accepted and refused


def test_swap_exchanges_only_the_pairs_of_its_parity():
  """With zero weights and biases every ratio is 1, so every proposed pair swaps."""
  params = {"w": jnp.zeros((3, 2)), "b_v": jnp.zeros(3), "b_h": jnp.zeros(2)}
  v = jnp.arange(4.0)[:, None, None] * jnp.ones((4, 2, 3))  # replica i holds i
  betas = jnp.asarray([1.0, 0.8, 0.6, 0.4])
  even, acc, proposed = tempering.swap(jax.random.key(0), params, betas, v, 0)
  np.testing.assert_array_equal(even[:, 0, 0], [1, 0, 3, 2])
  np.testing.assert_array_equal(proposed, [1, 0, 1])
  np.testing.assert_array_equal(acc, [[1, 1], [0, 0], [1, 1]])
  odd, _, proposed = tempering.swap(jax.random.key(0), params, betas, v, 1)
  np.testing.assert_array_equal(odd[:, 0, 0], [0, 2, 1, 3])
  np.testing.assert_array_equal(proposed, [0, 1, 0])


def test_acceptance_rates_are_reported_per_neighbouring_pair(tiny):
  v0 = jnp.zeros((200, N_VISIBLE))
  result = tempering.sample(jax.random.key(0), tiny, v0, 40, betas=BETAS)
  assert result.acceptance.shape == (len(BETAS) - 1,)
  assert np.all((np.asarray(result.acceptance) > 0) & (np.asarray(result.acceptance) <= 1))
  assert int(result.replicas.sweep) == 40


def test_inverse_temperatures_and_their_checks():
  assert tempering.inverse_temperatures(1, beta_min=0.5) == (1.0,)
  np.testing.assert_allclose(tempering.inverse_temperatures(3, beta_min=0.5), [1, 0.75, 0.5])
  np.testing.assert_allclose(
    tempering.inverse_temperatures(3, beta_min=0.25, spacing="geometric"), [1, 0.5, 0.25]
  )
  for bad in [(0.9, 0.5), (1.0, 1.0), (1.0, 0.5, 0.7), (), (1.0, -0.1)]:
    with pytest.raises(ValueError, match=r"tempering.sample: betas must"):
      tempering.sample(
        jax.random.key(0),
        {"w": jnp.zeros((2, 1)), "b_v": jnp.zeros(2), "b_h": jnp.zeros(1)},
        jnp.zeros((1, 2)),
        1,
        betas=bad,
      )


def test_chain_checks_the_replicas_shape_and_the_visible_type(tiny):
  replicas = tempering.init_replicas(tiny, 3, jnp.zeros((5, N_VISIBLE)))
  with pytest.raises(ShapeError, match=r"tempering.chain: expected replicas of shape \(4, N, 6\)"):
    tempering.chain(jax.random.key(0), tiny, BETAS, replicas, 1)
  gaussian = rbm.init(jax.random.key(0), N_VISIBLE, N_HIDDEN, visible="gaussian")
  with pytest.raises(
    TypeError,
    match=r"tempering.chain: parallel tempering is implemented for "
    r"Bernoulli RBMs",
  ):
    tempering.chain(
      jax.random.key(0),
      gaussian,
      (1.0,),
      tempering.init_replicas(gaussian, 1, jnp.zeros((2, N_VISIBLE))),
      1,
    )


@pytest.fixture(scope="module")
def digits_binary():
  from fnn.data import load_digits

  x, _ = load_digits("train")
  return (x.reshape(len(x), 64) > 0.5).astype(np.float32)


def test_pt_training_is_a_step_of_the_engine_and_logs_swap_rates(digits_binary):
  params = rbm.init(jax.random.key(0), 64, 32)
  start = float(jnp.mean(rbm.pseudo_log_likelihood(jax.random.key(5), params, digits_binary)))
  betas = tempering.inverse_temperatures(4, beta_min=0.5)
  result = rbm.fit(
    params,
    digits_binary,
    key=jax.random.key(1),
    optimizer=optax.sgd(0.05),
    epochs=4,
    batch_size=100,
    betas=betas,
    n_chains=50,
    progress=False,
  )
  hist = result.history
  assert result.state.state.v.shape == (4, 50, 64)
  assert int(result.state.state.sweep) == int(result.state.step)  # k = 1 sweep per update
  assert hist["pseudo_log_likelihood"][-1] > start + 5
  assert np.all((hist["swap_acceptance"] > 0) & (hist["swap_acceptance"] <= 1))
  assert np.all(hist["swap_acceptance_min"] <= hist["swap_acceptance"])


def test_resumed_pt_fit_is_bit_identical_to_an_uninterrupted_run(tmp_path, digits_binary):
  params = rbm.init(jax.random.key(0), 64, 16)
  args = dict(
    key=jax.random.key(1),
    optimizer=optax.sgd(0.05),
    batch_size=100,
    k=2,
    betas=(1.0, 0.8, 0.6),
    progress=False,
  )
  whole = rbm.fit(params, digits_binary, epochs=3, **args)
  rbm.fit(params, digits_binary, epochs=1, checkpoint_dir=tmp_path, **args)
  resumed = rbm.fit(params, digits_binary, epochs=3, resume=tmp_path, **args)
  chex.assert_trees_all_equal(resumed.state._replace(key=None), whole.state._replace(key=None))
  for name in ("loss", "swap_acceptance", "pseudo_log_likelihood"):
    np.testing.assert_array_equal(resumed.history[name], whole.history[name])
