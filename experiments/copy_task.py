"""The copy task: remember a few symbols across a delay; answer accuracy against the delay.

Input: ``length`` random symbols (of ``symbols``), ``delay - 1`` blanks, a "go" marker,
then blanks while the network must write the symbols back in order (see
fnn.data.sequence_tasks.copy_task). Each model, serial(RNN(cell(H)), Dense) read out at
every step, is trained by fnn.train.fit on the per-step cross-entropy; the figure of
merit is the accuracy on the answer steps only, where chance is 1/symbols. A longer
delay means a longer BPTT path between reading a symbol and being asked for it.

Headline (--json): {model: {"delay_<d>": answer accuracy on the test set}}.
"""

import time

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._recurrent import CELLS, LABELS, clipped_adam, sequence_model
from fnn.data.sequence_tasks import copy_task
from fnn.losses import per_step_cross_entropy


def answer_accuracy(length):
  """Accuracy over the last ``length`` steps (the answer) of logits ``(N, T, K)``."""

  def metric(logits, labels):
    return jnp.mean(jnp.argmax(logits[:, -length:], axis=-1) == labels[:, -length:])

  return metric


def main(argv=None):
  parser = experiment_parser("copy_task", __doc__)
  parser.add_argument(
    "--delays", type=int, nargs="+", default=None, help="delays (default 10 20 40; --quick 2 5)"
  )
  parser.add_argument(
    "--models",
    nargs="+",
    choices=list(CELLS),
    default=None,
    help="default rnn gru lstm (--quick: lstm)",
  )
  parser.add_argument("--length", type=int, default=5, help="symbols to remember")
  parser.add_argument("--symbols", type=int, default=8, help="alphabet size")
  parser.add_argument("--hidden", type=int, default=None, help="units (default 64)")
  parser.add_argument("--epochs", type=int, default=None, help="epochs (default 30)")
  parser.add_argument("--lr", type=float, default=3e-3)
  args = parser.parse_args(argv)
  delays = args.delays or ([2, 5] if args.quick else [10, 20, 40])
  models = args.models or (["lstm"] if args.quick else list(CELLS))
  hidden = args.hidden or (16 if args.quick else 64)
  epochs = args.epochs or (2 if args.quick else 30)
  train_size, test_size = (256, 128) if args.quick else (6400, 1000)
  out = output_dir(args)
  key = jax.random.key(args.seed)
  metric = answer_accuracy(args.length)

  results = {name: {} for name in models}
  for delay in delays:
    k_train, k_test, k_fit = jax.random.split(jax.random.fold_in(key, delay), 3)
    x, y = copy_task(k_train, train_size, delay, length=args.length, symbols=args.symbols)
    x_test, y_test = copy_task(k_test, test_size, delay, length=args.length, symbols=args.symbols)
    for name in models:
      model = sequence_model(name, hidden, args.symbols + 1, return_sequences=True)
      start = time.perf_counter()
      fit = fnn.train.fit(
        model,
        per_step_cross_entropy,
        clipped_adam(args.lr, 1.0),
        x,
        y,
        key=k_fit,
        epochs=epochs,
        batch_size=64,
        progress=not args.no_progress,
      )
      logits, _ = jax.jit(model.apply)(fit.state.params, fit.state.state, x_test)
      acc = float(metric(logits, y_test))
      results[name][f"delay_{delay}"] = {
        "answer_accuracy": acc,
        "seconds": round(time.perf_counter() - start, 1),
        "train_loss_per_epoch": np.asarray(fit.history["loss"]),
      }
      print(
        f"delay {delay} {name}: answer accuracy {acc:.3f} (chance {1 / args.symbols:.3f})",
        flush=True,
      )

  fig, ax = plt.subplots(figsize=(5.5, 3.8))
  for name in models:
    ax.plot(
      delays,
      [results[name][f"delay_{d}"]["answer_accuracy"] for d in delays],
      marker="o",
      label=LABELS[name],
    )
  ax.axhline(1 / args.symbols, color="gray", ls="--", label="chance")
  ax.set(
    xlabel="delay (steps)",
    ylabel="answer accuracy (test)",
    ylim=(0, 1.05),
    title=f"copy {args.length} of {args.symbols} symbols",
  )
  ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(out / "copy_task.png", dpi=100)
  plt.close(fig)

  headline = {
    name: {d: round(r["answer_accuracy"], 4) for d, r in res.items()}
    for name, res in results.items()
  }
  config = {
    "delays": delays,
    "models": models,
    "length": args.length,
    "symbols": args.symbols,
    "hidden": hidden,
    "epochs": epochs,
    "lr": args.lr,
    "train_size": train_size,
    "test_size": test_size,
    "seed": args.seed,
    "chance": 1 / args.symbols,
  }
  return finish(args, out, {"config": config, **results}, headline)


if __name__ == "__main__":
  main()
