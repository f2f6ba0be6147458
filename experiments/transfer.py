"""Transfer: pretrain on digits 0–4, fine-tune on 5–9 with few labels, vs from scratch.

A 64-256-256-5 MLP is trained on every training image of the digits 0–4. Its two hidden
layers are then kept and a new 5-way output layer is fitted, together with them, on a
few labelled training images per class of the digits 5–9 ("fine-tune"), or with the
hidden layers frozen (``optax.multi_transform`` sets their updates to zero; "frozen
features"); the same architecture trained on the same few images from a fresh
initialisation is the baseline ("scratch"). Test accuracy on the test-split images of
5–9, averaged over seeds.
"""

import jax
import matplotlib.pyplot as plt
import numpy as np
import optax

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._digits import digits_flat
from fnn.train import eval_step, evaluate, fit, init_train_state


def classes(x, y, first):
  keep = (y >= first) & (y < first + 5)
  return x[keep], y[keep] - first


def main(argv=None):
  parser = experiment_parser("transfer", __doc__)
  parser.add_argument("--per-class", type=int, nargs="+", default=[1, 3, 5, 10, 20])
  parser.add_argument("--seeds", type=int, default=5)
  parser.add_argument("--steps", type=int, default=300, help="fine-tuning steps per run")
  args = parser.parse_args(argv)
  out = output_dir(args)
  x, y = digits_flat("train")
  x_test, y_test = digits_flat("test")
  x_pre, y_pre = classes(x, y, 0)
  x_new, y_new = classes(x, y, 5)
  x_new_test, y_new_test = classes(x_test, y_test, 5)
  model = fnn.models.mlp(64, [256, 256], 5)
  loss = fnn.losses.softmax_cross_entropy
  metrics = {"accuracy": fnn.metrics.accuracy}
  evaluator = eval_step(model, loss, metrics=metrics)
  pre = fit(
    model,
    loss,
    optax.adam(1e-3),
    x_pre,
    y_pre,
    key=jax.random.key(args.seed),
    epochs=2 if args.quick else 30,
    batch_size=32,
    progress=not args.no_progress,
  )
  pre_acc = evaluate(evaluator, pre.state.params, pre.state.state, *classes(x_test, y_test, 0))[
    "accuracy"
  ]
  print(f"pretrained on 0-4: test accuracy {pre_acc:.4f}")

  sizes = [3] if args.quick else args.per_class
  seeds = range(args.seed, args.seed + (1 if args.quick else args.seeds))
  steps = 10 if args.quick else args.steps
  variants = ("frozen features", "fine-tune", "scratch")
  accuracy = {name: {s: [] for s in sizes} for name in variants}
  frozen_opt = optax.multi_transform(
    {"trainable": optax.adam(1e-3), "frozen": optax.set_to_zero()}, fnn.masks.freeze("fc1", "fc2")
  )
  for per_class in sizes:
    for seed in seeds:
      idx = fnn.data.balanced_subset(y_new, per_class, seed=seed)
      key = jax.random.key(seed + 1000)
      opt = optax.adam(1e-3)
      fresh = init_train_state(key, model, opt, (1, 64))
      # keep the pretrained hidden layers, start the output layer afresh
      params = {**pre.state.params, "out": fresh.params["out"]}
      tuned = init_train_state(key, model, opt, (1, 64), params=params)
      frozen = init_train_state(key, model, frozen_opt, (1, 64), params=params)
      for name, ts, run_opt in (
        ("frozen features", frozen, frozen_opt),
        ("fine-tune", tuned, opt),
        ("scratch", fresh, opt),
      ):
        result = fit(
          model,
          loss,
          run_opt,
          x_new[idx],
          y_new[idx],
          key=key,
          epochs=steps,
          batch_size=len(idx),
          train_state=ts,
          progress=False,
        )
        acc = evaluate(evaluator, result.state.params, result.state.state, x_new_test, y_new_test)[
          "accuracy"
        ]
        accuracy[name][per_class].append(acc)
    print(
      f"{per_class}/class: "
      + ", ".join(f"{name} {np.mean(accuracy[name][per_class]):.4f}" for name in variants)
    )
  mean = {
    name: {s: float(np.mean(v)) for s, v in by_size.items()} for name, by_size in accuracy.items()
  }
  fig, ax = plt.subplots(figsize=(5.5, 3.8))
  for name, color in (
    ("frozen features", "tab:green"),
    ("fine-tune", "tab:blue"),
    ("scratch", "tab:gray"),
  ):
    ax.plot(sizes, [mean[name][s] for s in sizes], "o-", color=color, label=name)
  ax.set(
    xlabel="labelled images per class (digits 5-9)",
    ylabel="test accuracy on 5-9",
    xscale="log",
    title="pretrained on 0-4 vs from scratch",
  )
  ax.legend()
  fig.tight_layout()
  fig.savefig(out / "transfer.png", dpi=100)
  plt.close(fig)
  headline = {
    "pretrain_test_accuracy_0_4": pre_acc,
    "frozen_features_accuracy": {str(s): v for s, v in mean["frozen features"].items()},
    "fine_tune_accuracy": {str(s): v for s, v in mean["fine-tune"].items()},
    "scratch_accuracy": {str(s): v for s, v in mean["scratch"].items()},
  }
  return finish(
    args,
    out,
    {**headline, "per_seed": {k: {str(s): v for s, v in d.items()} for k, d in accuracy.items()}},
    headline,
  )


if __name__ == "__main__":
  main()
