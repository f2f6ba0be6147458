"""Optimizers: paths on f(x, y) = x²/20 + y², and learning curves on the digits.

1. SGD, momentum, AdaGrad, RMSProp and Adam (optax, as they are) minimise
   f(x, y) = x²/20 + y² from (-7, 2) for 30 steps (one figure). The function is 20 times
   steeper in y than in x: SGD zig-zags in y and crawls in x, momentum overshoots and
   swings, the adaptive methods rescale each coordinate.
2. A 64-32-10 ReLU MLP on the digits trained with each optimizer, and with SGD under
   learning rates 0.3 / 0.05 / 0.01 (training loss per epoch).
"""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._digits import digits_flat
from fnn.train import fit

# Learning rates for the 2-D paths (as in Saitoh, "Deep Learning from Scratch", ch. 6).
PATH_OPTIMIZERS = {
  "SGD": optax.sgd(0.95),
  "Momentum": optax.sgd(0.1, momentum=0.9),
  "AdaGrad": optax.adagrad(1.5),
  "RMSProp": optax.rmsprop(0.2),
  "Adam": optax.adam(0.3),
}
NET_OPTIMIZERS = {
  "SGD": optax.sgd(0.05),
  "Momentum": optax.sgd(0.05, momentum=0.9),
  "AdaGrad": optax.adagrad(0.05),
  "RMSProp": optax.rmsprop(1e-3),
  "Adam": optax.adam(1e-3),
}
SGD_RATES = (0.3, 0.05, 0.01)


def bowl(p):
  return p[0] ** 2 / 20.0 + p[1] ** 2


def optimizer_path(opt, steps, start=(-7.0, 2.0)):
  """The ``(steps + 1, 2)`` points visited by ``opt`` on :func:`bowl` (one ``lax.scan``)."""
  p0 = jnp.array(start)

  def step(carry, _):
    p, state = carry
    updates, state = opt.update(jax.grad(bowl)(p), state, p)
    p = optax.apply_updates(p, updates)
    return (p, state), p

  _, path = jax.lax.scan(step, (p0, opt.init(p0)), None, length=steps)
  return np.concatenate([np.asarray(p0)[None], np.asarray(path)])


def main(argv=None):
  parser = experiment_parser("optimizers", __doc__)
  parser.add_argument("--epochs", type=int, default=30)
  args = parser.parse_args(argv)
  out = output_dir(args)
  paths = {name: optimizer_path(opt, 30) for name, opt in PATH_OPTIMIZERS.items()}
  fig, axes = plt.subplots(1, len(paths), figsize=(4 * len(paths), 3.4))
  gx, gy = np.meshgrid(np.linspace(-10, 10, 200), np.linspace(-5, 5, 200))
  for ax, (name, path) in zip(axes, paths.items(), strict=True):
    ax.contour(gx, gy, gx**2 / 20 + gy**2, levels=20, colors="0.8")
    ax.plot(path[:, 0], path[:, 1], "o-", color="tab:red", markersize=3)
    ax.plot(0, 0, "+", color="k", markersize=12)
    ax.set(title=name, xlim=(-10, 10), ylim=(-5, 5), xlabel="x", ylabel="y")
  fig.tight_layout()
  fig.savefig(out / "optimizer_paths.png", dpi=100)
  plt.close(fig)
  final_distance = {k: float(np.linalg.norm(p[-1])) for k, p in paths.items()}

  x, y = digits_flat("train")
  epochs = 3 if args.quick else args.epochs
  if args.quick:
    x, y = x[:256], y[:256]
  model = fnn.models.mlp(64, [32], 10)
  loss = fnn.losses.softmax_cross_entropy
  curves = {}
  runs = {**NET_OPTIMIZERS, **{f"SGD lr={lr}": optax.sgd(lr) for lr in SGD_RATES if lr != 0.05}}
  if args.quick:  # the learning-rate comparison and Adam only
    runs = {k: v for k, v in runs.items() if k.startswith("SGD") or k == "Adam"}
  for name, opt in runs.items():
    result = fit(
      model,
      loss,
      opt,
      x,
      y,
      key=jax.random.key(args.seed),
      epochs=epochs,
      batch_size=32,
      progress=not args.no_progress,
    )
    curves[name] = result.history["loss"]
  curves["SGD lr=0.05"] = curves["SGD"]  # NET_OPTIMIZERS["SGD"] is SGD at 0.05
  fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
  for name in NET_OPTIMIZERS:
    if name in curves:
      ax[0].plot(curves[name], label=name)
  for lr in SGD_RATES:
    ax[1].plot(curves[f"SGD lr={lr}"], label=f"lr = {lr}")
  ax[0].set(
    title="64-32-10 MLP on digits, per optimizer",
    xlabel="epoch",
    ylabel="training loss",
    yscale="log",
  )
  ax[1].set(title="SGD, per learning rate", xlabel="epoch", ylabel="training loss", yscale="log")
  ax[0].legend()
  ax[1].legend()
  fig.tight_layout()
  fig.savefig(out / "learning_curves.png", dpi=100)
  plt.close(fig)
  final_loss = {k: float(v[-1]) for k, v in curves.items()}
  headline = {"path_final_distance": final_distance, "final_train_loss": final_loss}
  return finish(
    args, out, {**headline, "paths": paths, "curves": curves, "epochs": epochs}, headline
  )


if __name__ == "__main__":
  main()
