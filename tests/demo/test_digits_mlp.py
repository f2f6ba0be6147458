import pytest

from fnn.demo import digits_mlp


@pytest.mark.slow  # 40 epochs of a 64-256-256-10 MLP: ~10 s on a 2-core machine
def test_digits_mlp_demo_reaches_97_percent_and_writes_its_learning_curve(tmp_path):
  result = digits_mlp.run(tmp_path)
  assert result["test_accuracy"] >= 0.97
  assert (tmp_path / "learning_curve.png").stat().st_size > 10_000
