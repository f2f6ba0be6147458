import jax.numpy as jnp
import numpy as np
import pytest

import fnn
from fnn.layers import LocalResponseNorm


@pytest.mark.parametrize(
  ("size", "alpha", "beta", "k"),
  [(5, 1e-4, 0.75, 1.0), (2, 0.3, 0.5, 2.0), (4, 0.1, 0.75, 1.0), (1, 1.0, 1.0, 0.5)],
)
def test_local_response_norm_matches_torch(size, alpha, beta, k):
  torch = pytest.importorskip("torch")
  x = np.random.default_rng(0).normal(size=(2, 3, 4, 7)).astype(np.float32) * 3
  y, _ = LocalResponseNorm(size, alpha, beta, k).apply({}, {}, jnp.asarray(x))
  ref = (
    torch.nn.LocalResponseNorm(size, alpha, beta, k)(
      torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
    )
    .numpy()
    .transpose(0, 2, 3, 1)
  )
  np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)


def test_local_response_norm_is_the_papers_formula_with_alpha_over_n():
  # Krizhevsky et al. (2012), section 3.3: b = a / (k + alpha Σ a²)^β over n = 5 neighbours
  # (clipped at the ends), with k = 2, alpha = 1e-4, β = 0.75: alpha = 5 · 1e-4 here.
  x = np.random.default_rng(1).normal(size=(1, 9)) * 10
  y, _ = LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0).apply({}, {}, jnp.asarray(x))
  sums = [np.sum(x[0, max(0, c - 2) : c + 3] ** 2) for c in range(9)]
  np.testing.assert_allclose(y[0], x[0] / (2 + 1e-4 * np.array(sums)) ** 0.75, rtol=1e-5)


def test_local_response_norm_checks_its_arguments_and_input():
  with pytest.raises(ValueError, match="LocalResponseNorm: size must be a positive int"):
    LocalResponseNorm(0)
  with pytest.raises(TypeError, match="LocalResponseNorm: beta must be a real number"):
    LocalResponseNorm(3, beta="0.75")
  with pytest.raises(fnn.ShapeError, match=r"LocalResponseNorm\(3.*rank >= 2"):
    LocalResponseNorm(3).init(None, (5,))
