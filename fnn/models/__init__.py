"""Ready-made models, each a plain :class:`fnn.Layer`."""

from fnn.models.mlp import mlp
