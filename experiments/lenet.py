"""LeNet-5 on the 8×8 digits (resized to 28×28), or on MNIST with --data-dir.

``fnn.models.lenet5()`` (ReLU, max pooling, 'SAME' first convolution) trained with Adam
(lr 1e-3, batch 32) on the fixed digits split: the 1437 training images, bilinearly
resized from 8×8 to 28×28, and evaluated once at the end on the 360 test images. With
``--data-dir DIR`` holding the MNIST (or Fashion-MNIST) IDX files it trains on their
training set and reports the 10 000-image test set. Writes the learning curve and the
test confusion matrix.
"""

import jax
import matplotlib.pyplot as plt
import numpy as np
import optax

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._digits import digits_images
from fnn.data import load_mnist
from fnn.train import eval_step, evaluate, fit


def load(args):
  if args.data_dir:
    (x, y), (xt, yt) = load_mnist(args.data_dir, "train"), load_mnist(args.data_dir, "test")
    return x[..., None], y, xt[..., None], yt, "MNIST"
  (x, y), (xt, yt) = digits_images("train", 28), digits_images("test", 28)
  return x, y, xt, yt, "digits (8x8 resized to 28x28)"


def plot_confusion(matrix, path, title):
  fig, ax = plt.subplots(figsize=(4.8, 4.2))
  ax.imshow(matrix, cmap="Blues")
  for (i, j), v in np.ndenumerate(matrix):
    if v:
      ax.text(
        j,
        i,
        str(v),
        ha="center",
        va="center",
        fontsize=7,
        color="white" if v > matrix.max() / 2 else "black",
      )
  ax.set(xlabel="predicted", ylabel="true", xticks=range(10), yticks=range(10), title=title)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)


def main(argv=None):
  parser = experiment_parser("lenet", __doc__)
  parser.add_argument("--epochs", type=int, default=30)
  parser.add_argument("--data-dir", help="a folder with the MNIST IDX files (gz or not)")
  args = parser.parse_args(argv)
  out = output_dir(args)
  x, y, x_test, y_test, dataset = load(args)
  epochs = args.epochs
  if args.quick:
    x, y, x_test, y_test, epochs = x[:256], y[:256], x_test[:100], y_test[:100], 1
  model = fnn.models.lenet5()
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
    batch_size=32,
    metrics=metrics,
    progress=not args.no_progress,
  )
  params, state = result.state.params, result.state.state
  test = evaluate(
    eval_step(model, loss, metrics=metrics), params, state, x_test, y_test, batch_size=500
  )
  logits = np.concatenate(
    [
      np.asarray(model.apply(params, state, x_test[i : i + 500])[0])
      for i in range(0, len(x_test), 500)
    ]
  )
  confusion = np.asarray(fnn.metrics.confusion_matrix(logits, y_test, 10))
  plot_confusion(
    confusion,
    out / "confusion_matrix.png",
    f"LeNet-5, {dataset}: test accuracy {test['accuracy']:.4f}",
  )
  fig, ax = plt.subplots(1, 2, figsize=(9, 3.4))
  ax[0].plot(result.history["loss"])
  ax[0].set(xlabel="epoch", ylabel="training loss", yscale="log")
  ax[1].plot(result.history["accuracy"])
  ax[1].set(xlabel="epoch", ylabel="training accuracy")
  fig.suptitle(f"LeNet-5 on {dataset}")
  fig.tight_layout()
  fig.savefig(out / "learning_curve.png", dpi=100)
  plt.close(fig)
  headline = {
    "test_accuracy": test["accuracy"],
    "test_loss": test["loss"],
    "dataset": dataset,
    "epochs": epochs,
    "test_size": len(y_test),
  }
  return finish(
    args, out, {**headline, "confusion_matrix": confusion, "history": result.history}, headline
  )


if __name__ == "__main__":
  main()
