"""Restricted Boltzmann machines: energies, Gibbs sampling, CD-k / PCD training.

An RBM is a pytree of parameters and a handful of pure functions over it. The
visible type is read from the parameters, so no flag travels with them:

* Bernoulli–Bernoulli: ``{'W': (n_visible, n_hidden), 'b': (n_visible,), 'c': (n_hidden,)}``,
  with ``E(v, h) = -b·v - c·h - vᵀ W h`` for binary ``v, h``.
* Gaussian–Bernoulli: the same plus ``'log_sigma': (n_visible,)``, with
  ``E(v, h) = Σ_i (v_i - b_i)² / (2 σ_i²) - c·h - (v / σ)ᵀ W h`` (Hinton's practical
  guide, §13.2). With ``learn_sigma=False`` (the default) σ stays at its initial value
  (1 for :func:`init`), the usual unit-variance model for standardised data.

Every function takes batched visibles ``(N, n_visible)`` or hiddens ``(N, n_hidden)``
and explicit PRNG keys. Training follows DESIGN.md: the CD-k / PCD update is
``jax.grad`` of ``mean F(v_data) - mean F(stop_gradient(v_model))`` (F the free
energy), handed to any optax optimizer, so momentum and weight decay are optax's
(:func:`practical_guide_optimizer`). :func:`fit` runs each epoch as one jit-compiled
``lax.scan`` over minibatches and records the monitors here (reconstruction error,
scikit-learn's pseudo-log-likelihood); the partition function (exact and AIS) is in
:mod:`fnn.energy.partition`.

Example::

    params = rbm.init(jax.random.key(0), 64, 32)
    result = rbm.fit(params, data, jax.random.key(1), optimizer=optax.sgd(0.05),
                     epochs=20, batch_size=100, persistent=True)
    samples = rbm.gibbs_chain(result.params, data[:16], 1000, jax.random.key(2))
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from fnn.core import ShapeError, check_array, check_floating

PyTree = Any


# ----------------------------------------------------------------------------
# Parameters and checks.


def init(key: jax.Array, n_visible: int, n_hidden: int, *, visible: str = "bernoulli",
         weight_scale: float = 0.01, visible_bias: Optional[Any] = None,
         dtype=jnp.float32) -> dict:
  """Initial RBM parameters: ``W ~ N(0, weight_scale²)``, zero biases (σ = 1).

  Args:
    key: PRNG key for ``W``.
    n_visible: number of visible units.
    n_hidden: number of hidden units.
    visible: ``"bernoulli"`` (binary or [0, 1] data) or ``"gaussian"`` (real data).
    weight_scale: standard deviation of the initial weights (Hinton's guide: 0.01).
    visible_bias: optional ``(n_visible,)`` initial ``b``; for a Bernoulli RBM the
      guide's ``log(p / (1 - p))`` of the data means is :func:`data_visible_bias`.
    dtype: parameter dtype.

  Returns:
    ``{'W': (n_visible, n_hidden), 'b': (n_visible,), 'c': (n_hidden,)}``, plus
    ``'log_sigma': (n_visible,)`` zeros for ``visible="gaussian"``.
  """
  for name, n in (("n_visible", n_visible), ("n_hidden", n_hidden)):
    if not isinstance(n, (int, np.integer)) or n < 1:
      raise ValueError(f"rbm.init: {name} must be a positive int, got {n!r}")
  if visible not in ("bernoulli", "gaussian"):
    raise ValueError(f"rbm.init: visible must be 'bernoulli' or 'gaussian', got {visible!r}")
  params = {
      "W": weight_scale * jax.random.normal(key, (n_visible, n_hidden), dtype),
      "b": jnp.zeros((n_visible,), dtype) if visible_bias is None
           else jnp.asarray(visible_bias, dtype).reshape(n_visible),
      "c": jnp.zeros((n_hidden,), dtype),
  }
  if visible == "gaussian":
    params["log_sigma"] = jnp.zeros((n_visible,), dtype)
  return params


def data_visible_bias(data, eps: float = 1e-3):
  """``log(p / (1 - p))`` of the per-unit data means ``p`` (clipped to [eps, 1 - eps]).

  Args:
    data: ``(N, n_visible)`` values in [0, 1].

  Returns:
    ``(n_visible,)`` visible biases whose independent model matches the data means.
  """
  p = jnp.clip(jnp.mean(jnp.asarray(data, jnp.float32), axis=0), eps, 1 - eps)
  return jnp.log(p) - jnp.log1p(-p)


def is_gaussian(params: dict) -> bool:
  """Whether ``params`` are a Gaussian–Bernoulli RBM (they carry ``'log_sigma'``)."""
  return "log_sigma" in params


def n_visible(params: dict) -> int:
  return params["W"].shape[0]


def n_hidden(params: dict) -> int:
  return params["W"].shape[1]


def check_params(where: str, params: Any) -> None:
  """Raises a clear error unless ``params`` look like RBM parameters."""
  if not isinstance(params, dict) or not {"W", "b", "c"} <= set(params):
    got = sorted(params) if isinstance(params, dict) else type(params).__name__
    raise TypeError(f"{where}: expected RBM params {{'W', 'b', 'c'}}, got {got}")
  nv, nh = jnp.shape(params["W"])
  if jnp.shape(params["b"]) != (nv,) or jnp.shape(params["c"]) != (nh,):
    raise ShapeError(f"{where}: W is ({nv}, {nh}) so b must be ({nv},) and c ({nh},), got "
                     f"b {jnp.shape(params['b'])} and c {jnp.shape(params['c'])}")


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
  """Checks concrete training data on the host: shape, finiteness and, for a Bernoulli
  RBM, values in [0, 1]. Returns it as a numpy array of the parameters' dtype."""
  data = np.asarray(data)
  if data.ndim != 2 or data.shape[1] != n_visible(params):
    raise ShapeError(f"{where}: expected data of shape (N, {n_visible(params)}) for an RBM with "
                     f"{n_visible(params)} visible units, got shape {data.shape}")
  if not np.issubdtype(data.dtype, np.number) and data.dtype != np.bool_:
    raise TypeError(f"{where}: expected numeric data, got dtype {data.dtype}")
  data = data.astype(params["W"].dtype)
  if not np.all(np.isfinite(data)):
    raise ValueError(f"{where}: data contains NaN or infinite values")
  if not is_gaussian(params) and data.size and (data.min() < 0 or data.max() > 1):
    negative = "Negative values in data: " if data.min() < 0 else ""
    raise ValueError(f"{where}: {negative}a Bernoulli RBM needs data in [0, 1] (binary or "
                     f"probabilities), got values in [{data.min():g}, {data.max():g}]; rescale "
                     "it or use visible='gaussian'")
  return data


def check_finite_params(where: str, params: dict) -> None:
  """Raises FloatingPointError if any parameter is NaN or infinite (host check)."""
  bad = [name for name, x in params.items() if not bool(jnp.all(jnp.isfinite(x)))]
  if bad:
    raise FloatingPointError(
        f"{where}: non-finite values in {bad} after an update; the learning rate is "
        "probably too large for this data (or Gaussian data is not standardised)")


def _check_k(where: str, k) -> int:
  if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
    raise ValueError(f"{where}: k (Gibbs steps) must be an int >= 1, got {k!r}")
  return int(k)


# ----------------------------------------------------------------------------
# Energies and conditionals.


@jax.custom_jvp
def _softplus(x):
  """``log(1 + e^x)`` whose derivative is written as ``sigmoid(x)``: the CD gradient then
  needs one sigmoid per hidden unit, the same one the samplers compute, instead of the
  several exponentials of ``logaddexp``'s own derivative."""
  return jax.nn.softplus(x)


@_softplus.defjvp
def _softplus_jvp(primals, tangents):
  (x,), (t,) = primals, tangents
  return _softplus(x), jax.nn.sigmoid(x) * t


def _sigma(params):
  return jnp.exp(params["log_sigma"])


def _scaled(params, v):
  """``v / σ`` for a Gaussian RBM, ``v`` for a Bernoulli one: what multiplies W."""
  return v / _sigma(params) if is_gaussian(params) else v


def _visible_term(params, v):
  """The visible-only part of the energy, per example: ``-b·v`` or ``Σ (v-b)²/2σ²``."""
  if is_gaussian(params):
    return 0.5 * jnp.sum(((v - params["b"]) / _sigma(params)) ** 2, axis=-1)
  return -v @ params["b"]


def hidden_logits(params: dict, v):
  """Pre-sigmoid hidden input ``c + (v/σ) W``: ``(N, n_visible)`` -> ``(N, n_hidden)``."""
  return _scaled(params, v) @ params["W"] + params["c"]


def energy(params: dict, v, h):
  """``E(v, h)`` per example: ``(N, n_visible), (N, n_hidden)`` -> ``(N,)``."""
  check_visible("rbm.energy", params, v)
  check_hidden("rbm.energy", params, h)
  return (_visible_term(params, v) - h @ params["c"]
          - jnp.sum((_scaled(params, v) @ params["W"]) * h, axis=-1))


def free_energy(params: dict, v):
  """``F(v) = -log Σ_h exp(-E(v, h))`` per example, via softplus: ``(N, n_visible)`` -> ``(N,)``."""
  check_visible("rbm.free_energy", params, v)
  return _visible_term(params, v) - jnp.sum(_softplus(hidden_logits(params, v)), axis=-1)


def hidden_probs(params: dict, v):
  """``p(h_j = 1 | v) = sigmoid(c + (v/σ) W)``: ``(N, n_visible)`` -> ``(N, n_hidden)``."""
  check_visible("rbm.hidden_probs", params, v)
  return jax.nn.sigmoid(hidden_logits(params, v))


def visible_mean(params: dict, h):
  """``E[v | h]``: ``sigmoid(b + W h)`` (Bernoulli) or ``b + σ W h`` (Gaussian).

  ``(N, n_hidden)`` -> ``(N, n_visible)``.
  """
  check_hidden("rbm.visible_mean", params, h)
  act = h @ params["W"].T
  if is_gaussian(params):
    return params["b"] + _sigma(params) * act
  return jax.nn.sigmoid(params["b"] + act)


def sample_hidden(params: dict, v, key: jax.Array):
  """A binary sample of ``h ~ p(h | v)``, in the parameters' dtype, ``(N, n_hidden)``."""
  p = hidden_probs(params, v)
  return jax.random.bernoulli(key, p).astype(p.dtype)


def sample_visible(params: dict, h, key: jax.Array):
  """A sample of ``v ~ p(v | h)``: binary (Bernoulli) or ``N(b + σWh, σ²)`` (Gaussian)."""
  mean = visible_mean(params, h)
  if is_gaussian(params):
    return mean + _sigma(params) * jax.random.normal(key, mean.shape, mean.dtype)
  return jax.random.bernoulli(key, mean).astype(mean.dtype)


def gibbs_step(params: dict, v, key: jax.Array):
  """One block-Gibbs sweep ``v -> h ~ p(h|v) -> v' ~ p(v|h)``.

  Args:
    params: RBM parameters.
    v: ``(N, n_visible)`` current visibles.
    key: PRNG key.

  Returns:
    ``(v_new, h)``: ``(N, n_visible)`` and the hidden sample ``(N, n_hidden)`` drawn on the way.
  """
  kh, kv = jax.random.split(key)
  h = sample_hidden(params, v, kh)
  return sample_visible(params, h, kv), h


def gibbs_chain(params: dict, v0, k: int, key: jax.Array, *, return_trajectory: bool = False):
  """``k`` Gibbs sweeps from ``v0`` as one ``lax.scan``.

  Args:
    params: RBM parameters.
    v0: ``(N, n_visible)`` start (data for CD-k, anything for sampling).
    k: number of sweeps, a Python int >= 1.
    key: PRNG key; sweep ``t`` uses ``fold_in(key, t)``.
    return_trajectory: also return every sweep's visibles.

  Returns:
    ``v_k`` of shape ``(N, n_visible)``, or ``(v_k, trajectory)`` with trajectory
    ``(k, N, n_visible)`` (``trajectory[-1] == v_k``) when ``return_trajectory``.
  """
  k = _check_k("rbm.gibbs_chain", k)
  check_visible("rbm.gibbs_chain", params, v0)

  def sweep(v, t):
    v, _ = gibbs_step(params, v, jax.random.fold_in(key, t))
    return v, (v if return_trajectory else None)

  v, traj = jax.lax.scan(sweep, v0, jnp.arange(k))
  return (v, traj) if return_trajectory else v


# ----------------------------------------------------------------------------
# Monitors.


def reconstruction_error(params: dict, v):
  """Mean squared error of the mean-field reconstruction ``E[v | p(h|v)]``, a scalar.

  The cheap training monitor of Hinton's guide §5 (not a likelihood).
  """
  recon = visible_mean(params, hidden_probs(params, v))
  return jnp.mean(jnp.sum((v - recon) ** 2, axis=-1))


def pseudo_log_likelihood(params: dict, v, key: Optional[jax.Array] = None, *, units=None):
  """scikit-learn's stochastic pseudo-log-likelihood (``BernoulliRBM.score_samples``).

  For each example one visible unit ``i`` is drawn uniformly and flipped to give
  ``ṽ``; the estimate is ``n_visible · log sigmoid(F(ṽ) - F(v))``.

  Args:
    params: Bernoulli RBM parameters.
    v: ``(N, n_visible)`` binary visibles.
    key: PRNG key choosing the flipped units.
    units: optional ``(N,)`` int indices of the units to flip instead (e.g. the ones
      scikit-learn draws), in which case ``key`` is not used.

  Returns:
    ``(N,)`` per-example estimates (average them for the data set's score).
  """
  check_visible("rbm.pseudo_log_likelihood", params, v)
  if is_gaussian(params):
    raise TypeError("rbm.pseudo_log_likelihood: defined for a Bernoulli RBM only "
                    "(these params carry 'log_sigma')")
  if units is None:
    if key is None:
      raise TypeError("rbm.pseudo_log_likelihood: needs key= (or units=) to choose the units to flip")
    units = jax.random.randint(key, (v.shape[0],), 0, v.shape[1])
  flip = jax.nn.one_hot(units, v.shape[1], dtype=v.dtype)
  v_flipped = v + flip * (1 - 2 * v)
  return -v.shape[1] * jax.nn.softplus(free_energy(params, v) - free_energy(params, v_flipped))


# ----------------------------------------------------------------------------
# Training: CD-k and persistent CD.


def cd_loss(params: dict, v_data, v_model, *, learn_sigma: bool = False,
            sparsity_target: Optional[float] = None, sparsity_cost: float = 0.0):
  """The contrastive-divergence surrogate ``mean F(v_data) - mean F(sg(v_model))``.

  Its gradient is the (negated) CD estimate of the log-likelihood gradient: for
  ``W`` it is ``-(<v p(h|v)ᵀ>_data - <v p(h|v)ᵀ>_model)``, so minimising it with
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
  """Persistent-chain state for PCD: the hidden samples ``(n_chains, n_hidden)``, zeros
  at first (as scikit-learn's ``h_samples_``)."""
  return jnp.zeros((n_chains, n_hidden(params)), params["W"].dtype)


def negative_phase(params: dict, v_data, chains, key: jax.Array, *, k: int = 1,
                   persistent: bool = False):
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
    return gibbs_chain(params, v_data, k, key), chains
  check_hidden("rbm.negative_phase (persistent chains)", params, chains)
  k_first, k_rest, k_last = jax.random.split(key, 3)
  v_model = sample_visible(params, chains, k_first)
  if k > 1:
    v_model = gibbs_chain(params, v_model, k - 1, k_rest)
  return v_model, sample_hidden(params, v_model, k_last)


def cd_update(optimizer: optax.GradientTransformation, params: dict, opt_state, chains,
              v_data, key: jax.Array, *, k: int = 1, persistent: bool = False,
              learn_sigma: bool = False, sparsity_target: Optional[float] = None,
              sparsity_cost: float = 0.0):
  """One CD-k / PCD-k step: negative phase, ``jax.grad`` of :func:`cd_loss`, optax update.

  Returns:
    ``(params, opt_state, chains)``, the chains unchanged for CD-k.
  """
  v_model, chains = negative_phase(params, v_data, chains, key, k=k, persistent=persistent)
  grads = jax.grad(cd_loss)(params, v_data, v_model, learn_sigma=learn_sigma,
                            sparsity_target=sparsity_target, sparsity_cost=sparsity_cost)
  updates, opt_state = optimizer.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state, chains


def practical_guide_optimizer(learning_rate: float = 0.05, *, momentum: float = 0.9,
                              weight_decay: float = 2e-4) -> optax.GradientTransformation:
  """SGD with momentum and L2 weight decay on ``W`` only, as in Hinton's practical guide.

  ``optax.chain(add_decayed_weights(weight_decay, mask=W only), sgd(learning_rate,
  momentum))``: the decay is added to the gradient before momentum (guide §9-10).
  """
  def weights_only(params):
    return {name: name == "W" for name in params}

  return optax.chain(optax.add_decayed_weights(weight_decay, mask=weights_only),
                     optax.sgd(learning_rate, momentum=momentum or None))


def even_slices(n_samples: int, batch_size: int) -> list[tuple[int, int]]:
  """scikit-learn's minibatches: ``ceil(n / batch_size)`` slices of ``batch_size`` rows
  in order, the last one cut at ``n_samples`` (``gen_even_slices`` as ``BernoulliRBM.fit``
  calls it)."""
  n_batches = -(-n_samples // batch_size)
  return [(i * batch_size, min((i + 1) * batch_size, n_samples)) for i in range(n_batches)]


@functools.lru_cache(maxsize=32)
def make_epoch(optimizer: optax.GradientTransformation, n_samples: int, batch_size: int, *,
               k: int = 1, persistent: bool = False, shuffle: bool = True,
               learn_sigma: bool = False, sparsity_target: Optional[float] = None,
               sparsity_cost: float = 0.0):
  """A jit-compiled epoch ``(params, opt_state, chains, data, key) -> (params, opt_state, chains)``.

  The ``n_samples // batch_size`` full minibatches are one ``lax.scan`` of
  :func:`cd_update`; a shorter last minibatch (if any) is one more step, so the
  slicing is :func:`even_slices` (after a permutation when ``shuffle``). Cached on
  its arguments, so repeated :func:`fit` calls reuse the compiled program.
  """
  k = _check_k("rbm.make_epoch", k)
  if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
    raise ValueError(f"rbm.make_epoch: batch_size must be a positive int, got {batch_size!r}")
  n_full, rest = divmod(n_samples, batch_size)
  update = functools.partial(cd_update, optimizer, k=k, persistent=persistent,
                             learn_sigma=learn_sigma, sparsity_target=sparsity_target,
                             sparsity_cost=sparsity_cost)

  @jax.jit
  def epoch(params, opt_state, chains, data, key):
    k_perm, k_steps, k_rest = jax.random.split(key, 3)
    if shuffle:
      data = data[jax.random.permutation(k_perm, n_samples)]

    def step(carry, inputs):
      batch, step_key = inputs
      return update(*carry, batch, step_key), None

    carry = (params, opt_state, chains)
    if n_full:
      batches = data[:n_full * batch_size].reshape(n_full, batch_size, -1)
      carry, _ = jax.lax.scan(step, carry, (batches, jax.random.split(k_steps, n_full)))
    if rest:
      carry = update(*carry, data[n_full * batch_size:], k_rest)
    return carry

  return epoch


@jax.jit
def _monitors(params, data, key):
  """fit's per-epoch monitors: (reconstruction error, mean pseudo-log-likelihood or None)."""
  pll = None if is_gaussian(params) else jnp.mean(pseudo_log_likelihood(params, data, key))
  return reconstruction_error(params, data), pll


class FitResult(NamedTuple):
  """What :func:`fit` returns.

  Attributes:
    params: the trained RBM parameters.
    opt_state: the optimizer state (pass it back to continue training).
    chains: persistent hidden chains ``(n_chains, n_hidden)`` (PCD), else None.
    history: per epoch, ``{'epoch', 'reconstruction_error', 'pseudo_log_likelihood'}``
      lists (the monitors on the training data; empty lists when ``monitor=False``).
  """
  params: dict
  opt_state: PyTree
  chains: Optional[jax.Array]
  history: dict


def fit(params: dict, data, key: jax.Array, *, optimizer: optax.GradientTransformation,
        epochs: int, batch_size: int = 100, k: int = 1, persistent: bool = False,
        n_chains: Optional[int] = None, shuffle: bool = True, learn_sigma: bool = False,
        sparsity_target: Optional[float] = None, sparsity_cost: float = 0.0,
        opt_state: PyTree = None, chains: Optional[jax.Array] = None, monitor: bool = True,
        progress: bool = True, desc: str = "RBM") -> FitResult:
  """Trains an RBM by CD-k or PCD-k, one compiled epoch (a ``lax.scan``) per call.

  Args:
    params: initial parameters (:func:`init`).
    data: ``(N, n_visible)`` training data; in [0, 1] for a Bernoulli RBM.
    key: PRNG key, split into a training key (epoch ``e`` uses ``fold_in(.., e)``)
      and a key for the monitors.
    optimizer: any optax optimizer (``optax.sgd(lr)`` is scikit-learn's update;
      :func:`practical_guide_optimizer` adds momentum and weight decay).
    epochs: number of passes over ``data``.
    batch_size: minibatch size.
    k: Gibbs sweeps per update (CD-k / PCD-k).
    persistent: PCD (persistent chains) instead of CD.
    n_chains: number of persistent chains (default ``batch_size``, as scikit-learn).
    shuffle: permute the data every epoch (scikit-learn does not).
    learn_sigma, sparsity_target, sparsity_cost: see :func:`cd_loss`.
    opt_state, chains: to continue a previous :func:`fit` (its ``FitResult`` fields).
    monitor: record reconstruction error and pseudo-log-likelihood of ``data`` after
      each epoch (one extra pass; off for timing).
    progress: show a tqdm bar over epochs.
    desc: the progress bar's label.

  Returns:
    A :class:`FitResult`.

  Raises:
    ShapeError / ValueError: for data of the wrong width or, for a Bernoulli RBM,
      outside [0, 1]; ValueError for ``k < 1``.
    FloatingPointError: if an epoch leaves a non-finite parameter.
  """
  check_params("rbm.fit", params)
  data = jnp.asarray(check_data("rbm.fit", params, data))
  _check_k("rbm.fit", k)
  if not isinstance(epochs, (int, np.integer)) or epochs < 0:
    raise ValueError(f"rbm.fit: epochs must be a non-negative int, got {epochs!r}")
  epoch_fn = make_epoch(optimizer, data.shape[0], batch_size, k=k, persistent=persistent,
                        shuffle=shuffle, learn_sigma=learn_sigma,
                        sparsity_target=sparsity_target, sparsity_cost=sparsity_cost)
  if opt_state is None:
    opt_state = optimizer.init(params)
  if persistent and chains is None:
    chains = init_chains(params, n_chains or batch_size)
  history = {"epoch": [], "reconstruction_error": [], "pseudo_log_likelihood": []}
  k_train, k_monitor = jax.random.split(key)
  bar = tqdm(range(epochs), desc=desc, unit="epoch", disable=not progress)
  for e in bar:
    params, opt_state, chains = epoch_fn(params, opt_state, chains, data,
                                         jax.random.fold_in(k_train, e))
    check_finite_params(f"rbm.fit (epoch {e + 1})", params)
    if monitor:
      recon, pll = _monitors(params, data, jax.random.fold_in(k_monitor, e))
      history["epoch"].append(e + 1)
      history["reconstruction_error"].append(float(recon))
      if pll is not None:
        history["pseudo_log_likelihood"].append(float(pll))
        bar.set_postfix(recon=f"{float(recon):.4f}", pll=f"{float(pll):.2f}")
      else:
        bar.set_postfix(recon=f"{float(recon):.4f}")
  return FitResult(params, opt_state, chains if persistent else None, history)
