"""fnn <-> PyTorch weight exchange: per layer type and for whole models.

LeNet-5 and the zoo are checked against torchvision's layouts, written out here from
torch.nn, so torchvision is not needed.
"""

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import fnn
from fnn import interop, models
from fnn import layers as L
from fnn.energy.hopfield import Hopfield

torch = pytest.importorskip("torch")
nn = torch.nn
TOL = dict(rtol=100 * np.finfo(np.float32).eps, atol=100 * np.finfo(np.float32).eps)


def _abstract(model, shape):
  return jax.eval_shape(lambda k: model.init(k, shape)[:2], jax.random.key(0))


def _random_like(tree, seed):
  """Random values in the layout of ``tree``.

  Weights are scaled by 1/sqrt(fan-in) and running variances are positive. Faster than
  ``init`` for big models, and no value is a default.
  """
  rng = np.random.default_rng(seed)

  def fill(path, a):
    if getattr(path[-1], "key", None) == "var":
      return jnp.asarray(rng.uniform(0.5, 1.5, a.shape), a.dtype)
    fan_in = int(np.prod(a.shape[:-1])) if len(a.shape) >= 2 else 4
    return jnp.asarray(rng.normal(size=a.shape) / np.sqrt(fan_in), a.dtype)

  return jax.tree_util.tree_map_with_path(fill, tree)


def _model_with_values(model, shape, seed=0):
  return _random_like(_abstract(model, shape), seed)


def _channels_first(x):
  return np.moveaxis(x, -1, 1) if x.ndim >= 3 else x


def _torch_run(module, x, channels_first):
  with torch.no_grad():
    y = module(torch.from_numpy(np.ascontiguousarray(_channels_first(x) if channels_first else x)))
  y = (y[0] if isinstance(y, tuple) else y).numpy()
  return np.moveaxis(y, 1, -1) if channels_first and y.ndim >= 3 else y


def _randomise_torch(module, seed):
  gen = torch.Generator().manual_seed(seed)
  with torch.no_grad():
    for tensor in module.state_dict().values():
      if tensor.is_floating_point():
        tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)  # > 0: var stays valid
  return module


# name -> (fnn layer, input shape, input dtype, torch module, channels-first input)
LAYERS = {
  "Dense": (L.Dense(3), (2, 5), "float32", lambda: nn.Linear(5, 3), False),
  "Dense_rank3_no_bias": (
    L.Dense(3, use_bias=False),
    (2, 4, 5),
    "float32",
    lambda: nn.Linear(5, 3, bias=False),
    False,
  ),
  "Conv2d": (
    L.Conv(4, (3, 3), padding=1),
    (2, 6, 5, 3),
    "float32",
    lambda: nn.Conv2d(3, 4, 3, padding=1),
    True,
  ),
  "Conv1d_grouped_strided": (
    L.Conv(4, 3, stride=2, padding="VALID", groups=2),
    (2, 9, 4),
    "float32",
    lambda: nn.Conv1d(4, 4, 3, stride=2, groups=2),
    True,
  ),
  "Conv3d": (
    L.Conv(2, (2, 2, 2), padding="VALID"),
    (1, 3, 4, 4, 2),
    "float32",
    lambda: nn.Conv3d(2, 2, 2),
    True,
  ),
  "ConvTranspose2d_valid": (
    L.ConvTranspose(3, (3, 3), stride=2, padding="VALID"),
    (2, 4, 5, 2),
    "float32",
    lambda: nn.ConvTranspose2d(2, 3, 3, stride=2),
    True,
  ),
  "ConvTranspose2d_same_k4": (
    L.ConvTranspose(3, (4, 4), stride=2),
    (2, 4, 4, 2),
    "float32",
    lambda: nn.ConvTranspose2d(2, 3, 4, stride=2, padding=1),
    True,
  ),
  "BatchNorm_eval": (L.BatchNorm(), (4, 3, 3, 2), "float32", lambda: nn.BatchNorm2d(2), True),
  "LayerNorm": (L.LayerNorm(), (2, 4, 5), "float32", lambda: nn.LayerNorm(5), False),
  "Embedding": (L.Embedding(7, 4), (3, 5), "int32", lambda: nn.Embedding(7, 4), False),
  "LSTM": (
    L.RNN(L.LSTMCell(3)),
    (2, 5, 2),
    "float32",
    lambda: nn.LSTM(2, 3, batch_first=True),
    False,
  ),
  "GRU": (L.RNN(L.GRUCell(3)), (2, 5, 2), "float32", lambda: nn.GRU(2, 3, batch_first=True), False),
  "SimpleRNN": (
    L.RNN(L.SimpleRNNCell(3)),
    (2, 5, 2),
    "float32",
    lambda: nn.RNN(2, 3, batch_first=True),
    False,
  ),
  "Bidirectional_LSTM": (
    L.Bidirectional(L.LSTMCell(3)),
    (2, 5, 2),
    "float32",
    lambda: nn.LSTM(2, 3, batch_first=True, bidirectional=True),
    False,
  ),
}


def _input(shape, dtype, seed=1):
  rng = np.random.default_rng(seed)
  if dtype == "int32":
    return rng.integers(0, 7, shape).astype(np.int32)
  return rng.normal(size=shape).astype(np.float32)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_fnn_to_torch_to_fnn_is_the_identity(name):
  layer, shape, _, make_torch, _ = LAYERS[name]
  params, state = _model_with_values(layer, shape)
  exported = interop.to_torch_state_dict(layer, params, state, shape)
  module = make_torch()
  module.load_state_dict(exported)  # strict: the same keys and shapes as torch's own
  back_params, back_state = interop.from_torch_state_dict(layer, module.state_dict(), shape)
  for a, b in ((params, back_params), (state, back_state)):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=False):
      assert x.dtype == y.dtype
      np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_torch_module_with_exported_weights_gives_the_fnn_outputs(name):
  layer, shape, dtype, make_torch, channels_first = LAYERS[name]
  params, state = _model_with_values(layer, shape)
  module = make_torch().eval()
  module.load_state_dict(interop.to_torch_state_dict(layer, params, state, shape))
  x = _input(shape, dtype)
  y, _ = layer.apply(params, state, jnp.asarray(x))
  np.testing.assert_allclose(y, _torch_run(module, x, channels_first), **TOL)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_fnn_with_imported_torch_weights_gives_the_torch_outputs(name):
  # torch's own values, e.g. an LSTM's two nonzero biases, which fnn sums
  layer, shape, dtype, make_torch, channels_first = LAYERS[name]
  module = _randomise_torch(make_torch(), seed=2).eval()
  params, state = interop.from_torch_state_dict(layer, module.state_dict(), shape)
  x = _input(shape, dtype)
  y, _ = layer.apply(params, state, jnp.asarray(x))
  np.testing.assert_allclose(y, _torch_run(module, x, channels_first), **TOL)


def _torch_lenet5():
  return nn.Sequential(
    nn.Conv2d(1, 6, 5, padding=2),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(400, 120),
    nn.ReLU(),
    nn.Linear(120, 84),
    nn.ReLU(),
    nn.Linear(84, 10),
  )


def test_lenet5_exchanges_with_a_torch_sequential_matched_by_order():
  model, shape = models.lenet5(), (3, 28, 28, 1)
  params, state = _model_with_values(model, shape)
  reference = _torch_lenet5()
  names = interop.module_prefixes(reference.state_dict())
  assert names == ["0", "3", "7", "9", "11"]
  # fc1 follows the Flatten: its rows are permuted from (H, W, C) to (C, H, W) order
  reference.load_state_dict(interop.to_torch_state_dict(model, params, state, shape, names=names))
  x = _input(shape, "float32")
  y, _ = model.apply(params, state, jnp.asarray(x))
  np.testing.assert_allclose(y, _torch_run(reference, x, True), **TOL)
  back, _ = interop.from_torch_state_dict(model, reference.state_dict(), shape, names="order")
  jax.tree.map(np.testing.assert_array_equal, back, params)
  assert list(back)[:4] == ["conv1", "act1", "pool1", "conv2"]  # the order init gives


def _exchange_and_compare(model, shape, reference, names=None, seed=0):
  params, state = _model_with_values(model, shape, seed)
  reference.load_state_dict(interop.to_torch_state_dict(model, params, state, shape, names=names))
  x = _input(shape, "float32")
  y = jax.jit(lambda p, s, x: model.apply(p, s, x)[0])(params, state, jnp.asarray(x))
  np.testing.assert_allclose(y, _torch_run(reference.eval(), x, True), rtol=1e-4, atol=1e-4)


def _scaled(channels, width):
  return max(1, round(channels * width))


class _AlexNet(nn.Module):
  """torchvision/models/alexnet.py's AlexNet with channels scaled by ``width``."""

  def __init__(self, width, num_classes):
    super().__init__()
    c = [_scaled(n, width) for n in (64, 192, 384, 256, 256, 4096)]
    self.features = nn.Sequential(
      nn.Conv2d(3, c[0], 11, 4, 2),
      nn.ReLU(),
      nn.MaxPool2d(3, 2),
      nn.Conv2d(c[0], c[1], 5, padding=2),
      nn.ReLU(),
      nn.MaxPool2d(3, 2),
      nn.Conv2d(c[1], c[2], 3, padding=1),
      nn.ReLU(),
      nn.Conv2d(c[2], c[3], 3, padding=1),
      nn.ReLU(),
      nn.Conv2d(c[3], c[4], 3, padding=1),
      nn.ReLU(),
      nn.MaxPool2d(3, 2),
    )
    self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
    self.classifier = nn.Sequential(
      nn.Dropout(),
      nn.Linear(c[4] * 36, c[5]),
      nn.ReLU(),
      nn.Dropout(),
      nn.Linear(c[5], c[5]),
      nn.ReLU(),
      nn.Linear(c[5], num_classes),
    )

  def forward(self, x):
    return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def test_alexnet_loads_into_torchvisions_alexnet_by_name():
  _exchange_and_compare(models.alexnet(7, width=1 / 16), (2, 224, 224, 3), _AlexNet(1 / 16, 7))


def _torch_vgg11(width, num_classes):
  """torchvision/models/vgg.py's vgg11 (cfg "A", make_layers) with channels scaled."""
  layers, cin = [], 3
  for v in (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"):
    if v == "M":
      layers.append(nn.MaxPool2d(2, 2))
    else:
      layers += [nn.Conv2d(cin, _scaled(v, width), 3, padding=1), nn.ReLU()]
      cin = _scaled(v, width)
  hidden = _scaled(4096, width)
  return nn.Sequential(
    *layers,
    nn.AdaptiveAvgPool2d((7, 7)),
    nn.Flatten(),
    nn.Linear(cin * 49, hidden),
    nn.ReLU(),
    nn.Dropout(),
    nn.Linear(hidden, hidden),
    nn.ReLU(),
    nn.Dropout(),
    nn.Linear(hidden, num_classes),
  )


def test_vgg11_matches_torchvisions_vgg11_by_order():
  reference = _torch_vgg11(1 / 32, 5)
  _exchange_and_compare(
    models.vgg(11, 5, width=1 / 32),
    (2, 224, 224, 3),
    reference,
    names=interop.module_prefixes(reference.state_dict()),
  )


class _BasicConv2d(nn.Module):
  def __init__(self, cin, cout, **kwargs):
    super().__init__()
    self.conv = nn.Conv2d(cin, cout, bias=False, **kwargs)
    self.bn = nn.BatchNorm2d(cout, eps=0.001)

  def forward(self, x):
    return torch.relu(self.bn(self.conv(x)))


class _Inception(nn.Module):
  """torchvision/models/googlenet.py's Inception (its "5x5" branch is 3x3)."""

  def __init__(self, cin, c1, c3r, c3, c5r, c5, pool_proj):
    super().__init__()
    self.branch1 = _BasicConv2d(cin, c1, kernel_size=1)
    self.branch2 = nn.Sequential(
      _BasicConv2d(cin, c3r, kernel_size=1), _BasicConv2d(c3r, c3, kernel_size=3, padding=1)
    )
    self.branch3 = nn.Sequential(
      _BasicConv2d(cin, c5r, kernel_size=1), _BasicConv2d(c5r, c5, kernel_size=3, padding=1)
    )
    self.branch4 = nn.Sequential(
      nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
      _BasicConv2d(cin, pool_proj, kernel_size=1),
    )

  def forward(self, x):
    return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


_INCEPTION_CHANNELS = {
  "3a": (64, 96, 128, 16, 32, 32),
  "3b": (128, 128, 192, 32, 96, 64),
  "4a": (192, 96, 208, 16, 48, 64),
  "4b": (160, 112, 224, 24, 64, 64),
  "4c": (128, 128, 256, 24, 64, 64),
  "4d": (112, 144, 288, 32, 64, 64),
  "4e": (256, 160, 320, 32, 128, 128),
  "5a": (256, 160, 320, 32, 128, 128),
  "5b": (384, 192, 384, 48, 128, 128),
}


class _GoogLeNet(nn.Module):
  """torchvision's GoogLeNet(aux_logits=False, transform_input=False), channels scaled."""

  def __init__(self, width, num_classes):
    super().__init__()

    def c(n):
      return _scaled(n, width)

    self.conv1 = _BasicConv2d(3, c(64), kernel_size=7, stride=2, padding=3)
    self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
    self.conv2 = _BasicConv2d(c(64), c(64), kernel_size=1)
    self.conv3 = _BasicConv2d(c(64), c(192), kernel_size=3, padding=1)
    self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
    cin = c(192)
    for name, sizes in _INCEPTION_CHANNELS.items():
      sizes = [c(n) for n in sizes]
      setattr(self, "inception" + name, _Inception(cin, *sizes))
      cin = sizes[0] + sizes[2] + sizes[4] + sizes[5]
      if name == "3b":
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
      if name == "4e":
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
    self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
    self.dropout = nn.Dropout(0.2)
    self.fc = nn.Linear(cin, num_classes)

  def forward(self, x):
    for name, module in self.named_children():
      x = torch.flatten(x, 1) if name == "fc" else x
      x = module(x)
    return x


@pytest.mark.slow  # compiling 57 conv units takes ~15 s on a busy 2-core machine
def test_googlenet_loads_into_torchvisions_googlenet_by_name():
  _exchange_and_compare(models.googlenet(6, width=1 / 16), (2, 64, 64, 3), _GoogLeNet(1 / 16, 6))


class _BasicBlock(nn.Module):
  """torchvision/models/resnet.py's BasicBlock."""

  def __init__(self, cin, cout, stride):
    super().__init__()
    self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
    self.bn1 = nn.BatchNorm2d(cout)
    self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
    self.bn2 = nn.BatchNorm2d(cout)
    self.downsample = None
    if stride != 1 or cin != cout:
      self.downsample = nn.Sequential(
        nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
      )

  def forward(self, x):
    y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
    return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


def _torch_resnet18(width, num_classes):
  c = [_scaled(n, width) for n in (64, 128, 256, 512)]
  layers, cin = [], c[0]
  for i, cout in enumerate(c):
    layers.append(nn.Sequential(_BasicBlock(cin, cout, 2 if i else 1), _BasicBlock(cout, cout, 1)))
    cin = cout
  return nn.Sequential(
    nn.Conv2d(3, c[0], 7, 2, 3, bias=False),
    nn.BatchNorm2d(c[0]),
    nn.ReLU(),
    nn.MaxPool2d(3, 2, 1),
    *layers,
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(cin, num_classes),
  )


def test_resnet18_matches_torchvisions_resnet18_by_order():
  reference = _torch_resnet18(1 / 16, 6)
  _exchange_and_compare(
    models.resnet18(6, width=1 / 16),
    (2, 64, 64, 3),
    reference,
    names=interop.module_prefixes(reference.state_dict()),
  )


# ----------------------------------------------------------------------------
# Errors and the optional dependency.


def test_import_reports_a_missing_entry_and_a_wrong_shape_by_key():
  layer, shape = L.Conv(4, (3, 3)), (1, 5, 5, 2)
  state_dict = nn.Conv2d(2, 4, 3).state_dict()
  with pytest.raises(
    ValueError,
    match=r"interop.from_torch_state_dict: the state_dict has no "
    r"'conv.weight', which Conv\(4",
  ):
    interop.from_torch_state_dict(layer, state_dict, shape, names={"": "conv"})
  with pytest.raises(
    fnn.ShapeError,
    match=r"'weight' has shape \(4, 3, 3, 3\), but Conv\(4, "
    r"kernel_size=\(3, 3\)\) at '' needs \(4, 2, 3, 3\)",
  ):
    interop.from_torch_state_dict(layer, nn.Conv2d(3, 4, 3).state_dict(), shape)
  with pytest.raises(ValueError, match=r"no fnn layer takes \['extra'\]"):
    interop.from_torch_state_dict(layer, {**state_dict, "extra": torch.zeros(1)}, shape)
  params, _ = interop.from_torch_state_dict(
    layer, {**state_dict, "extra": torch.zeros(1)}, shape, strict=False
  )
  assert params["w"].shape == (3, 3, 2, 4)


def test_layers_without_a_torch_counterpart_and_miscounted_names_raise():
  model = fnn.serial(L.Dense(4), Hopfield(3))
  params, state = _model_with_values(model, (1, 4))
  with pytest.raises(TypeError, match=r"Hopfield\(3\) at '1' has no PyTorch counterpart"):
    interop.to_torch_state_dict(model, params, state, (1, 4))
  dense = fnn.serial(L.Dense(2), L.Dense(3))
  with pytest.raises(ValueError, match="got 1 torch prefixes for 2 fnn layers"):
    interop.to_torch_state_dict(dense, *_model_with_values(dense, (1, 4)), (1, 4), names=["a"])


def test_fnn_interop_does_not_import_torch():
  code = "import sys, fnn, fnn.interop; assert 'torch' not in sys.modules"
  subprocess.run([sys.executable, "-c", code], check=True)
