"""Energy-based models.

- :mod:`fnn.energy.rbm`: restricted Boltzmann machines, Gibbs sampling, CD-k / PCD;
  :mod:`fnn.energy.tempering`: parallel tempering (sampling and training);
  :mod:`fnn.energy.partition`: exact and AIS log partition functions;
  :mod:`fnn.energy.pictures`: sample grids and filter images;
  :mod:`fnn.energy.dbn`: deep belief networks (greedily stacked RBMs);
  ``fnn.energy.BernoulliRBM``: a scikit-learn estimator (imported on first use).
- :mod:`fnn.energy.hopfield`: Hopfield associative memory (classical and modern).
- :mod:`fnn.energy.tsp`: the Hopfield-Tank TSP network, its annealed variant, TSPLIB tools.

``energy`` is model-specific, so it is reached through its module
(``fnn.energy.rbm.energy``, ``fnn.energy.hopfield.energy``).
"""

from fnn.energy import dbn, hopfield, partition, pictures, rbm, tempering, tsp, tsplib
from fnn.energy.hopfield import (
  Hopfield,
  hebbian,
  modern_energy,
  modern_recall,
  modern_update,
  pseudo_inverse,
  recall,
  storkey,
  to_binary,
  to_bipolar,
)
from fnn.energy.partition import ais_log_likelihood, ais_log_partition, log_partition_exact
from fnn.energy.tsp import read_tour, read_tsplib


def __getattr__(name):
  # The scikit-learn estimator is imported on first use, so fnn.energy needs no sklearn.
  if name == "BernoulliRBM":
    from fnn.energy.estimator import BernoulliRBM

    return BernoulliRBM
  raise AttributeError(f"module 'fnn.energy' has no attribute {name!r}")


__all__ = [
  "BernoulliRBM",
  "Hopfield",
  "ais_log_likelihood",
  "ais_log_partition",
  "dbn",
  "hebbian",
  "hopfield",
  "log_partition_exact",
  "modern_energy",
  "modern_recall",
  "modern_update",
  "partition",
  "pictures",
  "pseudo_inverse",
  "rbm",
  "read_tour",
  "read_tsplib",
  "recall",
  "storkey",
  "tempering",
  "to_binary",
  "to_bipolar",
  "tsp",
  "tsplib",
]
