"""`assert_loss_decreases`: the training-loop smoke test."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["assert_loss_decreases"]

_BARS = " ▁▂▃▄▅▆▇█"


def _sparkline(values: list[float]) -> str:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return "(no finite values)"
    lo, hi = min(finite), max(finite)
    span = hi - lo or 1.0
    return "".join(
        "!" if not math.isfinite(v) else _BARS[1 + int((v - lo) / span * (len(_BARS) - 2))]
        for v in values
    )


def _curve(losses: list[float]) -> str:
    rows = [f"  step {i:3d}  loss {v:.6g}" for i, v in enumerate(losses)]
    if len(rows) > 12:
        rows = [*rows[:6], "  ...", *rows[-5:]]
    return f"  curve  {_sparkline(losses)}\n" + "\n".join(rows)


def assert_loss_decreases(
    loss_fn: Callable[..., Any],
    params: Any,
    *batch: Any,
    steps: int = 20,
    learning_rate: float = 1e-2,
    min_decrease: float = 0.01,
) -> list[float]:
    """Train for a few steps (jax.grad plus Adam) and assert the loss went down.

    ```python
    losses = sn.testing.assert_loss_decreases(loss, params, x, y, steps=20)
    ```

    `loss_fn(params, *batch)` returns a scalar. Float arrays in the `params`
    pytree (NamedTuple, dict, equinox module, registered dataclass) are trained;
    other leaves pass through. Fails unless every loss is finite and the last is
    below the first by at least `min_decrease` of its magnitude; the message
    shows the loss curve. Returns the losses (the initial one first).
    """
    __tracebackhide__ = True
    import jax
    import jax.numpy as jnp

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"assert_loss_decreases: steps must be a positive int, got {steps!r}")
    if not (learning_rate > 0):
        raise ValueError(
            f"assert_loss_decreases: learning_rate must be positive, got {learning_rate!r}"
        )
    leaves, treedef = jax.tree_util.tree_flatten(params)
    train = [
        i
        for i, leaf in enumerate(leaves)
        if hasattr(leaf, "dtype") and jnp.issubdtype(leaf.dtype, jnp.floating)
    ]
    if not train:
        raise TypeError(
            "assert_loss_decreases: params has no float arrays to train; pass a pytree of "
            "arrays (a NamedTuple, dict, equinox module or registered dataclass), got "
            f"{type(params).__name__}"
        )

    def loss_of(trainable: list[Any], *batch: Any) -> Any:
        full = list(leaves)
        for i, t in zip(train, trainable):
            full[i] = t
        return loss_fn(jax.tree_util.tree_unflatten(treedef, full), *batch)

    b1, b2, eps = 0.9, 0.999, 1e-8

    @jax.jit
    def step(state: Any, *batch: Any) -> Any:
        w, m, v, t = state
        loss, g = jax.value_and_grad(loss_of)(w, *batch)
        t = t + 1
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        w = [
            wi - learning_rate * (mi / (1 - b1**t)) / (jnp.sqrt(vi / (1 - b2**t)) + eps)
            for wi, mi, vi in zip(w, m, v)
        ]
        return (w, m, v, t), loss

    w0 = [jnp.asarray(leaves[i]) for i in train]
    state = (w0, [jnp.zeros_like(x) for x in w0], [jnp.zeros_like(x) for x in w0], 0)
    losses: list[float] = []
    for _ in range(steps):
        state, loss = step(state, *batch)
        losses.append(float(loss))
    losses.append(float(jax.jit(loss_of)(state[0], *batch)))
    first, last = losses[0], losses[-1]
    if not all(math.isfinite(v) for v in losses):
        bad = next(i for i, v in enumerate(losses) if not math.isfinite(v))
        raise AssertionError(f"the loss became non-finite at step {bad}\n{_curve(losses)}")
    if not last < first - min_decrease * abs(first):
        raise AssertionError(
            f"the loss did not decrease by {min_decrease:.0%} in {steps} steps of Adam "
            f"(learning rate {learning_rate:g}): {first:.6g} -> {last:.6g}\n{_curve(losses)}"
        )
    return losses
