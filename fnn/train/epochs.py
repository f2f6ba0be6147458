"""Epochs: a step scanned over minibatches on device, with a non-finite guard.

Data are pytrees of arrays sharing a leading axis ``n`` (``(x, y)``, or an RBM's
visibles). An epoch orders the ``n`` examples from the run's key
(:func:`~fnn.train.state.shuffle_key`), cuts them into ``n // batch_size`` batches and
runs the step over them as one ``lax.scan``; the functions here are pure and not
jitted, so they can be ``jax.jit``-ed or ``jax.vmap``-ed over many TrainStates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn.core import PyTree
from fnn.train.state import TrainState, shuffle_key
from fnn.train.steps import Step, advance


def num_examples(data: PyTree, where: str = "train.fit") -> int:
  """The shared leading-axis size of every leaf of ``data``."""
  sizes = {int(np.shape(leaf)[0]) if np.ndim(leaf) else -1 for leaf in jax.tree.leaves(data)}
  if -1 in sizes:
    raise ValueError(f"{where}: every data array needs a leading example axis; got a scalar")
  if len(sizes) != 1:
    raise ValueError(
      f"{where}: inputs and targets must have the same number of examples "
      f"(leading axis), got sizes {sorted(sizes)}"
    )
  return sizes.pop()


def take(data: PyTree, idx: Any) -> PyTree:
  """``data[idx]`` on every leaf."""
  return jax.tree.map(lambda a: a[idx], data)


def nbytes(tree: PyTree) -> int:
  """The bytes of every leaf of ``tree`` together (shapes and dtypes; no transfer)."""
  return sum(int(np.prod(np.shape(a))) * jnp.dtype(a.dtype).itemsize for a in jax.tree.leaves(tree))


def _permutation(ts: TrainState, n: int, shuffle: bool) -> jax.Array:
  return jax.random.permutation(shuffle_key(ts), n) if shuffle else jnp.arange(n)


def epoch_order(
  ts: TrainState, num_examples: int, batch_size: int, shuffle: bool = True
) -> jax.Array:
  """The example indices of the epoch starting at ``ts``, shape ``(batches, batch_size)``.

  The last ``num_examples % batch_size`` examples of the permutation are left out of
  these full batches (dropped, or one shorter last step with ``drop_remainder=False``);
  with shuffling a different remainder is left out each epoch.
  """
  num_batches = num_examples // batch_size
  order = _permutation(ts, num_examples, shuffle)
  return order[: num_batches * batch_size].reshape(num_batches, batch_size)


def remainder_order(
  ts: TrainState, num_examples: int, batch_size: int, shuffle: bool = True
) -> jax.Array:
  """The indices :func:`epoch_order` leaves out, shape ``(num_examples % batch_size,)``."""
  cut = num_examples // batch_size * batch_size
  return _permutation(ts, num_examples, shuffle)[cut:]


class StepStatus(NamedTuple):
  """The non-finite guard carried through an epoch.

  Attributes:
    bad_step: int32, the step whose loss (or updated parameters) was not finite, or -1.
    bad_loss: float32, that step's loss value, or 0.
  """

  bad_step: jax.Array
  bad_loss: jax.Array


# (ts, status, batch) -> (ts, status, logs): a step under the non-finite guard.
GuardedStep = Callable[[TrainState, StepStatus, Any], tuple[TrainState, StepStatus, dict]]
# (ts, data) -> (ts, status, logs): one epoch, as epoch_fn builds it.
EpochFn = Callable[[TrainState, PyTree], tuple[TrainState, StepStatus, dict]]


def ok_status() -> StepStatus:
  """The status of an epoch with no non-finite step (``bad_step=-1``, ``bad_loss=0``)."""
  return StepStatus(jnp.full((), -1, jnp.int32), jnp.zeros((), jnp.float32))


def all_finite(tree: PyTree) -> jax.Array:
  """Whether every floating leaf of ``tree`` is finite (a scalar bool)."""
  leaves = [
    jnp.all(jnp.isfinite(a)) for a in jax.tree.leaves(tree) if jnp.issubdtype(a.dtype, jnp.inexact)
  ]
  return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def first_bad(status: StepStatus, other: StepStatus) -> StepStatus:
  """``status`` if it already holds a bad step, else ``other``."""
  keep = status.bad_step >= 0
  return StepStatus(
    jnp.where(keep, status.bad_step, other.bad_step),
    jnp.where(keep, status.bad_loss, other.bad_loss),
  )


def guarded(step: Step) -> GuardedStep:
  """``(ts, status, batch) -> (ts, status, logs)``: a step that keeps the last good state.

  Once one step's loss or updated parameters are not finite, this and every later
  step keep the state from before it, and ``status`` records which step it was.
  """
  advanced = advance(step)

  def run(ts: TrainState, status: StepStatus, batch: Any) -> tuple[TrainState, StepStatus, dict]:
    new_ts, logs = advanced(ts, batch)
    loss = logs["loss"]
    fine = jnp.isfinite(loss) & all_finite(new_ts.params)
    here = StepStatus(
      jnp.where(fine, -1, ts.step).astype(jnp.int32), jnp.where(fine, 0.0, loss).astype(jnp.float32)
    )
    status = first_bad(status, here)
    ok = status.bad_step < 0
    ts = jax.tree.map(lambda new, old: jnp.where(ok, new, old), new_ts, ts)
    return ts, status, logs

  return run


def _unguarded_status(start: jax.Array, ts: TrainState, losses: jax.Array) -> StepStatus:
  """The index of the step a guarded epoch stopped at.

  The first non-finite loss; failing that the last step if the parameters are not
  finite (the guarded replay then finds the step that made them so).
  """
  bad = ~jnp.isfinite(losses)
  first = jnp.argmax(bad)
  params_bad = ~all_finite(ts.params)
  bad_step = jnp.where(bad.any(), start + first, jnp.where(params_bad, ts.step - 1, -1))
  bad_loss = jnp.where(bad.any(), losses[first], 0.0)
  return StepStatus(bad_step.astype(jnp.int32), bad_loss.astype(jnp.float32))


def epoch_fn(
  step: Step,
  batch_size: int,
  *,
  shuffle: bool = True,
  guard: bool = True,
  drop_remainder: bool = True,
  batch_sharding: Any = None,
) -> EpochFn:
  """Builds one epoch of ``step`` as a single ``lax.scan`` over minibatches, on device.

  Args:
    step: a step ``(ts, batch, key) -> (ts, logs)`` (:func:`~fnn.train.supervised_step`,
      ``fnn.energy.rbm.cd_step``...).
    batch_size: examples per step.
    shuffle: reorder the examples each epoch (see :func:`epoch_order`).
    guard: keep the last good state when a loss is not finite (a select over the
      whole TrainState on every step). With ``guard=False`` the steps run unguarded
      and ``status`` only reports the first non-finite step; the returned state then
      holds nan. :func:`fnn.train.loop` runs unguarded and, in the rare epoch that
      goes bad, replays it guarded from its start: the epoch is a pure function of
      its inputs, so the replay reaches the same last good state, and the common
      case does not pay for the selects (10-15% of a small model's step on CPU).
    drop_remainder: leave out the last ``n % batch_size`` examples of each epoch's
      order (every step then has one shape); with False they make one shorter step
      at the end (scikit-learn's even minibatches).
    batch_sharding: a ``jax.sharding.NamedSharding`` laid on every full batch inside
      the scan (``with_sharding_constraint``): data parallelism, see
      :mod:`fnn.train.sharding`. None leaves placement to XLA.

  Returns:
    ``run(ts, data) -> (ts, status, logs)``: ``data`` holds the whole training set (a
    pytree of arrays with leading axis ``n``), ``status`` is a :class:`StepStatus` and
    ``logs`` maps ``"loss"`` and each other log to its per-step values, shape
    ``(steps,)``.
  """
  guarded_step = guarded(step)
  advanced = advance(step)

  def batch(data: PyTree, idx: jax.Array) -> PyTree:
    batch = take(data, idx)
    return (
      batch if batch_sharding is None else jax.lax.with_sharding_constraint(batch, batch_sharding)
    )

  def run_guarded(
    ts: TrainState, data: PyTree, order: jax.Array
  ) -> tuple[tuple[TrainState, StepStatus], dict]:
    def body(
      carry: tuple[TrainState, StepStatus], idx: jax.Array
    ) -> tuple[tuple[TrainState, StepStatus], dict]:
      ts, status, logs = guarded_step(*carry, batch(data, idx))
      return (ts, status), logs

    return jax.lax.scan(body, (ts, ok_status()), order)

  def run(ts: TrainState, data: PyTree) -> tuple[TrainState, StepStatus, dict]:
    data = jax.tree.map(jnp.asarray, data)  # numpy data cannot be indexed by traced indices
    n = num_examples(data)
    order = epoch_order(ts, n, batch_size, shuffle)
    rest = (
      None if drop_remainder or n % batch_size == 0 else remainder_order(ts, n, batch_size, shuffle)
    )
    if guard:
      (ts, status), logs = run_guarded(ts, data, order)
      if rest is not None:
        ts, status, last = guarded_step(ts, status, take(data, rest))
        logs = jax.tree.map(lambda a, b: jnp.append(a, b[None]), logs, last)
      return ts, status, logs
    start = ts.step
    ts, logs = jax.lax.scan(lambda ts, idx: advanced(ts, batch(data, idx)), ts, order)
    if rest is not None:
      ts, last = advanced(ts, take(data, rest))
      logs = jax.tree.map(lambda a, b: jnp.append(a, b[None]), logs, last)
    return ts, _unguarded_status(start, ts, logs["loss"]), logs

  return run


def scan_epochs(
  run_epoch: EpochFn, ts: TrainState, data: PyTree, epochs: int
) -> tuple[TrainState, StepStatus, dict]:
  """Runs ``epochs`` epochs of an :func:`epoch_fn` as one ``lax.scan``, all on device.

  Pure, so ``jax.jit(jax.vmap(lambda ts: scan_epochs(run, ts, data, E)))`` trains a batch
  of models (seeds, hyper-parameters) in one compiled program; :func:`fnn.train.vmap_fit`
  is that, with validation and early stopping.

  Args:
    run_epoch: a function from :func:`epoch_fn`.
    ts: the starting TrainState.
    data: the training set.
    epochs: a Python int.

  Returns:
    ``(ts, status, logs)``: the final TrainState, the :class:`StepStatus` of the
    whole run (``bad_step`` >= 0 if a loss was not finite) and the per-epoch means of
    the logs, shape ``(epochs,)``.
  """

  def body(
    carry: tuple[TrainState, StepStatus], _: Any
  ) -> tuple[tuple[TrainState, StepStatus], dict]:
    ts, status = carry
    ts, epoch_status, logs = run_epoch(ts, data)
    return (ts, first_bad(status, epoch_status)), jax.tree.map(jnp.mean, logs)

  (ts, status), logs = jax.lax.scan(body, (ts, ok_status()), None, length=epochs)
  return ts, status, logs


def evaluate(
  step: Callable[[PyTree, PyTree, Any, Any], dict],
  params: PyTree,
  state: PyTree,
  x: PyTree,
  y: PyTree,
  *,
  batch_size: int = 1024,
) -> dict:
  """Loss and metrics over a whole set, in batches, weighted by batch size.

  Args:
    step: an :func:`~fnn.train.eval_step` function.
    params: the model's parameters.
    state: the model's state.
    x: the inputs (a pytree of arrays with a shared leading axis).
    y: the targets (the same leading axis).
    batch_size: the largest batch evaluated at once.

  Returns:
    ``{name: float}`` means over all examples.
  """
  n = num_examples((x, y), "train.evaluate")
  totals: Any = None
  for start in range(0, n, batch_size):
    stop = min(n, start + batch_size)
    logs = step(params, state, take(x, slice(start, stop)), take(y, slice(start, stop)))
    logs = {k: v * (stop - start) for k, v in logs.items()}
    totals = logs if totals is None else {k: totals[k] + logs[k] for k in totals}
  return {k: float(v) / n for k, v in totals.items()}
