"""Storage capacity of the Hebbian Hopfield network by retrieval overlap, against the load P/N.

For N = 1000, 2000, 4000 neurons and loads alpha = P/N, stores P random ±1 patterns with
the Hebbian rule (zero diagonal) and starts asynchronous zero-temperature recall
(``fnn.energy.hopfield.recall``, one neuron at a time in a random order per sweep)
*from a stored pattern*, as Amit, Gutfreund & Sompolinsky (AGS) do. It measures

* the final retrieval overlap ``m = (1/N) sum_i s_i xi_i`` with the starting pattern,
  averaged over --probes stored patterns (the first ones; P random patterns are
  exchangeable), drawn beside the mean-field (replica-symmetric, T = 0) overlap
  ``fnn.energy.hopfield.mean_field_overlap``, which jumps from m ~ 0.967 to no
  retrieval state at alpha_c ~ 0.138 (AGS, Ann. Phys. 173, 30, 1987); and
* the fraction of those runs that end *exactly* on the pattern (every bit), the
  stricter criterion, which collapses at much lower loads (second panel).

``alpha_c_estimate`` is the load at which the mean overlap at the largest N falls
through 0.9, interpolated linearly between the two loads around the crossing.

Asynchronous updates because AGS's theory is about the fixed points of zero-temperature
single-spin-flip dynamics, the classical setting, in which the energy never increases;
synchronous updates can end in 2-cycles instead.
"""

import jax
import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

from experiments._common import experiment_parser, finish, output_dir
from fnn.energy import hopfield as hp

OVERLAP_THRESHOLD = 0.9
FULL_SIZES = (1000, 2000, 4000)
FULL_LOADS = (0.06, 0.08, 0.10, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.18, 0.20)
QUICK_SIZES = (200, 400)
QUICK_LOADS = (0.05, 0.10, 0.14, 0.20)


def retrieval_runs(key, n, alpha, probes, max_sweeps, rng):
  """Recall from the first ``probes`` of ``round(alpha n)`` stored random patterns.

  Returns:
    ``(overlaps, exact, converged)``, each (probes,): the final overlap with the
    starting pattern, whether the final state is the pattern, whether recall converged.
  """
  p = max(1, round(alpha * n))
  patterns = np.where(rng.random((p, n)) < 0.5, -1, 1).astype(np.int32)
  # Always `probes` starting points (patterns reused when P is smaller): one compile per N.
  starts = patterns[np.arange(probes) % p]
  result = hp.recall(hp.hebbian(patterns), starts, key=key, max_sweeps=max_sweeps)
  final = np.asarray(result.state)
  overlaps = (final * starts).mean(axis=1)
  return overlaps, np.all(final == starts, axis=1), np.asarray(result.converged)


def crossing(loads, values, threshold=OVERLAP_THRESHOLD):
  """The first load at which ``values`` fall from >= threshold to below it.

  Interpolated linearly between the two loads around the crossing; None if there is none.
  """
  for k in range(1, len(loads)):
    if values[k - 1] >= threshold > values[k]:
      frac = (values[k - 1] - threshold) / (values[k - 1] - values[k])
      return float(loads[k - 1] + frac * (loads[k] - loads[k - 1]))
  return None


def theory_curve(alpha_max, points=400):
  """``(alphas, m, alpha_c)``: the AGS retrieval branch on a grid up to ``alpha_max``.

  ``m`` is nan above alpha_c, which is found to 1e-4 by bisection.
  """
  alphas = np.linspace(0.0, alpha_max, points)
  m = np.array([hp.mean_field_overlap(float(a)) for a in alphas])
  lo, hi = 0.1, 0.2
  while hi - lo > 1e-5:  # bisection on "a retrieval solution exists"
    mid = 0.5 * (lo + hi)
    lo, hi = (mid, hi) if np.isfinite(hp.mean_field_overlap(mid)) else (lo, mid)
  return alphas, m, round(lo, 4)


def plot(path, sizes, loads, overlap, overlap_sem, exact, theory):
  alphas, m_theory, alpha_c = theory
  fig, (ax_m, ax_exact) = plt.subplots(1, 2, figsize=(12, 4.5))
  styles = dict(zip(sizes, [":", "--", "-"][-len(sizes) :], strict=True))
  for n in sizes:
    ax_m.errorbar(
      loads,
      overlap[n],
      yerr=overlap_sem[n],
      fmt="o" + styles[n],
      ms=3,
      capsize=2,
      label=f"simulation, N = {n}",
    )
    ax_exact.plot(loads, exact[n], "o" + styles[n], ms=3, label=f"N = {n}")
  ax_m.plot(
    alphas, m_theory, color="black", lw=1.5, label=f"mean-field (RS, T = 0), alpha_c = {alpha_c}"
  )
  ax_m.axhline(OVERLAP_THRESHOLD, color="gray", lw=0.8, ls="--")
  for ax in (ax_m, ax_exact):
    ax.axvline(alpha_c, color="gray", lw=0.8)
    ax.set(xlabel="load alpha = P/N", ylim=(-0.02, 1.02))
    ax.legend(fontsize=7)
  ax_m.set(
    ylabel="final overlap m (mean over probes)",
    title="retrieval overlap (Hebbian; async recall from a stored pattern)",
  )
  ax_exact.set(
    ylabel="fraction of runs ending exactly on the pattern",
    title="the same runs: exact recall of every bit",
  )
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)


def main(argv=None):
  parser = experiment_parser("hopfield_capacity", __doc__)
  parser.add_argument(
    "--probes", type=int, default=96, help="stored patterns recalled per (N, alpha) (default 96)"
  )
  parser.add_argument("--max-sweeps", type=int, default=50, help="sweep budget per recall")
  args = parser.parse_args(argv)
  out = output_dir(args)
  sizes, loads = (QUICK_SIZES, QUICK_LOADS) if args.quick else (FULL_SIZES, FULL_LOADS)
  probes = min(args.probes, 16) if args.quick else args.probes
  max_sweeps = min(args.max_sweeps, 20) if args.quick else args.max_sweeps
  rng = np.random.default_rng(args.seed)
  key = jax.random.key(args.seed)

  overlap, overlap_sem, exact, converged, raw = {}, {}, {}, {}, {}
  settings = [(n, a) for n in sizes for a in loads]
  for i, (n, alpha) in enumerate(tqdm(settings, desc="(N, alpha)", disable=args.no_progress)):
    m, ok, conv = retrieval_runs(jax.random.fold_in(key, i), n, alpha, probes, max_sweeps, rng)
    overlap.setdefault(n, []).append(float(m.mean()))
    overlap_sem.setdefault(n, []).append(float(m.std(ddof=1) / np.sqrt(len(m))))
    exact.setdefault(n, []).append(float(ok.mean()))
    converged.setdefault(n, []).append(float(conv.mean()))
    raw.setdefault(n, []).append(m.round(4))

  theory = theory_curve(max(loads))
  plot(out / "capacity.png", sizes, loads, overlap, overlap_sem, exact, theory)
  big = sizes[-1]
  headline = {
    "N": big,
    "alpha_c_estimate": crossing(loads, overlap[big]),
    "alpha_c_estimate_by_N": {n: crossing(loads, overlap[n]) for n in sizes},
    "mean_field_alpha_c": theory[2],
    "mean_overlap": dict(zip(map(str, loads), np.round(overlap[big], 4).tolist(), strict=True)),
    "max_load_exact_recall_ge_0.9": {
      n: max([a for a, e in zip(loads, exact[n], strict=True) if e >= 0.9], default=None)
      for n in sizes
    },
    "probes": probes,
    "max_sweeps": max_sweeps,
  }
  results = {
    "sizes": sizes,
    "loads": loads,
    "mean_overlap": overlap,
    "overlap_standard_error": overlap_sem,
    "exact_recall": exact,
    "converged_fraction": converged,
    "overlaps": raw,
    "mean_field": {
      "alpha": theory[0],
      "alpha_c": theory[2],  # m: None above alpha_c
      "m": [None if np.isnan(v) else float(v) for v in theory[1]],
    },
    "headline": headline,
  }
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
