"""Tests of fnn.energy.BernoulliRBM.

fnn.energy.BernoulliRBM: scikit-learn's estimator checks, agreement with
sklearn.neural_network.BernoulliRBM, and fnn.energy without scikit-learn.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import BernoulliRBM as SklearnRBM
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from fnn.data import load_digits
from fnn.energy import BernoulliRBM


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
  # On a small shared machine OpenBLAS's default threads make LogisticRegression ~100x
  # slower; numpy's results do not depend on the thread count.
  with threadpool_limits(limits=1, user_api="blas"):
    yield


# check_estimator feeds data from make_blobs (shifted to be positive), most of it outside
# [0, 1]; a Bernoulli RBM refuses that by design. So the checks run twice: on the
# estimator itself, where every failure must be that refusal, and on a subclass that
# squashes its input into (0, 1) with a sigmoid, where every check must pass.


class _SquashedRBM(BernoulliRBM):
  """BernoulliRBM on sigmoid(X): lets check_estimator exercise everything but the range."""

  @staticmethod
  def _squash(X):
    """Squashes out-of-range dense input into [0, 1].

    sigmoid(X) for finite real dense input outside [0, 1]; anything else unchanged, so
    the checks of NaN, sparse and complex input still reach the estimator.
    """
    if sp.issparse(X) or not (hasattr(X, "__array__") or isinstance(X, list)):
      return X
    A = np.asarray(X)
    if A.dtype.kind not in "fiu" or A.size == 0 or not np.all(np.isfinite(A)):
      return X
    if A.min() >= 0 and A.max() <= 1:
      return X
    return 1 / (1 + np.exp(-A.astype(np.float32 if A.dtype == np.float32 else np.float64)))

  def fit(self, X, y=None):
    return super().fit(self._squash(X), y)

  def partial_fit(self, X, y=None):
    return super().partial_fit(self._squash(X), y)

  def transform(self, X):
    return super().transform(self._squash(X))

  def score_samples(self, X):
    return super().score_samples(self._squash(X))


# score_samples flips one random unit per row, chosen by row position (as scikit-learn's
# own BernoulliRBM, which fails the same two checks); squashing removes negative inputs.
_EXPECTED_SQUASHED = {
  "check_methods_sample_order_invariance": "stochastic score_samples, as sklearn's own RBM",
  "check_methods_subset_invariance": "stochastic score_samples, as sklearn's own RBM",
  "check_positive_only_tag_during_fit": "the test subclass squashes negative values away",
  "check_fit_non_negative": "the test subclass squashes negative values away",
}


def _run_checks(estimator, expected=None):
  from sklearn.utils.estimator_checks import check_estimator

  results = check_estimator(estimator, on_fail=None, expected_failed_checks=expected)
  failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"}
  passed = [r["check_name"] for r in results if r["status"] == "passed"]
  return failed, passed


@pytest.mark.slow
def test_sklearn_check_estimator_fails_only_on_data_outside_the_unit_interval():
  failed, passed = _run_checks(BernoulliRBM(n_iter=2, random_state=0))
  for name, message in failed.items():
    assert "needs data in [0, 1]" in message, f"{name}: {message}"
  assert len(passed) >= 20, passed


@pytest.mark.slow
def test_sklearn_check_estimator_passes_on_data_in_the_unit_interval():
  failed, passed = _run_checks(_SquashedRBM(n_iter=2, random_state=0), _EXPECTED_SQUASHED)
  assert not failed, failed
  assert len(passed) >= 40, passed


@pytest.fixture(scope="module")
def digits():
  x_train, y_train = load_digits("train")
  x_test, y_test = load_digits("test")
  return x_train.reshape(-1, 64), y_train, x_test.reshape(-1, 64), y_test


def test_pipeline_with_logistic_regression_matches_sklearn_rbm_accuracy(digits):
  """The fnn estimator's features classify as well as scikit-learn's.

  scikit-learn's RBM example (100 components, lr 0.06, 10 epochs, C=6000) on fnn's
  digits split: the fnn estimator's features give the same accuracy within 3 points.
  """
  x_train, y_train, x_test, y_test = digits
  scores = {}
  for name, rbm_cls in [("fnn", BernoulliRBM), ("sklearn", SklearnRBM)]:
    model = Pipeline(
      [
        (
          "rbm",
          rbm_cls(n_components=100, learning_rate=0.06, n_iter=10, batch_size=10, random_state=0),
        ),
        ("logistic", LogisticRegression(C=6000, max_iter=2000)),
      ]
    )
    scores[name] = model.fit(x_train, y_train).score(x_test, y_test)
  assert scores["fnn"] > 0.9, scores
  assert scores["fnn"] >= scores["sklearn"] - 0.03, scores


def test_score_samples_equals_sklearn_with_the_same_weights(digits, assert_close):
  x = (digits[0][:200] > 0.5).astype(np.float64)
  ours = BernoulliRBM(n_components=16, n_iter=1, random_state=4).fit(x)
  theirs = SklearnRBM(n_components=16, n_iter=0, random_state=4).fit(x)
  theirs.components_ = ours.components_.copy()
  theirs.intercept_hidden_ = ours.intercept_hidden_.copy()
  theirs.intercept_visible_ = ours.intercept_visible_.copy()
  # fnn computes in float32 and returns float64 arrays, as scikit-learn does
  assert_close(ours.score_samples(x), theirs.score_samples(x), dtype=np.float32)
  assert_close(ours.transform(x), theirs.transform(x), dtype=np.float32)


def test_partial_fit_equals_sklearns_update_on_a_deterministic_batch():
  """One update on all-zero data moves only the visible bias.

  With all-zero data and fresh chains, p(v|h=0) = sigmoid(0) draws are random, so
  compare the deterministic parts: the hidden-bias and weight updates from the data
  term are 0, and the visible-bias update is -lr * mean(v_neg) in [-lr, 0].
  """
  x = np.zeros((10, 5))
  est = BernoulliRBM(n_components=3, learning_rate=0.1, batch_size=10, random_state=0)
  before = SklearnRBM(n_components=3, n_iter=0, random_state=0).fit(x).components_
  est.partial_fit(x)
  assert est.components_.shape == (3, 5)
  assert est.h_samples_.shape == (10, 3)
  assert np.all(est.intercept_visible_ <= 0)
  assert np.all(est.intercept_visible_ >= -0.1)
  assert np.any(est.intercept_visible_ < 0)
  # W starts as sklearn's N(0, 0.01) draw for the same random_state (then moves by lr * grad).
  assert np.abs(est.components_ - before).max() < 0.1 * 1.0


def test_gibbs_returns_binary_samples_of_the_input_shape(digits):
  x = (digits[0][:50] > 0.5).astype(np.float64)
  est = BernoulliRBM(n_components=8, n_iter=1, random_state=0).fit(x)
  v = est.gibbs(x)
  assert v.shape == x.shape
  assert v.dtype == bool


def test_fit_rejects_data_outside_the_unit_interval():
  with pytest.raises(ValueError, match=r"needs data in \[0, 1\]"):
    BernoulliRBM(n_iter=1).fit(np.full((5, 4), 3.0))


def test_import_fnn_energy_works_without_sklearn(tmp_path):
  script = textwrap.dedent("""
      import sys
      class BlockSklearn:
        def find_spec(self, name, path=None, target=None):
          if name == "sklearn" or name.startswith("sklearn."):
            raise ImportError("scikit-learn is blocked in this test")
      sys.meta_path.insert(0, BlockSklearn())
      import fnn.energy
      from fnn.energy import rbm, partition
      assert "sklearn" not in sys.modules
      try:
        fnn.energy.BernoulliRBM
      except ImportError as e:
        print("estimator:", e)
      """)
  out = subprocess.run(
    [sys.executable, "-c", script],
    capture_output=True,
    text=True,
    cwd=str(__import__("pathlib").Path(__file__).parents[2]),
  )
  assert out.returncode == 0, out.stderr
  assert "needs scikit-learn" in out.stdout
