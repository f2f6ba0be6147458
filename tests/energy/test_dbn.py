"""fnn.energy.dbn: greedy stacking, up/down passes, generation and MLP initialisation."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from fnn.core import ShapeError
from fnn.energy import dbn, rbm
from fnn.layers import Sigmoid
from fnn.models import mlp


@pytest.fixture(scope="module")
def data():
  from fnn.data import load_digits

  x, _ = load_digits("train")
  return (x.reshape(len(x), 64) > 0.5).astype(np.float32)[:500]


@pytest.fixture(scope="module")
def stack(data):
  layers, histories = dbn.pretrain(
    data,
    [32, 16],
    key=jax.random.key(0),
    optimizer=optax.sgd(0.1),
    epochs=[3, 2],
    batch_size=50,
    progress=False,
  )
  return layers, histories


def test_pretrain_fits_each_layer_to_the_up_pass_of_the_one_below(data, stack, assert_close):
  layers, histories = stack
  assert [layer["w"].shape for layer in layers] == [(64, 32), (32, 16)]
  assert [len(h["loss"]) for h in histories] == [3, 2]
  # Layer 2 was trained on p(h1 | v): refitting it on those features from the same key
  # reproduces it exactly.
  k_init, k_fit = jax.random.split(jax.random.fold_in(jax.random.key(0), 1))
  again = rbm.fit(
    rbm.init(k_init, 32, 16),
    rbm.hidden_probs(layers[0], data),
    key=k_fit,
    optimizer=optax.sgd(0.1),
    epochs=2,
    batch_size=50,
    progress=False,
  )
  assert_close(again.state.params["w"], layers[1]["w"])


def test_up_pass_is_the_chain_of_hidden_probabilities(data, stack, assert_close):
  layers, _ = stack
  _x1, x2 = dbn.up_pass(layers, data[:10])

  def sig(z):
    return 1 / (1 + np.exp(-z))

  W1, c1, W2, c2 = (
    np.asarray(a, np.float64)
    for a in (layers[0]["w"], layers[0]["b_h"], layers[1]["w"], layers[1]["b_h"])
  )
  assert_close(x2, sig(sig(data[:10] @ W1 + c1) @ W2 + c2))


def test_down_pass_without_key_propagates_visible_means(stack, assert_close):
  layers, _ = stack
  h = jnp.asarray(np.random.default_rng(0).random((4, 32)) < 0.5, jnp.float32)
  assert_close(dbn.down_pass(layers, h), rbm.visible_mean(layers[0], h), reordered=True)


def test_generate_returns_probabilities_of_the_data_width(stack):
  layers, _ = stack
  x = dbn.generate(jax.random.key(1), layers, 6, n_gibbs=20)
  assert x.shape == (6, 64)
  assert float(x.min()) >= 0
  assert float(x.max()) <= 1
  binary = dbn.generate(jax.random.key(1), layers, 6, n_gibbs=20, mean_visible=False)
  assert set(np.unique(np.asarray(binary))) <= {0.0, 1.0}


def test_to_mlp_params_makes_the_mlp_hidden_layers_equal_the_up_pass(data, stack, assert_close):
  layers, _ = stack
  model = mlp(64, [32, 16], 10, activation=Sigmoid)
  params, state, _ = model.init(jax.random.key(2), (1, 64))
  params = dbn.to_mlp_params(layers, params)
  top = dbn.up_pass(layers, data[:5])[-1]
  logits, _ = model.apply(params, state, jnp.asarray(data[:5]))
  assert_close(logits, top @ params["out"]["w"] + params["out"]["b"])


def test_to_mlp_params_rejects_mismatched_sizes(stack):
  layers, _ = stack
  params, _, _ = mlp(64, [30, 16], 10).init(jax.random.key(0), (1, 64))
  with pytest.raises(ShapeError, match=r"fc1.w is \(64, 30\) but DBN layer 1 w is \(64, 32\)"):
    dbn.to_mlp_params(layers, params)


def test_stack_with_mismatched_layers_is_a_shape_error(stack):
  layers, _ = stack
  with pytest.raises(ShapeError, match=r"layer 2 has 16 visible units but layer 1 has 32 hidden"):
    dbn.up_pass([layers[0], rbm.init(jax.random.key(0), 16, 4)], jnp.zeros((1, 64)))


def test_pretraining_resumes_layer_by_layer_bit_identically(tmp_path, data, stack):
  layers, _ = stack
  args = dict(key=jax.random.key(0), optimizer=optax.sgd(0.1), batch_size=50, progress=False)
  dbn.pretrain(data, [32, 16], epochs=[3, 1], checkpoint_dir=tmp_path, **args)  # interrupted
  resumed, _ = dbn.pretrain(data, [32, 16], epochs=[3, 2], resume=tmp_path, **args)
  for got, want in zip(resumed, layers, strict=True):
    for name in ("w", "b_v", "b_h"):
      np.testing.assert_array_equal(got[name], want[name])
