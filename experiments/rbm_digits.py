"""RBMs on the binarised 8x8 digits: CD-1 vs CD-10 vs PCD-1 vs parallel tempering.

Trains four Bernoulli RBMs (64 visible, --hidden hidden units) with SGD + momentum
0.9 + weight decay 2e-4 (Hinton's practical guide): CD-1, CD-10, PCD-1 and PT-1
(persistent parallel tempering, one sweep of --pt-temperatures replicas per update,
inverse temperatures linear from 1 to --pt-beta-min). Records per epoch the
reconstruction error and scikit-learn's pseudo-log-likelihood on the training set
(and PT's swap acceptance rates), then estimates the mean test log-likelihood with
AIS (Salakhutdinov & Murray 2008: 100 runs, 14,500 intermediate distributions, base
rate from the training data). A 20-hidden-unit PCD model, small enough for exact log Z
by enumerating its hiddens, checks the AIS estimate. Writes learning curves, a grid
of samples from long Gibbs chains started from random bits (mean visibles after
--gibbs sweeps) and the learned filters.

``--data FILE`` / ``--mnist-dir DIR`` run the same on another binary matrix / MNIST.
"""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from experiments import _rbm_data
from experiments._common import experiment_parser, finish, output_dir
from fnn.energy import partition, pictures, rbm, tempering

METHODS = ("CD-1", "CD-10", "PCD-1", "PT-1")
PT_TEMPERATURES, PT_BETA_MIN = 5, 0.6


def parse_method(method: str, betas=None) -> dict:
  """The rbm.fit arguments of a training method's name.

  ``rbm.fit`` arguments of a method: ``"CD-3"`` -> ``{'k': 3, 'persistent': False}``,
  ``"PCD-1"`` -> ``{'k': 1, 'persistent': True}``, ``"PT-1"`` -> ``{'k': 1, 'betas': betas}``.
  """
  kind, _, k = method.partition("-")
  if kind not in ("CD", "PCD", "PT") or not k.isdigit():
    raise ValueError(f"unknown training method {method!r}; expected CD-k, PCD-k or PT-k")
  if kind == "PT":
    return {"k": int(k), "betas": betas}
  return {"k": int(k), "persistent": kind == "PCD"}


def train(x_train, n_hidden, method, key, *, epochs, lr, batch_size, progress, betas=None):
  params = rbm.init(
    jax.random.fold_in(key, 0),
    x_train.shape[1],
    n_hidden,
    visible_bias=rbm.data_visible_bias(x_train),
  )
  return rbm.fit(
    params,
    x_train,
    key=jax.random.fold_in(key, 1),
    optimizer=rbm.practical_guide_optimizer(lr),
    epochs=epochs,
    batch_size=batch_size,
    progress=progress,
    desc=method,
    **parse_method(method, betas),
  )


def sample_grid(params, key, n, n_gibbs):
  """Mean visibles after ``n_gibbs`` sweeps of ``n`` chains started from random bits."""
  v0 = jax.random.bernoulli(key, 0.5, (n, rbm.n_visible(params))).astype(jnp.float32)
  v = rbm.gibbs_chain(jax.random.fold_in(key, 1), params, v0, n_gibbs)
  h = rbm.sample_hidden(jax.random.fold_in(key, 2), params, v)
  return np.asarray(rbm.visible_mean(params, h))


def evaluate(
  params, x_train, x_test, key, *, ais_runs, ais_betas, exact_max_units=partition.MAX_EXACT_UNITS
) -> dict:
  """The test log-likelihood of an RBM: AIS, and exact when feasible.

  AIS test log-likelihood (±3σ̂ range, base rate from the training data), and the
  exact one when the hidden layer is small enough to enumerate.
  """
  ais = partition.ais_log_likelihood(
    key,
    params,
    jnp.asarray(x_test),
    n_runs=ais_runs,
    betas=partition.ais_betas(ais_betas),
    base_visible_bias=rbm.data_visible_bias(x_train),
  )
  row = {
    "ais_test_log_likelihood": ais["mean_log_likelihood"],
    "ais_test_log_likelihood_range": [ais["lower"], ais["upper"]],
    "ais_log_z": ais["log_z"],
    "ais_log_z_range": [ais["log_z_lower"], ais["log_z_upper"]],
  }
  if rbm.n_hidden(params) <= exact_max_units:
    exact_z = float(partition.log_partition_exact(params, max_units=exact_max_units))
    row["exact_log_z"] = exact_z
    row["exact_test_log_likelihood"] = float(
      jnp.mean(partition.log_likelihood(params, jnp.asarray(x_test), exact_z))
    )
  return row


def describe(label, row) -> str:
  return (
    f"{label}: PLL {row['final_pseudo_log_likelihood']:.2f}, recon "
    f"{row['final_reconstruction_error']:.3f}, AIS test log-lik "
    f"{row['ais_test_log_likelihood']:.2f} (log Z {row['ais_log_z']:.2f}"
    + (f", exact {row['exact_log_z']:.2f})" if "exact_log_z" in row else ")")
  )


def save_pictures(out, label, params, key, shape, gibbs):
  safe = label.replace("(", "_").replace(")", "").replace(" ", "")
  pictures.save_image_grid(
    out / f"samples_{safe}.png",
    sample_grid(params, key, 64, gibbs),
    shape,
    title=f"{label}: mean visibles after {gibbs} Gibbs sweeps from random bits",
  )
  pictures.save_filters(
    out / f"filters_{safe}.png", params["w"], shape, title=f"{label}: filters (columns of w)"
  )


def plot_curves(path, histories: dict, title: str):
  fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
  for label, history in histories.items():
    epochs_run = np.arange(1, len(history["loss"]) + 1)
    ax[0].plot(epochs_run, history["reconstruction_error"], label=label)
    ax[1].plot(epochs_run, history["pseudo_log_likelihood"], label=label)
  ax[0].set(xlabel="epoch", ylabel="reconstruction error (train)")
  ax[1].set(xlabel="epoch", ylabel="pseudo-log-likelihood (train)")
  ax[1].legend()
  fig.suptitle(title)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)


def run_comparison(
  args,
  out,
  x_train,
  x_test,
  methods,
  *,
  hidden,
  epochs,
  lr,
  ais_runs,
  ais_betas,
  gibbs,
  betas=None,
  progress=True,
  title="",
):
  """Trains ``methods`` ({label: (method, n_hidden)}) and evaluates them."""
  key = jax.random.key(args.seed)
  shape = _rbm_data.image_shape(x_train.shape[1])
  results = {
    "methods": {},
    "n_hidden": hidden,
    "epochs": epochs,
    "learning_rate": lr,
    "ais": {"n_runs": ais_runs, "n_intermediate": ais_betas},
    "pt_betas": list(betas) if betas else None,
  }
  histories = {}
  for i, (label, (method, n_hidden)) in enumerate(methods.items()):
    fitted = train(
      x_train,
      n_hidden,
      method,
      jax.random.fold_in(key, i),
      epochs=epochs,
      lr=lr,
      batch_size=100,
      progress=progress,
      betas=betas,
    )
    params, histories[label] = fitted.state.params, fitted.history
    row = {
      "method": method,
      "n_hidden": n_hidden,
      "history": fitted.history,
      "final_pseudo_log_likelihood": fitted.history["pseudo_log_likelihood"][-1],
      "final_reconstruction_error": fitted.history["reconstruction_error"][-1],
      **evaluate(
        params,
        x_train,
        x_test,
        jax.random.fold_in(key, 100 + i),
        ais_runs=ais_runs,
        ais_betas=ais_betas,
      ),
    }
    if "swap_acceptance" in fitted.history:
      row["final_swap_acceptance"] = fitted.history["swap_acceptance"][-1]
      row["final_swap_acceptance_min"] = fitted.history["swap_acceptance_min"][-1]
    results["methods"][label] = row
    print(describe(label, row), flush=True)
    save_pictures(out, label, params, jax.random.fold_in(key, 7), shape, gibbs)
  plot_curves(out / "learning_curves.png", histories, title)
  return results


def main(argv=None):
  parser = experiment_parser("rbm_digits", __doc__)
  _rbm_data.add_data_args(parser)
  parser.add_argument("--hidden", type=int, default=100, help="hidden units (default 100)")
  parser.add_argument("--epochs", type=int, default=100)
  parser.add_argument("--lr", type=float, default=0.01, help="SGD step (momentum 0.9)")
  parser.add_argument("--gibbs", type=int, default=1000, help="Gibbs sweeps for the samples")
  parser.add_argument(
    "--pt-temperatures",
    type=int,
    default=PT_TEMPERATURES,
    help=f"replicas of PT-1 (default {PT_TEMPERATURES})",
  )
  parser.add_argument(
    "--pt-beta-min",
    type=float,
    default=PT_BETA_MIN,
    help=f"PT-1's lowest inverse temperature (default {PT_BETA_MIN})",
  )
  args = parser.parse_args(argv)
  out = output_dir(args)
  quick = args.quick
  x_train, _, x_test, _, name = _rbm_data.load(
    args, binary=True, limit_train=500 if quick else None, limit_test=100 if quick else None
  )
  methods = {m: (m, args.hidden) for m in METHODS}
  methods["PCD-1 (20 hidden)"] = ("PCD-1", 20)
  results = run_comparison(
    args,
    out,
    x_train,
    x_test,
    methods,
    hidden=args.hidden,
    epochs=3 if quick else args.epochs,
    lr=args.lr,
    ais_runs=20 if quick else 100,
    ais_betas=500 if quick else 14500,
    gibbs=50 if quick else args.gibbs,
    betas=tempering.inverse_temperatures(args.pt_temperatures, beta_min=args.pt_beta_min),
    progress=not args.no_progress,
    title=f"RBMs on {name}",
  )
  results["data"] = {"name": name, "train": list(x_train.shape), "test": list(x_test.shape)}
  small = results["methods"]["PCD-1 (20 hidden)"]
  headline = {
    "ais_test_log_likelihood": {
      k: round(v["ais_test_log_likelihood"], 2) for k, v in results["methods"].items()
    },
    "final_pseudo_log_likelihood": {
      k: round(v["final_pseudo_log_likelihood"], 2) for k, v in results["methods"].items()
    },
    "ais_vs_exact_log_z_20_hidden": [round(small["ais_log_z"], 3), round(small["exact_log_z"], 3)],
    "pt_swap_acceptance": round(results["methods"]["PT-1"]["final_swap_acceptance"], 3),
  }
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
