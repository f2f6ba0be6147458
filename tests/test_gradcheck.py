import jax
import jax.numpy as jnp

import fnn


def test_gradcheck_passes_a_correct_gradient():
  params = {"a": jnp.array([0.3, -1.2]), "b": {"c": jnp.array([[2.0]])}}
  result = fnn.gradcheck(lambda p: jnp.sum(jnp.sin(p["a"]) * p["b"]["c"] ** 3), params)
  assert result.max_rel_error < 1e-7


def test_gradcheck_finds_a_wrong_gradient_and_names_where():
  @jax.custom_vjp
  def bad_square(x):
    return x**2

  bad_square.defvjp(lambda x: (x**2, x), lambda x, g: (g * 3 * x,))  # should be 2x
  params = {"ok": jnp.array([1.0, 2.0]), "bad": jnp.array([0.5, -1.5, 2.0])}
  result = fnn.gradcheck(lambda p: jnp.sum(p["ok"] ** 2) + jnp.sum(bad_square(p["bad"])), params)
  assert result.path == "['bad']"
  assert abs(result.max_rel_error - 1 / 3) < 1e-6  # |3x - 2x| / |3x|
  assert abs(result.analytic / result.numeric - 1.5) < 1e-6


def test_gradcheck_runs_in_float64():
  # in float32 a 1e-6 step would be swamped by rounding; in float64 it is accurate
  result = fnn.gradcheck(lambda p: jnp.sum(jnp.exp(p)), jnp.array([1.0, 2.0], jnp.float32))
  assert result.max_rel_error < 1e-8
