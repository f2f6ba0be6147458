"""Activations, vanishing gradients and initialisation.

1. The activation functions and their derivatives (``jax.vmap(jax.grad(f))``).
2. Per-layer gradient norms at initialisation in a deep (10 x 64) sigmoid net vs the same
   net with ReLU, on a batch of digits: with sigmoid the gradient reaching the first layers
   is orders of magnitude smaller than at the last one (vanishing gradients); with ReLU
   and He initialisation it is not.
3. Histograms of the hidden activations of a 5 x 100 net on random inputs under
   N(0, 0.01²), Xavier and He initialisation, for sigmoid, tanh and ReLU: with N(0, 0.01²)
   they collapse to a single value, Xavier keeps sigmoid/tanh spread out, He keeps ReLU's.
"""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import fnn
from experiments._common import experiment_parser, finish, output_dir
from experiments._digits import digits_flat
from fnn import initializers
from fnn.layers import Dense, Relu, Sigmoid, Tanh, activations

CURVES = {
  "sigmoid": activations.sigmoid,
  "tanh": activations.tanh,
  "relu": activations.relu,
  "leaky_relu": activations.leaky_relu,
  "elu": activations.elu,
  "gelu": activations.gelu,
  "softplus": activations.softplus,
}
INITS = {
  "N(0, 0.01^2)": initializers.normal(0.01),
  "Xavier": initializers.glorot_normal,
  "He": initializers.he_normal,
}
LAYER_ACTS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": Relu}


def plot_curves(out):
  z = jnp.linspace(-5, 5, 401)
  fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
  for name, f in CURVES.items():
    ax[0].plot(z, f(z), label=name)
    ax[1].plot(z, jax.vmap(jax.grad(f))(z), label=name)
  ax[0].set(title="activation", xlabel="z", ylim=(-1.5, 5))
  ax[1].set(title="derivative", xlabel="z", ylim=(-0.2, 1.3))
  ax[0].legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(out / "activations.png", dpi=100)
  plt.close(fig)


def deep_net(depth, width, act, w_init):
  layers = []
  for i in range(depth):
    layers += [(f"fc{i + 1}", Dense(width, w_init=w_init)), (f"act{i + 1}", act())]
  return fnn.named_serial(*layers, ("out", Dense(10, w_init=w_init)))


def gradient_norms(depth, x, y, seed):
  """``{act: [|dL/dW_l|] for l = 1..depth}`` at initialisation."""
  norms = {}
  for name, act, w_init in [
    ("sigmoid", Sigmoid, initializers.glorot_normal),
    ("relu", Relu, initializers.he_normal),
  ]:
    model = deep_net(depth, 64, act, w_init)
    params, state, _ = model.init(jax.random.key(seed), (1, 64))

    def loss(p, model=model, state=state):
      logits, _ = model.apply(p, state, x)
      return fnn.losses.softmax_cross_entropy(logits, y).mean()

    grads = jax.grad(loss)(params)
    norms[name] = [float(jnp.linalg.norm(grads[f"fc{i + 1}"]["w"])) for i in range(depth)]
  return norms


def activation_histograms(x, seed, out):
  """Hidden activations of a 5 x 100 net per (activation, init); returns their stds."""
  stds = {}
  fig, axes = plt.subplots(len(LAYER_ACTS) * len(INITS), 5, figsize=(13, 2.0 * 9), sharey="row")
  row = 0
  for act_name, act in LAYER_ACTS.items():
    for init_name, w_init in INITS.items():
      h, key = x, jax.random.key(seed)
      layer_stds = []
      for layer in range(5):
        w = w_init(jax.random.fold_in(key, layer), (h.shape[1], 100))
        h = np.asarray(act().apply({}, {}, h @ w)[0])
        layer_stds.append(float(h.std()))
        axes[row, layer].hist(h.ravel(), bins=30, range=(0, 1) if act_name == "sigmoid" else None)
        if row == 0:
          axes[row, layer].set_title(f"layer {layer + 1}")
      axes[row, 0].set_ylabel(f"{act_name}\n{init_name}", fontsize=8)
      stds[f"{act_name} / {init_name}"] = layer_stds
      row += 1
  fig.tight_layout()
  fig.savefig(out / "activation_histograms.png", dpi=80)
  plt.close(fig)
  return stds


def main(argv=None):
  parser = experiment_parser("activations", __doc__)
  parser.add_argument("--depth", type=int, default=10)
  args = parser.parse_args(argv)
  out = output_dir(args)
  plot_curves(out)
  x, y = digits_flat("train")
  x, y = x[:256], y[:256]
  depth = 5 if args.quick else args.depth
  norms = gradient_norms(depth, x, y, args.seed)
  fig, ax = plt.subplots(figsize=(5.5, 3.8))
  for name, values in norms.items():
    ax.plot(range(1, depth + 1), values, "o-", label=name)
  ax.set(
    xlabel="layer",
    ylabel="|dL/dW|",
    yscale="log",
    title=f"gradient norms at init, {depth} x 64 net",
  )
  ax.legend()
  fig.tight_layout()
  fig.savefig(out / "gradient_norms.png", dpi=100)
  plt.close(fig)
  random_inputs = np.asarray(jax.random.normal(jax.random.key(args.seed), (1000, 100)))
  stds = activation_histograms(random_inputs[: 200 if args.quick else 1000], args.seed, out)
  ratio = {k: v[0] / v[-1] for k, v in norms.items()}
  headline = {
    "sigmoid_first_to_last_grad_ratio": ratio["sigmoid"],
    "relu_first_to_last_grad_ratio": ratio["relu"],
    "relu_last_layer_std": {
      k.split(" / ")[1]: v[-1] for k, v in stds.items() if k.startswith("relu")
    },
  }
  return finish(
    args,
    out,
    {**headline, "gradient_norms": norms, "activation_stds": stds, "depth": depth},
    headline,
  )


if __name__ == "__main__":
  main()
