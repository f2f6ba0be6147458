"""File loaders: IDX (MNIST, Fashion-MNIST), CSV and plain text.

They read files the user names and return numpy arrays; nothing is downloaded.
Malformed files raise ``ValueError`` saying what was expected and what was found.
"""

import csv
import gzip
import os
import pathlib

import numpy as np

# IDX type codes -> big-endian numpy dtypes (http://yann.lecun.com/exdb/mnist/).
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"

MNIST_FILES = {
  "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
  "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _read_maybe_gzip(path: pathlib.Path) -> bytes:
  raw = path.read_bytes()
  if raw[:2] != _GZIP_MAGIC:
    return raw
  try:
    return gzip.decompress(raw)
  except (EOFError, OSError, gzip.BadGzipFile) as err:
    raise ValueError(f"load_idx: {path} is a truncated or corrupt gzip file ({err})") from None


def load_idx(path) -> np.ndarray:
  """Reads one IDX file (gzipped or not; detected from its first bytes).

  Args:
    path: the file, e.g. ``t10k-images-idx3-ubyte.gz``.

  Returns:
    A numpy array with the file's shape and dtype in native byte order, e.g. uint8
    ``(10000, 28, 28)`` for MNIST test images or ``(10000,)`` for labels.

  Raises:
    ValueError: a bad magic number, an unknown type code, or fewer data bytes than
      the header announces.
  """
  path = pathlib.Path(path)
  data = _read_maybe_gzip(path)
  if len(data) < 4:
    raise ValueError(f"load_idx: {path} has {len(data)} bytes, too short for an IDX header")
  if data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
    raise ValueError(
      f"load_idx: {path} has magic number 0x{data[:4].hex()}, not an IDX file (expected "
      "0x0000TTNN with type TT in 08, 09, 0b, 0c, 0d, 0e and NN dimensions, e.g. "
      "0x00000803 for MNIST images)"
    )
  ndim = data[3]
  header = 4 + 4 * ndim
  if len(data) < header:
    raise ValueError(
      f"load_idx: {path} is truncated inside its header ({len(data)} bytes, "
      f"the header of a {ndim}-d IDX file needs {header})"
    )
  shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
  dtype = np.dtype(_IDX_DTYPES[data[2]])
  expected = int(np.prod(shape)) * dtype.itemsize
  got = len(data) - header
  if got < expected:
    raise ValueError(
      f"load_idx: {path} is truncated: its header announces shape {shape} "
      f"({expected} bytes of data) but the file has {got}"
    )
  if got > expected:
    raise ValueError(
      f"load_idx: {path} has {got - expected} bytes after the {shape} array; "
      "it is not a valid IDX file"
    )
  return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(directory: pathlib.Path, stem: str) -> pathlib.Path:
  for name in (stem, stem + ".gz"):
    if (directory / name).exists():
      return directory / name
  raise FileNotFoundError(f"load_mnist: neither {stem} nor {stem}.gz is in {directory}")


def load_mnist(directory, split: str = "train", *, normalize: bool = True):
  """MNIST or Fashion-MNIST from the four standard IDX files in ``directory``.

  The files keep their usual names (``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``),
  each gzipped (``.gz``) or not. Fashion-MNIST uses the same names and layout.

  Args:
    directory: the folder holding the files.
    split: ``"train"`` or ``"test"``.
    normalize: return float32 pixels in [0, 1] (pixel / 255); else uint8.

  Returns:
    ``(images, labels)``: ``(n, 28, 28)`` float32 (or uint8) and int32 ``(n,)``.
  """
  if split not in MNIST_FILES:
    raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
  directory = pathlib.Path(directory)
  images_stem, labels_stem = MNIST_FILES[split]
  images = load_idx(_find(directory, images_stem))
  labels = load_idx(_find(directory, labels_stem))
  if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
    raise ValueError(
      f"load_mnist: {split} images have shape {images.shape} and labels "
      f"{labels.shape}; expected (n, rows, cols) and (n,)"
    )
  images = images.astype(np.float32) / 255.0 if normalize else images
  return images, labels.astype(np.int32)


def load_csv(path, *, delimiter: str = ",", header: bool = True) -> dict:
  """Reads a CSV file into columns, numeric ones as float arrays.

  Args:
    path: the file.
    delimiter: the field separator.
    header: whether the first row names the columns (else they are "0", "1", ...).

  Returns:
    ``{column name: array (rows,)}`` in file order: float64 for columns where every
    value parses as a number, str otherwise.

  Raises:
    ValueError: a row with a different number of fields (naming its line).
  """
  with open(path, newline="") as f:
    rows = [row for row in csv.reader(f, delimiter=delimiter) if row]
  if not rows:
    raise ValueError(f"load_csv: {path} is empty")
  names = rows[0] if header else [str(i) for i in range(len(rows[0]))]
  body = rows[1:] if header else rows
  for i, row in enumerate(body):
    if len(row) != len(names):
      line = i + (2 if header else 1)
      raise ValueError(
        f"load_csv: {path} line {line} has {len(row)} fields, expected "
        f"{len(names)} ({', '.join(names)})"
      )
  columns = {}
  for j, name in enumerate(names):
    values = [row[j] for row in body]
    try:
      columns[name] = np.array([float(v) for v in values])
    except ValueError:
      columns[name] = np.array(values)
  return columns


def load_text(path, *, vocab=None, encoding: str = "utf-8"):
  """A text file as character ids, for character-level language models.

  Args:
    path: the file.
    vocab: the characters, in id order; by default the sorted distinct characters
      of the file.
    encoding: the file's text encoding.

  Returns:
    ``(ids, vocab)``: int32 ``(len(text),)`` and the list of characters.

  Raises:
    ValueError: a character of the file is missing from a given ``vocab``.
  """
  text = pathlib.Path(path).read_text(encoding=encoding)
  vocab = sorted(set(text)) if vocab is None else list(vocab)
  index = {c: i for i, c in enumerate(vocab)}
  missing = sorted(set(text) - set(index))
  if missing:
    raise ValueError(f"load_text: {os.fspath(path)} has characters not in vocab: {missing[:10]}")
  return np.fromiter((index[c] for c in text), np.int32, count=len(text)), vocab
