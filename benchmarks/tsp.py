"""TSP restarts: one ``vmap`` over R restarts vs a Python loop over the same jitted solver.

Both variants run the same single-restart function (``fnn.energy.tsp.annealed_run`` and
``hopfield_tank_run``) on eil51 with the same keys: "vmap" jit-compiles
``vmap(run)`` over all R keys and calls it once; "loop" jit-compiles ``run`` for one
key and calls it R times from Python. Variants are interleaved round by round; the
table shows median wall times and ``speedup_vs_loop`` = loop time / vmap time.

    python benchmarks/tsp.py [--quick] [--json] [--restarts 64] [--rounds 3]

eil51 is read from ../shared/data/tsplib when present, else from the copy shipped in
fnn/data/files (byte-identical).
"""

import argparse
import pathlib
import statistics
import sys

import jax
import jax.numpy as jnp

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from benchmarks import _timing
from fnn.energy import tsp, tsplib

SHARED_EIL51 = (
  pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "tsplib" / "eil51.tsp"
)


def load_eil51():
  if SHARED_EIL51.is_file():
    return tsplib.read_tsplib(SHARED_EIL51), str(SHARED_EIL51)
  return tsplib.load_shipped("eil51"), "fnn/data/files/eil51.tsp (shipped copy)"


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--restarts", type=int, default=64)
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--quick", action="store_true", help="short schedules, 8 restarts, 1 round")
  parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
  args = parser.parse_args(argv)
  _timing.print_device()
  restarts, rounds = (8, 1) if args.quick else (args.restarts, args.rounds)
  inst, source = load_eil51()
  d = jnp.asarray(inst.distances, jnp.float32)
  keys = jax.random.split(jax.random.key(0), restarts)
  anneal_cfg = tsp.AnnealConfig(cooling=0.8) if args.quick else tsp.AnnealConfig()
  ht_cfg = tsp.HopfieldTankConfig(steps=500) if args.quick else tsp.HopfieldTankConfig()
  solvers = {
    "annealed": (tsp.annealed_run, anneal_cfg),
    "hopfield-tank": (tsp.hopfield_tank_run, ht_cfg),
  }

  variants = {}
  for name, (run, cfg) in solvers.items():
    one = jax.jit(lambda d, k, run=run, cfg=cfg: run(k, d, cfg).length)
    many = jax.jit(lambda d, ks, run=run, cfg=cfg: jax.vmap(lambda k: run(k, d, cfg).length)(ks))
    variants[(name, "vmap")] = lambda many=many: many(d, keys)
    variants[(name, "loop")] = lambda one=one: [one(d, k) for k in keys]

  # one warm-up call each compiles both; then variants interleaved round by round
  times = _timing.interleave(
    variants, rounds=rounds, reps=1, block=jax.block_until_ready, warmup=1, progress=False
  )
  median = {v: statistics.median(t) for v, t in times.items()}

  print(
    f"TSP restarts on eil51 ({source}), {restarts} restarts, {rounds} round(s), "
    f"jax {jax.__version__}, {jax.devices()[0].platform}"
  )
  print(f"{'solver':<15}{'vmap (s)':>10}{'loop (s)':>10}{'speedup_vs_loop':>17}")
  speedups = {}
  for name in solvers:
    tv, tl = median[(name, "vmap")], median[(name, "loop")]
    speedups[name] = tl / tv
    print(f"{name:<15}{tv:>10.3f}{tl:>10.3f}{speedups[name]:>16.2f}x")
  headline = {
    "instance": "eil51",
    "restarts": restarts,
    "rounds": rounds,
    "platform": jax.devices()[0].platform,
    "speedup_vs_loop": round(speedups["annealed"], 3),
    "speedup_vs_loop_hopfield_tank": round(speedups["hopfield-tank"], 3),
    "seconds": {f"{n}/{v}": round(t, 4) for (n, v), t in median.items()},
  }
  if args.json:
    _timing.print_json(headline)
  return headline


if __name__ == "__main__":
  main()
