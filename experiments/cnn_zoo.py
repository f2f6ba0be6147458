"""The course's CNNs side by side: AlexNet, VGG-11, GoogLeNet and ResNet-18 on 32×32 images.

Trains the small (CIFAR-size) variant of each, ``fnn.models.alexnet(small=True)``,
``vgg(11, batch_norm=True, small=True)``, ``googlenet(small=True)`` and
``resnet18(small=True)``, all with channel counts multiplied by ``--width``, for a few
epochs with Adam (lr 1e-3, batch 32), and reports one table: parameters, training step
time (the mean over the epochs after the first, which includes compilation; ``nan``
with one epoch) and test accuracy. ``--quick``: 320 training and 100 test images, two
epochs, width 1/16. The data are the 8×8 digits (fixed split: 1437 train, 360 test) bilinearly
upsampled to 32×32, or ``--data``: a folder of MNIST IDX files, or an ``.npz`` with
``x_train, y_train, x_test, y_test`` (images ``(n, H, W)`` or ``(n, H, W, C)``, resized
to 32×32; integer pixels are divided by 255). Writes ``zoo.png`` (the table as bars) and
``learning_curves.png``.
"""

import pathlib

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from tqdm import tqdm

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._digits import digits_images
from fnn import models
from fnn.data import load_mnist
from fnn.train import eval_step, evaluate, fit

SIZE = 32
ZOO = {
  "AlexNet": lambda n, w: models.alexnet(n, small=True, width=w),
  "VGG-11": lambda n, w: models.vgg(11, n, batch_norm=True, small=True, width=w),
  "GoogLeNet": lambda n, w: models.googlenet(n, small=True, width=w),
  "ResNet-18": lambda n, w: models.resnet18(n, small=True, width=w),
}


def _as_images(x):
  """(n, H, W[, C]) in any dtype -> float32 (n, 32, 32, C) in [0, 1]."""
  x = np.asarray(x)
  if x.ndim == 3:
    x = x[..., None]
  if np.issubdtype(x.dtype, np.integer):
    x = x / 255.0
  x = jnp.asarray(x, jnp.float32)
  if x.shape[1:3] != (SIZE, SIZE):
    x = jax.image.resize(x, (len(x), SIZE, SIZE, x.shape[-1]), "bilinear")
  return np.asarray(x)


def load(data):
  """``(x, y, x_test, y_test, description)`` at 32×32."""
  if data is None:
    (x, y), (xt, yt) = digits_images("train", SIZE), digits_images("test", SIZE)
    return x, y, xt, yt, "digits (8x8 upsampled to 32x32)"
  path = pathlib.Path(data)
  if path.is_dir():
    (x, y), (xt, yt) = load_mnist(path, "train"), load_mnist(path, "test")
    name = f"MNIST IDX files in {path}"
  else:
    arrays = np.load(path)
    x, y, xt, yt = (arrays[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    name = path.name
  return _as_images(x), np.asarray(y, np.int32), _as_images(xt), np.asarray(yt, np.int32), name


def train_one(model, x, y, x_test, y_test, args, epochs):
  """Fits ``model``; returns its test metrics, mean step time (ms) and history."""
  loss = fnn.losses.softmax_cross_entropy
  metrics = {"accuracy": fnn.metrics.accuracy}
  result = fit(
    model,
    loss,
    optax.adam(1e-3),
    x,
    y,
    key=jax.random.key(args.seed),
    epochs=epochs,
    batch_size=args.batch_size,
    metrics=metrics,
    progress=False,
  )
  test = evaluate(
    eval_step(model, loss, metrics=metrics),
    result.state.params,
    result.state.state,
    x_test,
    y_test,
    batch_size=250,
  )
  steps = len(y) // args.batch_size
  times = np.asarray(result.history.get("time", []))[1:]  # epoch 0 includes compilation
  step_ms = float(times.mean() / steps * 1e3) if times.size else float("nan")
  return test, step_ms, result.history


def table(rows) -> str:
  lines = [f"{'model':<10} {'params':>11} {'step (ms)':>10} {'test accuracy':>14}"]
  for name, r in rows.items():
    lines.append(f"{name:<10} {r['params']:>11,} {r['step_ms']:>10.1f} {r['test_accuracy']:>14.4f}")
  return "\n".join(lines)


def plot(rows, histories, out, title):
  names = list(rows)
  fig, ax = plt.subplots(1, 3, figsize=(11, 3.2))
  for a, key, label in zip(
    ax,
    ("params", "step_ms", "test_accuracy"),
    ("parameters", "training step (ms)", "test accuracy"),
    strict=False,
  ):
    a.bar(names, [rows[n][key] for n in names], color="C0")
    a.set(title=label)
    a.tick_params(axis="x", labelrotation=20)
  ax[0].set_yscale("log")
  fig.suptitle(title)
  fig.tight_layout()
  fig.savefig(out / "zoo.png", dpi=100)
  plt.close(fig)
  fig, ax = plt.subplots(figsize=(5, 3.4))
  for n in names:
    ax.plot(np.arange(1, len(histories[n]["loss"]) + 1), histories[n]["loss"], "o-", label=n)
  ax.set(xlabel="epoch", ylabel="training loss", yscale="log", title=title)
  ax.legend()
  fig.tight_layout()
  fig.savefig(out / "learning_curves.png", dpi=100)
  plt.close(fig)


def main(argv=None):
  parser = experiment_parser("cnn_zoo", __doc__)
  parser.add_argument("--epochs", type=int, default=6)
  parser.add_argument(
    "--width",
    type=float,
    default=0.125,
    help="channel multiplier of every model (1.0: the published widths)",
  )
  parser.add_argument("--batch-size", type=int, default=32)
  parser.add_argument(
    "--data", help="a folder of MNIST IDX files, or an .npz with x_train, y_train, x_test, y_test"
  )
  parser.add_argument(
    "--models",
    default=",".join(ZOO),
    help=f"comma-separated subset of {', '.join(ZOO)} (default: all)",
  )
  args = parser.parse_args(argv)
  names = [n.strip() for n in args.models.split(",")]
  unknown = sorted(set(names) - set(ZOO))
  if unknown:
    parser.error(f"unknown model(s) {unknown}; choose from {list(ZOO)}")
  out = output_dir(args)
  x, y, x_test, y_test, dataset = load(args.data)
  epochs, width = args.epochs, args.width
  if args.quick:
    x, y, x_test, y_test, epochs, width = x[:320], y[:320], x_test[:100], y_test[:100], 2, 1 / 16
  num_classes = int(max(y.max(), y_test.max())) + 1
  rows, histories = {}, {}
  for name in tqdm(names, desc="cnn_zoo", unit="model", disable=args.no_progress):
    model = ZOO[name](num_classes, width)
    test, step_ms, history = train_one(model, x, y, x_test, y_test, args, epochs)
    params = fnn.summary(model, (1,) + x.shape[1:]).total_params
    rows[name] = {
      "params": params,
      "step_ms": step_ms,
      "test_accuracy": test["accuracy"],
      "test_loss": test["loss"],
    }
    histories[name] = history
  print(table(rows))
  title = f"{dataset}, width {width:g}, {epochs} epochs"
  plot(rows, histories, out, title)
  headline = {
    "dataset": dataset,
    "epochs": epochs,
    "width": width,
    "train_size": len(y),
    "test_size": len(y_test),
    "models": rows,
  }
  return finish(args, out, {**headline, "history": histories}, headline)


if __name__ == "__main__":
  main()
