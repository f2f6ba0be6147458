"""Ready-made models, each a plain :class:`fnn.Layer`."""

from fnn.models import autoencoder
from fnn.models.alexnet import alexnet
from fnn.models.cnn import basic_block, lenet5, resnet, vgg_block
from fnn.models.googlenet import googlenet, inception_block
from fnn.models.mlp import mlp
from fnn.models.resnet_imagenet import resnet18, resnet34
from fnn.models.vgg import vgg

__all__ = [
  "alexnet",
  "autoencoder",
  "basic_block",
  "googlenet",
  "inception_block",
  "lenet5",
  "mlp",
  "resnet",
  "resnet18",
  "resnet34",
  "vgg",
  "vgg_block",
]
