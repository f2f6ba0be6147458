"""Suite-wide settings and shared fixtures.

Precision. On GPUs and TPUs a float32 matrix product or convolution runs by default
with reduced-precision operands (TF32 on NVIDIA GPUs since Ampere, about 1e-3
relative error; bfloat16 passes on TPUs). Tests that compare fnn with an independent
float32/float64 reference (numpy, PyTorch, flax, scikit-learn, exact enumeration)
would then measure the backend's default, not fnn. So the whole suite runs with
``jax_default_matmul_precision = "highest"``, set once in :func:`pytest_configure`
rather than by a fixture: module-level code and module-scoped fixtures (which build
and run models before any function-scoped fixture) are covered too, and the setting
holds in every pytest-xdist worker. A test that is about the backend's default
precision opts out with ``@pytest.mark.backend_precision``.

Tolerances come from the dtype: the ``assert_close`` fixture compares in units of the
dtype's machine epsilon, scaled by the reference's magnitude (an element's rounding
error is relative to the operands it came from, not to its own value when it is a
small difference of large terms). See docs/precision.md.
"""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")

# Default error budget, in epsilons of the compared dtype, of a result checked
# against a higher-precision reference. float32/float64: the tests' reductions run
# over up to ~10^3 terms (rounding error ~ sqrt(K) eps) and chain exp/log/tanh, a few
# ulps each. bfloat16/float16 are what fnn.mixed_precision computes in: products
# accumulate in float32, so the error is the one rounding of inputs, parameters and
# each layer's output, a few epsilons over a small network.
REFERENCE_ULPS = {"float64": 128, "float32": 128, "float16": 16, "bfloat16": 8}
# vmap against a loop, one kernel against its batched twin: the same arithmetic in
# another order (a batched reduction, a batched QR), so a few ulps.
REORDER_ULPS = 4


def pytest_configure(config):
  config.addinivalue_line(
    "markers",
    "backend_precision: run at the backend's default matmul precision "
    "(TF32 on recent NVIDIA GPUs) instead of the suite's 'highest'",
  )
  jax.config.update("jax_default_matmul_precision", "highest")


@pytest.fixture(autouse=True)
def _backend_precision_opt_out(request):
  if request.node.get_closest_marker("backend_precision") is None:
    yield
  else:
    with jax.default_matmul_precision(None):
      yield


def tolerance(dtype, *, ulps=None, scale=1.0) -> dict:
  """``{'rtol', 'atol'}`` for ``np.testing.assert_allclose`` on a result in ``dtype``.

  Args:
    dtype: the dtype the compared result was computed in.
    ulps: the budget in epsilons of ``dtype``; default ``REFERENCE_ULPS[dtype]``.
    scale: the magnitude of the compared values (e.g. ``max |desired|``); ``atol`` is
      ``ulps · eps · scale``.
  """
  dtype = np.dtype(dtype)
  n = REFERENCE_ULPS[dtype.name] if ulps is None else ulps
  eps = float(jnp.finfo(dtype).eps)
  return {"rtol": n * eps, "atol": n * eps * float(scale)}


def _least_precise(*arrays) -> np.dtype:
  """The floating dtype with the largest epsilon among ``arrays`` (float32 if none is)."""
  floats = [np.asarray(a).dtype for a in arrays]
  floats = [d for d in floats if jnp.issubdtype(d, jnp.floating)] or [np.dtype(np.float32)]
  return max(floats, key=lambda d: float(jnp.finfo(d).eps))


def _assert_leaf_close(actual, desired, dtype, ulps, err_msg):
  a = np.asarray(actual).astype(np.float64)
  d = np.asarray(desired).astype(np.float64)
  scale = float(np.max(np.abs(d))) if d.size else 0.0
  dtype = _least_precise(actual, desired) if dtype is None else dtype
  np.testing.assert_allclose(a, d, **tolerance(dtype, ulps=ulps, scale=scale), err_msg=err_msg)


@pytest.fixture(scope="session")
def assert_close():
  """``assert_close(actual, desired, *, dtype=None, ulps=None, reordered=False, err_msg='')``.

  An allclose whose tolerance comes from the dtype, leaf by leaf on matching pytrees:
  with ``eps`` the epsilon of ``dtype`` (default: the less precise of the two
  arrays' dtypes; pass it when a float32 result comes back as float64, e.g. from a
  scikit-learn-style method) and ``n = ulps`` (default ``REFERENCE_ULPS[dtype]``),
  every element must satisfy ``|a - d| <= n · eps · (|d| + max |d|)``. Pass
  ``reordered=True`` for the same computation in another order (vmap vs a loop):
  ``n = REORDER_ULPS``.
  """

  def check(actual, desired, *, dtype=None, ulps=None, reordered=False, err_msg=""):
    if reordered:
      ulps = REORDER_ULPS
    leaves_a, tree_a = jax.tree.flatten(actual)
    leaves_d, tree_d = jax.tree.flatten(desired)
    assert tree_a == tree_d, f"pytree structures differ: {tree_a} vs {tree_d}"
    for a, d in zip(leaves_a, leaves_d, strict=True):
      _assert_leaf_close(a, d, dtype, ulps, err_msg)

  return check


@pytest.fixture(scope="session")
def shared_data():
  """Path to ../shared/data, or skip the test when it is not there."""
  path = os.path.abspath(SHARED_DATA)
  if not os.path.isdir(path):
    pytest.skip("../shared/data is not present")
  return path
