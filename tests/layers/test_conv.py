import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import fnn
from fnn.layers import AvgPool, Conv, ConvTranspose, MaxPool


def _flax_params(params):
  return {"params": {"kernel": params["w"], **({"bias": params["b"]} if "b" in params else {})}}


@pytest.mark.parametrize(
  ("kwargs", "flax_kwargs", "shape"),
  [
    (dict(features=4, kernel_size=(3, 3)), dict(features=4, kernel_size=(3, 3)), (2, 7, 6, 3)),
    (
      dict(features=5, kernel_size=(3, 2), stride=2, padding="VALID"),
      dict(features=5, kernel_size=(3, 2), strides=2, padding="VALID"),
      (2, 9, 8, 3),
    ),
    (
      dict(features=4, kernel_size=(3, 3), padding=((1, 2), (0, 1)), dilation=2, groups=2),
      dict(
        features=4,
        kernel_size=(3, 3),
        padding=((1, 2), (0, 1)),
        kernel_dilation=2,
        feature_group_count=2,
      ),
      (2, 8, 8, 6),
    ),
    (
      dict(features=3, kernel_size=(4,), stride=3),
      dict(features=3, kernel_size=(4,), strides=3),
      (2, 11, 2),
    ),
    (
      dict(features=2, kernel_size=(2, 3, 2), padding="VALID"),
      dict(features=2, kernel_size=(2, 3, 2), padding="VALID"),
      (1, 4, 5, 4, 3),
    ),
  ],
)
@pytest.mark.parametrize("path", ["default", "xla"])
def test_conv_matches_flax_linen_conv(kwargs, flax_kwargs, shape, path, assert_close, monkeypatch):
  if path == "xla":  # the path GPUs take, here on any backend
    monkeypatch.setattr(fnn.layers.conv, "IM2COL_MAX_BYTES", -1)
  layer = Conv(**kwargs)
  params, state, out_shape = layer.init(jax.random.key(0), shape)
  x = jax.random.normal(jax.random.key(1), shape)
  y, _ = layer.apply(params, state, x)
  ref = nn.Conv(**flax_kwargs).apply(_flax_params(params), x)
  assert_close(y, ref)
  assert y.shape == out_shape


@pytest.mark.parametrize(
  ("kwargs", "shape"),
  [
    (dict(features=3, kernel_size=(3, 3), stride=2), (2, 4, 5, 2)),
    (dict(features=2, kernel_size=(2, 2), stride=2, padding="VALID"), (2, 3, 3, 4)),
    (dict(features=2, kernel_size=(3,), stride=1), (2, 6, 3)),
    # the padding branches of lax.conv_transpose that fnn's CPU path recomputes
    (dict(features=2, kernel_size=(2, 2), stride=3), (2, 3, 4, 2)),
    (dict(features=2, kernel_size=(5, 4), stride=2), (1, 4, 3, 2)),
    (dict(features=2, kernel_size=(3, 3), stride=2, dilation=2), (2, 4, 4, 2)),
    (dict(features=2, kernel_size=(3, 2), stride=(2, 3), padding="VALID"), (1, 3, 4, 2)),
    (dict(features=2, kernel_size=(3, 3), stride=2, padding=((1, 0), (2, 1))), (2, 4, 5, 2)),
  ],
)
@pytest.mark.parametrize("path", ["default", "xla"])
def test_conv_transpose_matches_flax_linen_conv_transpose(
  kwargs, shape, path, assert_close, monkeypatch
):
  if path == "xla":  # the path GPUs take, here on any backend
    monkeypatch.setattr(fnn.layers.conv, "IM2COL_MAX_BYTES", -1)
  layer = ConvTranspose(**kwargs)
  params, state, out_shape = layer.init(jax.random.key(0), shape)
  x = jax.random.normal(jax.random.key(1), shape)
  y, _ = layer.apply(params, state, x)
  flax_kwargs = dict(
    features=kwargs["features"],
    kernel_size=kwargs["kernel_size"],
    strides=kwargs.get("stride", 1),
    padding=kwargs.get("padding", "SAME"),
    kernel_dilation=kwargs.get("dilation", 1),
  )
  ref = nn.ConvTranspose(**flax_kwargs).apply(_flax_params(params), x)
  assert_close(y, ref)
  assert y.shape == out_shape


def test_full_1d_convolution_of_course_example():
  # Full convolution of [1, 2, 3] with [2, 3, 1] is [2, 7, 13, 11, 3]. Conv computes a
  # cross-correlation (as every deep-learning library does), so the kernel is flipped,
  # and "full" is padding k - 1 on both sides.
  layer = Conv(1, (3,), padding=2, use_bias=False)
  params = {"w": jnp.array([1.0, 3.0, 2.0]).reshape(3, 1, 1)}
  y, _ = layer.apply(params, {}, jnp.array([1.0, 2.0, 3.0]).reshape(1, 3, 1))
  np.testing.assert_allclose(y.ravel(), [2, 7, 13, 11, 3])
  np.testing.assert_allclose(np.convolve([1, 2, 3], [2, 3, 1], mode="full"), [2, 7, 13, 11, 3])


@pytest.mark.parametrize(
  ("layer", "n_in", "n_out"),
  [
    (Conv(1, (5, 5), padding="VALID"), 32, 28),  # (32 - 5) / 1 + 1
    (Conv(1, (3, 3), padding=1), 28, 28),  # "same" by hand: p = (k - 1) / 2
    (Conv(1, (3, 3), stride=2, padding=1), 7, 4),  # floor((7 + 2 - 3) / 2) + 1
    (Conv(1, (5, 5), stride=2, padding="SAME"), 9, 5),  # ceil(9 / 2)
    (Conv(1, (3, 3), dilation=2, padding="VALID"), 9, 5),  # effective kernel 5
    (MaxPool((2, 2)), 28, 14),
    (MaxPool((3, 3), stride=2), 7, 3),  # floor((7 - 3) / 2) + 1
    (AvgPool((2, 2)), 5, 2),  # floor(5 / 2)
    (MaxPool((3, 3), stride=2, padding="SAME"), 7, 4),
  ],
)
def test_conv_and_pool_output_sizes_follow_the_formula(layer, n_in, n_out):
  _, _, shape = layer.init(jax.random.key(0), (1, n_in, n_in, 1))
  assert shape == (1, n_out, n_out, 1)
  assert fnn.receptive_field([layer], n_in)[-1].size == n_out


def test_depthwise_conv_equals_per_channel_convs(assert_close):
  layer = Conv(3, (3, 3), groups=3, use_bias=False)
  params, state, _ = layer.init(jax.random.key(0), (1, 5, 5, 3))
  x = jax.random.normal(jax.random.key(1), (2, 5, 5, 3))
  y, _ = layer.apply(params, state, x)
  single = Conv(1, (3, 3), use_bias=False)
  for c in range(3):
    yc, _ = single.apply({"w": params["w"][..., c : c + 1]}, {}, x[..., c : c + 1])
    assert_close(y[..., c : c + 1], yc)


def _calls_xla_convolution(conv, shape):
  params, state, _ = conv.init(jax.random.key(0), shape)
  jaxpr = jax.make_jaxpr(lambda p, x: conv.apply(p, state, x)[0])(params, jnp.ones(shape))
  return "conv_general_dilated" in str(jaxpr)


def test_conv_is_im2col_on_a_cpu_unless_grouped_or_too_big(monkeypatch):
  # jax-ml/jax#12868: XLA:CPU's convolution gradients are slow inside lax.scan.
  on_cpu = jax.default_backend() == "cpu"
  assert _calls_xla_convolution(Conv(8, (3, 3)), (2, 8, 8, 4)) is not on_cpu
  assert _calls_xla_convolution(ConvTranspose(8, (3, 3), stride=2), (2, 8, 8, 4)) is not on_cpu
  assert _calls_xla_convolution(Conv(8, (3, 3), groups=2), (2, 8, 8, 4))
  monkeypatch.setattr(fnn.layers.conv, "IM2COL_MAX_BYTES", 2 * 8 * 8 * 9 * 4 * 4 - 1)
  assert _calls_xla_convolution(Conv(8, (3, 3)), (2, 8, 8, 4))
