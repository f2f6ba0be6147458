"""Recurrent layers against numpy equations, flax.linen and PyTorch with the same weights."""

import re

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import fnn
from fnn.layers import (
  RNN,
  Bidirectional,
  Dense,
  GRUCell,
  LSTMCell,
  RNNInput,
  SimpleRNNCell,
  rnn_scan,
)
from fnn.layers.recurrent import check_lengths

N, T, F, H = 3, 7, 4, 5


def _np_sigmoid(z):
  return 1.0 / (1.0 + np.exp(-z))


def _params(cell, seed=0, f=F):
  """The cell's params with the biases made non-zero, so a mis-mapped bias shows."""
  params = cell.init(jax.random.key(seed), f)
  rng = np.random.default_rng(seed)
  return {
    k: (jnp.asarray(rng.normal(0, 0.5, v.shape), jnp.float32) if k.startswith("b") else v)
    for k, v in params.items()
  }


@pytest.fixture(scope="module")
def xs():
  return jnp.asarray(np.random.default_rng(1).normal(size=(N, T, F)), jnp.float32)


def _np_run(step, carry, x):
  """Runs a numpy step function over (N, T, F), returning outputs (N, T, H)."""
  ys = []
  for t in range(x.shape[1]):
    carry, y = step(carry, x[:, t])
    ys.append(y)
  return np.stack(ys, axis=1)


# ---------------------------------------------------------------------------
# Cells against their equations written out in numpy.


def test_simple_rnn_matches_numpy_equations(xs, assert_close):
  p = jax.tree.map(np.asarray, _params(SimpleRNNCell(H)))
  x = np.asarray(xs, np.float64)

  def step(h, x_t):
    h = np.tanh(x_t @ p["w_i"] + h @ p["w_h"] + p["b"])
    return h, h

  want = _np_run(step, np.zeros((N, H)), x)
  layer = RNN(SimpleRNNCell(H))
  got, _ = layer.apply(_params(SimpleRNNCell(H)), {}, xs)
  assert_close(got, want)


def test_lstm_matches_numpy_equations(xs, assert_close):
  p = jax.tree.map(np.asarray, _params(LSTMCell(H)))
  x = np.asarray(xs, np.float64)

  def blocks(a):
    return [a[..., k * H : (k + 1) * H] for k in range(4)]

  def step(carry, x_t):
    h, c = carry
    wi, wf, wg, wo = blocks(p["w_i"])
    ui, uf, ug, uo = blocks(p["w_h"])
    bi, bf, bg, bo = blocks(p["b"])
    i = _np_sigmoid(x_t @ wi + h @ ui + bi)
    f = _np_sigmoid(x_t @ wf + h @ uf + bf)
    g = np.tanh(x_t @ wg + h @ ug + bg)
    o = _np_sigmoid(x_t @ wo + h @ uo + bo)
    c = f * c + i * g
    h = o * np.tanh(c)
    return (h, c), h

  want = _np_run(step, (np.zeros((N, H)), np.zeros((N, H))), x)
  got, _ = RNN(LSTMCell(H)).apply(_params(LSTMCell(H)), {}, xs)
  assert_close(got, want)


def test_gru_matches_numpy_equations(xs, assert_close):
  p = jax.tree.map(np.asarray, _params(GRUCell(H)))
  x = np.asarray(xs, np.float64)

  def blocks(a):
    return [a[..., k * H : (k + 1) * H] for k in range(3)]

  def step(h, x_t):
    wr, wz, wn = blocks(p["w_i"])
    ur, uz, un = blocks(p["w_h"])
    bir, biz, bin_ = blocks(p["b_i"])
    bhr, bhz, bhn = blocks(p["b_h"])
    r = _np_sigmoid(x_t @ wr + bir + h @ ur + bhr)
    z = _np_sigmoid(x_t @ wz + biz + h @ uz + bhz)
    n = np.tanh(x_t @ wn + bin_ + r * (h @ un + bhn))
    h = (1 - z) * n + z * h
    return h, h

  want = _np_run(step, np.zeros((N, H)), x)
  got, _ = RNN(GRUCell(H)).apply(_params(GRUCell(H)), {}, xs)
  assert_close(got, want)


def test_lstm_init_sets_forget_bias_to_one_and_others_to_zero():
  b = LSTMCell(H).init(jax.random.key(0), F)["b"]
  np.testing.assert_array_equal(b[H : 2 * H], 1.0)
  np.testing.assert_array_equal(jnp.concatenate([b[:H], b[2 * H :]]), 0.0)


# ---------------------------------------------------------------------------
# flax.linen with mapped weights.


def _flax_run(flax_cell, variables, xs):
  return nn.RNN(flax_cell).apply(variables, xs)


def test_lstm_matches_flax_linen_lstm_cell(xs, assert_close):
  p = _params(LSTMCell(H))

  def gate(a, k):
    return a[..., k * H : (k + 1) * H]

  flax_params = {}
  for k, g in enumerate("ifgo"):
    flax_params["i" + g] = {"kernel": gate(p["w_i"], k)}
    # flax puts the single bias on the recurrent Dense.
    flax_params["h" + g] = {"kernel": gate(p["w_h"], k), "bias": gate(p["b"], k)}
  want = _flax_run(nn.LSTMCell(H), {"params": {"cell": flax_params}}, xs)
  got, _ = RNN(LSTMCell(H)).apply(p, {}, xs)
  assert_close(got, want)


def test_lstm_final_carry_matches_flax_carry_in_c_h_order(xs, assert_close):
  p = _params(LSTMCell(H))

  def gate(a, k):
    return a[..., k * H : (k + 1) * H]

  flax_params = {}
  for k, g in enumerate("ifgo"):
    flax_params["i" + g] = {"kernel": gate(p["w_i"], k)}
    flax_params["h" + g] = {"kernel": gate(p["w_h"], k), "bias": gate(p["b"], k)}
  (c, h), _ = nn.RNN(nn.LSTMCell(H), return_carry=True).apply({"params": {"cell": flax_params}}, xs)
  (_y, (h_ours, c_ours)), _ = RNN(LSTMCell(H), return_carry=True).apply(p, {}, xs)
  assert_close(h_ours, h)
  assert_close(c_ours, c)


def test_gru_matches_flax_linen_gru_cell(xs, assert_close):
  p = _params(GRUCell(H))

  def gate(a, k):
    return a[..., k * H : (k + 1) * H]

  flax_params = {}
  for k, g in enumerate("rzn"):
    flax_params["i" + g] = {"kernel": gate(p["w_i"], k), "bias": gate(p["b_i"], k)}
    flax_params["h" + g] = {"kernel": gate(p["w_h"], k)}
  # flax's hr/hz have no bias: fold ours into the input-side bias, which adds the same.
  for k, g in enumerate("rz"):
    flax_params["i" + g]["bias"] = gate(p["b_i"], k) + gate(p["b_h"], k)
  flax_params["hn"]["bias"] = gate(p["b_h"], 2)
  want = _flax_run(nn.GRUCell(H), {"params": {"cell": flax_params}}, xs)
  got, _ = RNN(GRUCell(H)).apply(p, {}, xs)
  assert_close(got, want)


# ---------------------------------------------------------------------------
# PyTorch with the same weights.


def _torch_copy(module, p, two_biases):
  import torch

  with torch.no_grad():
    module.weight_ih_l0.copy_(torch.from_numpy(np.asarray(p["w_i"]).T.copy()))
    module.weight_hh_l0.copy_(torch.from_numpy(np.asarray(p["w_h"]).T.copy()))
    if two_biases:
      module.bias_ih_l0.copy_(torch.from_numpy(np.array(p["b_i"])))
      module.bias_hh_l0.copy_(torch.from_numpy(np.array(p["b_h"])))
    else:  # torch has two biases that only ever appear as a sum
      module.bias_ih_l0.copy_(torch.from_numpy(np.array(p["b"])))
      module.bias_hh_l0.zero_()


@pytest.mark.parametrize(
  ("cell_fn", "torch_name", "two_biases"),
  [
    (SimpleRNNCell, "RNN", False),
    (LSTMCell, "LSTM", False),
    (GRUCell, "GRU", True),
  ],
  ids=["rnn", "lstm", "gru"],
)
def test_cell_matches_pytorch_with_the_same_weights(
  xs, cell_fn, torch_name, two_biases, assert_close
):
  torch = pytest.importorskip("torch")  # only a benchmark extra, not a test dependency
  p = _params(cell_fn(H))
  module = getattr(torch.nn, torch_name)(F, H, batch_first=True)
  _torch_copy(module, p, two_biases)
  with torch.no_grad():
    want = module(torch.from_numpy(np.array(xs)))[0].numpy()
  got, _ = RNN(cell_fn(H)).apply(p, {}, xs)
  assert_close(got, want)


# ---------------------------------------------------------------------------
# Gradients.


@pytest.mark.parametrize("cell_fn", [SimpleRNNCell, LSTMCell, GRUCell], ids=["rnn", "lstm", "gru"])
def test_bptt_gradient_matches_finite_differences_through_six_steps(cell_fn):
  with jax.enable_x64(True):
    cell = cell_fn(3)
    params = jax.tree.map(lambda a: a.astype(jnp.float64), cell.init(jax.random.key(0), 2))
    x = jnp.asarray(np.random.default_rng(0).normal(size=(2, 6, 2)))
    layer = RNN(cell, return_sequences=False)

    def loss(params, x):
      y, _ = layer.apply(params, {}, x)
      return jnp.sum(y**2)

    check_grads(loss, (params, x), order=1, modes=("rev",), eps=1e-6, atol=1e-6, rtol=1e-6)


def test_truncated_bptt_with_k_equal_to_t_equals_full_bptt(xs, assert_close):
  p = _params(LSTMCell(H))

  def loss(layer):
    return lambda params: jnp.sum(layer.apply(params, {}, xs)[0] ** 2)

  full = jax.grad(loss(RNN(LSTMCell(H))))(p)
  truncated = jax.grad(loss(RNN(LSTMCell(H), truncate=T)))(p)
  assert_close(truncated, full)


def test_truncated_bptt_equals_a_step_loop_with_stop_gradient_every_k_steps(xs, assert_close):
  """K = 3 over T = 7: chunks [0, 3), [3, 6), [6, 7), the carry cut at steps 3 and 6."""
  cell, k = LSTMCell(H), 3
  p = _params(cell)

  def reference_loss(params):
    carry, total = cell.zero_carry(N), 0.0
    for t in range(T):
      if t > 0 and t % k == 0:
        carry = jax.tree.map(jax.lax.stop_gradient, carry)
      carry, y = cell.step(params, carry, xs[:, t])
      total = total + jnp.sum(y**2)
    return total

  def layer_loss(params):
    return jnp.sum(RNN(cell, truncate=k).apply(params, {}, xs)[0] ** 2)

  want, got = jax.grad(reference_loss)(p), jax.grad(layer_loss)(p)
  assert_close(got, want)
  full = jax.grad(lambda q: jnp.sum(RNN(cell).apply(q, {}, xs)[0] ** 2))(p)
  assert not np.allclose(full["w_h"], got["w_h"], atol=1e-4)  # the cut made a difference


def test_truncated_bptt_leaves_the_forward_pass_unchanged(xs, assert_close):
  p = _params(GRUCell(H))
  full, _ = RNN(GRUCell(H)).apply(p, {}, xs)
  cut, _ = RNN(GRUCell(H), truncate=2).apply(p, {}, xs)
  assert_close(cut, full, reordered=True)


# ---------------------------------------------------------------------------
# Masking, reverse, initial carry, bidirectional, stacking.


LENGTHS = np.array([7, 4, 1])


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_masked_batch_equals_running_each_sequence_alone(xs, reverse, assert_close):
  p = _params(LSTMCell(H))
  seq_layer = RNN(LSTMCell(H), reverse=reverse, return_carry=True)
  last_layer = RNN(LSTMCell(H), reverse=reverse, return_sequences=False)
  inp = RNNInput(xs, lengths=jnp.asarray(LENGTHS))
  (ys, (_h, c)), _ = seq_layer.apply(p, {}, inp)
  last, _ = last_layer.apply(p, {}, inp)
  for n, length in enumerate(LENGTHS):
    (alone, (h_alone, c_alone)), _ = seq_layer.apply(p, {}, xs[n : n + 1, :length])
    assert_close(ys.x[n, :length], alone[0])
    np.testing.assert_array_equal(ys.x[n, length:], 0.0)
    assert_close(c[n], c_alone[0])
    assert_close(last[n], h_alone[0])


def test_reverse_equals_forward_on_the_time_flipped_input(xs, assert_close):
  p = _params(GRUCell(H))
  backward, _ = RNN(GRUCell(H), reverse=True).apply(p, {}, xs)
  forward, _ = RNN(GRUCell(H)).apply(p, {}, xs[:, ::-1])
  assert_close(backward, forward[:, ::-1], reordered=True)


def test_initial_carry_continues_a_sequence_where_it_stopped(xs, assert_close):
  p = _params(LSTMCell(H))
  layer = RNN(LSTMCell(H), return_carry=True)
  (whole, _), _ = layer.apply(p, {}, xs)
  (first, carry), _ = layer.apply(p, {}, xs[:, :3])
  (second, _), _ = layer.apply(p, {}, RNNInput(xs[:, 3:], carry=carry))
  assert_close(jnp.concatenate([first, second], 1), whole)


def test_bidirectional_with_lengths_equals_two_rnns_on_each_sequence_alone(xs, assert_close):
  layer = Bidirectional(SimpleRNNCell(H), return_sequences=False)
  params, _, out_shape = layer.init(jax.random.key(0), (1, T, F))
  assert out_shape == (1, 2 * H)
  got, _ = layer.apply(params, {}, RNNInput(xs, lengths=jnp.asarray(LENGTHS)))
  for n, length in enumerate(LENGTHS):
    seq = xs[n : n + 1, :length]
    fwd, _ = RNN(SimpleRNNCell(H), return_sequences=False).apply(params["forward"], {}, seq)
    bwd, _ = RNN(SimpleRNNCell(H), return_sequences=False).apply(
      params["backward"], {}, seq[:, ::-1]
    )
    assert_close(got[n], jnp.concatenate([fwd[0], bwd[0]]))


def test_stacked_rnns_in_serial_pass_the_lengths_on(xs, assert_close):
  model = fnn.serial(RNN(GRUCell(H)), RNN(LSTMCell(2), return_sequences=False), Dense(1))
  params, state, out_shape = model.init(jax.random.key(0), (1, T, F))
  assert out_shape == (1, 1)
  got, _ = model.apply(params, state, RNNInput(xs, lengths=jnp.asarray(LENGTHS)))
  for n, length in enumerate(LENGTHS):
    alone, _ = model.apply(params, state, xs[n : n + 1, :length])
    assert_close(got[n], alone[0])


@pytest.mark.parametrize(
  "layer",
  [
    RNN(LSTMCell(H)),
    RNN(GRUCell(H), return_sequences=False),
    RNN(LSTMCell(H), return_carry=True),
    Bidirectional(LSTMCell(H), GRUCell(2)),
  ],
  ids=["seq", "last", "carry", "bidir"],
)
def test_init_output_shape_agrees_with_apply(layer):
  params, state, out_shape = layer.init(jax.random.key(0), (N, T, F))
  y = jax.eval_shape(lambda p, x: layer.apply(p, state, x)[0], params, jnp.zeros((N, T, F)))
  assert jax.tree.map(lambda a: a.shape, y) == jax.tree.map(
    tuple, out_shape, is_leaf=lambda s: isinstance(s, tuple) and all(isinstance(d, int) for d in s)
  )


# ---------------------------------------------------------------------------
# Errors.


def test_wrong_rank_input_raises_naming_the_layout():
  layer = RNN(LSTMCell(H))
  params, _, _ = layer.init(jax.random.key(0), (1, T, F))
  with pytest.raises(
    fnn.ShapeError,
    match=r"RNN\(LSTMCell\(5\)\): expected input of rank 3 "
    r"\(N, T, F\), got shape \(3, 4\) \(rank 2\)",
  ):
    layer.apply(params, {}, jnp.ones((3, 4)))
  with pytest.raises(
    fnn.ShapeError,
    match=r"expected input of rank 3 \(N, T, F\), got shape "
    r"\(1, 4\)",
  ):
    layer.init(jax.random.key(0), (1, 4))


def test_wrong_feature_size_raises_under_jit_with_the_path():
  model = fnn.serial(RNN(GRUCell(H)), Dense(1))
  params, state, _ = model.init(jax.random.key(0), (1, T, F))
  with pytest.raises(
    fnn.ShapeError,
    match=r"serial\[0\] RNN\(GRUCell\(5\)\): expected "
    r"x\[\.\.\., 4\], got shape \(2, 7, 6\)",
  ):
    jax.jit(lambda p, x: model.apply(p, state, x))(params, jnp.ones((2, T, 6)))


def test_wrong_lengths_shape_or_dtype_raises():
  layer = RNN(SimpleRNNCell(H))
  params, _, _ = layer.init(jax.random.key(0), (1, T, F))
  x = jnp.ones((3, T, F))
  with pytest.raises(fnn.ShapeError, match=r"expected lengths of shape \(3,\)"):
    layer.apply(params, {}, RNNInput(x, lengths=jnp.array([1, 2])))
  with pytest.raises(TypeError, match="expected integer indices, got dtype float32"):
    layer.apply(params, {}, RNNInput(x, lengths=jnp.array([1.0, 2.0, 3.0])))


def test_wrong_initial_carry_raises_with_both_shapes():
  layer = RNN(LSTMCell(H))
  params, _, _ = layer.init(jax.random.key(0), (1, T, F))
  bad = jnp.zeros((3, H))  # an LSTM needs (h, c)
  with pytest.raises(
    fnn.ShapeError,
    match=r"expected an initial carry with shapes "
    r"\(\(3, 5\), \(3, 5\)\), got \(3, 5\)",
  ):
    layer.apply(params, {}, RNNInput(jnp.ones((3, T, F)), carry=bad))


def test_uncalled_cell_or_bad_options_raise():
  with pytest.raises(TypeError, match=r"did you mean LSTMCell\(hidden_size\)"):
    RNN(LSTMCell)
  with pytest.raises(ValueError, match="truncate must be a positive int"):
    RNN(LSTMCell(2), truncate=0)
  with pytest.raises(ValueError, match="hidden_size must be a positive int, got 0"):
    GRUCell(0)


def test_rnn_scan_is_the_function_under_the_layer(xs, assert_close):
  cell = GRUCell(H)
  p = _params(cell)
  carry, y = rnn_scan(cell, p, cell.zero_carry(N), xs, return_sequences=False)
  want, _ = RNN(cell, return_sequences=False).apply(p, {}, xs)
  assert_close(y, want, reordered=True)
  assert_close(carry, want, reordered=True)


@pytest.mark.parametrize(
  "options",
  [
    {},
    {"reverse": True},
    {"truncate": 3},
    {"reverse": True, "truncate": 2},
    {"return_sequences": False},
  ],
  ids=["plain", "reverse", "truncate", "reverse-truncate", "last"],
)
def test_fused_lstm_backward_equals_autodiff_of_the_plain_cell(xs, options, assert_close):
  """RNN(LSTMCell) runs lstm_scan's hand-written VJP; the Cell without it scans lstm_cell."""
  fused_cell = LSTMCell(H)
  plain_cell = fused_cell._replace(scan=None)
  p = _params(fused_cell)
  carry0 = (jnp.full((N, H), 0.3), jnp.full((N, H), -0.2))
  inp = RNNInput(xs, lengths=jnp.asarray(LENGTHS), carry=carry0)
  weights = jnp.asarray(np.random.default_rng(2).normal(size=(N, T, H)), jnp.float32)

  def loss(cell):
    def f(params, x, carry):
      (y, (_h, c)), _ = RNN(cell, return_carry=True, **options).apply(
        params, {}, inp._replace(x=x, carry=carry)
      )
      y = y.x if isinstance(y, RNNInput) else y
      return jnp.sum(y * (weights if y.ndim == 3 else weights[:, 0])) + jnp.sum(c**2)

    return jax.value_and_grad(f, argnums=(0, 1, 2))

  (want_loss, want), (got_loss, got) = (
    loss(plain_cell)(p, xs, carry0),
    loss(fused_cell)(p, xs, carry0),
  )
  assert_close(got_loss, want_loss)
  assert_close(got, want)


def test_init_takes_the_shapes_of_an_rnn_input():
  layer = RNN(GRUCell(H), return_sequences=False)
  _, _, out_shape = layer.init(jax.random.key(0), ((1, T, F), (1,), None))
  assert out_shape == (1, H)


def test_fit_trains_on_a_padded_batch_given_as_rnn_input():
  """Fit slices RNNInput(x, lengths) per batch; the masked sum of x is learnable."""
  import optax

  x = jax.random.normal(jax.random.key(0), (128, 6, 2))
  lengths = jax.random.randint(jax.random.key(1), (128,), 1, 7)
  y = jnp.sum(jnp.where(jnp.arange(6)[None, :, None] < lengths[:, None, None], x, 0), (1, 2))
  model = fnn.serial(RNN(LSTMCell(8), return_sequences=False), Dense(1))
  opt = optax.adam(1e-2)
  result = fnn.train.fit(
    model,
    fnn.losses.mean_squared_error,
    opt,
    RNNInput(x, lengths),
    y[:, None],
    key=jax.random.key(2),
    epochs=20,
    batch_size=16,
    progress=False,
  )
  assert result.history["loss"][-1] < 0.3 * result.history["loss"][0]


# ---------------------------------------------------------------------------
# Lengths out of range; per-step layers after an RNN on a padded batch (issue 13).


@pytest.mark.parametrize(
  ("bad", "index"), [([7, 8, 1], 1), ([7, 4, -1], 2)], ids=["above_T", "negative"]
)
@pytest.mark.parametrize(
  "layer",
  [RNN(LSTMCell(H)), RNN(GRUCell(H), return_sequences=False), Bidirectional(SimpleRNNCell(H))],
  ids=["rnn", "last", "bidir"],
)
def test_lengths_outside_zero_to_t_raise_in_eager_calls(xs, layer, bad, index):
  params, _, _ = layer.init(jax.random.key(0), (1, T, F))
  with pytest.raises(
    ValueError,
    match=rf"{re.escape(layer.name)}: lengths\[{index}\] = "
    rf"{bad[index]} is outside \[0, {T}\] \(T = {T}",
  ):
    layer.apply(params, {}, RNNInput(xs, jnp.asarray(bad)))


def test_under_jit_lengths_above_t_act_as_t_and_negative_ones_as_zero(xs):
  """The documented behaviour where lengths cannot be checked."""
  layer = RNN(LSTMCell(H))
  params, _, _ = layer.init(jax.random.key(0), (1, T, F))
  run = jax.jit(lambda lengths: layer.apply(params, {}, RNNInput(xs, lengths))[0].x)
  np.testing.assert_array_equal(run(jnp.array([9, 4, -3])), run(jnp.array([T, 4, 0])))


def test_check_lengths_is_the_host_side_check_fit_uses():
  check_lengths(np.array([0, 3, 5]), 5)
  with pytest.raises(
    ValueError,
    match=r"train.fit: lengths\[2\] = 6 is outside \[0, 5\] "
    r"\(T = 5, .*\); 2 of 4",
  ):
    check_lengths(np.array([0, 3, 6, -1]), 5, name="train.fit")


PER_STEP_MODELS = {
  "dense": lambda: fnn.serial(RNN(LSTMCell(H)), Dense(2)),
  "norm_act_dropout_dense": lambda: fnn.serial(
    RNN(GRUCell(H)), fnn.layers.LayerNorm(), fnn.layers.Relu(), fnn.layers.Dropout(0.5), Dense(2)
  ),
  "embedding_rnn_dense": lambda: fnn.serial(fnn.layers.Embedding(9, F), RNN(LSTMCell(H)), Dense(2)),
  "bidirectional_dense": lambda: fnn.serial(Bidirectional(LSTMCell(H)), Dense(2)),
}


def _sequence_input(name):
  if name.startswith("embedding"):
    return jnp.asarray(np.random.default_rng(0).integers(0, 9, (N, T)), jnp.int32), (1, T)
  return jnp.asarray(np.random.default_rng(0).normal(size=(N, T, F)), jnp.float32), (1, T, F)


@pytest.mark.parametrize("name", sorted(PER_STEP_MODELS))
def test_per_step_layers_after_an_rnn_take_the_padded_batch_and_agree_with_init(name):
  model = PER_STEP_MODELS[name]()
  x, shape = _sequence_input(name)
  lengths = jnp.asarray(LENGTHS)
  params, state, out_shape = model.init(jax.random.key(0), RNNInput(shape, (1,)))
  assert isinstance(out_shape, RNNInput)
  assert out_shape == RNNInput(shape[:2] + (2,), (1,))
  y, _ = model.apply(params, state, RNNInput(x, lengths))
  assert isinstance(y, RNNInput)
  assert y.x.shape == (N, T, 2)
  np.testing.assert_array_equal(y.lengths, lengths)
  # each sequence alone, unpadded, gives the same outputs at its real steps
  for n, length in enumerate(LENGTHS):
    alone, _ = model.apply(params, state, x[n : n + 1, :length])
    np.testing.assert_allclose(y.x[n, :length], alone[0], rtol=1e-5, atol=1e-6)


def test_the_issue_example_serial_rnn_dense_on_an_rnn_input(xs):
  model = fnn.serial(RNN(LSTMCell(8), return_sequences=True), Dense(1))
  params, state, out_shape = model.init(jax.random.key(0), (1, T, F))
  assert out_shape == (1, T, 1)  # plain input shapes give plain output shapes
  y, _ = model.apply(params, state, RNNInput(xs, jnp.asarray(LENGTHS)))
  assert y.x.shape == (N, T, 1)
  plain, _ = model.apply(params, state, xs)
  np.testing.assert_allclose(y.x[0], plain[0], rtol=1e-6)  # sequence 0 is full length


def test_batch_norm_refuses_a_padded_batch_naming_the_layers_that_take_one(xs):
  model = fnn.serial(RNN(LSTMCell(H)), fnn.layers.BatchNorm())
  params, state, _ = model.init(jax.random.key(0), (1, T, F))
  with pytest.raises(
    TypeError,
    match=r"serial\[1\] BatchNorm\(\): expected an array input, got "
    r"RNNInput; this layer does not act on each time step alone",
  ):
    model.apply(params, state, RNNInput(xs, jnp.asarray(LENGTHS)))
