"""Training: a pytree ``TrainState``, jit-compiled steps, and ``fit``.

The pieces, from the bottom up:

* :class:`TrainState` — ``(step, params, state, opt_state, key)``, a NamedTuple and
  so a pytree: it goes through ``jax.jit``, ``jax.vmap`` and checkpoints as it is.
* :func:`train_step` / :func:`eval_step` — factories that take any Layer, any loss
  ``loss(outputs, targets)`` and any optax ``GradientTransformation`` and return
  pure, jit-compiled functions.
* :func:`epoch_fn` — one epoch as a single ``lax.scan`` over minibatches (pure, not
  jitted, so it can also be ``vmap``-ped over many TrainStates).
* :func:`fit` — the loop a researcher wants: shuffling, validation, early stopping,
  history, a progress bar, callbacks and a non-finite-loss guard.

Randomness is a function of ``(TrainState.key, TrainState.step)`` only, so a run is
reproducible from its key and a resumed run replays exactly: with
``shuffle_key, dropout_key = jax.random.split(ts.key)``, the epoch that starts at
step ``s`` is ordered by ``jax.random.permutation(fold_in(shuffle_key, s), n)`` and
step ``s`` gets ``key=fold_in(dropout_key, s)`` in ``model.apply``.

Example::

    model = fnn.models.mlp(64, [256], 10)
    result = fnn.train.fit(model, fnn.losses.softmax_cross_entropy, optax.adam(1e-3),
                           x_train, y_train, key=jax.random.key(0), epochs=20,
                           metrics={"accuracy": fnn.metrics.accuracy},
                           validation_split=0.1, patience=5)
    result.state.params, result.history["val_loss"]
"""

from __future__ import annotations

import functools
import time
from typing import Any, Callable, Mapping, NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from fnn.core import Layer, PyTree

LossFn = Callable[[Any, Any], jax.Array]
MetricFn = Callable[[Any, Any], jax.Array]

# Above this many bytes of training data, fit streams batches from host memory
# instead of placing the whole set on the device (override with in_memory=).
IN_MEMORY_LIMIT_BYTES = 1 << 30


class TrainState(NamedTuple):
  """Everything that changes during training, as one pytree.

  Attributes:
    step: int32 scalar, the number of optimizer steps taken so far.
    params: the model's parameters (what the optimizer changes).
    state: the model's own state (BatchNorm statistics; ``{}`` if none).
    opt_state: the optax optimizer state.
    key: the run's PRNG key; it never changes (per-step keys are derived from it
      and ``step``, see the module docstring).
  """
  step: jax.Array
  params: PyTree
  state: PyTree
  opt_state: PyTree
  key: jax.Array


def init_train_state(model: Layer, optimizer: optax.GradientTransformation, key: jax.Array,
                     input_shape, *, params: PyTree = None, state: PyTree = None) -> TrainState:
  """Initialises a model and its optimizer into a :class:`TrainState`.

  Args:
    model: any Layer.
    optimizer: any optax GradientTransformation.
    key: a PRNG key; split into the parameters' key and the run's key.
    input_shape: the model's input shape (batch axis included, any size).
    params, state: start from these instead of ``model.init`` (fine-tuning).

  Returns:
    A TrainState at step 0.
  """
  init_key, run_key = jax.random.split(key)
  if params is None:
    params, new_state, _ = model.init(init_key, input_shape)
    state = new_state if state is None else state
  elif state is None:
    state = model.init(init_key, input_shape)[1]
  return TrainState(jnp.zeros((), jnp.int32), params, state, optimizer.init(params), run_key)


def _mean_loss(loss: LossFn, outputs, targets):
  return jnp.mean(loss(outputs, targets))


def _metric_values(metrics: Mapping[str, MetricFn], outputs, targets):
  return {name: jnp.asarray(fn(outputs, targets), jnp.float32) for name, fn in metrics.items()}


def _step_keys(key):
  shuffle_key, dropout_key = jax.random.split(key)
  return shuffle_key, dropout_key


def _raw_train_step(model: Layer, loss: LossFn, optimizer: optax.GradientTransformation,
                    metrics: Mapping[str, MetricFn], penalty: Optional[Callable[[PyTree], jax.Array]]):
  """The un-jitted step ``(ts, x, y) -> (ts, logs)`` that train_step and fit share."""

  def objective(params, state, x, y, key):
    outputs, new_state = model.apply(params, state, x, key=key, train=True)
    data_loss = _mean_loss(loss, outputs, y)
    total = data_loss if penalty is None else data_loss + penalty(params)
    return total, (new_state, data_loss, outputs)

  def step(ts: TrainState, x, y):
    dropout_key = jax.random.fold_in(_step_keys(ts.key)[1], ts.step)
    (_, (new_state, data_loss, outputs)), grads = jax.value_and_grad(objective, has_aux=True)(
        ts.params, ts.state, x, y, dropout_key)
    updates, opt_state = optimizer.update(grads, ts.opt_state, ts.params)
    params = optax.apply_updates(ts.params, updates)
    logs = {"loss": data_loss, **_metric_values(metrics, outputs, y)}
    return TrainState(ts.step + 1, params, new_state, opt_state, ts.key), logs

  return step


def train_step(model: Layer, loss: LossFn, optimizer: optax.GradientTransformation, *,
               metrics: Optional[Mapping[str, MetricFn]] = None,
               penalty: Optional[Callable[[PyTree], jax.Array]] = None, jit: bool = True):
  """Builds the step ``(ts, x, y) -> (new_ts, logs)``.

  The objective is ``mean(loss(model(x), y)) + penalty(params)``; the gradient goes
  through optax ``optimizer`` (any GradientTransformation, schedules and
  ``inject_hyperparams`` included). The model runs with ``train=True`` and
  ``key=fold_in(split(ts.key)[1], ts.step)``.

  Args:
    model: any Layer.
    loss: ``loss(outputs, targets)`` returning per-example losses or a scalar
      (e.g. ``fnn.losses.softmax_cross_entropy``); its mean is minimised.
    optimizer: an optax GradientTransformation.
    metrics: ``{name: fn(outputs, targets) -> scalar}`` logged on each batch.
    penalty: ``penalty(params) -> scalar`` added to the objective (e.g.
      ``lambda p: 1e-4 * fnn.losses.l2_penalty(p)``); not part of the logged loss.
    jit: compile the step with ``jax.jit`` (default True).

  Returns:
    ``step(ts, x, y) -> (ts, logs)`` with ``logs = {"loss": scalar, **metrics}``,
    ``loss`` being the data loss of the batch before the update.
  """
  step = _raw_train_step(model, loss, optimizer, dict(metrics or {}), penalty)
  return jax.jit(step) if jit else step


def eval_step(model: Layer, loss: LossFn, *, metrics: Optional[Mapping[str, MetricFn]] = None,
              jit: bool = True):
  """Builds ``(params, state, x, y) -> logs``: loss and metrics with ``train=False``.

  Returns:
    A function giving ``{"loss": mean loss, **metrics}`` on the batch ``(x, y)``.
  """
  metrics = dict(metrics or {})

  def step(params, state, x, y):
    outputs, _ = model.apply(params, state, x, train=False)
    return {"loss": _mean_loss(loss, outputs, y), **_metric_values(metrics, outputs, y)}

  return jax.jit(step) if jit else step


# ----------------------------------------------------------------------------
# Batching helpers: data are pytrees of arrays sharing a leading axis.


def _num_examples(*trees) -> int:
  sizes = {int(leaf.shape[0]) for tree in trees for leaf in jax.tree.leaves(tree)}
  if len(sizes) != 1:
    raise ValueError(f"fit: inputs and targets must have the same number of examples "
                     f"(leading axis), got sizes {sorted(sizes)}")
  return sizes.pop()


def _take(tree, idx):
  return jax.tree.map(lambda a: a[idx], tree)


def _input_shape(x):
  if isinstance(x, (tuple, list)):
    return tuple(_input_shape(a) for a in x)
  return (1,) + tuple(x.shape[1:])


def _nbytes(tree) -> int:
  return sum(int(np.prod(a.shape)) * jnp.dtype(a.dtype).itemsize for a in jax.tree.leaves(tree))


def epoch_order(ts: TrainState, num_examples: int, batch_size: int, shuffle: bool = True):
  """The example indices of the epoch starting at ``ts``, shape ``(batches, batch_size)``.

  The last ``num_examples % batch_size`` examples of the permutation are dropped, so
  every batch has the same shape (one compiled step); with shuffling a different
  remainder is dropped each epoch.
  """
  num_batches = num_examples // batch_size
  if shuffle:
    order = jax.random.permutation(jax.random.fold_in(_step_keys(ts.key)[0], ts.step),
                                   num_examples)
  else:
    order = jnp.arange(num_examples)
  return order[:num_batches * batch_size].reshape(num_batches, batch_size)


class StepStatus(NamedTuple):
  """The non-finite guard carried through an epoch.

  Attributes:
    bad_step: int32, the step whose loss was not finite, or -1.
    bad_loss: float32, that loss value (nan/inf), or 0.
  """
  bad_step: jax.Array
  bad_loss: jax.Array


def _ok_status() -> StepStatus:
  return StepStatus(jnp.full((), -1, jnp.int32), jnp.zeros((), jnp.float32))


def _guarded(step):
  """Wraps ``step`` so that a non-finite loss leaves the TrainState as it was.

  Once one step's loss is not finite, this and every later step of the epoch keep
  the last good state, and the status records which step it was.
  """

  def guarded(ts: TrainState, status: StepStatus, x, y):
    new_ts, logs = step(ts, x, y)
    loss = logs["loss"]
    ok = jnp.isfinite(loss) & (status.bad_step < 0)
    first_bad = (status.bad_step < 0) & ~jnp.isfinite(loss)
    status = StepStatus(jnp.where(first_bad, ts.step, status.bad_step),
                        jnp.where(first_bad, loss.astype(jnp.float32), status.bad_loss))
    ts = jax.tree.map(lambda new, old: jnp.where(ok, new, old), new_ts, ts)
    return ts, status, logs

  return guarded


def epoch_fn(model: Layer, loss: LossFn, optimizer: optax.GradientTransformation,
             batch_size: int, *, metrics: Optional[Mapping[str, MetricFn]] = None,
             penalty: Optional[Callable[[PyTree], jax.Array]] = None, shuffle: bool = True):
  """Builds one epoch as a single ``lax.scan`` over minibatches, all on device.

  The returned function is pure and not jitted: ``jax.jit`` it, or ``jax.vmap`` it
  over a batch of TrainStates (e.g. hyper-parameters held by
  ``optax.inject_hyperparams``) to train many models in one program.

  Args:
    model, loss, optimizer, metrics, penalty: as for :func:`train_step`.
    batch_size: examples per step.
    shuffle: reorder the examples each epoch (see :func:`epoch_order`).

  Returns:
    ``run(ts, x, y) -> (ts, status, logs)`` where ``x``, ``y`` hold the whole
    training set (pytrees of arrays with leading axis ``n``), ``status`` is a
    :class:`StepStatus` and ``logs`` maps ``"loss"`` and each metric to its
    per-step values, shape ``(n // batch_size,)``.
  """
  guarded = _guarded(_raw_train_step(model, loss, optimizer, dict(metrics or {}), penalty))

  def run(ts: TrainState, x, y):
    x, y = jax.tree.map(jnp.asarray, (x, y))  # numpy data cannot be indexed by traced indices
    order = epoch_order(ts, _num_examples(x, y), batch_size, shuffle)

    def body(carry, idx):
      ts, status = carry
      ts, status, logs = guarded(ts, status, _take(x, idx), _take(y, idx))
      return (ts, status), logs

    (ts, status), logs = jax.lax.scan(body, (ts, _ok_status()), order)
    return ts, status, logs

  return run


def scan_epochs(run_epoch, ts: TrainState, x, y, epochs: int):
  """Runs ``epochs`` epochs of an :func:`epoch_fn` as one ``lax.scan``, all on device.

  Pure, so ``jax.jit(jax.vmap(lambda ts: scan_epochs(run, ts, x, y, E)))`` trains a batch
  of models (seeds, hyper-parameters) in one compiled program. There is no validation,
  early stopping or progress here; use :func:`fit` for those.

  Args:
    run_epoch: a function from :func:`epoch_fn`.
    ts: the starting TrainState.
    x, y: the training set.
    epochs: a Python int.

  Returns:
    ``(ts, status, logs)``: the final TrainState, the :class:`StepStatus` of the
    whole run (``bad_step`` >= 0 if a loss was not finite; the state then stayed at
    the last good one) and the per-epoch means of the logs, shape ``(epochs,)``.
  """

  def body(carry, _):
    ts, status = carry
    ts, epoch_status, logs = run_epoch(ts, x, y)
    first = status.bad_step < 0
    status = StepStatus(jnp.where(first, epoch_status.bad_step, status.bad_step),
                        jnp.where(first, epoch_status.bad_loss, status.bad_loss))
    return (ts, status), jax.tree.map(jnp.mean, logs)

  (ts, status), logs = jax.lax.scan(body, (ts, _ok_status()), None, length=epochs)
  return ts, status, logs


def evaluate(step, params, state, x, y, *, batch_size: int = 1024) -> dict:
  """Loss and metrics over a whole set, in batches, weighted by batch size.

  Args:
    step: an :func:`eval_step` function.
    params, state: the model's.
    x, y: the set (pytrees with a shared leading axis).
    batch_size: the largest batch evaluated at once.

  Returns:
    ``{name: float}`` means over all examples.
  """
  n = _num_examples(x, y)
  totals = None
  for start in range(0, n, batch_size):
    stop = min(n, start + batch_size)
    sl = slice(start, stop)
    logs = step(params, state, _take(x, sl), _take(y, sl))
    logs = {k: v * (stop - start) for k, v in logs.items()}
    totals = logs if totals is None else {k: totals[k] + logs[k] for k in totals}
  return {k: float(v) / n for k, v in totals.items()}


# ----------------------------------------------------------------------------
# fit


class _Compiled(NamedTuple):
  epoch: Callable
  step: Callable
  eval: Callable


@functools.lru_cache(maxsize=64)
def _compiled(model, loss, optimizer, metrics_items, penalty, batch_size, shuffle) -> _Compiled:
  """fit's jitted functions, cached so that repeated fit calls with the same model,
  loss and optimizer objects reuse one compilation (jax.jit caches by function identity)."""
  metrics = dict(metrics_items)
  raw = _raw_train_step(model, loss, optimizer, metrics, penalty)
  return _Compiled(
      jax.jit(epoch_fn(model, loss, optimizer, batch_size, metrics=metrics, penalty=penalty,
                       shuffle=shuffle)),
      jax.jit(_guarded(raw)),
      eval_step(model, loss, metrics=metrics))


class NonFiniteLossError(FloatingPointError):
  """Training met a loss that is nan or inf.

  Attributes:
    step: the step (0-based count of optimizer steps) whose loss was not finite.
    epoch: the epoch it happened in (0-based).
    state: the last good TrainState, from before that step.
    history: the history of the epochs completed before it.
  """

  def __init__(self, message, *, step, epoch, state, history):
    super().__init__(message)
    self.step, self.epoch, self.state, self.history = step, epoch, state, history


class FitResult(NamedTuple):
  """What :func:`fit` returns.

  Attributes:
    state: the final TrainState (with early stopping: the best epoch's).
    history: ``{name: float array (epochs_run,)}`` with ``loss`` and each metric on
      the training batches (epoch means) and ``val_loss``/``val_<metric>`` when
      there is validation data, plus ``time`` (seconds per epoch).
    best_epoch: the epoch (0-based) whose state was kept by early stopping, or
      the last epoch when there is no early stopping.
    stopped_early: whether early stopping ended the run before ``epochs``.
  """
  state: TrainState
  history: dict
  best_epoch: int
  stopped_early: bool


def _split_validation(x, y, fraction):
  if not 0.0 <= fraction < 1.0:
    raise ValueError(f"fit: validation_split must be in [0, 1), got {fraction!r}")
  n = _num_examples(x, y)
  n_val = int(round(n * fraction))
  if n_val == 0:
    return x, y, None
  cut = n - n_val
  head, tail = slice(0, cut), slice(cut, n)
  return _take(x, head), _take(y, head), (_take(x, tail), _take(y, tail))


def _is_better(value, best, mode, min_delta):
  if best is None:
    return True
  return value < best - min_delta if mode == "min" else value > best + min_delta


def fit(model: Layer, loss: LossFn, optimizer: optax.GradientTransformation, x, y, *,
        key: jax.Array, epochs: int, batch_size: int = 32,
        metrics: Optional[Mapping[str, MetricFn]] = None,
        penalty: Optional[Callable[[PyTree], jax.Array]] = None,
        train_state: Optional[TrainState] = None,
        validation_data: Optional[tuple] = None, validation_split: float = 0.0,
        patience: Optional[int] = None, monitor: str = "val_loss", mode: str = "min",
        min_delta: float = 0.0, shuffle: bool = True, in_memory: Optional[bool] = None,
        eval_batch_size: int = 1024, progress: bool = True,
        callbacks: Sequence[Callable[[int, TrainState, dict], Any]] = (),
        checkpoint_dir=None, keep_checkpoints: int = 3, resume=None) -> FitResult:
  """Trains ``model`` on ``(x, y)`` and returns the final state and the history.

  Each epoch reorders the examples from the key (see the module docstring) and takes
  ``n // batch_size`` steps of ``batch_size``. When the training set fits in device
  memory the whole epoch is one jit-compiled ``lax.scan`` (no Python per step);
  otherwise batches are gathered on the host and streamed to a jitted step. Both
  paths give the same result.

  Args:
    model: any Layer; ``model.apply(params, state, x_batch, key=, train=True)``
      must give outputs that ``loss`` compares with ``y_batch``. Sequences work
      as any other array: ``x`` of shape ``(N, T, F)``, ``y`` of ``(N, T)``.
    loss: ``loss(outputs, targets)`` -> per-example losses (or a scalar).
    optimizer: any optax GradientTransformation.
    x, y: training inputs and targets, arrays (or pytrees of arrays) with a shared
      leading axis ``N``.
    key: PRNG key for the parameters (unless ``train_state`` is given), shuffling
      and dropout.
    epochs: number of passes over the data.
    batch_size: examples per step (must be at most the training-set size).
    metrics: ``{name: fn(outputs, targets) -> scalar}``, logged for training
      and validation (e.g. ``{"accuracy": fnn.metrics.accuracy}``).
    penalty: ``penalty(params)`` added to the training objective (L2 etc.).
    train_state: start from this TrainState instead of initialising the model
      (fine-tuning, continuing); ``key`` is then unused.
    validation_data: ``(x_val, y_val)`` evaluated after each epoch.
    validation_split: or hold out this fraction, the last rows of ``(x, y)``.
    patience: stop after this many epochs without improvement of ``monitor``,
      and return the best epoch's state. ``None`` disables early stopping.
    monitor: the history entry early stopping watches (default ``"val_loss"``).
    mode: ``"min"`` or ``"max"``: whether smaller or larger ``monitor`` is better.
    min_delta: the smallest change that counts as an improvement.
    shuffle: reorder the data each epoch.
    in_memory: force (True) or forbid (False) placing the training set on the
      device; by default it is placed there when under 1 GiB.
    eval_batch_size: batch size for validation.
    progress: show a tqdm progress bar over epochs.
    callbacks: ``fn(epoch, ts, logs)`` called after each epoch with the epoch's
      history entries; a callback returning True stops training.
    checkpoint_dir: save a checkpoint (TrainState, history, early-stopping
      bookkeeping) into this folder after every epoch, through
      :class:`fnn.checkpoint.CheckpointManager`: the last ``keep_checkpoints`` and
      the best by ``monitor`` are kept.
    keep_checkpoints: how many recent checkpoints to keep.
    resume: continue the run checkpointed in this folder (and keep checkpointing
      there unless ``checkpoint_dir`` says otherwise). With the same arguments the
      resumed run ends bit-identical to an uninterrupted one, since all randomness
      derives from the key and the step. An empty or missing folder starts afresh.

  Returns:
    A :class:`FitResult` ``(state, history, best_epoch, stopped_early)``.

  Raises:
    NonFiniteLossError: a step's loss was nan/inf. Its message names the step;
      ``err.state`` is the last good TrainState (also saved when checkpointing).
  """
  if not isinstance(epochs, int) or epochs < 0:
    raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
  if mode not in ("min", "max"):
    raise ValueError(f"fit: mode must be 'min' or 'max', got {mode!r}")
  if patience is not None and (not isinstance(patience, int) or patience < 0):
    raise ValueError(f"fit: patience must be a non-negative int or None, got {patience!r}")
  metrics = dict(metrics or {})
  if validation_data is not None and validation_split:
    raise ValueError("fit: pass validation_data or validation_split, not both")
  if validation_data is None:
    x, y, validation_data = _split_validation(x, y, validation_split)
  n = _num_examples(x, y)
  if not isinstance(batch_size, int) or not 1 <= batch_size <= n:
    raise ValueError(f"fit: batch_size must be an int in [1, {n}] (the training-set size), "
                     f"got {batch_size!r}")
  if patience is not None and monitor.startswith("val_") and validation_data is None:
    raise ValueError(f"fit: early stopping on {monitor!r} needs validation_data or "
                     "validation_split")

  ts = train_state if train_state is not None else init_train_state(
      model, optimizer, key, _input_shape(x))
  if in_memory is None:
    in_memory = _nbytes((x, y)) <= IN_MEMORY_LIMIT_BYTES
  compiled_args = (model, loss, optimizer, tuple(metrics.items()), penalty, batch_size, shuffle)
  try:
    hash(compiled_args)
    compiled = _compiled(*compiled_args)
  except TypeError:  # e.g. a Layer whose geometry is a dict: compile without the cache
    compiled = _compiled.__wrapped__(*compiled_args)
  if in_memory:
    x, y = jax.device_put((x, y))
    run_epoch = compiled.epoch
  else:
    guarded_step = compiled.step
    host_x, host_y = jax.tree.map(np.asarray, (x, y))

    def run_epoch(ts, _x, _y):
      status, per_step = _ok_status(), []
      for idx in np.asarray(epoch_order(ts, n, batch_size, shuffle)):
        ts, status, logs = guarded_step(ts, status, _take(host_x, idx), _take(host_y, idx))
        per_step.append(logs)
      return ts, status, jax.tree.map(lambda *v: jnp.stack(v), *per_step)

  evaluator = compiled.eval if validation_data is not None else None

  history: dict[str, list] = {}
  progress_state = _Progress()
  manager = None
  if checkpoint_dir is not None or resume is not None:
    from fnn.checkpoint import CheckpointManager
    best_metric = monitor if (patience is not None or validation_data is not None) else None
    manager = CheckpointManager(checkpoint_dir or resume, max_to_keep=keep_checkpoints,
                                best_metric=best_metric, best_mode=mode)
  if resume is not None and manager.latest_step() is not None:
    ts, meta = manager.restore(like=ts)
    history = {k: list(v) for k, v in meta["history"].items()}
    progress_state = _Progress(**meta["progress"])
    progress_state.best_ts = ts
    if patience is not None and progress_state.best_step not in (None, int(ts.step)):
      progress_state.best_ts = manager.restore(like=ts, step=progress_state.best_step)[0]
  first_epoch = progress_state.epochs_done
  if progress_state.stopped_early:
    first_epoch = epochs  # the run being resumed had already stopped early
  if progress_state.best_ts is None:
    progress_state.best_ts = ts

  def save(ts, epoch_metrics, **extra):
    if manager is not None:
      meta = {"history": history, "progress": progress_state.as_json(), **extra}
      manager.save(int(ts.step), ts, metrics=epoch_metrics, meta=meta)

  step = int(ts.step)  # tracked on the host, so the loop does not wait on the device for it
  bar = tqdm(range(first_epoch, epochs), desc="fit", unit="epoch", disable=not progress,
             leave=False, initial=first_epoch, total=epochs)
  try:
    for epoch in bar:
      start = time.perf_counter()
      new_ts, status, logs = run_epoch(ts, x, y)
      # one transfer per epoch: the guard's status and the per-step logs
      status, logs = jax.device_get((status, logs))
      bad_step = int(status.bad_step)
      if bad_step >= 0:
        batch = bad_step - step
        if batch > 0:  # the last good state is mid-epoch: keep it on disk too
          save(new_ts, None, non_finite_step=bad_step)
        raise NonFiniteLossError(
            f"fit: the loss became {float(status.bad_loss)} at step {bad_step} (epoch {epoch}, "
            f"batch {batch}); training stopped. The last good TrainState (before step "
            f"{bad_step}) is in this error's .state"
            + (f" and saved in {manager.directory}" if manager is not None else "")
            + ". Lower the learning rate, clip gradients (optax.clip_by_global_norm) or check "
            "the data for nan/inf.",
            step=bad_step, epoch=epoch, state=new_ts, history=_as_arrays(history))
      ts = new_ts
      step += len(logs["loss"])
      entry = {k: float(np.mean(v)) for k, v in logs.items()}
      if evaluator is not None:
        val = evaluate(evaluator, ts.params, ts.state, *validation_data, batch_size=eval_batch_size)
        entry.update({f"val_{k}": v for k, v in val.items()})
      entry["time"] = time.perf_counter() - start
      for k, v in entry.items():
        history.setdefault(k, []).append(v)
      if progress:
        bar.set_postfix({k: f"{v:.4g}" for k, v in entry.items() if k != "time"})

      if monitor not in entry and patience is not None:
        raise ValueError(f"fit: monitor {monitor!r} is not in the history; it has "
                         f"{sorted(entry)}")
      p = progress_state
      p.epochs_done = epoch + 1
      if patience is not None:
        if _is_better(entry[monitor], p.best_value, mode, min_delta):
          p.best_value, p.best_ts, p.best_epoch, p.best_step, p.wait = (
              entry[monitor], ts, epoch, step, 0)
        else:
          p.wait += 1
      else:
        p.best_ts, p.best_epoch, p.best_step = ts, epoch, step
      # every callback runs, even when an earlier one asks to stop
      stop = any([bool(cb(epoch, ts, entry)) for cb in callbacks])
      if patience is not None and p.wait >= patience:
        p.stopped_early = stop = True
      save(ts, {monitor: entry[monitor]} if monitor in entry else None)
      if stop:
        break
  finally:
    bar.close()
    if manager is not None:
      manager.close()
  p = progress_state
  return FitResult(p.best_ts, _as_arrays(history), p.best_epoch, p.stopped_early)


class _Progress:
  """fit's bookkeeping between epochs (what a checkpoint needs besides the TrainState)."""

  def __init__(self, epochs_done=0, best_value=None, best_epoch=-1, best_step=None, wait=0,
               stopped_early=False):
    self.epochs_done, self.best_value, self.best_epoch = epochs_done, best_value, best_epoch
    self.best_step, self.wait, self.stopped_early = best_step, wait, stopped_early
    self.best_ts = None

  def as_json(self):
    return {k: v for k, v in vars(self).items() if k != "best_ts"}


def _as_arrays(history):
  return {k: np.asarray(v, np.float64) for k, v in history.items()}
