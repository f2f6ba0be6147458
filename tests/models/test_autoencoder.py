"""Tests of fnn.models.autoencoder.

fnn.models.autoencoder: builders' shapes, the dense forward pass against numpy, and a
short reconstruction fit.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from fnn.core import ShapeError
from fnn.models import autoencoder as ae


def test_dense_autoencoder_equals_numpy_forward_pass(assert_close):
  model = ae.autoencoder(ae.dense_encoder(6, [5], 2), ae.dense_decoder(2, [5], 6))
  params, state, shape = model.init(jax.random.key(0), (1, 6))
  assert shape == (1, 6)
  assert set(params) == {"encoder", "decoder"}
  x = np.random.default_rng(0).random((4, 6)).astype(np.float32)
  e, d = params["encoder"], params["decoder"]
  h = np.maximum(x @ e["fc1"]["w"] + e["fc1"]["b"], 0)
  code = h @ e["code"]["w"] + e["code"]["b"]
  h = np.maximum(code @ d["fc1"]["w"] + d["fc1"]["b"], 0)
  expected = 1 / (1 + np.exp(-(h @ d["out"]["w"] + d["out"]["b"])))
  assert_close(model.apply(params, state, jnp.asarray(x))[0], expected)


def test_conv_autoencoder_maps_images_to_codes_and_back():
  enc = ae.conv_encoder((8, 8, 1), [8, 16], 3)
  dec = ae.conv_decoder(3, (8, 8, 1), [16, 8])
  model = ae.autoencoder(enc, dec)
  params, _state, shape = model.init(jax.random.key(0), (2, 8, 8, 1))
  assert shape == (2, 8, 8, 1)
  _, _, code_shape = enc.init(jax.random.key(0), (2, 8, 8, 1))
  assert code_shape == (2, 3)
  assert params["encoder"]["conv2"]["w"].shape == (3, 3, 8, 16)
  assert params["decoder"]["out"]["w"].shape == (3, 3, 8, 1)


def test_conv_builders_reject_sizes_that_do_not_halve_evenly():
  with pytest.raises(ShapeError, match=r"divisible by 2\^3 = 8 .*got \(28, 28\)"):
    ae.conv_encoder((28, 28, 1), [8, 16, 32], 2)


def test_dense_encoder_checks_its_input_width():
  with pytest.raises(ShapeError, match=r"expected input \(N, 64\), got shape \(1, 63\)"):
    ae.dense_encoder(64, [16], 2).init(jax.random.key(0), (1, 63))


def test_dense_autoencoder_learns_to_reconstruct_digits():
  from fnn.data import load_digits

  x = jnp.asarray(load_digits("train")[0].reshape(-1, 64)[:512])
  model = ae.autoencoder(ae.dense_encoder(64, [64], 8), ae.dense_decoder(8, [64], 64))
  params, state, _ = model.init(jax.random.key(0), (1, 64))
  opt = optax.adam(3e-3)

  def loss(p):
    return jnp.mean((model.apply(p, state, x)[0] - x) ** 2)

  @jax.jit
  def train(params):
    def step(carry, _):
      p, s = carry
      g = jax.grad(loss)(p)
      u, s = opt.update(g, s, p)
      return (optax.apply_updates(p, u), s), None

    return jax.lax.scan(step, (params, opt.init(params)), None, length=300)[0][0]

  baseline = float(jnp.mean((x - x.mean(0)) ** 2))  # predicting the mean image
  assert float(loss(train(params))) < 0.6 * baseline
