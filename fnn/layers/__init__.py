"""Layers: CamelCase constructors returning :class:`fnn.Layer`, and activation functions."""

from fnn.layers._sequence import step_mask
from fnn.layers.activations import (
                                    Elu,
                                    Gelu,
                                    Identity,
                                    LeakyRelu,
                                    LogSoftmax,
                                    Relu,
                                    Sigmoid,
                                    Softmax,
                                    Softplus,
                                    Step,
                                    Tanh,
                                    elu,
                                    gelu,
                                    identity,
                                    leaky_relu,
                                    log_softmax,
                                    relu,
                                    sigmoid,
                                    softmax,
                                    softplus,
                                    step,
                                    tanh,
)
from fnn.layers.conv import Conv, ConvTranspose
from fnn.layers.dense import Dense
from fnn.layers.dropout import Dropout
from fnn.layers.embedding import Embedding
from fnn.layers.im2col import im2col
from fnn.layers.lrn import LocalResponseNorm
from fnn.layers.norm import BatchNorm, LayerNorm
from fnn.layers.pool import AvgPool, GlobalAvgPool, MaxPool
from fnn.layers.recurrent import (
                                    RNN,
                                    Bidirectional,
                                    Cell,
                                    GRUCell,
                                    LSTMCell,
                                    RNNInput,
                                    SimpleRNNCell,
                                    check_lengths,
                                    gru_cell,
                                    lstm_cell,
                                    rnn_scan,
                                    simple_rnn_cell,
)
from fnn.layers.reshape import Flatten, Reshape

__all__ = ["RNN", "AvgPool", "BatchNorm", "Bidirectional", "Cell", "Conv", "ConvTranspose", "Dense", "Dropout", "Elu", "Embedding", "Flatten", "GRUCell", "Gelu", "GlobalAvgPool", "Identity", "LSTMCell", "LayerNorm", "LeakyRelu", "LocalResponseNorm", "LogSoftmax", "MaxPool", "RNNInput", "Relu", "Reshape", "Sigmoid", "SimpleRNNCell", "Softmax", "Softplus", "Step", "Tanh", "check_lengths", "elu", "gelu", "gru_cell", "identity", "im2col", "leaky_relu", "log_softmax", "lstm_cell", "relu", "rnn_scan", "sigmoid", "simple_rnn_cell", "softmax", "softplus", "step", "step_mask", "tanh"]
