"""A graph convolution layer: message passing over an adjacency matrix.

Nodes form a set: relabelling them permutes the outputs the same way.
"""

from __future__ import annotations

from typing import Annotated, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

import shapely_nn as sn

from . import axes as _axes  # noqa: F401  (declares the axes used below)


class GCNParams(NamedTuple):
    w_msg: Float[Array, "feature units"]
    w_self: Float[Array, "feature units"]
    w_out: Float[Array, "units klass"]


@sn.shaped
def gcn_layer(
    p: GCNParams,
    adj: Annotated[Float[Array, "node node"], sn.NonNegative],
    h: Float[Array, "node feature"],
) -> Annotated[Float[Array, "node units"], sn.NonNegative]:
    """Mean of the neighbours' messages plus a self connection, then ReLU."""
    degree = adj.sum(axis=-1, keepdims=True)
    messages = (adj @ (h @ p.w_msg)) / jnp.maximum(degree, 1.0)
    return jax.nn.relu(messages + h @ p.w_self)


@sn.shaped
def node_logits(
    p: GCNParams,
    adj: Annotated[Float[Array, "node node"], sn.NonNegative],
    h: Float[Array, "node feature"],
) -> Float[Array, "node klass"]:
    """Per-node class scores."""
    return gcn_layer(p, adj, h) @ p.w_out


@sn.shaped
def loss(
    p: GCNParams,
    adj: Annotated[Float[Array, "node node"], sn.NonNegative],
    h: Float[Array, "node feature"],
    y: Annotated[Int[Array, " node"], sn.IndexInto("klass")],
) -> Float[Array, ""]:
    """Mean cross-entropy of the node labels."""
    logp = jax.nn.log_softmax(node_logits(p, adj, h), axis=-1)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=-1))


def synthetic_data(
    key: jax.Array, node: int = 24, feature: int = 3
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Two communities, denser inside than across; features weakly tell them apart.
    Returns (adj [node, node], h [node, feature], y [node])."""
    k1, k2, k3 = jax.random.split(key, 3)
    y = (jnp.arange(node) >= node // 2).astype(jnp.int32)
    same = y[:, None] == y[None, :]
    prob = jnp.where(same, 0.5, 0.05)
    upper = jax.random.uniform(k1, (node, node)) < prob
    adj = jnp.triu(upper, 1)
    adj = (adj | adj.T).astype(jnp.float32)
    h = 0.5 * y[:, None].astype(jnp.float32) + jax.random.normal(k2, (node, feature))
    perm = jax.random.permutation(k3, node)  # node order carries no meaning
    return adj[perm][:, perm], h[perm], y[perm]
