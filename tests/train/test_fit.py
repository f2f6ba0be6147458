import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import fnn
from fnn.layers import Dense, Dropout, Relu
from fnn.train import (
  NonFiniteLossError,
  TrainState,
  epoch_fn,
  eval_step,
  evaluate,
  fit,
  init_train_state,
  scan_epochs,
  supervised_step,
  train_step,
)

mse = fnn.losses.mean_squared_error


def _linear_data(n=64, seed=0):
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(n, 3)).astype(np.float32)
  y = (
    x @ np.array([[1.5], [-2.0], [0.5]], np.float32)
    + 0.3
    + 0.1 * rng.normal(size=(n, 1)).astype(np.float32)
  )
  return x, y


def test_fit_converges_to_least_squares_solution():
  x, y = _linear_data()
  result = fit(
    Dense(1),
    mse,
    optax.sgd(0.1),
    x,
    y,
    key=jax.random.key(0),
    epochs=300,
    batch_size=len(x),
    shuffle=False,
    progress=False,
  )
  design = np.hstack([x, np.ones((len(x), 1), np.float32)])
  coef = np.linalg.lstsq(design, y, rcond=None)[0]
  np.testing.assert_allclose(result.state.params["w"], coef[:3], atol=1e-4)
  np.testing.assert_allclose(result.state.params["b"], coef[3], atol=1e-4)
  assert result.history["loss"][-1] < result.history["loss"][0] / 10
  assert result.history["loss"].shape == (300,)
  assert int(result.state.step) == 300


def _dropout_mlp():
  return fnn.serial(Dense(16), Relu(), Dropout(0.3), Dense(1))


def test_fit_matches_a_hand_written_loop_with_the_documented_keys():
  x, y = _linear_data(50)
  model, opt, batch = _dropout_mlp(), optax.adam(1e-2), 8
  result = fit(
    model, mse, opt, x, y, key=jax.random.key(3), epochs=3, batch_size=batch, progress=False
  )

  # The reference: plain optax, keys derived as the fnn.train docstring promises.
  init_key, run_key = jax.random.split(jax.random.key(3))
  params, state, _ = model.init(init_key, (1, 3))
  opt_state = opt.init(params)
  shuffle_key, dropout_key = jax.random.split(run_key)
  step = 0
  for _ in range(3):
    order = np.asarray(jax.random.permutation(jax.random.fold_in(shuffle_key, step), len(x)))
    for b in range(len(x) // batch):
      idx = order[b * batch : (b + 1) * batch]

      def loss_fn(p, idx=idx, step=step):
        out, _ = model.apply(
          p, state, x[idx], key=jax.random.fold_in(dropout_key, step), train=True
        )
        return jnp.mean((out - y[idx]) ** 2)

      grads = jax.grad(loss_fn)(params)
      updates, opt_state = opt.update(grads, opt_state, params)
      params = optax.apply_updates(params, updates)
      step += 1
  assert int(result.state.step) == step == 3 * (50 // 8)
  for got, want in zip(jax.tree.leaves(result.state.params), jax.tree.leaves(params), strict=True):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_streaming_fit_equals_in_memory_fit():
  x, y = _linear_data(40)
  kwargs = dict(
    key=jax.random.key(1), epochs=2, batch_size=16, progress=False, validation_split=0.2
  )
  on_device = fit(_dropout_mlp(), mse, optax.adam(1e-2), x, y, in_memory=True, **kwargs)
  streamed = fit(_dropout_mlp(), mse, optax.adam(1e-2), x, y, in_memory=False, **kwargs)
  assert int(on_device.state.step) == int(streamed.state.step) == 2 * 2
  for a, b in zip(
    jax.tree.leaves(on_device.state.params), jax.tree.leaves(streamed.state.params), strict=True
  ):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
  np.testing.assert_allclose(on_device.history["val_loss"], streamed.history["val_loss"], rtol=1e-6)


def _fit_past_the_validation_minimum(patience):
  # Train on y = 2x but validate on y = x: the weight walks from ~0 towards 2 and the
  # validation loss is lowest when it passes 1, then rises for good.
  rng = np.random.default_rng(0)
  x = rng.normal(size=(32, 1)).astype(np.float32)
  x_val = rng.normal(size=(16, 1)).astype(np.float32)
  model = Dense(1, use_bias=False, w_init=fnn.initializers.zeros)
  result = fit(
    model,
    mse,
    optax.sgd(0.05),
    x,
    2 * x,
    key=jax.random.key(0),
    epochs=200,
    batch_size=32,
    shuffle=False,
    validation_data=(x_val, x_val),
    patience=patience,
    progress=False,
  )
  return result, x_val


def test_early_stopping_stops_after_patience_and_restores_the_best_epoch():
  result, x_val = _fit_past_the_validation_minimum(patience=3)
  val = result.history["val_loss"]
  assert result.stopped_early
  assert result.best_epoch == int(np.argmin(val))
  assert len(val) == result.best_epoch + 1 + 3
  w = float(result.state.params["w"][0, 0])
  np.testing.assert_allclose(np.mean((w * x_val - x_val) ** 2), val[result.best_epoch], rtol=1e-5)
  assert int(result.state.step) == result.best_epoch + 1


def test_nan_loss_stops_with_the_step_and_keeps_the_last_good_state():
  x, y = _linear_data(12)
  x[7, 1] = 1e30  # finite data whose squared error overflows float32
  with pytest.raises(NonFiniteLossError, match=r"loss became inf at step 7 \(epoch 0, batch 7\)"):
    fit(
      Dense(1),
      mse,
      optax.sgd(0.1),
      x,
      y,
      key=jax.random.key(0),
      epochs=2,
      batch_size=1,
      shuffle=False,
      progress=False,
    )
  try:
    fit(
      Dense(1),
      mse,
      optax.sgd(0.1),
      x,
      y,
      key=jax.random.key(0),
      epochs=2,
      batch_size=1,
      shuffle=False,
      progress=False,
      in_memory=False,
    )
  except NonFiniteLossError as err:
    bad = err
  good = fit(
    Dense(1),
    mse,
    optax.sgd(0.1),
    x[:7],
    y[:7],
    key=jax.random.key(0),
    epochs=1,
    batch_size=1,
    shuffle=False,
    progress=False,
  )
  assert bad.step == 7
  assert int(bad.state.step) == 7
  np.testing.assert_array_equal(bad.state.params["w"], good.state.params["w"])
  assert np.all(np.isfinite(bad.state.params["w"]))


def test_train_step_with_l2_penalty_is_sgd_with_weight_decay():
  x, y = _linear_data(16)
  lam, lr = 0.1, 0.05
  ts = init_train_state(jax.random.key(0), Dense(1), optax.sgd(lr), (1, 3))
  step = train_step(Dense(1), mse, optax.sgd(lr), penalty=lambda p: lam * fnn.losses.l2_penalty(p))
  w, b = np.asarray(ts.params["w"]), np.asarray(ts.params["b"])  # before the step donates ts
  new_ts, logs = step(ts, x, y)
  resid = x @ w + b - y  # d/dw mean(r^2) = 2 x^T r / n
  grad_w = 2 * x.T @ resid / len(x)
  grad_b = 2 * resid.mean(0)
  np.testing.assert_allclose(new_ts.params["w"], w - lr * (grad_w + lam * w), rtol=1e-5)
  np.testing.assert_allclose(new_ts.params["b"], b - lr * grad_b, rtol=1e-5)  # bias not decayed
  np.testing.assert_allclose(logs["loss"], np.mean(resid**2), rtol=1e-5)


def test_train_step_donates_the_state_passed_in_and_changes_no_value():
  x, y = _linear_data(16)
  model = fnn.serial(Dense(8), Relu(), Dropout(0.5), Dense(1))
  opt = optax.adam(1e-2)
  donated = init_train_state(jax.random.key(0), model, opt, (1, 3))
  kept = jax.tree.map(jnp.copy, donated)
  after_donated, logs_donated = train_step(model, mse, opt)(donated, x, y)
  after_kept, logs_kept = train_step(model, mse, opt, donate=False)(kept, x, y)
  jax.tree.map(np.testing.assert_array_equal, after_donated, after_kept)
  np.testing.assert_array_equal(logs_donated["loss"], logs_kept["loss"])
  assert all(a.is_deleted() for a in jax.tree.leaves(donated))
  assert not any(a.is_deleted() for a in jax.tree.leaves(kept))


def test_evaluate_weights_uneven_batches_by_size():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(37, 5)).astype(np.float32)
  y = rng.integers(0, 4, size=37).astype(np.int32)
  model = Dense(4)
  params, state, _ = model.init(jax.random.key(0), (1, 5))
  step = eval_step(
    model, fnn.losses.softmax_cross_entropy, metrics={"accuracy": fnn.metrics.accuracy}
  )
  got = evaluate(step, params, state, x, y, batch_size=10)
  logits = x @ np.asarray(params["w"]) + np.asarray(params["b"])
  logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
  np.testing.assert_allclose(got["loss"], -logp[np.arange(37), y].mean(), rtol=1e-5)
  np.testing.assert_allclose(got["accuracy"], np.mean(logits.argmax(-1) == y), rtol=1e-6)


def test_epoch_fn_vmapped_over_learning_rates_equals_separate_runs(assert_close):
  x, y = _linear_data(32)
  opt = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
  run = epoch_fn(supervised_step(Dense(1), mse, opt), 8)
  ts = init_train_state(jax.random.key(0), Dense(1), opt, (1, 3))
  lrs = jnp.array([0.01, 0.1])

  def with_lr(lr):
    opt_state = ts.opt_state._replace(hyperparams={"learning_rate": lr})
    return ts._replace(opt_state=opt_state)

  batched = jax.vmap(with_lr)(lrs)
  out, _, _ = jax.jit(jax.vmap(run, in_axes=(0, None)))(batched, (x, y))
  for i, lr in enumerate(lrs):
    single, _, _ = jax.jit(run)(with_lr(lr), (x, y))
    assert_close(out.params["w"][i], single.params["w"], reordered=True)
  assert not np.allclose(out.params["w"][0], out.params["w"][1])


def test_fit_trains_a_sequence_model_on_per_step_targets():
  # (N, T, F) inputs, (N, T) integer targets: the label is the sign of the feature.
  rng = np.random.default_rng(0)
  x = rng.normal(size=(64, 5, 2)).astype(np.float32)
  y = (x[..., 0] > 0).astype(np.int32)
  result = fit(
    Dense(2),
    fnn.losses.softmax_cross_entropy,
    optax.adam(0.05),
    x,
    y,
    key=jax.random.key(0),
    epochs=20,
    batch_size=16,
    progress=False,
    metrics={"accuracy": fnn.metrics.accuracy},
  )
  assert result.history["accuracy"][-1] > 0.95
  assert result.history["loss"][-1] < 0.5 * result.history["loss"][0]


def test_callback_returning_true_stops_and_sees_each_epoch():
  x, y = _linear_data(16)
  seen = []

  def callback(epoch, ts, logs):
    seen.append((epoch, int(ts.step), round(logs["loss"], 6)))
    return epoch == 2

  result = fit(
    Dense(1),
    mse,
    optax.sgd(0.1),
    x,
    y,
    key=jax.random.key(0),
    epochs=10,
    batch_size=8,
    progress=False,
    callbacks=[callback],
  )
  assert [s[:2] for s in seen] == [(0, 2), (1, 4), (2, 6)]
  assert [s[2] for s in seen] == [round(v, 6) for v in result.history["loss"]]


@pytest.mark.parametrize(
  ("kwargs", "message"),
  [
    (dict(batch_size=100), r"batch_size must be an int in \[1, 16\]"),
    (dict(patience=2), r"early stopping on 'val_loss' needs validation_data"),
    (dict(validation_split=1.5), r"validation_split must be in \[0, 1\)"),
    (dict(mode="best"), r"mode must be 'min' or 'max'"),
  ],
)
def test_fit_rejects_bad_arguments_with_a_clear_error(kwargs, message):
  x, y = _linear_data(16)
  with pytest.raises(ValueError, match=message):
    fit(
      Dense(1),
      mse,
      optax.sgd(0.1),
      x,
      y,
      key=jax.random.key(0),
      epochs=1,
      **{"batch_size": 4, **kwargs},
    )


def test_fit_rejects_inputs_and_targets_of_different_lengths():
  x, y = _linear_data(16)
  with pytest.raises(ValueError, match=r"same number of examples .* sizes \[15, 16\]"):
    fit(Dense(1), mse, optax.sgd(0.1), x, y[:15], key=jax.random.key(0), epochs=1)


def test_train_state_is_a_pytree_that_jit_accepts():
  ts = init_train_state(jax.random.key(0), Dense(2), optax.adam(1e-3), (1, 3))
  assert isinstance(ts, TrainState)
  doubled = jax.jit(lambda t: jax.tree.map(lambda a: a, t))(ts)
  assert jax.tree.structure(doubled) == jax.tree.structure(ts)
  assert ts.params["w"].shape == (3, 2)
  assert int(ts.step) == 0


def test_scan_epochs_equals_fit_epoch_by_epoch():
  x, y = _linear_data(40)
  model, opt = _dropout_mlp(), optax.adam(1e-2)
  result = fit(model, mse, opt, x, y, key=jax.random.key(4), epochs=3, batch_size=8, progress=False)
  ts = init_train_state(jax.random.key(4), model, opt, (1, 3))
  run = epoch_fn(supervised_step(model, mse, opt), 8)
  final, status, logs = jax.jit(lambda t: scan_epochs(run, t, (x, y), 3))(ts)
  assert int(status.bad_step) == -1
  np.testing.assert_allclose(logs["loss"], result.history["loss"], rtol=1e-5)
  for a, b in zip(jax.tree.leaves(final.params), jax.tree.leaves(result.state.params), strict=True):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_fit_without_a_key_or_train_state_is_an_error():
  x, y = _linear_data(16)
  with pytest.raises(ValueError, match=r"pass key= \(a jax.random.key\) or a train_state="):
    fit(Dense(1), mse, optax.sgd(0.1), x, y, epochs=1)


def test_unguarded_epoch_equals_guarded_and_reports_the_same_bad_step():
  x, y = _linear_data(32)
  model, opt = Dense(1), optax.sgd(0.05)
  ts = init_train_state(jax.random.key(0), model, opt, x.shape)
  fast = jax.jit(epoch_fn(supervised_step(model, mse, opt), 4, guard=False))
  safe = jax.jit(epoch_fn(supervised_step(model, mse, opt), 4, guard=True))
  (ts_a, status_a, logs_a), (ts_b, status_b, logs_b) = fast(ts, (x, y)), safe(ts, (x, y))
  for u, v in zip(
    jax.tree.leaves((ts_a.params, ts_a.opt_state, status_a, logs_a)),
    jax.tree.leaves((ts_b.params, ts_b.opt_state, status_b, logs_b)),
    strict=True,
  ):
    np.testing.assert_array_equal(u, v)
  x_bad = x.copy()
  x_bad[int(fnn.train.epoch_order(ts, 32, 4)[3, 0]), 0] = np.inf
  (_, fast_status, _), (good_ts, safe_status, _) = fast(ts, (x_bad, y)), safe(ts, (x_bad, y))
  assert int(fast_status.bad_step) == int(safe_status.bad_step) == 3
  assert int(good_ts.step) == 3
  assert np.isfinite(good_ts.params["w"]).all()


def test_train_state_stores_a_default_key_as_its_data_and_keeps_other_impls_typed():
  # Key data dispatch faster through jax.jit than typed keys; the derived keys are the
  # same ones the typed key gives (fit's hand-written-loop test checks the streams).
  ts = init_train_state(jax.random.key(0), Dense(1), optax.sgd(0.1), (1, 3))
  _, run_key = jax.random.split(jax.random.key(0))
  assert ts.key.dtype == jnp.uint32
  np.testing.assert_array_equal(ts.key, jax.random.key_data(run_key))
  np.testing.assert_array_equal(
    jax.random.key_data(fnn.train.step_key(ts)),
    jax.random.key_data(jax.random.fold_in(jax.random.split(run_key)[1], 0)),
  )
  rbg = TrainState.create({}, {}, optax.sgd(0.1), key=jax.random.key(0, impl="rbg"))
  assert jnp.issubdtype(rbg.key.dtype, jax.dtypes.prng_key)
  assert fnn.train.shuffle_key(rbg).dtype == rbg.key.dtype


@pytest.mark.parametrize(
  ("kwargs", "error", "message"),
  [
    (
      dict(validation_split=0.999),
      ValueError,
      r"train.fit: the training set is empty after validation_split=0.999",
    ),
    (
      dict(metrics={"acc": 3}),
      TypeError,
      r"train.fit: metrics\['acc'\] must be a function \(outputs, targets\) -> scalar, got int 3",
    ),
    (dict(eval_batch_size=0), ValueError, r"train.fit: eval_batch_size must be a positive int"),
    (
      dict(key=0),
      TypeError,
      r"train.fit: expected a PRNG key such as jax.random.key\(0\), got int",
    ),
    (
      dict(patience=1, validation_split=0.25, monitor="val_acc"),
      ValueError,
      r"train.fit: monitor 'val_acc' is not one of the logged values \['loss', 'val_loss'\]",
    ),
  ],
)
def test_fit_reports_bad_arguments_before_training(kwargs, error, message):
  x, y = _linear_data(16)
  trained = []
  with pytest.raises(error, match=message):
    fit(
      Dense(1),
      mse,
      optax.sgd(0.1),
      x,
      y,
      **{
        "key": jax.random.key(0),
        "epochs": 1,
        "batch_size": 4,
        "progress": False,
        "callbacks": [lambda *a: trained.append(1)],
        **kwargs,
      },
    )
  assert not trained


@pytest.mark.parametrize(
  ("make_x", "error", "message"),
  [
    (lambda x: x[:0], ValueError, r"train.fit: the training set is empty"),
    (lambda x: x.tolist(), TypeError, r"train.fit: x is a Python list; pass an array"),
    (
      lambda x: np.where(np.arange(16)[:, None] == 5, np.nan, x),
      ValueError,
      r"train.fit: x holds nan or inf \(first at example 5\)",
    ),
  ],
)
def test_fit_rejects_bad_training_data_with_the_problem_named(make_x, error, message):
  x, y = _linear_data(16)
  with pytest.raises(error, match=message):
    fit(
      Dense(1),
      mse,
      optax.sgd(0.1),
      make_x(x),
      y[: len(make_x(x))] if hasattr(make_x(x), "shape") else y,
      key=jax.random.key(0),
      epochs=1,
      batch_size=4,
      progress=False,
    )


def test_nan_in_validation_data_is_an_error_before_training():
  x, y = _linear_data(16)
  x_val, y_val = _linear_data(8, seed=1)
  y_val[3] = np.nan
  with pytest.raises(
    ValueError,
    match=r"train.fit: validation_data: y holds nan or inf "
    r"\(first at example 3\)",
  ):
    fit(
      Dense(1),
      mse,
      optax.sgd(0.1),
      x,
      y,
      key=jax.random.key(0),
      epochs=1,
      batch_size=4,
      validation_data=(x_val, y_val),
      progress=False,
    )


def test_a_non_finite_validation_loss_stops_naming_the_epoch_and_keeps_the_last_good_state():
  # Finite validation inputs whose squared error overflows float32 as soon as the
  # zero-initialised weights move: the first epoch's validation loss is inf.
  x, y = _linear_data(16)
  x_val = np.full((4, 3), 1e20, np.float32)
  y_val = np.zeros((4, 1), np.float32)
  model = Dense(1, w_init=fnn.initializers.zeros)
  with pytest.raises(NonFiniteLossError, match=r"train.fit: val_loss = inf after epoch 0") as info:
    fit(
      model,
      mse,
      optax.sgd(0.1),
      x,
      y,
      key=jax.random.key(0),
      epochs=3,
      batch_size=16,
      validation_data=(x_val, y_val),
      patience=2,
      progress=False,
    )
  assert int(info.value.state.step) == 0
  assert info.value.epoch == 0
  np.testing.assert_array_equal(info.value.state.params["w"], 0)


def test_patience_zero_stops_at_the_first_epoch_without_improvement():
  # Keras semantics: improving epochs never stop the run, whatever the patience.
  result, _ = _fit_past_the_validation_minimum(patience=0)
  val = result.history["val_loss"]
  assert result.stopped_early
  assert result.best_epoch == len(val) - 2
  assert np.all(np.diff(val[:-1]) < 0)
  assert val[-1] >= val[-2]  # stopped at the first rise


def test_resume_from_a_file_or_a_missing_folder_that_must_exist_fails_before_training(tmp_path):
  x, y = _linear_data(16)
  args = dict(key=jax.random.key(0), epochs=1, batch_size=4, progress=False)
  (tmp_path / "file").write_text("not a checkpoint folder")
  with pytest.raises(
    ValueError, match=r"train.fit: resume=.*file' is a file; it must be the folder"
  ):
    fit(Dense(1), mse, optax.sgd(0.1), x, y, resume=tmp_path / "file", **args)
  with pytest.raises(FileNotFoundError, match=r"train.fit: resume=.*missing' does not exist"):
    fit(
      Dense(1),
      mse,
      optax.sgd(0.1),
      x,
      y,
      resume=tmp_path / "missing",
      resume_must_exist=True,
      **args,
    )
  fresh = fit(Dense(1), mse, optax.sgd(0.1), x, y, resume=tmp_path / "missing", **args)
  assert int(fresh.state.step) == 4  # a missing folder starts afresh, as documented


def test_resuming_with_another_optimizer_is_reported(tmp_path):
  x, y = _linear_data(16)
  args = dict(key=jax.random.key(0), progress=False, batch_size=4)
  fit(Dense(1), mse, optax.adam(0.1), x, y, epochs=1, checkpoint_dir=tmp_path, **args)
  with pytest.raises(fnn.checkpoint.CheckpointError, match=r"opt_state differs"):
    fit(Dense(1), mse, optax.adamw(0.1), x, y, epochs=2, resume=tmp_path, **args)


@pytest.mark.parametrize(("label", "index"), [(-1, 3), (10, 5)])
def test_fit_rejects_class_labels_out_of_range_before_training(label, index):
  rng = np.random.default_rng(0)
  x = rng.normal(size=(16, 4)).astype(np.float32)
  y = (np.arange(16) % 10).astype(np.int32)
  y[index] = label
  with pytest.raises(
    ValueError,
    match=rf"train.fit: y: losses.softmax_cross_entropy: label "
    rf"{label} at index {index} is outside \[0, 10\)",
  ):
    fit(
      Dense(10),
      fnn.losses.softmax_cross_entropy,
      optax.sgd(0.1),
      x,
      y,
      key=jax.random.key(0),
      epochs=1,
      batch_size=4,
      progress=False,
    )


@pytest.mark.parametrize("bad", [7, -1])
def test_fit_rejects_sequence_lengths_outside_zero_to_t(bad):
  from fnn.layers import RNN, LSTMCell, RNNInput

  x = np.zeros((8, 6, 2), np.float32)
  lengths = np.full(8, 3, np.int32)
  lengths[2] = bad
  with pytest.raises(ValueError, match=r"train.fit: .*\[0, 6\]"):
    fit(
      RNN(LSTMCell(4)),
      mse,
      optax.sgd(0.1),
      RNNInput(x, lengths),
      np.zeros((8, 4), np.float32),
      key=jax.random.key(0),
      epochs=1,
      batch_size=4,
      progress=False,
    )


def test_resuming_with_another_batch_size_is_reported(tmp_path):
  x, y = _linear_data(16)
  args = dict(key=jax.random.key(0), progress=False)
  fit(Dense(1), mse, optax.sgd(0.1), x, y, epochs=1, batch_size=4, checkpoint_dir=tmp_path, **args)
  with pytest.raises(
    fnn.checkpoint.CheckpointError,
    match=r"was saved by a run with other settings: batch_size=4 then, 8 now",
  ):
    fit(Dense(1), mse, optax.sgd(0.1), x, y, epochs=2, batch_size=8, resume=tmp_path, **args)
