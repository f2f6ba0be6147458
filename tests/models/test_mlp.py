import jax
import jax.numpy as jnp
import numpy as np

from fnn import layers, models


def test_mlp_is_named_dense_relu_stack_equal_to_numpy(assert_close):
  model = models.mlp(5, [4, 3], 2)
  params, state, shape = model.init(jax.random.key(0), (1, 5))
  assert list(params) == ["fc1", "act1", "fc2", "act2", "out"]
  assert shape == (1, 2)
  x = np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32)
  h = np.maximum(x @ params["fc1"]["w"] + params["fc1"]["b"], 0)
  h = np.maximum(h @ params["fc2"]["w"] + params["fc2"]["b"], 0)
  ref = h @ params["out"]["w"] + params["out"]["b"]
  assert_close(model.apply(params, state, jnp.asarray(x))[0], ref)


def test_mlp_dropout_and_activation_options():
  model = models.mlp(5, [4], 2, activation=layers.Tanh, dropout=0.5)
  params, state, _ = model.init(jax.random.key(0), (1, 5))
  assert list(params) == ["fc1", "act1", "drop1", "out"]
  x = jnp.ones((3, 5))
  a, _ = model.apply(params, state, x, key=jax.random.key(1), train=True)
  b, _ = model.apply(params, state, x)
  assert not np.allclose(a, b)
