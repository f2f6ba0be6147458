"""Energy-based models: Hopfield networks and the Hopfield-network TSP solver."""

from fnn.energy import hopfield
from fnn.energy.hopfield import (Hopfield, energy, hebbian, modern_energy, modern_recall,
                                 modern_update, pseudo_inverse, recall_async, recall_batch,
                                 recall_sync, storkey, to_binary, to_bipolar)
from fnn.energy import tsp, tsplib
from fnn.energy.tsp import read_tour, read_tsplib
