"""Many seeds at once: one ``vmap_fit`` vs a loop of ``fit`` calls vs per-step loops.

M MLPs (64-128-10, ReLU, Adam 1e-3, default M = 32) train on the 1437 training digits,
batch 64 (22 steps an epoch), for E epochs (default 10), each from its own key:

* ``vmap_fit``: ``fnn.train.vmap_fit(..., keys=keys)``, the M models as one program;
* ``fit loop``: a Python loop of M ``fnn.train.fit(..., key=keys[i])`` calls, the same
  models (each ``fit`` runs its epochs as compiled ``lax.scan``s);
* ``step loop``: a loop over the M models of the usual hand-written loop: a Python
  ``for`` over epochs and numpy minibatches feeding the jitted
  ``fnn.train.train_step``;
* ``vmap_fit model mesh`` (``--cpu-devices K``, K > 1): the same ``vmap_fit`` with its
  models split over K CPU devices (``mesh=jax.make_mesh((K,), ("model",))``), so that
  it can use K cores; the loops stay on one device (a single model's small steps use one
  core);
* ``torch ensemble`` (``--torch``): the M models as one PyTorch ensemble
  (``torch.func.stack_module_state`` + ``torch.vmap`` over ``functional_call``,
  ``torch.optim.Adam`` on the stacked parameters), each model its own batch order.

One unit of work is training all M models for E epochs. Each variant is called once
untimed first (its compilation: the ``first_call_s - median`` is reported as
``compile_s``), then the variants are interleaved round by round
(``benchmarks/_timing.py``); the figures are medians. ``speedup_vs_<peer>`` = peer time
/ ``vmap_fit`` time; ``models_per_second`` = M / ``vmap_fit`` time.

    python benchmarks/vmap_seeds.py [--models 32] [--epochs 10] [--rounds 5] [--torch]
                                    [--cpu-devices K] [--breakdown] [--quick] [--json]
"""

import argparse
import functools
import pathlib
import statistics
import sys
import time

import jax
import numpy as np
import optax

import fnn
from fnn.data import load_digits
from fnn.train import fit, init_train_state, train_step, vmap_fit

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from benchmarks import _timing

LR, BATCH, HIDDEN = 1e-3, 64, 128


def fnn_variants(x, y, keys, epochs, cpu_devices=1):
  model = fnn.models.mlp(64, [HIDDEN], 10)
  loss, opt = fnn.losses.softmax_cross_entropy, optax.adam(LR)
  x_dev, y_dev = jax.device_put((x, y))  # every variant starts from data on the device
  args = dict(epochs=epochs, batch_size=BATCH, progress=False)

  def run_vmap_fit():
    return vmap_fit(model, loss, opt, x_dev, y_dev, keys=keys, **args).states.params

  def run_fit_loop():
    return [fit(model, loss, opt, x_dev, y_dev, key=k, **args).state.params for k in keys]

  step, rng = train_step(model, loss, opt), np.random.default_rng(0)

  def run_step_loop():
    return [
      step_loop(step, init_train_state(k, model, opt, (1, 64)), x, y, epochs, rng).params
      for k in keys
    ]

  variants = {"vmap_fit": run_vmap_fit, "fit loop": run_fit_loop, "step loop": run_step_loop}
  if cpu_devices > 1:
    mesh = jax.make_mesh((cpu_devices,), ("model",))
    variants["vmap_fit model mesh"] = lambda: (
      vmap_fit(model, loss, opt, x_dev, y_dev, keys=keys, mesh=mesh, **args).states.params
    )
  return variants


def step_loop(step, ts, x, y, epochs, rng):
  """The hand-written loop: epochs of numpy minibatches fed to a jitted step."""
  for _ in range(epochs):
    order = rng.permutation(len(x))
    for b in range(len(x) // BATCH):
      idx = order[b * BATCH : (b + 1) * BATCH]
      ts, _ = step(ts, x[idx], y[idx])
  return ts


def torch_ensemble(x, y, models, epochs, seed=0):
  """``train()``: the M models as one torch.func ensemble for ``epochs`` epochs."""
  import copy

  import torch
  from torch.func import functional_call, stack_module_state

  torch.manual_seed(seed)
  nets = [
    torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 10))
    for _ in range(models)
  ]
  base = copy.deepcopy(nets[0]).to("meta")
  x_t, y_t = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
  gen = torch.Generator().manual_seed(seed)

  def one_loss(params, buffers, xb, yb):
    out = functional_call(base, (params, buffers), (xb,))
    return torch.nn.functional.cross_entropy(out, yb)

  def train():
    params, buffers = stack_module_state(nets)
    params = {k: v.detach().requires_grad_() for k, v in params.items()}
    opt = torch.optim.Adam(params.values(), lr=LR)
    losses = torch.vmap(one_loss)
    for _ in range(epochs):
      orders = torch.stack([torch.randperm(len(x), generator=gen) for _ in range(models)])
      for b in range(len(x) // BATCH):
        idx = orders[:, b * BATCH : (b + 1) * BATCH]
        opt.zero_grad()
        losses(params, buffers, x_t[idx], y_t[idx]).sum().backward()  # sum: per-model grads
        opt.step()
    return params

  return train


def breakdown(x, y, models, rounds):
  """Where an epoch's time goes, in seconds per model-epoch (medians).

  One epoch of one model as the jitted scan ``fit`` runs and as the step loop, and one
  epoch of all models vmapped, with and without the shuffle.
  """
  from fnn.train import epoch_fn, supervised_step

  model, loss, opt = (
    fnn.models.mlp(64, [HIDDEN], 10),
    fnn.losses.softmax_cross_entropy,
    optax.adam(LR),
  )
  data, step = jax.device_put((x, y)), supervised_step(model, loss, opt)
  keys = jax.random.split(jax.random.key(0), models)
  one = init_train_state(keys[0], model, opt, (1, 64))
  many = jax.vmap(lambda k: init_train_state(k, model, opt, (1, 64)))(keys)
  epoch = functools.partial(epoch_fn, step, BATCH, guard=False)
  scan, jitted_step, rng = jax.jit(epoch()), train_step(model, loss, opt), np.random.default_rng(0)
  vmapped = jax.jit(jax.vmap(epoch(), (0, None)))
  unshuffled = jax.jit(jax.vmap(epoch(shuffle=False), (0, None)))
  variants = {
    "one model, scan": lambda: scan(one, data),
    "one model, step loop": lambda: step_loop(jitted_step, one, x, y, 1, rng),
    f"{models} models vmapped": lambda: vmapped(many, data),
    f"{models} models vmapped, no shuffle": lambda: unshuffled(many, data),
  }
  times = _timing.interleave(
    variants, rounds=rounds, reps=1, block=jax.block_until_ready, progress=False
  )
  return {
    k: statistics.median(t) / (1 if k.startswith("one") else models) for k, t in times.items()
  }


def first_calls(variants) -> dict:
  """Seconds of each variant's first call (compilation included)."""
  seconds = {}
  for name, fn in variants.items():
    start = time.perf_counter()
    jax.block_until_ready(fn())
    seconds[name] = time.perf_counter() - start
  return seconds


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--models", type=int, default=32)
  parser.add_argument("--epochs", type=int, default=10)
  parser.add_argument("--rounds", type=int, default=5)
  parser.add_argument("--torch", action="store_true", help="add the PyTorch ensemble peer")
  parser.add_argument(
    "--cpu-devices",
    type=int,
    default=1,
    help="K > 1: split the CPU into K devices and add vmap_fit over a K-device "
    "'model' mesh (set before JAX starts; models must divide by K)",
  )
  parser.add_argument(
    "--breakdown",
    action="store_true",
    help="also time one epoch of the pieces (seconds per model-epoch)",
  )
  parser.add_argument("--quick", action="store_true", help="4 models, 2 epochs, 1 round")
  parser.add_argument("--json", action="store_true", help="print one JSON object last")
  args = parser.parse_args(argv)
  models, epochs, rounds = (4, 2, 1) if args.quick else (args.models, args.epochs, args.rounds)
  if args.cpu_devices > 1:
    jax.config.update("jax_num_cpu_devices", args.cpu_devices)
  x, y = load_digits("train")
  x = x.reshape(-1, 64)
  keys = jax.random.split(jax.random.key(0), models)
  variants = fnn_variants(x, y, keys, epochs, args.cpu_devices)
  if args.torch:
    variants["torch ensemble"] = torch_ensemble(x, y, models, epochs)
  first = first_calls(variants)
  times = _timing.interleave(
    variants, rounds=rounds, reps=1, block=jax.block_until_ready, warmup=0, progress=not args.json
  )
  median = {name: statistics.median(t) for name, t in times.items()}
  mesh = "vmap_fit model mesh"
  peers = {k: v for k, v in times.items() if k != mesh}
  result = {
    **{k.replace(" ", "_"): v for k, v in _timing.speedups(peers, "vmap_fit").items()},
    "models_per_second": round(models / median["vmap_fit"], 1),
    "seconds": {k: round(v, 4) for k, v in median.items()},
    "compile_s": {k: round(max(0.0, first[k] - median[k]), 3) for k in variants},
    "models": models,
    "epochs": epochs,
    "rounds": rounds,
    "steps_per_epoch": len(x) // BATCH,
    "backend": jax.default_backend(),
    "device": jax.devices()[0].device_kind,
  }
  if mesh in times:  # the same keys for vmap_fit over the K-device mesh
    ratios = _timing.speedups({k: v for k, v in times.items() if k != "vmap_fit"}, mesh)
    result.update(
      {f"model_mesh_{k.replace(' ', '_')}": v for k, v in ratios.items()},
      model_mesh_models_per_second=round(models / median[mesh], 1),
      cpu_devices=args.cpu_devices,
    )
  print(
    f"{models} MLPs 64-{HIDDEN}-10, Adam, batch {BATCH}, {epochs} epochs on the digits; "
    f"median of {rounds} interleaved rounds (compilation excluded)"
  )
  print(_timing.table("train all models", times, ours="vmap_fit", unit="s"))
  print(f"compilation (first call - median), s: {result['compile_s']}")
  if args.breakdown:
    result["breakdown_s_per_model_epoch"] = {
      k: round(v, 6) for k, v in breakdown(x, y, models, max(rounds, 5) * 4).items()
    }
    print(f"seconds per model-epoch: {result['breakdown_s_per_model_epoch']}")
  if args.json:
    _timing.print_json(result)
  return result


if __name__ == "__main__":
  main()
