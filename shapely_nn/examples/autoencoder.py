"""An autoencoder, with the encoder and decoder as separate annotated functions."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

import shapely_nn as sn

from . import axes as _axes  # noqa: F401  (declares the axes used below)


class Encoder(NamedTuple):
    w1: Float[Array, "feature units"]
    b1: Float[Array, " units"]
    w2: Float[Array, "units latent"]


class Decoder(NamedTuple):
    w1: Float[Array, "latent units"]
    b1: Float[Array, " units"]
    w2: Float[Array, "units feature"]


class AEParams(NamedTuple):
    enc: Encoder
    dec: Decoder


@sn.shaped
def encode(p: Encoder, x: Float[Array, "batch feature"]) -> Float[Array, "batch latent"]:
    """The code of each example."""
    return jnp.tanh(x @ p.w1 + p.b1) @ p.w2


@sn.shaped
def decode(p: Decoder, z: Float[Array, "batch latent"]) -> Float[Array, "batch feature"]:
    """The reconstruction of each example from its code."""
    return jnp.tanh(z @ p.w1 + p.b1) @ p.w2


@sn.shaped
def loss(p: AEParams, x: Float[Array, "batch feature"]) -> Float[Array, ""]:
    """Mean squared reconstruction error."""
    return jnp.mean((decode(p.dec, encode(p.enc, x)) - x) ** 2)


def synthetic_data(key: jax.Array, n: int = 64, feature: int = 6, rank: int = 2) -> jax.Array:
    """Data near a low-dimensional subspace: [n, feature]."""
    k1, k2, k3 = jax.random.split(key, 3)
    basis = jax.random.normal(k1, (rank, feature))
    codes = jax.random.normal(k2, (n, rank))
    return codes @ basis + 0.05 * jax.random.normal(k3, (n, feature))
