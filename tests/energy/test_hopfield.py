"""Tests for fnn/energy/hopfield.py against hand-computed values and numpy references."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import fnn
from fnn.energy import hopfield as hp

COURSE_PATTERNS = np.array([[1, -1, -1, 1], [-1, 1, -1, 1]])


def test_course_example_hebbian_weights():
  w = np.asarray(hp.hebbian(COURSE_PATTERNS))
  expected = np.array([[0, -2, 0, 0], [-2, 0, 0, 0], [0, 0, 0, -2], [0, 0, -2, 0]])
  np.testing.assert_array_equal(w, expected)


def test_course_example_energy_is_2_x1x2_plus_x3x4():
  w = hp.hebbian(COURSE_PATTERNS)
  states = np.array(list(itertools.product([-1, 1], repeat=4)))
  e = np.asarray(hp.energy(w, states))
  np.testing.assert_allclose(e, 2 * (states[:, 0] * states[:, 1] + states[:, 2] * states[:, 3]))
  # The minimum -4 is reached exactly at the stored patterns and their negations.
  minima = {tuple(s) for s in states[e == -4]}
  assert minima == {tuple(p) for p in np.concatenate([COURSE_PATTERNS, -COURSE_PATTERNS])}


def test_course_example_patterns_are_fixed_points_at_energy_minus_4():
  w = hp.hebbian(COURSE_PATTERNS)
  for p in COURSE_PATTERNS:
    r = hp.recall_sync(w, p)
    np.testing.assert_array_equal(r.state, p)
    assert bool(r.converged) and int(r.sweeps) == 1
    assert float(hp.energy(w, p)) == -4.0


def test_bipolar_binary_conversion_round_trips():
  s = np.array([1, -1, -1, 1])
  np.testing.assert_array_equal(hp.to_binary(s), [1, 0, 0, 1])
  np.testing.assert_array_equal(hp.to_bipolar(hp.to_binary(s)), s)


def test_binary_patterns_store_like_their_bipolar_versions():
  np.testing.assert_array_equal(hp.hebbian((COURSE_PATTERNS + 1) // 2, binary=True),
                                hp.hebbian(COURSE_PATTERNS))


def _storkey_numpy(patterns):
  k, n = patterns.shape
  w = np.zeros((n, n))
  for x in patterns:
    h = np.array([[sum(w[i, m] * x[m] for m in range(n) if m not in (i, j)) for j in range(n)]
                  for i in range(n)])
    w = w + (np.outer(x, x) - x[:, None] * h.T - h * x[None, :]) / n
    np.fill_diagonal(w, 0)
  return w


def test_storkey_matches_loop_reference():
  x = np.where(np.random.default_rng(0).random((4, 9)) < 0.5, -1, 1)
  np.testing.assert_allclose(hp.storkey(x), _storkey_numpy(x), atol=1e-5)


def test_pseudo_inverse_is_projection_with_zero_diagonal():
  x = np.where(np.random.default_rng(1).random((5, 20)) < 0.5, -1.0, 1.0)
  full = np.linalg.pinv(x) @ x
  np.fill_diagonal(full, 0)
  np.testing.assert_allclose(hp.pseudo_inverse(x), full, atol=1e-4)


@pytest.mark.parametrize("seed", range(20))
def test_energy_never_increases_under_async_updates(seed):
  rng = np.random.default_rng(seed)
  n = int(rng.integers(5, 30))
  a = rng.normal(size=(n, n))
  w = a + a.T
  np.fill_diagonal(w, 0)
  theta = rng.normal(size=n) if seed % 2 else None
  s = np.where(rng.random(n) < 0.5, -1, 1)
  r = hp.recall_async(jnp.asarray(w), s, jax.random.key(seed), theta, max_sweeps=50,
                      trajectory=True)
  e = np.asarray(r.energies)
  assert np.all(np.diff(e) <= 1e-4 * (1 + np.abs(e[:-1])))
  assert bool(r.converged)
  # A fixed point: no single neuron flip lowers the energy.
  final = np.asarray(r.state)
  e0 = float(hp.energy(w, final, theta))
  for i in range(n):
    flipped = final.copy()
    flipped[i] *= -1
    assert float(hp.energy(w, flipped, theta)) >= e0 - 1e-4


def test_binary_async_recall_never_increases_energy():
  rng = np.random.default_rng(3)
  a = rng.normal(size=(12, 12))
  w = a + a.T
  np.fill_diagonal(w, 0)
  theta = rng.normal(size=12)
  s = (rng.random(12) < 0.5).astype(np.int32)
  r = hp.recall_async(w, s, jax.random.key(0), theta, binary=True, trajectory=True)
  assert np.all(np.diff(np.asarray(r.energies)) <= 1e-5)
  assert set(np.unique(np.asarray(r.state))) <= {0, 1}


@pytest.mark.parametrize("rule", [hp.hebbian, hp.storkey, hp.pseudo_inverse])
def test_stored_patterns_are_fixed_points_at_low_load(rule):
  x = np.where(np.random.default_rng(2).random((5, 200)) < 0.5, -1, 1)
  w = rule(x)
  r = hp.recall_batch(w, x, mode="sync", max_sweeps=3)
  np.testing.assert_array_equal(r.state, x)
  assert np.all(np.asarray(r.sweeps) == 1)


def test_async_recall_repairs_flipped_bits():
  rng = np.random.default_rng(4)
  x = np.where(rng.random((5, 200)) < 0.5, -1, 1)
  probes = x.copy()
  for p in probes:
    p[rng.choice(200, 20, replace=False)] *= -1
  r = hp.recall_batch(hp.hebbian(x), probes, jax.random.key(0))
  np.testing.assert_array_equal(r.state, x)
  assert np.all(np.asarray(r.converged))


def test_pseudo_inverse_stores_half_n_random_patterns_exactly():
  n = 64
  x = np.where(np.random.default_rng(5).random((n // 2, n)) < 0.5, -1, 1)
  w = hp.pseudo_inverse(x)
  r = hp.recall_batch(w, x, mode="sync", max_sweeps=2)
  np.testing.assert_array_equal(r.state, x)
  # The Hebbian rule cannot: at load 0.5 most patterns are not stable.
  r_hebb = hp.recall_batch(hp.hebbian(x), x, mode="sync", max_sweeps=1)
  assert np.mean(np.all(np.asarray(r_hebb.state) == x, axis=1)) < 0.5


def test_sync_recall_reports_a_two_cycle_as_not_converged():
  w = np.array([[0.0, -1.0], [-1.0, 0.0]])
  r = hp.recall_sync(w, np.array([1, 1]), max_sweeps=7)
  assert not bool(r.converged) and int(r.sweeps) == 7


def test_recall_works_under_jit():
  w = hp.hebbian(COURSE_PATTERNS)
  f = jax.jit(lambda p, k: hp.recall_async(w, p, k).state)
  np.testing.assert_array_equal(f(jnp.array([1, 1, -1, 1]), jax.random.key(0))[2:], [-1, 1])


def _softmax(z):
  z = z - z.max(-1, keepdims=True)
  e = np.exp(z)
  return e / e.sum(-1, keepdims=True)


def test_modern_update_and_energy_match_numpy(assert_close):
  rng = np.random.default_rng(6)
  x = rng.normal(size=(7, 5)).astype(np.float32)
  xi = rng.normal(size=(3, 5)).astype(np.float32)
  beta = 0.8
  want = _softmax(beta * xi @ x.T) @ x
  assert_close(hp.modern_update(x, xi, beta), want)
  z = beta * xi @ x.T
  lse = (np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1)) / beta
  e = -lse + 0.5 * (xi ** 2).sum(1) + np.log(7) / beta + 0.5 * (x ** 2).sum(1).max()
  assert_close(hp.modern_energy(x, xi, beta), e)
  # Ramsauer et al., Theorem 1: the update never increases the energy, and E >= 0.
  assert np.all(np.asarray(hp.modern_energy(x, hp.modern_update(x, xi, beta), beta)) <= e + 1e-5)
  assert np.all(e >= 0)


def test_modern_network_retrieves_beyond_classical_capacity():
  rng = np.random.default_rng(7)
  n, m = 64, 60  # load ~0.94, far past Hebbian's 0.138
  x = np.where(rng.random((m, n)) < 0.5, -1.0, 1.0).astype(np.float32)
  probes = x * np.where(rng.random((m, n)) < 0.15, -1, 1)
  out = np.sign(np.asarray(hp.modern_recall(x, probes, 1.0)))
  np.testing.assert_array_equal(out, x)


def test_hopfield_layer_params_source_retrieves_its_patterns_inside_serial(assert_close):
  model = fnn.serial(fnn.layers.Dense(6), hp.Hopfield(4, beta=50.0))
  params, state, out_shape = model.init(jax.random.key(0), (1, 3))
  assert out_shape == (1, 6)
  params = (params[0], {"patterns": jnp.eye(4, 6) * 3.0})
  x = jnp.ones((2, 3))
  y, _ = model.apply(params, state, x)
  h = np.asarray(x @ params[0]["w"] + params[0]["b"])
  want = _softmax(50.0 * h @ (np.eye(4, 6) * 3.0).T) @ (np.eye(4, 6) * 3.0)
  assert_close(y, want)


def test_hopfield_layer_inputs_source_with_projections_matches_numpy(assert_close):
  layer = hp.Hopfield(source="inputs", features=4)
  params, _, out_shape = layer.init(jax.random.key(1), (2, 5, 3))
  assert out_shape == (2, 5, 4)
  x = np.random.default_rng(8).normal(size=(2, 5, 3)).astype(np.float32)
  y, _ = layer.apply(params, {}, jnp.asarray(x))
  p = {k: np.asarray(v) for k, v in params.items()}
  q, k, v = x @ p["w_q"], x @ p["w_k"], x @ p["w_v"]
  want = _softmax(np.einsum("ntd,nsd->nts", q, k) / 2.0) @ v
  assert_close(y, want)
  # It is differentiable like any layer.
  g = jax.grad(lambda p: layer.apply(p, {}, jnp.asarray(x))[0].sum())(params)
  assert all(np.isfinite(np.asarray(a)).all() for a in jax.tree.leaves(g))


def test_non_bipolar_patterns_raise():
  with pytest.raises(ValueError, match=r"expected bipolar \(-1/\+1\) states, got values \[0\]"):
    hp.hebbian(np.array([[1, 0, -1, 1]]))


def test_non_binary_patterns_raise_when_binary_is_asked():
  with pytest.raises(ValueError, match=r"expected binary \(0/1\) states, got values \[-1\]"):
    hp.storkey(np.array([[1, 0, -1, 1]]), binary=True)


def test_probe_size_not_matching_w_raises():
  w = hp.hebbian(COURSE_PATTERNS)
  with pytest.raises(ValueError, match=r"state/pattern size 5 does not match W of shape \(4, 4\)"):
    hp.recall_async(w, np.ones(5), jax.random.key(0))
  with pytest.raises(ValueError, match="state/pattern size 3 does not match W"):
    hp.energy(w, np.ones(3))


def test_async_recall_without_key_raises():
  with pytest.raises(ValueError, match="needs a PRNG key"):
    hp.recall_async(hp.hebbian(COURSE_PATTERNS), COURSE_PATTERNS[0], None)


def test_hopfield_layer_bad_arguments_raise():
  with pytest.raises(ValueError, match="needs num_patterns"):
    hp.Hopfield()
  with pytest.raises(ValueError, match="steps > 1 needs features=None"):
    hp.Hopfield(3, features=4, steps=2)
  with pytest.raises(fnn.ShapeError, match=r"expected x\[..., 6\], got shape \(2, 5\)"):
    layer = hp.Hopfield(3)
    params, _, _ = layer.init(jax.random.key(0), (1, 6))
    layer.apply(params, {}, jnp.ones((2, 5)))
