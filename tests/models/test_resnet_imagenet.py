import jax
import jax.numpy as jnp
import numpy as np

import fnn
from fnn import models


def _abstract(model, shape):
  """(params, state) as ShapeDtypeStructs: nothing is allocated."""
  return jax.eval_shape(lambda k: model.init(k, shape)[:2], jax.random.key(0))


def _count(tree):
  return sum(int(np.prod(a.shape)) for a in jax.tree.leaves(tree))


def test_resnet18_and_34_have_torchvisions_parameter_counts():
  # torchvision.models.ResNet{18,34}_Weights.IMAGENET1K_V1.meta["num_params"]
  assert _count(_abstract(models.resnet18(), (1, 224, 224, 3))[0]) == 11_689_512
  assert _count(_abstract(models.resnet34(), (1, 224, 224, 3))[0]) == 21_797_672


def test_resnet18_forward_shape_under_eval_shape():
  model = models.resnet18()
  params, state = _abstract(model, (1, 224, 224, 3))
  y = jax.eval_shape(
    lambda p, s, x: model.apply(p, s, x, train=True)[0],
    params,
    state,
    jax.ShapeDtypeStruct((2, 224, 224, 3), jnp.float32),
  )
  assert y.shape == (2, 1000)


def test_resnet18_stages_halve_the_map_from_56_to_7():
  rows = {r.path: r.output_shape for r in fnn.summary(models.resnet18(), (1, 224, 224, 3)).rows}
  assert [rows[f"layer{i}"] for i in range(1, 5)] == [
    (1, 56, 56, 64),
    (1, 28, 28, 128),
    (1, 14, 14, 256),
    (1, 7, 7, 512),
  ]
  assert rows["layer2.0.0.shortcut.0"] == (1, 28, 28, 128)  # the 1x1 projection


def test_resnet18_small_keeps_32x32_until_layer2():
  summary = fnn.summary(models.resnet18(10, small=True), (1, 32, 32, 3))
  rows = {r.path: r.output_shape for r in summary.rows}
  assert rows["layer1"] == (1, 32, 32, 64)
  assert rows["layer4"] == (1, 4, 4, 512)
  assert "maxpool" not in rows
