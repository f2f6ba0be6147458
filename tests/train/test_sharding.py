"""fnn.train.sharding: data-parallel fit and model-sharded vmap_fit against one device.

The multi-device cases run in subprocesses with 8 CPU devices (the flag must be set
before jax is imported): eight_devices.py in one process, two_processes.py as two
processes of 4 devices joined by jax.distributed, against one process of 8.
"""

import json
import os
import pathlib
import socket
import subprocess
import sys

import jax
import numpy as np
import optax
import pytest

import fnn
from fnn.layers import Dense, Dropout, Relu
from fnn.train import fit, global_data, process_share

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# float32 training over a few dozen steps: the all-reduce sums in another order
TOL = 100 * np.finfo(np.float32).eps


def run_python(args, *, env=None):
  env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
  return subprocess.Popen(
    [sys.executable, *map(str, args)],
    env=env,
    stdout=subprocess.PIPE,
    stderr=subprocess.PIPE,
    text=True,
  )


def finish(process, timeout=600):
  try:
    out, err = process.communicate(timeout=timeout)
  except subprocess.TimeoutExpired:
    process.kill()  # a worker whose peer died waits for it; do not leave it behind
    raise
  assert process.returncode == 0, err[-3000:]
  return out


@pytest.fixture(scope="module")
def digits():
  x, y = fnn.data.load_digits("train")
  return x.reshape(-1, 64)[:128], y[:128]


def test_fit_on_a_one_device_data_mesh_equals_fit(digits):
  x, y = digits
  model = fnn.serial(Dense(16), Relu(), Dropout(0.2), Dense(10))
  args = dict(key=jax.random.key(0), epochs=2, batch_size=32, progress=False)
  plain = fit(model, fnn.losses.softmax_cross_entropy, optax.adam(1e-2), x, y, **args)
  meshed = fit(
    model,
    fnn.losses.softmax_cross_entropy,
    optax.adam(1e-2),
    x,
    y,
    mesh=jax.make_mesh((1,), ("data",)),
    **args,
  )
  for p, q in zip(
    jax.tree.leaves(plain.state.params), jax.tree.leaves(meshed.state.params), strict=True
  ):
    np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize(
  ("mesh", "error", "message"),
  [
    ("mesh", TypeError, "must be a jax.sharding.Mesh"),
    (jax.make_mesh((1,), ("model",)), ValueError, "needs an axis named 'data'"),
  ],
)
def test_fit_rejects_a_mesh_without_a_data_axis(digits, mesh, error, message):
  x, y = digits
  with pytest.raises(error, match=r"^train\.fit: ") as err:
    fit(
      fnn.models.mlp(64, [8], 10),
      fnn.losses.softmax_cross_entropy,
      optax.sgd(0.1),
      x,
      y,
      key=jax.random.key(0),
      epochs=1,
      mesh=mesh,
      progress=False,
    )
  assert message in str(err.value)


def test_global_data_of_one_process_holds_every_row_split_over_the_data_axis(digits):
  x, y = digits
  assert process_share(len(x)) == slice(0, len(x))
  mesh = jax.make_mesh((1,), ("data",))
  gx, gy = global_data(mesh, (x, y))
  np.testing.assert_array_equal(gx, x)
  np.testing.assert_array_equal(gy, y)
  assert gx.sharding.spec == jax.sharding.PartitionSpec("data")
  with pytest.raises(ValueError, match="holds nan"):
    global_data(mesh, np.full((4, 2), np.nan))


@pytest.fixture(scope="module")
def eight_devices():
  """The checks of eight_devices.py: one subprocess with 8 CPU devices."""
  flags = "--xla_force_host_platform_device_count=8"
  out = finish(run_python([HERE / "eight_devices.py"], env={"XLA_FLAGS": flags}))
  return json.loads(out.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fit_dropout", "fit_batchnorm"])
def test_data_parallel_fit_on_8_devices_equals_one_device(eight_devices, name):
  result = eight_devices[name]  # BatchNorm: global-batch statistics, as on one device
  assert result["params"] <= TOL
  assert result["state"] <= TOL
  assert result["history"] <= TOL
  assert result["specs"] == ["P()"]  # parameters replicated


@pytest.mark.slow
def test_data_parallel_fit_resumes_bit_identical_and_names_both_numbers(eight_devices):
  assert eight_devices["fit_resume"] == 0.0
  assert eight_devices["fit_indivisible"] == (
    "train.fit: batch_size 36 does not divide by the 8 devices of the mesh's 'data' axis; "
    "use a multiple of 8"
  )


@pytest.mark.slow
def test_model_sharded_vmap_fit_equals_an_unsharded_one(eight_devices):
  result = eight_devices["vmap_fit"]
  assert result["states"] <= TOL
  assert result["history"] <= TOL
  assert result["best_epoch"]
  assert result["specs"] == ["P('model',)"]  # one model per device
  assert eight_devices["vmap_fit_chunks"] == 12  # 12 models in chunks of 8 over 8 devices
  assert eight_devices["vmap_fit_indivisible"].startswith(
    "train.vmap_fit: the number of models 6 does not divide by the 8 devices"
  )


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_of_4_devices_reach_the_parameters_of_one_process_of_8(tmp_path):
  port, script = free_port(), HERE / "two_processes.py"
  workers = [run_python([script, port, 2, i, tmp_path / f"two_{i}.npz"]) for i in range(2)]
  alone = run_python([script, 0, 1, 0, tmp_path / "one.npz"])
  for process in [*workers, alone]:
    finish(process)
  two, one = np.load(tmp_path / "two_0.npz"), np.load(tmp_path / "one.npz")
  assert sorted(two) == sorted(one)
  assert len(one) > 4
  for name in one:
    np.testing.assert_allclose(two[name], one[name], rtol=TOL, atol=TOL, err_msg=name)
