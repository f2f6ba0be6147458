"""Demo part: an RBM on the binarised 8x8 digits.

It is trained and sampled by parallel tempering; its samples, drawn from random bits,
are classified by an MLP.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

import fnn
from fnn.data import load_digits
from fnn.energy import partition, pictures, rbm, tempering

TITLE = "RBM (64 visible x 100 hidden) on the binarised digits, trained and sampled by PT"
CONFIDENT = 0.9  # a sample is recognised when the classifier gives one class >= this


def binarised_digits(split):
  x, y = load_digits(split)
  return (x.reshape(-1, 64) > 0.5).astype(np.float32), y


CLASSIFIER = "fnn MLP 64-256-256-10 (ReLU, Adam 1e-3, 100 epochs) on the binarised digits"


def train_classifier(x_train, y_train, key, epochs=100):
  """The MLP of ``CLASSIFIER``, trained by fnn.train.fit; returns ``x -> class probabilities``."""
  model = fnn.models.mlp(64, [256, 256], 10)
  result = fnn.train.fit(
    model,
    fnn.losses.softmax_cross_entropy,
    optax.adam(1e-3),
    x_train,
    y_train,
    key=key,
    epochs=epochs,
    batch_size=64,
    progress=False,
  )
  params, state = result.state.params, result.state.state
  return lambda x: jax.nn.softmax(model.apply(params, state, jnp.asarray(x))[0])


def _save_pictures(out_dir, samples, params, sweeps, n_betas, n_recognised):
  pictures.save_image_grid(
    out_dir / "rbm_samples.png",
    np.asarray(samples),
    (8, 8),
    title=f"RBM samples: 64 chains from random bits, {sweeps} PT sweeps\n"
    f"({n_betas} temperatures; mean visibles); {n_recognised}/64 recognised",
  )
  pictures.save_filters(
    out_dir / "rbm_filters.png",
    params["w"],
    (8, 8),
    title=f"RBM filters: the first 64 of {params['w'].shape[1]} columns of w",
  )


def run(out_dir, epochs=400, n_hidden=100, sweeps=1000, seed=0):
  x_train, y_train = binarised_digits("train")
  x_test, y_test = binarised_digits("test")
  key = jax.random.key(seed)
  betas = tempering.inverse_temperatures(8, beta_min=0.3)
  params = rbm.init(
    jax.random.fold_in(key, 0), 64, n_hidden, visible_bias=rbm.data_visible_bias(x_train)
  )
  # The learning rate decays to 0: with a constant rate the persistent chains track a
  # model that keeps moving, and the final model's own samples favour one or two digits.
  steps = epochs * (len(x_train) // 100)
  optimizer = rbm.practical_guide_optimizer(optax.linear_schedule(0.02, 0.0, steps), momentum=0.9)
  # Even minibatches and no per-epoch monitors: two fewer compilations, for the demo's time.
  result = rbm.fit(
    params,
    x_train,
    key=jax.random.fold_in(key, 1),
    optimizer=optimizer,
    epochs=epochs,
    batch_size=100,
    betas=betas,
    drop_remainder=True,
    monitor=False,
    desc="RBM PT",
  )
  params = result.state.params
  v0 = jax.random.bernoulli(jax.random.fold_in(key, 2), 0.5, (64, 64)).astype(jnp.float32)
  drawn = tempering.sample(jax.random.fold_in(key, 3), params, v0, sweeps, betas=betas)
  samples = rbm.visible_mean(params, rbm.sample_hidden(jax.random.fold_in(key, 4), params, drawn.v))
  classify = train_classifier(x_train, y_train, jax.random.fold_in(key, 5))
  test_probs = np.asarray(classify(x_test))
  test_accuracy = float(np.mean(test_probs.argmax(1) == y_test))
  probs = np.asarray(classify(samples))
  recognised = probs.max(1) >= CONFIDENT
  classes = np.bincount(probs.argmax(1)[recognised], minlength=10)
  _save_pictures(out_dir, samples, params, sweeps, len(betas), int(recognised.sum()))
  ais = partition.ais_log_likelihood(
    jax.random.fold_in(key, 6),
    params,
    jnp.asarray(x_test),
    n_runs=50,
    betas=partition.ais_betas(3000),
    base_visible_bias=rbm.data_visible_bias(x_train),
  )
  print(
    f"AIS test log-likelihood {ais['mean_log_likelihood']:.2f} nats; "
    f"{recognised.sum()}/64 samples recognised (classifier test accuracy {test_accuracy:.3f})"
  )
  pll = float(rbm.monitors(jax.random.fold_in(key, 7), params, x_train)["pseudo_log_likelihood"])
  return {
    "ais_test_log_likelihood": round(ais["mean_log_likelihood"], 2),
    "pseudo_log_likelihood": round(pll, 2),
    "epochs": epochs,
    "pt_temperatures": len(betas),
    "swap_acceptance": [round(float(a), 3) for a in drawn.acceptance],
    "sample_recognition_rate": round(float(recognised.mean()), 3),
    "sample_classes": classes.tolist(),
    "test_digit_recognition_rate": round(float((test_probs.max(1) >= CONFIDENT).mean()), 3),
    "classifier": f"{CLASSIFIER}, test accuracy {test_accuracy:.3f}; a sample counts when "
    f"one class has probability >= {CONFIDENT}",
  }
