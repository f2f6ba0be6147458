"""Finite-difference gradient checking for any scalar function of a pytree."""

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class GradcheckResult(NamedTuple):
  """The worst disagreement between ``jax.grad`` and central differences.

  Attributes:
    max_rel_error: ``|g - n| / max(|g|, |n|, floor)`` at the worst element.
    path: the pytree path of the leaf holding it, e.g. ``"['fc1']['w']"``.
    index: the element's index within that leaf.
    analytic: ``jax.grad``'s value there.
    numeric: the central difference there.
  """

  max_rel_error: float
  path: str
  # Shadows tuple.index (a NamedTuple is a tuple); the field name is public API.
  index: tuple  # type: ignore[assignment]
  analytic: float
  numeric: float


def gradcheck(
  f: Callable[[Any], Any],
  params: Any,
  *,
  eps: float = 1e-6,
  floor: float = 1e-8,
  max_elements_per_leaf: int | None = None,
  seed: int = 0,
) -> GradcheckResult:
  """Compares ``jax.grad(f)(params)`` with central finite differences, in float64.

  Every floating leaf of ``params`` is cast to float64 (inside
  ``jax.enable_x64``), and each element ``θ_i`` is perturbed:
  ``n_i = (f(θ + ε e_i) - f(θ - ε e_i)) / 2ε``. Integer leaves are left alone.

  Args:
    f: a function from ``params`` to a scalar. It is traced in float64, so
      constants it closes over are promoted.
    params: any pytree of arrays.
    eps: the finite-difference step.
    floor: the smallest denominator of the relative error, so that elements whose
      gradient is ~0 compare absolutely.
    max_elements_per_leaf: check only this many randomly chosen elements of each
      leaf (None: all of them).
    seed: chooses those elements.

  Returns:
    A :class:`GradcheckResult` for the worst element.
  """
  with jax.enable_x64(True):
    leaves, treedef = jax.tree_util.tree_flatten_with_path(params)
    paths = [jax.tree_util.keystr(p) for p, _ in leaves]
    values = [
      jnp.asarray(np.asarray(x, dtype=np.float64))
      if jnp.issubdtype(jnp.result_type(x), jnp.floating)
      else jnp.asarray(x)
      for _, x in leaves
    ]

    def flat_f(vals: list) -> Any:
      return f(jax.tree_util.tree_unflatten(treedef, vals))

    f64 = jax.jit(flat_f)
    grads = jax.jit(jax.grad(flat_f))(values)
    rng = np.random.default_rng(seed)
    worst = GradcheckResult(0.0, "", (), 0.0, 0.0)
    for li, (path, v) in enumerate(zip(paths, values, strict=True)):
      if not jnp.issubdtype(v.dtype, jnp.floating) or v.size == 0:
        continue
      flat_idx = np.arange(v.size)
      if max_elements_per_leaf is not None and v.size > max_elements_per_leaf:
        flat_idx = rng.choice(v.size, max_elements_per_leaf, replace=False)
      g = np.asarray(grads[li])
      base = np.asarray(v)
      for j in flat_idx:
        idx = np.unravel_index(j, v.shape)
        plus, minus = base.copy(), base.copy()
        plus[idx] += eps
        minus[idx] -= eps
        hi = float(f64(values[:li] + [jnp.asarray(plus)] + values[li + 1 :]))
        lo = float(f64(values[:li] + [jnp.asarray(minus)] + values[li + 1 :]))
        numeric = (hi - lo) / (2 * eps)
        analytic = float(g[idx])
        err = abs(analytic - numeric) / max(abs(analytic), abs(numeric), floor)
        if err > worst.max_rel_error or not worst.path:
          worst = GradcheckResult(err, path, tuple(int(i) for i in idx), analytic, numeric)
  return worst
