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
  np.testing.assert_allclose(
    losses.softmax_cross_entropy(logits, jax.nn.one_hot(labels, 4)), ref, rtol=1e-6
  )


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
  assert float(losses.l2_penalty(params, mask=None)) == 52.5
  assert float(losses.l1_penalty(params)) == 3.0
  grads = jax.grad(losses.l2_penalty)(params)
  np.testing.assert_allclose(grads["fc"]["w"], params["fc"]["w"])
  np.testing.assert_allclose(grads["fc"]["b"], 0.0)


def test_loss_shape_mismatch_raises():
  with pytest.raises(
    fnn.ShapeError, match=r"predictions have shape \(3,\) but targets have shape \(3, 1\)"
  ):
    losses.mean_squared_error(jnp.ones(3), jnp.ones((3, 1)))


# ---------------------------------------------------------------------------
# Weight decay by structure (issue 10, item 5).


def test_l2_penalty_counts_every_matrix_of_a_hopfield_layer_whatever_its_name():
  from fnn.energy.hopfield import Hopfield

  model = fnn.serial(fnn.layers.Dense(6), Hopfield(5, features=4), fnn.layers.LayerNorm())
  params, _, _ = model.init(jax.random.key(0), (1, 3))
  hopfield = params[1]
  assert set(hopfield) == {"patterns", "w_q", "w_k", "w_v"}
  matrices = [params[0]["w"]] + [hopfield[k] for k in ("patterns", "w_q", "w_k", "w_v")]
  expected = 0.5 * sum(float(np.sum(np.square(np.asarray(m, np.float64)))) for m in matrices)
  np.testing.assert_allclose(float(losses.l2_penalty(params)), expected, rtol=1e-6)
  expected_l1 = sum(float(np.abs(np.asarray(m, np.float64)).sum()) for m in matrices)
  np.testing.assert_allclose(float(losses.l1_penalty(params)), expected_l1, rtol=1e-6)


def test_l2_penalty_takes_a_replacement_mask_function_or_tree():
  params = {"w": jnp.ones((2, 2)), "b": jnp.full((3,), 2.0), "scale": jnp.full((1,), 3.0)}

  def only_vectors(p):
    return jax.tree.map(lambda x: x.ndim == 1, p)

  assert float(losses.l2_penalty(params, mask=only_vectors)) == 0.5 * (12.0 + 9.0)
  tree = {"w": False, "b": False, "scale": True}
  assert float(losses.l2_penalty(params, mask=tree)) == 4.5


# ---------------------------------------------------------------------------
# Integer labels out of range: an eager error, and check_targets for fit (issue 13).


def test_cross_entropy_label_out_of_range_raises_naming_label_index_and_range():
  logits = jnp.zeros((4, 10))
  with pytest.raises(
    ValueError,
    match=r"losses.softmax_cross_entropy: label 10 at index 2 is "
    r"outside \[0, 10\) \(the model has 10 outputs",
  ):
    losses.softmax_cross_entropy(logits, jnp.array([0, 9, 10, 3]))
  with pytest.raises(ValueError, match=r"label -1 at index 0 is outside \[0, 10\)"):
    losses.softmax_cross_entropy(logits, jnp.array([-1, 9, 1, 3]))


def test_cross_entropy_under_jit_is_not_checked_as_documented():
  value = jax.jit(losses.softmax_cross_entropy)(jnp.zeros((2, 3)), jnp.array([0, 5]))
  assert value.shape == (2,)


def test_check_targets_is_what_fit_calls_on_the_host():
  check = losses.softmax_cross_entropy.check_targets
  check((1, 3), np.array([0, 1, 2]))
  check((1, 3), np.eye(3, dtype=np.float32))  # one-hot targets are not labels
  with pytest.raises(ValueError, match=r"label 3 at index 1 is outside \[0, 3\) \(.*\); 2 of 3"):
    check((1, 3), np.array([0, 3, 7]))
  seq = losses.per_step_cross_entropy.check_targets
  labels = np.array([[1, 2, -1], [0, -1, -1]])
  with pytest.raises(
    ValueError, match=r"losses.per_step_cross_entropy: label -1 at index \(0, 2\)"
  ):
    seq(fnn.layers.RNNInput((1, 3, 4), (1,)), labels)
  seq(
    fnn.layers.RNNInput((1, 3, 4), (1,)), labels, mask=fnn.layers.step_mask(np.array([2, 1]), 3)
  )  # padded steps are not checked


# ---------------------------------------------------------------------------
# Masked per-step losses (issue 13) and per_step_cross_entropy (issue 10, item 7).


def test_per_step_cross_entropy_is_the_mean_over_steps_of_the_cross_entropy():
  logits = jax.random.normal(jax.random.key(0), (3, 5, 4))
  labels = jax.random.randint(jax.random.key(1), (3, 5), 0, 4)
  ref = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean(axis=1)
  np.testing.assert_allclose(losses.per_step_cross_entropy(logits, labels), ref, rtol=1e-6)


def test_masked_loss_averages_each_sequence_over_its_real_steps_only():
  rng = np.random.default_rng(0)
  y = jnp.asarray(rng.normal(size=(3, 4, 2)), jnp.float32)
  t = jnp.asarray(rng.normal(size=(3, 4, 2)), jnp.float32)
  lengths = np.array([4, 2, 0])
  t_padded = t.at[1, 2:].set(jnp.nan).at[2].set(jnp.nan)  # pad values never matter
  got = losses.masked(losses.mean_squared_error)(
    fnn.layers.RNNInput(y, jnp.asarray(lengths)), t_padded
  )
  for n, length in enumerate(lengths):
    want = np.mean((np.asarray(y[n, :length]) - np.asarray(t[n, :length])) ** 2) if length else 0
    np.testing.assert_allclose(got[n], want, rtol=1e-6)
  mask = fnn.layers.step_mask(jnp.asarray(lengths), 4)
  np.testing.assert_array_equal(
    losses.masked(losses.mean_squared_error)(y, t_padded, mask=mask), got
  )
  grads = jax.grad(
    lambda y: losses.masked(losses.mean_squared_error)(y, t_padded, mask=mask).sum()
  )(y)
  assert np.isfinite(grads).all()
  assert not np.asarray(grads[1, 2:]).any()


def test_masked_loss_with_padded_labels_of_minus_one_in_an_eager_call():
  logits = jax.random.normal(jax.random.key(0), (2, 3, 4))
  labels = jnp.array([[1, 2, -1], [0, -1, -1]])
  lengths = jnp.array([2, 1])
  got = losses.per_step_cross_entropy(fnn.layers.RNNInput(logits, lengths), labels)
  ref = optax.softmax_cross_entropy_with_integer_labels(logits, jnp.maximum(labels, 0))
  np.testing.assert_allclose(got, [ref[0, :2].mean(), ref[1, 0]], rtol=1e-6)


def test_masked_loss_rejects_targets_that_are_not_per_step():
  with pytest.raises(
    fnn.ShapeError,
    match=r"losses.masked\(mean_squared_error\): expected "
    r"outputs \(N, T, \.\.\.\) and targets",
  ):
    losses.masked(losses.mean_squared_error)(jnp.ones((2, 3, 1)), jnp.ones((2, 1)))


def test_lstm_many_to_many_fit_with_a_masked_loss_equals_each_sequence_alone():
  """Padded sequences through fit: per-sequence losses, and training lowers them.

  Padded variable-length sequences through fit: the loss fit logs is the mean over
  sequences of each one's loss computed alone (unpadded), and training lowers it.
  """
  from fnn.layers import RNN, Dense, LSTMCell, RNNInput

  rng = np.random.default_rng(0)
  n, t = 6, 7
  lengths = np.array([7, 3, 5, 1, 6, 2])
  x = rng.normal(size=(n, t, 2)).astype(np.float32)
  y = np.cumsum(x[..., :1], axis=1).astype(np.float32)  # the running sum: needs memory
  pad = np.arange(t)[None, :] >= lengths[:, None]
  x[pad], y[pad] = 1e3, -1e3  # garbage in the padding must not matter (fit refuses nan)
  model = fnn.serial(RNN(LSTMCell(8)), Dense(1))
  loss, opt, key = losses.masked(losses.mean_squared_error), optax.adam(1e-2), jax.random.key(0)
  inputs = RNNInput(jnp.asarray(x), jnp.asarray(lengths))

  def alone(params, state):
    per_seq = [
      losses.mean_squared_error(
        model.apply(params, state, x[i : i + 1, : lengths[i]])[0][0], y[i, : lengths[i]]
      ).mean()
      for i in range(n)
    ]
    return float(np.mean(per_seq))

  ts0 = fnn.train.init_train_state(key, model, opt, RNNInput((1, t, 2), (1,)))
  result = fnn.train.fit(
    model, loss, opt, inputs, y, key=key, epochs=30, batch_size=n, shuffle=False, progress=False
  )
  history = result.history["loss"]
  np.testing.assert_allclose(history[0], alone(ts0.params, ts0.state), rtol=1e-5)
  trained = result.state
  batch_loss = float(loss(model.apply(trained.params, trained.state, inputs)[0], y).mean())
  np.testing.assert_allclose(batch_loss, alone(trained.params, trained.state), rtol=1e-5)
  assert history[-1] < 0.5 * history[0]
