"""Gradients in `sn.testing.parity(grads=True)`: `jax.grad` of a fixed random
projection of the re-implementation's outputs against torch autograd of the
same projection of the reference's, with respect to every float input and every
weight (the reference's parameter gradients are carried onto the fields by the
same mapping as the weights: slices and transposes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._spec import ArraySpec
from ._parity_match import Assigned
from ._parity_report import Difference, difference, spec_axes
from ._parity_torch import RefRun, gradient_state

__all__ = ["compare_gradients", "field_of", "with_field"]


def field_of(tree: Any, path: str) -> Any:
    for part in path.split("."):
        tree = getattr(tree, part)
    return tree


def with_field(tree: Any, path: str, value: Any) -> Any:
    """A copy of a parameter structure with the field at `path` replaced
    (NamedTuples through `_replace`, dataclasses and equinox modules through a
    shallow copy, frozen or not)."""
    import copy

    head, _, rest = path.partition(".")
    new = with_field(getattr(tree, head), rest, value) if rest else value
    replace = getattr(tree, "_replace", None)
    if isinstance(tree, tuple) and replace is not None:
        return replace(**{head: new})
    out = copy.copy(tree)
    object.__setattr__(out, head, new)
    return out


def compare_gradients(
    fn: Callable[..., Any],
    specs: list[tuple[str, Any]],
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
    # the weights are differentiated field by field (by path), so any parameter
    # structure works, a plain dataclass (no pytree) included; parameters the
    # user gave (params=) are held fixed: there is no mapping to compare through
    paths = [p for p, a in assigned.items() if a.grads] if takes_params and state else []
    base = args[0] if takes_params else None

    def projected(weights: dict[str, Any], *fs: Any) -> Any:
        p = base
        for path, value in weights.items():
            p = with_field(p, path, value)
        xs = list(inputs)
        for i, f in zip(floats, fs):
            xs[i] = f
        lead_args = (p,) if takes_params else ()
        out = jax.tree_util.tree_leaves(fn(*lead_args, *xs, **kwargs))
        return sum(jnp.sum(o * c) for o, c in zip(out, cotangents))

    argnums = tuple(range(1 + len(floats)))
    start = {path: field_of(base, path) for path in paths}
    got = list(jax.grad(projected, argnums=argnums)(start, *[inputs[i] for i in floats]))
    weight_grads = got.pop(0)
    diffs: list[Difference] = []
    notes: list[str] = []
    for k, i in enumerate(floats):
        name, spec = specs[lead + i] if lead + i < len(specs) else (f"input {i}", None)
        expected = ref.input_grads[i] if i < len(ref.input_grads) else None
        if expected is None:
            notes.append(f"the reference gives no gradient for {name}")
            continue
        aspec = spec if isinstance(spec, ArraySpec) else None
        diffs.append(difference(f"d/d {name}", got[k], expected, spec_axes(aspec), rtol, atol))
    if paths and state is not None:
        gstate = gradient_state(ref.state_grads, state)
        fields = dict((p.removeprefix("params."), s) for p, s in specs[0][1].array_leaves("params"))
        for path in paths:
            try:
                expected = assigned[path].get(gstate)
            except Exception as e:  # a weight_map function that is not linear-safe
                notes.append(
                    f"gradient of {path} not compared: weight_map failed on gradients ({e!r})"
                )
                continue
            diffs.append(
                difference(
                    f"d/d {path}",
                    weight_grads[path],
                    expected,
                    spec_axes(fields.get(path)),
                    rtol,
                    atol,
                )
            )
    return diffs, notes
