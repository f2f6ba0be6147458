"""Golden parameter layouts (in the style of haiku's integration/checkpoints/*.json).

golden_layouts.json records, for every layer constructor in ``fnn.layers`` and every
block and model in ``fnn.models`` at a small size, the names, shapes and dtypes of its
params and state. Renaming a parameter, or changing a shape or dtype, fails here, so a
checkpoint-breaking change is always a deliberate one. After such a change, regenerate
the file and commit it with the change (and a CHANGELOG line)::

    FNN_REGENERATE_GOLDEN=1 python -m pytest tests/layers/test_golden_layouts.py

A new public constructor without an entry below fails
``test_every_public_constructor_has_a_golden_layout``.
"""

import inspect
import json
import os
import pathlib

import jax
import pytest

from fnn import layers as L
from fnn import models
from fnn.energy.hopfield import Hopfield
from fnn.models import autoencoder as ae

GOLDEN = pathlib.Path(__file__).with_name("golden_layouts.json")
REGENERATE = os.environ.get("FNN_REGENERATE_GOLDEN") == "1"

# "Constructor" or "Constructor/variant" -> (layer factory, input shape). The part before
# the "/" is the public constructor the entry covers.
CASES = {
  "Dense": (lambda: L.Dense(3), (2, 5)),
  "Dense/no_bias": (lambda: L.Dense(3, use_bias=False), (2, 5)),
  "Conv": (lambda: L.Conv(4, (3, 3)), (2, 6, 6, 3)),
  "Conv/1d_grouped_no_bias": (lambda: L.Conv(4, 3, groups=2, use_bias=False), (2, 9, 4)),
  "ConvTranspose": (lambda: L.ConvTranspose(3, (3, 3), stride=2), (2, 4, 4, 2)),
  "MaxPool": (lambda: L.MaxPool((2, 2)), (2, 4, 4, 3)),
  "AvgPool": (lambda: L.AvgPool(2), (2, 8, 3)),
  "GlobalAvgPool": (lambda: L.GlobalAvgPool(), (2, 4, 4, 3)),
  "Flatten": (lambda: L.Flatten(), (2, 3, 4)),
  "Reshape": (lambda: L.Reshape((-1, 2)), (2, 3, 4)),
  "BatchNorm": (lambda: L.BatchNorm(), (4, 3, 3, 2)),
  "BatchNorm/no_affine": (lambda: L.BatchNorm(use_scale=False, use_bias=False), (4, 2)),
  "LayerNorm": (lambda: L.LayerNorm(), (3, 4, 5)),
  "LocalResponseNorm": (lambda: L.LocalResponseNorm(3), (2, 3, 3, 5)),
  "Dropout": (lambda: L.Dropout(0.5), (4, 6)),
  "Embedding": (lambda: L.Embedding(7, 4), (3, 5)),
  **{
    name: (lambda name=name: getattr(L, name)(), (3, 4))
    for name in (
      "Identity",
      "Step",
      "Sigmoid",
      "Tanh",
      "Relu",
      "LeakyRelu",
      "Elu",
      "Gelu",
      "Softplus",
      "Softmax",
      "LogSoftmax",
    )
  },
  "RNN": (lambda: L.RNN(L.LSTMCell(3), return_sequences=False), (2, 5, 2)),
  "LSTMCell": (lambda: L.RNN(L.LSTMCell(3)), (2, 5, 2)),
  "GRUCell": (lambda: L.RNN(L.GRUCell(3)), (2, 5, 2)),
  "SimpleRNNCell": (lambda: L.RNN(L.SimpleRNNCell(3)), (2, 5, 2)),
  "Bidirectional": (lambda: L.Bidirectional(L.LSTMCell(2), L.GRUCell(3)), (2, 5, 2)),
  "Hopfield": (lambda: Hopfield(3), (2, 4)),
  "Hopfield/projected": (lambda: Hopfield(source="inputs", features=3), (2, 5, 4)),
  "mlp": (lambda: models.mlp(6, [5], 3), (2, 6)),
  "lenet5": (lambda: models.lenet5(), (2, 28, 28, 1)),
  "vgg_block": (lambda: models.vgg_block(4, batch_norm=True), (2, 6, 6, 3)),
  "basic_block": (lambda: models.basic_block(4, stride=2), (2, 6, 6, 3)),
  "resnet": (lambda: models.resnet(5, stage_features=(4, 8), blocks_per_stage=1), (2, 8, 8, 3)),
  "alexnet": (lambda: models.alexnet(3, small=True, width=1 / 32), (2, 32, 32, 3)),
  "vgg": (lambda: models.vgg(11, 3, small=True, width=1 / 32), (2, 32, 32, 3)),
  "inception_block": (lambda: models.inception_block(2, 2, 3, 1, 2, 2), (2, 5, 5, 3)),
  "googlenet": (lambda: models.googlenet(3, small=True, width=1 / 32), (2, 8, 8, 3)),
  "resnet18": (lambda: models.resnet18(3, small=True, width=1 / 16), (2, 8, 8, 3)),
  "resnet34": (lambda: models.resnet34(3, small=True, width=1 / 16), (2, 8, 8, 3)),
  "dense_encoder": (lambda: ae.dense_encoder(6, [4], 2), (2, 6)),
  "dense_decoder": (lambda: ae.dense_decoder(2, [4], 6), (2, 2)),
  "conv_encoder": (lambda: ae.conv_encoder((8, 8, 1), [2, 4], 3), (2, 8, 8, 1)),
  "conv_decoder": (lambda: ae.conv_decoder(3, (8, 8, 1), [4, 2]), (2, 3)),
  "autoencoder": (
    lambda: ae.autoencoder(ae.dense_encoder(6, [4], 2), ae.dense_decoder(2, [4], 6)),
    (2, 6),
  ),
}

_DTYPES = {
  "float32": "f32",
  "float64": "f64",
  "float16": "f16",
  "bfloat16": "bf16",
  "int32": "i32",
  "int64": "i64",
  "uint32": "u32",
  "bool": "bool",
}


def _layout(tree):
  """``{"['fc1']['w']": "f32[5, 3]", ...}`` for a tree of arrays or shapes."""
  leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
  return {
    jax.tree_util.keystr(path): f"{_DTYPES.get(a.dtype.name, a.dtype.name)}"
    f"[{', '.join(map(str, a.shape))}]"
    for path, a in leaves
  }


def _record(name):
  make, shape = CASES[name]
  layer = make()
  params, state = jax.eval_shape(lambda k: layer.init(k, shape)[:2], jax.random.key(0))
  return {
    "layer": layer.name,
    "input_shape": str(shape),
    "params": _layout(params),
    "state": _layout(state),
  }


@pytest.fixture(scope="module")
def golden():
  if REGENERATE:
    GOLDEN.write_text(
      json.dumps({name: _record(name) for name in sorted(CASES)}, indent=1, ensure_ascii=False)
      + "\n"
    )
  return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("name", sorted(CASES))
def test_parameter_layout_matches_the_golden_file(golden, name):
  assert name in golden, f"no golden layout for {name}: regenerate {GOLDEN.name} (see above)"
  assert _record(name) == golden[name]


def test_golden_file_has_no_stale_entries(golden):
  assert sorted(golden) == sorted(CASES)


def _public_constructors():
  layers = {n for n, obj in vars(L).items() if n[:1].isupper() and inspect.isfunction(obj)}
  model_fns = {
    n
    for module in (models, ae)
    for n, obj in vars(module).items()
    if not n.startswith("_") and inspect.isfunction(obj) and obj.__module__.startswith("fnn.models")
  }
  return layers | model_fns


def test_every_public_constructor_has_a_golden_layout():
  covered = {name.split("/")[0] for name in CASES}
  assert _public_constructors() - covered == set()
  assert {"Dense", "LocalResponseNorm", "googlenet", "conv_decoder"} <= covered


def test_norm_offsets_follow_the_naming_rule(golden):
  # Convention: a norm's per-feature factor is `scale` and its offset `b` (never `bias`).
  assert golden["BatchNorm"]["params"] == {"['b']": "f32[2]", "['scale']": "f32[2]"}
  assert all("bias" not in key for entry in golden.values() for key in entry["params"])
