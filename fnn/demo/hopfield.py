"""Demo part: Hopfield recall of digit prototypes, and an annealed Hopfield network on eil51."""

import jax
import matplotlib
import numpy as np

from fnn.data import digit_prototypes
from fnn.energy import hopfield as hp
from fnn.energy import tsp, tsplib
from fnn.energy.pictures import save_image_rows

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TITLE = "Hopfield networks: digit recall and the TSP (eil51)"


def _recall_pictures(out_dir, seed):
  x = digit_prototypes()
  rng = np.random.default_rng(seed)
  probes = x.copy()
  for p in probes:
    p[rng.permutation(64)[:13]] *= -1  # 20% of the pixels flipped
  params = hp.pseudo_inverse(x)
  recalled = np.asarray(hp.recall(params, probes, key=jax.random.key(seed)).state)
  save_image_rows(out_dir / "hopfield_recall.png",
                  {"stored": x, "probe": probes, "recall": recalled}, (8, 8), vmin=-1, vmax=1,
                  title="pseudo-inverse Hopfield net, 10 prototypes, N = 64, 20% of pixels flipped")
  return float(np.mean(np.all(recalled == x, axis=1)))


def run(out_dir, restarts=16, seed=0):
  recall_rate = _recall_pictures(out_dir, seed)
  inst = tsplib.load_shipped("eil51")
  optimum = tsplib.SHIPPED_OPTIMA["eil51"]
  result = tsp.annealed(jax.random.key(seed), inst.distances, restarts)
  tours = np.asarray(result.tour)
  d = inst.distances
  lengths = d[tours, np.roll(tours, -1, axis=1)].sum(1)
  best = tours[np.argmin(lengths)]
  gap = lengths.min() / optimum - 1
  fig, ax = plt.subplots(figsize=(5, 5))
  closed = np.append(best, best[0])
  ax.plot(inst.coords[closed, 0], inst.coords[closed, 1], "-", lw=1.2)
  ax.plot(inst.coords[:, 0], inst.coords[:, 1], "o", color="tab:red", ms=4)
  ax.set(title=f"eil51, annealed Hopfield net: {lengths.min():.0f} ({gap:.1%} above {optimum})",
         aspect="equal")
  fig.tight_layout(); fig.savefig(out_dir / "tsp_eil51_tour.png", dpi=100); plt.close(fig)
  print(f"digit recall from 20% noise: {recall_rate:.0%}; eil51 best of {restarts} restarts: "
        f"{lengths.min():.0f} (optimum {optimum}, gap {gap:.1%}), all tours valid: "
        f"{bool(np.all(np.asarray(result.valid)))}")
  return {"digit_recall_rate": round(recall_rate, 3), "eil51_best_length": float(lengths.min()),
          "eil51_gap": round(float(gap), 4), "valid_rate": float(np.mean(np.asarray(result.valid)))}
