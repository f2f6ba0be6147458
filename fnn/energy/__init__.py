"""Energy-based models: RBMs (:mod:`fnn.energy.rbm`), their partition functions
(:mod:`fnn.energy.partition`), deep belief networks and Hopfield networks."""

from fnn.energy import partition, pictures, rbm
from fnn.energy.partition import ais_log_likelihood, ais_log_partition, log_partition_exact
