"""One train step (forward + backward + Adam) of the same model in fnn and its peers.

Peers: raw JAX + optax (a dict of arrays and a pure apply function, the step jitted as
most code writes it), the same raw step with its buffers donated (``raw_jax_donated``,
like for like with fnn's ``train_step``, which donates the TrainState by default),
flax.linen, flax.nnx (default ``nnx.jit``), equinox (``eqx.filter_jit``) and PyTorch
eager, on the same data, in one process, variants interleaved round by round.

Models: ``mlp_large`` 784-512-512-10 ReLU MLP (compute-bound), ``mlp_digits``
64-256-256-10 (per-call overhead matters), ``lenet5`` on 28x28x1, all at batch 128;
``mlp_tiny`` 16-32-4 at batch 8, whose compute is negligible, so it measures the fixed
per-call cost of a step (what a GPU exposes) on any machine.

    python benchmarks/train_step.py [--quick] [--json] [--models mlp_tiny lenet5]
        [--torch-device auto|cpu|cuda] [--peers raw_jax ... fnn_bf16]

The PyTorch peer runs on CUDA when PyTorch sees a GPU (``--torch-device auto``), so a
GPU comparison is like for like. ``fnn_bf16`` (not run by default) is the same fnn step
with the model wrapped in ``fnn.mixed_precision`` (bfloat16 compute, float32 params).

With ``--json`` the last line is ``{"mlp_large": {"speedup_vs_raw_jax": ...}, ...}``,
each ratio being the peer's median step time / fnn's (> 1: fnn is faster).
"""

import argparse
import itertools
import os
import sys

# PyTorch's OpenMP threads otherwise spin after each of its steps and slow down
# whichever variant runs next.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax
import jax.numpy as jnp
import optax

import fnn
from benchmarks import _timing

BATCH = 128
MODELS = {
  "mlp_tiny": dict(kind="mlp", sizes=(16, 32, 4), batch=8),
  "mlp_large": dict(kind="mlp", sizes=(784, 512, 512, 10)),
  "mlp_digits": dict(kind="mlp", sizes=(64, 256, 256, 10)),
  "lenet5": dict(kind="lenet5"),
}
LR = 1e-3


def _batch(spec):
  return spec.get("batch", BATCH)


def _data(spec, seed=0):
  rng = np.random.default_rng(seed)
  n = _batch(spec)
  shape = (n, spec["sizes"][0]) if spec["kind"] == "mlp" else (n, 28, 28, 1)
  x = rng.normal(size=shape).astype(np.float32)
  classes = spec["sizes"][-1] if spec["kind"] == "mlp" else 10
  y = rng.integers(0, classes, n).astype(np.int32)
  return x, y


def _xent(logits, y):
  return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


# -- fnn ----------------------------------------------------------------------------


def make_fnn(spec, x, y):
  if spec["kind"] == "mlp":
    s = spec["sizes"]
    model = fnn.models.mlp(s[0], list(s[1:-1]), s[-1])
  else:
    model = fnn.models.lenet5()
  opt = optax.adam(LR)
  ts = fnn.train.init_train_state(jax.random.key(0), model, opt, x.shape)
  step = fnn.train.train_step(model, fnn.losses.softmax_cross_entropy, opt)
  x, y = jnp.asarray(x), jnp.asarray(y)
  box = [ts]

  def run():
    box[0], logs = step(box[0], x, y)
    return logs["loss"]

  return run


def _optax_runner(apply, params, x, y, donate=False):
  """One jitted Adam step on a params pytree, for peers whose model is ``apply(params, x)``.

  ``donate``: the step donates ``params`` and the optimizer state, as fnn's
  ``train_step`` does by default.
  """
  opt = optax.adam(LR)

  def update(params, opt_state, x, y):
    loss, grads = jax.value_and_grad(lambda p: _xent(apply(p, x), y))(params)
    updates, opt_state = opt.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  step = jax.jit(update, donate_argnums=(0, 1) if donate else ())

  box = [params, opt.init(params)]
  x, y = jnp.asarray(x), jnp.asarray(y)

  def run():
    box[0], box[1], loss = step(box[0], box[1], x, y)
    return loss

  return run


# -- raw JAX + optax -----------------------------------------------------------------


def _raw_init(spec, key):
  params = {}
  if spec["kind"] == "mlp":
    s = spec["sizes"]
    for i, (a, b) in enumerate(itertools.pairwise(s)):
      key, k = jax.random.split(key)
      params[f"w{i}"] = jax.random.normal(k, (a, b)) / np.sqrt(a)
      params[f"b{i}"] = jnp.zeros(b)
    return params
  shapes = {
    "c1": (5, 5, 1, 6),
    "c2": (5, 5, 6, 16),
    "f1": (400, 120),
    "f2": (120, 84),
    "f3": (84, 10),
  }
  for name, shape in shapes.items():
    key, k = jax.random.split(key)
    params[name + "_w"] = jax.random.normal(k, shape) / np.sqrt(np.prod(shape[:-1]))
    params[name + "_b"] = jnp.zeros(shape[-1])
  return params


def _raw_apply(spec, params, x):
  if spec["kind"] == "mlp":
    n = len(spec["sizes"]) - 1
    for i in range(n):
      x = x @ params[f"w{i}"] + params[f"b{i}"]
      if i < n - 1:
        x = jax.nn.relu(x)
    return x
  dn = ("NHWC", "HWIO", "NHWC")

  def pool(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

  x = jax.nn.relu(
    jax.lax.conv_general_dilated(x, params["c1_w"], (1, 1), "SAME", dimension_numbers=dn)
    + params["c1_b"]
  )
  x = pool(x)
  x = jax.nn.relu(
    jax.lax.conv_general_dilated(x, params["c2_w"], (1, 1), "VALID", dimension_numbers=dn)
    + params["c2_b"]
  )
  x = pool(x).reshape(x.shape[0], -1)
  x = jax.nn.relu(x @ params["f1_w"] + params["f1_b"])
  x = jax.nn.relu(x @ params["f2_w"] + params["f2_b"])
  return x @ params["f3_w"] + params["f3_b"]


def make_raw_jax(spec, x, y, donate=False):
  params = _raw_init(spec, jax.random.key(0))
  return _optax_runner(lambda p, x: _raw_apply(spec, p, x), params, x, y, donate=donate)


def make_raw_jax_donated(spec, x, y):
  """Raw JAX with the buffers donated: like for like with fnn's default step."""
  return make_raw_jax(spec, x, y, donate=True)


# -- flax.linen ----------------------------------------------------------------------


def make_flax_linen(spec, x, y):
  import flax.linen as nn

  class MLP(nn.Module):
    sizes: tuple

    @nn.compact
    def __call__(self, x):
      for i, s in enumerate(self.sizes[1:]):
        x = nn.Dense(s)(x)
        if i < len(self.sizes) - 2:
          x = nn.relu(x)
      return x

  class LeNet5(nn.Module):
    @nn.compact
    def __call__(self, x):
      x = nn.max_pool(nn.relu(nn.Conv(6, (5, 5), padding="SAME")(x)), (2, 2), (2, 2))
      x = nn.max_pool(nn.relu(nn.Conv(16, (5, 5), padding="VALID")(x)), (2, 2), (2, 2))
      x = x.reshape(x.shape[0], -1)
      x = nn.relu(nn.Dense(120)(x))
      x = nn.relu(nn.Dense(84)(x))
      return nn.Dense(10)(x)

  model = MLP(spec["sizes"]) if spec["kind"] == "mlp" else LeNet5()
  params = model.init(jax.random.key(0), jnp.asarray(x))["params"]
  return _optax_runner(lambda p, x: model.apply({"params": p}, x), params, x, y)


# -- flax.nnx ------------------------------------------------------------------------


def make_flax_nnx(spec, x, y):
  from flax import nnx

  rngs = nnx.Rngs(0)
  if spec["kind"] == "mlp":
    s = spec["sizes"]

    class Model(nnx.Module):
      def __init__(self):
        self.layers = nnx.List([nnx.Linear(a, b, rngs=rngs) for a, b in itertools.pairwise(s)])

      def __call__(self, x):
        for i, layer in enumerate(self.layers):
          x = layer(x)
          if i < len(self.layers) - 1:
            x = jax.nn.relu(x)
        return x
  else:

    class Model(nnx.Module):
      def __init__(self):
        self.c1 = nnx.Conv(1, 6, (5, 5), padding="SAME", rngs=rngs)
        self.c2 = nnx.Conv(6, 16, (5, 5), padding="VALID", rngs=rngs)
        self.f1 = nnx.Linear(400, 120, rngs=rngs)
        self.f2 = nnx.Linear(120, 84, rngs=rngs)
        self.f3 = nnx.Linear(84, 10, rngs=rngs)

      def __call__(self, x):
        from flax import linen as nn

        x = nn.max_pool(jax.nn.relu(self.c1(x)), (2, 2), (2, 2))
        x = nn.max_pool(jax.nn.relu(self.c2(x)), (2, 2), (2, 2))
        x = x.reshape(x.shape[0], -1)
        return self.f3(jax.nn.relu(self.f2(jax.nn.relu(self.f1(x)))))

  model = Model()
  optimizer = nnx.Optimizer(model, optax.adam(LR), wrt=nnx.Param)

  @nnx.jit
  def step(model, optimizer, x, y):
    loss, grads = nnx.value_and_grad(lambda m: _xent(m(x), y))(model)
    optimizer.update(model, grads)
    return loss

  x, y = jnp.asarray(x), jnp.asarray(y)
  return lambda: step(model, optimizer, x, y)


# -- equinox -------------------------------------------------------------------------


def make_equinox(spec, x, y):
  import equinox as eqx

  key = jax.random.key(0)
  if spec["kind"] == "mlp":
    s = spec["sizes"]
    model = eqx.nn.MLP(
      s[0], s[-1], width_size=s[1], depth=len(s) - 2, activation=jax.nn.relu, key=key
    )
    xb = jnp.asarray(x)
  else:
    k = jax.random.split(key, 5)
    model = eqx.nn.Sequential(
      [
        eqx.nn.Conv2d(1, 6, 5, padding=2, key=k[0]),
        eqx.nn.Lambda(jax.nn.relu),
        eqx.nn.MaxPool2d(2, 2),
        eqx.nn.Conv2d(6, 16, 5, key=k[1]),
        eqx.nn.Lambda(jax.nn.relu),
        eqx.nn.MaxPool2d(2, 2),
        eqx.nn.Lambda(jnp.ravel),
        eqx.nn.Linear(400, 120, key=k[2]),
        eqx.nn.Lambda(jax.nn.relu),
        eqx.nn.Linear(120, 84, key=k[3]),
        eqx.nn.Lambda(jax.nn.relu),
        eqx.nn.Linear(84, 10, key=k[4]),
      ]
    )
    xb = jnp.asarray(x.transpose(0, 3, 1, 2))  # equinox convolutions are channels-first
  opt = optax.adam(LR)
  opt_state = opt.init(eqx.filter(model, eqx.is_array))

  @eqx.filter_jit
  def step(model, opt_state, x, y):
    loss, grads = eqx.filter_value_and_grad(lambda m: _xent(jax.vmap(m)(x), y))(model)
    updates, opt_state = opt.update(grads, opt_state, eqx.filter(model, eqx.is_array))
    return eqx.apply_updates(model, updates), opt_state, loss

  box = [model, opt_state]
  y = jnp.asarray(y)

  def run():
    box[0], box[1], loss = step(box[0], box[1], xb, y)
    return loss

  return run


# -- fnn with bfloat16 compute (opt-in peer) -------------------------------------------


def make_fnn_bf16(spec, x, y):
  """Fnn's step with the model in ``fnn.mixed_precision`` (float32 params and Adam)."""
  if spec["kind"] == "mlp":
    s = spec["sizes"]
    model = fnn.models.mlp(s[0], list(s[1:-1]), s[-1])
  else:
    model = fnn.models.lenet5()
  model = fnn.mixed_precision(model)
  opt = optax.adam(LR)
  box = [fnn.train.init_train_state(jax.random.key(0), model, opt, x.shape)]
  step = fnn.train.train_step(model, fnn.losses.softmax_cross_entropy, opt)
  x, y = jnp.asarray(x), jnp.asarray(y)

  def run():
    box[0], logs = step(box[0], x, y)
    return logs["loss"]

  return run


# -- PyTorch eager -------------------------------------------------------------------


def make_torch(spec, x, y, device="cpu"):
  import torch
  from torch import nn

  torch.manual_seed(0)
  if spec["kind"] == "mlp":
    s = spec["sizes"]
    layers = []
    for i, (a, b) in enumerate(itertools.pairwise(s)):
      layers.append(nn.Linear(a, b))
      if i < len(s) - 2:
        layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    xb = torch.from_numpy(x)
  else:
    model = nn.Sequential(
      nn.Conv2d(1, 6, 5, padding=2),
      nn.ReLU(),
      nn.MaxPool2d(2),
      nn.Conv2d(6, 16, 5),
      nn.ReLU(),
      nn.MaxPool2d(2),
      nn.Flatten(),
      nn.Linear(400, 120),
      nn.ReLU(),
      nn.Linear(120, 84),
      nn.ReLU(),
      nn.Linear(84, 10),
    )
    xb = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
  model, xb = model.to(device), xb.to(device)
  yb = torch.from_numpy(y.astype(np.int64)).to(device)
  opt = torch.optim.Adam(model.parameters(), lr=LR)
  loss_fn = nn.CrossEntropyLoss()

  def run():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(xb), yb)
    loss.backward()
    opt.step()
    return loss

  return run


PEERS = {
  "raw_jax": make_raw_jax,
  "raw_jax_donated": make_raw_jax_donated,
  "flax_linen": make_flax_linen,
  "flax_nnx": make_flax_nnx,
  "equinox": make_equinox,
  "torch": make_torch,
  "fnn_bf16": make_fnn_bf16,
}
DEFAULT_PEERS = [p for p in PEERS if p != "fnn_bf16"]
_block = _timing.block_any


def bench_model(name, rounds, peers, target_seconds, torch_device="cpu"):
  spec = MODELS[name]
  x, y = _data(spec)
  variants = {"fnn": make_fnn(spec, x, y)}
  for peer in peers:
    try:
      extra = {"device": torch_device} if peer == "torch" else {}
      variants[peer] = PEERS[peer](spec, x, y, **extra)
    except ImportError as e:
      print(f"  skipping {peer}: {e}")
  reps = _timing.calibrate_reps(variants["fnn"], _block, target_seconds)
  print(f"== {name}: {rounds} rounds x {reps} steps per variant", flush=True)
  times = _timing.interleave(variants, rounds=rounds, reps=reps, block=_block)
  print(_timing.table(f"{name} (batch {_batch(spec)}), ms per train step", times))
  return _timing.speedups(times)


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true", help="3 short rounds (smoke test)")
  parser.add_argument("--json", action="store_true", help="print the ratios as JSON last")
  parser.add_argument("--rounds", type=int, default=15)
  parser.add_argument("--models", nargs="*", choices=sorted(MODELS), default=list(MODELS))
  parser.add_argument(
    "--peers",
    nargs="*",
    choices=sorted(PEERS),
    default=DEFAULT_PEERS,
    help="default: all but fnn_bf16",
  )
  parser.add_argument(
    "--torch-device",
    default="auto",
    choices=["auto", "cpu", "cuda"],
    help="where the PyTorch peer runs (auto: cuda when torch sees a GPU)",
  )
  parser.add_argument(
    "--torch-threads",
    type=int,
    default=None,
    help="torch.set_num_threads (default: torch's own); on a loaded "
    "machine 1 avoids OpenMP spin-waiting against other jobs",
  )
  args = parser.parse_args(argv)
  torch_device = _timing.resolve_torch_device(args.torch_device) if "torch" in args.peers else None
  _timing.print_device(torch_device)
  if args.torch_threads and "torch" in args.peers:
    import torch

    torch.set_num_threads(args.torch_threads)
  rounds, target = (3, 0.02) if args.quick else (args.rounds, 0.5)
  results = {}
  for name in args.models:
    results[name] = bench_model(name, rounds, args.peers, target, torch_device)
  print()
  _timing.print_device(torch_device)
  if args.json:
    _timing.print_json(results, torch_device)
  return results


if __name__ == "__main__":
  main()
