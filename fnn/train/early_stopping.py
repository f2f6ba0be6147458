"""Early stopping as a NamedTuple and a pure update, with Keras's semantics.

An epoch *improves* when its monitored value beats the best so far by more than
``min_delta``. Training stops at the end of the ``patience``-th epoch in a row without
improvement, and ``patience=0`` stops at the first epoch without improvement (as
``keras.callbacks.EarlyStopping``). The update is written with ``jnp.where``, so the
same function runs on the host for :func:`fnn.train.fit` and on device, vectorised,
for one model each in :func:`fnn.train.vmap_fit`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

MODES = ("min", "max")


class EarlyStopping(NamedTuple):
  """Early-stopping bookkeeping (scalars, or arrays of one entry per model).

  Attributes:
    best: the best monitored value so far (``inf`` for ``"min"``, ``-inf`` for
      ``"max"`` before the first epoch).
    best_epoch: the epoch (0-based) that reached it, or -1.
    best_step: the TrainState step after that epoch, or -1.
    wait: epochs in a row without improvement.
    stopped: whether patience has run out.
  """

  best: float | jax.Array
  best_epoch: int | jax.Array
  best_step: int | jax.Array
  wait: int | jax.Array
  stopped: bool | jax.Array


def start(mode: str) -> EarlyStopping:
  """The bookkeeping before the first epoch."""
  return EarlyStopping(np.inf if mode == "min" else -np.inf, -1, -1, 0, False)


def improves(
  value: float | jax.Array, best: float | jax.Array, mode: str, min_delta: float
) -> bool | jax.Array:
  """Whether ``value`` beats ``best`` by more than ``min_delta`` in direction ``mode``."""
  return value < best - min_delta if mode == "min" else value > best + min_delta


def update(
  stopping: EarlyStopping,
  value: float | jax.Array,
  *,
  epoch: int | jax.Array,
  step: int | jax.Array,
  patience: int,
  mode: str,
  min_delta: float = 0.0,
) -> EarlyStopping:
  """The bookkeeping after an epoch whose monitored value is ``value``.

  Args:
    stopping: the bookkeeping before the epoch.
    value: the epoch's monitored value (a scalar, or one per model).
    epoch: the epoch just finished (0-based).
    step: the TrainState step after it.
    patience: epochs without improvement that end the run.
    mode: ``"min"`` or ``"max"``.
    min_delta: the smallest change that counts as an improvement.

  Returns:
    The new :class:`EarlyStopping`; ``best_*`` point at this epoch when it improved.
  """
  better = jnp.asarray(improves(value, stopping.best, mode, min_delta))
  wait = jnp.where(better, 0, stopping.wait + 1)
  return EarlyStopping(
    best=jnp.where(better, value, stopping.best),
    best_epoch=jnp.where(better, epoch, stopping.best_epoch),
    best_step=jnp.where(better, step, stopping.best_step),
    wait=wait,
    stopped=jnp.asarray(stopping.stopped) | (~better & (wait >= patience)),
  )


def to_python(stopping: EarlyStopping) -> EarlyStopping:
  """Scalar bookkeeping as Python numbers (for JSON in checkpoints)."""
  kinds = (float, int, int, int, bool)
  return EarlyStopping(*(kind(np.asarray(v)) for kind, v in zip(kinds, stopping, strict=True)))
