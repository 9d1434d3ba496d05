"""The quickstart: declare axes, annotate an RNN, run it checked, and see a bug caught.

Run it with `python -m shapely_nn.examples.quickstart`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

import shapely_nn as sn

BATCH = sn.axis("batch", "independent examples in a minibatch", kind="batch")
TIME = sn.axis("time", "sequence step; outputs may only look back", kind="causal")
FEATURE = sn.axis("feature", "input features per step")
HIDDEN = sn.axis("hidden", "recurrent state units")


class RNNParams(NamedTuple):
    w_in: Float[Array, "feature hidden"]
    w_rec: Float[Array, "hidden hidden"]
    b: Float[Array, " hidden"]


@sn.shaped
def rnn(
    p: RNNParams,
    h0: Float[Array, "batch hidden"],
    xs: Float[Array, "batch time feature"],
) -> Float[Array, "batch time hidden"]:
    """An Elman RNN: h[t] = tanh(x[t] @ w_in + h[t-1] @ w_rec + b)."""

    def step(h: Float[Array, "batch hidden"], x: Float[Array, "batch feature"]):
        h = jnp.tanh(x @ p.w_in + h @ p.w_rec + p.b)
        return h, h

    _, hs = jax.lax.scan(step, h0, jnp.swapaxes(xs, 0, 1))  # scan over time
    return jnp.swapaxes(hs, 0, 1)


def main() -> None:
    k1, k2, k3 = jax.random.split(jax.random.key(0), 3)
    params = RNNParams(
        w_in=jax.random.normal(k1, (4, 8)) * 0.5,
        w_rec=jax.random.normal(k2, (8, 8)) * 0.3,
        b=jnp.zeros(8),
    )
    h0 = jnp.zeros((3, 8))
    xs = jax.random.normal(k3, (3, 5, 4))  # batch=3, time=5, feature=4

    out = rnn(params, h0, xs)
    print(f"eager:    rnn(...) -> {out.shape}, checked")
    out_jit = jax.jit(rnn)(params, h0, xs)
    print(f"jax.jit:  rnn(...) -> {out_jit.shape}, checked once while tracing")
    print(f"          jit agrees with eager: {bool(jnp.allclose(out, out_jit, atol=1e-5))}")

    print("\nNow the classic bug: passing xs as (time, batch, feature).\n")
    try:
        rnn(params, h0, jnp.swapaxes(xs, 0, 1))
    except sn.ShapeError as e:
        print(f"sn.ShapeError: {e}")
    else:  # pragma: no cover - the check above must fire
        raise SystemExit("the transposed input was not caught")


if __name__ == "__main__":
    main()
