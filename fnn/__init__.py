"""fnn: functional neural networks for JAX.

Every layer and model is a :class:`Layer`, a pair of pure functions ``init`` and
``apply`` over plain pytrees; see :mod:`fnn.core` for the protocol.
"""

from fnn import (
  checkpoint,
  data,
  energy,
  initializers,
  interop,
  layers,
  losses,
  masks,
  metrics,
  models,
  train,
)
from fnn.checkpoint import load_params, save_params
from fnn.core import (
  Layer,
  ShapeError,
  fanout,
  init_params,
  named_serial,
  output_shape,
  parallel,
  residual,
  serial,
)
from fnn.gradcheck import GradcheckResult, gradcheck
from fnn.precision import mixed_precision
from fnn.receptive_field import FieldRow, receptive_field
from fnn.summary import Summary, SummaryRow, summary

__version__ = "0.2.0"

__all__ = [
  "FieldRow",
  "GradcheckResult",
  "Layer",
  "ShapeError",
  "Summary",
  "SummaryRow",
  "__version__",
  "checkpoint",
  "data",
  "energy",
  "fanout",
  "gradcheck",
  "init_params",
  "initializers",
  "interop",
  "layers",
  "load_params",
  "losses",
  "masks",
  "metrics",
  "mixed_precision",
  "models",
  "named_serial",
  "output_shape",
  "parallel",
  "receptive_field",
  "residual",
  "save_params",
  "serial",
  "summary",
  "train",
]
