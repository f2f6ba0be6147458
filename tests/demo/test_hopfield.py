"""The demo's Hopfield part: recall within capacity, the modern network beside it, eil51."""

import pytest

from fnn.demo import hopfield


@pytest.mark.slow  # ~10 s of CPU: compiles recall and the annealed TSP network
def test_hopfield_demo_recalls_digits_within_capacity_and_writes_its_pictures(tmp_path):
  result = hopfield.run(tmp_path, restarts=4)
  assert result["digit_recall_rate"] >= 0.9
  assert result["modern_recall_rate"] == 1.0
  assert result["hebbian_recall_rate"] < result["digit_recall_rate"]
  assert "exactly" in result["digit_recall_rate_measures"]
  assert result["valid_rate"] == 1.0
  assert result["eil51_best_length"] >= 426
  for name in ("hopfield_recall.png", "tsp_eil51_tour.png"):
    assert (tmp_path / name).stat().st_size > 5_000
