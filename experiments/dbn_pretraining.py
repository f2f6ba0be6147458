"""DBN pretraining vs random initialisation with few labels.

Greedy layer-wise pretraining of a 64-128-64 DBN (CD-1, SGD + momentum + weight decay)
on every training image without labels, then fine-tuning of a sigmoid MLP 64-128-64-10
on n labelled images per class, initialised from the DBN or at random (LeCun normal);
full-batch Adam for --steps steps; test accuracy on the 360 held-out digits, mean over
--seeds label draws. Also writes DBN samples (top-RBM Gibbs + down-pass).

``--data FILE`` has no labels, so this experiment takes the digits or ``--mnist-dir``.
"""

import functools

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

from experiments import _rbm_data
from experiments._common import experiment_parser, finish, output_dir
from fnn import data, losses, metrics
from fnn.energy import dbn, pictures, rbm
from fnn.layers import Sigmoid
from fnn.models import mlp

HIDDEN = [128, 64]


@functools.lru_cache(maxsize=4)
def make_finetune(in_features, steps, lr):
  model = mlp(in_features, HIDDEN, 10, activation=Sigmoid)
  _, state, _ = model.init(jax.random.key(0), (1, in_features))  # stateless: {} per child
  opt = optax.adam(lr)

  @jax.jit
  def finetune(params, x, y, x_test, y_test):
    def loss(p):
      return losses.softmax_cross_entropy(model.apply(p, state, x)[0], y).mean()

    def step(carry, _):
      p, s = carry
      u, s = opt.update(jax.grad(loss)(p), s, p)
      return (optax.apply_updates(p, u), s), None

    (params, _), _ = jax.lax.scan(step, (params, opt.init(params)), None, length=steps)
    return metrics.accuracy(model.apply(params, state, x_test)[0], y_test)

  return model, finetune


def main(argv=None):
  parser = experiment_parser("dbn_pretraining", __doc__)
  _rbm_data.add_data_args(parser)
  parser.add_argument("--epochs", type=int, default=50, help="pretraining epochs per layer")
  parser.add_argument("--steps", type=int, default=300, help="fine-tuning steps (full batch)")
  parser.add_argument("--seeds", type=int, default=5, help="label draws per label count")
  args = parser.parse_args(argv)
  if args.data:
    parser.error("dbn_pretraining needs labels: use the digits (default) or --mnist-dir")
  out = output_dir(args)
  quick = args.quick
  x_train, y_train, x_test, y_test, name = _rbm_data.load(args, binary=False)
  per_class_counts = [1, 5] if quick else [1, 3, 5, 10, 20]
  n_seeds = 2 if quick else args.seeds
  steps = 50 if quick else args.steps
  key = jax.random.key(args.seed)

  layers, histories = dbn.pretrain(x_train[:500] if quick else x_train, HIDDEN, key=key,
                                   optimizer=rbm.practical_guide_optimizer(0.01),
                                   epochs=2 if quick else args.epochs, batch_size=100,
                                   progress=not args.no_progress)
  model, finetune = make_finetune(x_train.shape[1], steps, 3e-3)
  x_test_j, y_test_j = jnp.asarray(x_test), jnp.asarray(y_test)
  acc = {"dbn": {}, "random": {}}
  for per_class in per_class_counts:
    for init in acc:
      acc[init][per_class] = []
    for s in range(n_seeds):
      idx = data.balanced_subset(y_train, per_class, seed=1000 * args.seed + s)
      x, y = jnp.asarray(x_train[idx]), jnp.asarray(y_train[idx])
      random_params, _, _ = model.init(jax.random.fold_in(key, 10 + s), (1, x_train.shape[1]))
      for init, params in [("random", random_params),
                           ("dbn", dbn.to_mlp_params(layers, random_params))]:
        acc[init][per_class].append(float(finetune(params, x, y, x_test_j, y_test_j)))
    print(f"{per_class:>3} labels/class: DBN init {np.mean(acc['dbn'][per_class]):.3f}, "
          f"random init {np.mean(acc['random'][per_class]):.3f}", flush=True)

  mean = {init: {str(k): float(np.mean(v)) for k, v in a.items()} for init, a in acc.items()}
  fig, ax = plt.subplots(figsize=(5, 3.8))
  for init, label in [("dbn", "DBN-initialised"), ("random", "random init")]:
    ax.plot(per_class_counts, [mean[init][str(k)] for k in per_class_counts], "o-", label=label)
  ax.set(xscale="log", xlabel="labels per class", ylabel="test accuracy",
         title=f"MLP 64-128-64-10 (sigmoid), {n_seeds} seeds")
  ax.legend()
  fig.tight_layout()
  fig.savefig(out / "accuracy_vs_labels.png", dpi=100)
  plt.close(fig)
  samples = dbn.generate(jax.random.fold_in(key, 99), layers, 64, n_gibbs=50 if quick else 1000)
  pictures.save_image_grid(out / "dbn_samples.png", np.asarray(samples),
                           _rbm_data.image_shape(x_train.shape[1]),
                           title="DBN samples: top-RBM Gibbs + down-pass")
  results = {"data": name, "hidden": HIDDEN, "accuracy": acc, "mean_accuracy": mean,
             "pretraining_history": histories, "finetune_steps": steps, "seeds": n_seeds}
  headline = {"mean_test_accuracy": mean}
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
