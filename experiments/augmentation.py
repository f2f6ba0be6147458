"""Data augmentation on a small training subset: with vs without.

A small CNN (conv 3×3×16 - ReLU - max-pool - conv 3×3×32 - ReLU - dense 64 - dense 10) on
the 8×8 digits, trained on only a few labelled images per class (a class-balanced subset
of the training split), with and without augmentation: a random shift of up to one pixel
and a rotation of up to ±12° per image, drawn afresh at every step by an
``fnn.data.augment.Augment`` layer inside the jitted step. Test accuracy on the fixed
360-image test split, for several subset sizes and seeds.
"""

import jax
import matplotlib.pyplot as plt
import numpy as np
import optax

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._digits import digits_images
from fnn.data import augment
from fnn.layers import Conv, Dense, Flatten, MaxPool, Relu
from fnn.train import eval_step, evaluate, fit

AUGMENTATION = augment.compose(
  lambda k, x: augment.random_shift(k, x, 1), lambda k, x: augment.random_rotation(k, x, 12.0)
)


def cnn(augmented):
  body = [
    Conv(16, 3),
    Relu(),
    MaxPool(2),
    Conv(32, 3),
    Relu(),
    Flatten(),
    Dense(64),
    Relu(),
    Dense(10),
  ]
  return fnn.serial(augment.Augment(AUGMENTATION), *body) if augmented else fnn.serial(*body)


def main(argv=None):
  parser = experiment_parser("augmentation", __doc__)
  parser.add_argument("--per-class", type=int, nargs="+", default=[5, 10, 20])
  parser.add_argument("--seeds", type=int, default=3)
  parser.add_argument("--steps", type=int, default=1000, help="optimizer steps per run")
  args = parser.parse_args(argv)
  out = output_dir(args)
  x, y = digits_images("train")
  x_test, y_test = digits_images("test")
  sizes = [5] if args.quick else args.per_class
  seeds = range(args.seed, args.seed + (1 if args.quick else args.seeds))
  loss = fnn.losses.softmax_cross_entropy
  metrics = {"accuracy": fnn.metrics.accuracy}
  accuracy = {}
  for per_class in sizes:
    for augmented in (False, True):
      name = f"{per_class}/class {'augmented' if augmented else 'plain'}"
      accuracy[name] = []
      for seed in seeds:
        idx = fnn.data.balanced_subset(y, per_class, seed=seed)
        batch = min(32, len(idx))
        epochs = 2 if args.quick else max(1, args.steps // (len(idx) // batch))
        model = cnn(augmented)
        result = fit(
          model,
          loss,
          optax.adam(1e-3),
          x[idx],
          y[idx],
          key=jax.random.key(seed),
          epochs=epochs,
          batch_size=batch,
          progress=not args.no_progress,
        )
        test = evaluate(
          eval_step(model, loss, metrics=metrics),
          result.state.params,
          result.state.state,
          x_test,
          y_test,
        )
        accuracy[name].append(test["accuracy"])
      print(f"{name}: test accuracy {np.mean(accuracy[name]):.4f} over {len(seeds)} seeds")
  fig, ax = plt.subplots(figsize=(5.5, 3.8))
  for augmented, color in ((False, "tab:gray"), (True, "tab:blue")):
    means = [np.mean(accuracy[f"{s}/class {'augmented' if augmented else 'plain'}"]) for s in sizes]
    ax.plot(
      [10 * s for s in sizes],
      means,
      "o-",
      color=color,
      label="shift + rotation" if augmented else "no augmentation",
    )
  ax.set(
    xlabel="training images",
    ylabel="test accuracy",
    xscale="log",
    title="small CNN on digits, few labels",
  )
  ax.legend()
  fig.tight_layout()
  fig.savefig(out / "augmentation.png", dpi=100)
  plt.close(fig)
  sample = augment.augment_batch(jax.random.key(args.seed), AUGMENTATION, np.repeat(x[:1], 8, 0))
  fig, axes = plt.subplots(1, 9, figsize=(9, 1.3))
  for ax, img in zip(axes, [x[0]] + list(np.asarray(sample)), strict=True):
    ax.imshow(img[..., 0], cmap="gray_r", vmin=0, vmax=1)
    ax.axis("off")
  axes[0].set_title("original", fontsize=8)
  fig.savefig(out / "augmented_examples.png", dpi=100)
  plt.close(fig)
  headline = {"test_accuracy": {k: float(np.mean(v)) for k, v in accuracy.items()}}
  return finish(args, out, {**headline, "per_seed": accuracy, "sizes": sizes}, headline)


if __name__ == "__main__":
  main()
