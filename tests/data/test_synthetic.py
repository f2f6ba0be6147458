import jax
import numpy as np
import pytest
from sklearn.datasets import make_moons

from fnn.data import moons, noisy_sine, two_spirals, xor


def test_xor_corners_and_labels_are_the_truth_table():
  x, y = xor()
  np.testing.assert_array_equal(y, np.logical_xor(x[:, 0], x[:, 1]).astype(np.int32))
  xn, yn = xor(10, 0.1, key=jax.random.key(0))
  assert xn.shape == (40, 2)
  assert yn.shape == (40,)
  assert np.abs(xn - np.repeat(x, 10, axis=0)).max() < 0.6


def test_moons_without_noise_equal_scikit_learn_make_moons():
  x, y = moons(101)
  ref_x, ref_y = make_moons(101, shuffle=False, noise=0.0)
  np.testing.assert_allclose(x, ref_x, atol=1e-6)
  np.testing.assert_array_equal(y, ref_y)


def test_two_spirals_are_point_reflections_of_each_other():
  x, y = two_spirals(50)
  np.testing.assert_allclose(x[y == 1], -x[y == 0])
  assert np.linalg.norm(x, axis=1).max() < 1.0


def test_noisy_sine_noise_has_the_requested_spread():
  x, y = noisy_sine(20000, 0.2, key=jax.random.key(0))
  assert abs(np.std(y - np.sin(x)) - 0.2) < 0.005


def test_noise_without_a_key_is_an_error():
  with pytest.raises(ValueError, match="noise > 0 needs key="):
    moons(10, 0.1)


def test_digit_prototypes_are_the_binarised_class_means():
  from fnn.data import digit_prototypes, load_digits

  x = digit_prototypes()
  images, labels = load_digits("train")
  assert x.shape == (10, 64)
  assert set(np.unique(x)) == {-1, 1}
  for c in (0, 7):
    np.testing.assert_array_equal(x[c] == 1, images[labels == c].mean(0).ravel() > 0.5)
