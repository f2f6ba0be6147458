"""Demo part: a PCD-1 RBM on the binarised 8x8 digits, its samples and filters."""

import jax
import jax.numpy as jnp
import numpy as np

from fnn.data import load_digits
from fnn.energy import partition, pictures, rbm

TITLE = "RBM (64 visible x 64 hidden, PCD-1) on the binarised digits"


def run(out_dir, epochs=30, n_hidden=64, seed=0):
  x_train, _ = load_digits("train")
  x_test, _ = load_digits("test")
  x_train = (x_train.reshape(-1, 64) > 0.5).astype(np.float32)
  x_test = (x_test.reshape(-1, 64) > 0.5).astype(np.float32)
  key = jax.random.key(seed)
  params = rbm.init(jax.random.fold_in(key, 0), 64, n_hidden,
                    visible_bias=rbm.data_visible_bias(x_train))
  result = rbm.fit(params, x_train, key=jax.random.fold_in(key, 1),
                   optimizer=rbm.practical_guide_optimizer(0.01), epochs=epochs,
                   batch_size=100, k=1, persistent=True, desc="RBM PCD-1")
  params = result.state.params
  v0 = jax.random.bernoulli(jax.random.fold_in(key, 2), 0.5, (64, 64)).astype(jnp.float32)
  v = rbm.gibbs_chain(jax.random.fold_in(key, 3), params, v0, 500)
  samples = rbm.visible_mean(params, rbm.sample_hidden(jax.random.fold_in(key, 4), params, v))
  pictures.save_image_grid(out_dir / "rbm_samples.png", np.asarray(samples), (8, 8),
                           title="RBM samples: 64 chains, 500 Gibbs sweeps (mean visibles)")
  pictures.save_filters(out_dir / "rbm_filters.png", params["w"], (8, 8))
  ais = partition.ais_log_likelihood(jax.random.fold_in(key, 5), params, jnp.asarray(x_test),
                                     n_runs=50, betas=partition.ais_betas(3000),
                                     base_visible_bias=rbm.data_visible_bias(x_train))
  pll = result.history["pseudo_log_likelihood"][-1]
  print(f"pseudo-log-likelihood {pll:.2f} (train), AIS test log-likelihood "
        f"{ais['mean_log_likelihood']:.2f} nats")
  return {"pseudo_log_likelihood": round(pll, 2),
          "ais_test_log_likelihood": round(ais["mean_log_likelihood"], 2), "epochs": epochs}
