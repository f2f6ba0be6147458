import json

import numpy as np

from experiments import adding_problem


def test_quick_run_nests_test_mse_by_length_and_model(tmp_path):
  headline = adding_problem.main(["--quick", "--no-progress", "--out", str(tmp_path)])
  assert set(headline) == {"T10", "T20"}
  for by_model in headline.values():
    assert set(by_model) == {"rnn", "gru", "lstm"}
    assert all(np.isfinite(m["test_mse"]) and m["test_mse"] >= 0 for m in by_model.values())
  results = json.loads((tmp_path / "results.json").read_text())
  # The always-1.0 baseline of U(0,1) + U(0,1) is 1/6.
  assert abs(results["T10"]["baseline_mse"] - 1 / 6) < 0.04
  assert results["T20"]["lstm"]["solved"] == (results["T20"]["lstm"]["test_mse"] < 0.01)
  assert (tmp_path / "adding_problem.png").stat().st_size > 0
