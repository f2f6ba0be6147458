import os
import pathlib
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import serialization

import fnn
from fnn.checkpoint import (
  CheckpointError,
  CheckpointManager,
  CheckpointWarning,
  CorruptCheckpointError,
  load_params,
  save_params,
  tree_signature,
)
from fnn.layers import Dense, Dropout, Relu
from fnn.train import NonFiniteLossError, fit, init_train_state

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _mlp(hidden=8):
  return fnn.models.mlp(3, [hidden], 2, dropout=0.2)


def _state(hidden=8, seed=0):
  return init_train_state(jax.random.key(seed), _mlp(hidden), optax.adam(1e-3), (1, 3))


def _assert_trees_equal(a, b):
  assert jax.tree.structure(a) == jax.tree.structure(b)
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    if jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
      x, y = jax.random.key_data(x), jax.random.key_data(y)
    np.testing.assert_array_equal(x, y)


def test_manager_round_trips_a_train_state_with_its_key_and_optax_state(tmp_path):
  ts = _state()
  ts = ts._replace(step=jnp.int32(7), params=jax.tree.map(lambda p: p + 1.5, ts.params))
  manager = CheckpointManager(tmp_path)
  manager.save(7, ts, meta={"note": "hello"})
  restored, meta = CheckpointManager(tmp_path).restore(like=_state(seed=1))
  _assert_trees_equal(restored, ts)
  assert type(restored.opt_state[0]) is type(ts.opt_state[0])  # optax's ScaleByAdamState
  assert meta["note"] == "hello"


def test_manager_keeps_the_last_n_and_the_best_by_metric(tmp_path):
  manager = CheckpointManager(tmp_path, max_to_keep=2, best_metric="val_loss", best_mode="min")
  ts = _state()
  for step, val in [(1, 0.9), (2, 0.2), (3, 0.5), (4, 0.6), (5, 0.7)]:
    manager.save(step, ts, metrics={"val_loss": val})
  assert manager.all_steps() == [2, 4, 5]
  assert manager.best_step() == 2
  assert manager.latest_step() == 5


def test_killed_save_leaves_the_previous_checkpoint_loadable(tmp_path):
  # A child process saves step 1, then dies (SIGKILL) in the middle of saving step 2,
  # after the arrays are written and just before orbax's commit rename.
  script = textwrap.dedent(f"""
      import os, signal, jax, optax
      import orbax.checkpoint._src.path.async_path as async_path
      import fnn
      from fnn.checkpoint import CheckpointManager
      from fnn.train import init_train_state
      ts = init_train_state(jax.random.key(0), fnn.models.mlp(3, [8], 2, dropout=0.2),
                            optax.adam(1e-3), (1, 3))
      manager = CheckpointManager({str(tmp_path)!r})
      manager.save(1, ts)
      async def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
      async_path.rename = killed
      manager.save(2, ts._replace(params=jax.tree.map(lambda p: p * 0, ts.params)))
      print("not reached")
  """)
  env = {**os.environ, "PYTHONPATH": ROOT}
  proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
  assert proc.returncode == -9
  assert "not reached" not in proc.stdout
  assert any("tmp" in name for name in os.listdir(tmp_path))  # the half-written step 2
  manager = CheckpointManager(tmp_path)
  assert manager.all_steps() == [1]
  restored, _ = manager.restore(like=_state(seed=5))
  _assert_trees_equal(restored, _state())


def test_restore_into_a_different_shape_names_the_leaf_and_both_shapes(tmp_path):
  CheckpointManager(tmp_path).save(1, _state(hidden=8))
  with pytest.raises(
    CheckpointError,
    match=r"leaf \.params\['fc1'\]\['b'\] has shape \(8,\) "
    r"float32 in the checkpoint but \(16,\) float32 in the target",
  ):
    CheckpointManager(tmp_path).restore(like=_state(hidden=16))


def test_restore_into_a_different_tree_names_the_first_differing_leaf(tmp_path):
  CheckpointManager(tmp_path).save(1, _state())
  other = init_train_state(
    jax.random.key(0), fnn.models.mlp(3, [8, 8], 2), optax.adam(1e-3), (1, 3)
  )
  with pytest.raises(
    CheckpointError,
    match=r"leaf \d+ is \.params\['out'\]\['b'\] in the "
    r"checkpoint but \.params\['fc2'\]\['b'\] in the target",
  ):
    CheckpointManager(tmp_path).restore(like=other)


def _data_files(directory):
  return [
    pathlib.Path(d, f)
    for d, _, fs in os.walk(directory)
    for f in fs
    if os.sep + "d" + os.sep in os.path.join(d, f) + os.sep or os.path.basename(d) == "d"
  ]


def test_corrupt_or_truncated_checkpoint_raises_instead_of_loading(tmp_path):
  ts = _state()
  manager = CheckpointManager(tmp_path)
  manager.save(1, ts)
  files = _data_files(tmp_path / "1")
  assert files
  for f in files:
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 2])
  with (
    pytest.warns(CheckpointWarning, match="skipping checkpoint 1"),
    pytest.raises(
      CheckpointError, match=r"no readable checkpoint in .*checkpoint 1 in .*(corrupt|truncated)"
    ),
  ):
    CheckpointManager(tmp_path).restore(like=ts)
  with pytest.raises(CheckpointError, match=r"checkpoint 1 in .*(corrupt|truncated)"):
    CheckpointManager(tmp_path).restore(like=ts, step=1)


def _xy(n=48):
  rng = np.random.default_rng(0)
  x = rng.normal(size=(n, 3)).astype(np.float32)
  return x, (x[:, 0] > 0).astype(np.int32)


FIT_ARGS = dict(
  key=jax.random.key(2),
  batch_size=8,
  progress=False,
  validation_split=0.25,
  metrics={"accuracy": fnn.metrics.accuracy},
  patience=50,
)


def test_resumed_fit_is_bit_identical_to_an_uninterrupted_run(tmp_path):
  x, y = _xy()
  loss, opt = fnn.losses.softmax_cross_entropy, optax.adam(1e-2)
  whole = fit(_mlp(), loss, opt, x, y, epochs=5, **FIT_ARGS)
  first = fit(_mlp(), loss, opt, x, y, epochs=2, checkpoint_dir=tmp_path, **FIT_ARGS)
  assert int(first.state.step) == 2 * 4
  resumed = fit(_mlp(), loss, opt, x, y, epochs=5, resume=tmp_path, **FIT_ARGS)
  _assert_trees_equal(resumed.state, whole.state)
  for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
    np.testing.assert_array_equal(resumed.history[name], whole.history[name])
  assert resumed.best_epoch == whole.best_epoch


def test_non_finite_loss_saves_the_last_good_state(tmp_path):
  x, _ = _xy(12)
  y = x[:, :1].copy()
  y[5, 0] = 1e30  # a finite target whose squared error overflows float32
  with pytest.raises(NonFiniteLossError, match=r"at step 5 .* saved in") as info:
    fit(
      Dense(1),
      fnn.losses.mean_squared_error,
      optax.sgd(0.1),
      x,
      y,
      key=jax.random.key(0),
      epochs=1,
      batch_size=1,
      shuffle=False,
      progress=False,
      checkpoint_dir=tmp_path,
    )
  manager = CheckpointManager(tmp_path)
  assert manager.latest_step() == 5
  restored, meta = manager.restore(like=info.value.state)
  _assert_trees_equal(restored, info.value.state)
  assert meta["non_finite_step"] == 5


def test_save_and_load_params_round_trip_without_a_target(tmp_path):
  model = fnn.serial(Dense(4), Relu(), Dropout(0.1), Dense(2))
  params, _, _ = model.init(jax.random.key(0), (1, 3))
  save_params(tmp_path / "p.msgpack", params)
  loaded = load_params(tmp_path / "p.msgpack")
  _assert_trees_equal(loaded, params)  # tuples stay tuples, {} stays {}
  # self-describing: any msgpack reader sees the format tag and the manifest
  raw = serialization.msgpack_restore((tmp_path / "p.msgpack").read_bytes())
  assert raw["format"] == "fnn.params"
  assert [e["path"] for e in raw["manifest"]] == ["[0]['b']", "[0]['w']", "[3]['b']", "[3]['w']"]


def test_load_params_into_a_mismatched_model_names_the_leaf(tmp_path):
  params, _, _ = fnn.models.mlp(3, [8], 2).init(jax.random.key(0), (1, 3))
  save_params(tmp_path / "p.msgpack", params)
  like, _, _ = fnn.models.mlp(3, [4], 2).init(jax.random.key(0), (1, 3))
  with pytest.raises(
    CheckpointError,
    match=r"leaf \['fc1'\]\['b'\] has shape \(8,\) float32 in "
    r"the checkpoint but \(4,\) float32 in the target",
  ):
    load_params(tmp_path / "p.msgpack", like=like)


def test_load_params_rejects_truncated_corrupt_and_foreign_files(tmp_path):
  params, _, _ = fnn.models.mlp(3, [8], 2).init(jax.random.key(0), (1, 3))
  path = tmp_path / "p.msgpack"
  save_params(path, params)
  data = path.read_bytes()
  (tmp_path / "short.msgpack").write_bytes(data[:-40])
  with pytest.raises(CheckpointError, match="truncated"):
    load_params(tmp_path / "short.msgpack")
  # flip one byte inside the stored bytes of out/w (the last leaf written)
  w_bytes = np.asarray(params["out"]["w"]).tobytes()
  at = data.rindex(w_bytes) + 5
  flipped = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
  (tmp_path / "flip.msgpack").write_bytes(flipped)
  with pytest.raises(CheckpointError, match=r"leaf \['out'\]\['w'\] is corrupt"):
    load_params(tmp_path / "flip.msgpack")
  (tmp_path / "other.msgpack").write_bytes(serialization.msgpack_serialize({"w": np.ones(3)}))
  with pytest.raises(CheckpointError, match="not an fnn params file"):
    load_params(tmp_path / "other.msgpack")


def test_early_stopping_best_checkpoint_survives_pruning_and_resume_returns_it(tmp_path):
  # Train on y = 2x, validate on y = x: the validation loss bottoms out, then rises.
  rng = np.random.default_rng(0)
  x = rng.normal(size=(32, 1)).astype(np.float32)
  x_val = rng.normal(size=(16, 1)).astype(np.float32)
  model = Dense(1, use_bias=False, w_init=fnn.initializers.zeros)
  args = dict(
    key=jax.random.key(0),
    batch_size=32,
    shuffle=False,
    progress=False,
    validation_data=(x_val, x_val),
    patience=4,
    min_delta=1e-3,
  )
  whole = fit(model, fnn.losses.mean_squared_error, optax.sgd(0.05), x, 2 * x, epochs=200, **args)
  assert whole.stopped_early
  part = fit(
    model,
    fnn.losses.mean_squared_error,
    optax.sgd(0.05),
    x,
    2 * x,
    epochs=whole.best_epoch + 3,
    checkpoint_dir=tmp_path,
    keep_checkpoints=1,
    **args,
  )
  assert not part.stopped_early  # interrupted before patience ran out
  manager = CheckpointManager(tmp_path, best_metric="val_loss")
  assert manager.best_step() == whole.best_epoch + 1  # one step per epoch
  assert manager.latest_step() == whole.best_epoch + 3
  resumed = fit(
    model,
    fnn.losses.mean_squared_error,
    optax.sgd(0.05),
    x,
    2 * x,
    epochs=200,
    resume=tmp_path,
    **args,
  )
  _assert_trees_equal(resumed.state, whole.state)
  assert resumed.best_epoch == whole.best_epoch
  assert resumed.stopped_early
  np.testing.assert_array_equal(resumed.history["val_loss"], whole.history["val_loss"])


# ---------------------------------------------------------------------------
# Unreadable checkpoints: fall back to the newest readable one, with a warning (issue 13).


def _three_checkpoints(directory):
  manager = CheckpointManager(directory, max_to_keep=None)
  states = {}
  for step in (1, 2, 3):
    ts = _state()
    states[step] = ts._replace(
      step=jnp.int32(step), params=jax.tree.map(lambda p, s=step: p + s, ts.params)
    )
    manager.save(step, states[step])
  return manager, states


def _damage(folder, how):
  for f in _data_files(folder):
    data = bytearray(f.read_bytes())
    if how == "truncate":
      data = data[: len(data) // 2]
    else:
      data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))


@pytest.mark.parametrize(
  ("how", "why"),
  [
    (
      "truncate",
      r"is truncated or damaged \(\d+ bytes, \d+ "
      r"when saved\)",
    ),
    ("flip", r"is corrupt \(its CRC-32"),
  ],
)
def test_a_damaged_latest_checkpoint_restores_the_one_before_with_a_warning(tmp_path, how, why):
  manager, states = _three_checkpoints(tmp_path)
  _damage(tmp_path / "3", how)
  with pytest.warns(
    CheckpointWarning,
    match=r"CheckpointManager.restore: skipping checkpoint 3 "
    rf"in .*: file state/.*{why}.*; trying the one before",
  ):
    restored, _ = CheckpointManager(tmp_path).restore(like=_state(seed=9))
  _assert_trees_equal(restored, states[2])
  with pytest.warns(CheckpointWarning, match=r"latest_readable_step: skipping checkpoint 3"):
    assert manager.latest_readable_step() == 2
  assert manager.readable_step(2) is None
  assert "checkpoint 3" in manager.readable_step(3)
  with pytest.raises(CorruptCheckpointError, match=r"checkpoint 3 in .*: file state/"):
    manager.restore(like=_state(), step=3)  # an explicit step never falls back


def test_a_junk_step_folder_next_to_good_checkpoints_is_skipped_the_same_way(tmp_path):
  _, states = _three_checkpoints(tmp_path)
  (tmp_path / "7").mkdir()
  (tmp_path / "7" / "notes.txt").write_text("not a checkpoint")
  manager = CheckpointManager(tmp_path)
  assert manager.all_steps() == [1, 2, 3, 7]
  with pytest.warns(
    CheckpointWarning,
    match=r"skipping checkpoint 7 in .*: its meta data cannot "
    r"be read",
  ):
    restored, _ = manager.restore(like=_state())
  _assert_trees_equal(restored, states[3])


def test_no_readable_checkpoint_at_all_is_an_error_listing_each_reason(tmp_path):
  manager, _ = _three_checkpoints(tmp_path)
  for step in (1, 2, 3):
    _damage(tmp_path / str(step), "truncate")
  with (
    pytest.warns(CheckpointWarning),
    pytest.raises(
      CheckpointError,
      match=r"no readable checkpoint in .* \(checkpoint 3 .*; checkpoint 2 .*; "
      r"checkpoint 1 .*truncated",
    ),
  ):
    manager.restore(like=_state())


def test_a_checkpoint_of_another_model_is_an_error_not_a_fallback(tmp_path):
  _three_checkpoints(tmp_path)
  with pytest.raises(CheckpointError, match=r"checkpoint 3 in .*leaf .* has shape \(8,\)"):
    CheckpointManager(tmp_path).restore(like=_state(hidden=16))


def test_reading_a_corrupt_checkpoint_prints_nothing(tmp_path):
  """Orbax logs (absl) and its reader threads' asyncio tracebacks never reach the user."""
  _manager, _ = _three_checkpoints(tmp_path)
  _damage(tmp_path / "3", "flip")
  _damage(tmp_path / "2", "truncate")
  (tmp_path / "9").mkdir()
  script = textwrap.dedent(f"""
      import warnings, jax, optax, fnn
      from fnn.checkpoint import CheckpointManager
      from fnn.train import init_train_state
      warnings.simplefilter("ignore")
      ts = init_train_state(jax.random.key(0), fnn.models.mlp(3, [8], 2, dropout=0.2),
                            optax.adam(1e-3), (1, 3))
      for _ in range(3):
        manager = CheckpointManager({str(tmp_path)!r})
        restored, _ = manager.restore(like=ts)
        assert int(restored.step) == 1
        manager.best_step(), manager.latest_readable_step()
      import time; time.sleep(0.5)
      print("done")
  """)
  env = {**os.environ, "PYTHONPATH": ROOT}
  proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
  assert proc.returncode == 0, proc.stderr
  assert proc.stdout.strip() == "done", proc.stderr
  assert proc.stderr == ""


def test_a_changed_batch_size_or_optimizer_is_reported_on_restore(tmp_path):
  ts = _state()
  config = {"batch_size": 8, "opt_state": tree_signature(ts.opt_state)}
  manager = CheckpointManager(tmp_path)
  manager.save(1, ts, config=config)
  _restored, meta = manager.restore(like=ts, config=config)
  assert meta["config"] == config
  with pytest.raises(
    CheckpointError,
    match=r"checkpoint 1 in .*: was saved by a run with other "
    r"settings: batch_size=8 then, 16 now\. Resume with the settings",
  ):
    manager.restore(like=ts, config={**config, "batch_size": 16})
  # adamw's state has exactly adam's leaves (its extra states are empty), so only the
  # structure tells them apart
  adamw = init_train_state(jax.random.key(0), _mlp(), optax.adamw(1e-3), (1, 3))
  with pytest.raises(CheckpointError, match=r"opt_state differs: .*EmptyState.* then, .* now"):
    manager.restore(like=adamw, config={**config, "opt_state": tree_signature(adamw.opt_state)})
  manager.restore(like=ts, config={"batch_size": 8, "epochs": 3})  # new keys are not compared


def test_manager_on_a_file_or_a_missing_folder_with_must_exist(tmp_path):
  (tmp_path / "f").write_text("x")
  with pytest.raises(CheckpointError, match=r"CheckpointManager: .*f is a file, not a checkpoint"):
    CheckpointManager(tmp_path / "f")
  with pytest.raises(CheckpointError, match=r"there is no checkpoint folder .*missing"):
    CheckpointManager(tmp_path / "missing", must_exist=True)
  assert not (tmp_path / "missing").exists()


def test_save_params_creates_missing_folders_and_refuses_a_folder_path(tmp_path):
  params = {"w": jnp.ones((2, 2))}
  save_params(tmp_path / "a" / "b" / "p.msgpack", params)
  _assert_trees_equal(load_params(tmp_path / "a" / "b" / "p.msgpack"), params)
  with pytest.raises(
    CheckpointError,
    match=r"checkpoint.save_params: .*a is a folder; pass a "
    r"file path such as .*params.msgpack",
  ):
    save_params(tmp_path / "a", params)
  (tmp_path / "file").write_text("x")
  with pytest.raises(
    CheckpointError,
    match=r"cannot create the folder .*file.* a part of that "
    r"path is a file",
  ):
    save_params(tmp_path / "file" / "p.msgpack", params)
