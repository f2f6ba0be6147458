"""Tests for fnn/energy/tsplib.py: TSPLIB distances reproduce the published optima."""

import json
import os

import numpy as np
import pytest

import fnn
from fnn.energy import tsplib

INSTANCES = ["burma14", "ulysses16", "ulysses22", "att48", "eil51", "berlin52", "kroA100"]


@pytest.mark.parametrize("name", INSTANCES)
def test_optimal_tour_files_reproduce_published_optima(shared_data, name):
  folder = os.path.join(shared_data, "tsplib")
  with open(os.path.join(folder, "optima.json")) as f:
    optima = json.load(f)
  inst = tsplib.read_tsplib(os.path.join(folder, f"{name}.tsp"))
  tour = tsplib.read_tour(os.path.join(folder, f"{name}.opt.tour"))
  n = inst.distances.shape[0]
  assert np.array_equal(np.sort(tour), np.arange(n))
  d = inst.distances
  assert np.array_equal(d, d.T)
  assert np.all(np.diag(d) == 0)
  assert d[tour, np.roll(tour, -1)].sum() == optima[name]


def _write(tmp_path, header, body):
  path = tmp_path / "x.tsp"
  path.write_text("\n".join(header + body + ["EOF", ""]))
  return path


def test_coordinate_distances_follow_tsplib_formulas(tmp_path):
  coords = ["NODE_COORD_SECTION", "1 0 0", "2 3 4", "3 1 1", "4 10 0"]

  def read(kind):
    return tsplib.read_tsplib(
      _write(
        tmp_path, ["NAME : t", "TYPE : TSP", "DIMENSION : 4", f"EDGE_WEIGHT_TYPE : {kind}"], coords
      )
    ).distances

  euc, ceil, att = read("EUC_2D"), read("CEIL_2D"), read("ATT")
  assert euc[0, 1] == 5
  assert euc[0, 2] == 1  # sqrt(2) = 1.41 rounds to 1
  assert ceil[0, 1] == 5
  assert ceil[0, 2] == 2
  # ATT: r = sqrt(100 / 10) = 3.16, nint 3 < r so 4; r = sqrt(25/10) = 1.58, nint 2.
  assert att[0, 3] == 4
  assert att[0, 1] == 2


def test_geo_truncates_degrees_and_uses_tsplib_pi(tmp_path):
  body = ["NODE_COORD_SECTION", "1 16.47 96.10", "2 16.47 94.44", "3 20.09 92.54"]
  d = tsplib.read_tsplib(
    _write(tmp_path, ["NAME: g", "DIMENSION: 3", "EDGE_WEIGHT_TYPE: GEO"], body)
  ).distances
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
  rng = {
    "FULL_MATRIX": [(i, j) for i in range(n) for j in range(n)],
    "UPPER_ROW": [(i, j) for i in range(n) for j in range(i + 1, n)],
    "LOWER_ROW": [(i, j) for i in range(n) for j in range(i)],
    "UPPER_DIAG_ROW": [(i, j) for i in range(n) for j in range(i, n)],
    "LOWER_DIAG_ROW": [(i, j) for i in range(n) for j in range(i + 1)],
    "UPPER_COL": [(i, j) for j in range(n) for i in range(j)],
    "LOWER_COL": [(i, j) for j in range(n) for i in range(j + 1, n)],
    "UPPER_DIAG_COL": [(i, j) for j in range(n) for i in range(j + 1)],
    "LOWER_DIAG_COL": [(i, j) for j in range(n) for i in range(j, n)],
  }[fmt]
  return [int(m[i, j]) for i, j in rng]


@pytest.mark.parametrize("fmt", tsplib.EXPLICIT_FORMATS)
def test_explicit_matrix_formats_round_trip(tmp_path, fmt):
  rng = np.random.default_rng(0)
  a = rng.integers(1, 100, size=(6, 6))
  m = np.triu(a, 1) + np.triu(a, 1).T
  numbers = _explicit_numbers(m, fmt)
  # Numbers wrap across lines arbitrarily in real files.
  lines = [" ".join(map(str, numbers[k : k + 4])) for k in range(0, len(numbers), 4)]
  path = _write(
    tmp_path,
    [
      "NAME: e",
      "TYPE: TSP",
      "DIMENSION: 6",
      "EDGE_WEIGHT_TYPE: EXPLICIT",
      f"EDGE_WEIGHT_FORMAT: {fmt}",
    ],
    ["EDGE_WEIGHT_SECTION"] + lines,
  )
  inst = tsplib.read_tsplib(path)
  np.testing.assert_array_equal(inst.distances, m)
  assert inst.coords is None


def test_unsupported_edge_weight_type_raises(tmp_path):
  path = _write(
    tmp_path,
    ["NAME: x", "DIMENSION: 3", "EDGE_WEIGHT_TYPE: EUC_3D"],
    ["NODE_COORD_SECTION", "1 0 0 0", "2 1 1 1", "3 2 2 2"],
  )
  with pytest.raises(
    ValueError,
    match=r"^tsplib.read_tsplib: .*x.tsp: unsupported "
    r"EDGE_WEIGHT_TYPE 'EUC_3D'",
  ):
    tsplib.read_tsplib(path)


def test_unsupported_edge_weight_format_raises(tmp_path):
  path = _write(
    tmp_path,
    ["NAME: x", "DIMENSION: 3", "EDGE_WEIGHT_TYPE: EXPLICIT", "EDGE_WEIGHT_FORMAT: FUNCTION"],
    ["EDGE_WEIGHT_SECTION", "1 2 3"],
  )
  with pytest.raises(
    ValueError,
    match=r"^tsplib.read_tsplib: .*x.tsp: unsupported "
    r"EDGE_WEIGHT_FORMAT 'FUNCTION' for EXPLICIT",
  ):
    tsplib.read_tsplib(path)


def test_wrong_number_of_weights_raises(tmp_path):
  path = _write(
    tmp_path,
    ["NAME: x", "DIMENSION: 4", "EDGE_WEIGHT_TYPE: EXPLICIT", "EDGE_WEIGHT_FORMAT: UPPER_ROW"],
    ["EDGE_WEIGHT_SECTION", "1 2 3 4 5"],
  )
  with pytest.raises(
    ValueError,
    match=r"^tsplib.read_tsplib: .*: EDGE_WEIGHT_FORMAT UPPER_ROW "
    r"with DIMENSION 4 needs 6 numbers .* got 5",
  ):
    tsplib.read_tsplib(path)


def test_asymmetric_problem_type_raises(tmp_path):
  path = _write(
    tmp_path,
    [
      "NAME: x",
      "TYPE: ATSP",
      "DIMENSION: 3",
      "EDGE_WEIGHT_TYPE: EXPLICIT",
      "EDGE_WEIGHT_FORMAT: FULL_MATRIX",
    ],
    ["EDGE_WEIGHT_SECTION"] + ["0 1 2"] * 3,
  )
  with pytest.raises(
    ValueError,
    match=r"^tsplib.read_tsplib: .*: only symmetric TSP files are "
    r"supported, got TYPE ATSP",
  ):
    tsplib.read_tsplib(path)


def test_shipped_eil51_matches_shared_copy_and_optimum(shared_data):
  folder = os.path.join(shared_data, "tsplib")
  shipped = tsplib.load_shipped("eil51")
  np.testing.assert_array_equal(
    shipped.distances, tsplib.read_tsplib(os.path.join(folder, "eil51.tsp")).distances
  )
  tour = tsplib.read_tour(os.path.join(folder, "eil51.opt.tour"))
  assert shipped.distances[tour, np.roll(tour, -1)].sum() == tsplib.SHIPPED_OPTIMA["eil51"]


def test_load_shipped_unknown_name_raises():
  with pytest.raises(ValueError, match=r"^tsplib.load_shipped: no shipped instance 'kroA100'"):
    tsplib.load_shipped("kroA100")


# ----------------------------------------------------------------------------
# Malformed files: every error names the file, and the line where there is one.

EUC_HEADER = ["NAME: x", "TYPE: TSP", "DIMENSION: 4", "EDGE_WEIGHT_TYPE: EUC_2D"]


@pytest.mark.parametrize(
  ("body", "message"),
  [
    (
      ["1 0 0", "2 3 4", "2 1 1", "4 10 0"],
      r"x.tsp, line 8: node id 2 appears twice \(first on line 7\)",
    ),
    (
      ["1 0 0", "2 3 4", "99 1 1", "4 10 0"],
      r"x.tsp, line 8: node id 99 is out of range 1..4 \(DIMENSION 4\)",
    ),
    (
      ["1 0 0", "2 3 4", "4 10 0"],
      r"x.tsp: NODE_COORD_SECTION has 3 nodes but DIMENSION is 4; missing node ids \[3\]",
    ),
    (
      ["1 0 0", "2 3 abc", "3 1 1", "4 10 0"],
      r"x.tsp, line 7: coordinate 'abc' of node 2 is not a number",
    ),
    (["1 0 0", "two 3 4", "3 1 1", "4 10 0"], r"x.tsp, line 7: node id 'two' is not an integer"),
    (
      ["1 0 0", "2 3", "3 1 1", "4 10 0"],
      r"x.tsp, line 7: NODE_COORD_SECTION expects 'id x y' \(three fields\), got '2 3'",
    ),
    (
      ["1 0 0", "2 3 nan", "3 1 1", "4 10 0"],
      r"x.tsp, line 7: node 2 has a non-finite coordinate '3 nan'",
    ),
  ],
)
def test_bad_node_coordinates_raise_naming_file_and_line(tmp_path, body, message):
  path = _write(tmp_path, EUC_HEADER, ["NODE_COORD_SECTION"] + body)
  with pytest.raises(ValueError, match=r"^tsplib.read_tsplib: .*" + message):
    tsplib.read_tsplib(path)


def test_node_ids_in_any_order_give_the_same_instance(tmp_path):
  ordered = tsplib.read_tsplib(
    _write(tmp_path, EUC_HEADER, ["NODE_COORD_SECTION", "1 0 0", "2 3 4", "3 1 1", "4 10 0"])
  )
  shuffled = tsplib.read_tsplib(
    _write(tmp_path, EUC_HEADER, ["NODE_COORD_SECTION", "3 1 1", "1 0 0", "4 10 0", "2 3 4"])
  )
  np.testing.assert_array_equal(ordered.coords, shuffled.coords)
  np.testing.assert_array_equal(ordered.distances, shuffled.distances)


def test_node_id_99_in_a_14_city_file_raises(tmp_path):
  body = [f"{i} {i} {2 * i}" for i in range(1, 14)] + ["99 0 0"]
  path = _write(
    tmp_path, ["NAME: x", "DIMENSION: 14", "EDGE_WEIGHT_TYPE: GEO"], ["NODE_COORD_SECTION"] + body
  )
  with pytest.raises(
    ValueError,
    match=r"^tsplib.read_tsplib: .*x.tsp, line 18: node id 99 is "
    r"out of range 1..14 \(DIMENSION 14\)",
  ):
    tsplib.read_tsplib(path)


def test_bad_dimension_and_edge_weight_raise_naming_the_line(tmp_path):
  path = _write(
    tmp_path,
    ["NAME: x", "DIMENSION: four", "EDGE_WEIGHT_TYPE: EUC_2D"],
    ["NODE_COORD_SECTION", "1 0 0"],
  )
  with pytest.raises(
    ValueError,
    match=r"^tsplib.read_tsplib: .*x.tsp, line 2: DIMENSION must "
    r"be a positive integer, got 'four'",
  ):
    tsplib.read_tsplib(path)
  path = _write(
    tmp_path,
    ["NAME: x", "DIMENSION: 3", "EDGE_WEIGHT_TYPE: EXPLICIT", "EDGE_WEIGHT_FORMAT: UPPER_ROW"],
    ["EDGE_WEIGHT_SECTION", "1 2", "x"],
  )
  with pytest.raises(
    ValueError,
    match=r"^tsplib.read_tsplib: .*x.tsp, line 7: edge weight 'x' "
    r"is not a number",
  ):
    tsplib.read_tsplib(path)


def _write_tour(tmp_path, ids, dimension=4):
  path = tmp_path / "x.tour"
  path.write_text(
    "\n".join(
      ["NAME: x.tour", "TYPE: TOUR", f"DIMENSION: {dimension}", "TOUR_SECTION"]
      + ids
      + ["-1", "EOF", ""]
    )
  )
  return path


def test_read_tour_returns_zero_based_ids(tmp_path):
  np.testing.assert_array_equal(
    tsplib.read_tour(_write_tour(tmp_path, ["2", "4", "1", "3"])), [1, 3, 0, 2]
  )


@pytest.mark.parametrize(
  ("ids", "message"),
  [
    (["1", "2", "2", "4"], r"x.tour, line 7: city id 2 appears twice \(first on line 6\)"),
    (["1", "2", "3", "9"], r"x.tour, line 8: city id 9 is out of range 1..4 \(DIMENSION 4\)"),
    (
      ["1", "2", "3"],
      r"x.tour: the tour has 3 cities but should visit each of 1..4 once; "
      r"missing ids \[4\]",
    ),
    (["1", "b", "3", "4"], r"x.tour, line 6: city id 'b' is not an integer"),
    ([], r"x.tour: no TOUR_SECTION with city ids found"),
  ],
)
def test_bad_tour_files_raise_naming_file_and_line(tmp_path, ids, message):
  with pytest.raises(ValueError, match=r"^tsplib.read_tour: .*" + message):
    tsplib.read_tour(_write_tour(tmp_path, ids))


def test_distance_functions_check_coordinate_shape():
  with pytest.raises(
    fnn.ShapeError,
    match=r"^tsplib.euc_2d: expected coordinates of shape "
    r"\(n, 2\), got shape \(3, 3\)",
  ):
    tsplib.euc_2d(np.zeros((3, 3)))
