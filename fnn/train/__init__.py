"""Training: one engine for every algorithm, and ``fit`` for supervised learning.

The pieces, from the bottom up:

* :class:`TrainState` — ``(step, params, state, opt_state, key)``, a NamedTuple and
  so a pytree: it goes through ``jax.jit``, ``jax.vmap`` and checkpoints as it is.
  All randomness derives from its ``key`` and ``step`` (:mod:`fnn.train.state`).
* A *step* ``(ts, batch, key) -> (ts, logs)`` (:mod:`fnn.train.steps`):
  :func:`supervised_step` for a Layer, a loss and an optax optimizer;
  ``fnn.energy.rbm.cd_step`` for an RBM. :func:`train_step` and :func:`eval_step` are
  the jitted per-step functions of supervised learning.
* :func:`epoch_fn` — one epoch of any step as a single ``lax.scan`` over minibatches
  (pure, not jitted, so it can also be ``vmap``-ped); :func:`scan_epochs` runs many.
* :func:`train_loop` — the loop every algorithm shares: monitors, early stopping
  (:mod:`fnn.train.early_stopping`), checkpoints with bit-identical resume, the
  non-finite guard, callbacks and a progress bar.
* :func:`fit` — supervised training over :func:`train_loop`; with ``mesh=`` it is
  data-parallel over devices and hosts (:mod:`fnn.train.sharding`).
* :func:`vmap_fit` — N models (seeds, hyper-parameters) trained as one compiled
  program, each equal to its own ``fit``.

Examples:
  >>> x, y = fnn.data.load_digits("train")
  >>> x = x.reshape(len(x), 64)
  >>> model = fnn.models.mlp(64, [64], 10)
  >>> result = fnn.train.fit(
  ...   model,
  ...   fnn.losses.softmax_cross_entropy,
  ...   optax.adam(1e-2),
  ...   x,
  ...   y,
  ...   key=jax.random.key(0),
  ...   epochs=5,
  ...   metrics={"accuracy": fnn.metrics.accuracy},
  ...   validation_split=0.1,
  ...   patience=5,
  ...   progress=False,
  ... )
  >>> sorted(result.history)
  ['accuracy', 'loss', 'time', 'val_accuracy', 'val_loss']
  >>> result.history["val_loss"].shape, bool(result.history["val_accuracy"][-1] > 0.8)
  ((5,), True)
"""

from fnn.train import early_stopping, sharding
from fnn.train.early_stopping import EarlyStopping
from fnn.train.epochs import StepStatus, epoch_fn, epoch_order, evaluate, num_examples, scan_epochs
from fnn.train.loop import IN_MEMORY_LIMIT_BYTES, FitResult, NonFiniteLossError, train_loop
from fnn.train.sharding import global_data, process_share
from fnn.train.state import TrainState, eval_key, init_train_state, shuffle_key, step_key
from fnn.train.steps import advance, eval_step, supervised_step, train_step
from fnn.train.supervised import fit
from fnn.train.vmap import VmapFitResult, vmap_apply, vmap_evaluate, vmap_fit

__all__ = [
  "IN_MEMORY_LIMIT_BYTES",
  "EarlyStopping",
  "FitResult",
  "NonFiniteLossError",
  "StepStatus",
  "TrainState",
  "VmapFitResult",
  "advance",
  "early_stopping",
  "epoch_fn",
  "epoch_order",
  "eval_key",
  "eval_step",
  "evaluate",
  "fit",
  "global_data",
  "init_train_state",
  "num_examples",
  "process_share",
  "scan_epochs",
  "sharding",
  "shuffle_key",
  "step_key",
  "supervised_step",
  "train_loop",
  "train_step",
  "vmap_apply",
  "vmap_evaluate",
  "vmap_fit",
]
