import json

from experiments import xor


def test_xor_quick_perceptron_fails_and_two_relu_units_fit(tmp_path):
  headline = xor.main(["--quick", "--out", str(tmp_path), "--json"])
  assert headline["perceptron_accuracy"] <= 0.75  # no line separates XOR
  assert headline["hidden_relu2_accuracy"] == 1.0
  results = json.loads((tmp_path / "results.json").read_text())
  table = results["hidden_table"]
  assert [row["target"] for row in table] == [0, 1, 1, 0]
  assert all((row["p(y=1)"] > 0.5) == (row["target"] == 1) for row in table)
  assert (tmp_path / "xor.png").exists()
