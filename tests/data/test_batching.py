import jax
import numpy as np

from fnn.data import iterate_batches


def test_iterate_batches_covers_each_row_once_in_the_key_order():
  x, y = np.arange(10), np.arange(10) * 2
  batches = list(iterate_batches(x, y, 4, key=jax.random.key(0)))
  assert [len(b[0]) for b in batches] == [4, 4, 2]
  order = np.concatenate([b[0] for b in batches])
  np.testing.assert_array_equal(order, np.asarray(jax.random.permutation(jax.random.key(0), 10)))
  np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), order * 2)
  assert len(list(iterate_batches(x, y, 4, drop_remainder=True))) == 2
