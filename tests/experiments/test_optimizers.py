import numpy as np

from experiments import optimizers


def test_optimizer_paths_approach_the_minimum_of_the_bowl(tmp_path):
  headline = optimizers.main(["--quick", "--out", str(tmp_path), "--json", "--no-progress"])
  start = np.hypot(-7.0, 2.0)
  assert all(d < start / 4 for d in headline["path_final_distance"].values())
  losses = headline["final_train_loss"]
  assert losses["SGD lr=0.3"] < losses["SGD lr=0.05"] < losses["SGD lr=0.01"]
  assert (tmp_path / "optimizer_paths.png").exists()
  assert (tmp_path / "learning_curves.png").exists()


def test_optimizer_path_of_plain_sgd_matches_the_closed_form():
  # SGD on x²/20 + y²: x ← (1 - lr/10) x, y ← (1 - 2 lr) y.
  path = optimizers.optimizer_path(optimizers.optax.sgd(0.1), 5)
  steps = np.arange(6)
  np.testing.assert_allclose(path[:, 0], -7.0 * 0.99**steps, rtol=1e-5)
  np.testing.assert_allclose(path[:, 1], 2.0 * 0.8**steps, rtol=1e-5)
