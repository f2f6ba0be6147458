import fnn
from fnn.layers import Conv, MaxPool, Relu


def test_receptive_field_of_the_classic_worked_example():
  # Dang Ha The Hien's "guide to receptive field arithmetic": input 5, two 3x3 convs with
  # padding 1 and stride 2. Layer 1: n=3, j=2, r=3, start=0.5 (pixel-centred units: 0);
  # layer 2: n=2, j=4, r=7, start 0.5 -> 0 here (first pixel centred at 0).
  rows = fnn.receptive_field([(3, 2, 1), (3, 2, 1)], 5)
  assert [(r.size, r.jump, r.receptive_field, r.start) for r in rows] == [
    (5, 1, 1, 0.0),
    (3, 2, 3, 0.0),
    (2, 4, 7, 0.0),
  ]


def test_receptive_field_follows_fnn_layers_and_skips_pointwise_ones():
  layers = [
    Conv(6, (5, 5), padding="VALID"),
    Relu(),
    MaxPool((2, 2)),
    Conv(16, (5, 5), padding="VALID"),
    Relu(),
    MaxPool((2, 2)),
  ]
  rows = fnn.receptive_field(layers, 32)
  assert [r.size for r in rows] == [32, 28, 28, 14, 10, 10, 5]
  assert [r.receptive_field for r in rows] == [1, 5, 5, 6, 14, 14, 16]
  assert rows[-1].jump == 4
  assert rows[-1].start == 7.5
