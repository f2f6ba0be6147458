"""fnn's RBM training epoch vs scikit-learn's ``BernoulliRBM``, on the same work.

Both run PCD-1 with 256 hidden units, minibatches of 100 in scikit-learn's even slicing
(no shuffling), learning rate 0.05, plain SGD, persistent chains started at h = 0, and
the same initial weights (scikit-learn's ``N(0, 0.01)`` draw). scikit-learn's epoch is
its own ``fit`` loop (``for batch_slice in batch_slices: self._fit(X[batch_slice], rng)``),
timed in float64 (its default) and float32; fnn's epoch is one jit-compiled
``lax.scan`` (the epoch ``rbm.fit`` runs: :func:`fnn.train.epoch_fn` of
:func:`fnn.energy.rbm.cd_step`) in float32. Variants run interleaved, one epoch each per round
(``benchmarks/_timing.interleave``); times are medians over rounds. After the last round each
model's pseudo-log-likelihood on the training data is computed with the same flipped units (those
``score_samples`` draws), so the two scores are directly comparable.

Data sets: the shipped 8x8 digits binarised at 0.5 (1797 x 64), and a 10000 x 784
binary matrix drawn from a mixture of 10 random smooth 28x28 prototypes (so it has
structure to learn; no download).

The work per epoch is ``10 · n · n_visible · n_hidden`` FLOPs (five matrix products per
minibatch: the positive hiddens, the chains' visibles, their hiddens and the two
gradient outer products); GFLOP/s is that over the median epoch time, next to the
machine's float32 matmul throughput (a 2048^3 ``jnp.dot``, timed once per round).

    python benchmarks/rbm.py [--rounds 10] [--blas-threads N | --threads 1] [--quick] [--json]
"""

import argparse
import os
import platform
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if "--threads" in sys.argv and sys.argv[sys.argv.index("--threads") + 1 :][:1] == ["1"]:
  # XLA reads its flags when jax starts, so this must come before `import jax`.
  os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "")
    + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
  )

import jax
import jax.numpy as jnp
import optax
from sklearn.neural_network import BernoulliRBM
from sklearn.utils import gen_even_slices
from threadpoolctl import threadpool_limits

import fnn
from benchmarks import _timing
from fnn.data import load_digits
from fnn.energy import rbm

N_HIDDEN, BATCH_SIZE, LEARNING_RATE = 256, 100, 0.05


def digits_binary():
  x, _ = load_digits("all")
  return (x.reshape(len(x), 64) > 0.5).astype(np.float64)


def binary_784(n=10000, seed=0):
  """``n`` binary 28x28 images from 10 smooth random prototypes (pixel probabilities)."""
  rng = np.random.default_rng(seed)
  yy, xx = np.mgrid[0:28, 0:28] / 27.0
  protos = []
  for _ in range(10):
    field = sum(
      np.sin(rng.uniform(1, 6) * xx + rng.uniform(0, 6))
      * np.cos(rng.uniform(1, 6) * yy + rng.uniform(0, 6))
      for _ in range(3)
    )
    protos.append(1 / (1 + np.exp(-3 * field)).ravel())
  probs = np.array(protos)[rng.integers(0, 10, n)]
  return (rng.random(probs.shape) < probs).astype(np.float64)


def matmul_probe(size):
  """A matmul probe: the machine's float32 throughput.

  One ``size^3`` float32 ``jnp.dot`` per call: the machine's matmul throughput, timed
  as one more interleaved variant so it sees the same machine load.
  """
  a = jnp.asarray(np.random.default_rng(0).standard_normal((size, size)), jnp.float32)
  dot = jax.jit(jnp.dot)
  return lambda: dot(a, a)


class SklearnVariant:
  """scikit-learn's BernoulliRBM, one epoch of its own fit loop per call."""

  def __init__(self, X, dtype, seed, blas_threads=None):
    self.blas_threads = blas_threads
    self.X = X.astype(dtype)
    self.model = BernoulliRBM(
      n_components=N_HIDDEN,
      learning_rate=LEARNING_RATE,
      batch_size=BATCH_SIZE,
      n_iter=0,
      random_state=seed,
    ).fit(self.X)
    self.rng = np.random.RandomState(seed + 1)
    n_batches = -(-len(X) // BATCH_SIZE)
    self.slices = list(gen_even_slices(n_batches * BATCH_SIZE, n_batches, n_samples=len(X)))

  def epoch(self):
    with threadpool_limits(limits=self.blas_threads, user_api="blas"):
      for batch_slice in self.slices:
        self.model._fit(self.X[batch_slice], self.rng)

  def pll(self, units):
    v = self.X
    m = self.model
    params = {"w": m.components_.T, "b_v": m.intercept_visible_, "b_h": m.intercept_hidden_}
    return float(np.mean(_numpy_pll(params, v, units)))


def _numpy_pll(params, v, units):
  """score_samples' formula for given flipped units, in numpy (both models scored alike)."""

  def free_energy(x):
    return -x @ params["b_v"] - np.logaddexp(0, x @ params["w"] + params["b_h"]).sum(1)

  flipped = v.copy()
  rows = np.arange(len(v))
  flipped[rows, units] = 1 - flipped[rows, units]
  return -v.shape[1] * np.logaddexp(0, -(free_energy(flipped) - free_energy(v)))


class FnnVariant:
  """fnn: PCD-1 epochs as one compiled lax.scan, float32."""

  def __init__(self, X, initial_components, seed):
    self.X = jnp.asarray(X, jnp.float32)
    params = {
      "w": jnp.asarray(initial_components.T, jnp.float32),
      "b_v": jnp.zeros(X.shape[1], jnp.float32),
      "b_h": jnp.zeros(N_HIDDEN, jnp.float32),
    }
    optimizer = optax.sgd(LEARNING_RATE)
    self.ts = fnn.train.TrainState.create(
      params, rbm.init_chains(params, BATCH_SIZE), optimizer, key=jax.random.key(seed)
    )
    step = rbm.cd_step(optimizer, k=1, persistent=True)
    self.epoch_fn = jax.jit(
      fnn.train.epoch_fn(step, BATCH_SIZE, shuffle=False, guard=False, drop_remainder=False)
    )

  def epoch(self):
    self.ts = jax.block_until_ready(self.epoch_fn(self.ts, self.X))[0]

  def pll(self, units):
    params = jax.tree.map(lambda x: np.asarray(x, np.float64), self.ts.params)
    return float(np.mean(_numpy_pll(params, np.asarray(self.X, np.float64), units)))


def run_dataset(X, rounds, seed, blas_threads, matmul_size):
  """Times the RBM variants interleaved, then scores them.

  Times one epoch per variant per round (after 2 untimed epochs each, which also
  compile fnn's epoch), then scores every model after the same ``rounds + 2`` epochs.
  """
  sk64 = SklearnVariant(X, np.float64, seed, blas_threads)
  sk32 = SklearnVariant(X, np.float32, seed, blas_threads)
  fnn_v = FnnVariant(X, sk64.model.components_, seed)
  variants = {"sklearn float64": sk64, "sklearn float32": sk32, "fnn float32": fnn_v}
  calls = {label: v.epoch for label, v in variants.items()}
  calls["matmul"] = matmul_probe(matmul_size)
  times = _timing.interleave(
    calls, rounds=rounds, reps=1, block=jax.block_until_ready, progress=False
  )
  units = np.random.RandomState(seed).randint(0, X.shape[1], X.shape[0])
  flops = 10.0 * X.shape[0] * X.shape[1] * N_HIDDEN
  rows = {}
  for label, variant in variants.items():
    t = statistics.median(times[label])
    rows[label] = {
      "seconds_per_epoch": t,
      "pseudo_log_likelihood": variant.pll(units),
      "gflops": flops / t / 1e9,
    }
  fnn_t = rows["fnn float32"]["seconds_per_epoch"]
  return {
    "shape": list(X.shape),
    "epochs": rounds + 2,
    "variants": rows,
    "matmul_float32_gflops": 2 * matmul_size**3 / statistics.median(times["matmul"]) / 1e9,
    "speedup_vs_sklearn": rows["sklearn float64"]["seconds_per_epoch"] / fnn_t,
    "speedup_vs_sklearn_float32": rows["sklearn float32"]["seconds_per_epoch"] / fnn_t,
  }


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--rounds", type=int, default=10, help="epochs per variant (default 10)")
  parser.add_argument("--quick", action="store_true", help="smoke run: 2 rounds, 2000 x 784")
  parser.add_argument("--json", action="store_true", help="print one JSON object last")
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument(
    "--blas-threads",
    type=int,
    default=None,
    help="limit numpy's BLAS threads for scikit-learn (threadpoolctl); on a "
    "shared, oversubscribed machine 1 is much faster than the default",
  )
  parser.add_argument(
    "--threads",
    type=int,
    choices=[1],
    default=None,
    help="1: run both single-threaded (sklearn's BLAS and XLA's CPU backend)",
  )
  args = parser.parse_args(argv)
  _timing.print_device()
  if args.threads == 1:
    args.blas_threads = 1
  rounds = 2 if args.quick else args.rounds
  matmul_size = 1024 if args.quick else 2048
  results = {
    "machine": f"{platform.machine()} {jax.devices()[0].device_kind}",
    "jax": jax.__version__,
    "blas_threads": args.blas_threads,
    "xla_single_thread": args.threads == 1,
    "datasets": {},
  }
  for name, X in [
    ("digits_1797x64", digits_binary()),
    ("binary_10000x784", binary_784(2000 if args.quick else 10000, args.seed)),
  ]:
    results["datasets"][name] = run_dataset(X, rounds, args.seed, args.blas_threads, matmul_size)

  print(
    f"PCD-1, {N_HIDDEN} hidden, batch {BATCH_SIZE}, lr {LEARNING_RATE}; median of {rounds} "
    f"interleaved epochs; BLAS threads for sklearn: {args.blas_threads or 'default'}; "
    f"XLA: {'1 thread' if args.threads == 1 else 'default threads'}"
  )
  print(f"| data set | variant | s/epoch | PLL after {rounds + 2} epochs | GFLOP/s |")
  print("| --- | --- | ---: | ---: | ---: |")
  for name, res in results["datasets"].items():
    for label, row in res["variants"].items():
      print(
        f"| {name} | {label} | {row['seconds_per_epoch']:.4f} | "
        f"{row['pseudo_log_likelihood']:.3f} | {row['gflops']:.1f} |"
      )
    res["fraction_of_matmul_throughput"] = (
      res["variants"]["fnn float32"]["gflops"] / res["matmul_float32_gflops"]
    )
  print()
  for name, res in results["datasets"].items():
    print(
      f"{name}: speedup_vs_sklearn {res['speedup_vs_sklearn']:.2f}x, "
      f"speedup_vs_sklearn_float32 {res['speedup_vs_sklearn_float32']:.2f}x; fnn "
      f"{res['variants']['fnn float32']['gflops']:.1f} GFLOP/s = "
      f"{100 * res['fraction_of_matmul_throughput']:.0f}% of the float32 matmul throughput "
      f"({res['matmul_float32_gflops']:.1f} GFLOP/s, {matmul_size}^3 jnp.dot)"
    )
  if args.json:
    _timing.print_json(
      {
        name: {
          "speedup_vs_sklearn": round(r["speedup_vs_sklearn"], 3),
          "speedup_vs_sklearn_float32": round(r["speedup_vs_sklearn_float32"], 3),
          "pll_fnn": round(r["variants"]["fnn float32"]["pseudo_log_likelihood"], 3),
          "pll_sklearn": round(r["variants"]["sklearn float64"]["pseudo_log_likelihood"], 3),
          "fnn_gflops": round(r["variants"]["fnn float32"]["gflops"], 2),
          "matmul_float32_gflops": round(r["matmul_float32_gflops"], 2),
          "fraction_of_matmul_throughput": round(r["fraction_of_matmul_throughput"], 3),
        }
        for name, r in results["datasets"].items()
      }
    )
  return results


if __name__ == "__main__":
  main()
