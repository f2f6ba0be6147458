"""Names every docstring example in fnn/ may use without importing them.

`make check` runs the examples with `pytest --doctest-modules fnn`; each example sees
`jax`, `jnp`, `np`, `optax` and `fnn`, plus the globals of its own module.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import fnn


@pytest.fixture(autouse=True, scope="session")
def _doctest_names(doctest_namespace):
  doctest_namespace.update(jax=jax, jnp=jnp, np=np, optax=optax, fnn=fnn)
