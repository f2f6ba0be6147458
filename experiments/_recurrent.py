"""What the recurrent-network experiments share: their cells, models and optimizer."""

import importlib.resources
import pathlib

import optax

import fnn
from fnn.layers import RNN, Dense, GRUCell, LSTMCell, SimpleRNNCell

# Model names used in every results.json, in the order experiments run and plot them.
CELLS = {"rnn": SimpleRNNCell, "gru": GRUCell, "lstm": LSTMCell}
LABELS = {"rnn": "simple RNN (tanh)", "gru": "GRU", "lstm": "LSTM"}


def sequence_model(
  cell_name: str, hidden: int, outputs: int, *, return_sequences: bool = False
) -> fnn.Layer:
  """An RNN with a Dense read-out.

  ``serial(RNN(cell(hidden)), Dense(outputs))``: a read-out of the last output
  ``(N, outputs)``, or of every step ``(N, T, outputs)`` with ``return_sequences``.
  """
  return fnn.serial(
    RNN(CELLS[cell_name](hidden), return_sequences=return_sequences), Dense(outputs)
  )


def clipped_adam(learning_rate: float, clip_norm: float) -> optax.GradientTransformation:
  """Adam after ``optax.clip_by_global_norm``: the remedy for exploding BPTT gradients."""
  return optax.chain(optax.clip_by_global_norm(clip_norm), optax.adam(learning_rate))


def shipped_file(name: str) -> pathlib.Path:
  """Path of a data file shipped in fnn/data/files (see the README there)."""
  return pathlib.Path(str(importlib.resources.files("fnn.data").joinpath("files", name)))
