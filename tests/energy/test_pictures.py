"""fnn.energy.pictures: grid layout and PNG output."""

import matplotlib
import numpy as np
import pytest

import fnn
from fnn.energy import pictures


def test_tile_images_places_each_image_in_row_major_order():
  images = np.arange(5 * 6, dtype=float).reshape(5, 6)  # five 2x3 images
  grid = pictures.tile_images(images, (2, 3), n_cols=3, pad=1)
  assert grid.shape == (2 * 3 - 1, 3 * 4 - 1)
  np.testing.assert_array_equal(grid[0:2, 4:7], images[1].reshape(2, 3))
  np.testing.assert_array_equal(grid[3:5, 0:3], images[3].reshape(2, 3))
  assert np.isnan(grid[2]).all()
  assert np.isnan(grid[3:5, 8:11]).all()  # padding, empty slot


def test_tile_images_rejects_the_wrong_image_size():
  with pytest.raises(
    fnn.ShapeError,
    match=r"^pictures.tile_images: expected images of 64 "
    r"pixels.*got array of shape \(3, 10\)",
  ):
    pictures.tile_images(np.zeros((3, 10)), (8, 8))


def test_save_filters_writes_a_png(tmp_path):
  path = pictures.save_filters(
    tmp_path / "f.png", np.random.default_rng(0).normal(size=(64, 10)), (8, 8)
  )
  assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_image_rows_rejects_rows_of_different_lengths(tmp_path):
  with pytest.raises(
    fnn.ShapeError,
    match=r"^pictures.save_image_rows: every row needs the "
    r"same number of images",
  ):
    pictures.save_image_rows(
      tmp_path / "r.png", {"a": np.zeros((3, 4)), "b": np.zeros((2, 4))}, (2, 2)
    )
  path = pictures.save_image_rows(
    tmp_path / "r.png", {"a": np.zeros((3, 4)), "b": np.ones((3, 4))}, (2, 2)
  )
  assert path.stat().st_size > 0


def test_pictures_leave_matplotlib_global_state_alone(tmp_path, monkeypatch):
  def refuse(*args, **kwargs):
    raise AssertionError("a library must not call matplotlib.use")

  import matplotlib.pyplot as plt

  monkeypatch.setattr(matplotlib, "use", refuse)
  backend, open_figures = matplotlib.rcParams["backend"], plt.get_fignums()
  pictures.save_image_grid(tmp_path / "g.png", np.zeros((4, 4)), (2, 2), title="zeros")
  pictures.save_image_rows(tmp_path / "r.png", {"a": np.zeros((2, 4))}, (2, 2))
  pictures.save_tour(tmp_path / "t.png", np.random.default_rng(0).random((5, 2)), np.arange(5))
  assert matplotlib.rcParams["backend"] == backend
  # No figure is added to pyplot's registry (pyplot is not used at all).
  assert plt.get_fignums() == open_figures
  assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_tour_checks_shapes(tmp_path):
  with pytest.raises(
    fnn.ShapeError,
    match=r"^pictures.save_tour: expected coords \(n, 2\) and "
    r"a tour \(n,\), got shapes \(5, 2\) and \(4,\)",
  ):
    pictures.save_tour(tmp_path / "t.png", np.zeros((5, 2)), np.arange(4))


def test_save_filters_takes_the_weight_matrix_and_checks_its_rank(tmp_path):
  with pytest.raises(
    fnn.ShapeError,
    match=r"^pictures.save_filters: expected a weight matrix "
    r"\(n_visible, n_hidden\), got shape \(64,\)",
  ):
    pictures.save_filters(tmp_path / "f.png", np.zeros(64), (8, 8))
