import jax
import numpy as np
import pytest

from fnn.data.sequence_tasks import adding_problem, copy_task


def test_adding_problem_marks_one_step_per_half_and_sums_their_values():
  x, y = adding_problem(jax.random.key(0), 500, 30)
  x, y = np.asarray(x), np.asarray(y)
  marker = x[:, :, 1]
  assert set(np.unique(marker)) == {0.0, 1.0}
  np.testing.assert_array_equal(marker[:, :15].sum(1), 1)
  np.testing.assert_array_equal(marker[:, 15:].sum(1), 1)
  np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * marker).sum(1), rtol=1e-6)
  # The always-1.0 baseline: Var(U + U') = 1/6.
  assert abs(np.mean((1.0 - y) ** 2) - 1 / 6) < 0.03


def test_copy_task_answers_are_the_symbols_after_the_go_marker():
  length, delay, symbols = 4, 6, 5
  x, y = copy_task(jax.random.key(1), 50, delay, length=length, symbols=symbols)
  x, y = np.asarray(x), np.asarray(y)
  classes = x.argmax(-1)
  assert x.shape == (50, 2 * length + delay, symbols + 2)
  np.testing.assert_array_equal(y[:, -length:], classes[:, :length])
  np.testing.assert_array_equal(classes[:, length + delay - 1], symbols + 1)  # go
  np.testing.assert_array_equal(y[:, :-length], symbols)  # blank until the answer


def test_sequence_tasks_reject_bad_sizes():
  with pytest.raises(ValueError, match="length must be an int >= 2, got 1"):
    adding_problem(jax.random.key(0), 4, 1)
  with pytest.raises(ValueError, match="delay must be an int >= 1, got 0"):
    copy_task(jax.random.key(0), 4, 0)
