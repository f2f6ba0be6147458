"""DBN pretraining vs random initialisation with few labels (MNIST or the 8x8 digits).

Greedy layer-wise pretraining of a DBN (CD-1 RBMs, SGD + momentum + weight decay) on
every training image without labels (grey levels as probabilities), then supervised
fine-tuning of the sigmoid MLP with the same hidden sizes plus a 10-way softmax on n
labelled images per class, from the DBN's weights or from a random (LeCun-normal)
initialisation, with the same budget: --steps Adam updates of minibatches of 100 (the
whole labelled set when smaller) through ``fnn.train.fit``. Test accuracy on the held-out
set, mean and spread over --seeds label draws (the same draws for both initialisations).

With ``--mnist-dir`` the net is 784-500-500-2000-10 (Hinton, Osindero & Teh 2006) and the
label counts 10, 100, 1000 per class and all 60,000; on the digits (default) 64-128-64-10
and 1, 5, 10 per class and all 1437. ``--diagnose`` adds, at the two smallest label
counts, the variants that ask why pretraining does or does not help: a 10x smaller
fine-tuning learning rate, a ReLU net from random initialisation, half the pretraining
epochs, a 5x smaller pretraining learning rate (0.01, this experiment's earlier setting)
and pretraining on binarised images. Also writes DBN samples (top-RBM Gibbs from
random bits, then a down-pass).

The pretraining checkpoints every epoch of every layer under ``--out/checkpoints``;
``--resume`` continues it. ``--data FILE`` has no labels, so this experiment takes the
digits or ``--mnist-dir``.
"""

import functools
import math
import shutil

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import fnn
from experiments import _rbm_data
from experiments._common import experiment_parser, finish, output_dir
from fnn.energy import dbn, pictures, rbm
from fnn.layers import Relu, Sigmoid
from fnn.models import mlp

SETTINGS = {  # data: (hidden sizes, labels per class (0 = all), pretraining epochs per layer)
  "digits": ([128, 64], [1, 5, 10, 0], 50),
  "mnist": ([500, 500, 2000], [10, 100, 1000, 0], 10),
}
BATCH = 100


@functools.lru_cache(maxsize=8)
def adam(lr):
  return optax.adam(lr)  # one object per rate, so fit's compiled steps are reused


def finetune(model, params, x, y, x_test, y_test, key, *, steps, lr):
  """Fine-tunes a network and returns its test accuracy.

  Test accuracy after ``steps`` Adam updates of minibatches of ``BATCH`` (the whole set
  when smaller) from ``params``.
  """
  batch = min(BATCH, len(x))
  epochs = math.ceil(steps / (len(x) // batch))
  ts = fnn.train.init_train_state(key, model, adam(lr), (1, x.shape[1]), params=params)
  result = fnn.train.fit(
    model,
    fnn.losses.softmax_cross_entropy,
    adam(lr),
    x,
    y,
    train_state=ts,
    epochs=epochs,
    batch_size=batch,
    progress=False,
  )
  logits, _ = model.apply(result.state.params, result.state.state, jnp.asarray(x_test))
  return float(fnn.metrics.accuracy(logits, jnp.asarray(y_test)))


def pretrain(x, hidden, key, epochs, progress, lr=0.05, checkpoints=None):
  """Greedy DBN pretraining with the experiment's settings.

  CD-1 per layer, SGD ``lr`` with momentum 0.9 and weight decay 2e-4 on w; checkpoints
  (and resumes) each layer under ``checkpoints``.
  """
  return dbn.pretrain(
    x,
    hidden,
    key=key,
    optimizer=rbm.practical_guide_optimizer(lr),
    epochs=epochs,
    batch_size=BATCH,
    progress=progress,
    checkpoint_dir=checkpoints,
    resume=checkpoints,
  )


def compare(variants, x_train, y_train, x_test, y_test, counts, seeds, key, steps):
  """Test accuracies per variant, label count and seed.

  ``{variant: {count: [accuracy per seed]}}`` for ``variants``:
  ``{name: (model, init_params(seed) -> params, lr)}``.
  """
  acc = {name: {} for name in variants}
  for count in counts:
    for name in variants:
      acc[name][count] = []
    for s in range(1 if count == 0 else seeds):
      idx = (
        np.arange(len(y_train))
        if count == 0
        else fnn.data.balanced_subset(y_train, count, seed=1000 + s)
      )
      x, y = x_train[idx], y_train[idx]
      for name, (model, init_params, lr) in variants.items():
        acc[name][count].append(
          finetune(
            model,
            init_params(s),
            x,
            y,
            x_test,
            y_test,
            jax.random.fold_in(key, s),
            steps=steps,
            lr=lr,
          )
        )
    print(
      f"{count or 'all':>4} labels/class: "
      + ", ".join(f"{name} {np.mean(acc[name][count]):.3f}" for name in variants),
      flush=True,
    )
  return acc


def main(argv=None):
  parser = experiment_parser("dbn_pretraining", __doc__)
  _rbm_data.add_data_args(parser)
  parser.add_argument(
    "--epochs",
    type=int,
    default=None,
    help="pretraining epochs per layer (default 50 digits, 10 MNIST)",
  )
  parser.add_argument("--steps", type=int, default=1000, help="fine-tuning updates (default 1000)")
  parser.add_argument("--lr", type=float, default=1e-3, help="fine-tuning Adam rate (1e-3)")
  parser.add_argument("--seeds", type=int, default=3, help="label draws per label count")
  parser.add_argument(
    "--resume",
    action="store_true",
    help="continue the pretraining checkpointed under --out/checkpoints",
  )
  parser.add_argument(
    "--diagnose", action="store_true", help="also run the variants at the two smallest label counts"
  )
  args = parser.parse_args(argv)
  if args.data:
    parser.error("dbn_pretraining needs labels: use the digits (default) or --mnist-dir")
  out = output_dir(args)
  quick = args.quick
  x_train, y_train, x_test, y_test, name = _rbm_data.load(args, binary=False)
  hidden, counts, default_epochs = SETTINGS["mnist" if name == "mnist" else "digits"]
  if quick:
    x_train, y_train, counts = x_train[:1000], y_train[:1000], counts[:2]
  epochs = 2 if quick else (args.epochs or default_epochs)
  steps, seeds = (50, 2) if quick else (args.steps, args.seeds)
  key = jax.random.key(args.seed)
  width = x_train.shape[1]
  checkpoints = out / "checkpoints"
  if not args.resume:
    shutil.rmtree(checkpoints, ignore_errors=True)
  layers, histories = pretrain(
    x_train,
    hidden,
    jax.random.fold_in(key, 0),
    epochs,
    not args.no_progress,
    checkpoints=checkpoints,
  )
  sigmoid_net, relu_net = (mlp(width, hidden, 10, activation=a) for a in (Sigmoid, Relu))

  def random_init(model):
    return lambda s: model.init(jax.random.fold_in(key, 10 + s), (1, width))[0]

  def from_dbn(stack):
    return lambda s: dbn.to_mlp_params(stack, random_init(sigmoid_net)(s))

  variants = {
    "dbn": (sigmoid_net, from_dbn(layers), args.lr),
    "random": (sigmoid_net, random_init(sigmoid_net), args.lr),
  }
  acc = compare(
    variants, x_train, y_train, x_test, y_test, counts, seeds, jax.random.fold_in(key, 1), steps
  )
  if args.diagnose:
    half, _ = pretrain(x_train, hidden, jax.random.fold_in(key, 0), max(1, epochs // 2), False)
    slow, _ = pretrain(x_train, hidden, jax.random.fold_in(key, 0), epochs, False, lr=0.01)
    binary, _ = pretrain(
      _rbm_data.binarize(x_train, "threshold"), hidden, jax.random.fold_in(key, 0), epochs, False
    )
    diagnostics = {
      "dbn, lr/10": (sigmoid_net, from_dbn(layers), args.lr / 10),
      "random, lr/10": (sigmoid_net, random_init(sigmoid_net), args.lr / 10),
      "random ReLU": (relu_net, random_init(relu_net), args.lr),
      "dbn, half the pretraining": (sigmoid_net, from_dbn(half), args.lr),
      "dbn, pretraining lr 0.01": (sigmoid_net, from_dbn(slow), args.lr),
      "dbn pretrained on binarised": (sigmoid_net, from_dbn(binary), args.lr),
    }
    acc.update(
      compare(
        diagnostics,
        x_train,
        y_train,
        x_test,
        y_test,
        [c for c in counts if c][:2],
        seeds,
        jax.random.fold_in(key, 1),
        steps,
      )
    )
  summary = {
    init: {
      str(k or "all"): {"mean": float(np.mean(v)), "std": float(np.std(v)), "n": len(v)}
      for k, v in per_count.items()
    }
    for init, per_count in acc.items()
  }
  paired = {
    str(k or "all"): [round(a - b, 4) for a, b in zip(acc["dbn"][k], acc["random"][k], strict=True)]
    for k in counts
  }  # the same label draws for both initialisations
  plot(out / "accuracy_vs_labels.png", summary, counts, hidden, width, seeds)
  samples = dbn.generate(jax.random.fold_in(key, 99), layers, 64, n_gibbs=50 if quick else 1000)
  pictures.save_image_grid(
    out / "dbn_samples.png",
    np.asarray(samples),
    _rbm_data.image_shape(width),
    title="DBN samples: top-RBM Gibbs from random bits + down-pass",
  )
  results = {
    "data": name,
    "hidden": hidden,
    "pretraining_epochs": epochs,
    "accuracy": acc,
    "summary": summary,
    "dbn_minus_random_per_draw": paired,
    "pretraining_history": histories,
    "finetune_steps": steps,
    "finetune_lr": args.lr,
    "seeds": seeds,
  }
  headline = {
    "mean_test_accuracy": {
      init: {k: round(v["mean"], 4) for k, v in per.items()} for init, per in summary.items()
    },
    "dbn_minus_random_per_draw": paired,
  }
  return finish(args, out, results, headline)


def plot(path, summary, counts, hidden, width, seeds):
  fig, ax = plt.subplots(figsize=(6, 4))
  xs = [str(c or "all") for c in counts]
  for init in summary:
    points = [x for x in xs if x in summary[init]]
    ax.errorbar(
      points,
      [summary[init][x]["mean"] for x in points],
      [summary[init][x]["std"] for x in points],
      marker="o",
      capsize=3,
      label=init,
    )
  ax.set(
    xlabel="labels per class",
    ylabel="test accuracy",
    title=f"MLP {width}-{'-'.join(map(str, hidden))}-10, mean ± std over {seeds} draws",
  )
  ax.legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)


if __name__ == "__main__":
  main()
