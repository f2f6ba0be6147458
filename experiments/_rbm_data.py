"""Data for the energy-model experiments: the binarised digits, MNIST, or any matrix.

Every RBM/DBN/autoencoder experiment takes ``--data FILE`` (a binary or [0, 1] matrix as
.npy, .npz (its first array) or CSV without a header) and ``--mnist-dir DIR`` (the four
MNIST IDX files); without either it uses the shipped 8x8 digits (fixed split), binarised
at 0.5 where the experiment needs binary data.
"""

import math
import pathlib

import numpy as np

from fnn.data import load_digits, load_mnist

BINARY_THRESHOLD = 0.5


def add_data_args(parser) -> None:
  parser.add_argument("--data", default=None,
                      help="a binary or [0, 1] matrix (.npy, .npz or headerless CSV), rows = "
                           "examples; split 80/20 into train/test by --seed")
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
    raise ValueError(f"--data: {path.name} must hold values in [0, 1], got range "
                     f"[{np.nanmin(x):g}, {np.nanmax(x):g}]")
  return x


def image_shape(width: int) -> tuple[int, int]:
  """(h, w) for pictures: square when ``width`` is a square, else one row."""
  side = int(round(math.sqrt(width)))
  return (side, side) if side * side == width else (1, width)


def load(args, *, binary: bool, limit_train=None, limit_test=None):
  """``(x_train, y_train, x_test, y_test, name)``; labels are None for ``--data``.

  Args:
    args: parsed arguments with ``data``, ``mnist_dir`` and ``seed``.
    binary: threshold at 0.5 (digits, MNIST; a --data matrix is used as it is).
    limit_train, limit_test: keep only the first rows (for --quick).
  """
  if args.data:
    x = load_matrix(args.data)
    order = np.random.default_rng(args.seed).permutation(len(x))
    cut = int(round(0.8 * len(x)))
    x_train, x_test, y_train, y_test = x[order[:cut]], x[order[cut:]], None, None
    name = pathlib.Path(args.data).name
  elif args.mnist_dir:
    x_train, y_train = load_mnist(args.mnist_dir, "train")
    x_test, y_test = load_mnist(args.mnist_dir, "test")
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    name = "mnist"
  else:
    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    name = "digits"
  if binary and not args.data:
    x_train = (x_train > BINARY_THRESHOLD).astype(np.float32)
    x_test = (x_test > BINARY_THRESHOLD).astype(np.float32)
  cut = lambda a, n: a if a is None or n is None else a[:n]
  return (cut(x_train, limit_train), cut(y_train, limit_train), cut(x_test, limit_test),
          cut(y_test, limit_test), name)
