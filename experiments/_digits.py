"""The shipped digits in the layouts the experiments use (fixed split of fnn.data.load_digits)."""

import jax
import jax.numpy as jnp
import numpy as np

from fnn.data import load_digits


def digits_flat(split: str):
  """``(x, y)``: float32 ``(n, 64)`` pixels in [0, 1] and int32 labels."""
  x, y = load_digits(split)
  return x.reshape(len(x), 64), y


def digits_images(split: str, size: int = 8):
  """``(x, y)``: float32 ``(n, size, size, 1)`` images (bilinear resize from 8×8) and labels."""
  x, y = load_digits(split)
  x = x[..., None]
  if size != 8:
    x = np.asarray(jax.image.resize(jnp.asarray(x), (len(x), size, size, 1), "bilinear"))
  return x.astype(np.float32), y
