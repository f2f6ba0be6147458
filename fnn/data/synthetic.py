"""Small synthetic datasets for teaching and tests: XOR, two spirals, moons, noisy sine.

Each function takes an explicit PRNG ``key`` (where there is randomness) and returns
numpy arrays ``(x, y)``: ``x`` float32 ``(n, features)``, ``y`` int32 class labels
``(n,)`` (or float32 targets ``(n, 1)`` for regression).
"""

import jax
import numpy as np


def _normal(key, shape):
  return np.asarray(jax.random.normal(key, shape), np.float32)


def xor(n_per_corner: int = 0, noise: float = 0.0, *, key=None):
  """The XOR problem: label 1 where exactly one coordinate is 1.

  Args:
    n_per_corner: 0 for the four corners themselves; otherwise this many points
      per corner, each corner plus Gaussian noise of std ``noise``.
    noise: standard deviation of the noise (needs ``key`` when > 0).
    key: a PRNG key.

  Returns:
    ``x`` float32 ``(4,)`` corners ``(4, 2)`` (or ``(4 * n_per_corner, 2)``) and
    ``y`` int32 ``(4,)`` (or ``(4 * n_per_corner,)``), corners in the order
    (0,0), (0,1), (1,0), (1,1).
  """
  corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
  labels = np.array([0, 1, 1, 0], np.int32)
  if n_per_corner == 0:
    return corners, labels
  if not isinstance(n_per_corner, int) or n_per_corner < 0:
    raise ValueError(f"xor: n_per_corner must be a non-negative int, got {n_per_corner!r}")
  x = np.repeat(corners, n_per_corner, axis=0)
  if noise > 0:
    if key is None:
      raise ValueError("xor: noise > 0 needs key=")
    x = x + noise * _normal(key, x.shape)
  return x, np.repeat(labels, n_per_corner)


def two_spirals(n_per_class: int = 200, noise: float = 0.0, *, turns: float = 1.5, key=None):
  """Two interleaved Archimedean spirals, one per class.

  Point ``i`` of class 0 is at angle ``t = turns * 2π * (i / n)`` and radius
  ``t / (turns * 2π)`` (so radii lie in [0, 1)); class 1 is class 0 rotated by π.

  Returns:
    ``x`` float32 ``(2 * n_per_class, 2)``, ``y`` int32 ``(2 * n_per_class,)``.
  """
  if not isinstance(n_per_class, int) or n_per_class < 1:
    raise ValueError(f"two_spirals: n_per_class must be a positive int, got {n_per_class!r}")
  t = turns * 2 * np.pi * np.arange(n_per_class) / n_per_class
  r = t / (turns * 2 * np.pi)
  arm = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
  x = np.concatenate([arm, -arm]).astype(np.float32)
  if noise > 0:
    if key is None:
      raise ValueError("two_spirals: noise > 0 needs key=")
    x = x + noise * _normal(key, x.shape)
  return x, np.repeat(np.array([0, 1], np.int32), n_per_class)


def moons(n: int = 200, noise: float = 0.0, *, key=None):
  """Two interleaving half circles (as scikit-learn's ``make_moons``, unshuffled).

  Class 0 is the upper half circle of radius 1 centred at (0, 0), class 1 the lower
  one centred at (1, 0.5) - shifted; ``n // 2`` points in class 0 and the rest in 1.

  Returns:
    ``x`` float32 ``(n, 2)``, ``y`` int32 ``(n,)``.
  """
  if not isinstance(n, int) or n < 2:
    raise ValueError(f"moons: n must be an int >= 2, got {n!r}")
  n_out, n_in = n // 2, n - n // 2
  t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
  outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
  inner = np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], axis=1)
  x = np.concatenate([outer, inner]).astype(np.float32)
  if noise > 0:
    if key is None:
      raise ValueError("moons: noise > 0 needs key=")
    x = x + noise * _normal(key, x.shape)
  return x, np.concatenate([np.zeros(n_out, np.int32), np.ones(n_in, np.int32)])


def noisy_sine(
  n: int = 100, noise: float = 0.1, *, key=None, low: float = 0.0, high: float = 2 * np.pi
):
  """Regression data ``y = sin(x) + noise * N(0, 1)`` on evenly spaced ``x`` in [low, high].

  Returns:
    ``x`` float32 ``(n, 1)``, ``y`` float32 ``(n, 1)``.
  """
  if not isinstance(n, int) or n < 1:
    raise ValueError(f"noisy_sine: n must be a positive int, got {n!r}")
  x = np.linspace(low, high, n, dtype=np.float32)[:, None]
  y = np.sin(x)
  if noise > 0:
    if key is None:
      raise ValueError("noisy_sine: noise > 0 needs key=")
    y = y + noise * _normal(key, y.shape)
  return x, y.astype(np.float32)
