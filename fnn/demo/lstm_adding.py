"""Demo part: an LSTM learns the adding problem (T = 50) by BPTT, with clipped Adam."""

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import optax

import fnn
from fnn.data.sequence_tasks import adding_problem
from fnn.layers import RNN, Dense, LSTMCell

matplotlib.use("Agg")
import matplotlib.pyplot as plt

TITLE = "LSTM(32) on the adding problem, T = 50 (BPTT through lax.scan)"


def run(out_dir, length=50, hidden=32, epochs=8, seed=0):
  k_train, k_test, k_fit = jax.random.split(jax.random.key(seed), 3)
  x, y = adding_problem(k_train, 6400, length)
  x_test, y_test = adding_problem(k_test, 1000, length)
  model = fnn.serial(RNN(LSTMCell(hidden), return_sequences=False), Dense(1))
  # Clipping the global gradient norm keeps a rare exploding BPTT gradient from
  # wrecking the run.
  optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(3e-3))
  fit = fnn.train.fit(
    model,
    fnn.losses.mean_squared_error,
    optimizer,
    x,
    y,
    key=k_fit,
    epochs=epochs,
    batch_size=64,
    validation_data=(x_test, y_test),
  )
  pred, _ = jax.jit(model.apply)(fit.state.params, fit.state.state, x_test)
  test_mse = float(jnp.mean((pred - y_test) ** 2))
  baseline = float(jnp.mean((1.0 - y_test) ** 2))

  fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
  steps = (len(x) // 64) * (1 + np.arange(len(fit.history["val_loss"])))
  ax[0].plot(steps, fit.history["val_loss"], marker="o", label="LSTM")
  ax[0].axhline(baseline, color="gray", ls="--", label="always 1.0")
  ax[0].axhline(0.01, color="green", ls=":", label="solved (0.01)")
  ax[0].set(xlabel="training steps", ylabel="test MSE", yscale="log")
  ax[0].legend(fontsize=8)
  ax[1].scatter(np.asarray(y_test[:300, 0]), np.asarray(pred[:300, 0]), s=6)
  ax[1].plot([0, 2], [0, 2], "k--", lw=1)
  ax[1].set(xlabel="target (sum of the two marked values)", ylabel="prediction")
  fig.suptitle(TITLE, fontsize=10)
  fig.tight_layout()
  fig.savefig(out_dir / "adding_problem.png", dpi=100)
  plt.close(fig)
  print(f"test MSE {test_mse:.4f} (always-1.0 baseline {baseline:.4f}; solved < 0.01)")
  return {
    "test_mse": round(test_mse, 5),
    "baseline_mse": round(baseline, 4),
    "solved": test_mse < 0.01,
    "length": length,
  }
