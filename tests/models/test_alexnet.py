import jax
import jax.numpy as jnp
import numpy as np
import pytest

import fnn
from fnn import models


def _abstract(model, shape):
  """(params, state) as ShapeDtypeStructs: nothing is allocated."""
  return jax.eval_shape(lambda k: model.init(k, shape)[:2], jax.random.key(0))


def _count(tree):
  return sum(int(np.prod(a.shape)) for a in jax.tree.leaves(tree))


def test_alexnet_has_torchvisions_61100840_parameters_with_or_without_lrn():
  # torchvision.models.AlexNet_Weights.IMAGENET1K_V1.meta["num_params"] == 61100840
  for model in (models.alexnet(), models.alexnet(lrn=True)):
    assert _count(_abstract(model, (1, 224, 224, 3))[0]) == 61_100_840


def test_alexnet_forward_shape_under_eval_shape():
  model = models.alexnet()
  params, state = _abstract(model, (1, 224, 224, 3))
  y = jax.eval_shape(
    lambda p, s, x: model.apply(p, s, x)[0],
    params,
    state,
    jax.ShapeDtypeStruct((2, 224, 224, 3), jnp.float32),
  )
  assert y.shape == (2, 1000)


def test_alexnet_lrn_follows_the_first_two_relus_before_their_pools():
  rows = {r.path: r.name for r in fnn.summary(models.alexnet(lrn=True), (1, 224, 224, 3)).rows}
  assert rows["features.1"] == rows["features.5"] == "Relu()"
  assert rows["features.2"].startswith("LocalResponseNorm(5, alpha=0.0005, beta=0.75, k=2.0)")
  assert rows["features.6"].startswith("LocalResponseNorm(5")
  assert rows["features.3"].startswith("MaxPool")
  assert rows["features.7"].startswith("MaxPool")


def test_alexnet_small_takes_32x32_images():
  assert fnn.output_shape(models.alexnet(10, small=True), (1, 32, 32, 3)) == (1, 10)
  with pytest.raises(ValueError, match="alexnet: width must be a positive number"):
    models.alexnet(width=0)
