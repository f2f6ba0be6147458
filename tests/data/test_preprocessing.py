import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from fnn.data import min_max_scale, one_hot, pca_whiten, standardize


def _data(n=200, d=5, seed=0):
  rng = np.random.default_rng(seed)
  return (rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + 3).astype(np.float32)


def test_standardize_matches_scikit_learn_with_training_statistics():
  train, test = _data(), _data(50, seed=1)
  scaler = StandardScaler().fit(train)
  got_train, got_test = standardize(train, test)
  np.testing.assert_allclose(got_train, scaler.transform(train), atol=1e-5)
  np.testing.assert_allclose(got_test, scaler.transform(test), atol=1e-5)


def test_min_max_scale_matches_scikit_learn():
  train, test = _data(), _data(50, seed=1)
  scaler = MinMaxScaler((-1, 1)).fit(train)
  got_train, got_test = min_max_scale(train, test, feature_range=(-1, 1))
  np.testing.assert_allclose(got_train, scaler.transform(train), atol=1e-5)
  np.testing.assert_allclose(got_test, scaler.transform(test), atol=1e-5)


def test_pca_whiten_matches_scikit_learn_up_to_component_signs():
  train, test = _data(), _data(50, seed=1)
  got_train, got_test = pca_whiten(train, test, n_components=3, eps=0)
  pca = PCA(3, whiten=True).fit(train)
  ref_train, ref_test = pca.transform(train), pca.transform(test)
  signs = np.sign(np.sum(got_train * ref_train, axis=0))
  np.testing.assert_allclose(got_train * signs, ref_train, atol=1e-3)
  np.testing.assert_allclose(got_test * signs, ref_test, atol=1e-3)
  np.testing.assert_allclose(np.cov(got_train.T), np.eye(3), atol=1e-4)


def test_one_hot_rows_and_range_check():
  np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
  with pytest.raises(ValueError, match=r"labels must be in \[0, 3\), got values in \[0, 3\]"):
    one_hot(np.array([0, 3]), 3)
