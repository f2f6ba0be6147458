"""Pictures of energy models: image grids of samples and of learned filters (PNG, Agg)."""

import math

import numpy as np


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
    raise ValueError(f"tile_images: expected images of {height * width} pixels for "
                     f"image_shape {tuple(image_shape)}, got array of shape {images.shape}")
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
    grid[r * (height + pad):r * (height + pad) + height,
         c * (width + pad):c * (width + pad) + width] = img
  return grid


def save_image_grid(path, images, image_shape, *, title=None, n_cols=None,
                    normalise_each=False, cmap="gray"):
  """Writes :func:`tile_images` of ``images`` as a PNG at ``path``; returns ``path``."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  grid = tile_images(images, image_shape, n_cols=n_cols, normalise_each=normalise_each)
  fig, ax = plt.subplots(figsize=(6, 6 * grid.shape[0] / grid.shape[1] + (0.4 if title else 0)))
  ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, interpolation="nearest")
  ax.set_axis_off()
  if title:
    ax.set_title(title)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)
  return path


def save_filters(path, W, image_shape, *, n_filters=64, title="learned filters"):
  """The first ``n_filters`` columns of ``W (n_visible, n_hidden)`` as images, each
  rescaled on its own; returns ``path``."""
  W = np.asarray(W)
  return save_image_grid(path, W[:, :n_filters].T, image_shape, title=title,
                         normalise_each=True, cmap="RdBu_r")


def save_image_rows(path, rows, image_shape, *, title=None, vmin=None, vmax=None,
                    cmap="gray_r"):
  """Labelled rows of images (e.g. stored / probe / recall), one image per column.

  Args:
    path: the PNG to write.
    rows: ``{label: images}``, each ``(n, prod(image_shape))``; every row has ``n`` images.
    image_shape: ``(height, width)`` of one image.
    title: optional figure title.
    vmin, vmax, cmap: passed to ``imshow`` (±1 states: ``vmin=-1, vmax=1``).

  Returns:
    ``path``.
  """
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  rows = {label: np.asarray(images) for label, images in rows.items()}
  n = {len(images) for images in rows.values()}
  if len(n) != 1:
    raise ValueError(f"save_image_rows: every row needs the same number of images, got "
                     f"{ {label: len(images) for label, images in rows.items()} }")
  n = n.pop()
  fig, axes = plt.subplots(len(rows), n, figsize=(n, 1.05 * len(rows) + (0.3 if title else 0)),
                           squeeze=False)
  for r, (label, images) in enumerate(rows.items()):
    for c in range(n):
      ax = axes[r, c]
      ax.imshow(images[c].reshape(image_shape), cmap=cmap, vmin=vmin, vmax=vmax)
      ax.set_xticks([]); ax.set_yticks([])
    axes[r, 0].set_ylabel(label, fontsize=7)
  if title:
    fig.suptitle(title)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)
  return path
