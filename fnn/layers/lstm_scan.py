"""A whole-sequence LSTM with a hand-written backward pass: what RNN(LSTMCell) runs.

``jax.grad`` through ``lax.scan`` of :func:`fnn.layers.recurrent.lstm_cell` is correct
but, on CPU, slower than it needs to be: at every step of the reverse scan it adds the
step's ``(H, 4H)`` and ``(F, 4H)`` weight gradients into the accumulators and it
recomputes the gate activations. This version (the way cuDNN and PyTorch do it) saves
the activations in the forward scan, runs a reverse scan that only carries ``(dh, dc)``
and emits the gate gradients ``dz_t``, and then forms the weight gradients with one
large matmul over all ``T * N`` rows. benchmarks/README.md has the measurements.

The forward pass evaluates the four gates with one sigmoid over ``(N, 4H)``, using
``tanh(x) = 2 σ(2x) - 1`` for the candidate ``g``: one elementwise pass instead of a
sigmoid, a tanh and a concatenation to save them.

Masking (``valid``) and truncated BPTT (``cut``) are per-step flags, so the same code
serves every RNN(LSTMCell) option; tests check the gradients against autodiff of the
plain cell with masks and truncation.
"""

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax


def _gate_scale(hidden: int, dtype: Any) -> jax.Array:
  """Per-column factor on the pre-activations: 2 on g's block (tanh x = 2σ(2x) - 1)."""
  return jnp.ones((4, hidden), dtype).at[2].set(2.0).reshape(-1)


@partial(jax.custom_vjp, nondiff_argnums=(5,))
def _lstm_seq(params: Any, carry: Any, xs: jax.Array, valid: Any, cut: Any, unroll: int) -> Any:
  return _forward(params, carry, xs, valid, cut, unroll)[0]


def _forward(params: Any, carry: Any, xs: jax.Array, valid: Any, cut: Any, unroll: int) -> Any:
  w_i, w_h, b = params["w_i"], params["w_h"], params["b"]
  hidden = w_h.shape[0]
  scale = _gate_scale(hidden, xs.dtype)

  def step(carry: Any, inp: Any) -> tuple[Any, Any]:
    h, c = carry
    x_t, valid_t = inp
    act = jax.nn.sigmoid((x_t @ w_i + h @ w_h + b) * scale)
    i, f, g, o = jnp.split(act, 4, axis=-1)
    c_new = f * c + i * (2.0 * g - 1.0)
    tanh_c = jnp.tanh(c_new)
    h_new = o * tanh_c
    v = valid_t[:, None]  # steps past a sequence's end keep the old carry
    h_new, c_new = jnp.where(v, h_new, h), jnp.where(v, c_new, c)
    return (h_new, c_new), (h_new, c_new, tanh_c, act)

  final, (hs, cs, tanh_cs, acts) = lax.scan(step, carry, (xs, valid), unroll=unroll)
  return (final, hs), (params, carry, xs, valid, cut, hs, cs, tanh_cs, acts)


def _backward(unroll: int, residuals: Any, grads: Any) -> Any:
  params, (h0, c0), xs, valid, cut, hs, cs, tanh_cs, acts = residuals
  (dh_final, dc_final), dhs = grads
  w_i, w_h = params["w_i"], params["w_h"]
  w_h_t = w_h.T
  c_prev = jnp.concatenate([c0[None], cs[:-1]], axis=0)

  def step(carry: Any, inp: Any) -> tuple[Any, Any]:
    dh, dc = carry
    dh_t, tanh_c, c_prev_t, act, valid_t, cut_t = inp
    dh = dh + dh_t
    i, f, g_sig, o = jnp.split(act, 4, axis=-1)
    g = 2.0 * g_sig - 1.0
    dc_total = dc + dh * o * (1.0 - tanh_c * tanh_c)
    dz = jnp.concatenate(
      [
        dc_total * g * i * (1.0 - i),
        dc_total * c_prev_t * f * (1.0 - f),
        dc_total * i * (1.0 - g * g),
        dh * tanh_c * o * (1.0 - o),
      ],
      axis=-1,
    )
    v = valid_t[:, None]
    dz = jnp.where(v, dz, 0.0)
    dh_prev = jnp.where(v, dz @ w_h_t, dh)
    dc_prev = jnp.where(v, dc_total * f, dc)
    # Truncated BPTT: the carry entering this step was cut from the graph.
    dh_prev, dc_prev = jnp.where(cut_t, 0.0, dh_prev), jnp.where(cut_t, 0.0, dc_prev)
    return (dh_prev, dc_prev), dz

  (dh0, dc0), dz = lax.scan(
    step,
    (dh_final, dc_final),
    (dhs, tanh_cs, c_prev, acts, valid, cut),
    reverse=True,
    unroll=unroll,
  )
  h_prev = jnp.concatenate([h0[None], hs[:-1]], axis=0)
  rows = dz.reshape(-1, dz.shape[-1])  # (T * N, 4H): one matmul per weight gradient
  d_params = {
    "w_i": xs.reshape(-1, xs.shape[-1]).T @ rows,
    "w_h": h_prev.reshape(-1, h_prev.shape[-1]).T @ rows,
    "b": rows.sum(axis=0),
  }

  # The carry stays an (h, c) pair; valid/cut are booleans, whose cotangents are float0.
  def no_grad(a: Any) -> jax.Array:
    return jnp.zeros(a.shape, jax.dtypes.float0)

  return d_params, (dh0, dc0), dz @ w_i.T, no_grad(valid), no_grad(cut)


_lstm_seq.defvjp(
  lambda params, carry, xs, valid, cut, unroll: _forward(params, carry, xs, valid, cut, unroll),
  _backward,
)


def lstm_scan(
  params: Any, carry: Any, xs: jax.Array, valid: Any = None, cut: Any = None, unroll: int = 1
) -> tuple[Any, jax.Array]:
  """Runs the LSTM over time-major ``xs``, with the hand-written backward pass.

  Args:
    params: ``{'w_i': (F, 4H), 'w_h': (H, 4H), 'b': (4H,)}``, gates i, f, g, o.
    carry: ``(h, c)``, each ``(N, H)``.
    xs: ``(T, N, F)``, in the order the steps run.
    valid: optional ``(T, N)`` bools; where False the carry is held (padding).
    cut: optional ``(T,)`` bools; where True the gradient does not flow back into
      the carry that enters the step (truncated BPTT).
    unroll: ``lax.scan``'s unroll factor.

  Returns:
    ``((h_T, c_T), hs)`` with ``hs`` ``(T, N, H)`` the ``h`` carried after each step
    (held through invalid steps; the caller zeroes padded outputs).
  """
  t, n = xs.shape[0], xs.shape[1]
  valid = jnp.ones((t, n), bool) if valid is None else valid
  cut = jnp.zeros((t,), bool) if cut is None else cut
  return _lstm_seq(params, tuple(carry), xs, valid, cut, unroll)
