import jax
import jax.numpy as jnp
import numpy as np
from sklearn import metrics as skm

from fnn import metrics


def _data():
  rng = np.random.default_rng(0)
  logits = rng.normal(size=(50, 6)).astype(np.float32)
  labels = rng.integers(0, 6, 50)
  return logits, labels


def test_accuracy_matches_sklearn():
  logits, labels = _data()
  ref = skm.accuracy_score(labels, logits.argmax(-1))
  np.testing.assert_allclose(
    metrics.accuracy(jnp.asarray(logits), jnp.asarray(labels)), ref, rtol=1e-6
  )


def test_top_k_accuracy_matches_sklearn():
  logits, labels = _data()
  for k in (1, 2, 3):
    ref = skm.top_k_accuracy_score(labels, logits, k=k, labels=np.arange(6))
    np.testing.assert_allclose(metrics.top_k_accuracy(logits, labels, k), ref, rtol=1e-6)


def test_confusion_matrix_matches_sklearn():
  logits, labels = _data()
  ref = skm.confusion_matrix(labels, logits.argmax(-1), labels=np.arange(6))
  np.testing.assert_array_equal(metrics.confusion_matrix(logits, labels, 6), ref)
  np.testing.assert_array_equal(
    jax.jit(metrics.confusion_matrix, static_argnums=2)(logits, labels, 6), ref
  )
