"""The training loop every algorithm shares.

Epochs, monitors, early stopping, checkpoints with bit-identical resume, the non-finite
guard, callbacks and progress.

:func:`train_loop` takes any step ``(ts, batch, key) -> (ts, logs)`` (see
:mod:`fnn.train.steps`) and a TrainState; :func:`fnn.train.fit` (supervised),
``fnn.energy.rbm.fit`` (CD-k, PCD, parallel tempering), ``fnn.energy.dbn.pretrain``
and the scikit-learn estimator are thin layers over it.
"""

from __future__ import annotations

import functools
import os
import pathlib
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh
from tqdm.auto import tqdm

from fnn.checkpoint import CheckpointManager, tree_signature
from fnn.core import PyTree
from fnn.train import early_stopping as es
from fnn.train import sharding
from fnn.train.epochs import (
  StepStatus,
  epoch_fn,
  epoch_order,
  guarded,
  nbytes,
  num_examples,
  ok_status,
  remainder_order,
  take,
)
from fnn.train.state import TrainState
from fnn.train.steps import Step

# Above this many bytes of training data, the loop streams batches from host memory
# instead of placing the whole set on the device (override with in_memory=).
IN_MEMORY_LIMIT_BYTES = 1 << 30
# A folder argument: a str or a pathlib.Path.
PathLike = str | os.PathLike


class NonFiniteLossError(FloatingPointError):
  """Training met a loss (or a validation value) that is nan or inf.

  Attributes:
    step: the step (0-based count of optimizer steps) whose loss was not finite.
    epoch: the epoch it happened in (0-based).
    state: the last good TrainState, from before that step.
    history: the history of the epochs completed before it.
  """

  def __init__(
    self, message: str, *, step: int, epoch: int, state: TrainState, history: dict
  ) -> None:
    super().__init__(message)
    self.step, self.epoch, self.state, self.history = step, epoch, state, history


class FitResult(NamedTuple):
  """What :func:`train_loop` (and so ``fit``, ``rbm.fit``) returns.

  Attributes:
    state: the final TrainState (with early stopping: the best epoch's).
    history: ``{name: float64 array (epochs_run,)}``: the epoch means of the step's
      logs (``loss``, metrics), the monitors (``val_*``, an RBM's
      ``reconstruction_error``...) and ``time`` (seconds per epoch).
    best_epoch: the epoch (0-based) whose state was kept by early stopping, or the
      last epoch when there is no early stopping.
    stopped_early: whether early stopping ended the run before ``epochs``.
  """

  state: TrainState
  history: dict
  best_epoch: int
  stopped_early: bool


class _Epochs(NamedTuple):
  fast: Callable  # unguarded epoch: the common path
  guarded: Callable  # replays an epoch that met a non-finite loss
  step: Callable  # one guarded step, for data streamed from the host


@functools.lru_cache(maxsize=64)
def _compiled(
  step: Step, batch_size: int, shuffle: bool, drop_remainder: bool, batch_sharding: Any = None
) -> _Epochs:
  """The jitted epochs of a step, cached per step object.

  The jitted epochs of ``step``, cached so that repeated calls with the same step
  object reuse one compilation (``jax.jit`` caches by function identity).
  """
  build = functools.partial(
    epoch_fn,
    step,
    batch_size,
    shuffle=shuffle,
    drop_remainder=drop_remainder,
    batch_sharding=batch_sharding,
  )
  return _Epochs(jax.jit(build(guard=False)), jax.jit(build(guard=True)), jax.jit(guarded(step)))


def _epoch_runner(
  epochs: _Epochs,
  data: PyTree,
  batch_size: int,
  shuffle: bool,
  drop_remainder: bool,
  in_memory: bool | None,
  mesh: Mesh | None = None,
) -> Callable[[TrainState], tuple[TrainState, StepStatus, dict]]:
  """One epoch's runner, on device or streamed.

  ``run(ts) -> (ts, status, logs)`` for one epoch, on device or streamed. With a
  ``mesh``, the state and an in-memory training set are replicated over it and each
  streamed batch is split over its ``"data"`` axis.
  """
  n = num_examples(data)
  if in_memory:
    data = sharding.replicate(data, mesh)

    def run(ts: TrainState) -> tuple[TrainState, StepStatus, dict]:
      ts = ts if mesh is None else sharding.replicate(ts, mesh)
      new_ts, status, logs = epochs.fast(ts, data)
      if int(status.bad_step) >= 0:  # rare: replay guarded for the last good state
        new_ts, status, logs = epochs.guarded(ts, data)
      return new_ts, status, logs

    return run
  host = jax.tree.map(np.asarray, data)

  def run_streamed(ts: TrainState) -> tuple[TrainState, StepStatus, dict]:
    ts = ts if mesh is None else sharding.replicate(ts, mesh)
    orders = list(np.asarray(epoch_order(ts, n, batch_size, shuffle)))
    if not drop_remainder and n % batch_size:
      orders.append(np.asarray(remainder_order(ts, n, batch_size, shuffle)))
    status, per_step = ok_status(), []
    for idx in orders:
      batch = sharding.split(take(host, idx), mesh, sharding.DATA_AXIS)
      ts, status, logs = epochs.step(ts, status, batch)
      per_step.append(logs)
    return ts, status, jax.tree.map(lambda *v: jnp.stack(v), *per_step)

  return run_streamed


class _Run(NamedTuple):
  """What the loop carries between epochs (and a checkpoint stores beside the state)."""

  ts: TrainState
  best_ts: TrainState
  history: dict
  epochs_done: int
  stopping: es.EarlyStopping


def _as_arrays(history: dict) -> dict:
  return {k: np.asarray(v, np.float64) for k, v in history.items()}


def _open_manager(
  checkpoint_dir: PathLike | None,
  resume: PathLike | None,
  keep: int,
  best_metric: str | None,
  mode: str,
  must_exist: bool,
  where: str,
) -> CheckpointManager | None:
  if resume is not None:
    path = pathlib.Path(resume)
    if path.exists() and not path.is_dir():
      raise ValueError(
        f"{where}: resume={str(resume)!r} is a file; it must be the folder a "
        "run was checkpointed into (its checkpoint_dir)"
      )
    if must_exist and not path.is_dir():
      raise FileNotFoundError(
        f"{where}: resume={str(resume)!r} does not exist, and "
        "resume_must_exist=True; pass the run's checkpoint_dir"
      )
  if checkpoint_dir is None and resume is None:
    return None
  folder = checkpoint_dir or resume
  assert folder is not None  # checkpoint_dir, or resume when checkpoint_dir is not given
  return CheckpointManager(folder, max_to_keep=keep, best_metric=best_metric, best_mode=mode)


def _resume(
  manager: CheckpointManager | None, run: _Run, config: dict, patience: int | None
) -> _Run:
  """The run as the newest readable checkpoint left it.

  ``run`` itself when there is none. A checkpoint saved with other settings (``config``)
  is an error.
  """
  if manager is None or manager.latest_step() is None:
    return run
  ts, meta = manager.restore(like=run.ts, config=config)
  stopping = es.EarlyStopping(**meta["early_stopping"])
  best_ts = ts
  if patience is not None and stopping.best_step not in (-1, int(ts.step)):
    best_ts = manager.restore(like=run.ts, step=int(stopping.best_step))[0]
  history = {k: list(v) for k, v in meta["history"].items()}
  return _Run(ts, best_ts, history, meta["epochs_done"], stopping)


def _save(
  manager: CheckpointManager | None,
  run: _Run,
  config: dict,
  metrics: dict | None,
  ts: TrainState | None = None,
  **extra: Any,
) -> None:
  if manager is None:
    return
  ts = run.ts if ts is None else ts
  meta = {
    "history": run.history,
    "epochs_done": run.epochs_done,
    "early_stopping": es.to_python(run.stopping)._asdict(),
    **extra,
  }
  manager.save(int(ts.step), ts, metrics=metrics, meta=meta, config=config)


def _non_finite(
  where: str,
  manager: CheckpointManager | None,
  run: _Run,
  good_ts: TrainState,
  status: StepStatus,
  epoch: int,
  step: int,
) -> NonFiniteLossError:
  bad_step = int(status.bad_step)
  return NonFiniteLossError(
    f"{where}: the loss became {float(status.bad_loss)} at step {bad_step} (epoch {epoch}, "
    f"batch {bad_step - step}); training stopped. The last good TrainState (before step "
    f"{bad_step}) is in this error's .state"
    + (f" and saved in {manager.directory}" if manager is not None else "")
    + ". Lower the learning rate, clip gradients (optax.clip_by_global_norm) or check "
    "the data for nan/inf.",
    step=bad_step,
    epoch=epoch,
    state=good_ts,
    history=_as_arrays(run.history),
  )


def _monitored(where: str, entry: dict, evaluated: dict, run: _Run, epoch: int) -> None:
  bad = sorted(k for k, v in evaluated.items() if not np.isfinite(v))
  if bad:
    raise NonFiniteLossError(
      f"{where}: {', '.join(f'{k} = {evaluated[k]}' for k in bad)} after epoch {epoch}; "
      f"training stopped. The state after epoch {epoch - 1} (the last one with finite "
      "monitors) is in this error's .state. Check the validation data for nan/inf.",
      step=int(run.ts.step),
      epoch=epoch,
      state=run.ts,
      history=_as_arrays(run.history),
    )
  entry.update(evaluated)


def check_monitor(where: str, monitor: str, names: Sequence[str]) -> None:
  """Raises ValueError, before any training, unless ``monitor`` will be in the history."""
  if monitor not in names:
    raise ValueError(
      f"{where}: monitor {monitor!r} is not one of the logged values {sorted(names)}"
    )


def train_loop(
  step: Step,
  ts: TrainState,
  data: PyTree,
  *,
  epochs: int,
  batch_size: int,
  shuffle: bool = True,
  drop_remainder: bool = True,
  in_memory: bool | None = None,
  evaluate: Callable[[TrainState], dict] | None = None,
  monitor: str | None = None,
  patience: int | None = None,
  mode: str = "min",
  min_delta: float = 0.0,
  callbacks: Sequence[Callable[[int, TrainState, dict], Any]] = (),
  progress: bool = True,
  desc: str = "fit",
  checkpoint_dir: PathLike | None = None,
  keep_checkpoints: int = 3,
  resume: PathLike | None = None,
  resume_must_exist: bool = False,
  where: str = "train.train_loop",
  mesh: Mesh | None = None,
) -> FitResult:
  """Runs ``epochs`` epochs of ``step`` over ``data`` from ``ts``.

  Each epoch is one jit-compiled ``lax.scan`` when the data fit in device memory
  (else batches are gathered on the host and streamed to a jitted step; both paths
  give the same result). After each epoch: ``evaluate(ts)`` adds monitors to the
  history, early stopping watches ``monitor``, callbacks run, and a checkpoint is saved.

  Args:
    step: ``(ts, batch, key) -> (ts, logs)`` with ``logs["loss"]`` a scalar. The
      compiled epochs are cached on the step object: build it once per configuration.
    ts: the starting TrainState.
    data: a pytree of arrays with a shared leading axis (``(x, y)``, visibles...).
    epochs: the number of epochs the whole run takes (a resumed run continues to it).
    batch_size: examples per step.
    shuffle: see :func:`fnn.train.epoch_fn`.
    drop_remainder: see :func:`fnn.train.epoch_fn`.
    in_memory: force (True) or forbid (False) placing ``data`` on the device; by
      default it is placed there when under 1 GiB.
    evaluate: ``evaluate(ts) -> {name: float}`` after each epoch (validation loss,
      an RBM's reconstruction error...); a non-finite value stops the run with
      :class:`NonFiniteLossError`.
    monitor: the history entry that early stopping and the "best" checkpoint watch.
    patience: stop after this many epochs in a row without improvement of
      ``monitor`` (0: at the first one) and return the best epoch's state; None
      disables early stopping.
    mode: ``"min"`` or ``"max"``: whether smaller or larger ``monitor`` is better.
    min_delta: the smallest change of ``monitor`` that counts as an improvement.
    callbacks: ``fn(epoch, ts, entry)`` after each epoch; one returning True stops.
    progress: show a tqdm bar over epochs.
    desc: the bar's label.
    checkpoint_dir: save the TrainState and the loop's bookkeeping there after every
      epoch (:class:`fnn.checkpoint.CheckpointManager`; the last ``keep_checkpoints``
      and the best by ``monitor`` are kept).
    keep_checkpoints: how many of the newest checkpoints to keep.
    resume: continue the run checkpointed in this folder (and keep checkpointing
      there unless ``checkpoint_dir`` says otherwise). With the same arguments the
      resumed run ends bit-identical to an uninterrupted one. A missing folder starts
      afresh, unless ``resume_must_exist``.
    resume_must_exist: raise FileNotFoundError when the ``resume`` folder does not exist.
    where: the name error messages start with.
    mesh: a ``jax.sharding.Mesh`` with a ``"data"`` axis: data-parallel training
      (the state and data replicated, each batch split over the axis; see
      :mod:`fnn.train.sharding`). The caller checks the batch size divides.

  Returns:
    A :class:`FitResult`.

  Raises:
    NonFiniteLossError: a loss or a monitor was nan/inf; ``err.state`` is the last
      good TrainState (also saved when checkpointing).
    ValueError: ``resume`` is a file.
    fnn.checkpoint.CheckpointError: the checkpoint was saved with another batch size,
      data size, ``shuffle``, ``drop_remainder`` or optimizer (state structure).
  """
  n = num_examples(data, where)
  if in_memory is None:
    in_memory = nbytes(data) <= IN_MEMORY_LIMIT_BYTES
  batch_sharding = (
    None if mesh is None else sharding.leading_axis_sharding(mesh, sharding.DATA_AXIS)
  )
  run_epoch = _epoch_runner(
    _compiled(step, batch_size, shuffle, drop_remainder, batch_sharding),
    data,
    batch_size,
    shuffle,
    drop_remainder,
    in_memory,
    mesh,
  )
  config = {
    "batch_size": batch_size,
    "num_examples": n,
    "shuffle": shuffle,
    "drop_remainder": drop_remainder,
    "opt_state": tree_signature(ts.opt_state),
  }
  track_best = monitor if (patience is not None or evaluate is not None) else None
  manager = _open_manager(
    checkpoint_dir, resume, keep_checkpoints, track_best, mode, resume_must_exist, where
  )
  run = _Run(ts, ts, {}, 0, es.start(mode))
  try:
    if resume is not None:
      run = _resume(manager, run, config, patience)
    first = epochs if run.stopping.stopped else run.epochs_done
    bar = tqdm(
      range(first, epochs),
      desc=desc,
      unit="epoch",
      disable=not progress,
      leave=False,
      initial=first,
      total=epochs,
    )
    with bar:
      for epoch in bar:
        run, stop = _one_epoch(
          run_epoch,
          run,
          epoch,
          evaluate=evaluate,
          monitor=monitor,
          patience=patience,
          mode=mode,
          min_delta=min_delta,
          callbacks=callbacks,
          manager=manager,
          config=config,
          where=where,
        )
        if progress:
          bar.set_postfix({k: f"{v[-1]:.4g}" for k, v in run.history.items() if k != "time"})
        if stop:
          break
  finally:
    if manager is not None:
      manager.close()
  result_ts = run.best_ts if patience is not None else run.ts
  best_epoch = int(run.stopping.best_epoch) if patience is not None else run.epochs_done - 1
  return FitResult(result_ts, _as_arrays(run.history), best_epoch, bool(run.stopping.stopped))


def _one_epoch(
  run_epoch: Callable[[TrainState], tuple[TrainState, StepStatus, dict]],
  run: _Run,
  epoch: int,
  *,
  evaluate: Callable[[TrainState], dict] | None,
  monitor: str | None,
  patience: int | None,
  mode: str,
  min_delta: float,
  callbacks: Sequence[Callable[[int, TrainState, dict], Any]],
  manager: CheckpointManager | None,
  config: dict,
  where: str,
) -> tuple[_Run, bool]:
  """One epoch, its monitors, early stopping, callbacks and checkpoint."""
  start_time, step = time.perf_counter(), int(run.ts.step)
  new_ts, status, logs = run_epoch(run.ts)
  status, logs = jax.device_get((status, logs))  # one transfer per epoch
  if int(status.bad_step) >= 0:
    if int(status.bad_step) > step:  # the last good state is mid-epoch: keep it on disk too
      _save(manager, run, config, None, ts=new_ts, non_finite_step=int(status.bad_step))
    raise _non_finite(where, manager, run, new_ts, status, epoch, step)
  entry = {k: float(np.mean(v)) for k, v in logs.items()}
  if evaluate is not None:
    _monitored(where, entry, evaluate(new_ts), run, epoch)
  entry["time"] = time.perf_counter() - start_time
  history = {k: run.history.get(k, []) + [v] for k, v in entry.items()}
  stopping, best_ts = run.stopping, new_ts
  if patience is not None:
    stopping = es.to_python(
      es.update(
        stopping,
        entry[monitor],
        epoch=epoch,
        step=int(new_ts.step),
        patience=patience,
        mode=mode,
        min_delta=min_delta,
      )
    )
    best_ts = new_ts if stopping.best_epoch == epoch else run.best_ts
  run = _Run(new_ts, best_ts, history, epoch + 1, stopping)
  # every callback runs, even when an earlier one asks to stop (so no short-circuit)
  asks_to_stop = [bool(cb(epoch, new_ts, entry)) for cb in callbacks]
  stop = any(asks_to_stop) or bool(stopping.stopped)
  # With early stopping only new-best epochs carry the metric, so the manager's "best"
  # checkpoint is exactly the state early stopping returns (min_delta and ties
  # included); without it every epoch is ranked.
  ranked = monitor in entry and (patience is None or stopping.best_epoch == epoch)
  _save(manager, run, config, {monitor: entry[monitor]} if ranked else None)
  return run, stop
