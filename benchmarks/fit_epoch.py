"""One training epoch of an MLP on the digits: fnn ``fit`` vs a per-step loop vs flax + optax.

All three train the same ReLU MLP (64-64-10 by default, ``--hidden`` to change it) with Adam (lr
1e-3), batch 64, on the 1437 training digits (22 steps per epoch, the remainder dropped), in one
process:

* ``fnn fit``: ``fnn.train.fit(..., epochs=E)``, each epoch one jitted ``lax.scan`` on device;
* ``step loop``: a Python ``for`` over the same jitted ``fnn.train.train_step``, feeding
  numpy minibatches (the usual hand-written JAX loop);
* ``flax loop``: the usual flax.linen + optax + ``flax.training.train_state`` loop, one
  jitted step per minibatch.

Variants are interleaved round by round after a warm-up (compilation excluded); the
table gives median seconds per epoch and ``speedup_vs_<peer>`` = peer time / fit time.

    python benchmarks/fit_epoch.py [--rounds 30] [--hidden 64] [--quick] [--json]
"""

import argparse
import pathlib
import sys

import flax.linen as nn
import jax
import numpy as np
import optax
from flax.training import train_state as flax_train_state

import fnn
from fnn.data import load_digits
from fnn.train import fit, init_train_state, train_step

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from benchmarks import _timing

LR = 1e-3
BATCH = 64


class FlaxMLP(nn.Module):
  hidden: tuple

  @nn.compact
  def __call__(self, x):
    for h in self.hidden:
      x = nn.relu(nn.Dense(h)(x))
    return nn.Dense(10)(x)


def make_variants(x, y, hidden, epochs):
  model = fnn.models.mlp(64, list(hidden), 10)
  loss = fnn.losses.softmax_cross_entropy
  opt = optax.adam(LR)
  batches = len(x) // BATCH
  fit_state = [init_train_state(jax.random.key(0), model, opt, (1, 64))]
  # fit places the data on the device once per call; do it up front for every call here
  x_dev, y_dev = jax.device_put((x, y))

  def run_fit():
    result = fit(
      model,
      loss,
      opt,
      x_dev,
      y_dev,
      key=None,
      epochs=epochs,
      batch_size=BATCH,
      progress=False,
      train_state=fit_state[0],
    )
    fit_state[0] = result.state
    jax.block_until_ready(result.state.params)

  step = train_step(model, loss, opt)
  loop_state = [init_train_state(jax.random.key(0), model, opt, (1, 64))]
  rng = np.random.default_rng(0)

  def host_loop(step_fn, box):
    """``epochs`` epochs of a per-step Python loop feeding numpy minibatches to ``step_fn``."""

    def run():
      state = box[0]
      for _ in range(epochs):
        order = rng.permutation(len(x))
        for b in range(batches):
          idx = order[b * BATCH : (b + 1) * BATCH]
          state, _ = step_fn(state, x[idx], y[idx])
      box[0] = jax.block_until_ready(state)

    return run

  flax_model = FlaxMLP(tuple(hidden))
  flax_state = [
    flax_train_state.TrainState.create(
      apply_fn=flax_model.apply,
      params=flax_model.init(jax.random.key(0), x[:1])["params"],
      tx=optax.adam(LR),
    )
  ]

  @jax.jit
  def flax_step(state, xb, yb):
    def loss_fn(params):
      logits = state.apply_fn({"params": params}, xb)
      return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    loss_value, grads = jax.value_and_grad(loss_fn)(state.params)
    return state.apply_gradients(grads=grads), loss_value

  return {
    "fnn fit": run_fit,
    "step loop": host_loop(step, loop_state),
    "flax loop": host_loop(flax_step, flax_state),
  }


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--rounds", type=int, default=30)
  parser.add_argument(
    "--hidden",
    type=int,
    nargs="+",
    default=[64],
    help="hidden sizes (default 64: a small MLP whose step is cheap, so the "
    "per-step dispatch that fit removes is visible; the demo uses 256 256)",
  )
  parser.add_argument(
    "--epochs-per-round",
    type=int,
    default=10,
    help="epochs per timed call (fit(epochs=E) / E loop epochs); the figure "
    "is time / E, so fit's per-call set-up is spread as in a real run",
  )
  parser.add_argument("--quick", action="store_true", help="5 rounds (smoke run)")
  parser.add_argument("--json", action="store_true", help="print one JSON object last")
  args = parser.parse_args(argv)
  _timing.print_device()
  rounds = 5 if args.quick else args.rounds
  x, y = load_digits("train")
  x, y = x.reshape(-1, 64), y
  epochs = args.epochs_per_round
  variants = make_variants(x, y, args.hidden, epochs)
  times = _timing.interleave(variants, rounds=rounds, reps=1, progress=False)
  median = {name: float(np.median(t)) / epochs for name, t in times.items()}
  arch = "-".join(map(str, [64, *args.hidden, 10]))
  result = {
    "fit_epoch_s": median["fnn fit"],
    "step_loop_epoch_s": median["step loop"],
    "flax_loop_epoch_s": median["flax loop"],
    "speedup_vs_step_loop": median["step loop"] / median["fnn fit"],
    "speedup_vs_flax_loop": median["flax loop"] / median["fnn fit"],
    "rounds": rounds,
    "epochs_per_round": epochs,
    "steps_per_epoch": len(x) // BATCH,
    "mlp": arch,
    "backend": jax.default_backend(),
  }
  print(
    f"one epoch, MLP {arch}, Adam, batch {BATCH}, "
    f"{len(x) // BATCH} steps; median of {rounds} interleaved rounds of {epochs} epochs"
  )
  print("| variant | ms / epoch | fit speedup |")
  print("| --- | --- | --- |")
  for name, t in median.items():
    print(f"| {name} | {1e3 * t:.2f} | {t / median['fnn fit']:.2f}x |")
  if args.json:
    _timing.print_json(result)
  return result


if __name__ == "__main__":
  main()
