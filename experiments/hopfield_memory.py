"""Hopfield associative memory on binarised 8x8 digits, and the course's 4-neuron example.

Stores one prototype per digit class (the class-mean image of the training split,
binarised at 0.5 to ±1, 64 neurons) with the Hebbian, Storkey and pseudo-inverse rules,
then recalls (asynchronous updates, random order per sweep) from probes with 10–40% of
the pixels flipped and from probes whose lower half is masked (set to -1, background).
Recall succeeds when the final state equals the stored prototype exactly.

Also checks the course's example: storing (1,-1,-1,1) and (-1,1,-1,1) with the Hebbian
rule gives E(x) = 2(x1 x2 + x3 x4), minimal (-4) exactly at ±the two patterns.
"""

import itertools

import jax
import matplotlib.pyplot as plt
import numpy as np

from experiments._common import experiment_parser, finish, output_dir
from fnn.data import digit_prototypes
from fnn.energy import hopfield as hp
from fnn.energy.pictures import save_image_rows

RULES = {"hebbian": hp.hebbian, "storkey": hp.storkey, "pseudo_inverse": hp.pseudo_inverse}
FLIP_FRACTIONS = (0.1, 0.2, 0.3, 0.4)


def course_example():
  patterns = np.array([[1, -1, -1, 1], [-1, 1, -1, 1]])
  params = hp.hebbian(patterns)
  states = np.array(list(itertools.product([-1, 1], repeat=4)))
  energies = np.asarray(hp.energy(params, states))
  formula = 2 * (states[:, 0] * states[:, 1] + states[:, 2] * states[:, 3])
  recalled = np.asarray(hp.recall(params, patterns, mode="sync").state)
  fixed = [bool(np.array_equal(r, p)) for r, p in zip(recalled, patterns, strict=True)]
  return {
    "w": params["w"],
    "energy_matches_2(x1x2+x3x4)": bool(np.allclose(energies, formula)),
    "pattern_energies": np.asarray(hp.energy(params, patterns)).tolist(),
    "patterns_are_fixed_points": fixed,
    "minimum_states": states[energies == energies.min()],
  }


def main(argv=None):
  parser = experiment_parser("hopfield_memory", __doc__)
  parser.add_argument("--probes", type=int, default=50, help="noisy probes per pattern and level")
  args = parser.parse_args(argv)
  out = output_dir(args)
  probes_per = 5 if args.quick else args.probes
  rng = np.random.default_rng(args.seed)
  key = jax.random.key(args.seed)
  x = digit_prototypes()
  masked = x.copy()
  masked[:, 32:] = -1  # lower half of every 8x8 image hidden

  results = {
    "course_example": course_example(),
    "recall_rate": {},
    "masked_recall_rate": {},
    "flip_fractions": FLIP_FRACTIONS,
    "patterns": x,
  }
  pictures = {}
  for r, (rule, store) in enumerate(RULES.items()):
    params = store(x)
    rates = {}
    for f, frac in enumerate(FLIP_FRACTIONS):
      flips = np.stack([rng.permutation(64)[: round(frac * 64)] for _ in range(10 * probes_per)])
      probes = np.repeat(x, probes_per, axis=0)
      np.put_along_axis(probes, flips, -np.take_along_axis(probes, flips, 1), 1)
      rec = hp.recall(params, probes, key=jax.random.fold_in(key, 10 * r + f))
      ok = np.all(np.asarray(rec.state) == np.repeat(x, probes_per, axis=0), axis=1)
      rates[str(frac)] = float(ok.mean())
      if frac == 0.2:
        pictures[(rule, "20% flipped")] = (
          probes[::probes_per],
          np.asarray(rec.state)[::probes_per],
        )
    rec = hp.recall(params, masked, key=jax.random.fold_in(key, 100 + r))
    results["recall_rate"][rule] = rates
    results["masked_recall_rate"][rule] = float(np.all(np.asarray(rec.state) == x, axis=1).mean())
    pictures[(rule, "half masked")] = (masked, np.asarray(rec.state))
    print(
      f"{rule:>15}: recall from flipped "
      + ", ".join(f"{k}: {v:.2f}" for k, v in rates.items())
      + f"; from half-masked {results['masked_recall_rate'][rule]:.2f}"
    )

  # Probe -> recall pictures: for each rule and probe kind, a row of probes over a row of recalls.
  rows = {}
  for (rule, kind), (probes, recalled) in pictures.items():
    rows[f"{rule}\n{kind}\nprobe"] = probes
    rows[f"{rule}\nrecall"] = recalled
  save_image_rows(out / "probe_recall.png", rows, (8, 8), vmin=-1, vmax=1)

  fig, ax = plt.subplots(figsize=(5, 3.5))
  for rule, rates in results["recall_rate"].items():
    ax.plot(FLIP_FRACTIONS, list(rates.values()), "o-", label=rule)
  ax.set(
    xlabel="fraction of pixels flipped",
    ylabel="exact recall rate",
    title="10 digit prototypes, N = 64",
  )
  ax.legend()
  fig.tight_layout()
  fig.savefig(out / "recall_vs_noise.png", dpi=100)
  plt.close(fig)

  ex = results["course_example"]
  headline = {
    "course_example_ok": bool(
      ex["energy_matches_2(x1x2+x3x4)"]
      and ex["pattern_energies"] == [-4.0, -4.0]
      and all(ex["patterns_are_fixed_points"])
    ),
    "recall_rate": results["recall_rate"],
    "masked_recall_rate": results["masked_recall_rate"],
  }
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
