"""Existing annotations the recorded run contradicts. `shapely-nn annotate`
keeps existing shape annotations (unless `--overwrite`), but an annotation that
jaxtyping never enforced may be wrong: `logits: "n_out batch"` on a function
that was always called with (batch, n_out). The recorded calls are held to the
function's existing annotations (rank, fixed sizes, and one size per axis name
within a call) and the first contradiction per function is reported."""

from __future__ import annotations

import ast
from collections import defaultdict
from typing import Any

from . import _infer, _infer_names

__all__ = ["contradictions"]


def _existing(node: ast.AST) -> dict[str, list[str]]:
    """{argument or 'return': dims} of a function's shape annotations that can
    be held to a recorded shape (no variadic or symbolic dims)."""
    out: dict[str, list[str]] = {}
    args = node.args  # type: ignore[attr-defined]
    named = [(a.arg, a.annotation) for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
    for name, expr in [*named, ("return", node.returns)]:  # type: ignore[attr-defined]
        dims = _infer_names.dims_of(expr, {})
        if dims and all(d.isdigit() or d.lstrip("#").isidentifier() for d in dims):
            out[name] = dims
    return out


def _first(existing: dict[str, list[str]], obs: dict[Any, Any], key: str) -> str | None:
    shapes: dict[str, dict[int, int]] = defaultdict(dict)
    for pos, v in obs.items():
        owner, path, i = pos
        if owner == key and len(path) == 1 and isinstance(i, int) and isinstance(v, int):
            shapes[path[0]][i] = v
    bound: dict[str, tuple[int, str]] = {}
    for slot, dims in existing.items():
        seen = shapes.get(slot)
        if not seen or any(i < 0 for i in seen):
            continue
        rank = max(seen) + 1
        shape = tuple(seen.get(i, -1) for i in range(rank))
        if rank != len(dims):
            return f"{slot} had shape {shape}, but its annotation {' '.join(dims)!r} has rank {len(dims)}"
        for i, (d, v) in enumerate(zip(dims, shape)):
            if d.isdigit():
                if int(d) != v:
                    return f"{slot}.shape[{i}] was {v}, but its annotation fixes it at {d}"
            elif not d.startswith(("_", "#")):  # anonymous or broadcastable: any size
                if d in bound and bound[d][0] != v:
                    size, where = bound[d]
                    return (
                        f"{slot}.shape[{i}] was {v} and {where} was {size}, but both are "
                        f"annotated {d!r}"
                    )
                bound.setdefault(d, (v, f"{slot}.shape[{i}]"))
    return None


def contradictions(
    model: _infer.Model, sources: dict[str, _infer_names.SourceInfo]
) -> dict[str, str]:
    """{function key: the first contradiction of its existing annotations}."""
    out: dict[str, str] = {}
    for path, src in sources.items():
        for qual, node in src.functions.items():
            key = f"{path}::{qual}"
            existing = _existing(node)
            if not existing:
                continue
            for owner, obs, _ in model.observations:
                if owner != key:
                    continue
                found = _first(existing, obs, key)
                if found is not None:
                    out[key] = found
                    break
    return out
