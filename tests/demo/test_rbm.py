import json

import pytest

from fnn.demo import rbm


@pytest.mark.slow  # 200 PT epochs on the digits, an MLP, 1000 PT sweeps, AIS: ~30 s of CPU
def test_rbm_demo_samples_from_noise_are_recognised_digits_of_many_classes(tmp_path):
  result = rbm.run(tmp_path)
  json.dumps(result)  # the summary is JSON
  assert result["sample_recognition_rate"] >= 0.8
  assert sum(c > 0 for c in result["sample_classes"]) >= 8  # not one or two modes
  assert all(0 < a <= 1 for a in result["swap_acceptance"])
  assert -64 * 0.6931 < result["ais_test_log_likelihood"] < 0
  assert (tmp_path / "rbm_samples.png").stat().st_size > 10_000
