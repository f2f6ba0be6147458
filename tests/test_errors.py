"""Error messages name the layer, what it expected and what it got.

Bad input gets an error that names the layer, what it expected and what it got,
at init or at trace time (so also under jit).
"""

import jax
import jax.numpy as jnp
import pytest

import fnn
from fnn import layers as L
from fnn import losses, models

KEY = jax.random.key(0)


def _applied(layer, init_shape, x, **kwargs):
  params, state, _ = layer.init(KEY, init_shape)
  return lambda: layer.apply(params, state, x, **kwargs)


def _applied_with(layer, params_from, init_shape, x, **kwargs):
  """``layer.apply`` given the params (and state) that ``params_from`` makes."""
  params, state, _ = params_from.init(KEY, init_shape)
  return lambda: layer.apply(params, state, x, **kwargs)


CASES = [
  # (id, callable that raises, exception type, message regex)
  (
    "dense_wrong_features",
    _applied(L.Dense(10), (1, 512), jnp.ones((32, 256))),
    fnn.ShapeError,
    r"Dense\(10\): expected x\[\.\.\., 512\], got shape \(32, 256\)",
  ),
  (
    "dense_integer_input",
    _applied(L.Dense(3), (1, 4), jnp.ones((2, 4), jnp.int32)),
    TypeError,
    r"Dense\(3\): expected a floating-point input, got dtype int32",
  ),
  (
    "dense_unbatched_init",
    lambda: L.Dense(3).init(KEY, (4,)),
    fnn.ShapeError,
    r"Dense\(3\): expected input \(batch, \.\.\., in\) of rank >= 2, got shape \(4,\)",
  ),
  (
    "dense_bad_features",
    lambda: L.Dense(0),
    ValueError,
    r"Dense: features must be a positive int, got 0",
  ),
  (
    "conv_wrong_rank",
    _applied(L.Conv(4, (3, 3)), (1, 8, 8, 3), jnp.ones((8, 8, 3))),
    fnn.ShapeError,
    r"Conv\(4, kernel_size=\(3, 3\)\): expected input of rank 4 .*got shape \(8, 8, 3\)",
  ),
  (
    "conv_wrong_channels",
    _applied(L.Conv(4, (3, 3)), (1, 8, 8, 3), jnp.ones((2, 8, 8, 1))),
    fnn.ShapeError,
    r"expected x\[\.\.\., 3\] \(3 input channels, last axis\), got shape \(2, 8, 8, 1\)",
  ),
  (
    "conv_unknown_padding",
    lambda: L.Conv(4, (3, 3), padding="FULL"),
    ValueError,
    r"Conv: unknown padding mode 'FULL'; expected 'SAME', 'VALID'",
  ),
  (
    "conv_groups_do_not_divide",
    lambda: L.Conv(4, (3, 3), groups=2).init(KEY, (1, 8, 8, 3)),
    fnn.ShapeError,
    r"3 input channels are not divisible by groups=2",
  ),
  (
    "conv_input_too_small",
    lambda: L.Conv(4, (5, 5), padding="VALID").init(KEY, (1, 3, 3, 1)),
    fnn.ShapeError,
    r"spatial input \(3, 3\) is too small for window \(5, 5\)",
  ),
  (
    "pool_unknown_padding",
    lambda: L.MaxPool(2, padding="same-ish"),
    ValueError,
    r"MaxPool: unknown padding mode 'same-ish'",
  ),
  (
    "pool_wrong_rank",
    _applied(L.MaxPool((2, 2)), (1, 4, 4, 1), jnp.ones((4, 4))),
    fnn.ShapeError,
    r"MaxPool\(\(2, 2\)\): expected input of rank 4 .*got shape \(4, 4\)",
  ),
  (
    "dropout_no_key",
    _applied(L.Dropout(0.5), (1, 3), jnp.ones((2, 3)), train=True),
    ValueError,
    r"Dropout\(rate=0.5\) needs key= when train=True",
  ),
  (
    "dropout_rate_is_keep_prob",
    lambda: L.Dropout(1.0),
    ValueError,
    r"rate is the probability of dropping a unit and must be in \[0, 1\), got 1.0",
  ),
  (
    "batchnorm_one_example",
    _applied(L.BatchNorm(), (1, 3), jnp.ones((1, 3)), train=True),
    ValueError,
    r"BatchNorm\(\): training needs more than one value per channel .* got input of shape \(1, 3\)",
  ),
  (
    "batchnorm_wrong_channels",
    _applied(L.BatchNorm(), (1, 3), jnp.ones((4, 5))),
    fnn.ShapeError,
    r"BatchNorm\(\): expected x\[\.\.\., 3\], got shape \(4, 5\)",
  ),
  (
    "train_traced",
    lambda: jax.jit(lambda t: _applied(L.BatchNorm(), (4, 3), jnp.ones((4, 3)), train=t)())(True),
    TypeError,
    r"BatchNorm\(\): train must be a Python bool",
  ),
  (
    "embedding_float_ids",
    _applied(L.Embedding(10, 4), (1, 3), jnp.ones((2, 3))),
    TypeError,
    r"Embedding\(10, 4\): expected integer indices, got dtype float32",
  ),
  (
    "reshape_impossible",
    lambda: L.Reshape((5, -1)).init(KEY, (1, 12)),
    fnn.ShapeError,
    r"Reshape\(\(5, -1\)\): cannot reshape examples of shape \(12,\) \(12 elements\)",
  ),
  (
    "serial_uncalled_constructor",
    lambda: fnn.serial(L.Dense(3), L.Relu),
    TypeError,
    r"serial: argument 1 is the function Relu, not a Layer; did you mean Relu\(\)\?",
  ),
  (
    "serial_path_in_error",
    _applied(
      fnn.named_serial(("fc1", L.Dense(512)), ("act", L.Relu()), ("fc2", L.Dense(10))),
      (1, 784),
      jnp.ones((32, 256)),
    ),
    fnn.ShapeError,
    r"named_serial\[0\] 'fc1' Dense\(512\): expected x\[\.\.\., 784\], got shape \(32, 256\)",
  ),
  (
    "nested_path_in_error_under_jit",
    lambda: jax.jit(
      _applied(fnn.serial(L.Relu(), fnn.serial(L.Relu(), L.Dense(3))), (1, 4), jnp.ones((2, 5)))
    )(),
    fnn.ShapeError,
    r"serial\[1\] serial\[1\] Dense\(3\): expected x\[\.\.\., 4\], got shape \(2, 5\)",
  ),
  (
    "conv_kernel_rank_vs_input_rank",
    lambda: L.Conv(2, (3, 3)).init(KEY, (1, 4)),
    fnn.ShapeError,
    r"Conv\(2, kernel_size=\(3, 3\)\): expected input of rank 4 "
    r"\(N, \*2 spatial axes, C\), got shape \(1, 4\)",
  ),
  (
    "residual_shape_mismatch",
    lambda: fnn.residual(L.Dense(3)).init(KEY, (1, 5)),
    fnn.ShapeError,
    r"the main branch gives shape \(1, 3\) but the shortcut gives \(1, 5\)",
  ),
  (
    "parallel_wrong_count",
    _applied(fnn.parallel(L.Dense(2), L.Dense(2)), ((1, 3), (1, 3)), (jnp.ones((2, 3)),)),
    fnn.ShapeError,
    r"parallel: expected a tuple of 2 inputs \(one per branch\)",
  ),
  (
    "mlp_wrong_input",
    lambda: models.mlp(64, [32], 10).init(KEY, (1, 63)),
    fnn.ShapeError,
    r"mlp\(64, \[32\], 10\): expected input \(N, 64\), got shape \(1, 63\)",
  ),
  (
    "cross_entropy_label_shape",
    lambda: losses.softmax_cross_entropy(jnp.ones((4, 3)), jnp.ones((4, 2))),
    fnn.ShapeError,
    r"logits \(4, 3\) need integer labels of shape \(4,\) or one-hot labels of shape "
    r"\(4, 3\), got \(4, 2\)",
  ),
  (
    "input_shape_not_ints",
    lambda: L.Dense(3).init(KEY, "784"),
    fnn.ShapeError,
    r"Dense\(3\): input_shape must be a tuple of ints",
  ),
  # Params that do not match the layer's configuration (issue 13).
  (
    "dense_params_of_a_smaller_dense",
    _applied_with(L.Dense(10), L.Dense(5), (1, 5), jnp.ones((2, 5))),
    fnn.ShapeError,
    r"Dense\(10\): params\['b'\] has shape \(5,\) but Dense\(10\) makes \(10,\) "
    r"for input shape \(2, 5\)",
  ),
  (
    "dense_params_of_another_dense_under_jit",
    lambda: jax.jit(_applied_with(L.Dense(10), L.Dense(5), (1, 5), jnp.ones((2, 5))))(),
    fnn.ShapeError,
    r"Dense\(10\): params\['b'\] has shape \(5,\) but Dense\(10\) makes \(10,\)",
  ),
  (
    "dense_params_with_an_extra_bias",
    _applied_with(L.Dense(5, use_bias=False), L.Dense(5), (1, 5), jnp.ones((2, 5))),
    fnn.ShapeError,
    r"Dense\(5\): params have leaves \[\"\['b'\]\", \"\['w'\]\"\] but Dense\(5\) "
    r"makes \[\"\['w'\]\"\]",
  ),
  (
    "conv_params_of_another_kernel",
    _applied_with(L.Conv(4, (5, 5)), L.Conv(4, (3, 3)), (1, 8, 8, 3), jnp.ones((2, 8, 8, 3))),
    fnn.ShapeError,
    r"Conv\(4, kernel_size=\(5, 5\)\): params\['w'\] has shape \(3, 3, 3, 4\) but "
    r"Conv\(4, kernel_size=\(5, 5\)\) makes \(5, 5, 3, 4\)",
  ),
  (
    "conv_transpose_params_of_another_conv",
    _applied_with(L.ConvTranspose(4, 3), L.ConvTranspose(2, 3), (1, 8, 3), jnp.ones((2, 8, 3))),
    fnn.ShapeError,
    r"ConvTranspose\(4, kernel_size=3\): params\['b'\] has shape \(2,\) but .* makes \(4,\)",
  ),
  (
    "embedding_params_of_a_smaller_vocabulary",
    _applied_with(L.Embedding(12, 4), L.Embedding(10, 4), (1, 3), jnp.ones((2, 3), jnp.int32)),
    fnn.ShapeError,
    r"Embedding\(12, 4\): params\['embedding'\] has shape \(10, 4\) but "
    r"Embedding\(12, 4\) makes \(12, 4\)",
  ),
  (
    "lstm_params_of_a_smaller_lstm",
    _applied_with(L.RNN(L.LSTMCell(8)), L.RNN(L.LSTMCell(4)), (1, 5, 2), jnp.ones((2, 5, 2))),
    fnn.ShapeError,
    r"RNN\(LSTMCell\(8\)\): params\['b'\] has shape \(16,\) but RNN\(LSTMCell\(8\)\) "
    r"makes \(32,\)",
  ),
  (
    "layer_norm_params_without_scale",
    _applied_with(L.LayerNorm(use_scale=False), L.LayerNorm(), (1, 3), jnp.ones((2, 3))),
    fnn.ShapeError,
    r"LayerNorm\(\): params have leaves",
  ),
  (
    "params_path_in_serial",
    _applied_with(
      fnn.serial(L.Dense(4), L.Dense(10)),
      fnn.serial(L.Dense(4), L.Dense(5)),
      (1, 3),
      jnp.ones((2, 3)),
    ),
    fnn.ShapeError,
    r"serial\[1\] Dense\(10\): params\['b'\] has shape \(5,\)",
  ),
  # train must be a Python bool in every layer, not only serial/Dropout/BatchNorm.
  (
    "dense_train_not_a_bool",
    _applied(L.Dense(3), (1, 4), jnp.ones((2, 4)), train="yes"),
    TypeError,
    r"Dense\(3\): train must be a Python bool, got str 'yes'",
  ),
  (
    "conv_train_not_a_bool",
    _applied(L.Conv(2, 3), (1, 5, 1), jnp.ones((2, 5, 1)), train=1),
    TypeError,
    r"Conv\(2, kernel_size=3\): train must be a Python bool, got int 1",
  ),
  (
    "relu_train_not_a_bool",
    _applied(L.Relu(), (1, 4), jnp.ones((2, 4)), train=None),
    TypeError,
    r"Relu\(\): train must be a Python bool, got NoneType None",
  ),
  # init's key must be a PRNG key: a clear TypeError from fnn, not from jax.random.
  (
    "dense_init_int_key",
    lambda: L.Dense(3).init(0, (1, 4)),
    TypeError,
    r"Dense\(3\): expected a PRNG key such as jax.random.key\(0\), got int 0",
  ),
  (
    "serial_init_int_key",
    lambda: fnn.serial(L.Dense(3), L.Relu()).init(0, (1, 4)),
    TypeError,
    r"serial: expected a PRNG key such as jax.random.key\(0\), got int 0",
  ),
  (
    "lstm_init_batch_of_keys",
    lambda: L.RNN(L.LSTMCell(3)).init(jax.random.split(KEY, 2), (1, 5, 2)),
    TypeError,
    r"RNN\(LSTMCell\(3\)\): expected a PRNG key .* that is a batch of keys",
  ),
  (
    "model_init_none_key",
    lambda: models.mlp(4, [3], 2).init(None, (1, 4)),
    TypeError,
    r"named_serial\[0\] 'fc1' Dense\(3\): expected a PRNG key .*, got NoneType None",
  ),
  (
    "init_params_one_key",
    lambda: fnn.init_params(KEY, L.Dense(3), (1, 4)),
    TypeError,
    r"core.init_params: keys must be a batch of PRNG keys of shape \(M,\)",
  ),
]


@pytest.mark.parametrize(
  ("make", "exc", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises_clear_error(make, exc, message):
  with pytest.raises(exc, match=message):
    make()


def test_there_are_at_least_fifteen_error_cases():
  assert len(CASES) >= 15
