"""Small annotated models, each with variants that carry a realistic seeded bug.

`CORRECT` lists the models that must pass every property; `BUGGY` maps each
buggy variant to the property that must catch it.
"""

from __future__ import annotations

from typing import Annotated, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

import shapely_nn as sn

sn.axis("batch", "independent examples in a minibatch", kind="batch")
sn.axis("time", "sequence step; outputs may only look back", kind="causal")
sn.axis("feature", "input features per step")
sn.axis("hidden", "recurrent state units")
sn.axis("klass", "output classes")
sn.axis("node", "graph nodes; their order carries no meaning", kind="set")
sn.axis("element", "members of an input set", kind="set")


# ------------------------------------------------------------------ MLP with ReLU


class MLP(NamedTuple):
    w1: Float[Array, "feature hidden"]
    b1: Float[Array, " hidden"]


@sn.shaped
def mlp_hidden(
    p: MLP, x: Float[Array, "batch feature"]
) -> Annotated[Float[Array, "batch hidden"], sn.NonNegative]:
    return jax.nn.relu(x @ p.w1 + p.b1)


@sn.shaped
def mlp_hidden_no_relu(
    p: MLP, x: Float[Array, "batch feature"]
) -> Annotated[Float[Array, "batch hidden"], sn.NonNegative]:
    return x @ p.w1 + p.b1  # bug: ReLU dropped


@sn.shaped
def mlp_hidden_transposed(
    p: MLP, x: Float[Array, "batch feature"]
) -> Annotated[Float[Array, "batch hidden"], sn.NonNegative]:
    # correct, written through transposes: (w1^T x^T)^T == x w1
    return jax.nn.relu((p.w1.T @ x.T).T + p.b1)


@sn.shaped
def mlp_hidden_bad_transpose(
    p: MLP, x: Float[Array, "batch feature"]
) -> Annotated[Float[Array, "batch hidden"], sn.NonNegative]:
    # bug: only type-checks when batch == feature == hidden
    return jax.nn.relu((x.T @ p.w1.T).T + p.b1)


# ------------------------------------------------------------------ softmax classifier


class Linear(NamedTuple):
    w: Float[Array, "feature klass"]
    b: Float[Array, " klass"]


@sn.shaped
def classify(
    p: Linear, x: Float[Array, "batch feature"]
) -> Annotated[Float[Array, "batch klass"], sn.Simplex("klass")]:
    return jax.nn.softmax(x @ p.w + p.b, axis=-1)


@sn.shaped
def classify_wrong_axis(
    p: Linear, x: Float[Array, "batch feature"]
) -> Annotated[Float[Array, "batch klass"], sn.Simplex("klass")]:
    return jax.nn.softmax(x @ p.w + p.b, axis=0)  # bug: softmax over the batch


@sn.shaped
def classify_naive(
    p: Linear, x: Float[Array, "batch feature"]
) -> Annotated[Float[Array, "batch klass"], sn.Simplex("klass")]:
    e = jnp.exp(x @ p.w + p.b)  # bug: no max subtraction, overflows for large logits
    return e / e.sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------ layer norm


class Norm(NamedTuple):
    gain: Float[Array, " feature"]
    bias: Float[Array, " feature"]


@sn.shaped
def layer_norm(p: Norm, x: Float[Array, "batch feature"]) -> Float[Array, "batch feature"]:
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mu) * jax.lax.rsqrt(var + 1e-5) * p.gain + p.bias


@sn.shaped
def layer_norm_over_batch(
    p: Norm, x: Float[Array, "batch feature"]
) -> Float[Array, "batch feature"]:
    mu = x.mean(axis=0, keepdims=True)  # bug: statistics over the batch
    var = x.var(axis=0, keepdims=True)
    return (x - mu) * jax.lax.rsqrt(var + 1e-5) * p.gain + p.bias


@sn.shaped
def mean_pool_wrong_axis(x: Float[Array, "batch time feature"]) -> Float[Array, "batch feature"]:
    return x.mean(axis=2)  # bug: reduces features instead of time


@sn.shaped
def mean_pool(x: Float[Array, "batch time feature"]) -> Float[Array, "batch feature"]:
    return x.mean(axis=1)


# ------------------------------------------------------------------ RNN over time


class RNN(NamedTuple):
    w_in: Float[Array, "feature hidden"]
    w_rec: Float[Array, "hidden hidden"]
    b: Float[Array, " hidden"]


def _scan_rnn(
    p: RNN, xs_tbf: Float[Array, "time batch feature"]
) -> Float[Array, "time batch hidden"]:
    h0 = jnp.zeros((xs_tbf.shape[1], p.w_rec.shape[0]), xs_tbf.dtype)

    def step(h: Float[Array, "batch hidden"], x: Float[Array, "batch feature"]):
        h = jnp.tanh(x @ p.w_in + h @ p.w_rec + p.b)
        return h, h

    return jax.lax.scan(step, h0, xs_tbf)[1]


@sn.shaped
def rnn(p: RNN, xs: Float[Array, "batch time feature"]) -> Float[Array, "batch time hidden"]:
    return jnp.swapaxes(_scan_rnn(p, jnp.swapaxes(xs, 0, 1)), 0, 1)


@sn.shaped
def rnn_reversed(
    p: RNN, xs: Float[Array, "batch time feature"]
) -> Float[Array, "batch time hidden"]:
    hs = _scan_rnn(p, jnp.swapaxes(xs, 0, 1)[::-1])[::-1]  # bug: runs backwards in time
    return jnp.swapaxes(hs, 0, 1)


@sn.shaped
def rnn_bad_reshape(
    p: RNN, xs: Float[Array, "batch time feature"]
) -> Float[Array, "batch time hidden"]:
    b, t, f = xs.shape
    hs = _scan_rnn(p, xs.reshape(t, b, f))  # bug: reshape where a transpose was meant
    return hs.reshape(b, t, -1)


# ------------------------------------------------------------------ causal self-attention


class Attention(NamedTuple):
    wq: Float[Array, "feature hidden"]
    wk: Float[Array, "feature hidden"]
    wv: Float[Array, "feature hidden"]
    gain: Float[Array, " hidden"]


def _attend(
    p: Attention, x: Float[Array, "batch time feature"], k: int | None
) -> Float[Array, "batch time hidden"]:
    q, key, v = x @ p.wq, x @ p.wk, x @ p.wv
    scores = jnp.einsum("bth,bsh->bts", q, key) / jnp.sqrt(q.shape[-1])
    t = x.shape[1]
    if k is not None:
        mask = jnp.tril(jnp.ones((t, t), bool), k=k)
        scores = jnp.where(mask, scores, -1e30)
    out = jnp.einsum("bts,bsh->bth", jax.nn.softmax(scores, axis=-1), v)
    mu = out.mean(-1, keepdims=True)
    return (out - mu) * jax.lax.rsqrt(out.var(-1, keepdims=True) + 1e-5) * p.gain


@sn.shaped
def attention(
    p: Attention, x: Float[Array, "batch time feature"]
) -> Float[Array, "batch time hidden"]:
    return _attend(p, x, 0)


@sn.shaped
def attention_unmasked(
    p: Attention, x: Float[Array, "batch time feature"]
) -> Float[Array, "batch time hidden"]:
    return _attend(p, x, None)  # bug: no causal mask


@sn.shaped
def attention_off_by_one(
    p: Attention, x: Float[Array, "batch time feature"]
) -> Float[Array, "batch time hidden"]:
    return _attend(p, x, 1)  # bug: the mask lets each step see one step ahead


# ------------------------------------------------------------------ GNN layer


class GNN(NamedTuple):
    w: Float[Array, "feature hidden"]
    w_self: Float[Array, "feature hidden"]


@sn.shaped
def gnn_layer(
    p: GNN, adj: Float[Array, "node node"], h: Float[Array, "node feature"]
) -> Float[Array, "node hidden"]:
    return jax.nn.relu(adj @ h @ p.w + h @ p.w_self)


@sn.shaped
def gnn_layer_node_index(
    p: GNN, adj: Float[Array, "node node"], h: Float[Array, "node feature"]
) -> Float[Array, "node hidden"]:
    idx = jnp.arange(h.shape[0], dtype=h.dtype)[:, None] / h.shape[0]
    return jax.nn.relu(adj @ (h + idx) @ p.w + h @ p.w_self)  # bug: node index as a feature


# ------------------------------------------------------------------ DeepSets


class DeepSets(NamedTuple):
    phi: Float[Array, "feature hidden"]
    rho: Float[Array, "hidden klass"]


@sn.shaped
def deep_sets(p: DeepSets, xs: Float[Array, "element feature"]) -> Float[Array, " klass"]:
    return jnp.tanh(jax.nn.relu(xs @ p.phi).sum(axis=0)) @ p.rho


@sn.shaped
def deep_sets_first(p: DeepSets, xs: Float[Array, "element feature"]) -> Float[Array, " klass"]:
    pooled = jax.nn.relu(xs @ p.phi).sum(axis=0) + jax.nn.relu(
        xs[0] @ p.phi
    )  # bug: singles out element 0
    return jnp.tanh(pooled) @ p.rho


# ------------------------------------------------------------------ masked pooling (dead input)


@sn.shaped
def masked_mean(
    x: Float[Array, "batch time feature"], mask: Bool[Array, "batch time"]
) -> Float[Array, "batch feature"]:
    w = mask.astype(x.dtype)[..., None]
    return (x * w).sum(axis=1) / jnp.maximum(w.sum(axis=1), 1.0)


@sn.shaped
def masked_mean_ignores_mask(
    x: Float[Array, "batch time feature"], mask: Bool[Array, "batch time"]
) -> Float[Array, "batch feature"]:
    return x.mean(axis=1)  # bug: the padding mask is accepted but never applied


# ------------------------------------------------------------------ custom gradient


@jax.custom_vjp
def _soft_clip(x: Array) -> Array:
    return jnp.tanh(x)


_soft_clip.defvjp(lambda x: (jnp.tanh(x), x), lambda x, g: (g * (1 - jnp.tanh(x) ** 2),))


@jax.custom_vjp
def _soft_clip_wrong(x: Array) -> Array:
    return jnp.tanh(x)


# bug: the derivative of tanh is 1 - tanh^2, not 1 + tanh^2
_soft_clip_wrong.defvjp(lambda x: (jnp.tanh(x), x), lambda x, g: (g * (1 + jnp.tanh(x) ** 2),))


@sn.shaped
def soft_clip(x: Float[Array, "batch feature"]) -> Float[Array, "batch feature"]:
    return _soft_clip(x)


@sn.shaped
def soft_clip_wrong_vjp(x: Float[Array, "batch feature"]) -> Float[Array, "batch feature"]:
    return _soft_clip_wrong(x)


# ------------------------------------------------------------------ entropy (boundary values)


@sn.shaped
def entropy(
    p: Annotated[Float[Array, "batch klass"], sn.Simplex("klass")],
) -> Float[Array, " batch"]:
    return -jax.scipy.special.xlogy(p, p).sum(axis=-1)


@sn.shaped
def entropy_naive(
    p: Annotated[Float[Array, "batch klass"], sn.Simplex("klass")],
) -> Float[Array, " batch"]:
    return -(p * jnp.log(p)).sum(axis=-1)  # bug: 0 * log(0) is NaN for a one-hot row


# ------------------------------------------------------------------ positions (large sizes)


def _sinusoids(length: int, width: int) -> Array:
    pos = jnp.arange(length)[:, None]
    freq = jnp.exp(-jnp.arange(width)[None, :] / width)
    return jnp.sin(pos * freq)


@sn.shaped
def add_positions(x: Float[Array, "time feature"]) -> Float[Array, "time feature"]:
    return x + _sinusoids(x.shape[0], x.shape[1])


@sn.shaped
def add_positions_fixed_table(x: Float[Array, "time feature"]) -> Float[Array, "time feature"]:
    # bug: a table of 16 positions, sliced to the sequence: longer inputs break
    return x + _sinusoids(16, x.shape[1])[: x.shape[0]]


# ------------------------------------------------------------------ variance (shifted data)


@sn.shaped
def standardize(x: Float[Array, "batch feature"]) -> Float[Array, "batch feature"]:
    mu = x.mean(axis=-1, keepdims=True)
    return (x - mu) / jnp.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + 1e-5)


@sn.shaped
def standardize_one_pass(x: Float[Array, "batch feature"]) -> Float[Array, "batch feature"]:
    mu = x.mean(axis=-1, keepdims=True)
    var = (x**2).mean(axis=-1, keepdims=True) - mu**2  # bug: cancels for large means
    return (x - mu) / jnp.sqrt(var + 1e-5)


CORRECT = [
    mlp_hidden,
    mlp_hidden_transposed,
    classify,
    layer_norm,
    mean_pool,
    rnn,
    attention,
    gnn_layer,
    deep_sets,
    masked_mean,
    soft_clip,
    entropy,
    add_positions,
    standardize,
]

BUGGY = {
    mlp_hidden_no_relu: "values",
    mlp_hidden_bad_transpose: "shapes",
    classify_wrong_axis: "values",
    classify_naive: "values",
    layer_norm_over_batch: "batch",
    mean_pool_wrong_axis: "shapes",
    rnn_reversed: "causal",
    rnn_bad_reshape: "batch",
    attention_unmasked: "causal",
    attention_off_by_one: "causal",
    gnn_layer_node_index: "set",
    deep_sets_first: "set",
    masked_mean_ignores_mask: "dead",
    soft_clip_wrong_vjp: "custom_grad",
    entropy_naive: "finite",
    add_positions_fixed_table: "shapes",
    standardize_one_pass: "finite",
}
