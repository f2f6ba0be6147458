"""Deep belief networks: greedily stacked RBMs (Hinton, Osindero & Teh 2006).

A DBN here is a list of Bernoulli RBM params ``[rbm_1, ..., rbm_L]``, where
``rbm_l['w']`` is ``(n_{l-1}, n_l)`` and ``n_0`` is the data width. It is trained
bottom-up (:func:`pretrain`): each RBM is fitted to the previous one's deterministic
up-pass features ``p(h | v)``. The top two layers form an RBM and the lower layers
are directed (sigmoid belief net) connections, so :func:`generate` runs Gibbs sampling
in the top RBM and then one down-pass. :func:`to_mlp_params` copies the weights into
``fnn.models.mlp`` (sigmoid activations) for supervised fine-tuning.

Each layer trains through :func:`fnn.energy.rbm.fit` and so :func:`fnn.train.train_loop`
(checkpoints per layer under ``checkpoint_dir/layer_<l>``, resume, the non-finite guard).

Examples:
  >>> from fnn.energy import dbn
  >>> from fnn.layers import Sigmoid
  >>> x, _ = fnn.data.load_digits("train")
  >>> x_train = (x[:500].reshape(500, 64) > 0.5).astype(np.float32)
  >>> layers, histories = dbn.pretrain(
  ...   x_train,
  ...   [32, 16],
  ...   key=jax.random.key(0),
  ...   optimizer=optax.sgd(0.05),
  ...   epochs=1,
  ...   progress=False,
  ... )
  >>> model = fnn.models.mlp(64, [32, 16], 10, activation=Sigmoid)
  >>> params, state, _ = model.init(jax.random.key(1), (1, 64))
  >>> params = dbn.to_mlp_params(layers, params)
  >>> params["fc1"]["w"].shape, params["fc2"]["w"].shape
  ((64, 32), (32, 16))
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from fnn.core import ShapeError
from fnn.energy import rbm


def pretrain(
  data,
  hidden_sizes: Sequence[int],
  *,
  key: jax.Array,
  optimizer: optax.GradientTransformation,
  epochs: int | Sequence[int],
  batch_size: int = 100,
  k: int = 1,
  persistent: bool = False,
  progress: bool = True,
  checkpoint_dir=None,
  resume=None,
  **fit_kwargs,
) -> tuple[list[dict], list[dict]]:
  """Greedy layer-wise training of a stack of Bernoulli RBMs.

  Args:
    data: ``(N, n_visible)`` training data in [0, 1].
    hidden_sizes: the hidden layer sizes, bottom to top, e.g. ``[256, 128]``.
    key: PRNG key; layer ``l`` uses ``fold_in(key, l)``.
    optimizer: the optax optimizer for every layer.
    epochs: epochs per layer (one int for all, or one per layer).
    batch_size: minibatch size, passed to :func:`fnn.energy.rbm.fit`.
    k: Gibbs sweeps per update, passed to :func:`fnn.energy.rbm.fit`.
    persistent: PCD instead of CD, passed to :func:`fnn.energy.rbm.fit`.
    progress: a progress bar per layer, passed to :func:`fnn.energy.rbm.fit`.
    checkpoint_dir: layer ``l`` checkpoints into ``<checkpoint_dir>/layer_<l>``.
    resume: layer ``l`` resumes from ``<resume>/layer_<l>``, so an interrupted
      pretraining continues where it stopped.
    **fit_kwargs: passed to :func:`fnn.energy.rbm.fit`.

  Returns:
    ``(layers, histories)``: the RBM params bottom to top and each layer's fit history.
  """
  if not hidden_sizes:
    raise ValueError("dbn.pretrain: hidden_sizes must name at least one layer")
  epochs_per_layer = (
    [epochs] * len(hidden_sizes) if isinstance(epochs, (int, np.integer)) else list(epochs)
  )
  if len(epochs_per_layer) != len(hidden_sizes):
    raise ValueError(
      f"dbn.pretrain: got {len(epochs_per_layer)} epoch counts for {len(hidden_sizes)} layers"
    )
  x = jnp.asarray(data)
  if x.ndim != 2:
    raise ShapeError(f"dbn.pretrain: expected data of shape (N, n_visible), got {x.shape}")
  layers, histories = [], []
  for depth, (size, n_epochs) in enumerate(zip(hidden_sizes, epochs_per_layer, strict=True)):
    layer_key = jax.random.fold_in(key, depth)
    k_init, k_fit = jax.random.split(layer_key)
    params = rbm.init(
      k_init, x.shape[1], int(size), visible_bias=rbm.data_visible_bias(x) if depth == 0 else None
    )
    result = rbm.fit(
      params,
      x,
      key=k_fit,
      optimizer=optimizer,
      epochs=n_epochs,
      batch_size=batch_size,
      k=k,
      persistent=persistent,
      progress=progress,
      desc=f"DBN layer {depth + 1}",
      checkpoint_dir=_layer_dir(checkpoint_dir, depth),
      resume=_layer_dir(resume, depth),
      **fit_kwargs,
    )
    layers.append(result.state.params)
    histories.append(result.history)
    x = rbm.hidden_probs(result.state.params, x)  # deterministic up-pass for the next layer
  return layers, histories


def _layer_dir(folder, depth: int):
  return None if folder is None else pathlib.Path(folder) / f"layer_{depth}"


def _check_stack(where: str, layers) -> None:
  if not layers:
    raise ValueError(f"{where}: the DBN has no layers")
  for i, params in enumerate(layers):
    rbm.check_params(f"{where}: layer {i + 1}", params)
    if i and params["w"].shape[0] != layers[i - 1]["w"].shape[1]:
      raise ShapeError(
        f"{where}: layer {i + 1} has {params['w'].shape[0]} visible units but "
        f"layer {i} has {layers[i - 1]['w'].shape[1]} hidden units"
      )


def up_pass(layers: Sequence[dict], v) -> list:
  """Deterministic up-pass ``x_l = p(h_l = 1 | x_{l-1})``.

  Args:
    layers: the DBN's RBM params, bottom to top.
    v: ``(N, n_visible)`` data.

  Returns:
    ``[x_1, ..., x_L]``, each ``(N, n_l)``; ``x_L`` is the top-level feature.
  """
  _check_stack("dbn.up_pass", layers)
  features = []
  for params in layers:
    v = rbm.hidden_probs(params, v)
    features.append(v)
  return features


def down_pass(layers: Sequence[dict], h_top, *, key: jax.Array | None = None):
  """Top-down generative pass from the top RBM's visible layer to the data.

  Args:
    layers: the DBN's RBM params, bottom to top.
    h_top: ``(N, n_{L-1})`` states of the top RBM's visible layer (the layer below the top).
    key: if given, sample each layer; otherwise propagate probabilities (and return the
      data layer's probabilities).

  Returns:
    ``(N, n_visible)`` visible probabilities (``key=None``) or samples.
  """
  x = h_top
  for depth, params in reversed(list(enumerate(layers[:-1]))):
    if key is None:
      x = rbm.visible_mean(params, x)
    else:
      x = rbm.sample_visible(jax.random.fold_in(key, depth), params, x)
  return x


def generate(
  key: jax.Array,
  layers: Sequence[dict],
  n_samples: int,
  n_gibbs: int = 1000,
  *,
  v0=None,
  mean_visible: bool = True,
):
  """Samples from a DBN: ``n_gibbs`` Gibbs sweeps in the top RBM, then a down-pass.

  Args:
    key: PRNG key.
    layers: the DBN's RBM params, bottom to top.
    n_samples: number of samples (ignored if ``v0`` is given).
    n_gibbs: Gibbs sweeps in the top RBM.
    v0: optional start ``(n_samples, n_{L-1})`` for the top RBM's visible layer
      (e.g. the up-pass of some data); default random bits.
    mean_visible: return the data layer's probabilities (nicer pictures) rather than a
      binary sample.

  Returns:
    ``(n_samples, n_visible)`` samples.
  """
  _check_stack("dbn.generate", layers)
  top = layers[-1]
  k0, k_gibbs, k_down = jax.random.split(key, 3)
  if v0 is None:
    v0 = jax.random.bernoulli(k0, 0.5, (n_samples, top["w"].shape[0])).astype(top["w"].dtype)
  x = rbm.gibbs_chain(k_gibbs, top, v0, n_gibbs)
  if len(layers) == 1:
    return rbm.visible_mean(top, rbm.sample_hidden(k_down, top, x)) if mean_visible else x
  return down_pass(layers, x, key=None if mean_visible else k_down)


def to_mlp_params(layers: Sequence[dict], mlp_params: dict) -> dict:
  """Copies the DBN's weights into ``fnn.models.mlp`` params for fine-tuning.

  ``fc{l}`` gets ``{'w': rbm_l['w'], 'b': rbm_l['b_h']}``; ``out`` keeps its own
  initialisation. Build the MLP with the same hidden sizes and ``activation=Sigmoid``
  so the forward pass is the DBN's up-pass.

  Args:
    layers: the DBN's RBM params, bottom to top.
    mlp_params: params from ``mlp(n_visible, hidden_sizes, n_out).init``.

  Returns:
    A new params dict.
  """
  _check_stack("dbn.to_mlp_params", layers)
  params = dict(mlp_params)
  for i, layer in enumerate(layers, start=1):
    name = f"fc{i}"
    if name not in params:
      raise ShapeError(
        f"dbn.to_mlp_params: the MLP has no {name!r} for DBN layer {i}; it has {sorted(params)}"
      )
    if params[name]["w"].shape != layer["w"].shape:
      raise ShapeError(
        f"dbn.to_mlp_params: {name}.w is {params[name]['w'].shape} but DBN layer "
        f"{i} w is {layer['w'].shape}"
      )
    params[name] = {**params[name], "w": layer["w"], "b": layer["b_h"]}
  return params
