"""Data for the energy-model experiments: the binarised digits, MNIST, or any matrix.

Every RBM/DBN/autoencoder experiment takes ``--data FILE`` (a binary or [0, 1] matrix as
.npy, .npz (its first array) or CSV without a header) and ``--mnist-dir DIR`` (the four
MNIST IDX files, or /work/shared/data/mnist's layout: the test IDX files, the training
labels and the training images as the 20 convnetjs PNGs); without either it uses the
shipped 8x8 digits (fixed split), binarised at 0.5 where the experiment needs binary data.
"""

import math
import pathlib
import struct
import zlib

import numpy as np

from fnn.data import load_digits, load_idx, load_mnist

BINARY_THRESHOLD = 0.5
CONVNETJS_BATCHES = 20  # mnist_batch_0.png ... mnist_batch_19.png, 3000 images each


def add_data_args(parser) -> None:
  parser.add_argument(
    "--data",
    default=None,
    help="a binary or [0, 1] matrix (.npy, .npz or headerless CSV), rows = "
    "examples; split 80/20 into train/test by --seed",
  )
  parser.add_argument("--mnist-dir", default=None, help="a folder with the MNIST IDX files")


def load_matrix(path) -> np.ndarray:
  """Reads a 2-D matrix of values in [0, 1] from .npy, .npz or CSV; float32 ``(n, d)``."""
  path = pathlib.Path(path)
  if path.suffix == ".npy":
    x = np.load(path)
  elif path.suffix == ".npz":
    with np.load(path) as archive:
      x = archive[archive.files[0]]
  elif path.suffix in (".csv", ".txt"):
    x = np.loadtxt(path, delimiter=",", ndmin=2)
  else:
    raise ValueError(f"--data: expected a .npy, .npz or .csv file, got {path.name!r}")
  x = np.asarray(x, np.float32)
  if x.ndim != 2:
    x = x.reshape(len(x), -1)
  if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
    raise ValueError(
      f"--data: {path.name} must hold values in [0, 1], got range "
      f"[{np.nanmin(x):g}, {np.nanmax(x):g}]"
    )
  return x


def _png_rows(path: pathlib.Path) -> np.ndarray:
  """The pixels of an 8-bit greyscale, non-interlaced PNG as uint8 ``(height, width)``.

  Undoes the per-row filters None (0), Sub (1) and Up (2), the only ones the convnetjs
  MNIST batches use (shared/data/README.md); any other is refused.
  """
  raw = path.read_bytes()
  if raw[:8] != b"\x89PNG\r\n\x1a\n":
    raise ValueError(f"--mnist-dir: {path.name} is not a PNG file")
  pos, idat, header = 8, [], None
  while pos < len(raw):
    length, kind = struct.unpack(">I4s", raw[pos : pos + 8])
    body = raw[pos + 8 : pos + 8 + length]
    pos += 12 + length
    if kind == b"IHDR":
      header = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
      idat.append(body)
    elif kind == b"IEND":
      break
  width, height, depth, colour, _, _, interlace = header
  if (depth, colour, interlace) != (8, 0, 0):
    raise ValueError(
      f"--mnist-dir: {path.name} must be an 8-bit greyscale non-interlaced PNG, "
      f"got bit depth {depth}, colour type {colour}, interlace {interlace}"
    )
  rows = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(height, width + 1)
  out, previous = np.empty((height, width), np.uint8), np.zeros(width, np.uint8)
  for i, (kind, row) in enumerate(zip(rows[:, 0], rows[:, 1:], strict=True)):
    if kind == 0:
      previous = row
    elif kind == 1:
      previous = (np.cumsum(row, dtype=np.int64) & 255).astype(np.uint8)
    elif kind == 2:
      previous = row + previous  # uint8 arithmetic wraps modulo 256, as PNG's Up filter
    else:
      raise ValueError(
        f"--mnist-dir: {path.name} row {i} uses PNG filter {kind}; only 0-2 are supported"
      )
    out[i] = previous
  return out


def load_mnist_files(directory, split: str):
  """``(images (n, 784) float32 in [0, 1], labels (n,) int32)`` from ``directory``.

  The four IDX files (``fnn.data.load_mnist``), or for the training images the 20
  convnetjs PNGs under ``directory/convnetjs`` (rows of batch k are training images
  3000k ... 3000k + 2999; md5 of the rebuilt IDX checked in shared/data/README.md).
  """
  directory = pathlib.Path(directory)
  pngs = directory / "convnetjs"
  has_idx = any((directory / f"train-images-idx3-ubyte{s}").exists() for s in ("", ".gz"))
  if split == "test" or has_idx or not pngs.is_dir():
    images, labels = load_mnist(directory, split)
    return images.reshape(len(images), -1), labels
  images = np.concatenate(
    [_png_rows(pngs / f"mnist_batch_{k}.png") for k in range(CONVNETJS_BATCHES)]
  )
  labels = next(
    load_idx(directory / f"train-labels-idx1-ubyte{s}")
    for s in ("", ".gz")
    if (directory / f"train-labels-idx1-ubyte{s}").exists()
  )
  if images.shape != (len(labels), 784):
    raise ValueError(
      f"--mnist-dir: the convnetjs PNGs hold {images.shape} pixels for "
      f"{len(labels)} labels; expected ({len(labels)}, 784)"
    )
  return images.astype(np.float32) / 255.0, labels.astype(np.int32)


def image_shape(width: int) -> tuple[int, int]:
  """(h, w) for pictures: square when ``width`` is a square, else one row."""
  side = round(math.sqrt(width))
  return (side, side) if side * side == width else (1, width)


def binarize(x, how: str, seed: int = 0) -> np.ndarray:
  """Binarises pixels in [0, 1].

  Binary float32 pixels: ``"threshold"`` at 0.5, or ``"stochastic"``: each pixel on
  with probability equal to its intensity, one fixed draw (numpy ``default_rng(seed)``).
  """
  if how == "threshold":
    return (x > BINARY_THRESHOLD).astype(np.float32)
  if how == "stochastic":
    return (np.random.default_rng(seed).random(x.shape, np.float32) < x).astype(np.float32)
  raise ValueError(f"binarize: expected 'threshold' or 'stochastic', got {how!r}")


def load(args, *, binary: bool, limit_train=None, limit_test=None, binarization: str = "threshold"):
  """``(x_train, y_train, x_test, y_test, name)``; labels are None for ``--data``.

  Args:
    args: parsed arguments with ``data``, ``mnist_dir`` and ``seed``.
    binary: binarise the digits or MNIST (a --data matrix is used as it is).
    limit_train: keep only the first training rows (for --quick).
    limit_test: keep only the first test rows (for --quick).
    binarization: ``"threshold"`` (at 0.5) or ``"stochastic"`` (:func:`binarize`; the
      training and test images get fixed draws, seeds 0 and 1, whatever ``--seed``).
  """
  if args.data:
    x = load_matrix(args.data)
    order = np.random.default_rng(args.seed).permutation(len(x))
    cut = round(0.8 * len(x))
    x_train, x_test, y_train, y_test = x[order[:cut]], x[order[cut:]], None, None
    name = pathlib.Path(args.data).name
  elif args.mnist_dir:
    x_train, y_train = load_mnist_files(args.mnist_dir, "train")
    x_test, y_test = load_mnist_files(args.mnist_dir, "test")
    name = "mnist"
  else:
    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    name = "digits"
  if binary and not args.data:
    x_train, x_test = binarize(x_train, binarization, 0), binarize(x_test, binarization, 1)

  def cut(a, n):
    return a if a is None or n is None else a[:n]

  return (
    cut(x_train, limit_train),
    cut(y_train, limit_train),
    cut(x_test, limit_test),
    cut(y_test, limit_test),
    name,
  )
