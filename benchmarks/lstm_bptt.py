"""One LSTM BPTT train step: fnn vs raw JAX, flax.linen and PyTorch, in one process.

The step: an LSTM over (N, T, F) input, a Dense(1) on the last output, MSE against a
random target, the gradient by BPTT and one Adam update (lr 1e-3). Four versions of
the same work:

* ``fnn``: ``serial(RNN(LSTMCell(H), return_sequences=False), Dense(1))``.
* ``raw_jax``: the textbook cell (one weight matrix per gate and operand) under
  ``lax.scan``, written by hand, with optax Adam.
* ``flax``: ``nn.RNN(nn.OptimizedLSTMCell(H))`` (flax's fastest LSTM) + ``nn.Dense(1)``.
* ``torch``: ``nn.LSTM`` (its fused kernel: oneDNN on CPU, cuDNN on CUDA) + ``nn.Linear``
  with ``torch.optim.Adam``, on CUDA when PyTorch sees a GPU (``--torch-device auto``).

Variants run round by round (interleaved, ``benchmarks/_timing.interleave``), so load
changes on a shared machine hit them alike; each figure is the median over rounds of the
mean step time in a round.
``speedup_vs_X`` is X's time / fnn's time (> 1: fnn is faster).

    python benchmarks/lstm_bptt.py [--quick] [--json] [--rounds R] [--torch-threads K]
        [--torch-device auto|cpu|cuda]
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

import fnn
from benchmarks import _timing
from fnn.layers import RNN, Dense, LSTMCell

SIZES = {  # name: (input F, hidden H, steps T, batch N)
  "small": (32, 128, 100, 32),
  "large": (32, 512, 200, 64),
}
QUICK_SIZES = {"small": (8, 16, 10, 4), "large": (8, 32, 20, 8)}
LR = 1e-3


def _jax_step(loss_fn, params):
  """A jitted (params, opt_state, x, y) -> (params, opt_state, loss) Adam step."""
  opt = optax.adam(LR)

  @jax.jit
  def step(params, opt_state, x, y):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
    updates, opt_state = opt.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  return step, [params, opt.init(params)]


def make_fnn(f, h, key):
  model = fnn.serial(RNN(LSTMCell(h), return_sequences=False), Dense(1))
  params, state, _ = model.init(key, (1, 1, f))

  def loss_fn(params, x, y):
    pred, _ = model.apply(params, state, x)
    return fnn.losses.mean_squared_error(pred, y).mean()

  return _jax_step(loss_fn, params)


def make_raw_jax(f, h, key):
  """The textbook cell: i, f, g, o each from its own W (F, H), U (H, H) and b (H,)."""
  keys = jax.random.split(key, 9)
  params = {
    "W": [jax.random.normal(keys[k], (f, h)) / np.sqrt(f) for k in range(4)],
    "U": [jax.random.normal(keys[4 + k], (h, h)) / np.sqrt(h) for k in range(4)],
    "b": [jnp.zeros(h) for _ in range(4)],
    "out_w": jax.random.normal(keys[8], (h, 1)) / np.sqrt(h),
    "out_b": jnp.zeros(1),
  }

  def loss_fn(params, x, y):
    W, U, b = params["W"], params["U"], params["b"]

    def cell(carry, x_t):
      h_prev, c_prev = carry
      i = jax.nn.sigmoid(x_t @ W[0] + h_prev @ U[0] + b[0])
      f_ = jax.nn.sigmoid(x_t @ W[1] + h_prev @ U[1] + b[1])
      g = jnp.tanh(x_t @ W[2] + h_prev @ U[2] + b[2])
      o = jax.nn.sigmoid(x_t @ W[3] + h_prev @ U[3] + b[3])
      c = f_ * c_prev + i * g
      h_new = o * jnp.tanh(c)
      return (h_new, c), None

    zeros = jnp.zeros((x.shape[0], h))
    (h_last, _), _ = jax.lax.scan(cell, (zeros, zeros), jnp.swapaxes(x, 0, 1))
    pred = h_last @ params["out_w"] + params["out_b"]
    return jnp.mean((pred - y) ** 2)

  return _jax_step(loss_fn, params)


class _FlaxModel(nn.Module):
  hidden: int

  @nn.compact
  def __call__(self, x):
    h = nn.RNN(nn.OptimizedLSTMCell(self.hidden))(x)
    return nn.Dense(1)(h[:, -1])


def make_flax(f, h, key):
  model = _FlaxModel(h)
  params = model.init(key, jnp.zeros((1, 1, f)))

  def loss_fn(params, x, y):
    return jnp.mean((model.apply(params, x) - y) ** 2)

  return _jax_step(loss_fn, params)


def make_torch(f, h, seed, device="cpu"):
  import torch

  torch.manual_seed(seed)
  lstm = torch.nn.LSTM(f, h, batch_first=True).to(device)
  head = torch.nn.Linear(h, 1).to(device)
  opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=LR)

  def step(x, y):
    opt.zero_grad()
    out, _ = lstm(x)
    loss = torch.mean((head(out[:, -1]) - y) ** 2)
    loss.backward()
    opt.step()
    return loss

  return step


def bench_size(f, h, t, n, rounds, reps, seed=0, progress=False, torch_device="cpu"):
  """Seconds per train step of each variant, ``{name: [one per round]}``, interleaved."""
  rng = np.random.default_rng(seed)
  x_np = rng.normal(size=(n, t, f)).astype(np.float32)
  y_np = rng.normal(size=(n, 1)).astype(np.float32)
  x, y = jnp.asarray(x_np), jnp.asarray(y_np)
  key = jax.random.key(seed)
  variants = {}
  for name, make in [("fnn", make_fnn), ("raw_jax", make_raw_jax), ("flax", make_flax)]:
    step, carry = make(f, h, key)

    def one_step(step=step, carry=carry):
      carry[0], carry[1], loss = step(carry[0], carry[1], x, y)
      return loss

    variants[name] = one_step
  try:
    import torch

    torch_step = make_torch(f, h, seed, torch_device)
    x_t, y_t = torch.from_numpy(x_np).to(torch_device), torch.from_numpy(y_np).to(torch_device)
    variants["torch"] = lambda: torch_step(x_t, y_t)
  except ImportError:
    print("torch is not installed: skipping it", file=sys.stderr)
  return _timing.interleave(
    variants, rounds=rounds, reps=reps, block=_timing.block_any, warmup=1, progress=progress
  )


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke run")
  parser.add_argument("--json", action="store_true", help="print one JSON object last")
  parser.add_argument("--rounds", type=int, default=None, help="rounds per size")
  parser.add_argument(
    "--sizes",
    nargs="+",
    choices=list(SIZES),
    default=list(SIZES),
    help="which sizes to run (default both)",
  )
  parser.add_argument(
    "--torch-threads",
    type=int,
    default=None,
    help="torch.set_num_threads (default: torch's own choice). On a "
    "machine shared with other jobs, 1 avoids OpenMP spin-waiting",
  )
  parser.add_argument(
    "--torch-device",
    default="auto",
    choices=["auto", "cpu", "cuda"],
    help="where the PyTorch peer runs (auto: cuda when torch sees a GPU)",
  )
  args = parser.parse_args(argv)
  torch_device = _timing.resolve_torch_device(args.torch_device)
  _timing.print_device(torch_device)
  if args.torch_threads:
    import torch

    torch.set_num_threads(args.torch_threads)
  sizes = QUICK_SIZES if args.quick else SIZES
  results = {}
  print(
    f"{'size':6} {'F,H,T,N':>16} "
    + " ".join(f"{v:>10}" for v in ("fnn ms", "raw_jax ms", "flax ms", "torch ms"))
  )
  for size, (f, h, t, n) in sizes.items():
    if size not in args.sizes:
      continue
    rounds = args.rounds or (2 if args.quick else (7 if size == "small" else 3))
    reps = 1 if args.quick else (5 if size == "small" else 1)
    times = bench_size(f, h, t, n, rounds, reps, torch_device=torch_device)
    secs = {k: statistics.median(v) for k, v in times.items()}
    row = {
      "F": f,
      "H": h,
      "T": t,
      "N": n,
      "seconds_per_step": {k: round(v, 6) for k, v in secs.items()},
      **_timing.speedups(times),
    }
    results[size] = row
    ms = " ".join(
      f"{secs[k] * 1e3:10.2f}" if k in secs else f"{'-':>10}"
      for k in ("fnn", "raw_jax", "flax", "torch")
    )
    print(
      f"{size:6} {f'{f},{h},{t},{n}':>16} {ms}   "
      + "  ".join(f"{k}={v}" for k, v in row.items() if k.startswith("speedup")),
      flush=True,
    )
  if args.json:
    _timing.print_json(results, torch_device)
  return results


if __name__ == "__main__":
  main()
