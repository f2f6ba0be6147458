"""Demo part: an MLP on the shipped 8×8 digits, trained with optax Adam."""

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import optax
from tqdm.auto import tqdm

import fnn
from fnn.data import load_digits

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TITLE = "MLP 64-256-256-10 on the 8x8 digits"


def run(out_dir, epochs=40, batch_size=64, seed=0):
  x_train, y_train = load_digits("train")
  x_test, y_test = load_digits("test")
  x_train, x_test = jnp.asarray(x_train.reshape(-1, 64)), jnp.asarray(x_test.reshape(-1, 64))
  y_train, y_test = jnp.asarray(y_train), jnp.asarray(y_test)
  model = fnn.models.mlp(64, [256, 256], 10)
  key = jax.random.key(seed)
  params, state, _ = model.init(key, (1, 64))
  opt = optax.adam(1e-3)
  opt_state = opt.init(params)

  def loss_fn(params, x, y):
    logits, _ = model.apply(params, state, x)
    return fnn.losses.softmax_cross_entropy(logits, y).mean()

  @jax.jit
  def epoch(params, opt_state, key):
    n = (len(y_train) // batch_size) * batch_size
    order = jax.random.permutation(key, len(y_train))[:n].reshape(-1, batch_size)

    def step(carry, idx):
      params, opt_state = carry
      loss, grads = jax.value_and_grad(loss_fn)(params, x_train[idx], y_train[idx])
      updates, opt_state = opt.update(grads, opt_state, params)
      return (optax.apply_updates(params, updates), opt_state), loss

    (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), order)
    return params, opt_state, losses.mean()

  @jax.jit
  def test_accuracy(params):
    logits, _ = model.apply(params, state, x_test)
    return fnn.metrics.accuracy(logits, y_test)

  history = []
  for e in tqdm(range(epochs), desc="digits MLP", unit="epoch"):
    params, opt_state, loss = epoch(params, opt_state, jax.random.fold_in(key, e))
    history.append((float(loss), float(test_accuracy(params))))
  history = np.array(history)

  fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
  ax[0].plot(history[:, 0]); ax[0].set(xlabel="epoch", ylabel="train loss", yscale="log")
  ax[1].plot(history[:, 1]); ax[1].set(xlabel="epoch", ylabel="test accuracy")
  fig.suptitle(TITLE); fig.tight_layout(); fig.savefig(out_dir / "learning_curve.png", dpi=100)
  plt.close(fig)
  acc = float(history[-1, 1])
  print(f"test accuracy {acc:.4f} on {len(y_test)} held-out digits")
  return {"test_accuracy": round(acc, 4), "epochs": epochs}
