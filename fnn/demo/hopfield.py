"""Demo part: Hopfield recall of the 10 digit prototypes, and a Hopfield network on eil51.

Recall: the 10 class-mean 8x8 digits (±1, 64 neurons) are stored, and 20 probes per
digit with 10% of the pixels flipped (6 of 64) are recalled by

* the classical network with the pseudo-inverse (projection) rule, asynchronous
  updates: 10 correlated patterns in 64 neurons is a load the projection rule holds;
* the modern Hopfield network (Ramsauer et al. 2020), beta = 1, one update, sign;
* the classical network with the Hebbian rule, for contrast: correlated prototypes at
  load 0.16 are beyond its capacity.

``digit_recall_rate`` is the headline: the fraction of the 200 probes that the
pseudo-inverse network returns *exactly* (all 64 pixels) to the prototype they came from.
"""

import jax
import numpy as np

from fnn.data import digit_prototypes
from fnn.energy import hopfield as hp
from fnn.energy import tsp, tsplib
from fnn.energy.pictures import save_image_rows, save_tour

TITLE = "Hopfield networks: digit recall and the TSP (eil51)"
PROBES_PER_DIGIT = 20
FLIPPED = 0.1


def _noisy_probes(x, rng):
  """``PROBES_PER_DIGIT`` copies of each row of ``x`` with ``FLIPPED`` of the pixels flipped."""
  probes = np.repeat(x, PROBES_PER_DIGIT, axis=0)
  k = round(FLIPPED * x.shape[1])
  flips = np.argsort(rng.random(probes.shape), axis=1)[:, :k]
  np.put_along_axis(probes, flips, -np.take_along_axis(probes, flips, 1), 1)
  return probes


def _recall(out_dir, seed):
  x = digit_prototypes()
  probes = _noisy_probes(x, np.random.default_rng(seed))
  targets = np.repeat(x, PROBES_PER_DIGIT, axis=0)
  key = jax.random.key(seed)
  recalled = {
    "pseudo-inverse": hp.recall(hp.pseudo_inverse(x), probes, key=key).state,
    "modern": np.sign(hp.modern_recall(x.astype(np.float32), probes.astype(np.float32), 1.0)),
    "Hebbian": hp.recall(hp.hebbian(x), probes, key=key).state,
  }
  rates = {
    name: float(np.mean(np.all(np.asarray(s) == targets, axis=1))) for name, s in recalled.items()
  }
  first = slice(None, None, PROBES_PER_DIGIT)  # the first probe of each digit
  rows = {"stored": x, f"probe\n({FLIPPED:.0%} flipped)": probes[first]}
  rows.update(
    {f"{name}\n{rates[name]:.0%} exact": np.asarray(s)[first] for name, s in recalled.items()}
  )
  save_image_rows(
    out_dir / "hopfield_recall.png",
    rows,
    (8, 8),
    vmin=-1,
    vmax=1,
    title=f"10 stored digits (64 neurons) and the first probe of each ({FLIPPED:.0%} of pixels "
    f"flipped), recalled by the\npseudo-inverse and Hebbian networks (asynchronous) and "
    f"the modern network; exact-recall rates over all {len(probes)} probes",
  )
  return rates


def _tsp(out_dir, restarts, seed):
  inst = tsplib.load_shipped("eil51")
  optimum = tsplib.SHIPPED_OPTIMA["eil51"]
  result = tsp.annealed(jax.random.key(seed), inst.distances, restarts)
  tours = np.asarray(result.tour)
  lengths = np.asarray(tsp.tour_length(inst.distances, tours))
  best = int(np.argmin(lengths))
  gap = lengths[best] / optimum - 1
  save_tour(
    out_dir / "tsp_eil51_tour.png",
    inst.coords,
    tours[best],
    title=f"eil51: best of {restarts} annealed Hopfield-network tours\n"
    f"length {lengths[best]:.0f}, {gap:.1%} above the optimum {optimum}",
  )
  return {
    "eil51_best_length": float(lengths[best]),
    "eil51_gap": round(float(gap), 4),
    "valid_rate": float(np.mean(np.asarray(result.valid))),
  }


def run(out_dir, restarts=16, seed=0):
  rates = _recall(out_dir, seed)
  tour = _tsp(out_dir, restarts, seed)
  print(
    f"digit recall from {FLIPPED:.0%} flipped pixels ({10 * PROBES_PER_DIGIT} probes, exact): "
    f"pseudo-inverse {rates['pseudo-inverse']:.0%}, modern {rates['modern']:.0%}, "
    f"Hebbian {rates['Hebbian']:.0%}; eil51 best of {restarts} restarts: "
    f"{tour['eil51_best_length']:.0f} (gap {tour['eil51_gap']:.1%}), "
    f"valid {tour['valid_rate']:.0%}"
  )
  return {
    "digit_recall_rate": round(rates["pseudo-inverse"], 3),
    "digit_recall_rate_measures": (
      f"fraction of {10 * PROBES_PER_DIGIT} probes ({PROBES_PER_DIGIT} per digit, "
      f"{FLIPPED:.0%} of the 64 pixels flipped) that the pseudo-inverse Hopfield network "
      f"(asynchronous updates) returns exactly to the stored prototype"
    ),
    "modern_recall_rate": round(rates["modern"], 3),
    "hebbian_recall_rate": round(rates["Hebbian"], 3),
    **tour,
  }
