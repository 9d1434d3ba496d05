"""A recurrent network over time (lax.scan), predicting the next step of a sequence."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

import shapely_nn as sn

from . import axes as _axes  # noqa: F401  (declares the axes used below)


class RNNParams(NamedTuple):
    w_in: Float[Array, "feature hidden"]
    w_rec: Float[Array, "hidden hidden"]
    b: Float[Array, " hidden"]
    w_out: Float[Array, "hidden feature"]


@sn.shaped
def rnn(p: RNNParams, xs: Float[Array, "batch time feature"]) -> Float[Array, "batch time hidden"]:
    """An Elman RNN: h[t] = tanh(x[t] @ w_in + h[t-1] @ w_rec + b), from h[-1] = 0."""

    @sn.shaped
    def step(
        h: Float[Array, "batch hidden"], x: Float[Array, "batch feature"]
    ) -> tuple[Float[Array, "batch hidden"], Float[Array, "batch hidden"]]:
        h = jnp.tanh(x @ p.w_in + h @ p.w_rec + p.b)
        return h, h

    h0 = jnp.zeros((xs.shape[0], p.w_rec.shape[0]), xs.dtype)
    _, hs = jax.lax.scan(step, h0, jnp.swapaxes(xs, 0, 1))  # scan over time
    return jnp.swapaxes(hs, 0, 1)


@sn.shaped
def predict_next(
    p: RNNParams, xs: Float[Array, "batch time feature"]
) -> Float[Array, "batch time feature"]:
    """The prediction of step t+1 made at step t."""
    return rnn(p, xs) @ p.w_out


@sn.shaped
def loss(p: RNNParams, xs: Float[Array, "batch time feature"]) -> Float[Array, ""]:
    """Mean squared error of the next-step predictions."""
    pred = predict_next(p, xs)[:, :-1]
    return jnp.mean((pred - xs[:, 1:]) ** 2)


def synthetic_data(key: jax.Array, batch: int = 16, time: int = 12, feature: int = 2) -> jax.Array:
    """Noisy sine waves with random phases and frequencies: [batch, time, feature]."""
    k1, k2, k3 = jax.random.split(key, 3)
    phase = jax.random.uniform(k1, (batch, 1, feature), maxval=2 * jnp.pi)
    freq = jax.random.uniform(k2, (batch, 1, feature), minval=0.3, maxval=0.8)
    t = jnp.arange(time, dtype=jnp.float32)[None, :, None]
    return jnp.sin(freq * t + phase) + 0.05 * jax.random.normal(k3, (batch, time, feature))
