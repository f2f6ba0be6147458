"""Quick runs of the Hopfield experiments, checked against what they must report."""

import json

import numpy as np
import pytest

from experiments import hopfield_capacity, hopfield_memory, hopfield_tsp
from fnn.energy import tsp


def test_hopfield_memory_quick_reproduces_course_example_and_writes_pictures(tmp_path):
  headline = hopfield_memory.main(["--quick", "--json", "--out", str(tmp_path), "--no-progress"])
  assert headline["course_example_ok"] is True
  assert set(headline["recall_rate"]) == {"hebbian", "storkey", "pseudo_inverse"}
  # The projection rule stores 10 correlated digit prototypes; Hebbian cannot.
  rates = headline["recall_rate"]
  assert rates["pseudo_inverse"]["0.1"] > rates["hebbian"]["0.1"]
  results = json.loads((tmp_path / "results.json").read_text())
  assert results["course_example"]["pattern_energies"] == [-4.0, -4.0]
  assert (tmp_path / "probe_recall.png").is_file()


def test_hopfield_capacity_quick_reports_overlap_crossing_and_theory(tmp_path, capsys):
  headline = hopfield_capacity.main(["--quick", "--json", "--out", str(tmp_path), "--no-progress"])
  assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == headline
  results = json.loads((tmp_path / "results.json").read_text())
  loads, overlap = results["loads"], results["mean_overlap"][str(headline["N"])]
  # alpha_c_estimate is where the largest N's mean overlap falls through 0.9.
  k = next(i for i in range(1, len(loads)) if overlap[i - 1] >= 0.9 > overlap[i])
  assert loads[k - 1] <= headline["alpha_c_estimate"] <= loads[k]
  assert headline["mean_field_alpha_c"] == pytest.approx(0.138, abs=1e-3)
  # Exact recall of every bit fails well before the overlap does.
  exact = results["exact_recall"][str(headline["N"])]
  assert exact[loads.index(0.14)] < overlap[loads.index(0.14)]
  assert (tmp_path / "capacity.png").is_file()


def test_crossing_interpolates_linearly_between_the_loads_around_it():
  assert hopfield_capacity.crossing([0.1, 0.12, 0.14], [0.99, 0.95, 0.85]) == pytest.approx(0.13)
  assert hopfield_capacity.crossing([0.1, 0.12], [0.99, 0.95]) is None


def test_hopfield_tsp_quick_json_keys_and_gaps(tmp_path, capsys):
  headline = hopfield_tsp.main(
    ["--quick", "--json", "--random", "9", "--seed", "3", "--out", str(tmp_path), "--two-opt"]
  )
  last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
  assert last == headline
  assert headline["valid_rate"] == 1.0
  coords = np.random.default_rng(3).random((9, 2))
  optimum, _ = tsp.held_karp(tsp.euclidean_distances(coords))
  assert headline["optimum"] == pytest.approx(optimum)
  assert headline["best_gap"] == pytest.approx(headline["best_length"] / optimum - 1, abs=1e-6)
  assert 0 <= headline["best_gap_after_two_opt"] <= headline["best_gap"] <= headline["median_gap"]
  assert (tmp_path / "best_tour.png").is_file()
  assert (tmp_path / "energy_curves.png").is_file()


def test_hopfield_tsp_without_two_opt_has_no_polished_key(tmp_path):
  headline = hopfield_tsp.main(
    ["--quick", "--json", "--random", "6", "--method", "hopfield-tank", "--out", str(tmp_path)]
  )
  assert "best_gap_after_two_opt" not in headline
  assert 0.0 <= headline["valid_rate"] <= 1.0
  assert {"valid_rate", "best_gap", "median_gap"} <= set(headline)
