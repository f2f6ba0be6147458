import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import models
from fnn.layers import Conv


def _count(params):
  return sum(int(np.prod(x.shape)) for x in jax.tree.leaves(params))


def test_lenet5_has_the_classic_61706_parameters():
  # conv1 156 + conv2 2416 + fc1 48120 + fc2 10164 + out 850
  params, _, shape = models.lenet5().init(jax.random.key(0), (1, 28, 28, 1))
  assert _count(params) == 61706
  assert shape == (1, 10)
  assert params["conv2"]["w"].shape == (5, 5, 6, 16)
  params32, _, _ = models.lenet5(conv1_padding="VALID").init(jax.random.key(0), (1, 32, 32, 1))
  assert _count(params32) == 61706


def test_lenet5_matches_pytorch_with_the_same_weights(assert_close):
  torch = pytest.importorskip("torch")
  model = models.lenet5()
  params, state, _ = model.init(jax.random.key(0), (1, 28, 28, 1))
  x = np.random.default_rng(0).normal(size=(3, 28, 28, 1)).astype(np.float32)
  y, _ = model.apply(params, state, jnp.asarray(x))
  t = torch.nn.Sequential(
    torch.nn.Conv2d(1, 6, 5, padding=2),
    torch.nn.ReLU(),
    torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(6, 16, 5),
    torch.nn.ReLU(),
    torch.nn.MaxPool2d(2),
    torch.nn.Flatten(),
    torch.nn.Linear(400, 120),
    torch.nn.ReLU(),
    torch.nn.Linear(120, 84),
    torch.nn.ReLU(),
    torch.nn.Linear(84, 10),
  )
  with torch.no_grad():
    for i, name in ((0, "conv1"), (3, "conv2")):  # HWIO -> OIHW
      t[i].weight.copy_(
        torch.from_numpy(np.asarray(params[name]["w"]).transpose(3, 2, 0, 1).copy())
      )
      t[i].bias.copy_(torch.from_numpy(np.array(params[name]["b"])))
    # fnn flattens (H, W, C); torch flattens (C, H, W): permute fc1's rows to match
    w1 = (
      np.asarray(params["fc1"]["w"]).reshape(5, 5, 16, 120).transpose(2, 0, 1, 3).reshape(400, 120)
    )
    for i, name, w in ((7, "fc1", w1), (9, "fc2", None), (11, "out", None)):
      t[i].weight.copy_(
        torch.from_numpy(np.asarray(w if w is not None else params[name]["w"]).T.copy())
      )
      t[i].bias.copy_(torch.from_numpy(np.array(params[name]["b"])))
    ref = t(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
  assert_close(y, ref)


def test_resnet20_has_the_published_parameter_count():
  # He et al. (2016), Table 6: ResNet-20 for CIFAR-10 has 0.27M parameters.
  params, _, shape = models.resnet(10, blocks_per_stage=3).init(jax.random.key(0), (1, 32, 32, 3))
  assert shape == (1, 10)
  assert 0.26e6 < _count(params) < 0.28e6


def test_basic_block_uses_identity_or_projection_shortcut_by_shape():
  block = models.basic_block(8)
  same, _, _ = block.init(jax.random.key(0), (1, 6, 6, 8))
  assert same[0]["shortcut"] == {}
  proj, state, shape = models.basic_block(8, stride=2).init(jax.random.key(0), (1, 6, 6, 4))
  assert proj[0]["shortcut"][0]["w"].shape == (1, 1, 4, 8)
  assert shape == (1, 3, 3, 8)
  y, new_state = models.basic_block(8, stride=2).apply(
    proj, state, jnp.ones((2, 6, 6, 4)), train=True
  )
  assert y.shape == (2, 3, 3, 8)
  assert bool(jnp.all(y >= 0))
  assert jax.tree.structure(new_state) == jax.tree.structure(state)


def test_vgg_block_halves_the_spatial_size():
  _, _, shape = models.vgg_block(16, 3).init(jax.random.key(0), (1, 8, 8, 3))
  assert shape == (1, 4, 4, 16)


def test_zoo_batchnorms_track_statistics_at_torchvisions_rate():
  # PyTorch's BatchNorm momentum 0.1: running = 0.9 running + 0.1 batch (fnn's default 0.99).
  x = jax.random.normal(jax.random.key(1), (4, 6, 6, 3)) + 2.0
  block = models.vgg_block(5, 1, batch_norm=True)
  params, state, _ = block.init(jax.random.key(0), x.shape)
  _, new_state = block.apply(params, state, x, train=True)
  pre_bn, _ = Conv(5, (3, 3), use_bias=False).apply(params[0], {}, x)
  np.testing.assert_allclose(new_state[1]["mean"], 0.1 * pre_bn.mean(axis=(0, 1, 2)), rtol=1e-5)
