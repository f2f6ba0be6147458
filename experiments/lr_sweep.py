"""Learning-rate sweep: 32 learning rates × 4 seeds, 128 MLPs trained in one ``vmap_fit``.

A 64-128-10 ReLU MLP on the digits with Adam, batch 64, 20 epochs; the learning rate
is log-spaced from 1e-4 to 1 and varies per model through ``optax.inject_hyperparams``
(``hyperparams={"learning_rate": ...}``); each rate runs with 4 seeds. 20% of the
training split is held out for validation. A model whose loss becomes nan or inf stops
there (``bad_step``) while the others go on. Figures: the final training and
validation loss against the learning rate (mean and the seeds' range), and the loss
curves coloured by learning rate.
"""

import time

import jax
import matplotlib.pyplot as plt
import numpy as np
import optax
from matplotlib.colors import LogNorm

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._digits import digits_flat
from fnn.train import vmap_fit


def per_rate(values, rates, seeds):
  """``values`` (rates * seeds,) as (rates, seeds): model ``r * seeds + s``."""
  return np.asarray(values, np.float64).reshape(len(rates), seeds)


def plot(out, rates, seeds, history, title):
  fig, ax = plt.subplots(1, 2, figsize=(11, 4))
  for name, color in (("loss", "C0"), ("val_loss", "C1")):
    final = per_rate(history[name][:, -1], rates, seeds)
    ax[0].plot(
      rates,
      np.nanmean(final, axis=1),
      "o-",
      ms=3,
      color=color,
      label=f"final {'training' if name == 'loss' else 'validation'} loss",
    )
    ax[0].fill_between(
      rates, np.nanmin(final, axis=1), np.nanmax(final, axis=1), color=color, alpha=0.25
    )
  ax[0].set(
    xscale="log",
    yscale="log",
    xlabel="learning rate (Adam)",
    ylabel="cross-entropy",
    title=f"mean and range over {seeds} seeds",
  )
  ax[0].legend(fontsize=8)
  norm, cmap = LogNorm(rates.min(), rates.max()), plt.get_cmap("viridis")
  curves = history["loss"].reshape(len(rates), seeds, -1)
  epochs = np.arange(1, curves.shape[-1] + 1)
  for rate, curve in zip(rates, curves, strict=True):
    ax[1].plot(epochs, np.nanmean(curve, axis=0), color=cmap(norm(rate)), lw=1)
  fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax[1], label="learning rate")
  ax[1].set(
    yscale="log", xlabel="epoch", ylabel="training loss (mean over seeds)", title="loss curves"
  )
  fig.suptitle(title)
  fig.tight_layout()
  fig.savefig(out / "lr_sweep.png", dpi=100)
  plt.close(fig)


def main(argv=None):
  parser = experiment_parser("lr_sweep", __doc__)
  parser.add_argument("--rates", type=int, default=32)
  parser.add_argument("--seeds", type=int, default=4)
  parser.add_argument("--epochs", type=int, default=20)
  args = parser.parse_args(argv)
  out = output_dir(args)
  n_rates, seeds, epochs = (4, 2, 2) if args.quick else (args.rates, args.seeds, args.epochs)
  x, y = digits_flat("train")
  (x_train, y_train), validation = fnn.data.split(x, y, fractions=(0.8, 0.2), seed=args.seed)
  rates = np.logspace(-4, 0, n_rates)
  keys = jax.random.split(jax.random.key(args.seed), n_rates * seeds)
  opt = optax.inject_hyperparams(optax.adam)(learning_rate=1e-3)
  start = time.perf_counter()
  result = vmap_fit(
    fnn.models.mlp(64, [128], 10),
    fnn.losses.softmax_cross_entropy,
    opt,
    x_train,
    y_train,
    keys=keys,
    epochs=epochs,
    batch_size=64,
    hyperparams={"learning_rate": np.repeat(rates, seeds)},
    validation_data=validation,
    progress=not args.no_progress,
  )
  seconds = time.perf_counter() - start
  val = per_rate(result.history["val_loss"][:, -1], rates, seeds)
  mean_val = np.where(np.isnan(val).any(axis=1), np.inf, val.mean(axis=1))
  best = int(np.argmin(mean_val))
  diverged = per_rate(result.bad_step >= 0, rates, seeds).any(axis=1)
  plot(
    out,
    rates,
    seeds,
    result.history,
    f"{n_rates} learning rates × {seeds} seeds, MLP 64-128-10 on the digits, {epochs} epochs",
  )
  headline = {
    "models": n_rates * seeds,
    "best_learning_rate": float(rates[best]),
    "best_val_loss": round(float(mean_val[best]), 4),
    "diverged_rates": [float(r) for r in rates[diverged]],
    "seconds": round(seconds, 1),
  }
  print(
    f"best learning rate {rates[best]:.3g} (validation loss {mean_val[best]:.4f}, mean of "
    f"{seeds} seeds); {n_rates * seeds} models in {seconds:.1f} s (compilation included)"
  )
  results = {
    **headline,
    "epochs": epochs,
    "learning_rates": rates,
    "final_loss": per_rate(result.history["loss"][:, -1], rates, seeds),
    "final_val_loss": val,
    "bad_step": result.bad_step.reshape(n_rates, seeds),
  }
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
