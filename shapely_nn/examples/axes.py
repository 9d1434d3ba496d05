"""The axes of the bundled examples, declared once and imported by each model."""

from __future__ import annotations

import shapely_nn as sn

BATCH = sn.axis("batch", "independent examples in a minibatch", kind="batch")
TIME = sn.axis("time", "sequence step; outputs may only look back", kind="causal")
FEATURE = sn.axis("feature", "input features per step")
HIDDEN = sn.axis("hidden", "recurrent state units")
UNITS = sn.axis("units", "hidden units of a feed-forward layer")
KLASS = sn.axis("klass", "output classes")
NODE = sn.axis("node", "graph nodes; their order carries no meaning", kind="set")
MODEL = sn.axis("model", "width of the transformer's residual stream")
HEAD = sn.axis("head", "attention heads")
HEAD_DIM = sn.axis("head_dim", "features per attention head")
LATENT = sn.axis("latent", "code units of the autoencoder's bottleneck")
