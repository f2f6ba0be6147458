"""Image augmentations as pure, jit- and vmap-friendly functions.

Each ``random_*`` function takes ``(key, image)`` for **one** image ``(H, W)`` or
``(H, W, C)`` with values in [0, 1] and returns an image of the same shape and
dtype; the same key gives the same result. Apply them to a batch inside a jitted
step with :func:`augment_batch` (one key per image, by ``vmap``), or put the layer
:func:`Augment` first in a model. The deterministic cores (``shift``, ``rotate``,
``crop``) are exposed too.
"""

import jax
import jax.numpy as jnp
from jax.scipy import ndimage

from fnn.core import Layer, check_key, check_train


def _spatial(image):
  if image.ndim not in (2, 3):
    raise ValueError(
      f"augment: expected one image (H, W) or (H, W, C), got shape {image.shape}; "
      "use augment_batch for a batch"
    )
  return image.shape[0], image.shape[1]


def shift(image, dy, dx):
  """Moves the image content by ``(dy, dx)`` pixels (integers, may be traced); zero fill."""
  h, w = _spatial(image)
  rows = jnp.arange(h) - dy
  cols = jnp.arange(w) - dx
  valid = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]
  out = image[jnp.clip(rows, 0, h - 1)][:, jnp.clip(cols, 0, w - 1)]
  mask = valid if image.ndim == 2 else valid[..., None]
  return jnp.where(mask, out, jnp.zeros_like(out))


def rotate(image, degrees):
  """Rotates an image by an angle in degrees.

  Rotates about the centre by ``degrees`` counter-clockwise as displayed (as ``np.rot90``),
  bilinear, zero fill.
  """
  h, w = _spatial(image)
  theta = jnp.deg2rad(degrees)
  cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
  r, c = jnp.meshgrid(
    jnp.arange(h, dtype=jnp.float32), jnp.arange(w, dtype=jnp.float32), indexing="ij"
  )
  # inverse map: where in the source does output pixel (r, c) come from
  cos, sin = jnp.cos(theta), jnp.sin(theta)
  src_r = cy + cos * (r - cy) + sin * (c - cx)
  src_c = cx - sin * (r - cy) + cos * (c - cx)

  def one_channel(channel):
    return ndimage.map_coordinates(channel, [src_r, src_c], order=1, mode="constant", cval=0.0)

  if image.ndim == 2:
    return one_channel(image).astype(image.dtype)
  return jax.vmap(one_channel, in_axes=2, out_axes=2)(image).astype(image.dtype)


def crop(image, top, left, padding):
  """Zero-pads by ``padding`` on each side, then cuts the original size at ``(top, left)``."""
  _h, _w = _spatial(image)
  pad = [(padding, padding), (padding, padding)] + [(0, 0)] * (image.ndim - 2)
  padded = jnp.pad(image, pad)
  start = (top, left) + (0,) * (image.ndim - 2)
  return jax.lax.dynamic_slice(padded, start, image.shape)


def random_shift(key, image, max_shift: int = 2):
  """Shifts by integers drawn uniformly from ``[-max_shift, max_shift]`` on each axis."""
  dy, dx = jax.random.randint(key, (2,), -max_shift, max_shift + 1)
  return shift(image, dy, dx)


def random_flip(key, image):
  """Mirrors left-right with probability 1/2."""
  _spatial(image)
  return jnp.where(jax.random.bernoulli(key), image[:, ::-1], image)


def random_rotation(key, image, max_degrees: float = 10.0):
  """Rotates by an angle drawn uniformly from ``[-max_degrees, max_degrees]``."""
  return rotate(image, jax.random.uniform(key, (), minval=-max_degrees, maxval=max_degrees))


def random_crop(key, image, padding: int = 2):
  """Pads by ``padding`` and crops back to the original size at a random offset."""
  top, left = jax.random.randint(key, (2,), 0, 2 * padding + 1)
  return crop(image, top, left, padding)


def gaussian_noise(key, image, std: float = 0.05):
  """Adds N(0, std²) noise per pixel, clipped to [0, 1]."""
  noise = std * jax.random.normal(key, image.shape, image.dtype)
  return jnp.clip(image + noise, 0.0, 1.0)


def brightness(key, image, max_delta: float = 0.1):
  """Adds one offset drawn from ``[-max_delta, max_delta]`` to every pixel, clipped to [0, 1]."""
  delta = jax.random.uniform(key, (), image.dtype, -max_delta, max_delta)
  return jnp.clip(image + delta, 0.0, 1.0)


def compose(*fns):
  """Chains augmentations ``fn(key, image)``; each gets its own key (``fold_in(key, i)``)."""

  def augment(key, image):
    for i, fn in enumerate(fns):
      image = fn(jax.random.fold_in(key, i), image)
    return image

  return augment


def augment_batch(key, fn, images):
  """Applies ``fn(key, image)`` to each image of ``images (N, ...)`` with its own key.

  Args:
    key: a PRNG key, split into one key per image.
    fn: ``fn(key, image) -> image`` for one image.
    images: ``(N, H, W[, C])``.
  """
  check_key(key, "augment.augment_batch")
  return jax.vmap(fn)(jax.random.split(key, images.shape[0]), images)


def Augment(fn) -> Layer:
  """A layer that augments its input batch in training and is the identity otherwise.

  Put it first in a model (``serial(Augment(random_shift), Conv(...), ...)``) and the
  augmentation runs inside the jitted training step, with its key from ``apply``'s key.

  Args:
    fn: ``fn(key, image) -> image`` for one image, e.g. :func:`random_shift` or
      ``compose(...)``.

  Params/state: none. Input and output ``(N, H, W[, C])``.
  """
  label = getattr(fn, "__name__", type(fn).__name__)
  name = f"Augment({label})"

  def init(key, input_shape):
    check_key(key, name, allow_none=True)
    return {}, {}, tuple(input_shape)

  def apply(params, state, x, *, key=None, train=False):
    check_train(name, train)
    if not train:
      return x, state
    if key is None:
      raise ValueError(f"{name} needs key= when train=True (pass a jax.random.key to apply)")
    check_key(key, name)
    return augment_batch(key, fn, x), state

  return Layer(init, apply, name)
