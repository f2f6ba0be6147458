import pytest

from fnn.demo import seeds


@pytest.mark.slow  # 32 models x 20 epochs and the compilation: ~10-20 s on a 2-core machine
def test_seeds_demo_trains_32_models_that_reach_90_percent_and_draws_the_histogram(tmp_path):
  result = seeds.run(tmp_path)
  assert result["models"] == 32
  assert result["test_accuracy_mean"] >= 0.9
  assert 0 < result["test_accuracy_std"] < 0.05
  assert result["ensemble_test_accuracy"] >= result["test_accuracy_mean"] - 0.01
  assert (tmp_path / "seeds.png").stat().st_size > 10_000


def test_seeds_demo_in_small(tmp_path):
  result = seeds.run(tmp_path, models=2, epochs=1)
  assert result["models"] == 2
  assert 0.0 <= result["test_accuracy_mean"] <= 1.0
