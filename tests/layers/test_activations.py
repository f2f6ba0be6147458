import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

from fnn import layers as L

X = np.linspace(-4, 4, 17).astype(np.float32)

NUMPY_REFERENCE = {
  "identity": (L.identity, L.Identity(), lambda x: x),
  "step": (L.step, L.Step(), lambda x: (x > 0).astype(np.float32)),
  "sigmoid": (L.sigmoid, L.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
  "tanh": (L.tanh, L.Tanh(), np.tanh),
  "relu": (L.relu, L.Relu(), lambda x: np.maximum(x, 0)),
  "leaky_relu": (
    lambda x: L.leaky_relu(x, 0.1),
    L.LeakyRelu(0.1),
    lambda x: np.where(x > 0, x, 0.1 * x),
  ),
  "elu": (lambda x: L.elu(x, 0.5), L.Elu(0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
  "gelu": (L.gelu, L.Gelu(), lambda x: x * 0.5 * (1 + special.erf(x / np.sqrt(2)))),
  "softplus": (L.softplus, L.Softplus(), lambda x: np.log1p(np.exp(x))),
  "softmax": (L.softmax, L.Softmax(), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
  "log_softmax": (
    L.log_softmax,
    L.LogSoftmax(),
    lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
  ),
}


@pytest.mark.parametrize("name", sorted(NUMPY_REFERENCE))
def test_activation_function_and_layer_match_numpy(name):
  fn, layer, ref = NUMPY_REFERENCE[name]
  x = X.reshape(1, -1)
  np.testing.assert_allclose(fn(jnp.asarray(x)), ref(x), rtol=1e-5, atol=1e-6)
  y, state = layer.apply({}, {}, jnp.asarray(x))
  np.testing.assert_allclose(y, ref(x), rtol=1e-5, atol=1e-6)
  assert state == {}


def test_sigmoid_derivative_is_s_times_one_minus_s():
  g = jax.vmap(jax.grad(L.sigmoid))(jnp.asarray(X))
  s = 1 / (1 + np.exp(-X))
  np.testing.assert_allclose(g, s * (1 - s), rtol=1e-5)


def test_step_has_zero_gradient():
  np.testing.assert_array_equal(jax.vmap(jax.grad(L.step))(jnp.asarray(X)), 0.0)


def test_softplus_is_stable_for_large_inputs():
  y = L.softplus(jnp.array([-1e4, 1e4]))
  np.testing.assert_allclose(y, [0.0, 1e4])


def test_course_sigmoid_neuron_example():
  # Inputs (10, -20, 4, -2), weights (0.9, 0.2, -1.0, -0.9), bias 0.1: the net input is
  # 9 - 4 - 4 + 1.8 + 0.1 = 2.9, and sigmoid(2.9) = 0.9478. The course's 0.8699 is
  # sigmoid(1.9), the same neuron with bias -0.9 (net input 2.8 - 0.9).
  x = jnp.array([[10.0, -20.0, 4.0, -2.0]])
  w = jnp.array([[0.9], [0.2], [-1.0], [-0.9]])
  y, _ = L.Dense(1).apply({"w": w, "b": jnp.array([0.1])}, {}, x)
  np.testing.assert_allclose(L.sigmoid(y), [[0.9478]], atol=5e-5)
  y, _ = L.Dense(1).apply({"w": w, "b": jnp.array([-0.9])}, {}, x)
  np.testing.assert_allclose(L.sigmoid(y), [[0.8699]], atol=5e-5)
