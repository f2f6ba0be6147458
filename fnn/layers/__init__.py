"""Layers: CamelCase constructors returning :class:`fnn.Layer`, and activation functions."""

from fnn.layers.activations import (Elu, Gelu, Identity, LeakyRelu, LogSoftmax, Relu, Sigmoid,
                                    Softmax, Softplus, Step, Tanh, elu, gelu, identity,
                                    leaky_relu, log_softmax, relu, sigmoid, softmax, softplus,
                                    step, tanh)
from fnn.layers.dense import Dense
from fnn.layers.dropout import Dropout
