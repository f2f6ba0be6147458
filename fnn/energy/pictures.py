"""Pictures of energy models: image grids, labelled image rows and TSP tours (PNG).

The figures are built with matplotlib's object API (``matplotlib.figure.Figure``),
never through ``pyplot``, so these functions neither select a backend nor keep figures
open: a library must not change matplotlib's global state.
"""

import math

import numpy as np

from fnn.core import ShapeError


def _figure(**kwargs):
  # A Figure that is not managed by pyplot; savefig picks the Agg canvas for PNG.
  from matplotlib.figure import Figure

  return Figure(**kwargs)


def tile_images(images, image_shape, *, n_cols=None, pad=1, normalise_each=False):
  """Tiles flat images into one 2-D array.

  Args:
    images: ``(N, prod(image_shape))`` or ``(N, *image_shape)`` values.
    image_shape: ``(height, width)`` of one image.
    n_cols: images per row (default about ``sqrt(N)``).
    pad: pixels of background between images.
    normalise_each: rescale each image to [0, 1] on its own (for filters).

  Returns:
    A float array ``(rows * (h + pad) - pad, cols * (w + pad) - pad)``.
  """
  images = np.asarray(images, np.float64)
  height, width = image_shape
  if images.ndim < 2 or images[0].size != height * width:
    raise ShapeError(
      f"pictures.tile_images: expected images of {height * width} pixels for "
      f"image_shape {tuple(image_shape)}, got array of shape {images.shape}"
    )
  images = images.reshape(len(images), height, width)
  if normalise_each:
    lo = images.min(axis=(1, 2), keepdims=True)
    span = np.maximum(images.max(axis=(1, 2), keepdims=True) - lo, 1e-12)
    images = (images - lo) / span
  n = len(images)
  n_cols = n_cols or max(1, math.ceil(math.sqrt(n)))
  n_rows = math.ceil(n / n_cols)
  grid = np.full((n_rows * (height + pad) - pad, n_cols * (width + pad) - pad), np.nan)
  for i, img in enumerate(images):
    r, c = divmod(i, n_cols)
    grid[
      r * (height + pad) : r * (height + pad) + height,
      c * (width + pad) : c * (width + pad) + width,
    ] = img
  return grid


def save_image_grid(
  path, images, image_shape, *, title=None, n_cols=None, normalise_each=False, cmap="gray"
):
  """Writes :func:`tile_images` of ``images`` as a PNG at ``path``; returns ``path``."""
  grid = tile_images(images, image_shape, n_cols=n_cols, normalise_each=normalise_each)
  fig = _figure(figsize=(6, 6 * grid.shape[0] / grid.shape[1] + (0.4 if title else 0)))
  ax = fig.subplots()
  ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, interpolation="nearest")
  ax.set_axis_off()
  if title:
    ax.set_title(title)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  return path


def save_filters(path, w, image_shape, *, n_filters=64, title="learned filters"):
  """Writes the first ``n_filters`` columns of a weight matrix as images.

  Args:
    path: the PNG to write.
    w: ``(n_visible, n_hidden)`` weights, e.g. an RBM's ``params['w']``.
    image_shape: ``(height, width)`` of one column.
    n_filters: how many columns to show.
    title: the figure title.

  Returns:
    ``path``. Each image is rescaled on its own.
  """
  w = np.asarray(w)
  if w.ndim != 2:
    raise ShapeError(
      f"pictures.save_filters: expected a weight matrix (n_visible, n_hidden), got shape {w.shape}"
    )
  return save_image_grid(
    path, w[:, :n_filters].T, image_shape, title=title, normalise_each=True, cmap="RdBu_r"
  )


def save_image_rows(path, rows, image_shape, *, title=None, vmin=None, vmax=None, cmap="gray_r"):
  """Labelled rows of images (e.g. stored / probe / recall), one image per column.

  Args:
    path: the PNG to write.
    rows: ``{label: images}``, each ``(n, prod(image_shape))``; every row has ``n`` images.
    image_shape: ``(height, width)`` of one image.
    title: optional figure title.
    vmin: passed to ``imshow`` (±1 states: ``vmin=-1, vmax=1``).
    vmax: passed to ``imshow``.
    cmap: passed to ``imshow``.

  Returns:
    ``path``.
  """
  rows = {label: np.asarray(images) for label, images in rows.items()}
  lengths = {len(images) for images in rows.values()}
  if len(lengths) != 1:
    raise ShapeError(
      f"pictures.save_image_rows: every row needs the same number of images, "
      f"got { {label: len(images) for label, images in rows.items()} }"
    )
  n = lengths.pop()
  title_lines = title.count("\n") + 1 if title else 0
  fig = _figure(figsize=(max(n, 4), 1.05 * len(rows) + 0.3 * title_lines))
  axes = fig.subplots(len(rows), n, squeeze=False)
  for r, (label, images) in enumerate(rows.items()):
    for c in range(n):
      ax = axes[r, c]
      ax.imshow(images[c].reshape(image_shape), cmap=cmap, vmin=vmin, vmax=vmax)
      ax.set_xticks([])
      ax.set_yticks([])
    axes[r, 0].set_ylabel(label, fontsize=7)
  if title:
    fig.suptitle(title, fontsize=10)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  return path


def save_tour(path, coords, tour, *, title=None):
  """A closed tour through cities in the plane, as a PNG.

  Args:
    path: the PNG to write.
    coords: (n, 2) city coordinates.
    tour: (n,) city indices in visiting order.
    title: optional title (say what tour it is and how long).

  Returns:
    ``path``.
  """
  coords, tour = np.asarray(coords), np.asarray(tour)
  if coords.ndim != 2 or coords.shape[1] != 2 or tour.shape != (len(coords),):
    raise ShapeError(
      f"pictures.save_tour: expected coords (n, 2) and a tour (n,), got shapes "
      f"{coords.shape} and {tour.shape}"
    )
  fig = _figure(figsize=(5, 5))
  ax = fig.subplots()
  closed = np.append(tour, tour[0])
  ax.plot(coords[closed, 0], coords[closed, 1], "-", color="tab:blue", lw=1.2)
  ax.plot(coords[:, 0], coords[:, 1], "o", color="tab:red", ms=4)
  ax.set_title(title or "", fontsize=10)
  ax.set_aspect("equal")
  ax.set_xticks([])
  ax.set_yticks([])
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  return path
