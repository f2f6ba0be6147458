"""Restricted Boltzmann machines: energies, Gibbs sampling, CD-k / PCD training.

An RBM is a pytree of parameters and a handful of pure functions over it. The
visible type is read from the parameters, so no flag travels with them:

* Bernoulli–Bernoulli: ``{'w': (n_visible, n_hidden), 'b_v': (n_visible,),
  'b_h': (n_hidden,)}``, with ``E(v, h) = -b_v·v - b_h·h - vᵀ w h`` for binary ``v, h``.
* Gaussian–Bernoulli: the same plus ``'log_sigma': (n_visible,)``, with
  ``E(v, h) = Σ_i (v_i - b_v,i)² / (2 σ_i²) - b_h·h - (v / σ)ᵀ w h`` (Hinton's practical
  guide, §13.2). With ``learn_sigma=False`` (the default) σ stays at its initial value
  (1 for :func:`init`), the usual unit-variance model for standardised data.

Every function takes batched visibles ``(N, n_visible)`` or hiddens ``(N, n_hidden)``.
Samplers take their PRNG key first, as ``jax.random`` does. Training is a step of
:mod:`fnn.train` (:func:`cd_step`): the CD-k / PCD update is ``jax.grad`` of
``mean F(v_data) - mean F(stop_gradient(v_model))`` (F the free energy), handed to any
optax optimizer, so momentum and weight decay are optax's
(:func:`practical_guide_optimizer`). :func:`fit` runs it through
:func:`fnn.train.train_loop` (one compiled ``lax.scan`` per epoch, checkpoints and
resume, the non-finite guard) and records the monitors here (reconstruction error,
scikit-learn's pseudo-log-likelihood); the partition function (exact and AIS) is in
:mod:`fnn.energy.partition`.

Examples:
  >>> from fnn.energy import rbm
  >>> x, _ = fnn.data.load_digits("train")
  >>> data = (x.reshape(len(x), 64) > 0.5).astype(np.float32)
  >>> params = rbm.init(jax.random.key(0), 64, 32)
  >>> result = rbm.fit(
  ...   params,
  ...   data,
  ...   key=jax.random.key(1),
  ...   optimizer=optax.sgd(0.05),
  ...   epochs=2,
  ...   batch_size=100,
  ...   persistent=True,
  ...   progress=False,
  ... )
  >>> sorted(result.state.params), result.history["loss"].shape
  (['b_h', 'b_v', 'w'], (2,))
  >>> samples = rbm.gibbs_chain(jax.random.key(2), result.state.params, data[:16], 10)
  >>> samples.shape
  (16, 64)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from fnn import train
from fnn.core import ShapeError, check_array, check_floating, check_key

PyTree = Any


# ----------------------------------------------------------------------------
# Parameters and checks.


def init(
  key: jax.Array,
  n_visible: int,
  n_hidden: int,
  *,
  visible: str = "bernoulli",
  weight_scale: float = 0.01,
  visible_bias: Any | None = None,
  dtype=jnp.float32,
) -> dict:
  """Initial RBM parameters: ``w ~ N(0, weight_scale²)``, zero biases (σ = 1).

  Args:
    key: PRNG key for ``w``.
    n_visible: number of visible units.
    n_hidden: number of hidden units.
    visible: ``"bernoulli"`` (binary or [0, 1] data) or ``"gaussian"`` (real data).
    weight_scale: standard deviation of the initial weights (Hinton's guide: 0.01).
    visible_bias: optional ``(n_visible,)`` initial ``b_v``; for a Bernoulli RBM the
      guide's ``log(p / (1 - p))`` of the data means is :func:`data_visible_bias`.
    dtype: parameter dtype.

  Returns:
    ``{'w': (n_visible, n_hidden), 'b_v': (n_visible,), 'b_h': (n_hidden,)}``, plus
    ``'log_sigma': (n_visible,)`` zeros for ``visible="gaussian"``.
  """
  check_key(key, "rbm.init")
  for name, n in (("n_visible", n_visible), ("n_hidden", n_hidden)):
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
      raise ValueError(f"rbm.init: {name} must be a positive int, got {n!r}")
  if visible not in ("bernoulli", "gaussian"):
    raise ValueError(f"rbm.init: visible must be 'bernoulli' or 'gaussian', got {visible!r}")
  params = {
    "w": weight_scale * jax.random.normal(key, (n_visible, n_hidden), dtype),
    "b_v": jnp.zeros((n_visible,), dtype)
    if visible_bias is None
    else jnp.asarray(visible_bias, dtype).reshape(n_visible),
    "b_h": jnp.zeros((n_hidden,), dtype),
  }
  if visible == "gaussian":
    params["log_sigma"] = jnp.zeros((n_visible,), dtype)
  return params


def data_visible_bias(data, eps: float = 1e-3):
  """``log(p / (1 - p))`` of the per-unit data means ``p`` (clipped to [eps, 1 - eps]).

  Args:
    data: ``(N, n_visible)`` values in [0, 1].
    eps: the means are clipped to ``[eps, 1 - eps]``, so the biases stay finite.

  Returns:
    ``(n_visible,)`` visible biases whose independent model matches the data means.
  """
  p = jnp.clip(jnp.mean(jnp.asarray(data, jnp.float32), axis=0), eps, 1 - eps)
  return jnp.log(p) - jnp.log1p(-p)


def is_gaussian(params: dict) -> bool:
  """Whether ``params`` are a Gaussian–Bernoulli RBM (they carry ``'log_sigma'``)."""
  return "log_sigma" in params


def n_visible(params: dict) -> int:
  """The number of visible units of an RBM's params."""
  return params["w"].shape[0]


def n_hidden(params: dict) -> int:
  """The number of hidden units of an RBM's params."""
  return params["w"].shape[1]


def check_params(where: str, params: Any) -> None:
  """Raises a clear error unless ``params`` look like RBM parameters."""
  if not isinstance(params, dict) or not {"w", "b_v", "b_h"} <= set(params):
    got = sorted(params) if isinstance(params, dict) else type(params).__name__
    raise TypeError(f"{where}: expected RBM params {{'w', 'b_v', 'b_h'}}, got {got}")
  if jnp.ndim(params["w"]) != 2:
    raise ShapeError(
      f"{where}: w must be (n_visible, n_hidden), got shape {jnp.shape(params['w'])}"
    )
  nv, nh = jnp.shape(params["w"])
  if jnp.shape(params["b_v"]) != (nv,) or jnp.shape(params["b_h"]) != (nh,):
    raise ShapeError(
      f"{where}: w is ({nv}, {nh}) so b_v must be ({nv},) and b_h ({nh},), got "
      f"b_v {jnp.shape(params['b_v'])} and b_h {jnp.shape(params['b_h'])}"
    )


def _check_layer(where: str, x, size: int, what: str):
  check_array(where, x)
  if x.ndim != 2 or x.shape[-1] != size:
    raise ShapeError(f"{where}: expected {what} of shape (N, {size}), got shape {tuple(x.shape)}")
  check_floating(where, x)
  return x


def check_visible(where: str, params: dict, v):
  """Checks a batch of visibles' shape (at trace time); returns it."""
  return _check_layer(where, v, n_visible(params), "visibles")


def check_hidden(where: str, params: dict, h):
  """Checks a batch of hiddens' shape (at trace time); returns it."""
  return _check_layer(where, h, n_hidden(params), "hiddens")


def check_data(where: str, params: dict, data) -> np.ndarray:
  """Checks concrete training data on the host.

  Shape, finiteness and, for a Bernoulli
  RBM, values in [0, 1]. Returns it as a numpy array of the parameters' dtype.
  """
  data = np.asarray(data)
  if data.ndim != 2 or data.shape[1] != n_visible(params):
    raise ShapeError(
      f"{where}: expected data of shape (N, {n_visible(params)}) for an RBM with "
      f"{n_visible(params)} visible units, got shape {data.shape}"
    )
  if not np.issubdtype(data.dtype, np.number) and data.dtype != np.bool_:
    raise TypeError(f"{where}: expected numeric data, got dtype {data.dtype}")
  data = data.astype(params["w"].dtype)
  if not np.all(np.isfinite(data)):
    raise ValueError(f"{where}: data contains NaN or infinite values")
  if not is_gaussian(params) and data.size and (data.min() < 0 or data.max() > 1):
    negative = "Negative values in data: " if data.min() < 0 else ""
    raise ValueError(
      f"{where}: {negative}a Bernoulli RBM needs data in [0, 1] (binary or "
      f"probabilities), got values in [{data.min():g}, {data.max():g}]; rescale "
      "it or use visible='gaussian'"
    )
  return data


def _check_k(where: str, k) -> int:
  if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
    raise ValueError(f"{where}: the number of Gibbs sweeps must be an int >= 1, got {k!r}")
  return int(k)


# ----------------------------------------------------------------------------
# Energies and conditionals.


@jax.custom_jvp
def _softplus(x):
  """Softplus with a derivative that reuses the samplers' sigmoid.

  ``log(1 + e^x)`` whose derivative is written as ``sigmoid(x)``: the CD gradient then
  needs one sigmoid per hidden unit, the same one the samplers compute, instead of the
  several exponentials of ``logaddexp``'s own derivative.
  """
  return jax.nn.softplus(x)


@_softplus.defjvp
def _softplus_jvp(primals, tangents):
  (x,), (t,) = primals, tangents
  return _softplus(x), jax.nn.sigmoid(x) * t


def _sigma(params):
  return jnp.exp(params["log_sigma"])


def _scaled(params, v):
  """``v / σ`` for a Gaussian RBM, ``v`` for a Bernoulli one: what multiplies w."""
  return v / _sigma(params) if is_gaussian(params) else v


def _visible_term(params, v):
  """The visible-only part of the energy, per example: ``-b_v·v`` or ``Σ (v-b_v)²/2σ²``."""
  if is_gaussian(params):
    return 0.5 * jnp.sum(((v - params["b_v"]) / _sigma(params)) ** 2, axis=-1)
  return -v @ params["b_v"]


def hidden_logits(params: dict, v):
  """Pre-sigmoid hidden input ``b_h + (v/σ) w``: ``(N, n_visible)`` -> ``(N, n_hidden)``."""
  return _scaled(params, v) @ params["w"] + params["b_h"]


def energy(params: dict, v, h):
  """``E(v, h)`` per example: ``(N, n_visible), (N, n_hidden)`` -> ``(N,)``."""
  check_visible("rbm.energy", params, v)
  check_hidden("rbm.energy", params, h)
  return (
    _visible_term(params, v)
    - h @ params["b_h"]
    - jnp.sum((_scaled(params, v) @ params["w"]) * h, axis=-1)
  )


def free_energy(params: dict, v):
  """``F(v) = -log Σ_h exp(-E(v, h))`` per example, via softplus: ``(N, n_visible)`` -> ``(N,)``."""
  check_visible("rbm.free_energy", params, v)
  return _visible_term(params, v) - jnp.sum(_softplus(hidden_logits(params, v)), axis=-1)


def hidden_probs(params: dict, v):
  """``p(h_j = 1 | v) = sigmoid(b_h + (v/σ) w)``: ``(N, n_visible)`` -> ``(N, n_hidden)``."""
  check_visible("rbm.hidden_probs", params, v)
  return jax.nn.sigmoid(hidden_logits(params, v))


def visible_mean(params: dict, h):
  """``E[v | h]``: ``sigmoid(b_v + w h)`` (Bernoulli) or ``b_v + σ w h`` (Gaussian).

  ``(N, n_hidden)`` -> ``(N, n_visible)``.
  """
  check_hidden("rbm.visible_mean", params, h)
  act = h @ params["w"].T
  if is_gaussian(params):
    return params["b_v"] + _sigma(params) * act
  return jax.nn.sigmoid(params["b_v"] + act)


def sample_hidden(key: jax.Array, params: dict, v):
  """A binary sample of ``h ~ p(h | v)``, in the parameters' dtype, ``(N, n_hidden)``."""
  p = hidden_probs(params, v)
  return jax.random.bernoulli(key, p).astype(p.dtype)


def sample_visible(key: jax.Array, params: dict, h):
  """A sample of ``v ~ p(v | h)``: binary (Bernoulli) or ``N(b_v + σwh, σ²)`` (Gaussian)."""
  mean = visible_mean(params, h)
  if is_gaussian(params):
    return mean + _sigma(params) * jax.random.normal(key, mean.shape, mean.dtype)
  return jax.random.bernoulli(key, mean).astype(mean.dtype)


def gibbs_step(key: jax.Array, params: dict, v):
  """One block-Gibbs sweep ``v -> h ~ p(h|v) -> v' ~ p(v|h)``.

  Args:
    key: PRNG key.
    params: RBM parameters.
    v: ``(N, n_visible)`` current visibles.

  Returns:
    ``(v_new, h)``: ``(N, n_visible)`` and the hidden sample ``(N, n_hidden)`` drawn on the way.
  """
  kh, kv = jax.random.split(key)
  h = sample_hidden(kh, params, v)
  return sample_visible(kv, params, h), h


def gibbs_chain(key: jax.Array, params: dict, v0, sweeps: int, *, return_trajectory: bool = False):
  """``sweeps`` Gibbs sweeps from ``v0`` as one ``lax.scan``.

  Args:
    key: PRNG key; sweep ``t`` uses ``fold_in(key, t)``.
    params: RBM parameters.
    v0: ``(N, n_visible)`` start (data for CD-k, anything for sampling).
    sweeps: number of sweeps, a Python int >= 1.
    return_trajectory: also return every sweep's visibles.

  Returns:
    ``v`` of shape ``(N, n_visible)``, or ``(v, trajectory)`` with trajectory
    ``(sweeps, N, n_visible)`` (``trajectory[-1] == v``) when ``return_trajectory``.
  """
  sweeps = _check_k("rbm.gibbs_chain", sweeps)
  check_visible("rbm.gibbs_chain", params, v0)

  def sweep(v, t):
    v, _ = gibbs_step(jax.random.fold_in(key, t), params, v)
    return v, (v if return_trajectory else None)

  v, traj = jax.lax.scan(sweep, v0, jnp.arange(sweeps))
  return (v, traj) if return_trajectory else v


# ----------------------------------------------------------------------------
# Monitors.


def reconstruction_error(params: dict, v):
  """Mean squared error of the mean-field reconstruction ``E[v | p(h|v)]``, a scalar.

  The cheap training monitor of Hinton's guide §5 (not a likelihood).
  """
  recon = visible_mean(params, hidden_probs(params, v))
  return jnp.mean(jnp.sum((v - recon) ** 2, axis=-1))


def pseudo_log_likelihood(key: jax.Array | None, params: dict, v, *, units=None):
  """scikit-learn's stochastic pseudo-log-likelihood (``BernoulliRBM.score_samples``).

  For each example one visible unit ``i`` is drawn uniformly and flipped to give
  ``ṽ``; the estimate is ``n_visible · log sigmoid(F(ṽ) - F(v))``.

  Args:
    key: PRNG key choosing the flipped units (may be None when ``units`` is given).
    params: Bernoulli RBM parameters.
    v: ``(N, n_visible)`` binary visibles.
    units: optional ``(N,)`` int indices of the units to flip instead (e.g. the ones
      scikit-learn draws), in which case ``key`` is not used.

  Returns:
    ``(N,)`` per-example estimates (average them for the data set's score).
  """
  check_visible("rbm.pseudo_log_likelihood", params, v)
  if is_gaussian(params):
    raise TypeError(
      "rbm.pseudo_log_likelihood: defined for a Bernoulli RBM only (these params carry 'log_sigma')"
    )
  if units is None:
    if key is None:
      raise TypeError(
        "rbm.pseudo_log_likelihood: needs a key (or units=) to choose the units to flip"
      )
    units = jax.random.randint(key, (v.shape[0],), 0, v.shape[1])
  flip = jax.nn.one_hot(units, v.shape[1], dtype=v.dtype)
  v_flipped = v + flip * (1 - 2 * v)
  return -v.shape[1] * jax.nn.softplus(free_energy(params, v) - free_energy(params, v_flipped))


# ----------------------------------------------------------------------------
# Training: CD-k and persistent CD as a step of fnn.train.


def cd_loss(
  params: dict,
  v_data,
  v_model,
  *,
  learn_sigma: bool = False,
  sparsity_target: float | None = None,
  sparsity_cost: float = 0.0,
):
  """The contrastive-divergence surrogate ``mean F(v_data) - mean F(sg(v_model))``.

  Its gradient is the (negated) CD estimate of the log-likelihood gradient: for
  ``w`` it is ``-(<v p(h|v)ᵀ>_data - <v p(h|v)ᵀ>_model)``, so minimising it with
  any optax optimizer is CD learning.

  Args:
    params: RBM parameters.
    v_data: ``(N, n_visible)`` a minibatch of data.
    v_model: ``(M, n_visible)`` negative-phase samples (gradient stopped here).
    learn_sigma: for a Gaussian RBM, whether σ is trained (else its gradient is stopped).
    sparsity_target: optional target mean activation ``p`` of each hidden unit.
    sparsity_cost: weight ``λ`` of the penalty ``λ Σ_j BCE(p, q_j)``, where ``q_j`` is
      unit j's mean ``p(h_j=1|v)`` over ``v_data`` (the guide's §11 with the current
      batch in place of a running average; its gradient w.r.t. the hidden input is
      ``λ (q - p)`` averaged over the batch).

  Returns:
    A scalar.
  """
  if is_gaussian(params) and not learn_sigma:
    params = {**params, "log_sigma": jax.lax.stop_gradient(params["log_sigma"])}
  v_model = jax.lax.stop_gradient(v_model)
  loss = jnp.mean(free_energy(params, v_data)) - jnp.mean(free_energy(params, v_model))
  if sparsity_target is not None and sparsity_cost:
    q = jnp.mean(hidden_probs(params, v_data), axis=0)
    p = sparsity_target
    loss = loss + sparsity_cost * jnp.sum(-p * jnp.log(q) - (1 - p) * jnp.log1p(-q))
  return loss


def init_chains(params: dict, n_chains: int) -> jax.Array:
  """Persistent-chain state for PCD.

  The hidden samples ``(n_chains, n_hidden)``, zeros
  at first (as scikit-learn's ``h_samples_``).
  """
  return jnp.zeros((n_chains, n_hidden(params)), params["w"].dtype)


def negative_phase(
  key: jax.Array, params: dict, v_data, chains, *, k: int = 1, persistent: bool = False
):
  """Negative-phase samples for CD-k (``chains`` ignored) or PCD-k.

  CD-k runs ``k`` sweeps from the data. PCD-k continues the persistent chains: from
  their hidden samples ``h`` it draws ``v ~ p(v|h)``, makes ``k - 1`` more sweeps, and
  the new chain state is ``h ~ p(h|v_model)`` under the current (pre-update)
  parameters — scikit-learn's ``BernoulliRBM._fit`` for ``k = 1``.

  Returns:
    ``(v_model, new_chains)``.
  """
  k = _check_k("rbm.negative_phase", k)
  if not persistent:
    return gibbs_chain(key, params, v_data, k), chains
  check_hidden("rbm.negative_phase (persistent chains)", params, chains)
  k_first, k_rest, k_last = jax.random.split(key, 3)
  v_model = sample_visible(k_first, params, chains)
  if k > 1:
    v_model = gibbs_chain(k_rest, params, v_model, k - 1)
  return v_model, sample_hidden(k_last, params, v_model)


def _tempering():
  """fnn.energy.tempering, imported when first needed (it builds on this module)."""
  from fnn.energy import tempering

  return tempering


@functools.lru_cache(maxsize=64)
def cd_step(
  optimizer: optax.GradientTransformation,
  *,
  k: int = 1,
  persistent: bool = False,
  betas: tuple | None = None,
  learn_sigma: bool = False,
  sparsity_target: float | None = None,
  sparsity_cost: float = 0.0,
) -> train.steps.Step:
  """The CD-k / PCD-k / parallel-tempering step of :mod:`fnn.train`: ``(ts, v, key) -> (ts, logs)``.

  The negative phase draws ``v_model`` with ``key``: :func:`negative_phase` (CD-k,
  PCD-k), or with ``betas`` :func:`fnn.energy.tempering.negative_phase` (``k``
  parallel-tempering sweeps of persistent replicas; the β = 1 replicas are
  ``v_model``). The gradient of :func:`cd_loss` goes through ``optimizer``. The
  persistent state is ``ts.state``: PCD's chains ``(n_chains, n_hidden)``
  (:func:`init_chains`), PT's :class:`fnn.energy.tempering.Replicas`, or ``()`` for CD.
  Cached on its arguments, so one configuration compiles once.

  Args:
    optimizer: any optax optimizer.
    k: Gibbs (or tempering) sweeps per update.
    persistent: PCD instead of CD (not used with ``betas``, whose replicas always persist).
    betas: a tuple of inverse temperatures, 1 first and strictly decreasing, for a
      parallel-tempering negative phase (Desjardins et al. 2010; Cho et al. 2010).
    learn_sigma: see :func:`cd_loss`.
    sparsity_target: see :func:`cd_loss`.
    sparsity_cost: see :func:`cd_loss`.

  Returns:
    A step whose logs are ``{"loss": cd_loss before the update}`` (the free-energy
    gap between data and model samples; what the non-finite guard watches), plus
    with two or more temperatures ``swap_acceptance`` (the mean over neighbouring
    pairs of the fraction of proposed swaps accepted) and ``swap_acceptance_min``
    (the lowest pair's).
  """
  k = _check_k("rbm.cd_step", k)
  loss_fn = functools.partial(
    cd_loss, learn_sigma=learn_sigma, sparsity_target=sparsity_target, sparsity_cost=sparsity_cost
  )
  if betas is not None:
    tempering = _tempering()
    betas = tempering.check_betas("rbm.cd_step", betas)

  def sample_model(ts, v, key):
    if betas is None:
      v_model, chains = negative_phase(key, ts.params, v, ts.state, k=k, persistent=persistent)
      return v_model, chains, {}
    v_model, replicas, acceptance = tempering.negative_phase(
      key, ts.params, ts.state, betas=betas, k=k
    )
    return v_model, replicas, (tempering.acceptance_logs(acceptance) if len(betas) > 1 else {})

  def step(ts: train.TrainState, v, key):
    v_model, chains, sampler_logs = sample_model(ts, v, key)
    loss, grads = jax.value_and_grad(loss_fn)(ts.params, v, v_model)
    updates, opt_state = optimizer.update(grads, ts.opt_state, ts.params)
    params = optax.apply_updates(ts.params, updates)
    new_ts = ts._replace(params=params, state=chains, opt_state=opt_state)
    return new_ts, {"loss": loss, **sampler_logs}

  return step


def _initial_state(params, n_chains: int, persistent: bool, betas):
  """The negative phase's starting state: PT replicas at zeros, PCD chains, or ``()``."""
  if betas is not None:
    zeros = jnp.zeros((n_chains, n_visible(params)), params["w"].dtype)
    return _tempering().init_replicas(params, len(betas), zeros)
  return init_chains(params, n_chains) if persistent else ()


def practical_guide_optimizer(
  learning_rate=0.05, *, momentum=0.9, weight_decay: float = 2e-4
) -> optax.GradientTransformation:
  """SGD with momentum and L2 weight decay on ``w`` only, as in Hinton's practical guide.

  ``optax.chain(add_decayed_weights(weight_decay, mask=matrices), sgd(learning_rate,
  momentum))``: the decay is added to the gradient before momentum (guide §9-10); the
  mask selects the matrices (``w``), not the biases.

  Args:
    learning_rate: a float or an optax schedule of the step count.
    momentum: a float (0 or None: plain SGD) or a schedule of the step count (e.g.
      0.5 for the first epochs, then 0.9, as in Hinton's ``rbm.m``), which is then
      injected with ``optax.inject_hyperparams``.
    weight_decay: the L2 coefficient on the matrices.
  """

  def matrices(params):
    return jax.tree.map(lambda leaf: jnp.ndim(leaf) >= 2, params)

  if callable(momentum):
    sgd = optax.inject_hyperparams(optax.sgd)(learning_rate=learning_rate, momentum=momentum)
  else:
    sgd = optax.sgd(learning_rate, momentum=momentum or None)
  return optax.chain(optax.add_decayed_weights(weight_decay, mask=matrices), sgd)


@jax.jit
def monitors(key: jax.Array, params: dict, data) -> dict:
  """Fit's per-epoch monitors.

  Reconstruction error on ``data`` and, for a Bernoulli RBM, the mean
  pseudo-log-likelihood (scalars).
  """
  out = {"reconstruction_error": reconstruction_error(params, data)}
  if not is_gaussian(params):
    out["pseudo_log_likelihood"] = jnp.mean(pseudo_log_likelihood(key, params, data))
  return out


def fit(
  params: dict,
  data,
  *,
  key: jax.Array | None,
  optimizer: optax.GradientTransformation,
  epochs: int,
  batch_size: int = 100,
  k: int = 1,
  persistent: bool = False,
  betas: Sequence[float] | None = None,
  n_chains: int | None = None,
  shuffle: bool = True,
  drop_remainder: bool = False,
  learn_sigma: bool = False,
  sparsity_target: float | None = None,
  sparsity_cost: float = 0.0,
  train_state: train.TrainState | None = None,
  monitor: bool = True,
  progress: bool = True,
  desc: str = "RBM",
  callbacks=(),
  checkpoint_dir=None,
  keep_checkpoints: int = 3,
  resume=None,
) -> train.FitResult:
  """Trains an RBM by CD-k, PCD-k or parallel tempering through :func:`fnn.train.train_loop`.

  Args:
    params: initial parameters (:func:`init`).
    data: ``(N, n_visible)`` training data; in [0, 1] for a Bernoulli RBM.
    key: the run's PRNG key (shuffling, sampling and monitors derive from it and
      the step, as in :mod:`fnn.train.state`).
    optimizer: any optax optimizer (``optax.sgd(lr)`` is scikit-learn's update;
      :func:`practical_guide_optimizer` adds momentum and weight decay).
    epochs: number of passes over ``data`` (a resumed run continues to it).
    batch_size: minibatch size.
    k: Gibbs sweeps per update (CD-k / PCD-k).
    persistent: PCD (persistent chains) instead of CD.
    betas: inverse temperatures (1 first, strictly decreasing; e.g.
      :func:`fnn.energy.tempering.inverse_temperatures`) for a parallel-tempering
      negative phase: ``n_chains`` tempering chains of ``len(betas)`` replicas each,
      started at zeros, ``k`` sweeps per update (``persistent`` is then not used).
    n_chains: number of persistent chains (default ``batch_size``, as scikit-learn).
    shuffle: permute the data every epoch (scikit-learn does not).
    drop_remainder: leave out the last ``N % batch_size`` examples each epoch; by
      default they make one shorter step (scikit-learn's even minibatches).
    learn_sigma: see :func:`cd_loss`.
    sparsity_target: see :func:`cd_loss`.
    sparsity_cost: see :func:`cd_loss`.
    train_state: continue from this TrainState (a previous result's ``state``);
      ``params`` and ``key`` are then unused.
    monitor: record reconstruction error and pseudo-log-likelihood of ``data`` after
      each epoch (one extra pass; off for timing).
    progress: show a tqdm bar over epochs.
    desc: the bar's label.
    callbacks: as for :func:`fnn.train.fit`.
    checkpoint_dir: as for :func:`fnn.train.fit`.
    keep_checkpoints: as for :func:`fnn.train.fit`.
    resume: as for :func:`fnn.train.fit`; resuming from ``checkpoint_dir`` ends
      bit-identical to an uninterrupted run.

  Returns:
    A :class:`fnn.train.FitResult`; ``result.state.params`` are the trained
    parameters, ``result.state.state`` the persistent chains (PCD) or replicas (PT)
    and ``result.history`` has ``loss`` (the CD surrogate), ``reconstruction_error``,
    ``pseudo_log_likelihood`` and ``time`` per epoch, and for PT ``swap_acceptance``
    and ``swap_acceptance_min`` (epoch means).

  Raises:
    ShapeError / ValueError: for data of the wrong width or, for a Bernoulli RBM,
      outside [0, 1]; ValueError for ``k < 1``.
    fnn.train.NonFiniteLossError: an update made the parameters non-finite.
  """
  check_params("rbm.fit", params)
  data = jnp.asarray(check_data("rbm.fit", params, data))
  if betas is not None:
    betas = _tempering().check_betas("rbm.fit", betas)
    if is_gaussian(params):
      raise TypeError("rbm.fit: parallel tempering (betas=) is implemented for Bernoulli RBMs")
  step = cd_step(
    optimizer,
    k=k,
    persistent=persistent,
    betas=betas,
    learn_sigma=learn_sigma,
    sparsity_target=sparsity_target,
    sparsity_cost=sparsity_cost,
  )
  if not isinstance(epochs, (int, np.integer)) or epochs < 0:
    raise ValueError(f"rbm.fit: epochs must be a non-negative int, got {epochs!r}")
  if not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= len(data):
    raise ValueError(
      f"rbm.fit: batch_size must be an int in [1, {len(data)}] (the number of "
      f"examples), got {batch_size!r}"
    )
  if train_state is None:
    check_key(key, "rbm.fit")
    assert key is not None  # check_key raised otherwise
    chains = _initial_state(params, n_chains or batch_size, persistent, betas)
    train_state = train.TrainState.create(params, chains, optimizer, key=key)

  def evaluate(ts):
    return {k: float(v) for k, v in monitors(train.eval_key(ts), ts.params, data).items()}

  return train.train_loop(
    step,
    train_state,
    data,
    epochs=int(epochs),
    batch_size=int(batch_size),
    shuffle=shuffle,
    drop_remainder=drop_remainder,
    evaluate=evaluate if monitor else None,
    callbacks=callbacks,
    progress=progress,
    desc=desc,
    checkpoint_dir=checkpoint_dir,
    keep_checkpoints=keep_checkpoints,
    resume=resume,
    where="rbm.fit",
  )
