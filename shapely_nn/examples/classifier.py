"""A GRU sequence classifier re-implemented from PyTorch, and the PyTorch model
it re-implements: the workflow `sn.testing.parity` exists for.

`reference()` builds the PyTorch model (an `nn.GRU` over the sequence, then an
`nn.Linear` head on the last step); `classify` is its annotated JAX twin. The
weights are named after PyTorch's own GRU equations (`W_ir`, `b_hn`, ...), so
`parity` maps `gru.weight_ih_l0` and friends onto them without a table:

```python
report = sn.testing.parity(reference(), classify)
assert report.ok, report
```

PyTorch is only imported when `reference()` is called
(`pip install 'shapely_nn[torch]'`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

import shapely_nn as sn

__all__ = ["ClassifierParams", "GRUParams", "classify", "encode", "gru_cell", "reference"]

from . import axes as _axes  # noqa: F401  (declares the axes used below)


class GRUParams(NamedTuple):
    """One GRU layer, in PyTorch's notation: `r`eset, update (`z`) and `n`ew
    gates, `i`nput-to-hidden and `h`idden-to-hidden weights."""

    w_ir: Float[Array, "feature hidden"]
    w_iz: Float[Array, "feature hidden"]
    w_in: Float[Array, "feature hidden"]
    w_hr: Float[Array, "hidden hidden"]
    w_hz: Float[Array, "hidden hidden"]
    w_hn: Float[Array, "hidden hidden"]
    b_ir: Float[Array, " hidden"]
    b_iz: Float[Array, " hidden"]
    b_in: Float[Array, " hidden"]
    b_hr: Float[Array, " hidden"]
    b_hz: Float[Array, " hidden"]
    b_hn: Float[Array, " hidden"]


class ClassifierParams(NamedTuple):
    gru: GRUParams
    w_out: Float[Array, "hidden klass"]
    b_out: Float[Array, " klass"]


@sn.shaped
def gru_cell(
    p: GRUParams, h: Float[Array, "batch hidden"], x: Float[Array, "batch feature"]
) -> Float[Array, "batch hidden"]:
    """One step: PyTorch's `nn.GRU` equations, weights multiplying from the right."""
    r = jax.nn.sigmoid(x @ p.w_ir + p.b_ir + h @ p.w_hr + p.b_hr)
    z = jax.nn.sigmoid(x @ p.w_iz + p.b_iz + h @ p.w_hz + p.b_hz)
    n = jnp.tanh(x @ p.w_in + p.b_in + r * (h @ p.w_hn + p.b_hn))
    return (1 - z) * n + z * h


@sn.shaped
def encode(
    p: GRUParams, x: Float[Array, "batch time feature"]
) -> Float[Array, "batch time hidden"]:
    """The hidden state after every step, from a zero initial state."""
    h0 = jnp.zeros((x.shape[0], p.w_hr.shape[0]), x.dtype)

    def step(h: Any, x_t: Any) -> tuple[Any, Any]:
        h = gru_cell(p, h, x_t)
        return h, h

    _, hs = jax.lax.scan(step, h0, jnp.swapaxes(x, 0, 1))
    return jnp.swapaxes(hs, 0, 1)


@sn.shaped
def classify(
    p: ClassifierParams, x: Float[Array, "batch time feature"]
) -> Float[Array, "batch klass"]:
    """Class logits from the hidden state after the last step."""
    return encode(p.gru, x)[:, -1] @ p.w_out + p.b_out


def reference(feature: int = 3, hidden: int = 5, klass: int = 2, seed: int = 0) -> Any:
    """The PyTorch model `classify` re-implements, with seeded random weights."""
    import torch
    from torch import nn

    class GRUClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(feature, hidden, batch_first=True)
            self.head = nn.Linear(hidden, klass)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.gru(x)
            return self.head(out[:, -1])

    torch.manual_seed(seed)
    return GRUClassifier()
