"""BatchNorm: learning curves with and without it across initial weight scales.

A 5 x 100 ReLU MLP on the digits, its weights drawn from N(0, scale²) for several scales,
trained with plain SGD (lr 0.01), with and without a BatchNorm (momentum 0.9) after each
hidden Dense; the test accuracy uses BatchNorm's running statistics.
Without BatchNorm, training only gets going near the "right" scale (too small: the
signal vanishes; too large: it explodes); with it, every scale trains, and faster.
"""

import jax
import matplotlib.pyplot as plt
import numpy as np
import optax

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._digits import digits_flat
from fnn import initializers
from fnn.layers import BatchNorm, Dense, Relu
from fnn.train import NonFiniteLossError, fit

SCALES = (1.0, 0.3, 0.1, 0.03, 0.01)


def net(scale, batch_norm, depth=5, width=100):
  w_init = initializers.normal(scale)
  layers = []
  for i in range(depth):
    layers.append((f"fc{i + 1}", Dense(width, w_init=w_init)))
    if batch_norm:
      # momentum 0.9 (PyTorch's 0.1): with 0.99 the running statistics of the small-scale
      # nets still remember their initial value (var 1) after 30 epochs of 14 steps.
      layers.append((f"bn{i + 1}", BatchNorm(momentum=0.9)))
    layers.append((f"act{i + 1}", Relu()))
  return fnn.named_serial(*layers, ("out", Dense(10, w_init=w_init)))


def main(argv=None):
  parser = experiment_parser("batchnorm", __doc__)
  parser.add_argument("--epochs", type=int, default=30)
  parser.add_argument("--lr", type=float, default=0.01)
  args = parser.parse_args(argv)
  out = output_dir(args)
  x, y = digits_flat("train")
  x_test, y_test = digits_flat("test")
  scales = (1.0, 0.01) if args.quick else SCALES
  epochs = 2 if args.quick else args.epochs
  curves, test_acc = {}, {}
  for scale in scales:
    for bn in (False, True):
      name = f"scale={scale} {'BN' if bn else 'plain'}"
      try:
        result = fit(
          net(scale, bn),
          fnn.losses.softmax_cross_entropy,
          optax.sgd(args.lr),
          x,
          y,
          key=jax.random.key(args.seed),
          epochs=epochs,
          batch_size=100,
          metrics={"accuracy": fnn.metrics.accuracy},
          validation_data=(x_test, y_test),
          progress=not args.no_progress,
        )
        curves[name] = result.history["accuracy"]
        test_acc[name] = float(result.history["val_accuracy"][-1])
      except NonFiniteLossError as err:  # a diverged run is a result, not a crash
        print(f"{name}: {err}")
        curves[name] = np.full(epochs, np.nan)
        test_acc[name] = None  # JSON has no NaN
  fig, axes = plt.subplots(1, len(scales), figsize=(3.6 * len(scales), 3.2), sharey=True)
  for ax, scale in zip(np.atleast_1d(axes), scales, strict=True):
    ax.plot(curves[f"scale={scale} plain"], label="without BN", color="tab:gray")
    ax.plot(curves[f"scale={scale} BN"], label="with BN", color="tab:blue")
    ax.set(title=f"weight std {scale}", xlabel="epoch", ylim=(0, 1))
  np.atleast_1d(axes)[0].set(ylabel="training accuracy")
  np.atleast_1d(axes)[0].legend()
  fig.tight_layout()
  fig.savefig(out / "batchnorm.png", dpi=100)
  plt.close(fig)
  final_train = {k: None if np.isnan(v[-1]) else float(v[-1]) for k, v in curves.items()}
  headline = {"final_train_accuracy": final_train, "test_accuracy": test_acc}
  return finish(
    args,
    out,
    {
      **headline,
      "epochs": epochs,
      "lr": args.lr,
      "curves": {
        k: [None if np.isnan(a) else a for a in np.asarray(v).tolist()] for k, v in curves.items()
      },
    },
    headline,
  )


if __name__ == "__main__":
  main()
