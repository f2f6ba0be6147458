r"""Hopfield networks on the travelling salesman problem: Hopfield–Tank vs mean-field annealing.

Runs R restarts of one network in a single jit-compiled vmap and reports the fraction of
restarts whose decoded tour is a valid permutation, the best and median tour length of the
valid ones, their gaps to the optimum (the network's own tours, before any polish), the
wall and CPU time of the batched run, and, only with --two-opt, the best gap after a 2-opt
polish of each valid tour (a classical local search, not the network).

Instances: --instance FILE.tsp (any TSPLIB file supported by fnn.energy.tsplib; the
optimum comes from --optimum or from optima.json beside the file), --instance FILE.json
(a JSON with "coordinates" and optionally "optimal_length", plain Euclidean distances, e.g.
shared/data/tsplib/hopfield_tank_10.json), or --random N (uniform cities in the unit square
from --seed). Without --optimum, instances with n <= 13 get the Held–Karp optimum.

For --method hopfield-tank the distances are divided by their maximum when it exceeds 1.5,
so instances in TSPLIB units look like Hopfield & Tank's unit square to the network; all
lengths are reported in the instance's own units.

Examples:
  python -m experiments.hopfield_tsp --instance ../shared/data/tsplib/hopfield_tank_10.json \
      --method hopfield-tank --restarts 100
  python -m experiments.hopfield_tsp --instance ../shared/data/tsplib/eil51.tsp --restarts 64 --json
"""

import json
import pathlib
import time

import jax
import matplotlib.pyplot as plt
import numpy as np

from experiments._common import experiment_parser, finish, output_dir
from fnn.energy import pictures, tsp, tsplib


def load_instance(args):
  """Returns (name, distances, coords or None, optimum or None)."""
  if args.random is not None:
    coords = np.random.default_rng(args.seed).random((args.random, 2))
    return f"random{args.random}_seed{args.seed}", tsp.euclidean_distances(coords), coords, None
  path = pathlib.Path(args.instance)
  if path.suffix == ".json":
    info = json.loads(path.read_text())
    coords = np.asarray(info["coordinates"], np.float64)
    return (
      info.get("name", path.stem),
      tsp.euclidean_distances(coords),
      coords,
      info.get("optimal_length"),
    )
  inst = tsplib.read_tsplib(path)
  optimum = None
  optima_file = path.parent / "optima.json"
  if optima_file.is_file():
    optimum = json.loads(optima_file.read_text()).get(path.name[: -len(".tsp")])
  return path.name[: -len(".tsp")], inst.distances, inst.coords, optimum


def main(argv=None):
  parser = experiment_parser("hopfield_tsp", __doc__)
  source = parser.add_mutually_exclusive_group()
  source.add_argument("--instance", help="a TSPLIB .tsp file or a .json with coordinates")
  source.add_argument("--random", type=int, metavar="N", help="N random cities (from --seed)")
  parser.add_argument("--restarts", type=int, default=64)
  parser.add_argument("--method", choices=["hopfield-tank", "annealed"], default="annealed")
  parser.add_argument(
    "--two-opt",
    action="store_true",
    help="also polish each valid tour with 2-opt (reported separately)",
  )
  parser.add_argument("--optimum", type=float, help="the optimal tour length, for the gaps")
  args = parser.parse_args(argv)
  if args.instance is None and args.random is None:
    args.random = 10
  out = output_dir(args)
  name, d, coords, optimum = load_instance(args)
  d = tsp.check_distances(d, "hopfield_tsp.main")
  n = d.shape[0]
  if args.optimum is not None:
    optimum = args.optimum
  optimum_source = "given" if optimum is not None else None
  if optimum is None and n <= tsp.HELD_KARP_MAX_CITIES:
    optimum, _ = tsp.held_karp(d)
    optimum_source = "held_karp"
  restarts = min(args.restarts, 8) if args.quick else args.restarts

  key = jax.random.key(args.seed)
  if args.method == "annealed":
    config = tsp.AnnealConfig(cooling=0.85) if args.quick else tsp.AnnealConfig()
    net_d = d
    solve = tsp.annealed
  else:
    config = tsp.HopfieldTankConfig(steps=2000) if args.quick else tsp.HopfieldTankConfig()
    net_d = d / d.max() if d.max() > 1.5 else d
    solve = tsp.hopfield_tank
  wall, cpu = time.perf_counter(), time.process_time()
  result = jax.block_until_ready(solve(key, net_d, restarts, config))
  wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

  valid = np.asarray(result.valid)
  tours = np.asarray(result.tour)
  lengths = d[tours, np.roll(tours, -1, axis=1)].sum(1)  # float64, in the instance's units
  valid_lengths = lengths[valid]
  best_i = int(np.flatnonzero(valid)[np.argmin(valid_lengths)]) if valid.any() else None

  def gap(x):
    # Rounded so float noise does not print as a tiny negative gap at the optimum.
    # (+ 0.0 turns -0.0 into 0.0.)
    return None if optimum is None or x is None else round(float(x / optimum - 1.0), 6) + 0.0

  best = float(valid_lengths.min()) if valid.any() else None
  median = float(np.median(valid_lengths)) if valid.any() else None
  headline = {
    "instance": name,
    "n": n,
    "method": args.method,
    "restarts": restarts,
    "valid_rate": float(valid.mean()),
    "best_length": best,
    "median_length": median,
    "optimum": optimum,
    "best_gap": gap(best),
    "median_gap": gap(median),
    "wall_time_s": round(wall, 3),
    "cpu_time_s": round(cpu, 3),
  }
  results = dict(
    headline,
    optimum_source=optimum_source,
    config=config._asdict(),
    lengths=lengths,
    valid=valid,
    best_tour=None if best_i is None else tours[best_i],
  )
  if args.two_opt:
    polished = tsp.two_opt(d, tours[valid])
    polished_lengths = d[polished, np.roll(polished, -1, axis=1)].sum(1)
    best_polished = float(polished_lengths.min()) if len(polished) else None
    headline["best_gap_after_two_opt"] = gap(best_polished)
    results.update(
      best_length_after_two_opt=best_polished,
      best_gap_after_two_opt=gap(best_polished),
      lengths_after_two_opt=polished_lengths,
    )

  print(
    f"{name}: n={n}, {args.method}, {restarts} restarts in {wall:.2f} s wall "
    f"({cpu:.2f} s CPU, compile included): valid {valid.mean():.0%}, best {best}, "
    f"median {median}, optimum {optimum} ({optimum_source})"
  )

  energies = np.asarray(result.energies)
  fig, ax = plt.subplots(figsize=(6, 3.5))
  if args.method == "annealed":
    steps, xlabel, ylabel = (
      config.temperatures / config.t_start,
      "T / T_start",
      "expected tour length",
    )
    ax.set_xscale("log")
    ax.invert_xaxis()
  else:
    steps = np.arange(1, config.records + 1) * max(config.steps // config.records, 1)
    xlabel, ylabel = "Euler step", "Hopfield-Tank energy"
  for e, ok in zip(energies, valid, strict=True):
    ax.plot(steps, e, color="tab:blue" if ok else "tab:red", alpha=0.3, lw=0.8)
  ax.set(xlabel=xlabel, ylabel=ylabel, title=f"{name}, {args.method}: blue = valid, red = invalid")
  fig.tight_layout()
  fig.savefig(out / "energy_curves.png", dpi=100)
  plt.close(fig)
  if coords is not None and best_i is not None:
    gap_text = "" if optimum is None else f", gap {gap(best):.1%}"
    pictures.save_tour(
      out / "best_tour.png",
      coords,
      tours[best_i],
      title=f"{name}: best {args.method} tour, {best:.4g}{gap_text}",
    )
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
