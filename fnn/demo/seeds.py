"""Demo part: 32 seeds of an MLP trained at once by ``fnn.train.vmap_fit``."""

import time

import jax
import matplotlib
import numpy as np
import optax

import fnn
from fnn.data import load_digits

matplotlib.use("Agg")
import matplotlib.pyplot as plt

TITLE = "32 seeds of an MLP 64-128-10 in one vmap_fit"


def run(out_dir, models=32, epochs=20, seed=0):
  (x, y), (x_test, y_test) = load_digits("train"), load_digits("test")
  x, x_test = x.reshape(-1, 64), x_test.reshape(-1, 64)
  model, loss = fnn.models.mlp(64, [128], 10), fnn.losses.softmax_cross_entropy
  start = time.perf_counter()
  result = fnn.train.vmap_fit(
    model,
    loss,
    optax.adam(1e-3),
    x,
    y,
    keys=jax.random.split(jax.random.key(seed), models),
    epochs=epochs,
    batch_size=64,
    progress=True,
  )
  seconds = time.perf_counter() - start
  accuracy = fnn.train.vmap_evaluate(
    model, loss, result.states, x_test, y_test, metrics={"accuracy": fnn.metrics.accuracy}
  )["accuracy"]
  logits = fnn.train.vmap_apply(model, result.states, x_test)
  ensemble = float(fnn.metrics.accuracy(logits.mean(axis=0), y_test))

  fig, ax = plt.subplots(figsize=(5.5, 3.5))
  ax.hist(accuracy, bins=12, color="C0", alpha=0.8)
  ax.axvline(accuracy.mean(), color="k", label=f"mean {accuracy.mean():.4f} ± {accuracy.std():.4f}")
  ax.axvline(ensemble, color="C3", ls="--", label=f"ensemble (mean logits) {ensemble:.4f}")
  ax.set(xlabel="test accuracy", ylabel="models", title=TITLE)
  ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(out_dir / "seeds.png", dpi=100)
  plt.close(fig)
  print(
    f"{models} seeds: test accuracy {accuracy.mean():.4f} ± {accuracy.std():.4f}, "
    f"ensemble {ensemble:.4f}, trained in {seconds:.1f} s (compilation included)"
  )
  return {
    "models": models,
    "epochs": epochs,
    "test_accuracy_mean": round(float(np.mean(accuracy)), 4),
    "test_accuracy_std": round(float(np.std(accuracy)), 4),
    "ensemble_test_accuracy": round(ensemble, 4),
    "training_seconds": round(seconds, 1),
  }
