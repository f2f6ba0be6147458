"""Multi-layer perceptron."""

from collections.abc import Callable, Sequence

import jax

from fnn import initializers
from fnn.core import Layer, PyTree, Shape, named_serial
from fnn.initializers import Initializer
from fnn.layers import Dense, Dropout, Relu


def mlp(
  in_features: int,
  hidden: Sequence[int],
  out_features: int,
  *,
  activation: Callable[[], Layer] = Relu,
  dropout: float = 0.0,
  w_init: Initializer = initializers.lecun_normal,
) -> Layer:
  """``Dense -> activation [-> Dropout]`` per hidden size, then a final ``Dense``.

  Args:
    in_features: input size (checked at ``init``; the input is ``(N, in_features)``).
    hidden: hidden layer sizes, e.g. ``[256, 256]``.
    out_features: output size (logits, no final activation).
    activation: a layer constructor, called once per hidden layer (default ``Relu``).
    dropout: drop probability after each hidden activation (0 = no Dropout layer).
    w_init: weight initializer for every Dense.

  Returns:
    A ``named_serial`` Layer with children ``fc1, act1, [drop1,] ..., out``; params
    are ``{'fc1': {'w': (in, h1), 'b': (h1,)}, ..., 'out': {...}}``.
  """
  if not isinstance(in_features, int) or in_features < 1:
    raise ValueError(f"mlp: in_features must be a positive int, got {in_features!r}")
  children = []
  for i, h in enumerate(hidden, start=1):
    children.append((f"fc{i}", Dense(h, w_init=w_init)))
    children.append((f"act{i}", activation()))
    if dropout:
      children.append((f"drop{i}", Dropout(dropout)))
  children.append(("out", Dense(out_features, w_init=w_init)))
  model = named_serial(*children)

  def init(key: jax.Array | None, input_shape: Shape) -> tuple[PyTree, PyTree, Shape]:
    if len(input_shape) != 2 or input_shape[-1] != in_features:
      from fnn.core import ShapeError

      raise ShapeError(
        f"mlp({in_features}, {list(hidden)}, {out_features}): expected input "
        f"(N, {in_features}), got shape {tuple(input_shape)}"
      )
    return model.init(key, input_shape)

  return Layer(init, model.apply, f"mlp({in_features}, {list(hidden)}, {out_features})")
