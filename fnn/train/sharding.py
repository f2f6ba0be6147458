"""Sharding: training across devices and hosts with ``jax.sharding``.

fnn adds no scheduler: a ``jax.sharding.Mesh`` says which devices take part, and
``jax.jit`` partitions the compiled epochs over them.

* ``fnn.train.fit(..., mesh=mesh)`` with an axis named ``"data"``: each step's batch
  is sharded over that axis; the parameters, the optimizer state and the training set
  (placed once per ``fit``) are replicated. XLA inserts the gradient all-reduce, and
  batch statistics (BatchNorm) are those of the whole batch.
* ``fnn.train.vmap_fit(..., mesh=mesh)`` with an axis named ``"model"``: the stacked
  models are sharded over that axis; the data are replicated.
* Several hosts: every process runs the same script after
  ``jax.distributed.initialize``; :func:`process_share` says which rows a process
  loads and :func:`global_data` joins the shares into one global array.

See docs/scale.md for the commands, from one CPU to several hosts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

from fnn.core import PyTree

DATA_AXIS = "data"
MODEL_AXIS = "model"


def check_mesh(where: str, mesh: Any, axis: str) -> int:
  """Raises unless ``mesh`` is a Mesh with an axis named ``axis``; returns that axis' size."""
  if not isinstance(mesh, Mesh):
    raise TypeError(
      f"{where}: mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}; "
      f"build one with jax.make_mesh((jax.device_count(),), ({axis!r},))"
    )
  if axis not in mesh.axis_names:
    raise ValueError(
      f"{where}: the mesh needs an axis named {axis!r}, got axes "
      f"{tuple(mesh.axis_names)}; build one with "
      f"jax.make_mesh((jax.device_count(),), ({axis!r},))"
    )
  return int(mesh.shape[axis])


def check_divisible(where: str, what: str, size: int, mesh: Mesh, axis: str) -> None:
  """Raises ValueError naming both numbers unless ``size`` divides by the axis' size."""
  devices = int(mesh.shape[axis])
  if size % devices:
    raise ValueError(
      f"{where}: {what} {size} does not divide by the {devices} devices of "
      f"the mesh's {axis!r} axis; use a multiple of {devices}"
    )


def auto_axes(mesh: Mesh) -> Mesh:
  """``mesh`` with every axis of type Auto.

  XLA then partitions the compiled epochs from the shardings fnn lays on the batch and
  the state. (``jax.make_mesh`` makes Explicit axes by default, whose sharding is part of
  each array's type.)
  """
  if all(t == AxisType.Auto for t in mesh.axis_types):
    return mesh
  return Mesh(mesh.devices, mesh.axis_names, axis_types=(AxisType.Auto,) * mesh.devices.ndim)


def leading_axis_sharding(mesh: Mesh, axis: str) -> NamedSharding:
  """Arrays split along their leading axis over the mesh axis ``axis``.

  A batch of examples over ``"data"``, a stack of models over ``"model"``; replicated
  over the other axes.
  """
  return NamedSharding(auto_axes(mesh), PartitionSpec(axis))


def replicated(mesh: Mesh) -> NamedSharding:
  """A full copy on every device of the mesh."""
  return NamedSharding(auto_axes(mesh), PartitionSpec())


@functools.lru_cache(maxsize=32)
def _resharder(sharding: NamedSharding) -> Callable[[PyTree], PyTree]:
  return jax.jit(lambda tree: tree, out_shardings=sharding)


def _from_host(leaf: Any, sharding: NamedSharding) -> jax.Array:
  """A global array from a value every process holds whole (a replicated TrainState)."""
  if jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
    data = _from_host(jax.random.key_data(leaf), sharding)
    return jax.random.wrap_key_data(data, impl=jax.random.key_impl(leaf))
  host = np.asarray(leaf)
  return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])


def place(tree: PyTree, sharding: NamedSharding) -> PyTree:
  """Puts every leaf of ``tree`` on the devices of ``sharding``, laid out as it says.

  With one process this is ``jax.device_put``. Across processes, global arrays
  (from :func:`global_data`) are resharded by a compiled identity, and values each
  process holds whole (host arrays, a TrainState it initialised) are assembled from
  its own copy. A leaf already laid out so is returned as it is.
  """

  def put(leaf: Any) -> jax.Array:
    if isinstance(leaf, jax.Array):
      if leaf.sharding == sharding:
        return leaf
      if not leaf.is_fully_addressable:
        return _resharder(sharding)(leaf)
    if sharding.is_fully_addressable:
      return jax.device_put(leaf, sharding)
    return _from_host(leaf, sharding)

  return jax.tree.map(put, tree)


def replicate(tree: PyTree, mesh: Mesh | None) -> PyTree:
  """``tree`` copied to every device of ``mesh`` (:func:`place`); ``device_put`` without one."""
  return jax.device_put(tree) if mesh is None else place(tree, replicated(mesh))


def split(tree: PyTree, mesh: Mesh | None, axis: str) -> PyTree:
  """``tree`` split along its leading axis over the mesh axis ``axis``; as it is without a mesh."""
  return tree if mesh is None else place(tree, leading_axis_sharding(mesh, axis))


def process_share(num_examples: int) -> slice:
  """The rows of a data set of ``num_examples`` that this process loads.

  Shares are contiguous, equal and in process order (process ``i`` of ``P`` loads
  rows ``[i * n / P, (i + 1) * n / P)``), which is the order :func:`global_data`
  joins them in. With one process it is every row.

  Raises:
    ValueError: ``num_examples`` does not divide by the number of processes.
  """
  count, index = jax.process_count(), jax.process_index()
  if num_examples % count:
    raise ValueError(
      f"sharding.process_share: {num_examples} examples do not divide into "
      f"{count} equal shares; drop the last {num_examples % count} rows"
    )
  share = num_examples // count
  return slice(index * share, (index + 1) * share)


def global_data(mesh: Mesh, local_data: PyTree, *, axis: str = DATA_AXIS) -> PyTree:
  """Joins each process's share of a data set into global arrays sharded over ``axis``.

  Every process calls it with its own rows (:func:`process_share`); the result holds
  all rows, in process order, split along the leading axis over the mesh's ``axis``,
  and can be passed to ``fnn.train.fit(..., mesh=mesh)`` on every process. Host checks
  (shapes, nan/inf) run here on each process's rows.

  Args:
    mesh: a Mesh over all processes' devices (``jax.make_mesh((jax.device_count(),),
      ("data",))``).
    local_data: a pytree of host arrays with a shared leading axis: this process's rows.
    axis: the mesh axis the examples are split over.

  Returns:
    The same pytree of global ``jax.Array``s, leading axis ``rows * process_count``.

  Raises:
    ValueError: the global number of rows does not divide by the axis' devices, or
      the rows hold nan/inf.
  """
  where = "sharding.global_data"
  check_mesh(where, mesh, axis)
  leaves = jax.tree.leaves(local_data)
  rows = {int(np.shape(leaf)[0]) for leaf in leaves}
  if len(rows) != 1:
    raise ValueError(
      f"{where}: the arrays of local_data must share their leading axis, got sizes {sorted(rows)}"
    )
  check_divisible(
    where, "the global number of examples", rows.pop() * jax.process_count(), mesh, axis
  )
  for leaf in leaves:
    leaf = np.asarray(leaf)
    if np.issubdtype(leaf.dtype, np.inexact) and not np.isfinite(leaf).all():
      raise ValueError(f"{where}: local_data holds nan or inf; clean the data first")
  sharding = leading_axis_sharding(mesh, axis)
  return jax.tree.map(
    lambda leaf: jax.make_array_from_process_local_data(sharding, np.asarray(leaf)), local_data
  )
