"""fnn.mixed_precision: bfloat16 compute with float32 parameters, against the float32 model.

Every layer of the conformance harness (tests/layers/test_conformance.py) also runs
wrapped, under jit, grad and vmap; here are the models the issue names, the float32
guarantees (gradients, statistics, optimizer state, checkpoints) and a training run.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import fnn
from fnn import layers as L
from fnn import models
from fnn.precision import cast_floating

BF16 = jnp.dtype(jnp.bfloat16)
F32 = jnp.dtype(jnp.float32)


def _lenet5_batchnorm():
  """LeNet-5 (fnn.models.lenet5's layers) with BatchNorm after each convolution."""
  return fnn.named_serial(
    ("conv1", L.Conv(6, (5, 5))),
    ("bn1", L.BatchNorm()),
    ("act1", L.Relu()),
    ("pool1", L.MaxPool((2, 2))),
    ("conv2", L.Conv(16, (5, 5), padding="VALID")),
    ("bn2", L.BatchNorm()),
    ("act2", L.Relu()),
    ("pool2", L.MaxPool((2, 2))),
    ("flatten", L.Flatten()),
    ("fc1", L.Dense(120)),
    ("act3", L.Relu()),
    ("fc2", L.Dense(84)),
    ("act4", L.Relu()),
    ("out", L.Dense(10)),
  )


def _lstm():
  return fnn.serial(
    L.RNN(L.LSTMCell(32)), L.RNN(L.LSTMCell(16), return_sequences=False), L.Dense(3)
  )


MODELS = {
  "mlp": (lambda: models.mlp(64, [256, 256], 10), (32, 64), {}),
  "lenet5_batchnorm_train": (_lenet5_batchnorm, (16, 28, 28, 1), {"train": True}),
  "lenet5_batchnorm_eval": (_lenet5_batchnorm, (16, 28, 28, 1), {}),
  "lstm": (_lstm, (8, 20, 5), {}),
}


@pytest.fixture(scope="module", params=sorted(MODELS))
def model_case(request):
  build, shape, kwargs = MODELS[request.param]
  model = build()
  params, state, _ = model.init(jax.random.key(0), shape)
  x = jnp.asarray(np.random.default_rng(0).normal(size=shape), jnp.float32)
  return model, params, state, x, kwargs


def _apply(model, kwargs):
  return jax.jit(lambda p, s, x: model.apply(p, s, x, **kwargs))


def test_bfloat16_forward_is_within_bfloat16_rounding_of_float32(model_case, assert_close):
  model, params, state, x, kwargs = model_case
  want, want_state = _apply(model, kwargs)(params, state, x)
  got, got_state = _apply(fnn.mixed_precision(model), kwargs)(params, state, x)
  assert got.dtype == F32
  assert_close(got, want, dtype=BF16)
  # BatchNorm's running statistics stay float32 and follow the float32 model's
  assert jax.tree.map(lambda a: a.dtype, got_state) == jax.tree.map(lambda a: a.dtype, state)
  assert_close(got_state, want_state, dtype=BF16)


def test_every_product_runs_in_the_compute_dtype(model_case):
  model, params, state, x, kwargs = model_case
  mixed = fnn.mixed_precision(model)
  jaxpr = jax.make_jaxpr(lambda p, x: mixed.apply(p, state, x, **kwargs))(params, x)
  products = [
    e
    for e in _equations(jaxpr.jaxpr)
    if e.primitive.name in ("dot_general", "conv_general_dilated")
  ]
  assert products
  assert all(v.aval.dtype == BF16 for e in products for v in e.invars), products


def _equations(jaxpr):
  """Every equation of ``jaxpr``, including those inside scans, custom VJPs and pjits."""
  for eqn in jaxpr.eqns:
    yield eqn
    for param in eqn.params.values():
      inner = getattr(param, "jaxpr", param)
      if hasattr(inner, "eqns"):
        yield from _equations(inner)


def test_gradients_are_float32_and_follow_the_float32_gradients(model_case):
  model, params, state, x, kwargs = model_case

  def grads(m):
    return jax.jit(jax.grad(lambda p: jnp.mean(m.apply(p, state, x, **kwargs)[0] ** 2)))(params)

  want, got = grads(model), grads(fnn.mixed_precision(model))
  assert jax.tree.map(lambda a: a.dtype, got) == jax.tree.map(lambda a: a.dtype, params)

  # As one vector: a conv bias before BatchNorm has a true gradient of 0 (the batch
  # mean removes it), which bf16 rounding leaves at a few eps of the others' scale.
  def flat(tree):
    return jnp.concatenate([a.ravel() for a in jax.tree.leaves(tree)])

  error = float(jnp.linalg.norm(flat(got) - flat(want)))
  assert error <= 8 * float(jnp.finfo(BF16).eps) * float(jnp.linalg.norm(flat(want)))


def test_integer_inputs_are_not_cast(assert_close):
  rng = np.random.default_rng(1)
  tokens = jnp.asarray(rng.integers(0, 50, (3, 6)), jnp.int32)
  sequences = L.RNNInput(
    jnp.asarray(rng.normal(size=(3, 6, 2)), jnp.float32), lengths=jnp.asarray([6, 2, 4])
  )
  for model, x in [
    (fnn.serial(L.Embedding(50, 8), L.Flatten(), L.Dense(2)), tokens),
    (L.RNN(L.LSTMCell(4), return_sequences=False), sequences),
  ]:
    params, state, _ = model.init(jax.random.key(0), (1, 6) if x is tokens else (1, 6, 2))
    want, _ = model.apply(params, state, x)
    got, _ = fnn.mixed_precision(model).apply(params, state, x)
    assert got.dtype == F32
    assert_close(got, want, dtype=BF16)
  cast = cast_floating(
    {"i": tokens, "b": jnp.ones(2, bool), "k": jax.random.key(0), "f": jnp.ones(2)}, BF16
  )
  assert [cast[k].dtype for k in "ibf"] == [jnp.int32, jnp.bool_, BF16]
  assert jax.dtypes.issubdtype(cast["k"].dtype, jax.dtypes.prng_key)


@pytest.mark.parametrize("norm", [L.BatchNorm, L.LayerNorm])
def test_norm_statistics_are_float32_for_bfloat16_input(norm):
  """A mean kept in bf16 would shift the output; float32 statistics do not.

  Features around 100 with unit spread: bf16's spacing there is 0.5, so a mean rounded
  to bf16 would shift every normalised value by up to a quarter.
  """
  layer = norm()
  x = (100 + jnp.asarray(np.random.default_rng(2).normal(size=(256, 4)))).astype(BF16)
  params, state, _ = layer.init(None, x.shape)
  got, _ = layer.apply(params, state, x, **({"train": True} if norm is L.BatchNorm else {}))
  want, _ = layer.apply(
    params, state, x.astype(F32), **({"train": True} if norm is L.BatchNorm else {})
  )
  assert got.dtype == BF16
  np.testing.assert_allclose(got.astype(F32), want.astype(BF16).astype(F32), rtol=0, atol=0)


def test_train_step_and_checkpoints_keep_float32_params_and_optimizer_state(tmp_path):
  model = fnn.mixed_precision(models.mlp(4, [8], 3))
  opt = optax.adam(1e-2)
  ts = fnn.train.init_train_state(jax.random.key(0), model, opt, (1, 4))
  step = fnn.train.train_step(model, fnn.losses.softmax_cross_entropy, opt)
  x = jnp.asarray(np.random.default_rng(3).normal(size=(8, 4)), jnp.float32)
  ts, logs = step(ts, x, jnp.arange(8) % 3)
  floats = [
    a for a in jax.tree.leaves((ts.params, ts.opt_state)) if jnp.issubdtype(a.dtype, jnp.floating)
  ]
  assert floats
  assert {a.dtype for a in floats} == {F32}
  assert logs["loss"].dtype == F32
  fnn.save_params(tmp_path / "p.msgpack", ts.params)
  loaded = fnn.load_params(tmp_path / "p.msgpack", like=ts.params)
  jax.tree.map(np.testing.assert_array_equal, loaded, ts.params)


def test_fit_trains_a_bfloat16_mlp_on_the_digits_to_95_percent():
  x_train, y_train = fnn.data.load_digits("train")
  x_test, y_test = fnn.data.load_digits("test")
  model = fnn.mixed_precision(models.mlp(64, [128], 10))
  result = fnn.train.fit(
    model,
    fnn.losses.softmax_cross_entropy,
    optax.adam(3e-3),
    x_train.reshape(-1, 64),
    y_train,
    key=jax.random.key(0),
    epochs=15,
    batch_size=64,
    progress=False,
  )
  params = result.state.params
  assert {a.dtype for a in jax.tree.leaves(params)} == {F32}
  logits, _ = model.apply(params, result.state.state, jnp.asarray(x_test.reshape(-1, 64)))
  accuracy = float(fnn.metrics.accuracy(logits, jnp.asarray(y_test)))
  assert accuracy >= 0.95, accuracy


def test_output_dtype_none_keeps_the_compute_dtype_and_bad_dtypes_raise():
  layer = fnn.mixed_precision(L.Dense(2), output_dtype=None)
  params, state, _ = layer.init(jax.random.key(0), (1, 3))
  assert layer.apply(params, state, jnp.ones((1, 3)))[0].dtype == BF16
  assert repr(fnn.mixed_precision(L.Dense(2))) == "mixed_precision(Dense(2), bfloat16)"
  with pytest.raises(TypeError, match=r"^precision.mixed_precision: compute_dtype must be"):
    fnn.mixed_precision(L.Dense(2), compute_dtype=jnp.int32)
  with pytest.raises(TypeError, match=r"^precision.mixed_precision: output_dtype must be"):
    fnn.mixed_precision(L.Dense(2), output_dtype="not a dtype")


def test_the_suite_runs_at_matmul_precision_highest():
  """tests/conftest.py sets it once for every test (see docs/precision.md)."""
  assert jax.config.jax_default_matmul_precision == "highest"
  jaxpr = jax.make_jaxpr(lambda a: a @ a)(jnp.ones((2, 2)))
  assert jaxpr.eqns[0].params["precision"] == (jax.lax.Precision.HIGHEST,) * 2


@pytest.mark.backend_precision
def test_the_backend_precision_marker_restores_the_backend_default():
  assert jax.config.jax_default_matmul_precision is None
