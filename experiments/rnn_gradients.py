"""Vanishing gradients: the norm of ∂L/∂h_k against k for a simple RNN and an LSTM.

For a simple RNN h_t = tanh(x_t W_i + h_{t-1} W_h + b), BPTT gives

    ∂L/∂h_k = ∂L/∂h_T · Π_{t=k+1..T} ∂h_t/∂h_{t-1},   ∂h_t/∂h_{t-1} = diag(tanh′(a_t)) W_hᵀ,

so ‖∂L/∂h_k‖ ≤ ‖∂L/∂h_T‖ · ‖Π_{t=k+1..T} diag(tanh′(a_t)) W_hᵀ‖₂: once the factors'
norms are below 1 it shrinks geometrically. The plot shows this bound, with the
product's spectral norm computed on the actual trajectory, beside the measured norms.
The LSTM's cell state adds a path whose factor is the forget gate
(≈ σ(1) = 0.73 at init with forget bias 1, and learnable towards 1), so its gradient
survives much longer.

The task is the adding problem (see experiments/adding_problem.py) at length T; the loss
is the squared error of Dense(1) on the last output. ∂L/∂h_k is measured exactly, as the gradient
with respect to a zero perturbation added to h after step k, averaged over a batch:
at initialisation and after a short training with fnn.train.fit.

Headline (--json): {model: {phase: {"grad_norm_first": ‖∂L/∂h_1‖, "grad_norm_last":
‖∂L/∂h_T‖, "log10_first_over_last": ...}}} for model in rnn, lstm and phase in init, trained.
"""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from jax import lax

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._recurrent import CELLS, LABELS, clipped_adam, sequence_model
from fnn.data.sequence_tasks import adding_problem
from fnn.layers import SimpleRNNCell

MODELS = ("rnn", "lstm")


def _add_to_h(carry, delta):
  """Adds ``delta`` to the hidden state ``h`` of a carry (``h`` or ``(h, c)``)."""
  if isinstance(carry, tuple):
    return (carry[0] + delta,) + tuple(carry[1:])
  return carry + delta


def hidden_gradient_norms(cell, params, x, y):
  """Gradient norms of the loss with respect to each hidden state.

  ``‖∂L/∂h_k‖`` per sequence for k = 1..T, with L the squared error of ``params[1]``
  (a Dense) on h_T.

  Args:
    cell: the RNN's :class:`fnn.layers.Cell`.
    params: the ``serial(RNN, Dense)`` params ``(cell params, {'w', 'b'})``.
    x: the inputs ``(N, T, F)``.
    y: the targets ``(N, 1)``.

  Returns:
    ``(T, N)`` gradient norms.
  """
  cell_params, head = params
  n, t = x.shape[0], x.shape[1]

  def loss(deltas):
    def body(carry, step_in):
      x_t, delta_t = step_in
      carry, _ = cell.step(cell_params, carry, x_t)
      return _add_to_h(carry, delta_t), None

    carry, _ = lax.scan(body, cell.zero_carry(n), (jnp.swapaxes(x, 0, 1), deltas))
    pred = cell.output(carry) @ head["w"] + head["b"]
    # The sum over examples makes each example's ∂L/∂h_k its own per-example gradient.
    return jnp.sum((pred - y) ** 2)

  grads = jax.grad(loss)(jnp.zeros((t, n, cell.hidden_size)))
  return jnp.linalg.norm(grads, axis=-1)


def simple_rnn_jacobian_norms(params, x):
  """``‖∂h_T/∂h_k‖₂`` per sequence for k = 1..T, for ``serial(RNN(SimpleRNNCell), Dense)``.

  ``∂h_T/∂h_k = M_T ⋯ M_{k+1}`` with ``M_t = diag(1 − h_t²) W_hᵀ`` (the course's product
  of ``W_recᵀ diag(σ′)``), accumulated backwards from the identity at k = T; then
  ``‖∂L/∂h_k‖ ≤ ‖∂L/∂h_T‖ · ‖∂h_T/∂h_k‖₂``.

  Returns:
    ``(T, N)`` spectral norms (1 at k = T).
  """
  w_h = params[0]["w_h"]
  hidden = w_h.shape[0]
  _, hs = fnn.layers.rnn_scan(SimpleRNNCell(hidden), params[0], jnp.zeros((x.shape[0], hidden)), x)
  jacobians = (1.0 - jnp.swapaxes(hs, 0, 1) ** 2)[..., :, None] * w_h.T  # M_t: (T, N, H, H)

  def spectral(m):
    return jnp.linalg.norm(m, ord=2, axis=(-2, -1))

  def back(product, jacobian):  # carry P_{k+1} = ∂h_T/∂h_{k+1}; P_k = P_{k+1} M_{k+1}
    return product @ jacobian, spectral(product)

  eye = jnp.broadcast_to(jnp.eye(hidden), (x.shape[0], hidden, hidden))
  first, norms = lax.scan(back, eye, jacobians[1:][::-1])  # norms of P_T, ..., P_2
  return jnp.concatenate([spectral(first)[None], norms[::-1]], axis=0)


def summary(norms):
  first, last = float(norms[0]), float(norms[-1])
  return {
    "grad_norm_first": first,
    "grad_norm_last": last,
    "log10_first_over_last": float(np.log10(max(first, 1e-38) / last)),
  }


def main(argv=None):
  parser = experiment_parser("rnn_gradients", __doc__)
  parser.add_argument("--length", type=int, default=None, help="T (default 100; --quick 20)")
  parser.add_argument("--hidden", type=int, default=None, help="units (default 64)")
  parser.add_argument("--epochs", type=int, default=None, help="training epochs (default 3)")
  parser.add_argument("--lr", type=float, default=3e-3)
  args = parser.parse_args(argv)
  length = args.length or (20 if args.quick else 100)
  hidden = args.hidden or (16 if args.quick else 64)
  epochs = args.epochs or (1 if args.quick else 3)
  train_size = 256 if args.quick else 6400
  out = output_dir(args)
  key = jax.random.key(args.seed)
  k_data, k_probe, k_fit = jax.random.split(key, 3)
  x, y = adding_problem(k_data, train_size, length)
  x_probe, y_probe = adding_problem(k_probe, 256, length)

  results, curves = {}, {}
  for name in MODELS:
    model = sequence_model(name, hidden, 1)
    cell = CELLS[name](hidden)  # the same cell function the model's RNN scans
    params, _, _ = model.init(k_fit, (1, length, 2))
    per_seq_init = hidden_gradient_norms(cell, params, x_probe, y_probe)
    norms_init = per_seq_init.mean(axis=1)
    fit = fnn.train.fit(
      model,
      fnn.losses.mean_squared_error,
      clipped_adam(args.lr, 1.0),
      x,
      y,
      key=k_fit,
      epochs=epochs,
      batch_size=64,
      progress=not args.no_progress,
    )
    norms_trained = hidden_gradient_norms(cell, fit.state.params, x_probe, y_probe).mean(axis=1)
    curves[name] = {"init": norms_init, "trained": norms_trained}
    results[name] = {
      "init": summary(norms_init),
      "trained": summary(norms_trained),
      "train_mse_last_epoch": float(fit.history["loss"][-1]),
    }
    if name == "rnn":  # the bound from the derivation, on the trajectory at init
      jacobian_norms = simple_rnn_jacobian_norms(params, x_probe)
      curves[name]["jacobian_norm"] = jacobian_norms.mean(axis=1)
      curves[name]["bound"] = (per_seq_init[-1][None, :] * jacobian_norms).mean(axis=1)
    print(
      f"{name}: ‖∂L/∂h_1‖/‖∂L/∂h_T‖ = 10^{results[name]['init']['log10_first_over_last']:.1f}"
      f" at init, 10^{results[name]['trained']['log10_first_over_last']:.1f} trained",
      flush=True,
    )

  fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
  k = np.arange(1, length + 1)
  for ax, phase in zip(axes, ("init", "trained"), strict=True):
    for name in MODELS:
      ax.plot(k, curves[name][phase], label=LABELS[name])
    if phase == "init":
      ax.plot(
        k, curves["rnn"]["bound"], "k--", lw=1, label="RNN bound ‖∂L/∂h_T‖·‖Π diag(tanh′) W_hᵀ‖₂"
      )
    ax.set(
      yscale="log",
      xlabel="step k",
      ylabel="mean ‖∂L/∂h_k‖",
      title=f"adding problem T={length}, {phase}",
    )
    ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(out / "gradients.png", dpi=100)
  plt.close(fig)

  headline = {
    name: {
      phase: {k: float(f"{v:.4g}") for k, v in results[name][phase].items()}
      for phase in ("init", "trained")
    }
    for name in MODELS
  }
  config = {
    "length": length,
    "hidden": hidden,
    "epochs": epochs,
    "lr": args.lr,
    "train_size": train_size,
    "seed": args.seed,
  }
  curves_json = {m: {p: np.asarray(v) for p, v in c.items()} for m, c in curves.items()}
  return finish(args, out, {"config": config, "summary": results, "curves": curves_json}, headline)


if __name__ == "__main__":
  main()
