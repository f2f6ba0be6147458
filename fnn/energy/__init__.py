"""Energy-based models: RBMs (:mod:`fnn.energy.rbm`), their partition functions
(:mod:`fnn.energy.partition`), deep belief networks and Hopfield networks."""

from fnn.energy import dbn, partition, pictures, rbm
from fnn.energy.partition import ais_log_likelihood, ais_log_partition, log_partition_exact


def __getattr__(name):
  # The scikit-learn estimator is imported on first use, so fnn.energy needs no sklearn.
  if name == "BernoulliRBM":
    from fnn.energy.estimator import BernoulliRBM
    return BernoulliRBM
  raise AttributeError(f"module 'fnn.energy' has no attribute {name!r}")
