"""Autoencoders on the digits: reconstructions and a 2-D code.

A dense autoencoder 64-128-2-128-64 and a convolutional one (two stride-2 convs, 16
and 32 channels, to a 2-D code, mirrored by transposed convs), each trained with Adam on
the pixel-wise binary cross-entropy of sigmoid outputs (minibatches of 64). Reports test
reconstruction mean squared error next to PCA with 2 components (the linear baseline),
and plots test reconstructions and the 2-D codes of the test digits coloured by label.

``--data FILE`` / ``--mnist-dir DIR`` train the dense model on another [0, 1] matrix
(square images also get the convolutional one).
"""

import functools

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from tqdm.auto import tqdm

from experiments import _rbm_data
from experiments._common import experiment_parser, finish, output_dir
from fnn import losses
from fnn.energy import pictures
from fnn.models import autoencoder as ae


def build(kind, width):
  side = _rbm_data.image_shape(width)
  """``(autoencoder, encoder, input_shape, to_input)`` for ``kind`` 'dense' or 'conv'."""
  if kind == "dense":
    encoder = ae.dense_encoder(width, [128], 2)
    decoder = ae.dense_decoder(2, [128], width, output_activation=None)
    return ae.autoencoder(encoder, decoder), encoder, (1, width), lambda x: x
  image = (side[0], side[1], 1)
  encoder = ae.conv_encoder(image, [16, 32], 2)
  decoder = ae.conv_decoder(2, image, [32, 16], output_activation=None)
  return (
    ae.autoencoder(encoder, decoder),
    encoder,
    (1,) + image,
    lambda x: x.reshape((len(x),) + image),
  )


@functools.lru_cache(maxsize=4)
def make_epoch(model, n, batch_size, lr):
  opt = optax.adam(lr)
  n_batches = n // batch_size

  def loss(params, state, x):
    logits, _ = model.apply(params, state, x)
    return losses.binary_cross_entropy_with_logits(logits, x).reshape(len(x), -1).sum(-1).mean()

  @jax.jit
  def epoch(params, state, opt_state, x, key):
    batches = x[jax.random.permutation(key, n)[: n_batches * batch_size]].reshape(
      (n_batches, batch_size) + x.shape[1:]
    )

    def step(carry, batch):
      p, s = carry
      value, g = jax.value_and_grad(loss)(p, state, batch)
      u, s = opt.update(g, s, p)
      return (optax.apply_updates(p, u), s), value

    (params, opt_state), values = jax.lax.scan(step, (params, opt_state), batches)
    return params, opt_state, values.mean()

  return opt, epoch


def pca_mse(x_train, x_test, k=2):
  mean = x_train.mean(0)
  _, _, vt = np.linalg.svd(x_train - mean, full_matrices=False)
  recon = (x_test - mean) @ vt[:k].T @ vt[:k] + mean
  return float(np.mean((recon - x_test) ** 2))


def main(argv=None):
  parser = experiment_parser("autoencoder", __doc__)
  _rbm_data.add_data_args(parser)
  parser.add_argument("--epochs", type=int, default=200)
  parser.add_argument("--lr", type=float, default=3e-3)
  args = parser.parse_args(argv)
  out = output_dir(args)
  x_train, _, x_test, y_test, name = _rbm_data.load(
    args,
    binary=False,
    limit_train=256 if args.quick else None,
    limit_test=100 if args.quick else None,
  )
  epochs = 3 if args.quick else args.epochs
  width = x_train.shape[1]
  shape = _rbm_data.image_shape(width)
  kinds = ["dense"] + (["conv"] if shape[0] > 1 and shape[0] % 4 == 0 and shape[1] % 4 == 0 else [])
  key = jax.random.key(args.seed)
  results = {
    "data": name,
    "epochs": epochs,
    "pca_2_test_mse": pca_mse(x_train, x_test),
    "models": {},
  }
  fig_codes, ax_codes = plt.subplots(1, len(kinds), figsize=(5 * len(kinds), 4.2), squeeze=False)
  for i, kind in enumerate(kinds):
    model, encoder, in_shape, to_input = build(kind, width)
    params, state, _ = model.init(jax.random.fold_in(key, i), in_shape)
    opt, epoch = make_epoch(model, len(x_train), 64, args.lr)
    opt_state = opt.init(params)
    xt, xs = jnp.asarray(to_input(x_train)), jnp.asarray(to_input(x_test))
    curve = []
    for e in tqdm(range(epochs), desc=f"{kind} autoencoder", disable=args.no_progress):
      params, opt_state, value = epoch(
        params, state, opt_state, xt, jax.random.fold_in(key, 1000 * i + e)
      )
      curve.append(float(value))
    logits, _ = model.apply(params, state, xs)
    recon = np.asarray(jax.nn.sigmoid(logits)).reshape(len(x_test), -1)
    codes = np.asarray(encoder.apply(params["encoder"], state["encoder"], xs)[0])
    mse = float(np.mean((recon - x_test) ** 2))
    results["models"][kind] = {"test_mse": mse, "train_loss_curve": curve, "codes": codes}
    print(
      f"{kind}: test reconstruction MSE {mse:.4f} (PCA-2 {results['pca_2_test_mse']:.4f})",
      flush=True,
    )
    pairs = np.concatenate([x_test[:16], recon[:16]])
    pictures.save_image_grid(
      out / f"reconstructions_{kind}.png",
      pairs,
      shape,
      n_cols=16,
      title=f"{kind}: test digits (top) and reconstructions (bottom)",
    )
    a = ax_codes[0, i]
    sc = a.scatter(
      codes[:, 0], codes[:, 1], c=y_test if y_test is not None else None, cmap="tab10", s=8
    )
    a.set(title=f"{kind} autoencoder: 2-D codes of the test set", xlabel="code 1", ylabel="code 2")
    if y_test is not None:
      fig_codes.colorbar(sc, ax=a, label="digit")
  fig_codes.tight_layout()
  fig_codes.savefig(out / "codes_2d.png", dpi=100)
  plt.close(fig_codes)
  headline = {
    "test_mse": {k: round(v["test_mse"], 4) for k, v in results["models"].items()},
    "pca_2_test_mse": round(results["pca_2_test_mse"], 4),
  }
  return finish(args, out, results, headline)


if __name__ == "__main__":
  main()
