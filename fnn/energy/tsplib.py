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
from typing import NamedTuple, Optional

import numpy as np

SUPPORTED_TYPES = ("EUC_2D", "CEIL_2D", "GEO", "ATT", "EXPLICIT")
EXPLICIT_FORMATS = ("FULL_MATRIX", "UPPER_ROW", "LOWER_ROW", "UPPER_DIAG_ROW",
                    "LOWER_DIAG_ROW", "UPPER_COL", "LOWER_COL", "UPPER_DIAG_COL",
                    "LOWER_DIAG_COL")


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
  coords: Optional[np.ndarray]
  edge_weight_type: str
  comment: str = ""


def _nint(x):
  return np.floor(x + 0.5)


def euc_2d(coords) -> np.ndarray:
  d = np.sqrt(_sq_diffs(coords))
  return _nint(d)


def ceil_2d(coords) -> np.ndarray:
  return np.ceil(np.sqrt(_sq_diffs(coords)))


def att(coords) -> np.ndarray:
  r = np.sqrt(_sq_diffs(coords) / 10.0)
  t = _nint(r)
  return np.where(t < r, t + 1, t)


def geo(coords) -> np.ndarray:
  pi = 3.141592
  c = np.asarray(coords, np.float64)
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


def _sq_diffs(coords):
  c = np.asarray(coords, np.float64)
  diff = c[:, None, :] - c[None, :, :]
  return np.sum(diff * diff, axis=-1)


_COORD_DISTANCES = {"EUC_2D": euc_2d, "CEIL_2D": ceil_2d, "ATT": att, "GEO": geo}


def _explicit_matrix(values, n, fmt, where):
  """Builds the full symmetric matrix from an EDGE_WEIGHT_SECTION's numbers."""
  if fmt == "FULL_MATRIX":
    expected = n * n
  elif "DIAG" in fmt:
    expected = n * (n + 1) // 2
  else:
    expected = n * (n - 1) // 2
  if len(values) != expected:
    raise ValueError(f"{where}: EDGE_WEIGHT_FORMAT {fmt} with DIMENSION {n} needs {expected} "
                     f"numbers in EDGE_WEIGHT_SECTION, got {len(values)}")
  values = np.asarray(values, np.float64)
  if fmt == "FULL_MATRIX":
    return values.reshape(n, n)
  # Column-wise upper (lower) triangles list the same numbers as row-wise lower (upper)
  # triangles, so every format reduces to a row-wise one.
  row_format = {"UPPER_COL": "LOWER_ROW", "LOWER_COL": "UPPER_ROW",
                "UPPER_DIAG_COL": "LOWER_DIAG_ROW", "LOWER_DIAG_COL": "UPPER_DIAG_ROW"}.get(fmt, fmt)
  diag = "DIAG" in row_format
  if row_format.startswith("UPPER"):
    rows, cols = np.triu_indices(n, 0 if diag else 1)
  else:
    rows, cols = np.tril_indices(n, 0 if diag else -1)
  m = np.zeros((n, n))
  m[rows, cols] = values
  m[cols, rows] = values
  return m


def read_tsplib(path) -> TSPInstance:
  """Reads a symmetric TSPLIB ``.tsp`` file.

  Args:
    path: the file path.

  Returns:
    A :class:`TSPInstance` whose ``distances`` follow the file's ``EDGE_WEIGHT_TYPE``.

  Raises:
    ValueError: for an unsupported ``TYPE``/``EDGE_WEIGHT_TYPE``/``EDGE_WEIGHT_FORMAT``,
      a missing section, or a count that does not match ``DIMENSION``.
  """
  where = f"read_tsplib({str(path)!r})"
  with open(path) as f:
    lines = [line.strip() for line in f]
  spec, sections, current = {}, {}, None
  for line in lines:
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
      spec[key.strip().upper()] = value.strip()
      current = None
    elif current is not None:
      sections[current].extend(line.split())
    else:
      raise ValueError(f"{where}: cannot parse line {line!r}")
  kind = spec.get("TYPE", "TSP").split()[0] if spec.get("TYPE") else "TSP"
  if kind != "TSP":
    raise ValueError(f"{where}: only symmetric TSP files are supported, got TYPE {kind}")
  if "DIMENSION" not in spec:
    raise ValueError(f"{where}: the file has no DIMENSION")
  n = int(spec["DIMENSION"])
  ewt = spec.get("EDGE_WEIGHT_TYPE", "").upper()
  if ewt not in SUPPORTED_TYPES:
    raise ValueError(f"{where}: unsupported EDGE_WEIGHT_TYPE {ewt!r}; supported: "
                     f"{', '.join(SUPPORTED_TYPES)}")
  coords = None
  for section in ("NODE_COORD_SECTION", "DISPLAY_DATA_SECTION"):
    if section in sections:
      numbers = np.asarray(sections[section], np.float64)
      if numbers.size != 3 * n:
        raise ValueError(f"{where}: {section} should hold {n} lines 'index x y' "
                         f"(DIMENSION {n}), got {numbers.size} numbers")
      rows = numbers.reshape(n, 3)
      order = np.argsort(rows[:, 0])
      coords = rows[order, 1:]
      break
  if ewt == "EXPLICIT":
    fmt = spec.get("EDGE_WEIGHT_FORMAT", "").upper()
    if fmt not in EXPLICIT_FORMATS:
      raise ValueError(f"{where}: unsupported EDGE_WEIGHT_FORMAT {fmt!r} for EXPLICIT; "
                       f"supported: {', '.join(EXPLICIT_FORMATS)}")
    if "EDGE_WEIGHT_SECTION" not in sections:
      raise ValueError(f"{where}: EDGE_WEIGHT_TYPE EXPLICIT needs an EDGE_WEIGHT_SECTION")
    distances = _explicit_matrix(sections["EDGE_WEIGHT_SECTION"], n, fmt, where)
  else:
    if "NODE_COORD_SECTION" not in sections:
      raise ValueError(f"{where}: EDGE_WEIGHT_TYPE {ewt} needs a NODE_COORD_SECTION")
    distances = _COORD_DISTANCES[ewt](coords)
  np.fill_diagonal(distances, 0.0)
  return TSPInstance(spec.get("NAME", ""), distances, coords, ewt, spec.get("COMMENT", ""))


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
    raise ValueError(f"load_shipped: no shipped instance {name!r}; shipped: {sorted(SHIPPED_OPTIMA)}")
  with importlib.resources.as_file(
      importlib.resources.files("fnn.data").joinpath("files", f"{name}.tsp")) as path:
    return read_tsplib(path)


def read_tour(path) -> np.ndarray:
  """Reads a TSPLIB tour file's ``TOUR_SECTION``; returns 0-based city indices (n,)."""
  with open(path) as f:
    text = f.read().split("\n")
  tour, inside = [], False
  for line in text:
    line = line.strip()
    if line.startswith("TOUR_SECTION"):
      inside = True
      continue
    if inside:
      for word in line.split():
        if word in ("-1", "EOF"):
          inside = False
          break
        tour.append(int(word) - 1)
  if not tour:
    raise ValueError(f"read_tour({str(path)!r}): no TOUR_SECTION with city indices found")
  return np.asarray(tour, np.int64)
