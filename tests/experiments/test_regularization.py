import json

from experiments import regularization


def test_regularization_quick_reports_each_variant(tmp_path):
  headline = regularization.main(["--quick", "--out", str(tmp_path), "--json", "--no-progress"])
  assert set(headline) == {"none", "L2 0.001", "AdamW 0.1", "dropout 0.5", "early stopping"}
  results = json.loads((tmp_path / "results.json").read_text())
  for name, summary in results["summary"].items():
    val = results["histories"][name]["val_loss"]
    assert summary["min_val_loss_epoch"] == min(range(len(val)), key=val.__getitem__)
    assert 0.5 < summary["test_accuracy"] <= 1.0
  none = results["histories"]["none"]["loss"]
  assert none[-1] < none[0]
  assert (tmp_path / "regularization.png").exists()
