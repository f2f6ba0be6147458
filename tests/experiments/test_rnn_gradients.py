import json

import jax
import jax.numpy as jnp
import numpy as np

from experiments import rnn_gradients
from fnn.layers import Dense, SimpleRNNCell


def test_hidden_gradient_norms_match_a_finite_difference_on_h_k():
  cell, head = SimpleRNNCell(4), Dense(1)
  params = (cell.init(jax.random.key(0), 2), head.init(jax.random.key(1), (1, 4))[0])
  x = jax.random.normal(jax.random.key(2), (1, 6, 2))
  y = jnp.ones((1, 1))
  norms = rnn_gradients.hidden_gradient_norms(cell, params, x, y)

  def loss_with_h2_shifted(delta):  # run by hand, adding delta to h after step k = 2
    h = jnp.zeros((1, 4))
    for t in range(6):
      h, _ = cell.step(params[0], h, x[:, t])
      h = h + delta if t == 2 else h
    return float(jnp.sum((h @ params[1]["w"] + params[1]["b"] - y) ** 2))

  eps, fd = 1e-3, []
  for i in range(4):
    e = np.zeros(4, np.float32)
    e[i] = eps
    fd.append((loss_with_h2_shifted(e) - loss_with_h2_shifted(-e)) / (2 * eps))
  np.testing.assert_allclose(norms[2, 0], np.linalg.norm(fd), rtol=2e-2)


def test_quick_run_simple_rnn_gradients_stay_under_the_derived_bound(tmp_path):
  headline = rnn_gradients.main(["--quick", "--no-progress", "--out", str(tmp_path)])
  assert set(headline) == {"rnn", "lstm"}
  curves = json.loads((tmp_path / "results.json").read_text())["curves"]["rnn"]
  # ‖∂L/∂h_k‖ ≤ ‖∂L/∂h_T‖ · ‖Π diag(tanh′) W_hᵀ‖₂, the product on the same trajectory.
  assert np.all(np.asarray(curves["init"]) <= np.asarray(curves["bound"]) * (1 + 1e-4))
  assert curves["jacobian_norm"][-1] == 1.0
  assert curves["jacobian_norm"][0] < 1.0
  assert headline["rnn"]["init"]["grad_norm_first"] < headline["rnn"]["init"]["grad_norm_last"]
  assert (tmp_path / "gradients.png").stat().st_size > 0
