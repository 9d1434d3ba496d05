"""Gradients in `sn.testing.parity(grads=True)`: `jax.grad` of a fixed random
projection of the re-implementation's outputs against torch autograd of the
same projection of the reference's, with respect to every float input and every
weight (the reference's parameter gradients are carried onto the fields by the
same mapping as the weights: slices and transposes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._signature import Plan
from .._spec import NAMED, ArraySpec
from ._parity_match import Assigned
from ._parity_report import Difference, difference
from ._parity_torch import RefRun

__all__ = ["compare_gradients"]


def _axes(spec: ArraySpec | None) -> tuple[str, ...]:
    if spec is None:
        return ()
    return tuple(d.name if d.code == NAMED and d.name else "" for d in (*spec.prefix, *spec.suffix))


def _inexact(x: Any) -> bool:
    return hasattr(x, "dtype") and np.dtype(x.dtype).kind in "fc"


def _field(tree: Any, path: str) -> Any:
    for part in path.split("."):
        tree = getattr(tree, part)
    return tree


def compare_gradients(
    fn: Callable[..., Any],
    plan: Plan,
    args: tuple,
    kwargs: dict[str, Any],
    takes_params: bool,
    cotangents: list[np.ndarray],
    ref: RefRun,
    assigned: Mapping[str, Assigned],
    state: Mapping[str, np.ndarray] | None,
    rtol: float | None,
    atol: float | None,
) -> tuple[list[Difference], list[str]]:
    """Differences for each input and weight gradient, and notes on what could
    not be compared."""
    import jax
    import jax.numpy as jnp

    lead = 1 if takes_params else 0
    inputs = list(args[lead:])
    floats = [i for i, x in enumerate(inputs) if np.asarray(x).dtype.kind == "f"]
    params = [p for p in plan.all_params if not p.is_self]

    # the weights' float leaves are differentiated (an equinox layer also holds
    # flags and static values); the rest of the structure rides along
    p_leaves, treedef = jax.tree_util.tree_flatten(args[0] if takes_params else None)
    p_float = [i for i, x in enumerate(p_leaves) if _inexact(x)]

    def projected(pf: list[Any], *fs: Any) -> Any:
        pl = list(p_leaves)
        for i, v in zip(p_float, pf):
            pl[i] = v
        xs = list(inputs)
        for i, f in zip(floats, fs):
            xs[i] = f
        lead_args = (jax.tree_util.tree_unflatten(treedef, pl),) if takes_params else ()
        out = jax.tree_util.tree_leaves(fn(*lead_args, *xs, **kwargs))
        return sum(jnp.sum(o * c) for o, c in zip(out, cotangents))

    argnums = tuple(range(1 + len(floats)))
    got = list(
        jax.grad(projected, argnums=argnums)(
            [p_leaves[i] for i in p_float], *[inputs[i] for i in floats]
        )
    )
    pl = list(p_leaves)
    for i, g in zip(p_float, got.pop(0)):
        pl[i] = g
    weight_grads = jax.tree_util.tree_unflatten(treedef, pl) if takes_params else None
    diffs: list[Difference] = []
    notes: list[str] = []
    for k, i in enumerate(floats):
        spec = params[lead + i].spec if lead + i < len(params) else None
        expected = ref.input_grads[i] if i < len(ref.input_grads) else None
        name = params[lead + i].name if lead + i < len(params) else f"input {i}"
        if expected is None:
            notes.append(f"the reference gives no gradient for {name}")
            continue
        aspec = spec if isinstance(spec, ArraySpec) else None
        diffs.append(difference(f"d/d {name}", got[k], expected, _axes(aspec), rtol, atol))
    if weight_grads is not None and state is not None and assigned:
        from ._parity_torch import gradient_state

        gstate = gradient_state(ref.state_grads, state)
        fields = dict(
            (p.removeprefix("params."), s) for p, s in params[0].spec.array_leaves("params")
        )
        for path, a in assigned.items():
            try:
                expected = a.get(gstate)
            except Exception as e:  # a weight_map function that is not linear-safe
                notes.append(
                    f"gradient of {path} not compared: weight_map failed on gradients ({e!r})"
                )
                continue
            if not a.grads:
                continue
            diffs.append(
                difference(
                    f"d/d {path}",
                    _field(weight_grads, path),
                    expected,
                    _axes(fields.get(path)),
                    rtol,
                    atol,
                )
            )
    return diffs, notes
