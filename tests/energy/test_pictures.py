"""fnn.energy.pictures: grid layout and PNG output."""

import numpy as np
import pytest

from fnn.energy import pictures


def test_tile_images_places_each_image_in_row_major_order():
  images = np.arange(5 * 6, dtype=float).reshape(5, 6)  # five 2x3 images
  grid = pictures.tile_images(images, (2, 3), n_cols=3, pad=1)
  assert grid.shape == (2 * 3 - 1, 3 * 4 - 1)
  np.testing.assert_array_equal(grid[0:2, 4:7], images[1].reshape(2, 3))
  np.testing.assert_array_equal(grid[3:5, 0:3], images[3].reshape(2, 3))
  assert np.isnan(grid[2]).all() and np.isnan(grid[3:5, 8:11]).all()  # padding, empty slot


def test_tile_images_rejects_the_wrong_image_size():
  with pytest.raises(ValueError, match=r"expected images of 64 pixels.*got array of shape \(3, 10\)"):
    pictures.tile_images(np.zeros((3, 10)), (8, 8))


def test_save_filters_writes_a_png(tmp_path):
  path = pictures.save_filters(tmp_path / "f.png", np.random.default_rng(0).normal(size=(64, 10)),
                               (8, 8))
  assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_image_rows_rejects_rows_of_different_lengths(tmp_path):
  with pytest.raises(ValueError, match="every row needs the same number of images"):
    pictures.save_image_rows(tmp_path / "r.png", {"a": np.zeros((3, 4)), "b": np.zeros((2, 4))},
                             (2, 2))
  path = pictures.save_image_rows(tmp_path / "r.png", {"a": np.zeros((3, 4)), "b": np.ones((3, 4))},
                                  (2, 2))
  assert path.stat().st_size > 0
