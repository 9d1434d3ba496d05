"""A causal transformer block: multi-head self-attention and a feed-forward layer,
each behind a layer norm, on a residual stream."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

import shapely_nn as sn

from . import axes as _axes  # noqa: F401  (declares the axes used below)


class LayerNorm(NamedTuple):
    gain: Float[Array, " model"]
    bias: Float[Array, " model"]


class BlockParams(NamedTuple):
    ln1: LayerNorm
    wq: Float[Array, "model head head_dim"]
    wk: Float[Array, "model head head_dim"]
    wv: Float[Array, "model head head_dim"]
    wo: Float[Array, "head head_dim model"]
    ln2: LayerNorm
    w_up: Float[Array, "model units"]
    w_down: Float[Array, "units model"]


@sn.shaped
def layer_norm(
    p: LayerNorm, x: Float[Array, "batch time model"]
) -> Float[Array, "batch time model"]:
    """Normalise each position over its features."""
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mu) * jax.lax.rsqrt(var + 1e-5) * p.gain + p.bias


@sn.shaped
def causal_attention(
    p: BlockParams, x: Float[Array, "batch time model"]
) -> Float[Array, "batch time model"]:
    """Multi-head self-attention in which step t attends to steps <= t."""
    q = jnp.einsum("btm,mhd->bthd", x, p.wq)
    k = jnp.einsum("btm,mhd->bthd", x, p.wk)
    v = jnp.einsum("btm,mhd->bthd", x, p.wv)
    scores = jnp.einsum("bthd,bshd->bhts", q, k) / jnp.sqrt(q.shape[-1])
    t = x.shape[1]
    mask = jnp.tril(jnp.ones((t, t), bool))
    scores = jnp.where(mask, scores, -jnp.inf)
    weights = jax.nn.softmax(scores, axis=-1)
    out = jnp.einsum("bhts,bshd->bthd", weights, v)
    return jnp.einsum("bthd,hdm->btm", out, p.wo)


@sn.shaped
def block(p: BlockParams, x: Float[Array, "batch time model"]) -> Float[Array, "batch time model"]:
    """x + attention(norm(x)), then + feed-forward(norm(.))."""
    x = x + causal_attention(p, layer_norm(p.ln1, x))
    h = jax.nn.gelu(layer_norm(p.ln2, x) @ p.w_up)
    return x + h @ p.w_down


@sn.shaped
def loss(p: BlockParams, x: Float[Array, "batch time model"]) -> Float[Array, ""]:
    """Mean squared error of predicting step t+1 from the block's output at step t."""
    return jnp.mean((block(p, x)[:, :-1] - x[:, 1:]) ** 2)


def synthetic_data(key: jax.Array, batch: int = 8, time: int = 10, model: int = 8) -> jax.Array:
    """Smooth random trajectories (a random walk, smoothed): [batch, time, model]."""
    steps = 0.3 * jax.random.normal(key, (batch, time, model))
    return (
        jnp.cumsum(steps, axis=1)
        / jnp.sqrt(jnp.arange(1, time + 1, dtype=jnp.float32))[None, :, None]
    )


def init_params(
    key: jax.Array, model: int = 8, head: int = 2, head_dim: int = 4, units: int = 16
) -> BlockParams:
    """Fan-in-scaled normal weights and unit layer-norm gains."""
    ks = jax.random.split(key, 6)

    def normal(k: jax.Array, shape: tuple[int, ...], fan_in: int) -> jax.Array:
        return jax.random.normal(k, shape) / jnp.sqrt(fan_in)

    ln = LayerNorm(jnp.ones(model), jnp.zeros(model))
    return BlockParams(
        ln1=ln,
        wq=normal(ks[0], (model, head, head_dim), model),
        wk=normal(ks[1], (model, head, head_dim), model),
        wv=normal(ks[2], (model, head, head_dim), model),
        wo=normal(ks[3], (head, head_dim, model), head * head_dim),
        ln2=ln,
        w_up=normal(ks[4], (model, units), model),
        w_down=normal(ks[5], (units, model), units),
    )
