"""Steps: the one shape every training algorithm takes, and the supervised one.

A *step* is a pure function ``step(ts, batch, key) -> (ts, logs)``:

* ``ts`` is the :class:`~fnn.train.TrainState` before the step; the step returns it
  with new ``params``, ``state`` and ``opt_state`` and leaves ``step`` and ``key`` as
  they are (:func:`advance` counts steps and derives ``key``);
* ``batch`` is a pytree of arrays with a leading batch axis: ``(x, y)`` for supervised
  learning, the visibles for an RBM;
* ``logs`` is ``{"loss": scalar, ...}``; ``loss`` is what the non-finite guard watches.

:func:`supervised_step` builds the step of a Layer, a loss and an optax optimizer;
``fnn.energy.rbm.cd_step`` builds CD-k / PCD-k / parallel-tempering steps. Both run
through the same epochs (:mod:`fnn.train.epochs`) and the same loop (:func:`fnn.train.loop`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import optax

from fnn.core import Layer, PyTree
from fnn.train.state import TrainState, step_key

LossFn = Callable[[Any, Any], jax.Array]
MetricFn = Callable[[Any, Any], jax.Array]
Step = Callable[[TrainState, Any, jax.Array], tuple[TrainState, dict]]


def mean_loss(loss: LossFn, outputs: Any, targets: Any) -> jax.Array:
  """The batch mean of a per-example ``loss`` (a scalar)."""
  return jnp.mean(loss(outputs, targets))


def metric_values(metrics: Mapping[str, MetricFn], outputs: Any, targets: Any) -> dict:
  """Each metric of ``metrics`` on a batch, as a float32 scalar, by name."""
  return {name: jnp.asarray(fn(outputs, targets), jnp.float32) for name, fn in metrics.items()}


def supervised_step(
  model: Layer,
  loss: LossFn,
  optimizer: optax.GradientTransformation,
  *,
  metrics: Mapping[str, MetricFn] | None = None,
  penalty: Callable[[PyTree], jax.Array] | None = None,
) -> Step:
  """The step of supervised learning, ``(ts, (x, y), key) -> (ts, logs)``.

  The objective is ``mean(loss(model(x), y)) + penalty(params)``; its gradient goes
  through ``optimizer``. The model runs with ``train=True`` and ``key``.

  Args:
    model: any Layer.
    loss: ``loss(outputs, targets)`` returning per-example losses or a scalar
      (e.g. ``fnn.losses.softmax_cross_entropy``); its mean is minimised.
    optimizer: an optax GradientTransformation (schedules and
      ``inject_hyperparams`` included).
    metrics: ``{name: fn(outputs, targets) -> scalar}`` logged on each batch.
    penalty: ``penalty(params) -> scalar`` added to the objective (e.g.
      ``lambda p: 1e-4 * fnn.losses.l2_penalty(p)``); not part of the logged loss.

  Returns:
    A step whose logs are ``{"loss": the batch's data loss before the update, **metrics}``.
  """
  metrics = dict(metrics or {})

  def objective(
    params: PyTree, state: PyTree, x: Any, y: Any, key: jax.Array
  ) -> tuple[jax.Array, tuple[PyTree, jax.Array, Any]]:
    outputs, new_state = model.apply(params, state, x, key=key, train=True)
    data_loss = mean_loss(loss, outputs, y)
    total = data_loss if penalty is None else data_loss + penalty(params)
    return total, (new_state, data_loss, outputs)

  def step(ts: TrainState, batch: Any, key: jax.Array) -> tuple[TrainState, dict]:
    x, y = batch
    (_, (new_state, data_loss, outputs)), grads = jax.value_and_grad(objective, has_aux=True)(
      ts.params, ts.state, x, y, key
    )
    updates, opt_state = optimizer.update(grads, ts.opt_state, ts.params)
    params = optax.apply_updates(ts.params, updates)
    logs = {"loss": data_loss, **metric_values(metrics, outputs, y)}
    return ts._replace(params=params, state=new_state, opt_state=opt_state), logs

  return step


def advance(step: Step) -> Callable[[TrainState, Any], tuple[TrainState, dict]]:
  """``(ts, batch) -> (ts, logs)``: runs ``step`` with ``key=step_key(ts)`` and counts it."""

  def advanced(ts: TrainState, batch: Any) -> tuple[TrainState, dict]:
    new_ts, logs = step(ts, batch, step_key(ts))
    return new_ts._replace(step=ts.step + 1), logs

  return advanced


def train_step(
  model: Layer,
  loss: LossFn,
  optimizer: optax.GradientTransformation,
  *,
  metrics: Mapping[str, MetricFn] | None = None,
  penalty: Callable[[PyTree], jax.Array] | None = None,
  jit: bool = True,
  donate: bool = True,
) -> Callable[[TrainState, Any, Any], tuple[TrainState, dict]]:
  """Builds the per-step function ``(ts, x, y) -> (new_ts, logs)`` of supervised learning.

  It is :func:`supervised_step` with ``key=step_key(ts)`` and ``ts.step`` counted: the
  same step :func:`fnn.train.fit` takes. Arguments as for :func:`supervised_step`;
  ``jit`` compiles it with ``jax.jit`` (default True).

  With ``donate`` (the default, when jitted) the ``ts`` passed in is *donated*: XLA
  writes the new TrainState into its buffers, so a step needs no second copy of the
  parameters and optimizer state and allocates no new buffers for them, and the old
  ``ts``'s arrays are deleted by the call (using them afterwards raises jax's "Array has
  been deleted"). Write ``ts, logs = step(ts, x, y)``; keep a copy first
  (``jax.tree.map(jnp.copy, ts)``) or pass ``donate=False`` where the old state is
  still needed. Donation changes no value: the result is the same bit for bit.

  Returns:
    ``step(ts, x, y) -> (ts, logs)`` with ``logs = {"loss": scalar, **metrics}``.
  """
  advanced = advance(supervised_step(model, loss, optimizer, metrics=metrics, penalty=penalty))

  def step(ts: TrainState, x: Any, y: Any) -> tuple[TrainState, dict]:
    return advanced(ts, (x, y))

  return jax.jit(step, donate_argnums=0 if donate else ()) if jit else step


def eval_step(
  model: Layer, loss: LossFn, *, metrics: Mapping[str, MetricFn] | None = None, jit: bool = True
) -> Callable[[PyTree, PyTree, Any, Any], dict]:
  """Builds ``(params, state, x, y) -> logs``: loss and metrics with ``train=False``.

  Returns:
    A function giving ``{"loss": mean loss, **metrics}`` on the batch ``(x, y)``.
  """
  metrics = dict(metrics or {})

  def step(params: PyTree, state: PyTree, x: Any, y: Any) -> dict:
    outputs, _ = model.apply(params, state, x, train=False)
    return {"loss": mean_loss(loss, outputs, y), **metric_values(metrics, outputs, y)}

  return jax.jit(step) if jit else step
