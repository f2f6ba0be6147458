import gzip
import hashlib
import os
import struct

import numpy as np
import pytest

from fnn.data import load_csv, load_idx, load_mnist, load_text


def _idx_bytes(array, code=0x08):
  header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(
    f">{array.ndim}I", *array.shape
  )
  return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("compress", [False, True])
def test_load_idx_reads_plain_and_gzipped_files(tmp_path, compress):
  images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
  data = _idx_bytes(images)
  path = tmp_path / ("a.gz" if compress else "a")
  path.write_bytes(gzip.compress(data) if compress else data)
  np.testing.assert_array_equal(load_idx(path), images)


def test_load_idx_reads_big_endian_floats(tmp_path):
  values = np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2)
  (tmp_path / "f").write_bytes(_idx_bytes(values, 0x0D))
  np.testing.assert_array_equal(load_idx(tmp_path / "f"), values)


def test_load_idx_rejects_a_bad_magic_number(tmp_path):
  (tmp_path / "bad").write_bytes(b"\x12\x34\x08\x01" + b"\x00" * 8)
  with pytest.raises(ValueError, match=r"magic number 0x12340801, not an IDX file"):
    load_idx(tmp_path / "bad")


def test_load_idx_rejects_a_truncated_file(tmp_path):
  data = _idx_bytes(np.zeros((10, 4, 4), np.uint8))
  (tmp_path / "short").write_bytes(data[:-7])
  with pytest.raises(
    ValueError,
    match=r"truncated: .* shape \(10, 4, 4\) \(160 bytes of data\) "
    r"but the file has 153",
  ):
    load_idx(tmp_path / "short")
  (tmp_path / "short.gz").write_bytes(gzip.compress(data)[:-10])
  with pytest.raises(ValueError, match="truncated or corrupt gzip"):
    load_idx(tmp_path / "short.gz")


def test_load_mnist_names_the_missing_file(tmp_path):
  with pytest.raises(
    FileNotFoundError,
    match=r"neither train-images-idx3-ubyte nor "
    r"train-images-idx3-ubyte.gz",
  ):
    load_mnist(tmp_path, "train")


def test_load_mnist_test_split_matches_published_checksums(shared_data):
  directory = os.path.join(shared_data, "mnist")
  images, labels = load_mnist(directory, "test", normalize=False)
  with open(os.path.join(directory, "t10k-images-idx3-ubyte.gz"), "rb") as f:
    raw = gzip.decompress(f.read())
  assert hashlib.md5(raw).hexdigest() == "2646ac647ad5339dbf082846283269ea"
  assert images.shape == (10000, 28, 28)
  assert labels.shape == (10000,)
  assert images.tobytes() == raw[16:]
  np.testing.assert_array_equal(np.bincount(labels)[:3], [980, 1135, 1032])
  floats, _ = load_mnist(directory, "test")
  assert floats.dtype == np.float32
  assert floats.max() == 1.0


def test_load_csv_reads_numeric_and_text_columns(tmp_path, shared_data):
  columns = load_csv(os.path.join(shared_data, "timeseries", "airline-passengers.csv"))
  assert list(columns) == ["Month", "Passengers"]
  assert columns["Passengers"].sum() == 40363
  assert len(columns["Month"]) == 144
  assert columns["Month"][0] == "1949-01"


def test_load_csv_names_the_ragged_line(tmp_path):
  (tmp_path / "r.csv").write_text("a,b\n1,2\n3\n")
  with pytest.raises(ValueError, match=r"line 3 has 1 fields, expected 2 \(a, b\)"):
    load_csv(tmp_path / "r.csv")


def test_load_text_round_trips_through_the_vocabulary(tmp_path):
  (tmp_path / "t.txt").write_text("hello, world\n")
  ids, vocab = load_text(tmp_path / "t.txt")
  assert "".join(vocab[i] for i in ids) == "hello, world\n"
  assert vocab == sorted(set("hello, world\n"))
  with pytest.raises(ValueError, match=r"characters not in vocab: \['\\n', ' ', ','"):
    load_text(tmp_path / "t.txt", vocab="helowrd")
