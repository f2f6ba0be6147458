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
  assert set(headline["ais_test_log_likelihood"]) == {
    "CD-1",
    "CD-10",
    "PCD-1",
    "PT-1",
    "PCD-1 (20 hidden)",
  }
  assert 0 < headline["pt_swap_acceptance"] <= 1
  # 64 binary pixels: a log-likelihood between that of the uniform model and 0.
  assert all(-64 * np.log(2) < v < 0 for v in headline["ais_test_log_likelihood"].values())
  results = json.loads((tmp_path / "results.json").read_text())
  assert len(results["methods"]["CD-1"]["history"]["pseudo_log_likelihood"]) == 3
  assert (tmp_path / "samples_PCD-1.png").is_file()
  assert (tmp_path / "learning_curves.png").is_file()


@pytest.mark.slow
def test_rbm_digits_takes_a_data_file(tmp_path):
  rng = np.random.default_rng(0)
  np.save(tmp_path / "bits.npy", (rng.random((200, 16)) < 0.3).astype(np.float32))
  headline = rbm_digits.main(
    [
      "--quick",
      "--json",
      "--out",
      str(tmp_path / "out"),
      "--no-progress",
      "--data",
      str(tmp_path / "bits.npy"),
      "--hidden",
      "8",
    ]
  )
  results = json.loads((tmp_path / "out" / "results.json").read_text())
  assert results["data"]["train"] == [160, 16]
  assert results["data"]["test"] == [40, 16]
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
  headline = rbm_mnist.main(
    [
      "--quick",
      "--json",
      "--out",
      str(tmp_path / "out"),
      "--no-progress",
      "--mnist-dir",
      str(tmp_path),
    ]
  )
  ais_z, exact_z = headline["log_z_ais_vs_exact"]["CD1(16)"]
  assert abs(ais_z - exact_z) < 0.2
  # the exact log-likelihood moves from the AIS one by exactly the log Z difference
  exact_ll = headline["exact_test_log_likelihood"]["CD1(16)"]
  ais_ll = headline["ais_test_log_likelihood"]["CD1(16)"]
  assert abs(exact_ll - (ais_ll - (exact_z - ais_z))) < 0.02
  assert headline["gap_to_published"] == {}  # no quick model is in Table 2
  assert headline["ais_bounded"]["CD1(16)"] is True  # AIS bounds log Z here
  assert set(headline["ais_test_log_likelihood"]) == {"CD1(16)", "CD25(16)", "PT(16)"}
  assert 0 < headline["pt_swap_acceptance"]["PT(16)"] <= 1
  assert rbm_mnist.PUBLISHED_TEST_LOG_PROB["CD25(500)"] == -86.34
  results = json.loads((tmp_path / "out" / "results.json").read_text())
  assert results["models"]["CD25(16)"]["k_stages"] == [[1, 1], [25, 2]]
  assert (tmp_path / "out" / "checkpoints" / "CD25_16").is_dir()


def test_k_is_raised_evenly_from_1_to_its_final_value():
  ramp = rbm_mnist.MODELS["CD25(500)"]
  assert rbm_mnist.k_stages(ramp, 5) == [(1, 1), (7, 2), (13, 3), (19, 4), (25, 5)]
  stages = rbm_mnist.k_stages(ramp, 100)
  assert stages[0] == (1, 3)
  assert stages[-1] == (25, 100)
  assert len(stages) == 25
  assert rbm_mnist.k_stages(rbm_mnist.MODELS["CD3(500)"], 100) == [(3, 100)]


def test_convnetjs_png_rows_are_decoded_with_their_filters(tmp_path):
  """A PNG written with the Sub and Up filters (the ones the convnetjs batches use)."""
  import zlib

  from experiments import _rbm_data

  pixels = np.random.default_rng(0).integers(0, 256, (3, 5)).astype(np.uint8)
  sub = np.concatenate([[1], np.diff(pixels[0].astype(int), prepend=0) % 256])
  up = np.concatenate([[2], (pixels[1].astype(int) - pixels[0]) % 256])
  none = np.concatenate([[0], pixels[2]])
  raw = np.stack([sub, up, none]).astype(np.uint8).tobytes()

  def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

  png = (
    b"\x89PNG\r\n\x1a\n"
    + chunk(b"IHDR", struct.pack(">IIBBBBB", 5, 3, 8, 0, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(raw))
    + chunk(b"IEND", b"")
  )
  (tmp_path / "x.png").write_bytes(png)
  np.testing.assert_array_equal(_rbm_data._png_rows(tmp_path / "x.png"), pixels)


def test_stochastic_binarisation_is_one_fixed_draw_with_the_intensities_as_probabilities():
  from experiments import _rbm_data

  x = np.full((200, 50), 0.3, np.float32)
  a, b = _rbm_data.binarize(x, "stochastic", 0), _rbm_data.binarize(x, "stochastic", 0)
  np.testing.assert_array_equal(a, b)
  assert set(np.unique(a)) == {0.0, 1.0}
  assert abs(a.mean() - 0.3) < 0.02


@pytest.mark.slow
def test_dbn_pretraining_quick_compares_both_initialisations(tmp_path):
  headline = dbn_pretraining.main(["--quick", "--json", "--out", str(tmp_path), "--no-progress"])
  acc = headline["mean_test_accuracy"]
  assert set(acc) == {"dbn", "random"}
  assert set(acc["dbn"]) == {"1", "5"}
  results = json.loads((tmp_path / "results.json").read_text())
  assert all(len(v) == 2 for v in results["accuracy"]["dbn"].values())  # two label draws
  assert all(0.2 < a <= 1 for init in acc.values() for a in init.values())  # far above chance
  assert (tmp_path / "dbn_samples.png").is_file()


def test_autoencoder_quick_reports_both_models_and_the_pca_baseline(tmp_path):
  headline = autoencoder.main(["--quick", "--json", "--out", str(tmp_path), "--no-progress"])
  assert set(headline["test_mse"]) == {"dense", "conv"}
  # The mean image's error bounds what 3 epochs must already beat.
  x = np.asarray(__import__("fnn.data", fromlist=["load_digits"]).load_digits("test")[0][:100])
  assert all(v < float(np.mean((x - x.mean(0)) ** 2)) * 1.5 for v in headline["test_mse"].values())
  assert (tmp_path / "codes_2d.png").is_file()
