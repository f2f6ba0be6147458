"""One process of the several-host recipe, on CPU.

Usage: ``python two_processes.py PORT PROCESSES INDEX OUT``.
With PROCESSES = 2 each process has 4 CPU devices and joins the
other through ``jax.distributed.initialize``; with 1 it has all 8. Each loads its share
of the data (``fnn.train.process_share``), joins the shares (``fnn.train.global_data``)
and runs a data-parallel ``fit`` over the 8 devices; process 0 writes the parameters
to OUT (an .npz file).
"""

import sys

import jax

PORT, PROCESSES, INDEX, OUT = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
jax.config.update("jax_num_cpu_devices", 8 // PROCESSES)
if PROCESSES > 1:
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  jax.distributed.initialize(f"localhost:{PORT}", PROCESSES, INDEX)

import numpy as np  # noqa: E402
import optax  # noqa: E402

import fnn  # noqa: E402
from fnn.layers import BatchNorm, Dense, Dropout, Relu  # noqa: E402


def main():
  assert jax.device_count() == 8
  assert jax.process_count() == PROCESSES
  mesh = jax.make_mesh((8,), ("data",))
  x, y = fnn.data.load_digits("train")
  x, y = x.reshape(-1, 64)[:256], y[:256]
  share = fnn.train.process_share(len(x))
  x_all, y_all = fnn.train.global_data(mesh, (x[share], y[share]))
  model = fnn.serial(Dense(16, use_bias=False), BatchNorm(), Relu(), Dropout(0.2), Dense(10))
  with jax.default_matmul_precision("highest"):
    result = fnn.train.fit(
      model,
      fnn.losses.softmax_cross_entropy,
      optax.adam(1e-2),
      x_all,
      y_all,
      key=jax.random.key(0),
      epochs=2,
      batch_size=32,
      mesh=mesh,
      validation_data=(x[:64], y[:64]),
      progress=False,
    )
  leaves = jax.tree_util.tree_flatten_with_path((result.state.params, result.state.state))[0]
  arrays = {jax.tree_util.keystr(path): np.asarray(leaf) for path, leaf in leaves}
  arrays["val_loss"] = result.history["val_loss"]
  if jax.process_index() == 0:
    np.savez(OUT, **arrays)


if __name__ == "__main__":
  sys.exit(main())
