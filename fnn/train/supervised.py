"""``fit``: supervised training of a Layer, a thin layer over :func:`~fnn.train.train_loop`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import numpy as np
import optax
from jax.sharding import Mesh

from fnn.core import Layer, PyTree, check_key, output_shape
from fnn.data.splits import split
from fnn.layers._sequence import RNNInput, check_lengths, step_mask
from fnn.train import early_stopping as es
from fnn.train import sharding
from fnn.train.epochs import evaluate, num_examples
from fnn.train.loop import FitResult, PathLike, check_monitor, train_loop
from fnn.train.state import TrainState, init_train_state
from fnn.train.steps import Step, eval_step, supervised_step

WHERE = "train.fit"


def input_shape_of(x: Any) -> Any:
  """The input shape(s) ``init`` takes for inputs like ``x``.

  The shape(s) ``init`` takes for inputs like ``x``, batch axis 1, keeping tuple
  structure (NamedTuples such as ``RNNInput`` included; a ``None`` field stays None).
  """
  if x is None:
    return None
  if isinstance(x, (tuple, list)):
    shapes = [input_shape_of(a) for a in x]
    return type(x)(*shapes) if hasattr(x, "_fields") else tuple(shapes)
  return (1,) + tuple(x.shape[1:])


@functools.lru_cache(maxsize=64)
def _steps(
  model: Layer,
  loss: Callable,
  optimizer: optax.GradientTransformation,
  metrics_items: tuple,
  penalty: Callable | None,
) -> tuple[Step, Callable]:
  """Fit's step and eval step, cached per configuration.

  Fit's step and eval step, one object per configuration, so that repeated fit calls
  with the same model, loss and optimizer reuse one compilation.
  """
  metrics = dict(metrics_items)
  return (
    supervised_step(model, loss, optimizer, metrics=metrics, penalty=penalty),
    eval_step(model, loss, metrics=metrics),
  )


def _check_hashable(**arguments: Any) -> None:
  for name, value in arguments.items():
    try:
      hash(value)
    except TypeError as err:
      raise TypeError(
        f"{WHERE}: {name} must be hashable, since fit caches its compiled steps "
        f"on (model, loss, optimizer, metrics, penalty); {err}"
      ) from None


def _check_data(name: str, tree: PyTree, step_mask: np.ndarray | None = None) -> None:
  """Host checks on concrete training data.

  Host checks on concrete data: arrays with a leading axis, finite floats (only at the
  real steps of padded sequences, when ``step_mask`` ``(N, T)`` says which they are).
  """
  if isinstance(tree, list):
    raise TypeError(
      f"{WHERE}: {name} is a Python list; pass an array (np.asarray({name})) or a tuple of arrays"
    )
  for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
    where = f"{name}{jax.tree_util.keystr(path)}"
    if not hasattr(leaf, "shape") or not hasattr(leaf, "dtype"):
      raise TypeError(
        f"{WHERE}: {where} must be an array with a leading example axis, got "
        f"{type(leaf).__name__}; convert it with np.asarray"
      )
    if np.ndim(leaf) == 0:
      raise ValueError(f"{WHERE}: {where} is a scalar; it needs a leading example axis")
    # a global array of several processes is checked where its rows are loaded
    # (sharding.global_data)
    if np.issubdtype(leaf.dtype, np.inexact) and getattr(leaf, "is_fully_addressable", True):
      finite = np.isfinite(np.asarray(leaf))
      if step_mask is not None and finite.shape[:2] == step_mask.shape:
        finite |= ~step_mask.reshape(step_mask.shape + (1,) * (finite.ndim - 2))
      if not finite.all():
        row = int(np.argwhere(~finite)[0][0])
        raise ValueError(
          f"{WHERE}: {where} holds nan or inf (first at example {row}); "
          "clean or impute the data before training"
        )


def _sequence_mask(x: Any) -> np.ndarray | None:
  """The mask of real steps of an RNNInput with lengths, or None.

  For an ``RNNInput`` with lengths: check them on the host and give the ``(N, T)``
  mask of real steps; otherwise None.
  """
  lengths = getattr(x, "lengths", None)
  if not isinstance(x, RNNInput) or lengths is None:
    return None
  num_steps = np.shape(x.x)[1]
  check_lengths(lengths, num_steps, name=WHERE)
  return np.asarray(step_mask(np.asarray(lengths), num_steps))


def _check_split(name: str, x: Any, y: Any) -> np.ndarray | None:
  mask = _sequence_mask(x)
  _check_data(f"{name}x" if name else "x", x)
  _check_data(f"{name}y" if name else "y", y, mask)
  return mask


def _check_targets(
  loss: Callable, model: Layer, x: Any, y: Any, mask: np.ndarray | None, name: str
) -> None:
  """The loss's own host check of the targets (integer labels in range)."""
  check = getattr(loss, "check_targets", None)
  if check is None:
    return
  if not getattr(y, "is_fully_addressable", True):
    # A global array over several hosts: each process checks the rows it holds. A sequence
    # mask is built from the global lengths, so with one the labels go unchecked here.
    if mask is not None:
      return
    y = np.concatenate([np.asarray(shard.data) for shard in y.addressable_shards])
  try:
    check(output_shape(model, input_shape_of(x)), y, mask=mask)
  except ValueError as err:
    raise ValueError(f"{WHERE}: {name}: {err}") from None


def _check_arguments(
  epochs: int,
  mode: str,
  patience: int | None,
  metrics: Mapping[str, Callable],
  eval_batch_size: int,
  key: jax.Array | None,
  train_state: TrainState | None,
) -> None:
  if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
    raise ValueError(f"{WHERE}: epochs must be a non-negative int, got {epochs!r}")
  if key is None and train_state is None:
    raise ValueError(f"{WHERE}: pass key= (a jax.random.key) or a train_state= to start from")
  if key is not None and train_state is None:
    check_key(key, WHERE)
  if mode not in es.MODES:
    raise ValueError(f"{WHERE}: mode must be 'min' or 'max', got {mode!r}")
  if patience is not None and (not isinstance(patience, int) or patience < 0):
    raise ValueError(f"{WHERE}: patience must be a non-negative int or None, got {patience!r}")
  if not isinstance(eval_batch_size, int) or eval_batch_size < 1:
    raise ValueError(f"{WHERE}: eval_batch_size must be a positive int, got {eval_batch_size!r}")
  for name, fn in metrics.items():
    if not callable(fn):
      raise TypeError(
        f"{WHERE}: metrics[{name!r}] must be a function (outputs, targets) -> "
        f"scalar, got {type(fn).__name__} {fn!r}"
      )


def split_validation(x: Any, y: Any, fraction: float) -> tuple[Any, Any, tuple | None]:
  """Holds out the last examples of ``(x, y)`` for validation.

  The last ``round(n * fraction)`` examples of ``(x, y)`` held out, in order
  (:func:`fnn.data.split` without a seed); ``None`` for the held-out part when empty.
  """
  if not 0.0 <= fraction < 1.0:
    raise ValueError(f"{WHERE}: validation_split must be in [0, 1), got {fraction!r}")
  if fraction == 0:
    return x, y, None
  (x, y), held_out = split(x, y, fractions=(1 - fraction, fraction))
  return x, y, held_out if num_examples(held_out, WHERE) else None


def _training_set(
  x: Any, y: Any, validation_data: tuple | None, validation_split: float, batch_size: int
) -> tuple[Any, Any, tuple | None]:
  _check_split("", x, y)
  if validation_data is not None:
    if validation_split:
      raise ValueError(f"{WHERE}: pass validation_data or validation_split, not both")
    if not isinstance(validation_data, tuple) or len(validation_data) != 2:
      raise TypeError(
        f"{WHERE}: validation_data must be a tuple (x_val, y_val), got "
        f"{type(validation_data).__name__}"
      )
    _check_split("validation_data: ", *validation_data)
    num_examples(validation_data, WHERE)
  else:
    x, y, validation_data = split_validation(x, y, validation_split)
  n = num_examples((x, y), WHERE)
  if n == 0:
    raise ValueError(
      f"{WHERE}: the training set is empty"
      + (f" after validation_split={validation_split}" if validation_split else "")
    )
  if not isinstance(batch_size, int) or not 1 <= batch_size <= n:
    raise ValueError(
      f"{WHERE}: batch_size must be an int in [1, {n}] (the training-set size"
      + (f" after validation_split={validation_split}" if validation_split else "")
      + f"), got {batch_size!r}"
    )
  return x, y, validation_data


def fit(
  model: Layer,
  loss: Callable,
  optimizer: optax.GradientTransformation,
  x: Any,
  y: Any,
  *,
  key: jax.Array | None = None,
  epochs: int,
  batch_size: int = 32,
  metrics: Mapping[str, Callable] | None = None,
  penalty: Callable[[PyTree], jax.Array] | None = None,
  train_state: TrainState | None = None,
  validation_data: tuple | None = None,
  validation_split: float = 0.0,
  patience: int | None = None,
  monitor: str = "val_loss",
  mode: str = "min",
  min_delta: float = 0.0,
  shuffle: bool = True,
  in_memory: bool | None = None,
  eval_batch_size: int = 1024,
  progress: bool = True,
  callbacks: Sequence[Callable[[int, TrainState, dict], Any]] = (),
  checkpoint_dir: PathLike | None = None,
  keep_checkpoints: int = 3,
  resume: PathLike | None = None,
  resume_must_exist: bool = False,
  mesh: Mesh | None = None,
) -> FitResult:
  """Trains ``model`` on ``(x, y)`` and returns the final state and the history.

  Each epoch reorders the examples from the key (see :mod:`fnn.train.state`) and takes
  ``n // batch_size`` steps of ``batch_size`` (:func:`fnn.train.supervised_step`),
  through :func:`fnn.train.train_loop`.

  Args:
    model: any Layer; ``model.apply(params, state, x_batch, key=, train=True)``
      must give outputs that ``loss`` compares with ``y_batch``. Sequences work
      as any other array: ``x`` of shape ``(N, T, F)``, ``y`` of ``(N, T)``.
    loss: ``loss(outputs, targets)`` -> per-example losses (or a scalar).
    optimizer: any optax GradientTransformation.
    x: training inputs, an array (or a tuple of arrays) with leading axis ``N``;
      checked on the host (shape, nan/inf).
    y: training targets, with the same leading axis ``N``; checked likewise.
    key: PRNG key for the parameters (unless ``train_state`` is given), shuffling
      and dropout.
    epochs: number of passes over the data.
    batch_size: examples per step (at most the training-set size).
    metrics: ``{name: fn(outputs, targets) -> scalar}``, logged for training
      and validation (e.g. ``{"accuracy": fnn.metrics.accuracy}``).
    penalty: ``penalty(params)`` added to the training objective (L2 etc.).
    train_state: start from this TrainState instead of initialising the model
      (fine-tuning, continuing); ``key`` is then unused.
    validation_data: ``(x_val, y_val)`` evaluated after each epoch.
    validation_split: or hold out this fraction, the last rows of ``(x, y)``.
    patience: stop after this many epochs in a row without improvement of
      ``monitor`` (0: at the first) and return the best epoch's state.
    monitor: the history entry early stopping watches (default ``"val_loss"``);
      checked before training.
    mode: ``"min"`` or ``"max"``: whether smaller or larger ``monitor`` is better.
    min_delta: the smallest change that counts as an improvement.
    shuffle: reorder the data each epoch.
    in_memory: force (True) or forbid (False) placing the training set on the
      device; by default it is placed there when under 1 GiB.
    eval_batch_size: batch size for validation.
    progress: show a tqdm progress bar over epochs.
    callbacks: ``fn(epoch, ts, entry)`` called after each epoch with the epoch's
      history entries; a callback returning True stops training.
    checkpoint_dir: see :func:`fnn.train.train_loop`.
    keep_checkpoints: see :func:`fnn.train.train_loop`.
    resume: see :func:`fnn.train.train_loop`.
    resume_must_exist: see :func:`fnn.train.train_loop`.
    mesh: a ``jax.sharding.Mesh`` with an axis named ``"data"``: data-parallel
      training. Each batch is split over that axis, the parameters, optimizer state
      and training set are replicated, and XLA adds the gradient all-reduce; the
      result equals one device's to float tolerance. ``batch_size`` must divide by
      the axis' size. See :mod:`fnn.train.sharding` and docs/scale.md.

  Returns:
    A :class:`FitResult` ``(state, history, best_epoch, stopped_early)``.

  Raises:
    NonFiniteLossError: a step's loss or a validation value was nan/inf. Its message
      names the step; ``err.state`` is the last good TrainState.
  """
  metrics = dict(metrics or {})
  _check_arguments(epochs, mode, patience, metrics, eval_batch_size, key, train_state)
  x, y, validation_data = _training_set(x, y, validation_data, validation_split, batch_size)
  if mesh is not None:
    sharding.check_mesh(WHERE, mesh, sharding.DATA_AXIS)
    sharding.check_divisible(WHERE, "batch_size", batch_size, mesh, sharding.DATA_AXIS)
  names = ["loss", *metrics] + (
    [f"val_{k}" for k in ["loss", *metrics]] if validation_data is not None else []
  )
  if patience is not None:
    if monitor.startswith("val_") and validation_data is None:
      raise ValueError(
        f"{WHERE}: early stopping on {monitor!r} needs validation_data or validation_split"
      )
    check_monitor(WHERE, monitor, names)
  _check_hashable(
    model=model, loss=loss, optimizer=optimizer, metrics=tuple(metrics.items()), penalty=penalty
  )
  step, eval_fn = _steps(model, loss, optimizer, tuple(metrics.items()), penalty)
  _check_targets(loss, model, x, y, _sequence_mask(x), "y")
  if validation_data is not None:
    x_val, y_val = validation_data
    _check_targets(loss, model, x_val, y_val, _sequence_mask(x_val), "validation_data y")
  if train_state is not None:
    ts = train_state
  else:
    assert key is not None  # checked above: a key is required without a train_state
    ts = init_train_state(key, model, optimizer, input_shape_of(x))

  def validate(ts: TrainState) -> dict:
    assert validation_data is not None  # validate is passed on only with validation data
    x_val, y_val = validation_data
    val = evaluate(eval_fn, ts.params, ts.state, x_val, y_val, batch_size=eval_batch_size)
    return {f"val_{k}": v for k, v in val.items()}

  return train_loop(
    step,
    ts,
    (x, y),
    epochs=epochs,
    batch_size=batch_size,
    shuffle=shuffle,
    in_memory=in_memory,
    evaluate=validate if validation_data is not None else None,
    monitor=monitor if monitor in names else None,
    patience=patience,
    mode=mode,
    min_delta=min_delta,
    callbacks=callbacks,
    progress=progress,
    desc="fit",
    checkpoint_dir=checkpoint_dir,
    keep_checkpoints=keep_checkpoints,
    resume=resume,
    resume_must_exist=resume_must_exist,
    where=WHERE,
    mesh=mesh,
  )
