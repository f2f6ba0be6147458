"""Ready-made models, each a plain :class:`fnn.Layer`."""

from fnn.models.cnn import basic_block, lenet5, resnet, vgg_block
from fnn.models.mlp import mlp
from fnn.models import autoencoder
