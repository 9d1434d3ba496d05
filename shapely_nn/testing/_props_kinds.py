"""Properties the axis kinds promise: `batch` (examples along the axis are
independent), `causal` (no output step depends on later input steps) and `set`
(permuting the axis permutes the outputs the same way, or leaves them alone).

Each changes the inputs along one axis (`_along`) and compares the outputs of
one more compiled run with the example's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._spec import ArraySpec
from ._arguments import LeafInfo
from ._compare import as_numpy, compare, fmt_diff
from ._runner import Example, Fail, Runner
from ._subject import Skip

__all__ = ["batch", "causal", "set_"]

# what one input becomes: (array, its axis positions, leaf info, index) -> new array
# or None for unchanged
Change = Callable[[np.ndarray, list[int], LeafInfo, int], "np.ndarray | None"]


def _positions(spec: ArraySpec | None, ndim: int, axis: str) -> list[int]:
    return [] if spec is None else [p % ndim for p in spec.axis_offsets(axis)]


def _like(a: np.ndarray, template: Any) -> Any:
    if isinstance(template, np.ndarray):
        return a.astype(template.dtype)
    import jax.numpy as jnp

    return jnp.asarray(a, dtype=template.dtype)


def _along(r: Runner, ex: Example, axis: str, change: Change) -> Any:
    """The outputs for the example's inputs, each changed by `change` (PRNG keys
    are left alone); Skip if no input changed."""
    leaves = list(ex.drawn.leaves)
    touched = False
    for i, (leaf, info) in enumerate(zip(ex.drawn.leaves, ex.drawn.infos)):
        if str(getattr(leaf, "dtype", "")).startswith("key"):
            continue
        a = as_numpy(leaf)
        new = change(a, _positions(info.spec, a.ndim, axis), info, i)
        if new is not None:
            touched = True
            leaves[i] = _like(np.ascontiguousarray(new), leaf)
    if not touched:
        raise Skip(f"no input has the {axis!r} axis")
    return r.evaluate(ex, leaves)


def _index(ndim: int, p: int, select: np.ndarray) -> tuple[Any, ...]:
    idx: list[Any] = [slice(None)] * ndim
    idx[p] = select
    return tuple(idx)


def _leak(
    r: Runner, ex: Example, base: Any, axis: str, select: np.ndarray
) -> tuple[bool, tuple[str, list[int], tuple[float, tuple[int, ...]]] | None]:
    """Replace the entries `select` along `axis` in every input by the alternative
    draw's; outputs that carry the axis must not change anywhere else. Returns
    whether any output carried it, and the first change found: (path, axis
    positions, difference)."""

    def replace(a: np.ndarray, pos: list[int], info: LeafInfo, i: int) -> np.ndarray | None:
        if not pos:
            return None
        a, b = a.copy(), as_numpy(ex.alt[i])
        for p in pos:
            a[_index(a.ndim, p, select)] = b[_index(a.ndim, p, select)]
        return a

    out = _along(r, ex, axis, replace)
    checked = False
    for (path, spec, b), (_, _, o) in zip(r.out_leaves(base), r.out_leaves(out)):
        pos = _positions(spec, np.ndim(b), axis)
        if not pos:
            continue
        checked = True
        mask = np.zeros(np.shape(b), bool)
        for p in pos:
            mask[_index(mask.ndim, p, select)] = True
        d = compare(o, b, mask=~mask)
        if d is not None:
            return checked, (path, pos, d)
    return checked, None


def _leaks(
    r: Runner, ex: Example, kind: str, selections: Callable[[int], list[np.ndarray]], none: str
) -> Iterator[tuple[str, np.ndarray, tuple[str, list[int], tuple[float, tuple[int, ...]]]]]:
    """(axis, perturbed indices, first change) for each axis of `kind` of size 2 or
    more and each of its `selections(size)` that changes an output; Skip with
    `none` if no output carries such an axis."""
    axes = r.kind_axes(kind)
    base = r.base(ex)
    checked_any = False
    for axis in axes:
        n = ex.sizes.single.get(axis, 0)
        if n < 2:
            continue
        for select in selections(n):
            checked, found = _leak(r, ex, base, axis, select)
            checked_any |= checked
            if found is not None:
                yield axis, select, found
    if not checked_any:
        raise Skip(none)


def _first_and_last(n: int) -> list[np.ndarray]:
    return [np.array([j]) for j in sorted({0, n - 1})]


def _after_middle(n: int) -> list[np.ndarray]:
    return [np.arange((n - 1) // 2 + 1, n)]


def batch(r: Runner, ex: Example) -> None:
    none = "no output carries a batch-kind axis (or it has size 1 here)"
    for axis, select, (path, _, d) in _leaks(r, ex, "batch", _first_and_last, none):
        raise Fail(
            f"{path} at index {d[1]} changed when only example {int(select[0])} along "
            f"{axis!r} was perturbed: max |diff| {fmt_diff(d[0])}. Examples "
            f"along {axis!r} leak into each other (a reduction, normalisation "
            "or reshape across the batch?)"
        )


def causal(r: Runner, ex: Example) -> None:
    none = "no output carries a causal-kind axis"
    for axis, select, (path, pos, d) in _leaks(r, ex, "causal", _after_middle, none):
        step = d[1][pos[0]] if d[1] else "?"
        raise Fail(
            f"{path} at {axis} step {step} (index {d[1]}) changed when only steps "
            f"> {int(select[0]) - 1} were perturbed: max |diff| {fmt_diff(d[0])}. The output "
            "looks ahead (a missing or off-by-one causal mask?)"
        )


def _permuter(axis: str, perm: np.ndarray) -> Change:
    def permute(a: np.ndarray, pos: list[int], info: LeafInfo, i: int) -> np.ndarray | None:
        changed = bool(pos)
        for p in pos:
            a = np.take(a, perm, axis=p)
        for c in info.spec.constraints:
            # values that point at positions along the axis follow them
            moved = c.permuted(a, axis, perm)
            if moved is not None:
                a, changed = moved, True
        return a if changed else None

    return permute


def set_(r: Runner, ex: Example) -> None:
    axes = r.kind_axes("set")
    base = r.base(ex)
    rng = np.random.default_rng([r.seed, ex.index, 31])
    ran = False
    for axis in axes:
        n = ex.sizes.single.get(axis, 0)
        if n < 2:
            continue
        perm = rng.permutation(n)
        if np.array_equal(perm, np.arange(n)):
            perm = perm[::-1].copy()
        out = _along(r, ex, axis, _permuter(axis, perm))
        ran = True
        for (path, spec, b), (_, _, o) in zip(r.out_leaves(base), r.out_leaves(out)):
            e = as_numpy(b)
            pos = _positions(spec, e.ndim, axis)
            for p in pos:
                e = np.take(e, perm, axis=p)
            d = compare(o, e)
            if d is not None:
                what = (
                    "is not permuted the same way as the inputs"
                    if pos
                    else "changed although it has no such axis (it should be invariant)"
                )
                raise Fail(
                    f"{path} {what} when {axis!r} was permuted by {perm.tolist()}: max "
                    f"|diff| {fmt_diff(d[0])} at index {d[1]}. Something depends on the "
                    f"order along {axis!r} (an index used as a feature, a positional "
                    "encoding, a cumulative op?)"
                )
    if not ran:
        raise Skip("every set-kind axis has size 1 here")
