import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import ndimage as sp_ndimage

from fnn.data import augment
from fnn.data.augment import (
  augment_batch,
  brightness,
  compose,
  crop,
  gaussian_noise,
  random_crop,
  random_flip,
  random_rotation,
  random_shift,
  rotate,
  shift,
)

RANDOM = [random_shift, random_flip, random_rotation, random_crop, gaussian_noise, brightness]


def _images(n=6, shape=(8, 8)):
  return jax.random.uniform(jax.random.key(0), (n,) + shape)


@pytest.mark.parametrize("fn", RANDOM, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(8, 8), (8, 8, 3)])
def test_augmentations_keep_shape_range_and_are_deterministic_per_key(fn, shape):
  images = _images(6, shape)
  out = jax.jit(lambda k, x: augment_batch(k, fn, x))(jax.random.key(1), images)
  again = augment_batch(jax.random.key(1), fn, images)
  assert out.shape == images.shape
  assert out.dtype == images.dtype
  assert float(out.min()) >= 0.0
  assert float(out.max()) <= 1.0
  np.testing.assert_allclose(out, again, atol=1e-6)
  other = augment_batch(jax.random.key(2), fn, images)
  assert not np.allclose(out, other)


def test_shift_moves_content_and_fills_with_zeros():
  image = np.arange(1, 26, dtype=np.float32).reshape(5, 5)
  got = np.asarray(shift(jnp.asarray(image), 1, -2))
  want = np.zeros_like(image)
  want[1:, :3] = image[:4, 2:]
  np.testing.assert_array_equal(got, want)


def test_rotate_by_90_degrees_equals_rot90_and_small_angles_match_scipy():
  image = np.asarray(_images(1, (7, 7))[0])
  np.testing.assert_allclose(rotate(jnp.asarray(image), 90.0), np.rot90(image), atol=1e-5)
  ref = sp_ndimage.rotate(image, 10.0, reshape=False, order=1, mode="grid-constant", cval=0.0)
  np.testing.assert_allclose(rotate(jnp.asarray(image), 10.0), ref, atol=1e-4)


def test_crop_with_padding_equals_numpy_pad_and_slice():
  image = np.asarray(_images(1, (6, 6, 2))[0])
  padded = np.pad(image, [(2, 2), (2, 2), (0, 0)])
  np.testing.assert_array_equal(crop(jnp.asarray(image), 3, 1, 2), padded[3:9, 1:7])


def test_compose_gives_each_augmentation_its_own_key():
  images = _images()
  both = compose(random_flip, gaussian_noise)
  key = jax.random.key(3)
  want = jax.vmap(
    lambda k, x: gaussian_noise(jax.random.fold_in(k, 1), random_flip(jax.random.fold_in(k, 0), x))
  )(jax.random.split(key, 6), images)
  np.testing.assert_allclose(augment_batch(key, both, images), want)


def test_augmentation_of_a_batch_without_vmap_is_an_error():
  with pytest.raises(
    ValueError,
    match=r"expected one image \(H, W\) or \(H, W, C\), got shape "
    r"\(2, 8, 8, 1\); use augment_batch",
  ):
    random_flip(jax.random.key(0), jnp.zeros((2, 8, 8, 1)))


def test_augment_layer_augments_only_in_training_and_needs_a_key():
  images = _images(4, (8, 8, 1))
  layer = augment.Augment(random_shift)
  params, state, shape = layer.init(jax.random.key(0), images.shape)
  assert shape == images.shape
  np.testing.assert_array_equal(layer.apply(params, state, images)[0], images)
  got, _ = layer.apply(params, state, images, key=jax.random.key(5), train=True)
  np.testing.assert_array_equal(got, augment_batch(jax.random.key(5), random_shift, images))
  with pytest.raises(ValueError, match=r"Augment\(random_shift\) needs key= when train=True"):
    layer.apply(params, state, images, train=True)
