"""Regularisation: none vs L2 vs AdamW weight decay vs dropout vs early stopping.

A 64-256-256-10 MLP trained with Adam on only 300 training digits overfits: its training
loss goes to zero while the validation loss (300 other training-split digits) turns up.
Variants: no regularisation; an L2 penalty λ·½Σw² in the loss (λ = 1e-4, 1e-3, 1e-2);
AdamW's decoupled weight decay (0.1, 1.0; optax multiplies it by the learning rate);
dropout after each hidden layer (0.1, 0.5, 0.9; 0 is the baseline); early stopping
(patience 10 on the validation loss, restoring the best epoch). Reported per variant: the
epoch where the validation loss is lowest, the final validation loss, and the test
accuracy (the fixed 360-digit test split, used for nothing else).
"""

import jax
import matplotlib.pyplot as plt
import numpy as np
import optax

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._digits import digits_flat
from fnn.train import eval_step, evaluate, fit

LR = 1e-3


def variants():
  """``{name: (dropout, optimizer, penalty, patience)}``."""
  adam = optax.adam(LR)
  out = {"none": (0.0, adam, None, None)}
  for lam in (1e-4, 1e-3, 1e-2):
    out[f"L2 {lam:g}"] = (0.0, adam, lambda p, lam=lam: lam * fnn.losses.l2_penalty(p), None)
  for wd in (0.1, 1.0):
    out[f"AdamW {wd:g}"] = (0.0, optax.adamw(LR, weight_decay=wd), None, None)
  for rate in (0.1, 0.5, 0.9):
    out[f"dropout {rate:g}"] = (rate, adam, None, None)
  out["early stopping"] = (0.0, adam, None, 10)
  return out


def main(argv=None):
  parser = experiment_parser("regularization", __doc__)
  parser.add_argument("--epochs", type=int, default=200)
  parser.add_argument("--train-size", type=int, default=300)
  args = parser.parse_args(argv)
  out = output_dir(args)
  x, y = digits_flat("train")
  val = 300 / len(y)
  (x_rest, y_rest), (x_val, y_val) = fnn.data.split(x, y, fractions=(1 - val, val), seed=args.seed)
  x_train, y_train = x_rest[: args.train_size], y_rest[: args.train_size]
  x_test, y_test = digits_flat("test")
  epochs = 4 if args.quick else args.epochs
  loss = fnn.losses.softmax_cross_entropy
  chosen = variants()
  if args.quick:
    chosen = {
      k: chosen[k] for k in ("none", "L2 0.001", "AdamW 0.1", "dropout 0.5", "early stopping")
    }
  histories, summary = {}, {}
  for name, (rate, opt, penalty, patience) in chosen.items():
    model = fnn.models.mlp(64, [256, 256], 10, dropout=rate)
    result = fit(
      model,
      loss,
      opt,
      x_train,
      y_train,
      key=jax.random.key(args.seed),
      epochs=epochs,
      batch_size=32,
      penalty=penalty,
      patience=patience,
      validation_data=(x_val, y_val),
      metrics={"accuracy": fnn.metrics.accuracy},
      progress=not args.no_progress,
    )
    h = result.history
    test = evaluate(
      eval_step(model, loss, metrics={"accuracy": fnn.metrics.accuracy}),
      result.state.params,
      result.state.state,
      x_test,
      y_test,
    )
    histories[name] = {k: h[k] for k in ("loss", "val_loss")}
    summary[name] = {
      "min_val_loss_epoch": int(np.argmin(h["val_loss"])),
      "min_val_loss": float(h["val_loss"].min()),
      "final_val_loss": float(h["val_loss"][-1]),
      "epochs_run": len(h["val_loss"]),
      "test_accuracy": test["accuracy"],
    }
  print("| variant | lowest val loss at epoch | lowest val loss | final val loss | test accuracy |")
  print("| --- | --- | --- | --- | --- |")
  for name, s in summary.items():
    print(
      f"| {name} | {s['min_val_loss_epoch']} | {s['min_val_loss']:.3f} | "
      f"{s['final_val_loss']:.3f} | {s['test_accuracy']:.3f} |"
    )

  groups = [
    ("L2", [k for k in chosen if k.startswith("L2")]),
    ("AdamW", [k for k in chosen if k.startswith("AdamW")]),
    ("dropout", [k for k in chosen if k.startswith("dropout")]),
    ("early stopping", ["early stopping"]),
  ]
  fig, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups), 3.6), sharey=True)
  for ax, (title, names) in zip(axes, groups, strict=True):
    for i, name in enumerate(["none"] + names):
      color = f"C{i}"
      ax.plot(histories[name]["loss"], color=color, ls="--", lw=1)
      ax.plot(histories[name]["val_loss"], color=color, label=name)
    ax.set(title=f"{title} (dashed: train)", xlabel="epoch", yscale="log")
    ax.legend(fontsize=8)
  axes[0].set(ylabel="cross-entropy")
  fig.tight_layout()
  fig.savefig(out / "regularization.png", dpi=100)
  plt.close(fig)
  headline = {
    name: {
      "min_val_loss_epoch": s["min_val_loss_epoch"],
      "final_val_loss": round(s["final_val_loss"], 4),
      "test_accuracy": round(s["test_accuracy"], 4),
    }
    for name, s in summary.items()
  }
  return finish(
    args,
    out,
    {"summary": summary, "histories": histories, "epochs": epochs, "train_size": len(y_train)},
    headline,
  )


if __name__ == "__main__":
  main()
