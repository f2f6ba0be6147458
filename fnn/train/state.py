"""The pytree a training run carries, and the keys derived from it.

Randomness is a function of ``(TrainState.key, TrainState.step)`` only, so a run is
reproducible from its key and a resumed run replays exactly. With
``shuffle_stream, step_stream = jax.random.split(ts.key)``:

* the epoch that starts at step ``s`` is ordered by
  ``jax.random.permutation(fold_in(shuffle_stream, s), n)`` (:func:`shuffle_key`);
* step ``s`` gets ``fold_in(step_stream, s)`` (:func:`step_key`): the dropout key of a
  supervised step, the Gibbs sampling key of an RBM step;
* a monitor evaluated after step ``s`` (an RBM's pseudo-likelihood) gets
  ``fold_in(split(ts.key, 3)[2], s)`` (:func:`eval_key`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from fnn.core import Layer, PyTree, check_key


class TrainState(NamedTuple):
  """Everything that changes during training, as one pytree.

  Attributes:
    step: int32 scalar, the number of optimizer steps taken so far.
    params: what the optimizer changes (a model's or an energy model's parameters).
    state: what the model changes itself: BatchNorm statistics, an RBM's persistent
      chains; ``{}`` if none.
    opt_state: the optax optimizer state.
    key: the run's PRNG key; it never changes (per-step keys are derived from it
      and ``step``, see the module docstring). A typed key of the default PRNG
      implementation is stored as its ``uint32`` key data (:func:`run_key` gives it
      back typed): a typed-key argument costs ``jax.jit``'s dispatch about 9 µs per
      call on a CPU, which is most of a small model's step.
  """

  step: jax.Array
  params: PyTree
  state: PyTree
  opt_state: PyTree
  key: jax.Array

  @classmethod
  def create(
    cls, params: PyTree, state: PyTree, optimizer: optax.GradientTransformation, *, key: jax.Array
  ) -> TrainState:
    """A TrainState at step 0 for given parameters, with ``optimizer.init(params)``.

    Args:
      params: the starting parameters.
      state: the starting model state.
      optimizer: any optax GradientTransformation.
      key: the run's key (shuffling and per-step keys derive from it).
    """
    check_key(key, "TrainState.create")
    return cls(jnp.zeros((), jnp.int32), params, state, optimizer.init(params), _storable(key))


def init_train_state(
  key: jax.Array,
  model: Layer,
  optimizer: optax.GradientTransformation,
  input_shape: Any,
  *,
  params: PyTree = None,
  state: PyTree = None,
) -> TrainState:
  """Initialises a model and its optimizer into a :class:`TrainState`.

  Args:
    key: a PRNG key; split into the parameters' key and the run's key.
    model: any Layer.
    optimizer: any optax GradientTransformation.
    input_shape: the model's input shape (batch axis included, any size).
    params: start from these parameters instead of ``model.init``'s (fine-tuning).
    state: start from this model state instead of ``model.init``'s.

  Returns:
    A TrainState at step 0.
  """
  check_key(key, "train.init_train_state")
  init_key, run_key = jax.random.split(key)
  if params is None:
    params, new_state, _ = model.init(init_key, input_shape)
    state = new_state if state is None else state
  elif state is None:
    state = model.init(init_key, input_shape)[1]
  return TrainState.create(params, state, optimizer, key=run_key)


def _default_impl() -> Any:
  return jax.random.key_impl(jax.random.key(0))


def _storable(key: jax.Array) -> jax.Array:
  """A typed key of the default implementation as its key data; any other key as it is."""
  if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) and str(jax.random.key_impl(key)) == str(
    _default_impl()
  ):
    return jax.random.key_data(key)
  return key


def run_key(ts: TrainState) -> jax.Array:
  """``ts.key`` as a typed PRNG key."""
  if jnp.issubdtype(ts.key.dtype, jax.dtypes.prng_key):
    return ts.key
  return jax.random.wrap_key_data(ts.key)


def shuffle_key(ts: TrainState) -> jax.Array:
  """The key that orders the epoch starting at ``ts.step``."""
  return jax.random.fold_in(jax.random.split(run_key(ts))[0], ts.step)


def step_key(ts: TrainState) -> jax.Array:
  """The key handed to the step taken from ``ts`` (dropout, Gibbs sampling)."""
  return jax.random.fold_in(jax.random.split(run_key(ts))[1], ts.step)


def eval_key(ts: TrainState) -> jax.Array:
  """The key for a stochastic monitor evaluated at ``ts`` (not used by any step)."""
  return jax.random.fold_in(jax.random.split(run_key(ts), 3)[2], ts.step)
