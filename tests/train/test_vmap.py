"""fnn.train.vmap_fit: N models in one program, each equal to its own fit."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import fnn
from fnn.layers import Dense, Dropout, Relu
from fnn.train import NonFiniteLossError, fit, init_train_state, vmap_fit
from fnn.train.vmap import with_hyperparams

LOSS = fnn.losses.softmax_cross_entropy
# float32 training for a few dozen steps: differences of a few ulps per step add up
TOL = dict(rtol=100 * np.finfo(np.float32).eps, atol=100 * np.finfo(np.float32).eps)


@pytest.fixture(scope="module")
def digits():
  x, y = fnn.data.load_digits("train")
  x, y = x.reshape(-1, 64), y
  return (x[:240], y[:240]), (x[240:320], y[240:320])


@pytest.fixture(scope="module")
def model():
  return fnn.serial(Dense(16), Relu(), Dropout(0.2), Dense(10))


def one(tree, i):
  return jax.tree.map(lambda a: a[i], tree)


def assert_trees_close(a, b, **tol):
  for p, q in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    if jnp.issubdtype(p.dtype, jax.dtypes.prng_key):
      p, q = jax.random.key_data(p), jax.random.key_data(q)
    np.testing.assert_allclose(np.asarray(p), np.asarray(q), **(tol or TOL))


SEEDS_ARGS = dict(
  epochs=6, batch_size=40, metrics={"accuracy": fnn.metrics.accuracy}, patience=0, progress=False
)


@pytest.fixture(scope="module")
def seeds_run(digits, model):
  (x, y), validation = digits
  keys = jax.random.split(jax.random.key(1), 4)
  with jax.default_matmul_precision("highest"):
    result = vmap_fit(
      model, LOSS, optax.adam(0.1), x, y, keys=keys, validation_data=validation, **SEEDS_ARGS
    )
  return keys, result


def test_vmap_fit_of_n_seeds_equals_n_separate_fits(digits, model, seeds_run):
  (x, y), validation = digits
  keys, result = seeds_run
  assert result.stopped_early.any()
  assert not result.stopped_early.all()
  for i, key in enumerate(keys):
    with jax.default_matmul_precision("highest"):
      alone = fit(
        model, LOSS, optax.adam(0.1), x, y, key=key, validation_data=validation, **SEEDS_ARGS
      )
    assert_trees_close(one(result.states, i), alone.state)
    assert result.best_epoch[i] == alone.best_epoch
    assert result.stopped_early[i] == alone.stopped_early
    ran = len(alone.history["loss"])
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
      np.testing.assert_allclose(result.history[name][i, :ran], alone.history[name], **TOL)
      assert np.isnan(result.history[name][i, ran:]).all()


def test_history_has_one_row_per_model_and_one_column_per_epoch(seeds_run):
  _keys, result = seeds_run
  assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
  assert all(h.shape == (4, SEEDS_ARGS["epochs"]) for h in result.history.values())
  assert result.states.step.shape == (4,)
  assert (result.bad_step == -1).all()


def test_a_model_whose_learning_rate_is_zero_keeps_its_initial_parameters(digits, model):
  (x, y), _ = digits
  opt = optax.inject_hyperparams(optax.adam)(learning_rate=1e-3)
  keys = jax.random.split(jax.random.key(0), 3)
  rates = np.array([0.0, 1e-2, 3e-2], np.float32)
  result = vmap_fit(
    model,
    LOSS,
    opt,
    x,
    y,
    keys=keys,
    hyperparams={"learning_rate": rates},
    epochs=2,
    batch_size=40,
    progress=False,
  )
  start = init_train_state(keys[0], model, opt, (1, 64))
  for p, q in zip(
    jax.tree.leaves(one(result.states.params, 0)), jax.tree.leaves(start.params), strict=True
  ):
    np.testing.assert_array_equal(p, q)
  assert result.history["loss"][1:, -1].max() < result.history["loss"][0, -1]
  # model 2 is fit with that learning rate as the optimizer's constant
  alone = fit(
    model,
    LOSS,
    optax.inject_hyperparams(optax.adam)(learning_rate=3e-2),
    x,
    y,
    key=keys[2],
    epochs=2,
    batch_size=40,
    progress=False,
  )
  assert_trees_close(one(result.states, 2), alone.state)


def test_chunks_have_one_shape_so_one_compiled_program_runs_them_all():
  from fnn.train.vmap import _chunks

  assert list(_chunks(3, 3)) == [None]  # one chunk: all models as they are
  chunks = [list(c) for c in _chunks(5, 2)]
  assert chunks == [[0, 1], [2, 3], [4, 4]]  # the last padded with its last model


def test_chunked_run_equals_an_unchunked_run(digits, model):
  (x, y), validation = digits
  keys = jax.random.split(jax.random.key(1), 5)
  args = dict(epochs=2, batch_size=40, validation_data=validation, progress=False)
  whole = vmap_fit(model, LOSS, optax.sgd(0.1), x, y, keys=keys, **args)
  chunked = vmap_fit(model, LOSS, optax.sgd(0.1), x, y, keys=keys, chunk_size=2, **args)
  assert_trees_close(chunked.states, whole.states, rtol=0, atol=0)
  np.testing.assert_array_equal(chunked.history["loss"], whole.history["loss"])
  # XLA may sum a validation batch in another order for another number of models
  np.testing.assert_allclose(
    chunked.history["val_loss"], whole.history["val_loss"], rtol=2 * np.finfo(np.float32).eps
  )


def test_a_diverging_model_records_its_step_and_keeps_its_last_good_state(digits, model):
  (x, y), _ = digits
  opt = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
  keys = jax.random.split(jax.random.key(2), 3)
  rates = np.array([0.1, 1e30, 0.05], np.float32)
  result = vmap_fit(
    model,
    LOSS,
    opt,
    x,
    y,
    keys=keys,
    hyperparams={"learning_rate": rates},
    epochs=3,
    batch_size=40,
    progress=False,
  )

  def alone(i):  # fit from model i's start: one optimizer object, one compilation
    start = with_hyperparams(
      init_train_state(keys[i], model, opt, (1, 64)), {"learning_rate": rates[i]}
    )
    return fit(model, LOSS, opt, x, y, train_state=start, epochs=3, batch_size=40, progress=False)

  with pytest.raises(NonFiniteLossError) as err:
    alone(1)
  assert result.bad_step.tolist() == [-1, err.value.step, -1]
  assert_trees_close(one(result.states, 1), err.value.state, rtol=0, atol=0)
  assert np.isnan(result.history["loss"][1, err.value.epoch :]).all()
  for i in (0, 2):  # the others trained on, as alone
    assert_trees_close(one(result.states, i), alone(i).state)
    np.testing.assert_allclose(result.history["loss"][i], alone(i).history["loss"], **TOL)


@pytest.mark.parametrize(
  ("optimizer", "hyperparams", "error", "message"),
  [
    (
      optax.adam(1e-3),
      {"learning_rate": np.ones(2)},
      ValueError,
      "optax.inject_hyperparams(optax.adamw)",
    ),
    (
      optax.inject_hyperparams(optax.adam)(learning_rate=1e-3),
      {"weight_decay": np.ones(2)},
      ValueError,
      "exposes no hyper-parameter 'weight_decay'",
    ),
    (
      optax.inject_hyperparams(optax.adam)(learning_rate=optax.linear_schedule(1e-3, 0, 9)),
      {"learning_rate": np.ones(2)},
      ValueError,
      "is a schedule",
    ),
    (
      optax.inject_hyperparams(optax.adam)(learning_rate=1e-3),
      {"learning_rate": np.ones(3)},
      fnn.ShapeError,
      "must have shape (2,)",
    ),
  ],
)
def test_hyperparams_the_optimizer_cannot_vary_are_a_clear_error(
  digits, model, optimizer, hyperparams, error, message
):
  (x, y), _ = digits
  with pytest.raises(error, match=r"^train\.vmap_fit: ") as err:
    vmap_fit(
      model,
      LOSS,
      optimizer,
      x,
      y,
      keys=jax.random.split(jax.random.key(0), 2),
      hyperparams=hyperparams,
      epochs=1,
      batch_size=40,
      progress=False,
    )
  assert message in str(err.value)


@pytest.mark.parametrize(
  ("kwargs", "error", "message"),
  [
    (dict(keys=jax.random.key(0)), fnn.ShapeError, "one leading axis of models"),
    (dict(keys=np.zeros((2, 2))), TypeError, "jax.random.split"),
    (dict(batch_size=0), ValueError, "batch_size must be an int in [1, 240]"),
    (dict(patience=1), ValueError, "needs validation_data"),
    (dict(chunk_size=0), ValueError, "chunk_size must be a positive int"),
    (dict(mesh=jax.make_mesh((1,), ("data",))), ValueError, "axis named 'model'"),
  ],
)
def test_bad_arguments_are_errors_that_name_vmap_fit(digits, model, kwargs, error, message):
  (x, y), _ = digits
  args = {
    **dict(keys=jax.random.split(jax.random.key(0), 2), epochs=1, batch_size=40, progress=False),
    **kwargs,
  }
  with pytest.raises(error, match=r"^train\.vmap_fit: ") as err:
    vmap_fit(model, LOSS, optax.adam(1e-3), x, y, **args)
  assert message in str(err.value)


def test_vmap_evaluate_and_vmap_apply_equal_each_model_alone(digits, model, seeds_run):
  _, (x_val, y_val) = digits
  _, result = seeds_run
  metrics = {"accuracy": fnn.metrics.accuracy}
  with jax.default_matmul_precision("highest"):
    each = fnn.train.vmap_evaluate(
      model, LOSS, result.states, x_val, y_val, metrics=metrics, batch_size=32
    )  # 2 full batches and a rest of 16
    outputs = fnn.train.vmap_apply(model, result.states, x_val)
    step = fnn.train.eval_step(model, LOSS, metrics=metrics)
    for i in range(len(result.best_epoch)):
      ts = one(result.states, i)
      alone = fnn.train.evaluate(step, ts.params, ts.state, x_val, y_val)
      for name in ("loss", "accuracy"):
        np.testing.assert_allclose(each[name][i], alone[name], **TOL)
      np.testing.assert_allclose(outputs[i], model.apply(ts.params, ts.state, x_val)[0], **TOL)


def test_non_finite_validation_keeps_the_state_from_before_the_epoch(digits, model):
  (x, y), (x_val, y_val) = digits
  keys = jax.random.split(jax.random.key(4), 2)
  huge = (x_val * 1e38, y_val)  # finite inputs whose logits overflow
  result = vmap_fit(
    model,
    LOSS,
    optax.sgd(0.1),
    x,
    y,
    keys=keys,
    validation_data=huge,
    epochs=2,
    batch_size=40,
    progress=False,
  )
  with pytest.raises(NonFiniteLossError, match="val_loss"):
    fit(
      model,
      LOSS,
      optax.sgd(0.1),
      x,
      y,
      key=keys[0],
      validation_data=huge,
      epochs=2,
      batch_size=40,
      progress=False,
    )
  assert result.bad_step.tolist() == [0, 0]  # the state is from before epoch 0's first step
  start = init_train_state(keys[0], model, optax.sgd(0.1), (1, 64))
  assert_trees_close(one(result.states, 0).params, start.params, rtol=0, atol=0)
  assert np.isnan(result.history["loss"]).all()
