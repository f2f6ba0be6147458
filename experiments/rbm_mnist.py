"""RBMs on binarised MNIST at the papers' schedules.

AIS test log-likelihoods are printed next to Salakhutdinov & Murray's (2008, Table 2).

Models (label: training method and hidden units): CD1(25), CD1(500), CD3(500), CD25(500)
(CD-k with k raised gradually from 1 to 25 over the run), PCD(500) (Tieleman 2008;
persistent chains, one sweep per update) and PT(500) (persistent parallel tempering,
one sweep of --pt-temperatures replicas per update, inverse temperatures linear from 1
to --pt-beta-min). Every model: batch 100, SGD with momentum 0.5 for the first 5 epochs
then 0.9, weight decay 2e-4 on w (the schedule of Hinton & Salakhutdinov's rbm.m;
``--final-momentum`` and ``--weight-cost`` change them), the
learning rate --lr decayed linearly to 0 over --epochs, visible biases started at the
data's log-odds. The images are binarised stochastically (each pixel on with
probability equal to its intensity, one fixed draw) as in Salakhutdinov & Murray's data
set; ``--binarize threshold`` thresholds at 0.5 instead.

Each model checkpoints every epoch under ``--out/checkpoints/<model>``; ``--resume``
continues an interrupted run (to --epochs) and then evaluates it. The test
log-likelihood is AIS with 14,500 intermediate distributions and 100 runs (the paper's),
base rate from the training data, reported with its ±3σ̂ range; CD1(25) also gets its
exact log Z (by enumerating the 2^25 hidden states).

Needs ``--mnist-dir DIR`` (the IDX files, or /work/shared/data/mnist with the training
images as convnetjs PNGs) or ``--data FILE``. ``--models`` picks a subset, so that long
trainings can run as separate processes. ``--quick`` uses the first 2000 training and 500
test images and the models CD1(16), CD25(16) and PT(16) for 2 epochs.
"""

import shutil
from typing import NamedTuple

import jax
import numpy as np
import optax

from experiments import _rbm_data
from experiments._common import experiment_parser, finish, output_dir
from experiments.rbm_digits import describe, evaluate, plot_curves, save_pictures
from fnn.energy import rbm, tempering

# Salakhutdinov & Murray (2008), "On the quantitative analysis of deep belief networks"
# (ICML), Table 2: average test log-probability (nats) estimated with AIS. See
# docs/energy_rbm.md for what of it could be verified.
PUBLISHED_TEST_LOG_PROB = {
  "CD1(25)": -143.20,
  "CD1(500)": -125.53,
  "CD3(500)": -105.50,
  "CD25(500)": -86.34,
}


class Model(NamedTuple):
  n_hidden: int
  method: str  # "CD", "PCD" or "PT"
  k: int  # Gibbs (tempering) sweeps per update; the final k when ramped
  ramp: bool = False  # raise k from 1 to k over the run


MODELS = {
  "CD1(25)": Model(25, "CD", 1),
  "CD1(500)": Model(500, "CD", 1),
  "CD3(500)": Model(500, "CD", 3),
  "CD25(500)": Model(500, "CD", 25, ramp=True),
  "PCD(500)": Model(500, "PCD", 1),
  "PT(500)": Model(500, "PT", 1),
}
QUICK_MODELS = {
  "CD1(16)": Model(16, "CD", 1),
  "CD25(16)": Model(16, "CD", 25, ramp=True),
  "PT(16)": Model(16, "PT", 1),
}
MOMENTUM_SWITCH_EPOCH = 5  # momentum 0.5 before, 0.9 after (rbm.m)
WEIGHT_DECAY = 2e-4
BATCH_SIZE = 100
PT_TEMPERATURES, PT_BETA_MIN = 10, 0.6


def k_stages(model: Model, epochs: int) -> list:
  """``[(k, last_epoch), ...]``: the Gibbs sweeps per update for each run of epochs.

  A ramped model takes ``k = 1 + round((K - 1) e / (epochs - 1))`` in epoch ``e``
  (0-based), so k rises evenly from 1 to K; others use ``K`` throughout.
  """
  if not model.ramp or epochs <= 1:
    return [(model.k, epochs)]
  per_epoch = [1 + round((model.k - 1) * e / (epochs - 1)) for e in range(epochs)]
  return [(k, e + 1) for e, k in enumerate(per_epoch) if e + 1 == epochs or per_epoch[e + 1] != k]


def optimizer(
  lr: float,
  epochs: int,
  steps_per_epoch: int,
  final_momentum: float = 0.9,
  weight_decay: float = WEIGHT_DECAY,
) -> optax.GradientTransformation:
  """rbm.m's momentum and weight decay, with the learning rate decayed linearly to 0."""
  switch = MOMENTUM_SWITCH_EPOCH * steps_per_epoch
  momentum = optax.join_schedules(
    [optax.constant_schedule(0.5), optax.constant_schedule(final_momentum)], [switch]
  )
  learning_rate = optax.linear_schedule(lr, 0.0, max(1, epochs * steps_per_epoch))
  return rbm.practical_guide_optimizer(learning_rate, momentum=momentum, weight_decay=weight_decay)


def safe_name(label: str) -> str:
  return label.replace("(", "_").replace(")", "")


def train(
  label,
  model: Model,
  x_train,
  key,
  *,
  epochs,
  lr,
  betas,
  checkpoints,
  progress,
  final_momentum=0.9,
  weight_decay=WEIGHT_DECAY,
):
  """Trains one model through its stages; returns the final FitResult.

  Trains one model through its k stages, checkpointing every epoch in ``checkpoints``
  (which it resumes from when it holds a run); returns the final FitResult.
  """
  params = rbm.init(
    jax.random.fold_in(key, 0),
    x_train.shape[1],
    model.n_hidden,
    visible_bias=rbm.data_visible_bias(x_train),
  )
  steps_per_epoch = -(-len(x_train) // BATCH_SIZE)
  opt = optimizer(lr, epochs, steps_per_epoch, final_momentum, weight_decay)
  sampler = {"betas": betas} if model.method == "PT" else {"persistent": model.method == "PCD"}
  result = None
  for k, last_epoch in k_stages(model, epochs):
    result = rbm.fit(
      params,
      x_train,
      key=jax.random.fold_in(key, 1),
      optimizer=opt,
      epochs=last_epoch,
      batch_size=BATCH_SIZE,
      k=k,
      progress=progress,
      desc=f"{label} k={k}",
      checkpoint_dir=checkpoints,
      resume=checkpoints,
      keep_checkpoints=2,
      **sampler,
    )
  return result


def run_model(
  label, model, args, out, x_train, x_test, key, *, epochs, ais_runs, ais_betas, betas, gibbs
):
  checkpoints = out / "checkpoints" / safe_name(label)
  if not args.resume:
    shutil.rmtree(checkpoints, ignore_errors=True)
  fitted = train(
    label,
    model,
    x_train,
    key,
    epochs=epochs,
    lr=args.lr,
    betas=betas,
    checkpoints=checkpoints,
    progress=not args.no_progress,
    final_momentum=args.final_momentum,
    weight_decay=args.weight_cost,
  )
  history, params = fitted.history, fitted.state.params
  row = {
    "n_hidden": model.n_hidden,
    "method": model.method,
    "k": model.k,
    "k_stages": k_stages(model, epochs),
    "epochs": len(history["loss"]),
    "train_seconds": float(np.sum(history["time"])),
    "history": history,
    "final_pseudo_log_likelihood": history["pseudo_log_likelihood"][-1],
    "final_reconstruction_error": history["reconstruction_error"][-1],
    **evaluate(
      params,
      x_train,
      x_test,
      jax.random.fold_in(key, 100),
      ais_runs=ais_runs,
      ais_betas=ais_betas,
      exact_max_units=25,
    ),
  }
  if "swap_acceptance" in history:
    row["final_swap_acceptance"] = history["swap_acceptance"][-1]
    row["final_swap_acceptance_min"] = history["swap_acceptance_min"][-1]
  # AIS failed when its +-3 sigma range of log Z is unbounded (runs' weights spread over
  # hundreds of nats): the point estimate is then no estimate, and no gap is reported.
  row["ais_bounded"] = bool(np.all(np.isfinite(row["ais_test_log_likelihood_range"])))
  if label in PUBLISHED_TEST_LOG_PROB:
    row["published"] = PUBLISHED_TEST_LOG_PROB[label]
    # The exact figure where log Z could be enumerated (CD1(25)), else a bounded AIS one.
    measured = row.get(
      "exact_test_log_likelihood", row["ais_test_log_likelihood"] if row["ais_bounded"] else None
    )
    row["gap_to_published"] = None if measured is None else measured - row["published"]
  print(
    describe(label, row) + f", {row['epochs']} epochs in {row['train_seconds']:.0f} s", flush=True
  )
  save_pictures(out, label, params, jax.random.fold_in(key, 7), (28, 28), gibbs)
  return row


def main(argv=None):
  parser = experiment_parser("rbm_mnist", __doc__)
  _rbm_data.add_data_args(parser)
  parser.add_argument(
    "--models",
    nargs="+",
    default=list(MODELS),
    choices=list(MODELS),
    metavar="MODEL",
    help=f"models to train (default all: {', '.join(MODELS)})",
  )
  parser.add_argument("--epochs", type=int, default=100, help="epochs per model (default 100)")
  parser.add_argument(
    "--lr", type=float, default=0.05, help="initial SGD step, decayed linearly to 0 (default 0.05)"
  )
  parser.add_argument("--binarize", choices=["stochastic", "threshold"], default="stochastic")
  parser.add_argument(
    "--final-momentum",
    type=float,
    default=0.9,
    help=f"momentum after epoch {MOMENTUM_SWITCH_EPOCH} (default 0.9, as rbm.m; 0.5 keeps it)",
  )
  parser.add_argument(
    "--weight-cost",
    type=float,
    default=WEIGHT_DECAY,
    help=f"weight decay on w (default {WEIGHT_DECAY}, as rbm.m)",
  )
  parser.add_argument(
    "--ramp-k",
    action="store_true",
    help="raise every CD model's k from 1 to its k over the run, as CD25(500) always does",
  )
  parser.add_argument(
    "--resume", action="store_true", help="continue the runs checkpointed under --out/checkpoints"
  )
  parser.add_argument("--ais-runs", type=int, default=100)
  parser.add_argument(
    "--ais-betas",
    type=int,
    default=14500,
    help="AIS intermediate distributions (default the paper's 14,500)",
  )
  parser.add_argument("--pt-temperatures", type=int, default=PT_TEMPERATURES)
  parser.add_argument("--pt-beta-min", type=float, default=PT_BETA_MIN)
  parser.add_argument("--gibbs", type=int, default=1000, help="Gibbs sweeps for the samples")
  args = parser.parse_args(argv)
  if not (args.mnist_dir or args.data):
    parser.error("rbm_mnist needs --mnist-dir DIR (MNIST files) or --data FILE")
  out = output_dir(args)
  quick = args.quick
  x_train, _, x_test, _, name = _rbm_data.load(
    args,
    binary=True,
    binarization=args.binarize,
    limit_train=2000 if quick else None,
    limit_test=500 if quick else None,
  )
  models = QUICK_MODELS if quick else {label: MODELS[label] for label in args.models}
  if args.ramp_k:
    models = {label: m._replace(ramp=m.method == "CD" or m.ramp) for label, m in models.items()}
  epochs = 2 if quick else args.epochs
  betas = tempering.inverse_temperatures(args.pt_temperatures, beta_min=args.pt_beta_min)
  key = jax.random.key(args.seed)
  results = {
    "data": {
      "name": name,
      "train": list(x_train.shape),
      "test": list(x_test.shape),
      "binarize": args.binarize,
    },
    "schedule": {
      "epochs": epochs,
      "lr": args.lr,
      "lr_decay": "linear to 0",
      "momentum": f"0.5 for {MOMENTUM_SWITCH_EPOCH} epochs, then {args.final_momentum}",
      "weight_decay": args.weight_cost,
      "batch_size": BATCH_SIZE,
      "pt_betas": list(betas),
    },
    "ais": {
      "n_runs": 20 if quick else args.ais_runs,
      "n_intermediate": 500 if quick else args.ais_betas,
    },
    "published_test_log_prob": PUBLISHED_TEST_LOG_PROB,
    "models": {},
  }
  for label, model in models.items():
    results["models"][label] = run_model(
      label,
      model,
      args,
      out,
      x_train,
      x_test,
      jax.random.fold_in(key, list(MODELS).index(label) if label in MODELS else 99),
      epochs=epochs,
      ais_runs=results["ais"]["n_runs"],
      ais_betas=results["ais"]["n_intermediate"],
      betas=betas,
      gibbs=50 if quick else args.gibbs,
    )
  plot_curves(
    out / "learning_curves.png",
    {label: row["history"] for label, row in results["models"].items()},
    f"RBMs on {args.binarize}-binarised {name}",
  )
  rows = results["models"]
  headline = {
    "ais_test_log_likelihood": {k: round(v["ais_test_log_likelihood"], 2) for k, v in rows.items()},
    "ais_range_3_sigma": {
      # null for an unbounded end (failed AIS), since JSON has no Infinity
      k: [round(x, 2) if np.isfinite(x) else None for x in v["ais_test_log_likelihood_range"]]
      for k, v in rows.items()
    },
    "ais_bounded": {k: v["ais_bounded"] for k, v in rows.items()},
    "published": {k: PUBLISHED_TEST_LOG_PROB.get(k) for k in rows},
    "epochs": {k: v["epochs"] for k, v in rows.items()},
    "train_seconds": {k: round(v["train_seconds"]) for k, v in rows.items()},
    "exact_test_log_likelihood": {
      k: round(v["exact_test_log_likelihood"], 2)
      for k, v in rows.items()
      if "exact_test_log_likelihood" in v
    },
    "gap_to_published": {
      k: None if v.get("gap_to_published") is None else round(v["gap_to_published"], 2)
      for k, v in rows.items()
      if "published" in v
    },
    "log_z_ais_vs_exact": {
      k: [round(v["ais_log_z"], 3), round(v["exact_log_z"], 3)]
      for k, v in rows.items()
      if "exact_log_z" in v
    },
  }
  swap = {
    k: round(v["final_swap_acceptance"], 3) for k, v in rows.items() if "final_swap_acceptance" in v
  }
  if swap:
    headline["pt_swap_acceptance"] = swap
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
