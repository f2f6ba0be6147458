import jax
import jax.numpy as jnp
import pytest

import fnn
from fnn.layers import Dense, Relu


def test_serial_error_names_the_path_and_both_shapes():
  model = fnn.named_serial(("fc1", Dense(8)), ("act", Relu()), ("fc2", Dense(3)))
  params, state, _ = model.init(jax.random.key(0), (1, 5))
  with pytest.raises(fnn.ShapeError, match=r"named_serial\[0\] 'fc1' Dense\(8\): expected x\[\.\.\., 5\], got shape \(4, 6\)"):
    model.apply(params, state, jnp.ones((4, 6)))
