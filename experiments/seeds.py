"""Seeds: 64 MLPs that differ only in their key, trained as one ``vmap_fit``.

A 64-128-10 ReLU MLP on the digits (Adam 1e-3, batch 64, 30 epochs), 64 times, each
from its own key (its initialisation and its batch order follow from it), in one
compiled program (``fnn.train.vmap_fit``). The test split is evaluated once
per model at the end (it chooses nothing). The figure shows the spread of test accuracy
over seeds (mean ± std) and the accuracy of the ensemble that averages the models'
logits, against the number of members.
"""

import time

import jax
import matplotlib.pyplot as plt
import numpy as np
import optax

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._digits import digits_flat
from fnn.train import vmap_apply, vmap_evaluate, vmap_fit


def ensemble_accuracy(logits, y, sizes):
  """``{k: accuracy of the mean logits of the first k models}`` for each k in ``sizes``."""
  return {k: float(fnn.metrics.accuracy(logits[:k].mean(axis=0), y)) for k in sizes}


def plot(out, accuracy, ensemble, title):
  fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
  mean, std = accuracy.mean(), accuracy.std()
  ax[0].hist(accuracy, bins=16, color="C0", alpha=0.8)
  ax[0].axvline(mean, color="k", label=f"mean {mean:.4f} ± {std:.4f}")
  ax[0].axvline(
    ensemble[max(ensemble)],
    color="C3",
    ls="--",
    label=f"ensemble of {max(ensemble)}: {ensemble[max(ensemble)]:.4f}",
  )
  ax[0].set(xlabel="test accuracy", ylabel="models", title=f"{len(accuracy)} seeds")
  ax[0].legend(fontsize=8)
  sizes = sorted(ensemble)
  ax[1].plot(sizes, [ensemble[k] for k in sizes], "o-", color="C3", label="ensemble")
  ax[1].axhline(mean, color="k", lw=1, label="single model (mean)")
  ax[1].set(
    xscale="log",
    xlabel="models averaged (logits)",
    ylabel="test accuracy",
    title="ensemble of the first k seeds",
  )
  ax[1].legend(fontsize=8)
  fig.suptitle(title)
  fig.tight_layout()
  fig.savefig(out / "seeds.png", dpi=100)
  plt.close(fig)


def main(argv=None):
  parser = experiment_parser("seeds", __doc__)
  parser.add_argument("--models", type=int, default=64)
  parser.add_argument("--epochs", type=int, default=30)
  args = parser.parse_args(argv)
  out = output_dir(args)
  models, epochs = (8, 3) if args.quick else (args.models, args.epochs)
  (x, y), (x_test, y_test) = digits_flat("train"), digits_flat("test")
  model, loss = fnn.models.mlp(64, [128], 10), fnn.losses.softmax_cross_entropy
  keys = jax.random.split(jax.random.key(args.seed), models)
  start = time.perf_counter()
  result = vmap_fit(
    model,
    loss,
    optax.adam(1e-3),
    x,
    y,
    keys=keys,
    epochs=epochs,
    batch_size=64,
    metrics={"accuracy": fnn.metrics.accuracy},
    progress=not args.no_progress,
  )
  seconds = time.perf_counter() - start
  test = vmap_evaluate(
    model, loss, result.states, x_test, y_test, metrics={"accuracy": fnn.metrics.accuracy}
  )
  accuracy = np.asarray(test["accuracy"], np.float64)
  sizes = sorted({k for k in (1, 2, 4, 8, 16, 32, 64, models) if k <= models})
  ensemble = ensemble_accuracy(vmap_apply(model, result.states, x_test), y_test, sizes)
  plot(out, accuracy, ensemble, f"MLP 64-128-10 on the digits, {epochs} epochs, one vmap_fit")
  headline = {
    "models": models,
    "test_accuracy_mean": round(float(accuracy.mean()), 4),
    "test_accuracy_std": round(float(accuracy.std()), 4),
    "test_accuracy_min": round(float(accuracy.min()), 4),
    "test_accuracy_max": round(float(accuracy.max()), 4),
    "ensemble_test_accuracy": round(ensemble[models], 4),
    "seconds": round(seconds, 1),
  }
  print(
    f"{models} seeds: test accuracy {accuracy.mean():.4f} ± {accuracy.std():.4f}; "
    f"ensemble {ensemble[models]:.4f}; {seconds:.1f} s (compilation included)"
  )
  results = {
    **headline,
    "epochs": epochs,
    "test_accuracy": accuracy,
    "test_loss": test["loss"],
    "ensemble_accuracy_by_size": ensemble,
    "train_loss_final": result.history["loss"][:, -1],
  }
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
