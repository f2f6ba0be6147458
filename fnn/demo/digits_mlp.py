"""Demo part: an MLP on the shipped 8×8 digits, trained by ``fnn.train.fit`` with optax Adam."""

import jax
import matplotlib
import optax

import fnn
from fnn.data import load_digits

matplotlib.use("Agg")
import matplotlib.pyplot as plt

TITLE = "MLP 64-256-256-10 on the 8x8 digits"


def run(out_dir, epochs=40, batch_size=64, seed=0):
  x_train, y_train = load_digits("train")
  x_test, y_test = load_digits("test")
  x_train, x_test = x_train.reshape(-1, 64), x_test.reshape(-1, 64)
  model = fnn.models.mlp(64, [256, 256], 10)
  # The test set is only watched here (no early stopping or selection uses it).
  result = fnn.train.fit(
    model,
    fnn.losses.softmax_cross_entropy,
    optax.adam(1e-3),
    x_train,
    y_train,
    key=jax.random.key(seed),
    epochs=epochs,
    batch_size=batch_size,
    metrics={"accuracy": fnn.metrics.accuracy},
    validation_data=(x_test, y_test),
    progress=True,
  )
  history = result.history

  fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
  ax[0].plot(history["loss"], label="train")
  ax[0].plot(history["val_loss"], label="test")
  ax[0].set(xlabel="epoch", ylabel="cross-entropy", yscale="log")
  ax[0].legend()
  ax[1].plot(history["accuracy"], label="train")
  ax[1].plot(history["val_accuracy"], label="test")
  ax[1].set(xlabel="epoch", ylabel="accuracy")
  ax[1].legend()
  fig.suptitle(TITLE)
  fig.tight_layout()
  fig.savefig(out_dir / "learning_curve.png", dpi=100)
  plt.close(fig)
  acc = float(history["val_accuracy"][-1])
  print(f"test accuracy {acc:.4f} on {len(y_test)} held-out digits")
  return {
    "test_accuracy": round(acc, 4),
    "epochs": epochs,
    "seconds_per_epoch": round(float(history["time"][1:].mean()), 4),
  }
