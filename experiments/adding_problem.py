"""The adding problem (Hochreiter & Schmidhuber 1997): simple RNN vs GRU vs LSTM at T = 100, 200.

Each input is T steps of (value ~ U(0, 1), marker), with exactly two markers; the target
is the sum of the two marked values. Always answering the mean, 1.0, gives test MSE
≈ 0.167 (2/12); a model "solves" the task with test MSE < 0.01. The only path from the
first marker to the loss is T - t steps of BPTT, so the task measures how far back the
gradient still carries information. Each model: serial(RNN(cell(H)), Dense(1)) on the
last output, trained by fnn.train.fit with Adam after clip_by_global_norm.

Headline (--json): {"T100": {"lstm": {"test_mse": ...}, "rnn": {...}, "gru": {...}},
"T200": {...}}. results.json adds the baseline, "solved", the validation curves and
the seconds per model; adding_problem.png plots the curves.
"""

import time

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._recurrent import CELLS, LABELS, clipped_adam, sequence_model
from fnn.data.sequence_tasks import adding_problem

SOLVED_MSE = 0.01


def run_length(length, args, key):
  """Trains every model at one sequence length; returns {model: results}."""
  k_train, k_val, k_test, k_fit = jax.random.split(key, 4)
  x, y = adding_problem(k_train, args.train_size, length)
  val = adding_problem(k_val, args.test_size, length)
  x_test, y_test = adding_problem(k_test, args.test_size, length)
  baseline = float(jnp.mean((1.0 - y_test) ** 2))
  out = {"baseline_mse": baseline}
  for name in args.models:
    model = sequence_model(name, args.hidden, 1)
    start = time.perf_counter()
    fit = fnn.train.fit(
      model,
      fnn.losses.mean_squared_error,
      clipped_adam(args.lr, args.clip),
      x,
      y,
      key=k_fit,
      epochs=args.epochs,
      batch_size=args.batch_size,
      validation_data=val,
      progress=not args.no_progress,
    )
    pred, _ = jax.jit(model.apply)(fit.state.params, fit.state.state, x_test)
    test_mse = float(jnp.mean((pred - y_test) ** 2))
    out[name] = {
      "test_mse": test_mse,
      "solved": test_mse < SOLVED_MSE,
      "val_mse_per_epoch": np.asarray(fit.history["val_loss"]),
      "seconds": round(time.perf_counter() - start, 1),
    }
    print(
      f"T={length} {name}: test MSE {test_mse:.4f} (baseline {baseline:.4f}) "
      f"in {out[name]['seconds']} s",
      flush=True,
    )
  return out


def plot(results, args, path):
  fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.8), squeeze=False)
  for ax, (tag, res) in zip(axes[0], results.items(), strict=True):
    steps_per_epoch = args.train_size // args.batch_size
    for name in args.models:
      curve = res[name]["val_mse_per_epoch"]
      ax.plot(steps_per_epoch * (1 + np.arange(len(curve))), curve, marker="o", label=LABELS[name])
    ax.axhline(res["baseline_mse"], color="gray", ls="--", label="always 1.0")
    ax.axhline(SOLVED_MSE, color="green", ls=":", label="solved (0.01)")
    ax.set(yscale="log", xlabel="training steps", ylabel="validation MSE", title=f"T = {tag[1:]}")
    ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)


def main(argv=None):
  parser = experiment_parser("adding_problem", __doc__)
  parser.add_argument(
    "--lengths",
    type=int,
    nargs="+",
    default=None,
    help="sequence lengths (default 100 200; --quick: 10 20)",
  )
  parser.add_argument("--models", nargs="+", choices=list(CELLS), default=list(CELLS))
  parser.add_argument("--hidden", type=int, default=None, help="units (default 64)")
  parser.add_argument("--epochs", type=int, default=None, help="epochs (default 8)")
  parser.add_argument("--train-size", type=int, default=None, help="training sequences")
  parser.add_argument("--test-size", type=int, default=None, help="validation/test sequences")
  parser.add_argument("--batch-size", type=int, default=64)
  parser.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate")
  parser.add_argument("--clip", type=float, default=1.0, help="clip_by_global_norm threshold")
  args = parser.parse_args(argv)
  quick = args.quick
  args.lengths = args.lengths or ([10, 20] if quick else [100, 200])
  args.hidden = args.hidden or (16 if quick else 64)
  args.epochs = args.epochs or (2 if quick else 8)
  args.train_size = args.train_size or (512 if quick else 12800)
  args.test_size = args.test_size or (256 if quick else 2000)
  out = output_dir(args)
  key = jax.random.key(args.seed)
  results = {f"T{t}": run_length(t, args, jax.random.fold_in(key, t)) for t in args.lengths}
  plot(results, args, out / "adding_problem.png")
  headline = {
    tag: {name: {"test_mse": round(res[name]["test_mse"], 5)} for name in args.models}
    for tag, res in results.items()
  }
  config = {
    k: getattr(args, k)
    for k in (
      "lengths",
      "models",
      "hidden",
      "epochs",
      "train_size",
      "test_size",
      "batch_size",
      "lr",
      "clip",
      "seed",
    )
  }
  return finish(args, out, {"config": config, "solved_threshold": SOLVED_MSE, **results}, headline)


if __name__ == "__main__":
  main()
