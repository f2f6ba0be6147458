import json

import numpy as np
import pytest

from experiments import lenet


@pytest.mark.slow  # compiling LeNet-5 takes ~15 s on a 2-core machine
def test_lenet_quick_learns_and_writes_a_consistent_confusion_matrix(tmp_path):
  headline = lenet.main(["--quick", "--out", str(tmp_path), "--json", "--no-progress"])
  assert headline["test_accuracy"] > 0.3  # one epoch on 256 images, 10 classes
  confusion = np.array(json.loads((tmp_path / "results.json").read_text())["confusion_matrix"])
  assert confusion.sum() == headline["test_size"] == 100
  np.testing.assert_allclose(
    np.trace(confusion) / confusion.sum(), headline["test_accuracy"], atol=1e-6
  )
  assert (tmp_path / "confusion_matrix.png").exists()
