import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import Conv, im2col


def test_im2col_of_the_worked_example_in_docs_layers_md():
  # docs/layers.md: a 3×3 image, a 2×2 kernel, stride 1, no padding.
  x = jnp.arange(1.0, 10.0).reshape(1, 3, 3, 1)
  patches = im2col(x, (2, 2))
  np.testing.assert_array_equal(
    patches.reshape(4, 4), [[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]]
  )
  w = jnp.array([[1.0, 0.0], [0.0, -1.0]]).reshape(2, 2, 1, 1)
  np.testing.assert_array_equal((patches @ w.reshape(-1, 1)).reshape(2, 2), [[-4, -4], [-4, -4]])


# The conformance harness's Conv cases (stride, padding, dilation; 1-3 spatial axes).
CASES = [
  ((3, 3), {}, (2, 6, 6, 3)),
  ((3,), {"stride": 2, "padding": "VALID"}, (2, 9, 2)),
  ((2, 2, 2), {"padding": 1}, (1, 3, 4, 4, 2)),
  ((3, 3), {"dilation": 2}, (2, 7, 7, 4)),
  ((5, 5), {"stride": 2, "padding": "SAME"}, (2, 9, 8, 2)),
  ((3, 2), {"stride": (2, 1), "padding": ((1, 2), (0, 1)), "dilation": (1, 2)}, (1, 8, 7, 3)),
]


def _xla_conv(x, w, kernel, options):
  """XLA's convolution, called directly: the reference (Conv runs im2col on a CPU)."""
  n = len(kernel)

  def per_axis(v):
    return (v,) * n if isinstance(v, int) else tuple(v)

  padding = options.get("padding", "SAME")
  if isinstance(padding, int):
    padding = [(padding, padding)] * n
  spatial = "DHW"[3 - n :]
  return jax.lax.conv_general_dilated(
    x,
    w,
    window_strides=per_axis(options.get("stride", 1)),
    padding=padding,
    rhs_dilation=per_axis(options.get("dilation", 1)),
    dimension_numbers=(f"N{spatial}C", f"{spatial}IO", f"N{spatial}C"),
  )


@pytest.mark.parametrize(("kernel", "options", "shape"), CASES)
def test_im2col_matmul_and_conv_equal_xla_convolution(kernel, options, shape):
  conv = Conv(4, kernel, **options)
  params, state, out_shape = conv.init(jax.random.key(0), shape)
  x = jax.random.normal(jax.random.key(1), shape)
  patches = im2col(
    x, kernel, options.get("stride", 1), options.get("padding", "SAME"), options.get("dilation", 1)
  )
  assert patches.shape == out_shape[:-1] + (int(np.prod(kernel)) * shape[-1],)
  with jax.default_matmul_precision("highest"):
    want = _xla_conv(x, params["w"], kernel, options) + params["b"]
    y, _ = conv.apply(params, state, x)
    z = patches @ params["w"].reshape(-1, 4) + params["b"]
  np.testing.assert_allclose(z, want, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)
