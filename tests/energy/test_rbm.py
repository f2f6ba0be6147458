"""Tests of fnn.energy.rbm.

fnn.energy.rbm against exact enumeration of tiny models, hand-computed gradients and
scikit-learn.
"""

import itertools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import stats

from fnn.core import ShapeError
from fnn.energy import rbm

N_VISIBLE, N_HIDDEN = 6, 4


def _states(n):
  return np.array(list(itertools.product([0, 1], repeat=n)), np.float64)


def _np_energy(params, v, h):
  W, b, c = (np.asarray(params[k], np.float64) for k in ("w", "b_v", "b_h"))
  return -(v @ b)[:, None] - (h @ c)[None, :] - v @ W @ h.T  # (n_v_states, n_h_states)


@pytest.fixture(scope="module")
def tiny():
  """A 6x4 Bernoulli RBM with weights large enough to make the joint non-trivial."""
  kw, kb, kc = jax.random.split(jax.random.key(42), 3)
  return {
    "w": jax.random.normal(kw, (N_VISIBLE, N_HIDDEN)),
    "b_v": 0.5 * jax.random.normal(kb, (N_VISIBLE,)),
    "b_h": 0.5 * jax.random.normal(kc, (N_HIDDEN,)),
  }


@pytest.fixture(scope="module")
def joint(tiny):
  """Exact p(v, h) over all 64 x 16 states, by enumeration in float64."""
  log_p = -_np_energy(tiny, _states(N_VISIBLE), _states(N_HIDDEN))
  log_p -= log_p.max()
  p = np.exp(log_p)
  return p / p.sum()


def test_energy_matches_the_formula_for_every_state(tiny, assert_close):
  v, h = _states(N_VISIBLE), _states(N_HIDDEN)
  vv, hh = np.repeat(v, len(h), 0), np.tile(h, (len(v), 1))
  got = rbm.energy(tiny, jnp.asarray(vv, jnp.float32), jnp.asarray(hh, jnp.float32))
  assert_close(got, _np_energy(tiny, v, h).ravel())


def test_free_energy_equals_minus_log_sum_over_hiddens(tiny, assert_close):
  v = _states(N_VISIBLE)
  expected = -np.log(np.exp(-_np_energy(tiny, v, _states(N_HIDDEN))).sum(axis=1))
  got = rbm.free_energy(tiny, jnp.asarray(v, jnp.float32))
  assert_close(got, expected)


def test_conditionals_match_the_enumerated_joint(tiny, joint, assert_close):
  v, h = _states(N_VISIBLE), _states(N_HIDDEN)
  p_h_given_v = joint / joint.sum(axis=1, keepdims=True)  # (64, 16)
  assert_close(rbm.hidden_probs(tiny, jnp.asarray(v, jnp.float32)), p_h_given_v @ h)
  p_v_given_h = joint / joint.sum(axis=0, keepdims=True)
  assert_close(rbm.visible_mean(tiny, jnp.asarray(h, jnp.float32)), p_v_given_h.T @ v)


def test_gaussian_free_energy_and_conditional_mean_match_enumeration(assert_close):
  params = rbm.init(jax.random.key(3), 3, 2, visible="gaussian", weight_scale=0.7)
  params["log_sigma"] = jnp.array([-0.3, 0.0, 0.4])
  params["b_v"] = jnp.array([0.5, -1.0, 0.2])
  sigma = np.exp(np.asarray(params["log_sigma"], np.float64))
  W, b, c = (np.asarray(params[k], np.float64) for k in ("w", "b_v", "b_h"))
  v = np.random.default_rng(0).normal(size=(5, 3))
  h = _states(2)
  energies = 0.5 * (((v - b) / sigma) ** 2).sum(1)[:, None] - (h @ c)[None] - (v / sigma) @ W @ h.T
  assert_close(
    rbm.free_energy(params, jnp.asarray(v, jnp.float32)), -np.log(np.exp(-energies).sum(1))
  )
  assert_close(rbm.visible_mean(params, jnp.asarray(h, jnp.float32)), b + sigma * (h @ W.T))


def test_long_gibbs_chains_sample_the_exact_joint(tiny, joint):
  """Gibbs chains reach the exact joint distribution.

  20000 independent chains, 60 sweeps each; the (v, h) pair of the last sweep is
  binned over the 1024 joint states and compared with the exact joint by a chi-square
  test (states expected < 5 times pooled).
  """
  n_chains, key = 20000, jax.random.key(7)
  v0 = jax.random.bernoulli(key, 0.5, (n_chains, N_VISIBLE)).astype(jnp.float32)
  v = rbm.gibbs_chain(jax.random.fold_in(key, 1), tiny, v0, 60)
  _, h = rbm.gibbs_step(jax.random.fold_in(key, 2), tiny, v)  # h ~ p(h | v)
  powers_v, powers_h = 2 ** np.arange(N_VISIBLE)[::-1], 2 ** np.arange(N_HIDDEN)[::-1]
  index = (np.asarray(v) @ powers_v).astype(int) * 2**N_HIDDEN + np.asarray(h) @ powers_h
  observed = np.bincount(index.astype(int), minlength=joint.size)
  expected = joint.ravel() * n_chains
  big = expected >= 5
  obs = np.append(observed[big], observed[~big].sum())
  exp = np.append(expected[big], expected[~big].sum())
  chi2 = ((obs - exp) ** 2 / exp).sum()
  p_value = stats.chi2.sf(chi2, len(obs) - 1)
  assert p_value > 1e-3, f"chi2 {chi2:.1f} on {len(obs) - 1} dof, p = {p_value:.2g}"


def test_gibbs_chain_trajectory_ends_at_the_returned_state(tiny):
  v0 = jnp.zeros((3, N_VISIBLE))
  v, traj = rbm.gibbs_chain(jax.random.key(0), tiny, v0, 4, return_trajectory=True)
  assert traj.shape == (4, 3, N_VISIBLE)
  np.testing.assert_array_equal(traj[-1], v)
  np.testing.assert_array_equal(rbm.gibbs_chain(jax.random.key(0), tiny, v0, 4), v)


def test_cd_gradient_is_data_minus_model_correlations(tiny, assert_close):
  rng = np.random.default_rng(1)
  v_data = (rng.random((8, N_VISIBLE)) < 0.5).astype(np.float64)
  v_model = (rng.random((5, N_VISIBLE)) < 0.5).astype(np.float64)
  grads = jax.grad(rbm.cd_loss)(
    tiny, jnp.asarray(v_data, jnp.float32), jnp.asarray(v_model, jnp.float32)
  )
  W, _b, c = (np.asarray(tiny[k], np.float64) for k in ("w", "b_v", "b_h"))

  def sig(x):
    return 1 / (1 + np.exp(-x))

  h_data, h_model = sig(v_data @ W + c), sig(v_model @ W + c)
  # The likelihood gradient <v h^T>_data - <v h^T>_model; cd_loss is its negative.
  dW = v_data.T @ h_data / len(v_data) - v_model.T @ h_model / len(v_model)
  assert_close(-grads["w"], dW)
  assert_close(-grads["b_v"], v_data.mean(0) - v_model.mean(0))
  assert_close(-grads["b_h"], h_data.mean(0) - h_model.mean(0))


def test_sparsity_penalty_pushes_hidden_biases_towards_the_target(tiny, assert_close):
  v = jnp.ones((4, N_VISIBLE))
  q = np.asarray(rbm.hidden_probs(tiny, v)).mean(0)
  plain = jax.grad(rbm.cd_loss)(tiny, v, v)  # data == model: zero CD gradient
  sparse = jax.grad(rbm.cd_loss)(tiny, v, v, sparsity_target=0.05, sparsity_cost=0.5)
  np.testing.assert_allclose(plain["b_h"], 0, atol=1e-6)
  # d/dc of λ Σ BCE(p, q_j) with q_j the batch mean of sigmoids: λ mean((q_j-p)/(q_j(1-q_j)) σ'(.)).
  h = np.asarray(rbm.hidden_probs(tiny, v))
  expected = 0.5 * ((q - 0.05) / (q * (1 - q))) * (h * (1 - h)).mean(0)
  assert_close(sparse["b_h"], expected)


def test_persistent_chains_advance_and_keep_their_shape(tiny):
  chains = rbm.init_chains(tiny, 7)
  v_model, new = rbm.negative_phase(
    jax.random.key(0), tiny, jnp.zeros((3, N_VISIBLE)), chains, k=2, persistent=True
  )
  assert v_model.shape == (7, N_VISIBLE)
  assert new.shape == (7, N_HIDDEN)
  assert set(np.unique(np.asarray(new))) <= {0.0, 1.0}


def test_pseudo_log_likelihood_matches_sklearn_score_samples(assert_close):
  from sklearn.neural_network import BernoulliRBM

  rng = np.random.default_rng(0)
  params = {
    "w": jnp.asarray(rng.normal(size=(10, 7)), jnp.float32),
    "b_v": jnp.asarray(rng.normal(size=10), jnp.float32),
    "b_h": jnp.asarray(rng.normal(size=7), jnp.float32),
  }
  v = (rng.random((50, 10)) < 0.4).astype(np.float64)
  sk = BernoulliRBM(n_components=7, random_state=3).fit(v[:5])  # sets up attributes
  sk.components_ = np.asarray(params["w"], np.float64).T
  sk.intercept_visible_ = np.asarray(params["b_v"], np.float64)
  sk.intercept_hidden_ = np.asarray(params["b_h"], np.float64)
  units = np.random.RandomState(3).randint(0, 10, 50)  # what score_samples draws
  got = rbm.pseudo_log_likelihood(
    None, params, jnp.asarray(v, jnp.float32), units=jnp.asarray(units)
  )
  assert_close(got, sk.score_samples(v))


def test_reconstruction_error_matches_numpy(tiny, assert_close):
  v = _states(N_VISIBLE)[::5]
  W, b, c = (np.asarray(tiny[k], np.float64) for k in ("w", "b_v", "b_h"))

  def sig(x):
    return 1 / (1 + np.exp(-x))

  recon = sig(sig(v @ W + c) @ W.T + b)
  assert_close(
    rbm.reconstruction_error(tiny, jnp.asarray(v, jnp.float32)), ((v - recon) ** 2).sum(1).mean()
  )


def test_an_unshuffled_epoch_takes_sklearns_even_minibatches(tiny):
  # rbm.fit keeps the last N % batch_size examples as one shorter step, as
  # BernoulliRBM.fit's gen_even_slices does: with plain SGD, CD-1 on 25 rows in
  # batches of 10 equals three hand-made updates on rows [0:10], [10:20], [20:25].
  from sklearn.utils import gen_even_slices

  from fnn import train

  data = (np.random.default_rng(0).random((25, N_VISIBLE)) < 0.5).astype(np.float32)
  opt = optax.sgd(0.1)
  result = rbm.fit(
    tiny,
    data,
    key=jax.random.key(3),
    optimizer=opt,
    epochs=1,
    batch_size=10,
    shuffle=False,
    monitor=False,
    progress=False,
  )
  ts = train.TrainState.create(tiny, (), opt, key=jax.random.key(3))
  step = rbm.cd_step(opt)
  for s in gen_even_slices(30, 3, n_samples=25):
    ts, _ = train.advance(step)(ts, jnp.asarray(data[s]))
  assert int(result.state.step) == 3
  for name in ("w", "b_v", "b_h"):  # the scan and the eager steps may round differently
    np.testing.assert_allclose(
      result.state.params[name], ts.params[name], rtol=8 * np.finfo(np.float32).eps, atol=1e-7
    )


@pytest.fixture(scope="module")
def digits_binary():
  from fnn.data import load_digits

  x, _ = load_digits("train")
  return (x.reshape(len(x), 64) > 0.5).astype(np.float32)


def test_pcd_fit_raises_pseudo_likelihood_on_digits(digits_binary):
  params = rbm.init(jax.random.key(0), 64, 32)
  start = float(jnp.mean(rbm.pseudo_log_likelihood(jax.random.key(5), params, digits_binary)))
  result = rbm.fit(
    params,
    digits_binary,
    key=jax.random.key(1),
    optimizer=optax.sgd(0.05),
    epochs=5,
    batch_size=100,
    persistent=True,
    progress=False,
  )
  hist = result.history
  assert len(hist["pseudo_log_likelihood"]) == 5
  assert result.state.state.shape == (100, 32)
  assert hist["pseudo_log_likelihood"][-1] > start + 5  # ~ -44 at start, ~ -27 after 5 epochs
  assert hist["reconstruction_error"][-1] < hist["reconstruction_error"][0]


def test_fit_rejects_data_outside_unit_interval(tiny):
  with pytest.raises(ValueError, match=r"needs data in \[0, 1\].*got values in \[0, 2\]"):
    rbm.fit(
      tiny,
      np.linspace(0, 2, 60).reshape(10, N_VISIBLE),
      key=jax.random.key(0),
      optimizer=optax.sgd(0.1),
      epochs=1,
      progress=False,
    )


def test_wrong_visible_size_is_a_shape_error(tiny):
  with pytest.raises(ShapeError, match=r"expected data of shape \(N, 6\).*got shape \(10, 5\)"):
    rbm.fit(tiny, np.zeros((10, 5)), key=jax.random.key(0), optimizer=optax.sgd(0.1), epochs=1)
  with pytest.raises(
    ShapeError,
    match=r"rbm.free_energy: expected visibles of shape \(N, 6\), "
    r"got shape \(2, 7\)",
  ):
    rbm.free_energy(tiny, jnp.zeros((2, 7)))


@pytest.mark.parametrize("k", [0, -1, 1.5])
def test_k_below_one_is_rejected(tiny, k):
  with pytest.raises(
    ValueError,
    match=r"rbm.gibbs_chain: the number of Gibbs sweeps must be an "
    r"int >= 1, got",
  ):
    rbm.gibbs_chain(jax.random.key(0), tiny, jnp.zeros((2, N_VISIBLE)), k)
  with pytest.raises(ValueError, match=r"rbm.cd_step: the number of Gibbs sweeps must be an int"):
    rbm.fit(
      tiny, np.zeros((4, N_VISIBLE)), key=jax.random.key(0), optimizer=optax.sgd(0.1), epochs=1, k=k
    )


def test_non_finite_weights_after_an_update_stop_with_the_last_good_state(tiny):
  from fnn.train import NonFiniteLossError

  data = np.ones((20, N_VISIBLE), np.float32)
  with pytest.raises(NonFiniteLossError, match=r"rbm.fit: the loss became .* at step 0 ") as info:
    rbm.fit(
      tiny,
      data,
      key=jax.random.key(0),
      optimizer=optax.sgd(float("inf")),
      epochs=2,
      batch_size=10,
      progress=False,
      monitor=False,
    )
  assert int(info.value.state.step) == 0
  for name in ("w", "b_v", "b_h"):
    np.testing.assert_array_equal(info.value.state.params[name], tiny[name])


def test_practical_guide_optimizer_decays_weights_but_not_biases(tiny):
  opt = rbm.practical_guide_optimizer(0.1, momentum=0.0, weight_decay=0.5)
  zero = jax.tree.map(jnp.zeros_like, tiny)
  updates, _ = opt.update(zero, opt.init(tiny), tiny)
  np.testing.assert_allclose(updates["w"], -0.1 * 0.5 * tiny["w"], rtol=1e-6)
  np.testing.assert_array_equal(updates["b_v"], 0)
  np.testing.assert_array_equal(updates["b_h"], 0)


def test_resumed_pcd_fit_is_bit_identical_to_an_uninterrupted_run(tmp_path, digits_binary):
  params = rbm.init(jax.random.key(0), 64, 16)
  args = dict(
    key=jax.random.key(1),
    optimizer=optax.sgd(0.05),
    batch_size=100,
    k=2,
    persistent=True,
    progress=False,
  )
  whole = rbm.fit(params, digits_binary, epochs=4, **args)
  first = rbm.fit(params, digits_binary, epochs=2, checkpoint_dir=tmp_path, **args)
  assert int(first.state.step) < int(whole.state.step)
  resumed = rbm.fit(params, digits_binary, epochs=4, resume=tmp_path, **args)
  chex.assert_trees_all_equal(resumed.state, whole.state)
  for name in ("loss", "reconstruction_error", "pseudo_log_likelihood"):
    np.testing.assert_array_equal(resumed.history[name], whole.history[name])
