"""An MLP classifier: a ReLU hidden layer and a softmax over the classes."""

from __future__ import annotations

from typing import Annotated, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

import shapely_nn as sn

from . import axes as _axes  # noqa: F401  (declares the axes used below)


class MLPParams(NamedTuple):
    w1: Float[Array, "feature units"]
    b1: Float[Array, " units"]
    w2: Float[Array, "units klass"]
    b2: Float[Array, " klass"]


@sn.shaped
def hidden(
    p: MLPParams, x: Float[Array, "batch feature"]
) -> Annotated[Float[Array, "batch units"], sn.NonNegative]:
    """The ReLU hidden layer."""
    return jax.nn.relu(x @ p.w1 + p.b1)


@sn.shaped
def logits(p: MLPParams, x: Float[Array, "batch feature"]) -> Float[Array, "batch klass"]:
    """Unnormalised class scores."""
    return hidden(p, x) @ p.w2 + p.b2


@sn.shaped
def predict(
    p: MLPParams, x: Float[Array, "batch feature"]
) -> Annotated[Float[Array, "batch klass"], sn.Simplex("klass")]:
    """Class probabilities: a softmax over the classes of each example."""
    return jax.nn.softmax(logits(p, x), axis=-1)


@sn.shaped
def loss(
    p: MLPParams,
    x: Float[Array, "batch feature"],
    y: Annotated[Int[Array, " batch"], sn.IndexInto("klass")],
) -> Annotated[Float[Array, ""], sn.Finite]:
    """Mean cross-entropy of the true classes."""
    logp = jax.nn.log_softmax(logits(p, x), axis=-1)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=-1))


def synthetic_data(
    key: jax.Array, n: int = 96, feature: int = 4, klass: int = 3
) -> tuple[jax.Array, jax.Array]:
    """Gaussian blobs, one per class: (x [n, feature], y [n])."""
    k1, k2, k3 = jax.random.split(key, 3)
    centres = 2.0 * jax.random.normal(k1, (klass, feature))
    y = jax.random.randint(k2, (n,), 0, klass)
    x = centres[y] + 0.5 * jax.random.normal(k3, (n, feature))
    return x, y
