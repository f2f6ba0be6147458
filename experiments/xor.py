"""XOR: a single-layer perceptron cannot fit it; one hidden layer of 2 ReLU units can.

Both models are trained full-batch with Adam on the four XOR points, from many seeds at
once (``jax.vmap`` over ``fnn.train.scan_epochs``). A perceptron (``Dense(1)`` on the
inputs) gets at most 3 of 4 right whatever its seed, since no line separates the classes.
The 2-2-1 ReLU net can fit all four, but only from some seeds (about a third here): from
the others it stalls in a local minimum, typically with a dead or redundant hidden unit.
The table shows the best seed's hidden activations, where the classes become linearly
separable.
"""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import fnn
from experiments._common import experiment_parser, finish, output_dir
from fnn.data import xor
from fnn.layers import Dense, Relu
from fnn.train import epoch_fn, init_train_state, scan_epochs, supervised_step


def bce(logits, targets):
  return fnn.losses.binary_cross_entropy_with_logits(logits, targets)


def train_seeds(model, x, t, seeds, epochs, lr):
  """Trains ``model`` from each seed (vmapped); returns stacked TrainStates and loss curves."""
  opt = optax.adam(lr)
  run = epoch_fn(supervised_step(model, bce, opt), batch_size=len(x), shuffle=False)
  keys = jax.random.split(jax.random.key(seeds[0]), len(seeds))
  ts = jax.vmap(lambda k: init_train_state(k, model, opt, (1, 2)))(keys)
  final, _, logs = jax.jit(jax.vmap(lambda s: scan_epochs(run, s, (x, t), epochs)))(ts)
  return final, logs["loss"]


def accuracies(model, params, state, x, y):
  logits = jax.vmap(lambda p, s: model.apply(p, s, x)[0])(params, state)
  return np.asarray(jnp.mean((logits[..., 0] > 0) == (y == 1), axis=-1))


def plot_regions(ax, model, params, state, title):
  grid = np.linspace(-0.5, 1.5, 101, dtype=np.float32)
  xx, yy = np.meshgrid(grid, grid)
  logits, _ = model.apply(params, state, np.stack([xx.ravel(), yy.ravel()], 1))
  ax.contourf(
    xx,
    yy,
    np.asarray(jax.nn.sigmoid(logits)).reshape(xx.shape),
    levels=20,
    cmap="RdBu_r",
    alpha=0.7,
  )
  x, y = xor()
  ax.scatter(x[:, 0], x[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=120)
  ax.set(title=title, xlabel="x1", ylabel="x2")


def main(argv=None):
  parser = experiment_parser("xor", __doc__)
  parser.add_argument("--seeds", type=int, default=32, help="number of seeds (default 32)")
  parser.add_argument("--epochs", type=int, default=1500)
  args = parser.parse_args(argv)
  out = output_dir(args)
  seeds = list(range(args.seed, args.seed + (8 if args.quick else args.seeds)))
  epochs = 1000 if args.quick else args.epochs
  x, y = xor()
  t = y[:, None].astype(np.float32)

  perceptron = Dense(1)
  # a small positive bias keeps fewer hidden ReLUs dead at the start
  hidden = fnn.named_serial(
    (
      "hidden",
      Dense(2, w_init=fnn.initializers.he_normal, b_init=jax.nn.initializers.constant(0.1)),
    ),
    ("relu", Relu()),
    ("out", Dense(1)),
  )
  p_ts, p_loss = train_seeds(perceptron, x, t, seeds, epochs, 0.05)
  h_ts, h_loss = train_seeds(hidden, x, t, seeds, epochs, 0.05)
  p_acc = accuracies(perceptron, p_ts.params, p_ts.state, x, y)
  h_acc = accuracies(hidden, h_ts.params, h_ts.state, x, y)
  best = int(np.argmin(np.asarray(h_loss[:, -1])))

  def take(tree, i):
    return jax.tree.map(lambda a: a[i], tree)

  best_params, best_state = take(h_ts.params, best), take(h_ts.state, best)
  h = np.asarray(jax.nn.relu(x @ best_params["hidden"]["w"] + best_params["hidden"]["b"]))
  probs = np.asarray(jax.nn.sigmoid(hidden.apply(best_params, best_state, x)[0]))[:, 0]
  table = [
    {
      "x1": float(a),
      "x2": float(b),
      "h1": float(h1),
      "h2": float(h2),
      "p(y=1)": float(p),
      "target": int(tt),
    }
    for (a, b), (h1, h2), p, tt in zip(x, h, probs, y, strict=True)
  ]
  print("2-2-1 ReLU net (best seed): hidden activations")
  print("| x1 | x2 | h1 | h2 | p(y=1) | target |\n| --- | --- | --- | --- | --- | --- |")
  for row in table:
    print(
      "| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row.values()) + " |"
    )

  fig, ax = plt.subplots(1, 4, figsize=(17, 4))
  plot_regions(
    ax[0],
    perceptron,
    take(p_ts.params, 0),
    take(p_ts.state, 0),
    f"perceptron: accuracy {p_acc[0]:.2f}",
  )
  plot_regions(
    ax[1], hidden, best_params, best_state, f"2 ReLU hidden units: accuracy {h_acc[best]:.2f}"
  )
  ax[2].scatter(h[:, 0], h[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=120)
  ax[2].set(title="the four points in hidden space", xlabel="h1", ylabel="h2")
  ax[3].plot(np.asarray(p_loss).T, color="tab:orange", alpha=0.4)
  ax[3].plot(np.asarray(h_loss).T, color="tab:blue", alpha=0.4)
  ax[3].set(title="training loss per seed (orange: perceptron)", xlabel="epoch", yscale="log")
  fig.tight_layout()
  fig.savefig(out / "xor.png", dpi=100)
  plt.close(fig)

  headline = {
    "perceptron_accuracy": float(p_acc.max()),
    "hidden_relu2_accuracy": float(h_acc.max()),
    "hidden_relu2_success_rate": float(np.mean(h_acc == 1.0)),
    "seeds": len(seeds),
  }
  results = {
    **headline,
    "epochs": epochs,
    "perceptron_accuracy_per_seed": p_acc,
    "hidden_relu2_accuracy_per_seed": h_acc,
    "hidden_table": table,
  }
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
