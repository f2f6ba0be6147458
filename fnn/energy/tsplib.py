"""TSPLIB 95 files: instances (``.tsp``) and tours (``.tour`` / ``.opt.tour``).

Distances are computed exactly as TSPLIB 95 defines them (G. Reinelt, "TSPLIB 95",
section 2), integers for every supported type:

* ``EUC_2D``: ``nint(sqrt(dx^2 + dy^2))`` with ``nint(x) = (int)(x + 0.5)``.
* ``CEIL_2D``: ``ceil(sqrt(dx^2 + dy^2))``.
* ``ATT`` (pseudo-Euclidean): ``r = sqrt((dx^2 + dy^2) / 10)``, ``t = nint(r)``,
  ``d = t + 1 if t < r else t``.
* ``GEO``: coordinates ``DDD.MM`` (degrees.minutes), converted with ``PI = 3.141592``
  and the degrees *truncated* (TSPLIB's FAQ; the DOC.pdf's ``nint`` does not reproduce
  the published optima), on a sphere of radius 6378.388 km,
  ``d = (int)(RRR * acos(0.5 ((1 + q1) q2 - (1 - q1) q3)) + 1)``; 0 on the diagonal.
* ``EXPLICIT``: an ``EDGE_WEIGHT_SECTION`` in one of :data:`EXPLICIT_FORMATS`.
"""

from __future__ import annotations

import importlib.resources
from typing import NamedTuple

import numpy as np

from fnn.core import ShapeError

SUPPORTED_TYPES = ("EUC_2D", "CEIL_2D", "GEO", "ATT", "EXPLICIT")
EXPLICIT_FORMATS = (
  "FULL_MATRIX",
  "UPPER_ROW",
  "LOWER_ROW",
  "UPPER_DIAG_ROW",
  "LOWER_DIAG_ROW",
  "UPPER_COL",
  "LOWER_COL",
  "UPPER_DIAG_COL",
  "LOWER_DIAG_COL",
)


class TSPInstance(NamedTuple):
  """A symmetric TSP read from a TSPLIB file.

  Attributes:
    name: the ``NAME`` field.
    distances: (n, n) float64 matrix of the integer TSPLIB distances, zero diagonal.
    coords: (n, 2) float64 node (or display) coordinates, or None when the file has none.
    edge_weight_type: e.g. ``"EUC_2D"``.
    comment: the ``COMMENT`` field ('' if absent).
  """

  name: str
  distances: np.ndarray
  coords: np.ndarray | None
  edge_weight_type: str
  comment: str = ""


def _nint(x):
  return np.floor(x + 0.5)


def _coords(name, coords) -> np.ndarray:
  c = np.asarray(coords, np.float64)
  if c.ndim != 2 or c.shape[1] != 2:
    raise ShapeError(f"{name}: expected coordinates of shape (n, 2), got shape {c.shape}")
  return c


def _sq_diffs(name, coords):
  c = _coords(name, coords)
  diff = c[:, None, :] - c[None, :, :]
  return np.sum(diff * diff, axis=-1)


def euc_2d(coords) -> np.ndarray:
  """TSPLIB ``EUC_2D`` distances of (n, 2) coordinates: ``nint(sqrt(dx^2 + dy^2))``."""
  return _nint(np.sqrt(_sq_diffs("tsplib.euc_2d", coords)))


def ceil_2d(coords) -> np.ndarray:
  """TSPLIB ``CEIL_2D`` distances of (n, 2) coordinates: ``ceil(sqrt(dx^2 + dy^2))``."""
  return np.ceil(np.sqrt(_sq_diffs("tsplib.ceil_2d", coords)))


def att(coords) -> np.ndarray:
  """TSPLIB ``ATT`` (pseudo-Euclidean) distances of (n, 2) coordinates."""
  r = np.sqrt(_sq_diffs("tsplib.att", coords) / 10.0)
  t = _nint(r)
  return np.where(t < r, t + 1, t)


def geo(coords) -> np.ndarray:
  """TSPLIB ``GEO`` distances (km) of (n, 2) ``DDD.MM`` latitude/longitude coordinates."""
  pi = 3.141592
  c = _coords("tsplib.geo", coords)
  deg = np.trunc(c)
  rad = pi * (deg + 5.0 * (c - deg) / 3.0) / 180.0
  lat, lon = rad[:, 0], rad[:, 1]
  q1 = np.cos(lon[:, None] - lon[None, :])
  q2 = np.cos(lat[:, None] - lat[None, :])
  q3 = np.cos(lat[:, None] + lat[None, :])
  arg = np.clip(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3), -1.0, 1.0)
  d = np.floor(6378.388 * np.arccos(arg) + 1.0)
  np.fill_diagonal(d, 0.0)
  return d


_COORD_DISTANCES = {"EUC_2D": euc_2d, "CEIL_2D": ceil_2d, "ATT": att, "GEO": geo}


class _File(NamedTuple):
  """A TSPLIB file split into its specification and its sections, with line numbers."""

  spec: dict  # KEY -> (value, line number)
  sections: dict  # NAME_SECTION -> [(line number, [words])]


def _split_file(where: str, path) -> _File:
  with open(path) as f:
    lines = [line.strip() for line in f]
  spec: dict[str, tuple[str, int]] = {}
  sections: dict[str, list[tuple[int, list[str]]]] = {}
  current = None
  for number, line in enumerate(lines, start=1):
    if not line:
      continue
    if line == "EOF":
      break
    word = line.split()[0].rstrip(":")
    if word.endswith("_SECTION"):
      current = word
      sections[current] = []
    elif ":" in line and not _is_number(word):
      key, _, value = line.partition(":")
      spec[key.strip().upper()] = (value.strip(), number)
      current = None
    elif current is not None:
      sections[current].append((number, line.split()))
    else:
      raise ValueError(
        f"{where}, line {number}: cannot parse {line!r} (not a 'KEY : value' "
        f"line and not inside a section)"
      )
  return _File(spec, sections)


def _dimension(where: str, spec: dict) -> int:
  if "DIMENSION" not in spec:
    raise ValueError(f"{where}: the file has no DIMENSION")
  value, number = spec["DIMENSION"]
  try:
    n = int(value)
  except ValueError:
    n = 0
  if n < 1:
    raise ValueError(f"{where}, line {number}: DIMENSION must be a positive integer, got {value!r}")
  return n


def _node_coords(where: str, section: str, rows, n: int) -> np.ndarray:
  """The (n, 2) coordinates of ``rows`` of 'id x y', checking every id and number."""
  coords = np.full((n, 2), np.nan)
  first_line: dict[int, int] = {}
  for number, words in rows:
    at = f"{where}, line {number}"
    if len(words) != 3:
      raise ValueError(f"{at}: {section} expects 'id x y' (three fields), got {' '.join(words)!r}")
    try:
      node = int(words[0])
    except ValueError:
      raise ValueError(f"{at}: node id {words[0]!r} is not an integer") from None
    if not 1 <= node <= n:
      raise ValueError(f"{at}: node id {node} is out of range 1..{n} (DIMENSION {n})")
    if node in first_line:
      raise ValueError(f"{at}: node id {node} appears twice (first on line {first_line[node]})")
    first_line[node] = number
    for axis, word in enumerate(words[1:]):
      try:
        coords[node - 1, axis] = float(word)
      except ValueError:
        raise ValueError(f"{at}: coordinate {word!r} of node {node} is not a number") from None
    if not np.all(np.isfinite(coords[node - 1])):
      raise ValueError(f"{at}: node {node} has a non-finite coordinate {' '.join(words[1:])!r}")
  missing = [node for node in range(1, n + 1) if node not in first_line]
  if missing:
    raise ValueError(
      f"{where}: {section} has {len(first_line)} nodes but DIMENSION is {n}; "
      f"missing node ids {missing[:10]}" + (" ..." if len(missing) > 10 else "")
    )
  return coords


def _edge_weights(where: str, rows) -> list:
  values = []
  for number, words in rows:
    for word in words:
      try:
        values.append(float(word))
      except ValueError:
        raise ValueError(f"{where}, line {number}: edge weight {word!r} is not a number") from None
  return values


def _explicit_matrix(values, n, fmt, where):
  """Builds the full symmetric matrix from an EDGE_WEIGHT_SECTION's numbers."""
  if fmt == "FULL_MATRIX":
    expected = n * n
  elif "DIAG" in fmt:
    expected = n * (n + 1) // 2
  else:
    expected = n * (n - 1) // 2
  if len(values) != expected:
    raise ValueError(
      f"{where}: EDGE_WEIGHT_FORMAT {fmt} with DIMENSION {n} needs {expected} "
      f"numbers in EDGE_WEIGHT_SECTION, got {len(values)}"
    )
  values = np.asarray(values, np.float64)
  if fmt == "FULL_MATRIX":
    return values.reshape(n, n)
  # Column-wise upper (lower) triangles list the same numbers as row-wise lower (upper)
  # triangles, so every format reduces to a row-wise one.
  row_format = {
    "UPPER_COL": "LOWER_ROW",
    "LOWER_COL": "UPPER_ROW",
    "UPPER_DIAG_COL": "LOWER_DIAG_ROW",
    "LOWER_DIAG_COL": "UPPER_DIAG_ROW",
  }.get(fmt, fmt)
  diag = "DIAG" in row_format
  if row_format.startswith("UPPER"):
    rows, cols = np.triu_indices(n, 0 if diag else 1)
  else:
    rows, cols = np.tril_indices(n, 0 if diag else -1)
  m = np.zeros((n, n))
  m[rows, cols] = values
  m[cols, rows] = values
  return m


def _explicit_distances(where: str, file: _File, n: int) -> np.ndarray:
  fmt = file.spec.get("EDGE_WEIGHT_FORMAT", ("", 0))[0].upper()
  if fmt not in EXPLICIT_FORMATS:
    raise ValueError(
      f"{where}: unsupported EDGE_WEIGHT_FORMAT {fmt!r} for EXPLICIT; "
      f"supported: {', '.join(EXPLICIT_FORMATS)}"
    )
  if "EDGE_WEIGHT_SECTION" not in file.sections:
    raise ValueError(f"{where}: EDGE_WEIGHT_TYPE EXPLICIT needs an EDGE_WEIGHT_SECTION")
  values = _edge_weights(where, file.sections["EDGE_WEIGHT_SECTION"])
  return _explicit_matrix(values, n, fmt, where)


def read_tsplib(path) -> TSPInstance:
  """Reads a symmetric TSPLIB ``.tsp`` file.

  Args:
    path: the file path.

  Returns:
    A :class:`TSPInstance` whose ``distances`` follow the file's ``EDGE_WEIGHT_TYPE``.

  Raises:
    ValueError: naming the file (and the line, where there is one) for an unsupported
      ``TYPE``/``EDGE_WEIGHT_TYPE``/``EDGE_WEIGHT_FORMAT``, a missing section, a count
      that does not match ``DIMENSION``, a node id that is not an integer, out of
      ``1..DIMENSION``, repeated or missing, and a coordinate or weight that is not a
      number.
  """
  where = f"tsplib.read_tsplib: {path!s}"
  file = _split_file(where, path)
  kind = file.spec.get("TYPE", ("TSP", 0))[0].split()
  kind = kind[0] if kind else "TSP"
  if kind != "TSP":
    raise ValueError(f"{where}: only symmetric TSP files are supported, got TYPE {kind}")
  n = _dimension(where, file.spec)
  ewt = file.spec.get("EDGE_WEIGHT_TYPE", ("", 0))[0].upper()
  if ewt not in SUPPORTED_TYPES:
    raise ValueError(
      f"{where}: unsupported EDGE_WEIGHT_TYPE {ewt!r}; supported: {', '.join(SUPPORTED_TYPES)}"
    )
  coords = None
  for section in ("NODE_COORD_SECTION", "DISPLAY_DATA_SECTION"):
    if section in file.sections:
      coords = _node_coords(where, section, file.sections[section], n)
      break
  if ewt == "EXPLICIT":
    distances = _explicit_distances(where, file, n)
  else:
    if "NODE_COORD_SECTION" not in file.sections:
      raise ValueError(f"{where}: EDGE_WEIGHT_TYPE {ewt} needs a NODE_COORD_SECTION")
    distances = _COORD_DISTANCES[ewt](coords)
  np.fill_diagonal(distances, 0.0)
  return TSPInstance(
    file.spec.get("NAME", ("", 0))[0], distances, coords, ewt, file.spec.get("COMMENT", ("", 0))[0]
  )


def _is_number(word):
  try:
    float(word)
    return True
  except ValueError:
    return False


# Instances shipped in fnn/data/files (source and licence in the README there), with
# their published optimal tour lengths.
SHIPPED_OPTIMA = {"eil51": 426}


def load_shipped(name: str = "eil51") -> TSPInstance:
  """A TSPLIB instance shipped inside fnn (so demos need no download); see SHIPPED_OPTIMA."""
  if name not in SHIPPED_OPTIMA:
    raise ValueError(
      f"tsplib.load_shipped: no shipped instance {name!r}; shipped: {sorted(SHIPPED_OPTIMA)}"
    )
  with importlib.resources.as_file(
    importlib.resources.files("fnn.data") / "files" / f"{name}.tsp"
  ) as path:
    return read_tsplib(path)


def read_tour(path) -> np.ndarray:
  """Reads a TSPLIB tour file's ``TOUR_SECTION``.

  Args:
    path: the file path.

  Returns:
    int64 (n,) 0-based city indices.

  Raises:
    ValueError: naming the file and line for an id that is not an integer, below 1 or
      above the file's ``DIMENSION``, or repeated; and when the ids are not exactly
      ``1..n`` or there is no ``TOUR_SECTION``.
  """
  where = f"tsplib.read_tour: {path!s}"
  file = _split_file(where, path)
  rows = file.sections.get("TOUR_SECTION", [])
  n = _dimension(where, file.spec) if "DIMENSION" in file.spec else None
  tour: list[int] = []
  first_line: dict[int, int] = {}
  for number, words in rows:
    at = f"{where}, line {number}"
    for word in words:
      if word == "-1":
        break
      try:
        city = int(word)
      except ValueError:
        raise ValueError(f"{at}: city id {word!r} is not an integer") from None
      if city < 1 or (n is not None and city > n):
        raise ValueError(
          f"{at}: city id {city} is out of range 1..{n or 'n'}" + (f" (DIMENSION {n})" if n else "")
        )
      if city in first_line:
        raise ValueError(f"{at}: city id {city} appears twice (first on line {first_line[city]})")
      first_line[city] = number
      tour.append(city - 1)
    else:
      continue
    break
  if not tour:
    raise ValueError(f"{where}: no TOUR_SECTION with city ids found")
  size = n or len(tour)
  if len(tour) != size or max(tour) >= size:
    missing = sorted(set(range(1, size + 1)) - set(first_line))
    raise ValueError(
      f"{where}: the tour has {len(tour)} cities but should visit each of "
      f"1..{size} once; missing ids {missing[:10]}"
    )
  return np.asarray(tour, np.int64)
