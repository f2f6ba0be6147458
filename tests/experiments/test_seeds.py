import json

import numpy as np

from experiments import seeds


def test_seeds_reports_each_models_test_accuracy_and_the_ensembles(tmp_path):
  headline = seeds.main(["--quick", "--out", str(tmp_path), "--json", "--no-progress"])
  results = json.loads((tmp_path / "results.json").read_text())
  accuracy = np.asarray(results["test_accuracy"])
  assert headline["models"] == len(accuracy) == 8
  assert headline["test_accuracy_mean"] == round(float(accuracy.mean()), 4)
  assert len(set(accuracy.tolist())) > 1  # the seeds differ
  assert 0.5 < headline["ensemble_test_accuracy"] <= 1.0
  assert results["ensemble_accuracy_by_size"]["1"] == accuracy[0]  # one member: model 0
  assert (tmp_path / "seeds.png").stat().st_size > 10_000
