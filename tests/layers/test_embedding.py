import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from fnn.layers import Embedding


def test_embedding_matches_flax_linen_embed():
  layer = Embedding(11, 4)
  params, state, out_shape = layer.init(jax.random.key(0), (1, 7))
  ids = jax.random.randint(jax.random.key(1), (3, 7), 0, 11)
  y, _ = layer.apply(params, state, ids)
  ref = nn.Embed(11, 4).apply({"params": params}, ids)
  np.testing.assert_allclose(y, ref)
  assert out_shape == (1, 7, 4)
  assert y.shape == (3, 7, 4)


def test_embedding_gradient_accumulates_repeated_ids():
  layer = Embedding(5, 2)
  params, state, _ = layer.init(jax.random.key(0), (1, 3))
  grads = jax.grad(lambda p: layer.apply(p, state, jnp.array([[1, 1, 3]]))[0].sum())(params)
  np.testing.assert_allclose(grads["embedding"][:, 0], [0, 2, 0, 1, 0])
