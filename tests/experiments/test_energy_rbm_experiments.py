"""Quick runs of the RBM, DBN and autoencoder experiments, checked against what they report."""

import gzip
import json
import struct

import numpy as np
import pytest

from experiments import autoencoder, dbn_pretraining, rbm_digits, rbm_mnist


def test_rbm_digits_quick_ais_matches_exact_log_z_and_writes_pictures(tmp_path):
  headline = rbm_digits.main(["--quick", "--json", "--out", str(tmp_path), "--no-progress"])
  ais_z, exact_z = headline["ais_vs_exact_log_z_20_hidden"]
  assert abs(ais_z - exact_z) < 0.1
  assert set(headline["ais_test_log_likelihood"]) == {"CD-1", "CD-10", "PCD-1", "PCD-1 (20 hidden)"}
  # 64 binary pixels: a log-likelihood between that of the uniform model and 0.
  assert all(-64 * np.log(2) < v < 0 for v in headline["ais_test_log_likelihood"].values())
  results = json.loads((tmp_path / "results.json").read_text())
  assert len(results["methods"]["CD-1"]["history"]["pseudo_log_likelihood"]) == 3
  assert (tmp_path / "samples_PCD-1.png").is_file() and (tmp_path / "learning_curves.png").is_file()


@pytest.mark.slow
def test_rbm_digits_takes_a_data_file(tmp_path):
  rng = np.random.default_rng(0)
  np.save(tmp_path / "bits.npy", (rng.random((200, 16)) < 0.3).astype(np.float32))
  headline = rbm_digits.main(["--quick", "--json", "--out", str(tmp_path / "out"),
                              "--no-progress", "--data", str(tmp_path / "bits.npy"),
                              "--hidden", "8"])
  results = json.loads((tmp_path / "out" / "results.json").read_text())
  assert results["data"]["train"] == [160, 16] and results["data"]["test"] == [40, 16]
  assert headline["ais_test_log_likelihood"]["CD-1"] < 0


def test_data_file_outside_unit_interval_is_refused(tmp_path):
  (tmp_path / "bad.csv").write_text("0,1,2\n1,0,1\n")
  with pytest.raises(ValueError, match=r"must hold values in \[0, 1\], got range \[0, 2\]"):
    rbm_digits.main(["--quick", "--out", str(tmp_path), "--data", str(tmp_path / "bad.csv")])


def _write_idx(path, array):
  header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
  path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


@pytest.mark.slow
def test_rbm_mnist_quick_on_idx_files_reports_published_figures(tmp_path):
  rng = np.random.default_rng(0)
  for split, n in [("train", 300), ("t10k", 100)]:
    _write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", (rng.random((n, 28, 28)) < 0.2) * 255)
    _write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, n))
  headline = rbm_mnist.main(["--quick", "--json", "--out", str(tmp_path / "out"), "--no-progress",
                             "--mnist-dir", str(tmp_path)])
  ais_z, exact_z = headline["log_z_ais_vs_exact"]["CD1(16)"]
  assert abs(ais_z - exact_z) < 0.2
  assert rbm_mnist.PUBLISHED_TEST_LOG_PROB["CD25(500)"] == -86.34


@pytest.mark.slow
def test_dbn_pretraining_quick_compares_both_initialisations(tmp_path):
  headline = dbn_pretraining.main(["--quick", "--json", "--out", str(tmp_path), "--no-progress"])
  acc = headline["mean_test_accuracy"]
  assert set(acc) == {"dbn", "random"} and set(acc["dbn"]) == {"1", "5"}
  assert all(0.2 < a <= 1 for init in acc.values() for a in init.values())  # far above chance
  assert (tmp_path / "dbn_samples.png").is_file()


def test_autoencoder_quick_reports_both_models_and_the_pca_baseline(tmp_path):
  headline = autoencoder.main(["--quick", "--json", "--out", str(tmp_path), "--no-progress"])
  assert set(headline["test_mse"]) == {"dense", "conv"}
  # The mean image's error bounds what 3 epochs must already beat.
  x = np.asarray(__import__("fnn.data", fromlist=["load_digits"]).load_digits("test")[0][:100])
  assert all(v < float(np.mean((x - x.mean(0)) ** 2)) * 1.5 for v in headline["test_mse"].values())
  assert (tmp_path / "codes_2d.png").is_file()
