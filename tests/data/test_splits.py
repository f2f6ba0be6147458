import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.data import balanced_subset, split
from fnn.layers import RNNInput


def test_split_with_a_seed_is_the_seeded_numpy_permutation_cut_from_the_end():
  """The selection experiments/_digits.holdout made (regularization, hparam_search)."""
  x, y = np.arange(1437 * 2).reshape(1437, 2), np.arange(1437) % 10
  for fraction, seed in [(300 / 1437, 0), (0.2, 3)]:
    order = np.random.default_rng(seed).permutation(1437)
    cut = 1437 - round(fraction * 1437)
    (xt, _yt), (_xv, yv) = split(x, y, fractions=(1 - fraction, fraction), seed=seed)
    np.testing.assert_array_equal(xt, x[order[:cut]])
    np.testing.assert_array_equal(yv, y[order[cut:]])


def test_split_without_a_seed_keeps_the_order_and_the_last_part_is_the_tail():
  """Fit's validation_split: the last round(f * n) rows, unshuffled (as Keras)."""
  x = jnp.arange(10.0)[:, None]
  (train,), (val,) = split(x, fractions=(0.75, 0.25))
  np.testing.assert_array_equal(val[:, 0], [8.0, 9.0])  # round(2.5) = 2 rows
  np.testing.assert_array_equal(train[:, 0], np.arange(8.0))
  assert isinstance(val, jax.Array)  # arrays keep their type
  (tr, _), (va, _) = split(np.arange(5), np.arange(5), fractions=(1.0, 0.0))
  assert len(tr) == 5
  assert len(va) == 0


def test_split_takes_pytrees_such_as_an_rnn_input():
  inputs = RNNInput(np.zeros((6, 4, 2)), np.arange(6))
  (_x_train, _y_train), (x_val, y_val) = split(inputs, np.arange(6) * 10, fractions=(0.5, 0.5))
  assert isinstance(x_val, RNNInput)
  assert x_val.carry is None
  np.testing.assert_array_equal(x_val.lengths, [3, 4, 5])
  np.testing.assert_array_equal(y_val, [30, 40, 50])


def test_three_way_stratified_split_keeps_class_proportions_and_uses_every_row_once():
  y = np.repeat(np.arange(3), [100, 60, 40]).astype(np.int32)
  x = np.arange(200)
  (xtr, ytr), (xva, yva), (xte, _yte) = split(x, y, fractions=(0.6, 0.2, 0.2), seed=0, stratify=y)
  np.testing.assert_array_equal(np.sort(np.concatenate([xtr, xva, xte])), x)
  np.testing.assert_array_equal(np.bincount(yva), [20, 12, 8])
  np.testing.assert_array_equal(np.bincount(ytr), [60, 36, 24])
  np.testing.assert_array_equal(y[xtr], ytr)
  assert not np.all(np.diff(ytr) >= 0)  # classes interleaved, not grouped


def test_split_rejects_bad_fractions_rows_and_seeds():
  with pytest.raises(
    ValueError,
    match=r"data.split: fractions must be two or more non-negative "
    r"numbers summing to 1, got \(0.5, 0.2, 0.2\)",
  ):
    split(np.arange(10), fractions=(0.5, 0.2, 0.2))
  with pytest.raises(
    ValueError,
    match=r"data.split: the arrays must share their leading axis "
    r"\(rows\), got sizes \[3, 4\]",
  ):
    split(np.arange(3), np.arange(4), fractions=(0.5, 0.5))
  with pytest.raises(
    TypeError,
    match=r"data.split: seed must be an int or a "
    r"numpy.random.Generator, got .*jax.random key",
  ):
    split(np.arange(4), fractions=(0.5, 0.5), seed=jax.random.key(0))


def test_balanced_subset_is_the_per_class_numpy_draw_the_experiments_made():
  y = np.repeat(np.arange(10), 20)[np.random.default_rng(5).permutation(200)]
  for seed in (0, 3007):
    rng = np.random.default_rng(seed)
    want = np.concatenate([rng.choice(np.flatnonzero(y == c), 3, replace=False) for c in range(10)])
    np.testing.assert_array_equal(balanced_subset(y, 3, seed=seed), want)
  idx = balanced_subset(y, 3, seed=np.random.default_rng(1))
  np.testing.assert_array_equal(np.bincount(y[idx]), [3] * 10)
  assert len(set(idx)) == 30
  np.testing.assert_array_equal(np.unique(y[balanced_subset(y, 2, seed=0, classes=[4, 7])]), [4, 7])


def test_balanced_subset_names_a_class_with_too_few_examples():
  with pytest.raises(
    ValueError,
    match=r"data.balanced_subset: class 1 has 2 examples, fewer "
    r"than per_class=3",
  ):
    balanced_subset(np.array([0, 0, 0, 1, 1]), 3, seed=0)
