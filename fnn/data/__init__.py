"""Datasets shipped with fnn, loaders, preprocessing, augmentation and batching.

The 8×8 digits (1797 images) ship inside the package (fnn/data/files, source
and licence in the README there), so demos and tests need no download.

Modules: ``synthetic`` (XOR, two spirals, moons, noisy sine), ``loaders`` (IDX /
MNIST, CSV, text), ``splits`` (``split`` into train / validation / test,
``balanced_subset`` of a few examples per class), ``preprocessing`` (scaling, PCA
whitening, one-hot), ``augment`` (pure, vmappable image augmentations), ``batching``.
"""

import gzip
import hashlib
import importlib.resources

import numpy as np

from fnn.data import augment
from fnn.data.batching import iterate_batches
from fnn.data.loaders import load_csv, load_idx, load_mnist, load_text
from fnn.data.preprocessing import min_max_scale, one_hot, pca_whiten, standardize
from fnn.data.splits import balanced_subset, split
from fnn.data.synthetic import moons, noisy_sine, two_spirals, xor

_DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
DIGITS_TEST_SIZE = 360
DIGITS_SPLIT_SEED = 0


def _read_shipped(name: str) -> bytes:
  return (importlib.resources.files("fnn.data") / "files" / name).read_bytes()


def load_digits(split: str = "all"):
  """The 8×8 handwritten digits (UCI optdigits test set, 1797 images).

  The train/test split is fixed: a permutation of the 1797 rows by
  numpy.random.default_rng(0); the last 360 rows of it are the test set
  (1437 train). Every fnn example and experiment uses this split.

  Args:
    split: "all", "train" or "test".

  Returns:
    (images, labels): float32 (n, 8, 8) in [0, 1] (pixel / 16) and
    int32 (n,) in 0..9.
  """
  if split not in ("all", "train", "test"):
    raise ValueError(f"load_digits: split must be 'all', 'train' or 'test', got {split!r}")
  raw = _read_shipped("digits.csv.gz")
  digest = hashlib.sha256(raw).hexdigest()
  if digest != _DIGITS_SHA256:
    raise OSError(f"load_digits: the shipped digits.csv.gz is corrupt (sha256 {digest})")
  table = np.loadtxt(gzip.decompress(raw).decode().splitlines(), delimiter=",", dtype=np.int64)
  images = (table[:, :64] / 16.0).astype(np.float32).reshape(-1, 8, 8)
  labels = table[:, 64].astype(np.int32)
  if split == "all":
    return images, labels
  order = np.random.default_rng(DIGITS_SPLIT_SEED).permutation(len(labels))
  idx = order[:-DIGITS_TEST_SIZE] if split == "train" else order[-DIGITS_TEST_SIZE:]
  return images[idx], labels[idx]


def digit_prototypes(split: str = "train"):
  """One ±1 prototype per digit: the class-mean 8×8 image of ``split``, binarised at 0.5.

  Returns:
    int32 ``(10, 64)``, row ``c`` the prototype of digit ``c`` (the Hopfield demo's and
    ``hopfield_memory``'s stored patterns).
  """
  images, labels = load_digits(split)
  means = np.stack([images[labels == c].mean(0) for c in range(10)])
  return np.where(means.reshape(10, 64) > 0.5, 1, -1).astype(np.int32)


__all__ = [
  "DIGITS_SPLIT_SEED",
  "DIGITS_TEST_SIZE",
  "augment",
  "balanced_subset",
  "digit_prototypes",
  "iterate_batches",
  "load_csv",
  "load_digits",
  "load_idx",
  "load_mnist",
  "load_text",
  "min_max_scale",
  "moons",
  "noisy_sine",
  "one_hot",
  "pca_whiten",
  "split",
  "standardize",
  "two_spirals",
  "xor",
]
