"""``vmap_fit``: many models (seeds, hyper-parameters) trained as one compiled program.

Model ``i`` of ``vmap_fit(..., keys=keys)`` is the model ``fit(..., key=keys[i])``
trains: the same initialisation (:func:`~fnn.train.init_train_state`), the same epoch
orders and dropout keys (derived from its TrainState, :mod:`fnn.train.state`), the
same steps. The N models are stacked on a leading axis and each epoch of all of them
is one ``jax.jit(jax.vmap(...))`` call: on a GPU thousands of small models train in
the time of one; on a CPU the per-step overhead is shared.

Per model, on device: validation, early stopping (:mod:`fnn.train.early_stopping`,
vectorised) with its own best parameters, and the non-finite guard — a model whose
loss becomes nan or inf records the step, keeps its last good state and stops, while
the others go on. As in ``fit``, epochs run unguarded, and the rare epoch in which an
active model met a non-finite value is replayed guarded from its start (a second
program, compiled only then).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh
from tqdm.auto import tqdm

from fnn.core import Layer, PyTree, ShapeError
from fnn.train import early_stopping as es
from fnn.train import sharding
from fnn.train.epochs import StepStatus, epoch_fn, num_examples, take
from fnn.train.loop import check_monitor
from fnn.train.state import TrainState, init_train_state
from fnn.train.steps import eval_step
from fnn.train.supervised import WHERE as FIT_WHERE
from fnn.train.supervised import (
  _check_arguments,
  _check_hashable,
  _steps,
  _training_set,
  input_shape_of,
)

WHERE = "train.vmap_fit"


class VmapFitResult(NamedTuple):
  """What :func:`vmap_fit` returns, one entry per model along the leading axis N.

  Attributes:
    states: a TrainState whose leaves are stacked on a leading axis N (with early
      stopping: each model's best epoch's state); model i is
      ``jax.tree.map(lambda a: a[i], states)``.
    history: ``{name: float64 array (N, epochs)}`` for ``loss``, each metric and each
      ``val_*``; nan for the epochs after a model stopped (early stopping, or a
      non-finite value) and for the epoch in which its loss became non-finite.
    best_epoch: int array (N,): the epoch whose state ``states`` holds (early
      stopping), else the last epoch each model completed.
    bad_step: int array (N,): the step whose loss (or updated parameters) was not
      finite, or the first step of an epoch after which a validation value was not;
      -1 for a model that stayed finite. Such a model's state is the last good one,
      from before that step.
    stopped_early: bool array (N,): early stopping ended this model's training.
  """

  states: TrainState
  history: dict
  best_epoch: np.ndarray
  bad_step: np.ndarray
  stopped_early: np.ndarray


class _Models(NamedTuple):
  """What each model carries from epoch to epoch (stacked: one entry per model)."""

  ts: TrainState
  best: TrainState | None  # the best epoch's state; None without early stopping
  stopping: es.EarlyStopping
  bad_step: jax.Array  # int32, -1 while finite
  epochs_run: jax.Array  # int32, epochs completed with finite values
  active: jax.Array  # bool: still training


class _Config(NamedTuple):
  """Everything the compiled programs depend on (hashable: the programs' cache key)."""

  model: Layer
  optimizer: optax.GradientTransformation
  step: Callable
  eval_fn: Callable
  input_shape: Any
  batch_size: int
  shuffle: bool
  eval_batch_size: int
  patience: int | None
  monitor: str | None
  mode: str
  min_delta: float


def _where(condition: jax.Array, new: PyTree, old: PyTree) -> PyTree:
  return jax.tree.map(lambda a, b: jnp.where(condition, a, b), new, old)


def with_hyperparams(ts: TrainState, values: Mapping[str, jax.Array]) -> TrainState:
  """``ts`` with the ``optax.inject_hyperparams`` values ``values`` in its optimizer state."""
  if not values:
    return ts
  current = ts.opt_state.hyperparams
  hyper = {**current, **{k: jnp.asarray(v, current[k].dtype) for k, v in values.items()}}
  return ts._replace(opt_state=ts.opt_state._replace(hyperparams=hyper))


def _start(config: _Config, key: jax.Array, hyper: Mapping[str, jax.Array]) -> _Models:
  ts = with_hyperparams(
    init_train_state(key, config.model, config.optimizer, config.input_shape), hyper
  )
  dtypes = (jnp.float32, jnp.int32, jnp.int32, jnp.int32, bool)  # one scalar per model
  start = es.start(config.mode)
  stopping = es.EarlyStopping._make(jnp.asarray(v, d) for v, d in zip(start, dtypes, strict=True))
  best = ts if config.patience is not None else None
  return _Models(ts, best, stopping, jnp.int32(-1), jnp.int32(0), jnp.ones((), bool))


def evaluate_on_device(
  eval_fn: Callable[[PyTree, PyTree, Any, Any], dict],
  params: PyTree,
  state: PyTree,
  data: tuple,
  batch_size: int,
) -> dict:
  """Loss and metrics of a model over ``data = (x, y)``, as a pure function.

  Batches of ``batch_size`` are weighted by their size, as in :func:`fnn.train.evaluate`.
  """
  n = num_examples(data, WHERE)
  full = n // batch_size * batch_size
  totals = {}
  if full:
    batches = jax.tree.map(lambda a: a[:full].reshape(-1, batch_size, *a.shape[1:]), data)
    logs = jax.lax.map(lambda b: eval_fn(params, state, *b), batches)
    totals = {k: jnp.sum(v) * batch_size for k, v in logs.items()}
  if n > full:
    logs = eval_fn(params, state, *take(data, slice(full, n)))
    totals = {k: totals.get(k, 0.0) + v * (n - full) for k, v in logs.items()}
  return {k: v / n for k, v in totals.items()}


def _conclude(
  config: _Config,
  models: _Models,
  ts: TrainState,
  status: StepStatus,
  logs: dict,
  epoch: jax.Array,
  validation: tuple | None,
) -> tuple[_Models, dict]:
  """One model's bookkeeping after an epoch: monitors, guard, early stopping."""
  entry = {k: jnp.mean(v) for k, v in logs.items()}
  finite = jnp.array(True)  # as fit: the loss (status) and the validation values count
  if validation is not None:
    val = evaluate_on_device(
      config.eval_fn, ts.params, ts.state, validation, config.eval_batch_size
    )
    entry.update({f"val_{k}": v for k, v in val.items()})
    finite = jnp.all(jnp.stack([jnp.isfinite(v) for v in val.values()]))
  step_bad = status.bad_step >= 0
  # non-finite validation after finite steps: keep the state from before the epoch,
  # and record the epoch's first step (the state is from before it)
  ts = _where(step_bad | finite, ts, models.ts)
  bad_step = jnp.where(step_bad, status.bad_step, models.ts.step)
  good = models.active & finite & ~step_bad
  stopping, best = models.stopping, models.best
  if config.patience is not None:
    updated = es.update(
      stopping,
      entry[config.monitor],
      epoch=epoch,
      step=ts.step,
      patience=config.patience,
      mode=config.mode,
      min_delta=config.min_delta,
    )
    stopping = _where(good, updated, stopping)
    best = _where(good & (stopping.best_epoch == epoch), ts, best)
  entry = {k: jnp.where(good, v, jnp.nan) for k, v in entry.items()}
  return _Models(
    ts=_where(models.active, ts, models.ts),
    best=best,
    stopping=stopping,
    bad_step=jnp.where(models.active & ~good, bad_step, models.bad_step).astype(jnp.int32),
    epochs_run=models.epochs_run + good.astype(jnp.int32),
    active=good & ~stopping.stopped,
  ), entry


class _Programs(NamedTuple):
  start: Callable  # (keys, hyper) -> _Models
  fast: Callable  # (models, epoch, data, validation) -> (_Models, {name: (N,)}, replay)
  guarded: Callable  # the same epoch, guarded: run when ``replay`` (compiled only then)


def _epoch_program(config: _Config, guard: bool) -> Callable[..., tuple[_Models, dict, jax.Array]]:
  run = jax.vmap(
    epoch_fn(config.step, config.batch_size, shuffle=config.shuffle, guard=guard), (0, None)
  )
  conclude = jax.vmap(functools.partial(_conclude, config), (0, 0, 0, 0, None, None))

  def epoch(
    models: _Models, epoch: jax.Array, data: PyTree, validation: tuple | None
  ) -> tuple[_Models, dict, jax.Array]:
    ts, status, logs = run(models.ts, data)
    replay = jnp.any((status.bad_step >= 0) & models.active)
    return (*conclude(models, ts, status, logs, epoch, validation), replay)

  return jax.jit(epoch)


@functools.lru_cache(maxsize=32)
def _programs(config: _Config) -> _Programs:
  """The compiled programs of one configuration.

  Cached: repeated calls and chunks of the same shape reuse one compilation.
  """
  start = jax.vmap(functools.partial(_start, config))
  return _Programs(jax.jit(start), _epoch_program(config, False), _epoch_program(config, True))


@contextlib.contextmanager
def _named_errors() -> Iterator[None]:
  """Fit's argument and data checks, their messages naming vmap_fit."""
  try:
    yield
  except (TypeError, ValueError) as err:
    message = str(err)
    if not message.startswith(FIT_WHERE + ": "):
      raise
    raise type(err)(WHERE + message[len(FIT_WHERE) :]) from None


@functools.cache
def _any_key() -> jax.Array:
  return jax.random.key(0)


@functools.lru_cache(maxsize=32)
def _opt_state_shape(
  model: Layer, optimizer: optax.GradientTransformation, input_shape: Any
) -> PyTree:
  """The structure of the optimizer state (``hyperparams`` of inject_hyperparams)."""
  return jax.eval_shape(
    lambda k: init_train_state(k, model, optimizer, input_shape).opt_state, jax.random.key(0)
  )


def _check_keys(keys: Any) -> int:
  dtype = getattr(keys, "dtype", None)
  typed = dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key)
  if dtype is None or not hasattr(keys, "shape") or not (typed or dtype == jnp.uint32):
    raise TypeError(
      f"{WHERE}: keys must be a batch of PRNG keys, one per model, e.g. "
      f"jax.random.split(jax.random.key(0), 8); got {type(keys).__name__}"
    )
  shape = tuple(keys.shape)
  if (typed and len(shape) != 1) or (not typed and (len(shape) != 2 or shape[1] != 2)):
    raise ShapeError(
      f"{WHERE}: keys must have one leading axis of models: shape (N,) for "
      f"jax.random.key keys, (N, 2) for raw uint32 keys; got {tuple(shape)}"
    )
  if shape[0] < 1:
    raise ValueError(f"{WHERE}: keys is empty; pass at least one key")
  return int(shape[0])


def _check_hyperparams(hyperparams: Mapping[str, Any], opt_state: PyTree, n: int) -> dict:
  """``{name: float array (n,)}`` after checking each name is an injected hyper-parameter."""
  if not isinstance(hyperparams, Mapping):
    raise TypeError(
      f"{WHERE}: hyperparams must be a dict {{name: array (N,)}}, got {type(hyperparams).__name__}"
    )
  how = (
    "build the optimizer with optax.inject_hyperparams, e.g. "
    "optax.inject_hyperparams(optax.adamw)(learning_rate=1e-3, weight_decay=1e-4) "
    "(outermost, around any optax.chain)"
  )
  exposed = getattr(opt_state, "hyperparams", None)
  if not isinstance(exposed, dict):
    raise ValueError(
      f"{WHERE}: hyperparams {sorted(hyperparams)} need an optimizer that exposes them; {how}"
    )
  values = {}
  for name, value in hyperparams.items():
    if name not in exposed:
      raise ValueError(
        f"{WHERE}: the optimizer exposes no hyper-parameter {name!r}; it has "
        f"{sorted(exposed)}. To vary another one, {how}"
      )
    if name in getattr(opt_state, "hyperparams_states", {}):
      raise ValueError(
        f"{WHERE}: hyper-parameter {name!r} is a schedule; per-model values "
        "replace constants only. Pass a constant and vary that"
      )
    value = np.asarray(value, np.float32)
    if value.shape != (n,):
      raise ShapeError(
        f"{WHERE}: hyperparams[{name!r}] must have shape ({n},), one value "
        f"per key; got {value.shape}"
      )
    values[name] = value
  return values


def _assemble(chunks: list, n: int, epochs: int, patience: int | None) -> VmapFitResult:
  """One result from the chunks' final models and per-epoch entries (padding dropped)."""

  def history(entries: list[dict]) -> dict:
    host = jax.device_get(entries)
    pad = epochs - len(host)
    return {
      k: np.pad(
        np.stack([e[k] for e in host], axis=1).astype(np.float64),
        ((0, 0), (0, pad)),
        constant_values=np.nan,
      )
      for k in host[0]
    }

  models = (
    chunks[0][0]
    if len(chunks) == 1 and n == len(chunks[0][0].epochs_run)
    else jax.tree.map(lambda *a: jnp.concatenate(a)[:n], *[m for m, _ in chunks])
  )
  per_chunk = [history(entries) for _, entries in chunks]
  hist = {k: np.concatenate([h[k] for h in per_chunk])[:n] for k in per_chunk[0]}
  early = patience is not None
  return VmapFitResult(
    states=models.best if early else models.ts,
    history=hist,
    best_epoch=np.asarray(models.stopping.best_epoch if early else models.epochs_run - 1),
    bad_step=np.asarray(models.bad_step),
    stopped_early=np.asarray(models.stopping.stopped),
  )


def _run_chunk(
  programs: _Programs,
  models: _Models,
  data: PyTree,
  validation: tuple | None,
  epochs: int,
  bar: Any,
) -> tuple[_Models, list[dict]]:
  """All epochs of one chunk of models; stops early once no model is active."""
  entries = []
  for epoch in range(epochs):
    args = (jnp.int32(epoch), data, validation)
    new_models, entry, replay = programs.fast(models, *args)
    if replay:  # rare: an active model met nan/inf; replay guarded for its last good state
      new_models, entry, _ = programs.guarded(models, *args)
    models = new_models
    entries.append(entry)
    active = np.asarray(models.active)
    bar.update(1)
    bar.set_postfix(
      active=f"{int(active.sum())}/{active.size}",
      loss=f"{float(np.nanmean(np.asarray(entry['loss']))):.4g}" if active.any() else "-",
    )
    if not active.any():
      bar.update(epochs - epoch - 1)
      break
  return models, entries


def _chunks(n: int, chunk: int) -> Iterator[np.ndarray | None]:
  """Index arrays of the chunks, the last padded by repeating its last model.

  ``None`` stands for all models in one chunk.
  """
  if chunk == n:
    yield None
    return
  for start in range(0, n, chunk):
    idx = np.arange(start, start + chunk)
    yield np.minimum(idx, n - 1)


def _check_run(
  metrics: Mapping[str, Callable],
  validation_data: tuple | None,
  patience: int | None,
  monitor: str,
  chunk_size: int | None,
  mesh: Mesh | None,
  n: int,
) -> int:
  names = ["loss", *metrics] + (
    [f"val_{k}" for k in ["loss", *metrics]] if validation_data is not None else []
  )
  if patience is not None:
    if monitor.startswith("val_") and validation_data is None:
      raise ValueError(f"{WHERE}: early stopping on {monitor!r} needs validation_data")
    check_monitor(WHERE, monitor, names)
  chunk = n if chunk_size is None else chunk_size
  if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
    raise ValueError(f"{WHERE}: chunk_size must be a positive int or None, got {chunk_size!r}")
  chunk = min(chunk, n)
  if mesh is not None:
    sharding.check_mesh(WHERE, mesh, sharding.MODEL_AXIS)
    what = "the number of models" if chunk_size is None else "chunk_size"
    sharding.check_divisible(WHERE, what, chunk, mesh, sharding.MODEL_AXIS)
  return chunk


def vmap_fit(
  model: Layer,
  loss: Callable,
  optimizer: optax.GradientTransformation,
  x: Any,
  y: Any,
  *,
  keys: jax.Array,
  epochs: int,
  batch_size: int,
  hyperparams: Mapping[str, Any] | None = None,
  metrics: Mapping[str, Callable] | None = None,
  validation_data: tuple | None = None,
  patience: int | None = None,
  monitor: str = "val_loss",
  chunk_size: int | None = None,
  mesh: Mesh | None = None,
  progress: bool = True,
  penalty: Callable[[PyTree], jax.Array] | None = None,
  mode: str = "min",
  min_delta: float = 0.0,
  shuffle: bool = True,
  eval_batch_size: int = 1024,
) -> VmapFitResult:
  """Trains N = ``len(keys)`` models on ``(x, y)`` at once, as one compiled program.

  Model ``i`` is exactly what ``fit(model, loss, optimizer, x, y, key=keys[i], ...)``
  trains with the same arguments: the same initialisation, data order, dropout keys
  and early stopping. Each epoch of all models is one ``jax.jit(jax.vmap(...))`` call.

  Args:
    model: any Layer, as for :func:`fnn.train.fit`.
    loss: ``loss(outputs, targets)`` -> per-example losses (or a scalar).
    optimizer: any optax GradientTransformation (``optax.inject_hyperparams`` to vary
      its hyper-parameters per model).
    x: training inputs (arrays or tuples of arrays, leading axis n), shared by all models.
    y: training targets, leading axis n.
    epochs: passes over the data.
    batch_size: examples per step (no default here).
    keys: one PRNG key per model, e.g. ``jax.random.split(jax.random.key(0), 64)``.
    hyperparams: ``{name: array (N,)}``: per-model values of hyper-parameters that
      an optimizer built with ``optax.inject_hyperparams`` exposes (``learning_rate``,
      ``weight_decay``, ``b1``...), e.g. ``optax.inject_hyperparams(optax.adam)(
      learning_rate=1e-3)`` with ``{"learning_rate": jnp.logspace(-4, 0, N)}``.
    chunk_size: train the models in chunks of this many (the last chunk padded), all
      through one compiled program, when N at once do not fit in memory; the
      results equal an unchunked run.
    mesh: a ``jax.sharding.Mesh`` with an axis named ``"model"``: the models (of a
      chunk) are split over it and the data replicated; their number must divide
      by the axis' size.
    progress: a tqdm bar over epochs (and chunks).
    metrics: ``{name: fn(outputs, targets) -> scalar}``, logged for training and
      validation.
    validation_data: ``(x_val, y_val)``, evaluated for each model after each epoch.
    patience: per model, stop after this many epochs in a row without improvement of
      ``monitor`` and keep the best epoch's state.
    monitor: the history entry early stopping watches (default ``"val_loss"``).
    penalty: ``penalty(params)`` added to the training objective.
    mode: ``"min"`` or ``"max"``: whether smaller or larger ``monitor`` is better.
    min_delta: the smallest change that counts as an improvement.
    shuffle: reorder the data each epoch (each model in its own order).
    eval_batch_size: batch size for validation.

  Returns:
    A :class:`VmapFitResult` ``(states, history, best_epoch, bad_step,
    stopped_early)``, each with a leading axis N. With ``patience``, every model
    keeps its own best state, and training ends once every model has stopped or the
    epochs are done. A model whose loss became non-finite keeps its last good state
    and records the step in ``bad_step``; the others go on (no error is raised).
  """
  n = _check_keys(keys)
  metrics = dict(metrics or {})
  with _named_errors():
    _check_arguments(epochs, mode, patience, metrics, eval_batch_size, _any_key(), None)
    x, y, validation_data = _training_set(x, y, validation_data, 0.0, batch_size)
    _check_hashable(
      model=model, loss=loss, optimizer=optimizer, metrics=tuple(metrics.items()), penalty=penalty
    )
  chunk = _check_run(metrics, validation_data, patience, monitor, chunk_size, mesh, n)
  step, eval_fn = _steps(model, loss, optimizer, tuple(metrics.items()), penalty)
  input_shape = input_shape_of(x)
  hyper = (
    _check_hyperparams(hyperparams, _opt_state_shape(model, optimizer, input_shape), n)
    if hyperparams
    else {}
  )
  programs = _programs(
    _Config(
      model,
      optimizer,
      step,
      eval_fn,
      input_shape,
      batch_size,
      shuffle,
      eval_batch_size,
      patience,
      monitor if patience is not None else None,
      mode,
      min_delta,
    )
  )
  data = sharding.replicate((x, y), mesh)
  validation = None if validation_data is None else sharding.replicate(validation_data, mesh)
  chunks = []
  with tqdm(
    total=epochs * -(-n // chunk), desc="vmap_fit", unit="epoch", disable=not progress, leave=False
  ) as bar:
    for idx in _chunks(n, chunk):
      models = (
        programs.start(keys, hyper)
        if idx is None
        else programs.start(keys[idx], {k: v[idx] for k, v in hyper.items()})
      )
      models = sharding.split(models, mesh, sharding.MODEL_AXIS)
      chunks.append(_run_chunk(programs, models, data, validation, epochs, bar))
  return _assemble(chunks, n, epochs, patience)


@functools.lru_cache(maxsize=32)
def _evaluator(
  model: Layer, loss: Callable, metrics_items: tuple, batch_size: int
) -> Callable[[PyTree, PyTree, tuple], dict]:
  eval_fn = eval_step(model, loss, metrics=dict(metrics_items))
  one = functools.partial(evaluate_on_device, eval_fn, batch_size=batch_size)
  return jax.jit(jax.vmap(one, (0, 0, None)))


def vmap_evaluate(
  model: Layer,
  loss: Callable,
  states: TrainState,
  x: Any,
  y: Any,
  *,
  metrics: Mapping[str, Callable] | None = None,
  batch_size: int = 1024,
) -> dict:
  """Loss and metrics of each of N stacked models on ``(x, y)``, with ``train=False``.

  Args:
    model: the Layer the states belong to.
    loss: ``loss(outputs, targets)``, as for :func:`vmap_fit`.
    states: a stacked TrainState (``VmapFitResult.states``).
    x: the inputs, leading axis ``n``.
    y: the targets, leading axis ``n``.
    metrics: ``{name: fn(outputs, targets) -> scalar}``.
    batch_size: the largest batch evaluated at once (per model).

  Returns:
    ``{name: float array (N,)}``: ``loss`` and each metric, means over all examples.
  """
  metrics = dict(metrics or {})
  evaluate = _evaluator(model, loss, tuple(metrics.items()), batch_size)
  return jax.device_get(evaluate(states.params, states.state, (x, y)))


@functools.lru_cache(maxsize=32)
def _applier(model: Layer) -> Callable[[PyTree, PyTree, Any], jax.Array]:
  return jax.jit(jax.vmap(lambda p, s, x: model.apply(p, s, x, train=False)[0], (0, 0, None)))


def vmap_apply(model: Layer, states: TrainState, x: Any) -> jax.Array:
  """The outputs of each of N stacked models on ``x`` (``train=False``).

  Args:
    model: the Layer the states belong to.
    states: a stacked TrainState (``VmapFitResult.states``).
    x: inputs with a leading batch axis ``n``.

  Returns:
    The outputs, shape ``(N, n, ...)``; e.g. an ensemble's logits are their mean over
    axis 0.
  """
  return _applier(model)(states.params, states.state, x)
