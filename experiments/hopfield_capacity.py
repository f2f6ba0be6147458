"""Storage capacity of Hopfield networks: stable patterns and recall against the load P/N.

For N = 100, 500, 1000 neurons and loads alpha = P/N, stores P random ±1 patterns with
the Hebbian, Storkey and pseudo-inverse rules and measures

* the fraction of stored patterns that are fixed points (one synchronous step leaves
  them unchanged), and
* the recall success: the fraction of --probes probes (stored patterns, cycled when
  P is smaller, with 10% of their bits flipped) that asynchronous recall returns exactly
  to the pattern.

The Hebbian rule's collapse near alpha ~ 0.138 (Amit, Gutfreund & Sompolinsky 1985) is
marked on the plots. The modern continuous Hopfield network (Ramsauer et al. 2020,
beta = 1, one update, then sign) is run on the same probes at the same loads and beyond,
where the classical network fails.
"""

import jax
import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

from experiments._common import experiment_parser, finish, output_dir
from fnn.energy import hopfield as hp

RULES = {"hebbian": hp.hebbian, "storkey": hp.storkey, "pseudo_inverse": hp.pseudo_inverse}
HEBBIAN_CRITICAL_LOAD = 0.138


def main(argv=None):
  parser = experiment_parser("hopfield_capacity", __doc__)
  parser.add_argument("--probes", type=int, default=50, help="noisy probes per setting (max)")
  parser.add_argument("--flip", type=float, default=0.1, help="fraction of bits flipped in probes")
  args = parser.parse_args(argv)
  out = output_dir(args)
  sizes = [100] if args.quick else [100, 500, 1000]
  loads = [0.05, 0.14, 0.3] if args.quick else [0.02, 0.05, 0.08, 0.1, 0.12, 0.138, 0.16,
                                                0.2, 0.3, 0.4, 0.5, 0.7]
  modern_loads = loads + ([1.0] if args.quick else [1.0, 2.0, 5.0])
  probes_max = 10 if args.quick else args.probes
  rng = np.random.default_rng(args.seed)
  key = jax.random.key(args.seed)

  stable = {r: {n: [] for n in sizes} for r in RULES}
  recall = {r: {n: [] for n in sizes} for r in RULES}
  modern = {n: [] for n in sizes}
  settings = [(n, a) for n in sizes for a in modern_loads]
  for i, (n, alpha) in enumerate(tqdm(settings, desc="loads", disable=args.no_progress)):
    p = max(1, int(round(alpha * n)))
    x = np.where(rng.random((p, n)) < 0.5, -1, 1).astype(np.int32)
    # Always probes_max probes (patterns reused when P is smaller), so recall compiles once per N.
    m = probes_max
    targets = x[np.arange(m) % p]
    probes = targets.copy()
    flips = np.stack([rng.permutation(n)[:int(round(args.flip * n))] for _ in range(m)])
    np.put_along_axis(probes, flips, -np.take_along_axis(probes, flips, 1), 1)
    xi = np.sign(np.asarray(hp.modern_recall(x.astype(np.float32), probes.astype(np.float32), 1.0)))
    modern[n].append(float(np.mean(np.all(xi == targets, axis=1))))
    if alpha not in loads:
      continue
    for rule, store in RULES.items():
      params = store(x)
      # A fixed point: every local field has the pattern's sign (a zero field keeps it).
      h = x @ np.asarray(params["w"])
      stable[rule][n].append(float(np.mean(np.all((h * x > 0) | (h == 0), axis=1))))
      rec = hp.recall(params, probes, key=jax.random.fold_in(key, i), max_sweeps=30)
      recall[rule][n].append(float(np.mean(np.all(np.asarray(rec.state) == targets, axis=1))))

  fig, axes = plt.subplots(1, 3, figsize=(14, 4))
  styles = {100: ":", 500: "--", 1000: "-"}
  colors = {"hebbian": "tab:blue", "storkey": "tab:orange", "pseudo_inverse": "tab:green"}
  for rule in RULES:
    for n in sizes:
      axes[0].plot(loads, stable[rule][n], styles[n], color=colors[rule], marker=".",
                   label=f"{rule} N={n}")
      axes[1].plot(loads, recall[rule][n], styles[n], color=colors[rule], marker=".",
                   label=f"{rule} N={n}")
  for n in sizes:
    axes[2].plot(modern_loads, modern[n], styles[n], color="tab:purple", marker=".",
                 label=f"modern N={n}")
    axes[2].plot(loads, recall["hebbian"][n], styles[n], color="tab:blue", label=f"hebbian N={n}")
  for ax, title in zip(axes, ["patterns that are fixed points", f"recall from {args.flip:.0%} flipped",
                              "modern vs Hebbian recall"]):
    ax.axvline(HEBBIAN_CRITICAL_LOAD, color="gray", lw=0.8)
    ax.text(HEBBIAN_CRITICAL_LOAD, 0.02, " 0.138", color="gray", fontsize=8)
    ax.set(xlabel="load alpha = P/N", ylabel="fraction", title=title, ylim=(-0.02, 1.02))
  axes[2].set_xscale("log")
  axes[0].legend(fontsize=6); axes[2].legend(fontsize=6)
  fig.tight_layout(); fig.savefig(out / "capacity.png", dpi=100); plt.close(fig)

  def last_good(curve, xs, threshold=0.9):
    good = [a for a, v in zip(xs, curve) if v >= threshold]
    return max(good) if good else None

  big = sizes[-1]
  headline = {
      "N": big,
      "max_load_recall_ge_0.9": {r: last_good(recall[r][big], loads) for r in RULES},
      "hebbian_stable_fraction_at_0.138": (stable["hebbian"][big][loads.index(0.138)]
                                           if 0.138 in loads else None),
      "modern_recall_at_max_load": {"load": modern_loads[-1], "recall": modern[big][-1]},
  }
  results = {"sizes": sizes, "loads": loads, "modern_loads": modern_loads, "flip": args.flip,
             "stable_fraction": stable, "recall_success": recall, "modern_recall_success": modern,
             "headline": headline}
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
