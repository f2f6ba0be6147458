"""Data-parallel ``fit`` and model-sharded ``vmap_fit`` on 8 CPU devices against one.

Runs in a subprocess with 8 CPU devices (XLA_FLAGS set by tests/train/test_sharding.py
before jax is imported). Prints one JSON object: the largest differences and the error
messages.
"""

import json
import sys
import tempfile

import jax
import jax.numpy as jnp
import numpy as np
import optax

import fnn
from fnn.layers import BatchNorm, Dense, Dropout, Relu


def host(leaf):
  if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key):
    leaf = jax.random.key_data(leaf)
  return np.asarray(leaf, np.float64)


def max_diff(a, b) -> float:
  diffs = jax.tree.map(lambda p, q: float(np.max(np.abs(host(p) - host(q)), initial=0.0)), a, b)
  return max(jax.tree.leaves(diffs), default=0.0)


def specs(tree):
  return sorted({str(leaf.sharding.spec) for leaf in jax.tree.leaves(tree)})


def error(fn) -> str:
  try:
    fn()
  except ValueError as err:
    return str(err)
  return ""


def data_parallel(x, y, results):
  loss, mesh = fnn.losses.softmax_cross_entropy, jax.make_mesh((8,), ("data",))
  models = {
    "dropout": fnn.serial(Dense(16), Relu(), Dropout(0.2), Dense(10)),
    # no bias before BatchNorm: its gradient is exactly 0, Adam would amplify noise
    "batchnorm": fnn.serial(Dense(16, use_bias=False), BatchNorm(), Relu(), Dense(10)),
  }
  args = dict(
    key=jax.random.key(0), epochs=2, batch_size=32, progress=False, validation_data=(x[:64], y[:64])
  )
  for name, model in models.items():
    one = fnn.train.fit(model, loss, optax.adam(1e-2), x, y, **args)
    eight = fnn.train.fit(model, loss, optax.adam(1e-2), x, y, mesh=mesh, **args)
    results[f"fit_{name}"] = {
      "params": max_diff(one.state.params, eight.state.params),
      "state": max_diff(one.state.state, eight.state.state),
      "history": max_diff(one.history["val_loss"], eight.history["val_loss"]),
      "specs": specs(eight.state.params),
    }
  model, args = models["dropout"], {**args, "mesh": mesh}
  whole = fnn.train.fit(model, loss, optax.adam(1e-2), x, y, **{**args, "epochs": 3})
  with tempfile.TemporaryDirectory() as folder:
    fnn.train.fit(model, loss, optax.adam(1e-2), x, y, checkpoint_dir=folder, **args)
    resumed = fnn.train.fit(
      model, loss, optax.adam(1e-2), x, y, resume=folder, **{**args, "epochs": 3}
    )
  results["fit_resume"] = max_diff(whole.state, resumed.state)
  results["fit_indivisible"] = error(
    lambda: fnn.train.fit(model, loss, optax.adam(1e-2), x, y, **{**args, "batch_size": 36})
  )


def model_sharded(x, y, results):
  loss, mesh = fnn.losses.softmax_cross_entropy, jax.make_mesh((8,), ("model",))
  model = fnn.serial(Dense(16), Relu(), Dropout(0.2), Dense(10))
  opt = optax.inject_hyperparams(optax.adam)(learning_rate=1e-2)
  args = dict(
    keys=jax.random.split(jax.random.key(1), 8),
    epochs=2,
    batch_size=32,
    hyperparams={"learning_rate": np.logspace(-3, -1, 8)},
    progress=False,
    validation_data=(x[:64], y[:64]),
    patience=0,
  )
  one = fnn.train.vmap_fit(model, loss, opt, x, y, **args)
  eight = fnn.train.vmap_fit(model, loss, opt, x, y, mesh=mesh, **args)
  results["vmap_fit"] = {
    "states": max_diff(one.states, eight.states),
    "history": max_diff(one.history, eight.history),
    "best_epoch": (one.best_epoch == eight.best_epoch).all().item(),
    "specs": specs(eight.states.params),
  }
  chunked = fnn.train.vmap_fit(
    model,
    loss,
    opt,
    x,
    y,
    mesh=mesh,
    chunk_size=8,
    **{
      **args,
      "keys": jax.random.split(jax.random.key(1), 12),
      "hyperparams": {"learning_rate": np.full(12, 1e-2)},
    },
  )
  results["vmap_fit_chunks"] = int(chunked.states.step.shape[0])
  results["vmap_fit_indivisible"] = error(
    lambda: fnn.train.vmap_fit(
      model,
      loss,
      opt,
      x,
      y,
      **{**args, "mesh": mesh, "keys": args["keys"][:6], "hyperparams": None},
    )
  )


def main():
  assert jax.device_count() == 8, jax.devices()
  x, y = fnn.data.load_digits("train")
  x, y = x.reshape(-1, 64)[:256], y[:256]
  results = {}
  with jax.default_matmul_precision("highest"):
    data_parallel(x, y, results)
    model_sharded(x, y, results)
  print(json.dumps(results))


if __name__ == "__main__":
  sys.exit(main())
