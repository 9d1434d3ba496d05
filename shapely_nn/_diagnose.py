"""The slow path, run only after the fast path said no: find which argument is
wrong, with which axis, and why. Produces a `Finding` for `_message.py`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from ._errors import AnnotationError
from ._match import bind_variadic, eval_symbolic, match
from ._spec import ANON, FIXED, NAMED, SYMBOLIC, ArraySpec, Spec, StructSpec, TupleSpec
from ._wrappers import unwrap_field

__all__ = ["Bound", "Finding", "Leaf", "collect_leaves", "find_problem"]


@dataclass
class Leaf:
    """One checkable value: an array (with a path like 'p.w_in') or an opaque part."""

    path: str
    spec: Spec
    value: Any


@dataclass
class Bound:
    """Sizes bound so far, with who bound each one."""

    sizes: dict[str, int] = field(default_factory=dict)
    who: dict[str, str] = field(default_factory=dict)
    variadic: dict[str, tuple[bool, tuple[int, ...]]] = field(default_factory=dict)
    vwho: dict[str, str] = field(default_factory=dict)

    def copy(self) -> Bound:
        return Bound(dict(self.sizes), dict(self.who), dict(self.variadic), dict(self.vwho))


@dataclass
class Finding:
    """What is wrong with one leaf."""

    leaf: Leaf
    kind: str  # type | dtype | rank | conflict | fixed | symbolic | variadic | opaque
    bound: Bound  # sizes bound by the other leaves, before this one
    detail: str = ""  # the one-line conflict sentence
    axis: str | None = None
    dim: int | None = None
    diagnosis: list[str] = field(default_factory=list)
    suspects: list[str] = field(default_factory=list)


def collect_leaves(spec: Spec, value: Any, path: str) -> list[Leaf]:
    if (isinstance(spec, StructSpec) and isinstance(value, spec.cls)) or (
        isinstance(spec, StructSpec) and not spec.check_isinstance
    ):
        assert isinstance(spec, StructSpec)
        out: list[Leaf] = []
        for name, fspec in spec.fields:
            if not hasattr(value, name):
                return [Leaf(path, spec, value)]
            v = getattr(value, name)
            if not isinstance(fspec, StructSpec):
                v = unwrap_field(v)
            out.extend(collect_leaves(fspec, v, f"{path}.{name}"))
        return out
    if isinstance(spec, TupleSpec) and isinstance(value, tuple):
        if spec.homogeneous:
            out = []
            for i, v in enumerate(value):
                out.extend(collect_leaves(spec.items[0], v, f"{path}[{i}]"))
            return out
        if len(value) == len(spec.items):
            out = []
            for i, (s, v) in enumerate(zip(spec.items, value)):
                out.extend(collect_leaves(s, v, f"{path}[{i}]"))
            return out
    return [Leaf(path, spec, value)]


def _shape_of(x: Any) -> tuple[int, ...]:
    return tuple(int(s) for s in x.shape)


def check_leaf(leaf: Leaf, bound: Bound, argvals: Any) -> Finding | None:
    """Check one leaf against `bound`, adding its bindings (with provenance) on success."""
    spec = leaf.spec
    if not isinstance(spec, ArraySpec):
        single, variadic = dict(bound.sizes), dict(bound.variadic)
        if match(spec, leaf.value, single, variadic, argvals):
            for k, v in single.items():
                if k not in bound.sizes:
                    bound.sizes[k] = v
                    bound.who[k] = leaf.path
            for k, v in variadic.items():
                if k not in bound.variadic:
                    bound.variadic[k] = v
                    bound.vwho[k] = leaf.path
            return None
        return Finding(leaf, "opaque", bound.copy())
    before = bound.copy()
    x = leaf.value
    if not spec.check_type(x) or not (hasattr(x, "shape") and hasattr(x, "dtype")):
        return Finding(leaf, "type", before)
    if spec.dtypes is not None and not spec.check_dtype(x.dtype):
        return Finding(leaf, "dtype", before)
    shape = _shape_of(x)
    n = len(shape)
    npre, nsuf = len(spec.prefix), len(spec.suffix)
    if spec.variadic is None and n != npre:
        return Finding(leaf, "rank", before)
    if spec.variadic is not None and n < npre + nsuf:
        return Finding(leaf, "rank", before)
    positions = list(range(npre)) + list(range(n - nsuf, n))
    for d, pos in zip(spec.dims, positions):
        s = shape[pos]
        if d.code == ANON or (d.broadcast and s == 1):
            continue
        where = f"{leaf.path}.shape[{pos}]"
        if d.code == NAMED:
            assert d.name is not None
            b = bound.sizes.get(d.name)
            if b is None:
                bound.sizes[d.name] = s
                bound.who[d.name] = where
            elif b != s:
                f = Finding(leaf, "conflict", before, axis=d.name, dim=pos)
                f.detail = (
                    f"{d.name}={b} was bound by {bound.who.get(d.name, '?')}, but {where} is {s}"
                )
                return f
        elif d.code == FIXED:
            if d.size != s:
                f = Finding(leaf, "fixed", before, dim=pos)
                f.detail = f"{where} is {s}, but the annotation fixes it to {d.size}"
                return f
        elif d.code == SYMBOLIC:
            assert d.expr is not None
            try:
                want = eval_symbolic(spec, d.expr, bound.sizes, argvals)
            except AnnotationError as e:
                # only reachable while weighing which argument to blame, with one
                # argument left out: that leaves this expression unevaluable
                f = Finding(leaf, "symbolic", before, dim=pos)
                f.detail = str(e)
                return f
            if want is not None and want != s:
                f = Finding(leaf, "symbolic", before, dim=pos)
                f.detail = (
                    f"{where} is {s}, but {d.expr} = {want}{_sym_sources(spec, d.expr, bound)}"
                )
                return f
    var = spec.variadic
    if var is not None and var.name is not None:
        seg = tuple(shape[npre : n - nsuf])
        reason = bind_variadic(var.name, var.broadcast, seg, bound.variadic)
        if reason is not None:
            f = Finding(leaf, "variadic", before, axis="*" + var.name)
            f.detail = (
                f"*{var.name} is {seg} in {leaf.path}.shape[{npre}:{n - nsuf}], which "
                f"{reason} (bound by {bound.vwho.get(var.name, '?')})"
            )
            return f
        bound.vwho.setdefault(var.name, f"{leaf.path}.shape[{npre}:{n - nsuf}]")
    return None


def _sym_sources(spec: ArraySpec, expr: str, bound: Bound) -> str:
    code = spec.compiled.get(expr)
    if code is None:
        return ""
    parts = [
        f"{n}={bound.sizes[n]} from {bound.who.get(n, '?')}"
        for n in code.co_names
        if n in bound.sizes
    ]
    return f" ({', '.join(parts)})" if parts else ""


def run(
    leaves: list[Leaf], seed: Bound, argvals: Any, skip: int | None = None
) -> tuple[Bound, Finding | None, int]:
    bound = seed.copy()
    for i, leaf in enumerate(leaves):
        if i == skip:
            continue
        f = check_leaf(leaf, bound, argvals)
        if f is not None:
            return bound, f, i
    return bound, None, -1


RELATIONAL = ("conflict", "symbolic", "variadic", "opaque")


def find_problem(
    arg_leaves: list[Leaf], ret_leaves: list[Leaf] | None, seed: Bound, argvals: Any
) -> Finding | None:
    """Which leaf to blame, and the bindings of the others."""
    bound, f, _ = run(arg_leaves, seed, argvals)
    if ret_leaves is not None:
        if f is not None:  # arguments inconsistent after all: report that instead
            return _finish(f)
        _, f, _ = run(ret_leaves, bound, argvals)
        return _finish(f) if f is not None else None
    if f is None:
        return None
    if f.kind in RELATIONAL and len(arg_leaves) > 1:
        candidates = [
            k for k in range(len(arg_leaves)) if run(arg_leaves, seed, argvals, skip=k)[1] is None
        ]
        if len(candidates) == 1:
            k = candidates[0]
            others, _, _ = run(arg_leaves, seed, argvals, skip=k)
            g = check_leaf(arg_leaves[k], others.copy(), argvals)
            if g is not None:
                g.bound = others
                g.suspects = [arg_leaves[k].path]
                return _finish(g)
        if 1 < len(candidates) <= 3:
            f.suspects = [arg_leaves[k].path for k in candidates]
    return _finish(f)


def _finish(f: Finding) -> Finding:
    if isinstance(f.leaf.spec, ArraySpec) and f.kind in (
        "rank",
        "conflict",
        "fixed",
        "symbolic",
    ):
        f.diagnosis = diagnose_shape(f.leaf.spec, _shape_of(f.leaf.value), f.bound, f.leaf.path)
    return f


# ---------------------------------------------------------------- diagnosis


def _expected(spec: ArraySpec, bound: Bound) -> list[tuple[str, int | None, bool]]:
    """(label, known size or None, broadcastable) per non-variadic dim."""
    out = []
    for d in spec.dims:
        size: int | None = None
        if d.code == NAMED:
            size = bound.sizes.get(d.name or "")
        elif d.code == FIXED:
            size = d.size
        elif d.code == SYMBOLIC and d.expr is not None:
            try:
                size = int(eval_symbolic(spec, d.expr, bound.sizes, None))
            except Exception:
                size = None
        out.append((d.label().lstrip("#") if d.code != ANON else "_", size, d.broadcast))
    return out


def _fits(exp: list[tuple[str, int | None, bool]], dims: tuple, shape: tuple[int, ...]) -> int:
    """-1 if `shape` cannot match; else how many known sizes it matches (the score
    that ranks competing explanations)."""
    free: dict[str, int] = {}
    score = 0
    for (label, size, bc), d, s in zip(exp, dims, shape):
        if bc and s == 1:
            continue
        if size is not None:
            if s != size:
                return -1
            score += 1
        elif d.code == NAMED and free.setdefault(label, s) != s:
            return -1
    return score


def _best(scored: list[tuple[int, Any]]) -> list[Any]:
    """The candidates with the highest score (ignoring misfits)."""
    ok = [(sc, c) for sc, c in scored if sc >= 0]
    if not ok:
        return []
    top = max(sc for sc, _ in ok)
    return [c for sc, c in ok if sc == top]


def _fmt(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _names(labels: list[str]) -> str:
    return "(" + ", ".join(labels) + ")"


def diagnose_shape(spec: ArraySpec, shape: tuple[int, ...], bound: Bound, path: str) -> list[str]:
    if spec.variadic is not None:
        return []
    exp = _expected(spec, bound)
    dims = spec.dims
    labels = [e[0] for e in exp]
    n, m = len(shape), len(exp)
    out: list[str] = []
    if n == m:
        if n <= 6 and any(e[1] is not None for e in exp):
            best = None
            for perm in itertools.permutations(range(n)):
                if perm == tuple(range(n)):
                    continue
                score = _fits(exp, dims, tuple(shape[p] for p in perm))
                if score > 0:
                    moved = sum(1 for j, p in enumerate(perm) if j != p)
                    key = (-score, moved)
                    if best is None or key < best[0]:
                        best = (key, perm)
            if best is not None:
                perm = best[1]
                reading = [""] * n
                for j, p in enumerate(perm):
                    reading[p] = labels[j]
                moved_idx = [j for j, p in enumerate(perm) if j != p]
                if len(moved_idx) == 2:
                    a, b = sorted(labels[j] for j in moved_idx)
                    out.append(
                        f"{_fmt(shape)} is {_names(reading)}: did you swap {a!r} and "
                        f"{b!r}? ({path}.swapaxes({moved_idx[0]}, {moved_idx[1]}) "
                        "restores the annotated order)"
                    )
                else:
                    out.append(
                        f"{_fmt(shape)} reads as {_names(reading)}: the axes look "
                        f"permuted; expected {_names(labels)}. "
                        f"{path}.transpose{_fmt(perm)} restores the annotated order"
                    )
                return out
        wrong = [
            j
            for j, ((_, size, bc), s) in enumerate(zip(exp, shape))
            if size is not None and s != size and not (bc and s == 1)
        ]
        if len(wrong) == 1:
            j = wrong[0]
            label, size, _ = exp[j]
            assert size is not None
            s = shape[j]
            others = sorted({n for n, v in bound.sizes.items() if v == s and n != label and v != 1})
            if others:
                names = " or ".join(repr(o) for o in others)
                who = bound.who.get(others[0])
                src = f" (bound by {who})" if who and len(others) == 1 else ""
                out.append(
                    f"{path}.shape[{j}] is {s}, the size of {names}{src}, where {label!r} "
                    f"({size}) belongs: a reduction, index or pooling over the wrong axis "
                    f"(one that removed {label!r} and kept {others[0]!r}), or a transposed "
                    "operand?"
                )
            if abs(s - size) == 1:
                out.append(
                    ("or " if out else "")
                    + f"{label!r} is {s} here but {size} elsewhere: a size off by one "
                    "(a slice like x[1:] or x[:-1], a missing pad, or an off-by-one "
                    "in a length?)"
                )
            elif s == 1:
                out.append(
                    f"{path}.shape[{j}] is 1 where {label!r} is {size}: a size-1 axis "
                    "meant to broadcast? Annotate it "
                    f"'#{label}' if broadcasting is intended, or broadcast the array first"
                )
        return out
    if n == m - 1:
        missing = _best(
            [(_fits(exp[:j] + exp[j + 1 :], dims[:j] + dims[j + 1 :], shape), j) for j in range(m)]
        )
        if missing:
            names = " or ".join(repr(labels[j]) for j in missing)
            rest = [lbl for k, lbl in enumerate(labels) if k != missing[0]]
            msg = (
                f"an axis is missing: {_fmt(shape)} fits {_names(rest)}, so {names} "
                f"(of {_names(labels)}) is absent"
            )
            if 0 in missing:
                msg += (
                    "; a single example passed where a batch was expected, or an axis "
                    "reduced away without keepdims=True?"
                )
            else:
                msg += "; an axis reduced away without keepdims=True, or an index like x[:, 0]?"
            out.append(msg)
        else:
            out.append(f"one axis too few: rank {n}, expected {m} {_names(labels)}")
        return out
    if n == m + 1:
        extra = _best([(_fits(exp, dims, shape[:k] + shape[k + 1 :]), k) for k in range(n)])
        if extra:
            k = extra[0]
            s = shape[k]
            msg = f"an extra axis of size {s} at position {k}: {_fmt(shape)} is {_names(labels)} with one axis more"
            same = sorted({lbl for lbl, size, _ in exp if size == s})
            if s == 1:
                msg += "; a stray size-1 axis (x[None], keepdims=True, or a missing squeeze)?"
            elif same:
                msg += (
                    f"; its size is that of {same[0]!r}: a broadcast gone wrong? "
                    "(e.g. shapes (n, 1) and (n,) broadcast to (n, n))"
                )
            out.append(msg)
        else:
            out.append(f"one axis too many: rank {n}, expected {m} {_names(labels)}")
        return out
    out.append(f"rank {n}, but the annotation has {m} axes {_names(labels)}")
    return out
