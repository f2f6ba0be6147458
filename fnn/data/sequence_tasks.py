"""Synthetic sequence tasks for recurrent networks: the adding problem and the copy task.

Both are classic tests of long-range memory (Hochreiter & Schmidhuber 1997; Arjovsky et
al. 2016): the answer depends on inputs far back in the sequence, so a network only
solves them if gradients survive that many steps of BPTT.
"""

import jax
import jax.numpy as jnp


def adding_problem(key: jax.Array, n: int, length: int):
  """The adding problem: sum the two marked values of a random sequence.

  Each sequence has ``length`` steps of two features: a value drawn from U(0, 1) and a
  marker that is 1 at exactly two steps (one in the first half, one in the second) and
  0 elsewhere. The target is the sum of the two marked values, so always answering its
  mean, 1.0, gives MSE = Var = 2/12 ≈ 0.167, the baseline to beat; "solved" is
  MSE < 0.01.

  Args:
    key: a PRNG key.
    n: number of sequences.
    length: steps per sequence ``T`` (at least 2).

  Returns:
    ``(x, y)``: float32 ``(n, T, 2)`` and ``(n, 1)``.
  """
  if not isinstance(length, int) or length < 2:
    raise ValueError(f"adding_problem: length must be an int >= 2, got {length!r}")
  k_val, k_first, k_second = jax.random.split(key, 3)
  values = jax.random.uniform(k_val, (n, length))
  half = length // 2
  first = jax.random.randint(k_first, (n,), 0, half)
  second = jax.random.randint(k_second, (n,), half, length)
  steps = jnp.arange(length)
  marker = ((steps == first[:, None]) | (steps == second[:, None])).astype(jnp.float32)
  x = jnp.stack([values, marker], axis=-1)
  y = jnp.sum(values * marker, axis=1, keepdims=True)
  return x, y


def copy_task(key: jax.Array, n: int, delay: int, *, length: int = 10, symbols: int = 8):
  """The copy task: read ``length`` symbols, wait ``delay`` steps, then write them back.

  Input steps (``T = length + delay + length``): the symbols (one-hot), then ``delay - 1``
  blanks, one "go" marker, then ``length`` blanks. The target is the blank class until
  the last ``length`` steps, which must reproduce the symbols in order. A network that
  has forgotten them can do no better than chance (1/symbols) on those steps.

  Args:
    key: a PRNG key.
    n: number of sequences.
    delay: steps between the end of the symbols and the first answer (>= 1).
    length: symbols to remember.
    symbols: alphabet size; classes are ``0..symbols-1`` plus blank = ``symbols`` and
      go = ``symbols + 1`` (inputs are one-hot over ``symbols + 2``).

  Returns:
    ``(x, y)``: float32 one-hot ``(n, T, symbols + 2)`` and int32 classes ``(n, T)``
    (targets are ``0..symbols``).
  """
  if not isinstance(delay, int) or delay < 1:
    raise ValueError(f"copy_task: delay must be an int >= 1, got {delay!r}")
  blank, go = symbols, symbols + 1
  seq = jax.random.randint(key, (n, length), 0, symbols)
  pad = jnp.full((n, delay - 1), blank)
  answer_wait = jnp.full((n, length), blank)
  inputs = jnp.concatenate([seq, pad, jnp.full((n, 1), go), answer_wait], axis=1)
  targets = jnp.concatenate([jnp.full((n, length + delay), blank), seq], axis=1)
  return jax.nn.one_hot(inputs, symbols + 2), targets.astype(jnp.int32)
