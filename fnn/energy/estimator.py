"""A scikit-learn compatible ``BernoulliRBM`` over :mod:`fnn.energy.rbm`.

It mirrors ``sklearn.neural_network.BernoulliRBM`` (same constructor arguments,
attributes, PCD-1 training with the same even minibatches, the same
``score_samples``), so it drops into a ``Pipeline``; the training epochs run as fnn's
compiled ``lax.scan``. scikit-learn is an optional dependency: this module imports it,
and ``fnn.energy`` imports this module only when ``fnn.energy.BernoulliRBM`` is used.

Examples:
  >>> from sklearn.linear_model import LogisticRegression
  >>> from sklearn.pipeline import Pipeline
  >>> from fnn.energy import BernoulliRBM
  >>> x, y = fnn.data.load_digits("train")
  >>> x = x.reshape(len(x), 64)
  >>> model = Pipeline(
  ...   [
  ...     ("rbm", BernoulliRBM(n_components=64, n_iter=5, random_state=0)),
  ...     ("logistic", LogisticRegression(C=100, max_iter=1000)),
  ...   ]
  ... ).fit(x, y)
  >>> model.predict(x[:5]).shape, bool(model.score(x, y) > 0.8)
  ((5,), True)
"""

try:
  from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
  from sklearn.utils import check_random_state
  from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as err:  # pragma: no cover - exercised only without scikit-learn
  raise ImportError(
    "fnn.energy.BernoulliRBM needs scikit-learn (pip install 'fnn[sklearn]'); "
    "the functional API in fnn.energy.rbm does not"
  ) from err

import jax
import jax.numpy as jnp
import numpy as np
import optax

from fnn import train
from fnn.energy import rbm

# One optimizer for every estimator: the learning rate lives in the optimizer state
# (optax.inject_hyperparams), so rbm.cd_step's cache holds one compiled step for all
# learning rates.
_SGD = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)


def _train_state(params, chains, learning_rate: float, key) -> train.TrainState:
  ts = train.TrainState.create(params, chains, _SGD, key=key)
  hyper = {**ts.opt_state.hyperparams, "learning_rate": jnp.asarray(learning_rate, jnp.float32)}
  return ts._replace(opt_state=ts.opt_state._replace(hyperparams=hyper))


class BernoulliRBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
  """Bernoulli RBM trained by PCD-1, scikit-learn's interface over fnn.

  Parameters:
    n_components: number of hidden units.
    learning_rate: SGD step size (``optax.sgd``; the gradient is a minibatch mean).
    batch_size: minibatch size, and the number of persistent chains.
    n_iter: epochs over the data in ``fit``.
    verbose: show a progress bar with the pseudo-log-likelihood per epoch.
    random_state: seed or ``RandomState`` for the initial weights, the JAX key and
      ``score_samples``' flipped units.

  Attributes:
    components_: ``(n_components, n_features)`` weights (``W.T`` of the fnn params).
    intercept_hidden_: ``(n_components,)`` hidden biases ``c``.
    intercept_visible_: ``(n_features,)`` visible biases ``b``.
    h_samples_: ``(batch_size, n_components)`` persistent hidden chains.
    n_features_in_: number of features seen in ``fit``.
  """

  def __init__(
    self,
    n_components=256,
    *,
    learning_rate=0.1,
    batch_size=10,
    n_iter=10,
    verbose=0,
    random_state=None,
  ):
    self.n_components = n_components
    self.learning_rate = learning_rate
    self.batch_size = batch_size
    self.n_iter = n_iter
    self.verbose = verbose
    self.random_state = random_state

  # -- conversions between the sklearn attributes and fnn params ---------------------

  def _params(self):
    return {
      "w": jnp.asarray(self.components_.T, jnp.float32),
      "b_v": jnp.asarray(self.intercept_visible_, jnp.float32),
      "b_h": jnp.asarray(self.intercept_hidden_, jnp.float32),
    }

  def _store(self, ts: train.TrainState, dtype):
    self.components_ = np.asarray(ts.params["w"], dtype).T.copy()
    self.intercept_visible_ = np.asarray(ts.params["b_v"], dtype)
    self.intercept_hidden_ = np.asarray(ts.params["b_h"], dtype)
    self.h_samples_ = np.asarray(ts.state, dtype)

  def _check_hyper_parameters(self):
    for name in ("n_components", "batch_size"):
      value = getattr(self, name)
      if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"BernoulliRBM: {name} must be a positive int, got {value!r}")
    if not isinstance(self.n_iter, (int, np.integer)) or self.n_iter < 0:
      raise ValueError(f"BernoulliRBM: n_iter must be a non-negative int, got {self.n_iter!r}")
    if (
      not isinstance(self.learning_rate, (int, float, np.integer, np.floating))
      or not self.learning_rate > 0
    ):
      raise ValueError(
        f"BernoulliRBM: learning_rate must be a positive number, got {self.learning_rate!r}"
      )

  def _init_params(self, n_features, rng):
    self._n_features_out = self.n_components
    return {
      "w": jnp.asarray(rng.normal(0, 0.01, (self.n_components, n_features)).T, jnp.float32),
      "b_v": jnp.zeros(n_features, jnp.float32),
      "b_h": jnp.zeros(self.n_components, jnp.float32),
    }

  def _next_key(self):
    return jax.random.key(self.random_state_.randint(np.iinfo(np.int32).max))

  # -- the estimator API ----------------------------------------------------------------

  def fit(self, X, y=None):
    """Fits the model to ``X`` ``(n_samples, n_features)`` in [0, 1]; returns ``self``."""
    self._check_hyper_parameters()
    X = validate_data(self, X, dtype=(np.float64, np.float32))
    self.random_state_ = check_random_state(self.random_state)
    params = self._init_params(X.shape[1], self.random_state_)
    ts = _train_state(
      params,
      rbm.init_chains(params, int(self.batch_size)),
      float(self.learning_rate),
      self._next_key(),
    )
    result = rbm.fit(
      params,
      X,
      key=None,
      optimizer=_SGD,
      train_state=ts,
      epochs=int(self.n_iter),
      batch_size=min(int(self.batch_size), len(X)),
      k=1,
      persistent=True,
      shuffle=False,
      progress=bool(self.verbose),
      monitor=bool(self.verbose),
      desc="BernoulliRBM",
    )
    self._store(result.state, X.dtype)
    return self

  def partial_fit(self, X, y=None):
    """One PCD-1 update on ``X`` as a single minibatch (as scikit-learn's); returns ``self``."""
    self._check_hyper_parameters()
    first = not hasattr(self, "components_")
    X = validate_data(self, X, dtype=(np.float64, np.float32), reset=first)
    if not hasattr(self, "random_state_"):
      self.random_state_ = check_random_state(self.random_state)
    if first:
      params = self._init_params(X.shape[1], self.random_state_)
      chains = rbm.init_chains(params, int(self.batch_size))
    else:
      params, chains = self._params(), jnp.asarray(self.h_samples_, jnp.float32)
    ts = _train_state(params, chains, float(self.learning_rate), self._next_key())
    # One epoch of one minibatch (all of X) through the same engine as fit.
    result = rbm.fit(
      params,
      X,
      key=None,
      optimizer=_SGD,
      train_state=ts,
      epochs=1,
      batch_size=len(X),
      k=1,
      persistent=True,
      shuffle=False,
      progress=False,
      monitor=False,
    )
    self._store(result.state, X.dtype)
    return self

  def transform(self, X):
    """``p(h = 1 | v = X)``: ``(n_samples, n_features)`` -> ``(n_samples, n_components)``."""
    check_is_fitted(self)
    X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
    return np.asarray(rbm.hidden_probs(self._params(), jnp.asarray(X, jnp.float32)), X.dtype)

  def score_samples(self, X):
    """Pseudo-log-likelihood per sample, as scikit-learn computes it.

    scikit-learn's pseudo-log-likelihood per sample, with the same flipped units
    (drawn from ``check_random_state(random_state)``): ``(n_samples,)``.
    """
    check_is_fitted(self)
    X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
    units = check_random_state(self.random_state).randint(0, X.shape[1], X.shape[0])
    return np.asarray(
      rbm.pseudo_log_likelihood(
        None, self._params(), jnp.asarray(X, jnp.float32), units=jnp.asarray(units)
      ),
      X.dtype,
    )

  def gibbs(self, v):
    """One Gibbs sweep from ``v`` ``(n_samples, n_features)``: a binary sample of the same shape."""
    check_is_fitted(self)
    if not hasattr(self, "random_state_"):
      self.random_state_ = check_random_state(self.random_state)
    v = validate_data(self, v, reset=False, dtype=(np.float64, np.float32))
    v_new, _ = rbm.gibbs_step(self._next_key(), self._params(), jnp.asarray(v, jnp.float32))
    return np.asarray(v_new, v.dtype).astype(bool)

  def __sklearn_tags__(self):
    tags = super().__sklearn_tags__()
    tags.transformer_tags.preserves_dtype = ["float64", "float32"]
    tags.input_tags.positive_only = True  # a Bernoulli RBM needs data in [0, 1]
    return tags
