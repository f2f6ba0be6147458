import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import fnn
from fnn import losses


def test_softmax_cross_entropy_integer_and_one_hot_agree_with_optax():
  logits = jax.random.normal(jax.random.key(0), (5, 4)) * 3
  labels = jnp.array([0, 3, 1, 2, 3])
  ref = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
  np.testing.assert_allclose(losses.softmax_cross_entropy(logits, labels), ref, rtol=1e-6)
  np.testing.assert_allclose(losses.softmax_cross_entropy(logits, jax.nn.one_hot(labels, 4)),
                             ref, rtol=1e-6)


def test_softmax_cross_entropy_is_finite_for_huge_logits():
  logits = jnp.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]])
  labels = jnp.array([1, 2])
  loss = losses.softmax_cross_entropy(logits, labels)
  np.testing.assert_allclose(loss, [2e4, np.log(2)], rtol=1e-6)
  grads = jax.grad(lambda z: losses.softmax_cross_entropy(z, labels).sum())(logits)
  assert np.isfinite(grads).all()
  np.testing.assert_allclose(grads[0], [1, -1, 0], atol=1e-6)


def test_binary_cross_entropy_with_logits_matches_the_formula_and_is_stable():
  z = jnp.array([-3.0, 0.0, 2.0, 1e4, -1e4])
  t = jnp.array([0.0, 1.0, 1.0, 0.0, 0.0])
  s = 1 / (1 + np.exp(-np.asarray(z[:3], np.float64)))
  ref = -(t[:3] * np.log(s) + (1 - t[:3]) * np.log(1 - s))
  out = losses.binary_cross_entropy_with_logits(z, t)
  np.testing.assert_allclose(out[:3], ref, rtol=1e-5)
  np.testing.assert_allclose(out[3:], [1e4, 0.0])
  np.testing.assert_allclose(out, optax.sigmoid_binary_cross_entropy(z, t), rtol=1e-5)


def test_mean_squared_error_has_no_half_and_is_per_example():
  p = jnp.array([[1.0, 2.0], [0.0, 0.0]])
  t = jnp.array([[0.0, 0.0], [0.0, 2.0]])
  np.testing.assert_allclose(losses.mean_squared_error(p, t), [2.5, 2.0])
  np.testing.assert_allclose(losses.sum_squared_error(p, t), [5.0, 4.0])


def test_l2_penalty_is_half_sum_of_squared_weights_and_skips_biases():
  params = {"fc": {"w": jnp.array([[1.0, 2.0]]), "b": jnp.array([10.0])}}
  assert float(losses.l2_penalty(params)) == 2.5
  assert float(losses.l2_penalty(params, weights_only=False)) == 52.5
  assert float(losses.l1_penalty(params)) == 3.0
  grads = jax.grad(losses.l2_penalty)(params)
  np.testing.assert_allclose(grads["fc"]["w"], params["fc"]["w"])
  np.testing.assert_allclose(grads["fc"]["b"], 0.0)


def test_loss_shape_mismatch_raises():
  with pytest.raises(fnn.ShapeError, match=r"predictions have shape \(3,\) but targets have shape \(3, 1\)"):
    losses.mean_squared_error(jnp.ones(3), jnp.ones((3, 1)))
