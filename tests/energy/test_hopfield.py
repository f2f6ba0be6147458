"""Tests for fnn/energy/hopfield.py against hand-computed values and numpy references."""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import fnn
from fnn.energy import hopfield as hp

COURSE_PATTERNS = np.array([[1, -1, -1, 1], [-1, 1, -1, 1]])


def test_course_example_hebbian_weights():
  params = hp.hebbian(COURSE_PATTERNS)
  assert set(params) == {"w", "b"}
  expected = np.array([[0, -2, 0, 0], [-2, 0, 0, 0], [0, 0, 0, -2], [0, 0, -2, 0]])
  np.testing.assert_array_equal(params["w"], expected)
  np.testing.assert_array_equal(params["b"], np.zeros(4))


def test_course_example_energy_is_2_x1x2_plus_x3x4():
  params = hp.hebbian(COURSE_PATTERNS)
  states = np.array(list(itertools.product([-1, 1], repeat=4)))
  e = np.asarray(hp.energy(params, states))
  np.testing.assert_allclose(e, 2 * (states[:, 0] * states[:, 1] + states[:, 2] * states[:, 3]))
  # The minimum -4 is reached exactly at the stored patterns and their negations.
  minima = {tuple(s) for s in states[e == -4]}
  assert minima == {tuple(p) for p in np.concatenate([COURSE_PATTERNS, -COURSE_PATTERNS])}


def test_course_example_patterns_are_fixed_points_at_energy_minus_4():
  params = hp.hebbian(COURSE_PATTERNS)
  r = hp.recall(params, COURSE_PATTERNS, mode="sync")
  np.testing.assert_array_equal(r.state, COURSE_PATTERNS)
  assert np.all(np.asarray(r.converged))
  assert np.all(np.asarray(r.sweeps) == 1)
  np.testing.assert_array_equal(hp.energy(params, COURSE_PATTERNS), [-4.0, -4.0])


def test_energy_with_bias_matches_numpy():
  rng = np.random.default_rng(9)
  a = rng.normal(size=(6, 6))
  params = {"w": a + a.T, "b": rng.normal(size=6)}
  s = np.where(rng.random((5, 6)) < 0.5, -1, 1)
  want = [-0.5 * x @ params["w"] @ x - params["b"] @ x for x in s]
  np.testing.assert_allclose(hp.energy(params, s), want, rtol=1e-5, atol=1e-5)


def test_bipolar_binary_conversion_round_trips():
  s = np.array([1, -1, -1, 1])
  np.testing.assert_array_equal(hp.to_binary(s), [1, 0, 0, 1])
  np.testing.assert_array_equal(hp.to_bipolar(hp.to_binary(s)), s)


def test_binary_patterns_store_like_their_bipolar_versions():
  np.testing.assert_array_equal(
    hp.hebbian((COURSE_PATTERNS + 1) // 2, binary=True)["w"], hp.hebbian(COURSE_PATTERNS)["w"]
  )


def _storkey_numpy(patterns):
  _k, n = patterns.shape
  w = np.zeros((n, n))
  for x in patterns:
    h = np.array(
      [
        [sum(w[i, m] * x[m] for m in range(n) if m not in (i, j)) for j in range(n)]
        for i in range(n)
      ]
    )
    w = w + (np.outer(x, x) - x[:, None] * h.T - h * x[None, :]) / n
    np.fill_diagonal(w, 0)
  return w


def test_storkey_matches_loop_reference():
  x = np.where(np.random.default_rng(0).random((4, 9)) < 0.5, -1, 1)
  np.testing.assert_allclose(hp.storkey(x)["w"], _storkey_numpy(x), atol=1e-5)


def test_pseudo_inverse_is_projection_with_zero_diagonal():
  x = np.where(np.random.default_rng(1).random((5, 20)) < 0.5, -1.0, 1.0)
  full = np.linalg.pinv(x) @ x
  np.fill_diagonal(full, 0)
  np.testing.assert_allclose(hp.pseudo_inverse(x)["w"], full, atol=1e-4)


@pytest.mark.parametrize("seed", range(20))
def test_energy_never_increases_under_async_updates(seed):
  rng = np.random.default_rng(seed)
  n = 9 if seed % 2 else 20  # two sizes: recall compiles once per shape
  a = rng.normal(size=(n, n))
  w = a + a.T
  np.fill_diagonal(w, 0)
  params = {"w": jnp.asarray(w), "b": rng.normal(size=n) if seed % 2 else np.zeros(n)}
  s = np.where(rng.random((1, n)) < 0.5, -1, 1)
  r = hp.recall(params, s, key=jax.random.key(seed), max_sweeps=50, trajectory=True)
  e = np.asarray(r.energies)[0]
  assert np.all(np.diff(e) <= 1e-4 * (1 + np.abs(e[:-1])))
  assert bool(r.converged[0])
  # A fixed point: no single neuron flip lowers the energy.
  final = np.asarray(r.state)[0]
  flipped = np.tile(final, (n, 1)) * (1 - 2 * np.eye(n, dtype=final.dtype))
  e0 = float(hp.energy(params, final[None])[0])
  assert np.all(np.asarray(hp.energy(params, flipped)) >= e0 - 1e-4)


def test_binary_async_recall_never_increases_energy():
  rng = np.random.default_rng(3)
  a = rng.normal(size=(12, 12))
  w = a + a.T
  np.fill_diagonal(w, 0)
  s = (rng.random((1, 12)) < 0.5).astype(np.int32)
  r = hp.recall(
    {"w": w, "b": rng.normal(size=12)}, s, key=jax.random.key(0), binary=True, trajectory=True
  )
  assert np.all(np.diff(np.asarray(r.energies)) <= 1e-5)
  assert set(np.unique(np.asarray(r.state))) <= {0, 1}


@pytest.mark.parametrize("rule", [hp.hebbian, hp.storkey, hp.pseudo_inverse])
def test_stored_patterns_are_fixed_points_at_low_load(rule):
  x = np.where(np.random.default_rng(2).random((5, 200)) < 0.5, -1, 1)
  r = hp.recall(rule(x), x, mode="sync", max_sweeps=3)
  np.testing.assert_array_equal(r.state, x)
  assert np.all(np.asarray(r.sweeps) == 1)


def test_async_recall_repairs_flipped_bits():
  rng = np.random.default_rng(4)
  x = np.where(rng.random((5, 200)) < 0.5, -1, 1)
  probes = x.copy()
  for p in probes:
    p[rng.choice(200, 20, replace=False)] *= -1
  r = hp.recall(hp.hebbian(x), probes, key=jax.random.key(0))
  np.testing.assert_array_equal(r.state, x)
  assert np.all(np.asarray(r.converged))


def test_pseudo_inverse_stores_half_n_random_patterns_exactly():
  n = 64
  x = np.where(np.random.default_rng(5).random((n // 2, n)) < 0.5, -1, 1)
  r = hp.recall(hp.pseudo_inverse(x), x, mode="sync", max_sweeps=2)
  np.testing.assert_array_equal(r.state, x)
  # The Hebbian rule cannot: at load 0.5 most patterns are not stable.
  r_hebb = hp.recall(hp.hebbian(x), x, mode="sync", max_sweeps=1)
  assert np.mean(np.all(np.asarray(r_hebb.state) == x, axis=1)) < 0.5


def test_sync_recall_reports_a_two_cycle_as_not_converged():
  params = {"w": np.array([[0.0, -1.0], [-1.0, 0.0]]), "b": np.zeros(2)}
  r = hp.recall(params, np.array([[1, 1]]), mode="sync", max_sweeps=7)
  assert not bool(r.converged[0])
  assert int(r.sweeps[0]) == 7


def test_one_probe_is_a_batch_of_one_and_matches_its_row_in_a_batch():
  params = hp.hebbian(COURSE_PATTERNS)
  probes = np.array([[1, 1, -1, 1], [-1, -1, -1, 1]])
  both = hp.recall(params, probes, mode="sync")
  one = hp.recall(params, probes[1:], mode="sync")
  assert one.state.shape == (1, 4)
  assert one.sweeps.shape == (1,)
  np.testing.assert_array_equal(one.state[0], both.state[1])


def test_recall_works_under_jit():
  params = hp.hebbian(COURSE_PATTERNS)
  f = jax.jit(lambda p, k: hp.recall(params, p, key=k).state)
  np.testing.assert_array_equal(f(jnp.array([[1, 1, -1, 1]]), jax.random.key(0))[0, 2:], [-1, 1])


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
  e = -lse + 0.5 * (xi**2).sum(1) + np.log(7) / beta + 0.5 * (x**2).sum(1).max()
  assert_close(hp.modern_energy(x, xi, beta), e)
  assert hp.modern_energy(x, xi, beta).shape == (3,)
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


# ----------------------------------------------------------------------------
# Mean-field theory.


def test_mean_field_overlap_solves_the_three_ags_equations():
  alpha = 0.1
  m = hp.mean_field_overlap(alpha)
  # Recover r and C from m by iterating the original (unreduced) equations.
  r = 1.0
  for _ in range(200):
    c = np.sqrt(2 / (np.pi * alpha * r)) * np.exp(-m * m / (2 * alpha * r))
    r = 1 / (1 - c) ** 2
  assert m == pytest.approx(math.erf(m / np.sqrt(2 * alpha * r)), abs=1e-9)


def test_mean_field_overlap_reproduces_published_critical_load():
  # Amit, Gutfreund & Sompolinsky (1985): alpha_c ~ 0.138 with m ~ 0.967 at alpha_c.
  assert hp.mean_field_overlap(0.0) == 1.0
  assert hp.mean_field_overlap(0.1379) == pytest.approx(0.967, abs=2e-3)
  assert math.isnan(hp.mean_field_overlap(0.1381))
  ms = [hp.mean_field_overlap(a) for a in (0.02, 0.06, 0.1, 0.13)]
  assert ms == sorted(ms, reverse=True)
  assert ms[0] > 0.999999


# ----------------------------------------------------------------------------
# Bad input: each case raises with its function's name, or behaves as documented.


def test_non_bipolar_patterns_raise():
  with pytest.raises(
    ValueError,
    match=r"^hopfield.hebbian: expected bipolar \(-1/\+1\) "
    r"states, got values \[0\]",
  ):
    hp.hebbian(np.array([[1, 0, -1, 1]]))


def test_non_binary_patterns_raise_when_binary_is_asked():
  with pytest.raises(
    ValueError,
    match=r"^hopfield.storkey: expected binary \(0/1\) states, "
    r"got values \[-1\]",
  ):
    hp.storkey(np.array([[1, 0, -1, 1]]), binary=True)


def test_patterns_of_the_wrong_rank_or_dtype_raise():
  with pytest.raises(
    fnn.ShapeError,
    match=r"^hopfield.pseudo_inverse: expected patterns as "
    r"rows, shape \(K, d\), got shape \(4,\)",
  ):
    hp.pseudo_inverse(np.array([1, -1, 1, 1]))
  with pytest.raises(
    TypeError,
    match=r"^hopfield.hebbian: expected patterns of a real numeric "
    r"dtype \(int or float\), got dtype bool",
  ):
    hp.hebbian(np.ones((2, 3), bool))
  with pytest.raises(TypeError, match=r"^hopfield.hebbian: expected an array input, got list"):
    hp.hebbian([[1, -1]])


def test_a_bare_weight_matrix_instead_of_params_raises_with_the_layout():
  w = hp.hebbian(COURSE_PATTERNS)["w"]
  with pytest.raises(
    TypeError,
    match=r"^hopfield.recall: expected params \{'w': \(d, d\), "
    r"'b': \(d,\)\} .*got ArrayImpl",
  ):
    hp.recall(w, COURSE_PATTERNS, mode="sync")
  with pytest.raises(TypeError, match=r"^hopfield.energy: expected params .* got \['theta', 'w'\]"):
    hp.energy({"w": w, "theta": np.zeros(4)}, COURSE_PATTERNS)


def test_non_square_weights_and_wrong_bias_raise_shape_errors():
  with pytest.raises(
    fnn.ShapeError,
    match=r"^hopfield.energy: expected a square weight matrix "
    r"params\['w'\] \(d, d\), got shape \(4, 3\)",
  ):
    hp.energy({"w": np.zeros((4, 3)), "b": np.zeros(4)}, COURSE_PATTERNS)
  with pytest.raises(
    fnn.ShapeError,
    match=r"^hopfield.recall: expected params\['b'\] of shape "
    r"\(4,\) to match params\['w'\] \(4, 4\), got \(3,\)",
  ):
    hp.recall({"w": np.zeros((4, 4)), "b": np.zeros(3)}, COURSE_PATTERNS, mode="sync")


def test_probe_size_not_matching_w_raises():
  params = hp.hebbian(COURSE_PATTERNS)
  with pytest.raises(
    fnn.ShapeError,
    match=r"^hopfield.recall: probes have 5 units but "
    r"params\['w'\] is \(4, 4\); expected shape \(N, 4\)",
  ):
    hp.recall(params, np.ones((2, 5)), key=jax.random.key(0))
  with pytest.raises(fnn.ShapeError, match=r"^hopfield.energy: states have 3 units"):
    hp.energy(params, np.ones((1, 3)))


def test_one_unbatched_probe_raises_with_the_fix():
  with pytest.raises(
    fnn.ShapeError,
    match=r"^hopfield.recall: expected probes of shape "
    r"\(N, 4\), got shape \(4,\); for one state of "
    r"shape \(4,\) pass s\[None\]",
  ):
    hp.recall(hp.hebbian(COURSE_PATTERNS), COURSE_PATTERNS[0], mode="sync")


def test_probe_values_that_are_not_states_raise():
  with pytest.raises(
    ValueError,
    match=r"^hopfield.recall: expected bipolar \(-1/\+1\) states, "
    r"got values \[0, 2\]",
  ):
    hp.recall(hp.hebbian(COURSE_PATTERNS), np.array([[1, 0, 2, 1]]), mode="sync")


def test_async_recall_without_key_raises():
  with pytest.raises(
    TypeError,
    match=r"^hopfield.recall: mode='async' .* needs "
    r"key=jax.random.key\(seed\)",
  ):
    hp.recall(hp.hebbian(COURSE_PATTERNS), COURSE_PATTERNS)


def test_bad_recall_options_raise():
  params = hp.hebbian(COURSE_PATTERNS)
  with pytest.raises(
    ValueError,
    match=r"^hopfield.recall: mode must be 'async' or 'sync', "
    r"got 'parallel'",
  ):
    hp.recall(params, COURSE_PATTERNS, mode="parallel")
  with pytest.raises(ValueError, match=r"^hopfield.recall: max_sweeps must be >= 1, got 0"):
    hp.recall(params, COURSE_PATTERNS, mode="sync", max_sweeps=0)
  with pytest.raises(
    TypeError,
    match=r"^hopfield.recall: max_sweeps must be a Python int, "
    r"got float",
  ):
    hp.recall(params, COURSE_PATTERNS, mode="sync", max_sweeps=2.5)


def test_non_symmetric_w_raises_on_the_host():
  w = np.asarray(hp.hebbian(COURSE_PATTERNS)["w"]).copy()
  w[0, 2] = 1.0
  with pytest.raises(
    ValueError,
    match=r"^hopfield.recall: params\['w'\] must be symmetric .*"
    r"got w\[0, 2\] = 1.0 but w\[2, 0\] = 0.0; symmetrise "
    r"it with \(w \+ w.T\) / 2",
  ):
    hp.recall({"w": w, "b": np.zeros(4)}, COURSE_PATTERNS, key=jax.random.key(0))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_non_symmetric_w_under_jit_runs_to_max_sweeps_unconverged(mode):
  # Documented behaviour under jit, where w cannot be checked: s0 <- s1, s1 <- -s0 cycles.
  params = {"w": jnp.array([[0.0, 1.0], [-1.0, 0.0]]), "b": jnp.zeros(2)}
  f = jax.jit(lambda p, s, k: hp.recall(p, s, key=k, mode=mode, max_sweeps=9))
  r = f(params, jnp.array([[1, 1]]), jax.random.key(0))
  assert not bool(r.converged[0])
  assert int(r.sweeps[0]) == 9


def test_nan_in_w_raises_on_the_host():
  w = np.asarray(hp.hebbian(COURSE_PATTERNS)["w"]).copy()
  w[1, 3] = w[3, 1] = np.nan
  with pytest.raises(
    ValueError,
    match=r"^hopfield.recall: params\['w'\] must be finite, got "
    r"nan at index \(1, 3\)",
  ):
    hp.recall({"w": w, "b": np.zeros(4)}, COURSE_PATTERNS, key=jax.random.key(0))
  with pytest.raises(ValueError, match=r"^hopfield.recall: params\['b'\] must be finite"):
    hp.recall({"w": np.zeros((4, 4)), "b": np.full(4, np.inf)}, COURSE_PATTERNS, mode="sync")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_nan_in_w_under_jit_never_reports_converged(mode):
  w = jnp.asarray(hp.hebbian(COURSE_PATTERNS)["w"]).at[1, 3].set(jnp.nan).at[3, 1].set(jnp.nan)
  f = jax.jit(lambda p, s, k: hp.recall(p, s, key=k, mode=mode))
  r = f({"w": w, "b": jnp.zeros(4)}, jnp.asarray(COURSE_PATTERNS), jax.random.key(0))
  assert not np.any(np.asarray(r.converged))


def test_modern_functions_take_batched_states_and_check_them():
  x = np.eye(3, 4, dtype=np.float32)
  with pytest.raises(
    fnn.ShapeError,
    match=r"^hopfield.modern_update: expected states of "
    r"shape \(N, 4\) .* got \(4,\); for one state pass "
    r"xi\[None\]",
  ):
    hp.modern_update(x, np.ones(4, np.float32), 1.0)
  with pytest.raises(
    fnn.ShapeError,
    match=r"^hopfield.modern_energy: expected states of "
    r"shape \(N, 4\) to match stored patterns \(3, 4\), "
    r"got \(2, 5\)",
  ):
    hp.modern_energy(x, np.ones((2, 5), np.float32), 1.0)
  with pytest.raises(ValueError, match=r"^hopfield.modern_recall: beta must be positive, got 0"):
    hp.modern_recall(x, np.ones((2, 4), np.float32), 0)
  with pytest.raises(ValueError, match=r"^hopfield.modern_recall: steps must be >= 1, got 0"):
    hp.modern_recall(x, np.ones((2, 4), np.float32), 1.0, steps=0)


def test_mean_field_overlap_rejects_a_negative_load():
  with pytest.raises(
    ValueError,
    match=r"^hopfield.mean_field_overlap: alpha must be >= 0, "
    r"got -0.1",
  ):
    hp.mean_field_overlap(-0.1)


def test_hopfield_layer_bad_arguments_raise():
  with pytest.raises(ValueError, match=r"^Hopfield: source='params' needs num_patterns"):
    hp.Hopfield()
  with pytest.raises(ValueError, match=r"^Hopfield: steps > 1 needs features=None"):
    hp.Hopfield(3, features=4, steps=2)
  layer = hp.Hopfield(3)
  params, _, _ = layer.init(jax.random.key(0), (1, 6))
  with pytest.raises(
    fnn.ShapeError,
    match=r"^Hopfield\(3\): expected x\[..., 6\], got shape "
    r"\(2, 5\)",
  ):
    layer.apply(params, {}, jnp.ones((2, 5)))


def test_hopfield_layer_refuses_parameters_of_another_configuration():
  other, _, _ = hp.Hopfield(5).init(jax.random.key(0), (1, 6))
  with pytest.raises(
    fnn.ShapeError,
    match=r"^Hopfield\(3\): params\['patterns'\] has shape "
    r"\(5, 6\) but Hopfield\(3\) makes \(3, 6\)",
  ):
    hp.Hopfield(3).apply(other, {}, jnp.ones((2, 6)))
  projected, _, _ = hp.Hopfield(3, features=2).init(jax.random.key(0), (1, 6))
  with pytest.raises(
    fnn.ShapeError,
    match=r"^Hopfield\(3, features=4\): params\['w_k'\] has "
    r"shape \(6, 2\) but Hopfield\(3, features=4\) makes "
    r"\(6, 4\)",
  ):
    hp.Hopfield(3, features=4).apply(projected, {}, jnp.ones((2, 6)))
