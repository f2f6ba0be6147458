import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import models


def _abstract(model, shape):
  """(params, state) as ShapeDtypeStructs: nothing is allocated."""
  return jax.eval_shape(lambda k: model.init(k, shape)[:2], jax.random.key(0))


def _count(tree):
  return sum(int(np.prod(a.shape)) for a in jax.tree.leaves(tree))


@pytest.mark.parametrize(
  ("depth", "count"),
  [
    # torchvision.models.VGG{11,13,16,19}_Weights.IMAGENET1K_V1.meta["num_params"]
    (11, 132_863_336),
    (13, 133_047_848),
    (16, 138_357_544),
    (19, 143_667_240),
  ],
)
def test_vgg_has_torchvisions_parameter_counts(depth, count):
  assert _count(_abstract(models.vgg(depth), (1, 224, 224, 3))[0]) == count


def test_vgg16_batch_norm_drops_the_conv_biases_of_torchvisions_vgg16_bn():
  # torchvision's vgg16_bn has 138,365,992; its 13 conv biases hold 4,224 of them.
  count = _count(_abstract(models.vgg(16, batch_norm=True), (1, 224, 224, 3))[0])
  assert count == 138_365_992 - (2 * 64 + 2 * 128 + 3 * 256 + 6 * 512)


def test_vgg16_forward_shape_under_eval_shape():
  model = models.vgg(16)
  params, state = _abstract(model, (1, 224, 224, 3))
  y = jax.eval_shape(
    lambda p, s, x: model.apply(p, s, x)[0],
    params,
    state,
    jax.ShapeDtypeStruct((2, 224, 224, 3), jnp.float32),
  )
  assert y.shape == (2, 1000)


def test_vgg_rejects_an_unknown_depth():
  with pytest.raises(ValueError, match=r"vgg: depth must be one of \[11, 13, 16, 19\]"):
    models.vgg(15)
