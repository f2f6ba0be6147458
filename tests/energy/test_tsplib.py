"""Tests for fnn/energy/tsplib.py: TSPLIB distances reproduce the published optima."""

import json
import os

import numpy as np
import pytest

from fnn.energy import tsplib

INSTANCES = ["burma14", "ulysses16", "ulysses22", "att48", "eil51", "berlin52", "kroA100"]


@pytest.mark.parametrize("name", INSTANCES)
def test_optimal_tour_files_reproduce_published_optima(shared_data, name):
  folder = os.path.join(shared_data, "tsplib")
  optima = json.load(open(os.path.join(folder, "optima.json")))
  inst = tsplib.read_tsplib(os.path.join(folder, f"{name}.tsp"))
  tour = tsplib.read_tour(os.path.join(folder, f"{name}.opt.tour"))
  n = inst.distances.shape[0]
  assert np.array_equal(np.sort(tour), np.arange(n))
  d = inst.distances
  assert np.array_equal(d, d.T) and np.all(np.diag(d) == 0)
  assert d[tour, np.roll(tour, -1)].sum() == optima[name]


def _write(tmp_path, header, body):
  path = tmp_path / "x.tsp"
  path.write_text("\n".join(header + body + ["EOF", ""]))
  return path


def test_coordinate_distances_follow_tsplib_formulas(tmp_path):
  coords = ["NODE_COORD_SECTION", "1 0 0", "2 3 4", "3 1 1", "4 10 0"]
  def read(kind):
    return tsplib.read_tsplib(_write(tmp_path, ["NAME : t", "TYPE : TSP", "DIMENSION : 4",
                                                f"EDGE_WEIGHT_TYPE : {kind}"], coords)).distances
  euc, ceil, att = read("EUC_2D"), read("CEIL_2D"), read("ATT")
  assert euc[0, 1] == 5 and euc[0, 2] == 1  # sqrt(2) = 1.41 rounds to 1
  assert ceil[0, 1] == 5 and ceil[0, 2] == 2
  # ATT: r = sqrt(100 / 10) = 3.16, nint 3 < r so 4; r = sqrt(25/10) = 1.58, nint 2.
  assert att[0, 3] == 4 and att[0, 1] == 2


def test_geo_truncates_degrees_and_uses_tsplib_pi(tmp_path):
  body = ["NODE_COORD_SECTION", "1 16.47 96.10", "2 16.47 94.44", "3 20.09 92.54"]
  d = tsplib.read_tsplib(_write(tmp_path, ["NAME: g", "DIMENSION: 3", "EDGE_WEIGHT_TYPE: GEO"],
                                body)).distances
  pi, r = 3.141592, 6378.388
  def rad(x):
    deg = int(x)
    return pi * (deg + 5.0 * (x - deg) / 3.0) / 180.0
  lat = [rad(16.47), rad(16.47)]
  lon = [rad(96.10), rad(94.44)]
  q1, q2, q3 = np.cos(lon[0] - lon[1]), np.cos(lat[0] - lat[1]), np.cos(lat[0] + lat[1])
  want = int(r * np.arccos(0.5 * ((1 + q1) * q2 - (1 - q1) * q3)) + 1.0)
  assert d[0, 1] == want == d[1, 0]
  assert d[0, 0] == 0


def _explicit_numbers(m, fmt):
  """The EDGE_WEIGHT_SECTION numbers for ``fmt``, written by the format's definition."""
  n = len(m)
  rng = {"FULL_MATRIX": [(i, j) for i in range(n) for j in range(n)],
         "UPPER_ROW": [(i, j) for i in range(n) for j in range(i + 1, n)],
         "LOWER_ROW": [(i, j) for i in range(n) for j in range(i)],
         "UPPER_DIAG_ROW": [(i, j) for i in range(n) for j in range(i, n)],
         "LOWER_DIAG_ROW": [(i, j) for i in range(n) for j in range(i + 1)],
         "UPPER_COL": [(i, j) for j in range(n) for i in range(j)],
         "LOWER_COL": [(i, j) for j in range(n) for i in range(j + 1, n)],
         "UPPER_DIAG_COL": [(i, j) for j in range(n) for i in range(j + 1)],
         "LOWER_DIAG_COL": [(i, j) for j in range(n) for i in range(j, n)]}[fmt]
  return [int(m[i, j]) for i, j in rng]


@pytest.mark.parametrize("fmt", tsplib.EXPLICIT_FORMATS)
def test_explicit_matrix_formats_round_trip(tmp_path, fmt):
  rng = np.random.default_rng(0)
  a = rng.integers(1, 100, size=(6, 6))
  m = np.triu(a, 1) + np.triu(a, 1).T
  numbers = _explicit_numbers(m, fmt)
  # Numbers wrap across lines arbitrarily in real files.
  lines = [" ".join(map(str, numbers[k:k + 4])) for k in range(0, len(numbers), 4)]
  path = _write(tmp_path, ["NAME: e", "TYPE: TSP", "DIMENSION: 6", "EDGE_WEIGHT_TYPE: EXPLICIT",
                           f"EDGE_WEIGHT_FORMAT: {fmt}"], ["EDGE_WEIGHT_SECTION"] + lines)
  inst = tsplib.read_tsplib(path)
  np.testing.assert_array_equal(inst.distances, m)
  assert inst.coords is None


def test_unsupported_edge_weight_type_raises(tmp_path):
  path = _write(tmp_path, ["NAME: x", "DIMENSION: 3", "EDGE_WEIGHT_TYPE: EUC_3D"],
                ["NODE_COORD_SECTION", "1 0 0 0", "2 1 1 1", "3 2 2 2"])
  with pytest.raises(ValueError, match="unsupported EDGE_WEIGHT_TYPE 'EUC_3D'"):
    tsplib.read_tsplib(path)


def test_unsupported_edge_weight_format_raises(tmp_path):
  path = _write(tmp_path, ["NAME: x", "DIMENSION: 3", "EDGE_WEIGHT_TYPE: EXPLICIT",
                           "EDGE_WEIGHT_FORMAT: FUNCTION"], ["EDGE_WEIGHT_SECTION", "1 2 3"])
  with pytest.raises(ValueError, match="unsupported EDGE_WEIGHT_FORMAT 'FUNCTION' for EXPLICIT"):
    tsplib.read_tsplib(path)


def test_wrong_number_of_weights_raises(tmp_path):
  path = _write(tmp_path, ["NAME: x", "DIMENSION: 4", "EDGE_WEIGHT_TYPE: EXPLICIT",
                           "EDGE_WEIGHT_FORMAT: UPPER_ROW"], ["EDGE_WEIGHT_SECTION", "1 2 3 4 5"])
  with pytest.raises(ValueError, match="UPPER_ROW with DIMENSION 4 needs 6 numbers .* got 5"):
    tsplib.read_tsplib(path)


def test_asymmetric_problem_type_raises(tmp_path):
  path = _write(tmp_path, ["NAME: x", "TYPE: ATSP", "DIMENSION: 3", "EDGE_WEIGHT_TYPE: EXPLICIT",
                           "EDGE_WEIGHT_FORMAT: FULL_MATRIX"], ["EDGE_WEIGHT_SECTION"] + ["0 1 2"] * 3)
  with pytest.raises(ValueError, match="only symmetric TSP files are supported, got TYPE ATSP"):
    tsplib.read_tsplib(path)
