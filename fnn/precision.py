"""Mixed precision as a combinator: float32 parameters, low-precision compute.

``mixed_precision(layer)`` is a Layer with the same ``init`` (so the parameters, the
optimizer state built from them and checkpoints stay float32) whose ``apply`` casts
the parameters and the floating-point inputs to ``compute_dtype`` (bfloat16 by
default), runs ``layer`` and gives its output in ``output_dtype`` (float32 by
default). Because the cast is part of the differentiated function, ``jax.grad``
returns float32 gradients for float32 parameters. What stays float32:

* parameters, gradients, optimizer state and checkpoints (nothing is stored in bf16);
* the layer's ``state`` (BatchNorm running statistics) is passed through uncast, and
  BatchNorm and LayerNorm compute their statistics in float32 whatever their input;
* the output, so a softmax and a loss applied to it (``fnn.losses``) run in float32.
  Keep a ``Softmax``/``LogSoftmax`` layer outside the wrapped part:
  ``serial(mixed_precision(body), LogSoftmax())``.

Integer inputs (``Embedding`` indices, ``RNNInput`` lengths) are never cast.

Examples:
  fit, train_step, save_params / load_params work unchanged; the params stay float32.

  >>> model = fnn.mixed_precision(fnn.models.mlp(64, [32], 10))
  >>> ts = fnn.train.init_train_state(jax.random.key(0), model, optax.adam(1e-3), (1, 64))
  >>> ts.params["fc1"]["w"].dtype
  dtype('float32')
  >>> y, _ = model.apply(ts.params, ts.state, jnp.ones((2, 64)))
  >>> y.shape, y.dtype
  ((2, 10), dtype('float32'))
"""

from typing import Any

import jax
import jax.numpy as jnp

from fnn.core import Layer, PyTree

__all__ = ["cast_floating", "mixed_precision"]


def cast_floating(tree: Any, dtype: Any) -> Any:
  """Casts the floating-point leaves of ``tree`` to ``dtype``; other leaves pass through.

  Args:
    tree: a pytree of arrays (params, an input, an ``RNNInput``...).
    dtype: the target floating dtype.

  Returns:
    The same structure, with every floating leaf of dtype ``dtype``; integer, bool and
    PRNG-key leaves, and non-array leaves, are returned as they are.
  """

  def cast(leaf: Any) -> Any:
    if hasattr(leaf, "dtype") and jnp.issubdtype(leaf.dtype, jnp.floating):
      return leaf.astype(dtype)
    return leaf

  return jax.tree.map(cast, tree)


def _same_dtypes(new_state: Any, old_state: Any) -> Any:
  """Gives ``new_state`` the dtypes of ``old_state`` (so a scan's carry keeps its type)."""
  if jax.tree.structure(new_state) != jax.tree.structure(old_state):  # type: ignore[operator]
    return new_state
  return jax.tree.map(
    lambda new, old: (
      new.astype(old.dtype) if hasattr(new, "astype") and hasattr(old, "dtype") else new
    ),
    new_state,
    old_state,
  )


def mixed_precision(
  layer: Layer, compute_dtype: Any = jnp.bfloat16, output_dtype: Any = jnp.float32
) -> Layer:
  """Runs ``layer`` in ``compute_dtype`` with float32 parameters and output.

  Args:
    layer: any Layer or combinator (a whole model or one part of it).
    compute_dtype: the dtype ``apply`` casts parameters and floating inputs to,
      e.g. ``jnp.bfloat16`` (TPU, Ampere+ GPUs) or ``jnp.float16``.
    output_dtype: the dtype of the floating leaves of the output; ``None`` leaves
      them in ``compute_dtype`` (to chain two wrapped parts without a round trip).

  Returns:
    A Layer with ``layer``'s ``init`` and geometry, params and state; its ``apply``
    is ``(params, state, x, *, key=None, train=False) -> (y, new_state)`` as
    ``layer``'s, with ``y``'s floating leaves in ``output_dtype`` and ``new_state``
    in the dtypes of ``state``.

  Raises:
    TypeError: if ``compute_dtype`` or ``output_dtype`` is not a floating dtype.
  """
  compute_dtype = _floating_dtype(compute_dtype, "compute_dtype")
  if output_dtype is not None:
    output_dtype = _floating_dtype(output_dtype, "output_dtype")

  def apply(
    params: PyTree,
    state: PyTree,
    x: Any,
    *,
    key: jax.Array | None = None,
    train: bool = False,
  ) -> tuple[Any, PyTree]:
    y, new_state = layer.apply(
      cast_floating(params, compute_dtype),
      state,
      cast_floating(x, compute_dtype),
      key=key,
      train=train,
    )
    if output_dtype is not None:
      y = cast_floating(y, output_dtype)
    return y, _same_dtypes(new_state, state)

  name = f"mixed_precision({layer!r}, {compute_dtype.name})"
  return Layer(layer.init, apply, name, layer.geometry)


def _floating_dtype(dtype: Any, what: str) -> Any:
  try:
    checked = jnp.dtype(dtype) if dtype is not None else None
  except TypeError:
    checked = None
  if checked is None or not jnp.issubdtype(checked, jnp.floating):
    raise TypeError(
      f"precision.mixed_precision: {what} must be a floating dtype such as "
      f"jnp.bfloat16, got {dtype!r}"
    )
  return checked
