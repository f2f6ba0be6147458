"""Checkpoints: training runs through orbax-checkpoint, and single-file weights.

* :class:`CheckpointManager` saves any pytree (a :class:`fnn.train.TrainState` in
  ``fit``) under ``DIR/<step>/`` with orbax-checkpoint. Orbax writes each checkpoint
  into a temporary folder and renames it only once complete, so a crash in the
  middle of a save leaves the previous checkpoints intact and loadable. It keeps the
  last ``max_to_keep`` checkpoints plus the best one by a validation metric.
* :func:`save_params` / :func:`load_params` write and read one self-describing
  msgpack file (``flax.serialization``) holding a params pytree, its structure and a
  manifest, for sharing weights.

Both store a manifest of every leaf: its path (as ``jax.tree_util.keystr`` writes
it, e.g. ``.params['fc1']['w']``), shape, dtype and CRC-32. Restoring compares the
manifest with the target pytree and the restored bytes with the checksums, so a
mismatched (wrong tree, wrong shapes) or corrupt checkpoint raises
:class:`CheckpointError` naming the first leaf that differs, never a silent partial
load.

Corrupt checkpoints. Each checkpoint folder also holds ``fnn_files.json``, the size
and CRC-32 of every file orbax wrote, checked before orbax reads anything: a truncated
or bit-flipped file is reported by name (:class:`CorruptCheckpointError`) and orbax
never meets it (reading a corrupt file through orbax prints a burst of asyncio
tracebacks from its reader threads). :meth:`CheckpointManager.restore` of the latest
checkpoint falls back to the newest readable one, with a warning naming each one it
skipped and why. Orbax's own log messages are silenced while fnn reads and writes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pathlib
import tempfile
import warnings
import zlib
from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

PyTree = Any

PARAMS_FORMAT = "fnn.params"
PARAMS_VERSION = 1


class CheckpointError(ValueError):
  """A checkpoint or params file that is corrupt, truncated or does not match."""


class CorruptCheckpointError(CheckpointError):
  """A checkpoint that cannot be read.

  Truncated, bit-flipped or not a checkpoint at all: the kind
  :meth:`CheckpointManager.restore` skips, falling back to an older one.
  """


class CheckpointWarning(UserWarning):
  """A checkpoint was skipped (it is unreadable) and an older one used instead."""


FILES_NAME = "fnn_files.json"


class _DropRecords(logging.Filter):
  def filter(self, record: logging.LogRecord) -> bool:
    return False


@contextlib.contextmanager
def _quiet_orbax() -> Iterator[None]:
  """Silences orbax's log records for the duration of a call.

  Drops the log records orbax writes (through absl) while fnn reads or writes a
  checkpoint: every unreadable file it meets is logged there, and fnn reports those
  itself, once, as an error or a warning. Only these loggers, only for the call.
  """
  drop = _DropRecords()
  loggers = [logging.getLogger(name) for name in ("absl", "orbax")]
  for logger in loggers:
    logger.addFilter(drop)
  try:
    yield
  finally:
    for logger in loggers:
      logger.removeFilter(drop)


def _file_crc32(path: pathlib.Path) -> int:
  crc = 0
  with open(path, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
      crc = zlib.crc32(block, crc)
  return crc


def _fingerprint(folder: pathlib.Path) -> dict:
  """``{relative path: [size, crc32]}`` of every file under ``folder`` but our own."""
  out = {}
  for path in sorted(folder.rglob("*")):
    if path.is_file() and path.name != FILES_NAME:
      out[path.relative_to(folder).as_posix()] = [path.stat().st_size, _file_crc32(path)]
  return out


def _write_json_atomically(path: pathlib.Path, data: Any) -> None:
  tmp = path.with_name(path.name + ".tmp")
  tmp.write_text(json.dumps(data))
  os.replace(tmp, path)


def _check_fingerprint(folder: pathlib.Path, where: str) -> None:
  """Raises CorruptCheckpointError naming the first file that is missing or changed."""
  record = folder / FILES_NAME
  if not record.exists():
    return  # written by an older fnn, or the save died just before it: orbax checks
  try:
    files = json.loads(record.read_text())
  except ValueError as err:
    raise CorruptCheckpointError(f"{where}: {FILES_NAME} is corrupt ({err})") from err
  for name, (size, crc) in files.items():
    path = folder / name
    if not path.is_file():
      raise CorruptCheckpointError(f"{where}: file {name} is missing")
    got = path.stat().st_size
    if got != size:
      raise CorruptCheckpointError(
        f"{where}: file {name} is truncated or damaged ({got} bytes, {size} when saved)"
      )
    if _file_crc32(path) != crc:
      raise CorruptCheckpointError(
        f"{where}: file {name} is corrupt (its CRC-32 does not "
        "match the one recorded when it was saved)"
      )


# ----------------------------------------------------------------------------
# Manifests: one entry per leaf, in flatten order.


def _is_prng_key(x: Any) -> bool:
  return hasattr(x, "dtype") and jnp.issubdtype(x.dtype, jax.dtypes.prng_key)


def _to_storable(tree: PyTree) -> PyTree:
  """Typed PRNG keys become their uint32 key data (what can be written to disk)."""
  return jax.tree.map(lambda x: jax.random.key_data(x) if _is_prng_key(x) else x, tree)


def _leaf_spec(x: Any) -> tuple[tuple, str]:
  if _is_prng_key(x):
    x = jax.eval_shape(jax.random.key_data, x)
  return tuple(int(d) for d in x.shape), str(jnp.dtype(x.dtype))


def _crc32(x: Any) -> int:
  return zlib.crc32(np.ascontiguousarray(np.asarray(x)).tobytes())


def tree_manifest(tree: PyTree, *, checksums: bool = True) -> list[dict]:
  """``[{"path", "shape", "dtype"[, "crc32"]}]`` for each leaf of ``tree``, in order.

  Args:
    tree: a pytree of arrays (or ``jax.ShapeDtypeStruct``s when ``checksums=False``).
    checksums: also record each leaf's CRC-32.

  Returns:
    A JSON-serialisable list.
  """
  entries = []
  for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
    shape, dtype = _leaf_spec(leaf)
    entry: dict[str, Any] = {
      "path": jax.tree_util.keystr(path),
      "shape": list(shape),
      "dtype": dtype,
    }
    if checksums:
      entry["crc32"] = _crc32(jax.random.key_data(leaf) if _is_prng_key(leaf) else leaf)
    entries.append(entry)
  return entries


def check_manifest(saved: list[dict], target: PyTree, where: str) -> None:
  """Raises CheckpointError at the first leaf where ``saved`` and ``target`` differ.

  Args:
    saved: the manifest stored with the checkpoint.
    target: the pytree the checkpoint is to be restored into.
    where: what is being restored, for the message (a file or folder).
  """
  expected = tree_manifest(target, checksums=False)
  # the common prefix first, so the message names the first differing leaf; lengths after
  for i, (got, want) in enumerate(zip(saved, expected, strict=False)):
    if got["path"] != want["path"]:
      raise CheckpointError(
        f"{where}: leaf {i} is {got['path']} in the checkpoint but {want['path']} in the "
        "target pytree; the checkpoint was saved from a different model or optimizer"
      )
    if list(got["shape"]) != list(want["shape"]) or got["dtype"] != want["dtype"]:
      raise CheckpointError(
        f"{where}: leaf {got['path']} has shape {tuple(got['shape'])} {got['dtype']} in the "
        f"checkpoint but {tuple(want['shape'])} {want['dtype']} in the target pytree"
      )
  if len(saved) != len(expected):
    longer, name = (saved, "checkpoint") if len(saved) > len(expected) else (expected, "target")
    extra = longer[min(len(saved), len(expected))]["path"]
    raise CheckpointError(
      f"{where}: the checkpoint has {len(saved)} leaves but the target pytree has "
      f"{len(expected)}; the first leaf only in the {name} is {extra}"
    )


def _verify_checksums(saved: list[dict], restored: PyTree, where: str) -> None:
  for entry, (path, leaf) in zip(
    saved, jax.tree_util.tree_flatten_with_path(restored)[0], strict=True
  ):
    if _is_prng_key(leaf):
      leaf = jax.random.key_data(leaf)
    if "crc32" in entry and _crc32(leaf) != entry["crc32"]:
      raise CorruptCheckpointError(
        f"{where}: leaf {jax.tree_util.keystr(path)} is corrupt (its CRC-32 does not match "
        "the one recorded when it was saved)"
      )


def _restore_keys(target: PyTree, restored: PyTree) -> PyTree:
  """Wraps key data back into typed PRNG keys where ``target`` has them."""
  return jax.tree.map(
    lambda t, r: jax.random.wrap_key_data(r, impl=jax.random.key_impl(t)) if _is_prng_key(t) else r,
    target,
    restored,
  )


# ----------------------------------------------------------------------------
# CheckpointManager (orbax)


def tree_signature(tree: PyTree) -> str:
  """The structure of a pytree as a string, node types included.

  The structure of ``tree`` as a string, node types included (``ScaleByAdamState``,
  ``EmptyState``...): what :meth:`CheckpointManager.save`'s ``config`` stores to tell
  one optimizer from another whose state has the same leaves.
  """
  return str(jax.tree.structure(tree))


def _first_difference(a: str, b: str, width: int = 60) -> str:
  # a and b may differ in length: compare their common prefix
  i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
  lo = max(0, i - width // 2)
  return f"...{a[lo : lo + width]}... then, ...{b[lo : lo + width]}... now"


def check_config(saved: dict, current: dict, where: str) -> None:
  """Raises CheckpointError listing every setting that differs between the two.

  Keys present in only one of them are not compared (a setting added later).
  """
  changed = []
  for key in sorted(set(saved) & set(current)):
    then, now = saved[key], json.loads(json.dumps(current[key]))
    if then != now:
      if isinstance(then, str) and isinstance(now, str) and len(then) + len(now) > 80:
        changed.append(f"{key} differs: {_first_difference(then, now)}")
      else:
        changed.append(f"{key}={then!r} then, {now!r} now")
  if changed:
    raise CheckpointError(
      f"{where}: was saved by a run with other settings: {'; '.join(changed)}. Resume "
      "with the settings it was saved with, or start afresh in another folder"
    )


class CheckpointManager:
  """Saves and restores a training run's pytrees under one folder, via orbax.

  Each checkpoint is ``directory/<step>/`` holding the pytree (orbax
  ``StandardSave``), a JSON ``meta`` item (the manifest, the metrics, the run's
  ``config`` and whatever the caller adds, e.g. ``fit``'s history) and
  ``fnn_files.json`` (each file's size and CRC-32). Saves are synchronous and atomic.

  Args:
    directory: the folder (created if missing, unless ``must_exist``).
    max_to_keep: keep the last this many checkpoints (``None``: all).
    best_metric: a metric name passed to :meth:`save`; the best checkpoint by it is
      kept as well, whatever its age.
    best_mode: ``"min"`` or ``"max"``, whether smaller or larger ``best_metric`` is better.
    must_exist: raise CheckpointError if ``directory`` does not exist.

  Examples:
    >>> import tempfile
    >>> model = fnn.models.mlp(4, [8], 2)
    >>> ts = fnn.train.init_train_state(jax.random.key(0), model, optax.adam(1e-3), (1, 4))
    >>> manager = CheckpointManager(tempfile.mkdtemp(), max_to_keep=3, best_metric="val_loss")
    >>> config = {"batch_size": 32, "opt_state": tree_signature(ts.opt_state)}
    >>> manager.save(int(ts.step), ts, metrics={"val_loss": 0.12}, config=config)
    >>> restored, meta = manager.restore(like=ts, config=config)  # the newest readable one
    >>> manager.latest_step(), bool((restored.params["out"]["w"] == ts.params["out"]["w"]).all())
    (0, True)
    >>> manager.close()
  """

  def __init__(
    self,
    directory: str | os.PathLike,
    *,
    max_to_keep: int | None = 3,
    best_metric: str | None = None,
    best_mode: str = "min",
    must_exist: bool = False,
  ) -> None:
    import orbax.checkpoint as ocp
    from orbax.checkpoint import checkpoint_managers as policies

    if best_mode not in ("min", "max"):
      raise ValueError(f"CheckpointManager: best_mode must be 'min' or 'max', got {best_mode!r}")
    if max_to_keep is not None and (not isinstance(max_to_keep, int) or max_to_keep < 1):
      raise ValueError(
        f"CheckpointManager: max_to_keep must be a positive int or None, got {max_to_keep!r}"
      )
    self.directory = pathlib.Path(directory).absolute()
    if self.directory.exists() and not self.directory.is_dir():
      raise CheckpointError(
        f"CheckpointManager: {self.directory} is a file, not a checkpoint folder"
      )
    if must_exist and not self.directory.is_dir():
      raise CheckpointError(f"CheckpointManager: there is no checkpoint folder {self.directory}")
    self.best_metric, self.best_mode = best_metric, best_mode
    keep = [policies.LatestN(max_to_keep)]  # LatestN(None) keeps all
    if best_metric is not None:
      # BestN sorts ascending and keeps the tail: reverse for "min" puts the smallest last.
      keep.append(
        policies.BestN(
          get_metric_fn=lambda m: m[best_metric],
          n=1,
          reverse=best_mode == "min",
          keep_checkpoints_without_metrics=False,
        )
      )
    options = ocp.CheckpointManagerOptions(
      enable_async_checkpointing=False, preservation_policy=policies.AnyPreservationPolicy(keep)
    )
    self._ocp = ocp
    with _quiet_orbax():
      self._manager = ocp.CheckpointManager(self.directory, options=options)

  def _where(self, step: int | None) -> str:
    return f"checkpoint {step} in {self.directory}"

  def all_steps(self) -> list[int]:
    """The steps of the complete checkpoints on disk, ascending (readable or not)."""
    with _quiet_orbax():
      self._manager.reload()
      return sorted(self._manager.all_steps())

  def latest_step(self) -> int | None:
    """The newest complete checkpoint's step, or None when there is none."""
    steps = self.all_steps()
    return steps[-1] if steps else None

  def readable_step(self, step: int) -> str | None:
    """Why checkpoint ``step`` cannot be read (a message), or None when it can.

    Checks its files against the sizes and CRC-32s recorded when it was saved, and
    reads its meta data; the arrays themselves are checked when restored.
    """
    try:
      _check_fingerprint(self.directory / str(step), self._where(step))
      self.read_meta(step)
    except CorruptCheckpointError as err:
      return str(err)
    return None

  def latest_readable_step(self) -> int | None:
    """The newest checkpoint that :meth:`readable_step` passes, or None.

    Each newer one it passes over is named in a :class:`CheckpointWarning`.
    """
    for step in reversed(self.all_steps()):
      reason = self.readable_step(step)
      if reason is None:
        return step
      warnings.warn(
        f"CheckpointManager.latest_readable_step: skipping {reason}",
        CheckpointWarning,
        stacklevel=2,
      )
    return None

  def best_step(self) -> int | None:
    """The kept checkpoint with the best ``best_metric`` (ties: the earliest), or None.

    Checkpoints whose meta data cannot be read are passed over.
    """
    if self.best_metric is None:
      return None
    best = None
    for step in self.all_steps():
      try:
        value = self.read_meta(step).get("metrics", {}).get(self.best_metric)
      except CorruptCheckpointError:
        continue
      if value is None:
        continue
      better = best is None or (value < best[1] if self.best_mode == "min" else value > best[1])
      if better:
        best = (step, value)
    return None if best is None else best[0]

  def save(
    self,
    step: int,
    tree: PyTree,
    *,
    metrics: dict | None = None,
    meta: dict | None = None,
    config: dict | None = None,
  ) -> None:
    """Writes ``tree`` as checkpoint ``step`` (atomically; replaces nothing older).

    Args:
      step: a non-negative int naming the checkpoint (``fit`` uses ``ts.step``).
      tree: any pytree of arrays; typed PRNG keys are stored as their key data.
      metrics: ``{name: float}``; ``best_metric`` among them ranks checkpoints.
      meta: extra JSON-serialisable data stored beside the tree.
      config: the run's settings that a resumed run must share (JSON-serialisable,
        e.g. ``{"batch_size": 32, "opt_state": tree_signature(ts.opt_state)}``);
        :meth:`restore` given ``config=`` compares them.
    """
    args = self._ocp.args
    metrics = {k: float(v) for k, v in (metrics or {}).items()}
    info = {"manifest": tree_manifest(tree), "metrics": metrics, **(meta or {})}
    if config is not None:
      info["config"] = json.loads(json.dumps(config))
    with _quiet_orbax():
      if step in self._manager.all_steps():
        self._manager.delete(step)
      self._manager.save(
        step,
        args=args.Composite(state=args.StandardSave(_to_storable(tree)), meta=args.JsonSave(info)),
        metrics=metrics if self.best_metric in metrics else None,
        force=True,
      )
      self._manager.wait_until_finished()
    folder = self.directory / str(step)
    _write_json_atomically(folder / FILES_NAME, _fingerprint(folder))

  def read_meta(self, step: int) -> dict:
    """The JSON ``meta`` item of checkpoint ``step`` (manifest, metrics, config, extras).

    Raises:
      CorruptCheckpointError: it cannot be read.
    """
    args = self._ocp.args
    try:
      with _quiet_orbax():
        meta = self._manager.restore(step, args=args.Composite(meta=args.JsonRestore()))["meta"]
    except Exception as err:  # orbax raises many types for unreadable files
      raise CorruptCheckpointError(
        f"{self._where(step)}: its meta data cannot be read ({type(err).__name__}: "
        f"{err}); the checkpoint is corrupt or truncated, or not a checkpoint"
      ) from err
    if not isinstance(meta, dict) or "manifest" not in meta:
      raise CorruptCheckpointError(
        f"{self._where(step)}: its meta data has no manifest; it was not written by fnn"
      )
    return meta

  def restore(
    self, like: PyTree, step: int | None = None, *, config: dict | None = None
  ) -> tuple[PyTree, dict]:
    """Reads checkpoint ``step`` (default: the newest readable one) into ``like``'s structure.

    With ``step=None`` a checkpoint that cannot be read (truncated, corrupt, a junk
    folder) is skipped with a :class:`CheckpointWarning` naming it and why, and the
    next older one is tried. A checkpoint that reads but does not match ``like`` or
    ``config`` is an error, not skipped: an older one would not match either.

    Args:
      like: a pytree with the target structure, shapes and dtypes (arrays or
        ``jax.ShapeDtypeStruct``; e.g. a freshly initialised TrainState).
      step: which checkpoint; None for the newest readable one.
      config: this run's settings, compared with those the checkpoint was saved with
        (see :meth:`save`); None: not compared.

    Returns:
      ``(tree, meta)``: the restored pytree, with ``like``'s structure, and the meta dict.

    Raises:
      CheckpointError: no (readable) checkpoint, or one that does not match ``like``
        or ``config``; the message names the first leaf or setting that differs.
    """
    if step is not None:
      if step not in self.all_steps():
        raise CheckpointError(
          f"CheckpointManager.restore: no checkpoint {step} in "
          f"{self.directory}; it has {self.all_steps()}"
        )
      return self._restore(like, step, config)
    skipped = []
    for candidate in reversed(self.all_steps()):
      try:
        return self._restore(like, candidate, config)
      except CorruptCheckpointError as err:
        reason = str(err).removeprefix("CheckpointManager.restore: ")
        skipped.append(reason)
        warnings.warn(
          f"CheckpointManager.restore: skipping {reason}; trying the one before",
          CheckpointWarning,
          stacklevel=2,
        )
    if not skipped:
      raise CheckpointError(f"CheckpointManager.restore: no checkpoint in {self.directory}")
    raise CheckpointError(
      f"CheckpointManager.restore: no readable checkpoint in "
      f"{self.directory} ({'; '.join(skipped)})"
    )

  def _restore(self, like: PyTree, step: int, config: dict | None) -> tuple[PyTree, dict]:
    where = f"CheckpointManager.restore: {self._where(step)}"
    _check_fingerprint(self.directory / str(step), where)
    meta = self.read_meta(step)
    if config is not None and "config" in meta:
      check_config(meta["config"], config, where)
    check_manifest(meta["manifest"], like, where)
    abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(*_leaf_spec(x)), like)
    args = self._ocp.args
    try:
      with _quiet_orbax():
        restored = self._manager.restore(
          step, args=args.Composite(state=args.StandardRestore(abstract))
        )["state"]
    except Exception as err:
      raise CorruptCheckpointError(
        f"{where}: its arrays cannot be read ({type(err).__name__}: {err}); the "
        "checkpoint is corrupt or truncated"
      ) from err
    restored = jax.tree.unflatten(jax.tree.structure(like), jax.tree.leaves(restored))
    _verify_checksums(meta["manifest"], restored, where)
    return _restore_keys(like, restored), meta

  def close(self) -> None:
    """Waits for pending saves and releases the manager's resources."""
    with _quiet_orbax():
      self._manager.close()


# ----------------------------------------------------------------------------
# One-file params: save_params / load_params


def _encode(tree: PyTree, path: str = "") -> Any:
  """Nested containers -> msgpack-able dicts that remember their type."""
  if isinstance(tree, dict):
    for k in tree:
      if not isinstance(k, str):
        raise TypeError(
          f"checkpoint.save_params: dict keys must be strings, got {k!r} at {path or 'the root'}"
        )
    return {"dict": {k: _encode(v, f"{path}[{k!r}]") for k, v in tree.items()}}
  if isinstance(tree, tuple) and not hasattr(tree, "_fields"):
    return {"tuple": [_encode(v, f"{path}[{i}]") for i, v in enumerate(tree)]}
  if isinstance(tree, list):
    return {"list": [_encode(v, f"{path}[{i}]") for i, v in enumerate(tree)]}
  if tree is None:
    return {"none": True}
  if _is_prng_key(tree) or not hasattr(tree, "shape"):
    raise TypeError(
      f"checkpoint.save_params: the leaf at {path or 'the root'} is a "
      f"{type(tree).__name__}; params files hold dicts, tuples and lists of arrays"
    )
  return {"array": np.asarray(tree)}


def _decode(node: Any) -> Any:
  kind, value = next(iter(node.items()))
  if kind == "dict":
    return {k: _decode(v) for k, v in value.items()}
  if kind in ("tuple", "list"):
    items = [_decode(v) for v in (value.values() if isinstance(value, dict) else value)]
    return tuple(items) if kind == "tuple" else items
  if kind == "none":
    return None
  return jnp.asarray(value)


def save_params(path: str | os.PathLike, params: PyTree) -> None:
  """Writes ``params`` (dicts/tuples/lists of arrays) to one msgpack file.

  The file holds the tree with its container types, a manifest (each leaf's path,
  shape, dtype and CRC-32) and a format tag, so :func:`load_params` needs no target.
  It is written to a temporary file and renamed, so a crash leaves any old file whole.
  Missing parent folders are created (as :class:`CheckpointManager` creates its folder).

  Args:
    path: the file to write (conventionally ``*.msgpack``).
    params: the pytree.

  Raises:
    TypeError: a leaf that is not an array, or a dict key that is not a string.
    CheckpointError: ``path`` is an existing folder, or a parent is a file.
  """
  path = pathlib.Path(path)
  if path.is_dir():
    raise CheckpointError(
      f"checkpoint.save_params: {path} is a folder; pass a file path such "
      f"as {path / 'params.msgpack'}"
    )
  parent = path.parent if str(path.parent) else pathlib.Path(".")
  try:
    parent.mkdir(parents=True, exist_ok=True)
  except (FileExistsError, NotADirectoryError) as err:
    raise CheckpointError(
      f"checkpoint.save_params: cannot create the folder {parent} for "
      f"{path.name}: a part of that path is a file"
    ) from err
  payload = {
    "format": PARAMS_FORMAT,
    "version": PARAMS_VERSION,
    "manifest": tree_manifest(params),
    "tree": _encode(params),
  }
  data = serialization.msgpack_serialize(payload)
  fd, tmp = tempfile.mkstemp(dir=parent, prefix=path.name, suffix=".tmp")
  try:
    with os.fdopen(fd, "wb") as f:
      f.write(data)
      f.flush()
      os.fsync(f.fileno())
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.unlink(tmp)
    raise


def load_params(path: str | os.PathLike, like: PyTree = None) -> PyTree:
  """Reads a file written by :func:`save_params`.

  Args:
    path: the file.
    like: optionally the pytree the params must match (e.g. ``model.init``'s
      params); the result then has exactly its structure.

  Returns:
    The params pytree (jax arrays).

  Raises:
    CheckpointError: the file is truncated, corrupt, not a params file, or does
      not match ``like``; the message names the first leaf that differs.
  """
  where = f"load_params({str(path)!r})"
  data = pathlib.Path(path).read_bytes()
  try:
    payload = serialization.msgpack_restore(data)
  except Exception as err:
    raise CheckpointError(
      f"{where}: the file is truncated or not a msgpack file ({type(err).__name__}: {err})"
    ) from err
  if not isinstance(payload, dict) or payload.get("format") != PARAMS_FORMAT:
    raise CheckpointError(f"{where}: not an fnn params file (no format tag {PARAMS_FORMAT!r})")
  if payload.get("version") != PARAMS_VERSION:
    raise CheckpointError(
      f"{where}: format version {payload.get('version')} is not "
      f"{PARAMS_VERSION}, the one this fnn reads"
    )
  manifest = (
    list(payload["manifest"].values())
    if isinstance(payload["manifest"], dict)
    else payload["manifest"]
  )
  try:
    tree = _decode(payload["tree"])
  except Exception as err:
    raise CheckpointError(f"{where}: the tree is corrupt ({type(err).__name__}: {err})") from err
  check_manifest(manifest, tree, where)
  _verify_checksums(manifest, tree, where)
  if like is not None:
    check_manifest(manifest, like, where)
    tree = jax.tree.unflatten(jax.tree.structure(like), jax.tree.leaves(tree))
  return tree
