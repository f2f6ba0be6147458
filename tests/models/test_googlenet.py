import jax
import jax.numpy as jnp
import numpy as np
import pytest

import fnn
from fnn import models
from fnn.layers import Conv, MaxPool
from fnn.models.googlenet import concat_branches, conv_unit


def _abstract(model, shape):
  """(params, state) as ShapeDtypeStructs: nothing is allocated."""
  return jax.eval_shape(lambda k: model.init(k, shape)[:2], jax.random.key(0))


def _count(tree):
  return sum(int(np.prod(a.shape)) for a in jax.tree.leaves(tree))


def test_googlenet_has_torchvisions_6624904_parameters():
  # torchvision.models.GoogLeNet_Weights.IMAGENET1K_V1.meta["num_params"] == 6624904
  # (without the auxiliary classifiers, which torchvision drops from the pretrained model)
  assert _count(_abstract(models.googlenet(), (1, 224, 224, 3))[0]) == 6_624_904


def test_googlenet_forward_shape_under_eval_shape():
  model = models.googlenet()
  params, state = _abstract(model, (1, 224, 224, 3))
  y = jax.eval_shape(
    lambda p, s, x: model.apply(p, s, x)[0],
    params,
    state,
    jax.ShapeDtypeStruct((2, 224, 224, 3), jnp.float32),
  )
  assert y.shape == (2, 1000)


def test_googlenet_reaches_inception5b_at_7x7_as_torchvision():
  rows = {r.path: r.output_shape for r in fnn.summary(models.googlenet(), (1, 224, 224, 3)).rows}
  assert rows["maxpool1"] == (1, 56, 56, 64)
  assert rows["maxpool2"] == (1, 28, 28, 192)
  assert rows["inception3b"] == (1, 28, 28, 480)
  assert rows["inception4e"] == (1, 14, 14, 832)
  assert rows["inception5b"] == (1, 7, 7, 1024)


def test_inception_block_concatenates_four_branches_with_the_papers_5x5():
  # Szegedy et al. (2015), Table 1, inception (3a): 64 + 128 + 32 + 32 = 256 channels.
  block = models.inception_block(64, 96, 128, 16, 32, 32)
  params, _ = _abstract(block, (1, 28, 28, 192))
  assert fnn.output_shape(block, (1, 28, 28, 192)) == (1, 28, 28, 256)
  assert list(params) == ["branch1", "branch2", "branch3", "branch4"]
  assert params["branch3"][1]["conv"]["w"].shape == (5, 5, 16, 32)
  assert params["branch4"][0] == {}
  assert params["branch4"][1]["conv"]["w"].shape == (1, 1, 192, 32)
  plain, _ = _abstract(models.inception_block(1, 1, 1, 1, 1, 1, batch_norm=False), (1, 4, 4, 2))
  assert set(plain["branch1"]) == {"conv", "relu"}
  assert "b" in plain["branch1"]["conv"]


def test_concat_branches_rejects_branches_of_different_spatial_sizes():
  layer = concat_branches(("a", Conv(2, 3)), ("b", MaxPool((2, 2))))
  with pytest.raises(fnn.ShapeError, match=r"concat_branches\(a, b\): the branches' outputs"):
    layer.init(jax.random.key(0), (1, 4, 4, 3))
  with pytest.raises(fnn.ShapeError, match=r"concat_branches\(a, b\) 'a': Conv"):
    layer.init(jax.random.key(0), (1, 4))


def test_conv_unit_batchnorm_tracks_statistics_at_torchvisions_rate():
  unit = conv_unit(4, 3, padding=1)
  x = jax.random.normal(jax.random.key(1), (4, 6, 6, 3)) + 2.0
  params, state, _ = unit.init(jax.random.key(0), x.shape)
  _, new_state = unit.apply(params, state, x, train=True)
  pre_bn, _ = Conv(4, (3, 3), padding=1, use_bias=False).apply(params["conv"], {}, x)
  np.testing.assert_allclose(new_state["bn"]["mean"], 0.1 * pre_bn.mean(axis=(0, 1, 2)), rtol=1e-5)
