"""Tests for fnn/energy/tsp.py: exact solvers, tour tools, the two networks, errors."""

import itertools
import json
import os

import jax
import numpy as np
import pytest

import fnn
from fnn.energy import tsp, tsplib


def _random_instance(n, seed):
  return tsp.euclidean_distances(np.random.default_rng(seed).random((n, 2)))


def _brute_force(d):
  n = len(d)
  best = np.inf
  for rest in itertools.permutations(range(1, n)):
    t = (0,) + rest
    best = min(best, sum(d[t[i], t[(i + 1) % n]] for i in range(n)))
  return best


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7, 8])
def test_held_karp_equals_brute_force(n):
  for seed in range(3):
    d = _random_instance(n, seed)
    length, tour = tsp.held_karp(d)
    assert length == pytest.approx(_brute_force(d), rel=1e-12)
    assert tsp.is_valid_tour(tour, n)
    assert tour[0] == 0
    assert float(tsp.tour_length(d, tour)) == pytest.approx(length, rel=1e-6)


def test_held_karp_finds_hopfield_tank_10_city_optimum(shared_data):
  with open(os.path.join(shared_data, "tsplib", "hopfield_tank_10.json")) as f:
    info = json.load(f)
  length, _ = tsp.held_karp(tsp.euclidean_distances(info["coordinates"]))
  assert length == pytest.approx(info["optimal_length"], rel=1e-9)


def test_tour_length_matches_loop_and_batches():
  d = _random_instance(7, 1)
  tours = np.array([np.random.default_rng(s).permutation(7) for s in range(4)])
  want = [sum(d[t[i], t[(i + 1) % 7]] for i in range(7)) for t in tours]
  np.testing.assert_allclose(tsp.tour_length(d, tours), want, rtol=1e-6)


def test_is_valid_tour():
  assert tsp.is_valid_tour([2, 0, 1], 3)
  assert not tsp.is_valid_tour([2, 0, 0], 3)
  assert not tsp.is_valid_tour([0, 1], 3)


def test_two_opt_never_lengthens_and_reaches_optimum_on_small_instance():
  d = _random_instance(8, 4)
  start = np.random.default_rng(0).permutation(8)
  polished = tsp.two_opt(d, start)
  assert tsp.is_valid_tour(polished, 8)
  assert tsp.tour_length(d, polished) <= tsp.tour_length(d, start) + 1e-9
  # A 2-opt local optimum: no single reversal shortens it.
  base = float(tsp.tour_length(d, polished))
  for i, j in itertools.combinations(range(8), 2):
    t = polished.copy()
    t[i : j + 1] = t[i : j + 1][::-1]
    assert float(tsp.tour_length(d, t)) >= base - 1e-6


def test_decode_threshold_accepts_only_permutation_matrices():
  perm = np.eye(4)[[2, 0, 3, 1]]  # city x position
  tour, valid = tsp.decode_threshold(perm)
  assert bool(valid)
  assert list(np.asarray(tour)) == [1, 3, 0, 2]
  two_on_a_row = perm.copy()
  two_on_a_row[0, 0] = 0.9
  assert not bool(tsp.decode_threshold(two_on_a_row)[1])
  assert not bool(tsp.decode_threshold(np.full((4, 4), 0.25))[1])


def test_decode_greedy_is_always_a_permutation():
  for seed in range(5):
    v = np.random.default_rng(seed).random((9, 9))
    assert tsp.is_valid_tour(np.asarray(tsp.decode_greedy(v)), 9)


def _energy_loops(d, v, c):
  """The Hopfield–Tank energy written term by term as in the paper."""
  n = len(d)
  row = sum(v[x, i] * v[x, j] for x in range(n) for i in range(n) for j in range(n) if j != i)
  col = sum(v[x, i] * v[y, i] for i in range(n) for x in range(n) for y in range(n) if y != x)
  glob = (v.sum() - c.n_bar) ** 2
  dist = sum(
    d[x, y] * v[x, i] * (v[y, (i + 1) % n] + v[y, (i - 1) % n])
    for x in range(n)
    for y in range(n)
    if y != x
    for i in range(n)
  )
  return 0.5 * (c.lambda2 * row + c.lambda3 * col + c.lambda4 * glob + c.lambda1 * dist)


def test_hopfield_tank_energy_and_gradient_match_definition(assert_close):
  d = _random_instance(5, 2)
  v = np.random.default_rng(3).random((5, 5))
  c = tsp.HopfieldTankConfig(lambda1=1.0, lambda2=2.0, lambda3=3.0, lambda4=4.0, n_bar=6.0)
  assert float(tsp.hopfield_tank_energy(d, v, c)) == pytest.approx(_energy_loops(d, v, c), rel=1e-5)
  g = jax.grad(lambda v: tsp.hopfield_tank_energy(d, v, c))(v.astype(np.float32))
  assert_close(tsp.hopfield_tank_gradient(d, v, c), g)


@pytest.fixture(scope="module")
def ten_city_runs():
  d = _random_instance(10, 7)
  ht = tsp.hopfield_tank(jax.random.key(0), d, 32, tsp.HopfieldTankConfig(steps=4000))
  ann = tsp.annealed(jax.random.key(1), d, 8, tsp.AnnealConfig(cooling=0.9))
  return d, ht, ann


def test_hopfield_tank_validity_flag_matches_thresholded_outputs(ten_city_runs):
  _d, ht, _ = ten_city_runs
  v = np.asarray(ht.v)
  on = v > 0.5
  want = np.all(on.sum(1) == 1, axis=1) & np.all(on.sum(2) == 1, axis=1)
  np.testing.assert_array_equal(ht.valid, want)
  assert 0 < want.sum() < 32  # both kinds of restart occur at this seed
  assert ht.tour.shape == (32, 10)
  assert ht.energies.shape == (32, 100)
  assert all(tsp.is_valid_tour(t, 10) for t in np.asarray(ht.tour)[want])
  # The energy descends overall (the Euler-integrated flow is a gradient flow).
  e = np.asarray(ht.energies)
  assert np.all(e[:, -1] < e[:, 0])


def test_annealed_tours_are_valid_and_near_optimal_on_ten_cities(ten_city_runs):
  d, _, ann = ten_city_runs
  tours = np.asarray(ann.tour)
  assert np.all(np.asarray(ann.valid))
  assert all(tsp.is_valid_tour(t, 10) for t in tours)
  lengths = [sum(d[t[i], t[(i + 1) % 10]] for i in range(10)) for t in tours]
  np.testing.assert_allclose(ann.length, lengths, rtol=1e-5)
  optimum, _ = tsp.held_karp(d)
  assert min(lengths) <= 1.05 * optimum


def test_hopfield_tank_invalid_restarts_report_infinite_length(ten_city_runs):
  d, ht, _ = ten_city_runs
  valid, length, tours = np.asarray(ht.valid), np.asarray(ht.length), np.asarray(ht.tour)
  assert np.all(np.isinf(length[~valid]))
  # Some invalid restarts decode to a tour with repeated cities, which has a finite sum.
  assert any(not tsp.is_valid_tour(t, 10) for t in tours[~valid])
  want = [sum(d[t[i], t[(i + 1) % 10]] for i in range(10)) for t in tours[valid]]
  np.testing.assert_allclose(length[valid], want, rtol=1e-5)


@pytest.mark.parametrize(
  ("bad", "error", "message"),
  [
    (
      np.ones((3, 4)),
      fnn.ShapeError,
      r"expected a square \(n, n\) distance matrix, got shape \(3, 4\)",
    ),
    (np.ones(3), fnn.ShapeError, r"expected a square \(n, n\) distance matrix, got shape \(3,\)"),
    (
      np.array([["0", "1"], ["1", "0"]]),
      TypeError,
      r"expected distances of a real numeric dtype, got dtype <U1",
    ),
    (np.array([[0, 1], [1, 0]]), ValueError, "a tour needs at least 3 cities, got 2"),
    (
      np.array([[0, 1, 2], [1, 0, 3], [2, 5, 0]]),
      ValueError,
      r"the distance matrix must be symmetric, got d\[1, 2\] = 3.0 but d\[2, 1\] = 5.0",
    ),
    (
      np.array([[0, -1, 2], [-1, 0, 3], [2, 3, 0]]),
      ValueError,
      r"distances must be non-negative, got d\[0, 1\] = -1.0",
    ),
    (
      np.array([[0, np.nan, 2], [np.nan, 0, 3], [2, 3, 0]]),
      ValueError,
      r"distances must be finite, got d\[0, 1\] = nan",
    ),
    (
      np.array([[0, np.inf, 2], [np.inf, 0, 3], [2, 3, 0]]),
      ValueError,
      r"distances must be finite, got d\[0, 1\] = inf",
    ),
    (
      np.array([[1, 1, 2], [1, 0, 3], [2, 3, 0]]),
      ValueError,
      r"the diagonal of the distance matrix must be 0, got d\[0, 0\] = 1.0",
    ),
  ],
)
def test_bad_distance_matrices_raise(bad, error, message):
  solvers = {
    "tsp.annealed": lambda d: tsp.annealed(jax.random.key(0), d),
    "tsp.hopfield_tank": lambda d: tsp.hopfield_tank(jax.random.key(0), d),
    "tsp.held_karp": tsp.held_karp,
    "tsp.check_distances": tsp.check_distances,
    "tsp.two_opt": lambda d: tsp.two_opt(d, np.arange(3)),
  }
  for name, solver in solvers.items():
    with pytest.raises(error, match=f"^{name}: {message}"):
      solver(bad)


def test_held_karp_refuses_large_instances():
  with pytest.raises(
    ValueError,
    match=r"^tsp.held_karp: n = 14 cities is too many for exact "
    r"search",
  ):
    tsp.held_karp(_random_instance(14, 0))


def test_annealed_bad_schedule_raises():
  with pytest.raises(
    ValueError,
    match=r"^tsp.annealed: config.cooling must be in \(0, 1\), "
    r"got 1.5",
  ):
    tsp.annealed(jax.random.key(0), _random_instance(5, 0), 1, tsp.AnnealConfig(cooling=1.5))


@pytest.mark.slow
def test_annealed_best_of_64_is_within_5_percent_on_eil51():
  inst = tsplib.load_shipped("eil51")
  result = tsp.annealed(jax.random.key(0), inst.distances, 64)
  tours = np.asarray(result.tour)
  assert np.all(np.asarray(result.valid))
  assert all(tsp.is_valid_tour(t, 51) for t in tours)
  lengths = inst.distances[tours, np.roll(tours, -1, axis=1)].sum(1)
  assert lengths.min() <= 1.05 * 426


def test_solver_arguments_are_checked_before_running():
  d = _random_instance(5, 0)
  with pytest.raises(TypeError, match=r"^tsp.hopfield_tank: needs a PRNG key .* got None"):
    tsp.hopfield_tank(None, d)
  with pytest.raises(ValueError, match=r"^tsp.annealed: restarts must be >= 1, got 0"):
    tsp.annealed(jax.random.key(0), d, 0)
  with pytest.raises(
    TypeError,
    match=r"^tsp.annealed: config must be a AnnealConfig, got "
    r"HopfieldTankConfig",
  ):
    tsp.annealed(jax.random.key(0), d, 2, tsp.HopfieldTankConfig())


def test_two_opt_rejects_a_tour_that_is_not_a_permutation():
  d = _random_instance(6, 0)
  with pytest.raises(
    ValueError,
    match=r"^tsp.two_opt: a tour must visit every city once \(a "
    r"permutation of 0..5\), got city 0 2 times and city 5 "
    r"never",
  ):
    tsp.two_opt(d, np.array([0, 0, 1, 2, 3, 4]))
  with pytest.raises(
    ValueError,
    match=r"^tsp.two_opt: city indices must be in \[0, 6\), got 6 "
    r"at position 2 of tour 1",
  ):
    tsp.two_opt(d, np.array([[0, 1, 2, 3, 4, 5], [0, 1, 6, 3, 4, 5]]))
  with pytest.raises(
    fnn.ShapeError,
    match=r"^tsp.two_opt: expected tours of shape \(..., 6\) "
    r"for 6 cities, got shape \(5,\)",
  ):
    tsp.two_opt(d, np.arange(5))
  with pytest.raises(
    TypeError,
    match=r"^tsp.two_opt: expected integer city indices, got dtype "
    r"float64",
  ):
    tsp.two_opt(d, np.arange(6.0))


def test_two_opt_polishes_a_batch_of_tours_like_each_alone():
  d = _random_instance(8, 5)
  tours = np.array([np.random.default_rng(s).permutation(8) for s in range(3)])
  np.testing.assert_array_equal(tsp.two_opt(d, tours), [tsp.two_opt(d, t) for t in tours])


def test_euclidean_distances_of_one_dimensional_coordinates_raise():
  with pytest.raises(
    fnn.ShapeError,
    match=r"^tsp.euclidean_distances: expected coordinates of "
    r"shape \(n, k\).*got shape \(4,\); for cities on "
    r"a line pass coords\[:, None\]",
  ):
    tsp.euclidean_distances(np.arange(4.0))
  # Points on a line, given as the hint says: |x_i - x_j|.
  np.testing.assert_allclose(tsp.euclidean_distances(np.arange(4.0)[:, None])[0], [0, 1, 2, 3])
  with pytest.raises(
    ValueError,
    match=r"^tsp.euclidean_distances: coordinates must be finite, "
    r"got coords\[1, 0\] = nan",
  ):
    tsp.euclidean_distances(np.array([[0.0, 0.0], [np.nan, 1.0]]))


def test_tour_length_checks_city_indices_on_the_host():
  d = _random_instance(4, 2)
  with pytest.raises(
    ValueError,
    match=r"^tsp.tour_length: city indices must be in \[0, 4\), "
    r"got 7 at position 3",
  ):
    tsp.tour_length(d, np.array([0, 1, 2, 7]))
  with pytest.raises(
    ValueError,
    match=r"^tsp.tour_length: city indices must be in \[0, 4\), "
    r"got -1",
  ):
    tsp.tour_length(d, np.array([0, 1, 2, -1]))
  with pytest.raises(
    ValueError,
    match=r"^tsp.tour_length: a tour must visit every city once .* "
    r"got city 1 2 times and city 3 never",
  ):
    tsp.tour_length(d, np.array([0, 1, 2, 1]))
  with pytest.raises(TypeError, match=r"^tsp.tour_length: expected integer city indices"):
    tsp.tour_length(d, np.array([0.0, 1.0, 2.0, 3.0]))


def test_tour_length_under_jit_clamps_indices_as_documented():
  d = _random_instance(4, 2)
  length = jax.jit(tsp.tour_length)(d.astype(np.float32), np.array([0, 1, 2, 7]))
  # JAX clamps the index 7 to 3: the length of the tour 0, 1, 2, 3.
  assert float(length) == pytest.approx(d[0, 1] + d[1, 2] + d[2, 3] + d[3, 0], rel=1e-5)
