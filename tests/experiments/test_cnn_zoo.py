import json

import numpy as np
import pytest

import fnn
from experiments import cnn_zoo


@pytest.mark.slow  # compiles four CNNs, GoogLeNet's 57 conv units among them
def test_cnn_zoo_quick_reports_params_step_time_and_accuracy_for_all_four(tmp_path):
  headline = cnn_zoo.main(["--quick", "--out", str(tmp_path), "--json", "--no-progress"])
  rows = headline["models"]
  assert list(rows) == ["AlexNet", "VGG-11", "GoogLeNet", "ResNet-18"]
  for name, row in rows.items():
    model = cnn_zoo.ZOO[name](10, 1 / 16)
    assert row["params"] == fnn.summary(model, (1, 32, 32, 1)).total_params
    assert row["step_ms"] > 0
    assert 0 <= row["test_accuracy"] <= 1
  results = json.loads((tmp_path / "results.json").read_text())
  assert results["models"] == rows
  assert len(results["history"]["ResNet-18"]["loss"]) == 2
  assert (tmp_path / "zoo.png").exists()
  assert (tmp_path / "learning_curves.png").exists()


def test_cnn_zoo_loads_an_npz_of_integer_images_at_32x32(tmp_path):
  rng = np.random.default_rng(0)
  np.savez(
    tmp_path / "set.npz",
    x_train=rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
    y_train=np.arange(5),
    x_test=rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8),
    y_test=np.arange(3),
  )
  x, y, x_test, _y_test, name = cnn_zoo.load(str(tmp_path / "set.npz"))
  assert x.shape == (5, 32, 32, 1)
  assert x_test.shape == (3, 32, 32, 3)
  assert name == "set.npz"
  assert x.dtype == np.float32
  assert x.min() >= 0
  assert x.max() <= 1
  assert y.dtype == np.int32


def test_cnn_zoo_table_has_thousands_separators_and_rejects_unknown_models():
  text = cnn_zoo.table({"VGG-11": {"params": 9_225_610, "step_ms": 12.34, "test_accuracy": 0.9}})
  assert "9,225,610" in text
  assert "12.3" in text
  assert "0.9000" in text
  with pytest.raises(SystemExit):
    cnn_zoo.main(["--quick", "--models", "LeNet"])
