"""Random search over learning rate and weight decay, candidates trained together under vmap.

Each round draws K (learning rate, weight decay) pairs log-uniformly from the current
ranges and trains K copies of a 64-128-10 MLP with AdamW at once: one
``fnn.train.vmap_fit`` with ``hyperparams={"learning_rate": ..., "weight_decay": ...}``
(the optimizer is built with ``optax.inject_hyperparams``), which also evaluates each
candidate on the validation data after every epoch. Candidates are
ranked by validation loss (20% of the training split held out); the next round's ranges
shrink to the span of the best quarter (widened by 1.5× each way, kept inside the first
ranges). The chosen candidate is the best on validation data over all rounds; the test
split is evaluated once, for that candidate only.
"""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._digits import digits_flat
from fnn.train import eval_step, vmap_fit

LR_RANGE = (1e-4, 1.0)
WD_RANGE = (1e-5, 1.0)


def sample(key, k, lr_range, wd_range):
  u = jax.random.uniform(key, (2, k))
  lo = jnp.log(jnp.array([lr_range[0], wd_range[0]]))[:, None]
  hi = jnp.log(jnp.array([lr_range[1], wd_range[1]]))[:, None]
  lr, wd = jnp.exp(lo + u * (hi - lo))
  return lr, wd


def narrow(values, full_range, widen=1.5):
  lo, hi = float(np.min(values)) / widen, float(np.max(values)) * widen
  return max(lo, full_range[0]), min(hi, full_range[1])


def main(argv=None):
  parser = experiment_parser("hparam_search", __doc__)
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--candidates", type=int, default=16, help="trained together per round")
  parser.add_argument("--epochs", type=int, default=20)
  args = parser.parse_args(argv)
  out = output_dir(args)
  x, y = digits_flat("train")
  (x_train, y_train), (x_val, y_val) = fnn.data.split(x, y, fractions=(0.8, 0.2), seed=args.seed)
  x_test, y_test = digits_flat("test")
  rounds, k, epochs = (2, 4, 2) if args.quick else (args.rounds, args.candidates, args.epochs)
  model = fnn.models.mlp(64, [128], 10)
  loss = fnn.losses.softmax_cross_entropy
  opt = optax.inject_hyperparams(optax.adamw)(learning_rate=1e-3, weight_decay=1e-4)

  lr_range, wd_range = LR_RANGE, WD_RANGE
  key = jax.random.key(args.seed)
  trials, ranges, best = [], [], None
  for r in range(rounds):
    ranges.append({"learning_rate": lr_range, "weight_decay": wd_range})
    key_sample, key_init = jax.random.split(jax.random.fold_in(key, r))
    lr, wd = sample(key_sample, k, lr_range, wd_range)
    result = vmap_fit(
      model,
      loss,
      opt,
      x_train,
      y_train,
      keys=jax.random.split(key_init, k),
      epochs=epochs,
      batch_size=32,
      hyperparams={"learning_rate": lr, "weight_decay": wd},
      metrics={"accuracy": fnn.metrics.accuracy},
      validation_data=(x_val, y_val),
      progress=not args.no_progress,
    )
    val = {name: result.history[f"val_{name}"][:, -1] for name in ("loss", "accuracy")}
    # a candidate whose loss became nan/inf (bad_step >= 0) ranks last
    val_loss = np.where(np.isfinite(val["loss"]) & (result.bad_step < 0), val["loss"], np.inf)
    for i in range(k):
      trials.append(
        {
          "round": r,
          "learning_rate": float(lr[i]),
          "weight_decay": float(wd[i]),
          "val_loss": float(val_loss[i]),
          "val_accuracy": float(val["accuracy"][i]),
        }
      )
    i_best = int(np.argmin(val_loss))
    if best is None or val_loss[i_best] < best["val_loss"]:
      chosen = jax.tree.map(lambda a, i=i_best: a[i], result.states)
      best = {**trials[-k + i_best], "params": chosen.params, "state": chosen.state}
    top = np.argsort(val_loss)[: max(2, k // 4)]
    lr_range = narrow(np.asarray(lr)[top], LR_RANGE)
    wd_range = narrow(np.asarray(wd)[top], WD_RANGE)
    print(
      f"round {r}: best val loss {val_loss[i_best]:.4f} at lr {float(lr[i_best]):.3g}, "
      f"wd {float(wd[i_best]):.3g}; next ranges lr {lr_range}, wd {wd_range}"
    )

  test = eval_step(model, loss, metrics={"accuracy": fnn.metrics.accuracy})(
    best["params"], best["state"], x_test, y_test
  )
  fig, ax = plt.subplots(figsize=(6, 4.5))
  for r in range(rounds):
    pts = [t for t in trials if t["round"] == r]
    sc = ax.scatter(
      [t["learning_rate"] for t in pts],
      [t["weight_decay"] for t in pts],
      c=[min(t["val_loss"], 2.5) for t in pts],
      cmap="viridis_r",
      vmin=0,
      vmax=1,
      marker="os^Dv"[r % 5],
      edgecolors="k",
      label=f"round {r}",
    )
    lo, hi = ranges[r]["learning_rate"], ranges[r]["weight_decay"]
    ax.add_patch(
      plt.Rectangle((lo[0], hi[0]), lo[1] - lo[0], hi[1] - hi[0], fill=False, ls="--", ec=f"C{r}")
    )
  ax.scatter(
    [best["learning_rate"]],
    [best["weight_decay"]],
    marker="*",
    s=300,
    c="red",
    label="chosen (validation)",
  )
  fig.colorbar(sc, label="validation loss")
  ax.set(
    xscale="log",
    yscale="log",
    xlabel="learning rate",
    ylabel="weight decay",
    title="random search, ranges narrowed per round",
  )
  ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(out / "hparam_search.png", dpi=100)
  plt.close(fig)
  headline = {
    "best_learning_rate": best["learning_rate"],
    "best_weight_decay": best["weight_decay"],
    "best_val_loss": best["val_loss"],
    "best_val_accuracy": best["val_accuracy"],
    "test_accuracy": float(test["accuracy"]),
    "candidates": len(trials),
  }
  return finish(
    args, out, {**headline, "trials": trials, "ranges": ranges, "epochs": epochs}, headline
  )


if __name__ == "__main__":
  main()
