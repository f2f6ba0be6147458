import jax
import numpy as np
import pytest

import fnn
from fnn import layers as L
from fnn import models
from fnn.energy.hopfield import Hopfield


def _sizes(tree):
  return sum(int(np.prod(a.shape)) for a in jax.tree.leaves(tree))


# Every combinator, recurrent and Hopfield layers, and the models' own wrappers.
CASES = {
  "serial": (fnn.serial(L.Dense(4), L.Relu(), L.Dense(2)), (1, 3)),
  "named_serial_bn": (fnn.named_serial(("fc", L.Dense(4)), ("bn", L.BatchNorm())), (1, 3)),
  "fanout_parallel": (fnn.serial(fnn.fanout(2), fnn.parallel(L.Dense(2), L.LayerNorm())), (1, 4)),
  "residual_projection": (fnn.residual(L.Dense(4), shortcut=L.Dense(4)), (1, 3)),
  "rnn_stack": (
    fnn.serial(L.RNN(L.LSTMCell(3)), L.RNN(L.GRUCell(2), return_sequences=False)),
    (1, 5, 2),
  ),
  "bidirectional": (L.Bidirectional(L.SimpleRNNCell(3)), (1, 5, 2)),
  "hopfield": (fnn.serial(L.Dense(4), Hopfield(3, features=2)), (1, 6)),
  "mlp": (models.mlp(6, [5], 3), (1, 6)),
  "resnet": (models.resnet(5, stage_features=(4, 8), blocks_per_stage=1), (1, 8, 8, 3)),
  "googlenet_small": (models.googlenet(10, small=True, width=1 / 16), (1, 16, 16, 3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_summary_totals_equal_the_init_leaf_sizes_and_the_leaf_rows(name):
  model, shape = CASES[name]
  params, state = jax.eval_shape(lambda k: model.init(k, shape)[:2], jax.random.key(0))
  out_shape = fnn.output_shape(model, shape)
  summary = fnn.summary(model, shape)
  assert summary.total_params == _sizes(params) > 0
  assert summary.total_state == _sizes(state)
  leaves = [r for r in summary.rows if r.leaf]
  assert sum(r.params for r in leaves) == summary.total_params
  assert sum(r.state for r in leaves) == summary.total_state
  assert summary.rows[0].path == ""
  assert summary.rows[0].output_shape == out_shape
  # every leaf row's path addresses its params in the real tree
  for row in leaves:
    if row.params:
      sub = params
      for key in row.path.split(".") if row.path else []:
        sub = sub[int(key)] if isinstance(sub, (tuple, list)) else sub[key]
      assert _sizes(sub) == row.params


@pytest.mark.parametrize(
  ("model", "count"),
  [
    (models.alexnet(), 61_100_840),
    (models.vgg(16), 138_357_544),
    (models.googlenet(), 6_624_904),
    (models.resnet18(), 11_689_512),
  ],
)
def test_summary_counts_the_zoo_without_allocating_it(model, count):
  before = sum(a.nbytes for a in jax.live_arrays())
  summary = fnn.summary(model, (1, 224, 224, 3))
  assert summary.total_params == count
  assert sum(r.params for r in summary.rows if r.leaf) == count
  assert sum(a.nbytes for a in jax.live_arrays()) - before < 1_000_000


def test_summary_table_is_readable_with_thousands_separators():
  text = str(fnn.summary(models.lenet5(), (1, 28, 28, 1)))
  lines = text.splitlines()
  assert lines[0] == "input shape (1, 28, 28, 1)"
  assert lines[1].split() == ["path", "layer", "output", "shape", "params", "state"]
  fc1 = next(line for line in lines if line.startswith("fc1 "))
  assert "Dense(120)" in fc1
  assert "(1, 120)" in fc1
  assert fc1.split()[-2:] == ["48,120", "0"]
  assert lines[-2] == "total params: 61,706"
  assert lines[-1] == "total state: 0"


def test_summary_rows_name_each_layer_at_its_path():
  rows = fnn.summary(models.lenet5(), (1, 28, 28, 1)).rows
  assert [(r.path, r.name, r.depth) for r in rows[:3]] == [
    ("", rows[0].name, 0),
    ("conv1", "Conv(6, kernel_size=(5, 5))", 1),
    ("act1", "Relu()", 1),
  ]
  assert rows[1].output_shape == (1, 28, 28, 6)
  assert rows[1].params == 156
