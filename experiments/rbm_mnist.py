"""RBMs on binarised MNIST, with AIS test log-likelihoods next to Salakhutdinov & Murray's.

Salakhutdinov & Murray (2008, Table 2) report the mean test log-probability of MNIST
RBMs trained by CD: CD1(25) -143.20 (25 hidden units), CD1(500) -125.53, CD3(500)
-105.50, CD25(500) -86.34, each with AIS (100 runs, 14,500 intermediate distributions,
base rate from the data). This experiment trains CD1(25), CD1(500) and CD3(500) the
same way in fnn (SGD + momentum 0.9 + weight decay, binarised at 0.5, batch 100) for
--epochs epochs, much shorter than the paper's training, and estimates the same
quantity; the 25-hidden model also gets its exact log Z (by enumerating the hiddens).

Needs ``--mnist-dir DIR`` (the four IDX files; ``fnn.data.load_mnist``) or
``--data FILE``. ``--quick`` uses the first 2000 training and 500 test images and CD1(16), CD1(50).
"""

from experiments import _rbm_data
from experiments._common import experiment_parser, finish, output_dir
from experiments.rbm_digits import run_comparison

# Salakhutdinov & Murray (2008), "On the quantitative analysis of deep belief networks",
# Table 2: average test log-probability (nats) estimated with AIS.
PUBLISHED_TEST_LOG_PROB = {"CD1(25)": -143.20, "CD1(500)": -125.53, "CD3(500)": -105.50,
                           "CD25(500)": -86.34}
MODELS = {"CD1(25)": ("CD-1", 25), "CD1(500)": ("CD-1", 500), "CD3(500)": ("CD-3", 500)}


def main(argv=None):
  parser = experiment_parser("rbm_mnist", __doc__)
  _rbm_data.add_data_args(parser)
  parser.add_argument("--epochs", type=int, default=10)
  parser.add_argument("--lr", type=float, default=0.01, help="SGD step (momentum 0.9)")
  parser.add_argument("--gibbs", type=int, default=1000, help="Gibbs sweeps for the samples")
  args = parser.parse_args(argv)
  if not (args.mnist_dir or args.data):
    parser.error("rbm_mnist needs --mnist-dir DIR (MNIST IDX files) or --data FILE")
  out = output_dir(args)
  quick = args.quick
  x_train, _, x_test, _, name = _rbm_data.load(args, binary=True,
                                               limit_train=2000 if quick else None,
                                               limit_test=500 if quick else None)
  models = {"CD1(16)": ("CD-1", 16), "CD1(50)": ("CD-1", 50)} if quick else MODELS
  results = run_comparison(args, out, x_train, x_test, models, hidden=None,
                           epochs=2 if quick else args.epochs, lr=args.lr,
                           ais_runs=20 if quick else 100, ais_betas=500 if quick else 14500,
                           gibbs=50 if quick else args.gibbs, exact_max_units=25,
                           progress=not args.no_progress,
                           title=f"RBMs on binarised {name}")
  results["data"] = {"name": name, "train": list(x_train.shape), "test": list(x_test.shape)}
  results["published_test_log_prob"] = PUBLISHED_TEST_LOG_PROB
  headline = {"ais_test_log_likelihood": {k: round(v["ais_test_log_likelihood"], 2)
                                          for k, v in results["methods"].items()},
              "published": {k: PUBLISHED_TEST_LOG_PROB.get(k) for k in results["methods"]}}
  exact = {k: [round(v["ais_log_z"], 3), round(v["exact_log_z"], 3)]
           for k, v in results["methods"].items() if "exact_log_z" in v}
  headline["log_z_ais_vs_exact"] = exact
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
