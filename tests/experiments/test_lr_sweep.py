import json

import numpy as np

from experiments import lr_sweep


def test_lr_sweep_trains_every_rate_and_seed_and_picks_the_best_mean(tmp_path):
  headline = lr_sweep.main(["--quick", "--out", str(tmp_path), "--json", "--no-progress"])
  results = json.loads((tmp_path / "results.json").read_text())
  rates, val = np.asarray(results["learning_rates"]), np.asarray(results["final_val_loss"])
  assert headline["models"] == val.size == 4 * 2
  assert val.shape == (4, 2)
  np.testing.assert_allclose(rates, np.logspace(-4, 0, 4))
  assert headline["best_learning_rate"] == rates[np.argmin(val.mean(axis=1))]
  assert not np.allclose(val[0], val[-1])  # the learning rate matters
  assert (tmp_path / "lr_sweep.png").stat().st_size > 10_000
