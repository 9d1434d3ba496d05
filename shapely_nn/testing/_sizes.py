"""Axis sizes for drawn examples: which axes a function's annotations use, one
size per axis (distinct, so a transposition or a wrong-axis reduction changes a
shape), and the shape of each annotated array under those sizes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._axes import registry
from .._errors import AnnotationError
from .._match import eval_symbolic
from .._relations import relation_names
from .._spec import ANON, FIXED, NAMED, SYMBOLIC, ArraySpec, Spec
from ._subject import Skip, Subject, drawn_arrays

__all__ = ["AxisSet", "Sizes", "all_positive", "assign_positive", "shape_of"]


@dataclass
class Sizes:
    single: dict[str, int]
    variadic: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in sorted(self.single.items())]
        parts += [f"{'' if k == '...' else '*'}{k}={v}" for k, v in sorted(self.variadic.items())]
        return " ".join(parts) or "(no named axes)"

    def copy(self) -> Sizes:
        return Sizes(dict(self.single), dict(self.variadic))

    def flat(self) -> dict[str, Any]:
        return {**self.single, **self.variadic}


@dataclass(frozen=True)
class AxisSet:
    """The axes drawn for a set of annotations: named axes (including the axes
    constraints refer to, and names used only inside symbolic axes, which are
    drawn like sizes: '(max_degree+1)**2'), variadic names, and the fixed sizes
    the drawn ones should avoid."""

    names: tuple[str, ...]
    variadics: tuple[str, ...]
    avoid: frozenset[int]
    # symbolic dimensions ('t-width+1'): the drawn sizes must make them >= 1
    exprs: tuple[str, ...] = ()

    @classmethod
    def for_subject(cls, subject: Subject) -> AxisSet:
        """The axes of a function's annotations, and its static int arguments."""
        axes = cls.of(subject.specs())
        extra = tuple(n for n in subject.static_ints() if n not in axes.names)
        return cls(axes.names + extra, axes.variadics, axes.avoid, axes.exprs)

    @classmethod
    def of(cls, specs: list[Spec]) -> AxisSet:
        names: list[str] = []
        variadics: list[str] = []
        avoid: set[int] = set()
        exprs: list[str] = []
        for spec in specs:
            arrays = [a for _, a in spec.array_leaves("x")]
            for a in arrays:
                exprs += [
                    d.expr for d in a.dims if d.code == SYMBOLIC and d.expr and d.expr not in exprs
                ]
            for a in arrays:
                avoid.update(d.size for d in a.dims if d.code == FIXED and d.size is not None)
            for a in arrays + drawn_arrays(spec):
                for d in a.dims:
                    if d.code == NAMED and d.name and d.name not in names:
                        names.append(d.name)
                if a.variadic is not None and a.variadic.name and a.variadic.name not in variadics:
                    variadics.append(a.variadic.name)
                for c in a.constraints:
                    if c.axis and c.axis not in names:
                        names.append(c.axis)
                for n in a.symbol_names():
                    if n not in names:
                        names.append(n)
        return cls(tuple(names), tuple(variadics), frozenset(avoid), tuple(exprs))

    def draw(
        self,
        rng: np.random.Generator,
        *,
        example: int = 0,
        user: Mapping[str, Any] | None = None,
        size_one: str | None = None,
    ) -> Sizes:
        """A distinct size per axis, honouring `user` sizes (an int, or a list
        cycled through by example), declared sizes and test_sizes; `size_one`
        gets size 1 unless pinned."""
        reg = registry()
        single: dict[str, int] = {}
        taken = set(self.avoid) | {1}
        pinned: dict[str, int] = {}
        relations: dict[str, str] = {}
        for n in self.names:
            ax = reg.get(n)
            if user and n in user:
                v = user[n]
                if isinstance(v, str):
                    relations[n] = v
                    continue
                pinned[n] = int(v[example % len(v)]) if isinstance(v, (list, tuple)) else int(v)
            elif ax is not None and ax.size is not None:
                pinned[n] = ax.size
            elif ax is not None and ax.test_sizes:
                pinned[n] = ax.test_sizes[example % len(ax.test_sizes)]
        taken |= set(pinned.values())
        offset = int(rng.integers(0, 3))
        free = [n for n in self.names if n not in pinned and n not in relations]
        pool = spaced(len(free), taken - {1}, start=2 + offset)
        # distinct sizes in a random order; another order while a symbolic
        # dimension comes out below 1 ('t-width+1' with width > t: the function
        # would be called where its own annotation says it cannot be)
        order = list(rng.permutation(len(free))) if free else []
        names = [free[k] for k in order]
        values = [pool[i % len(pool)] for i in range(len(names))]
        assign_positive(single, names, values, self.exprs, rng, fixed=pinned)
        single.update(pinned)
        if size_one is not None and size_one in single and size_one not in pinned:
            kept = single[size_one]
            single[size_one] = 1
            if not all_positive(self.exprs, single):
                single[size_one] = kept  # 't-width+1' with t=1: not a size it can take
        _relate(single, relations)
        used = set(single.values())
        vpool = [s for s in range(2, 40) if s not in used and s not in self.avoid]
        variadic: dict[str, tuple[int, ...]] = {}
        j = 0
        for v in self.variadics:
            if user and v in user:
                variadic[v] = tuple(user[v])
                continue
            rank = example % 3
            variadic[v] = tuple(vpool[(j + r) % len(vpool)] for r in range(rank))
            j += rank
        return Sizes(single, variadic)


SMALL = 10  # sizes below this avoid sums and products too


def spaced(count: int, taken: set[int], start: int = 2, stop: int = 48) -> list[int]:
    """`count` sizes from `start` up, none equal to or within 1 of another (or of
    `taken`), and none the sum or product of two others, so that a reduction
    over the wrong axis, an off-by-one and a concatenation all read apart. Where
    small sizes run out, the sums and products are allowed, then adjacency."""
    for rule in (3, 2, 1):
        chosen: list[int] = []
        # sums and products are avoided only while sizes stay small (code can be
        # exponential in a size: order**dim quadrature points)
        for c in range(start, SMALL if rule == 3 else stop):
            if len(chosen) == count:
                break
            near = [t for t in (*chosen, *taken) if abs(c - t) < (2 if rule >= 2 else 1)]
            if near:
                continue
            if rule == 3:
                pool = [*chosen, *taken]
                made = {a + b for i, a in enumerate(pool) for b in pool[i + 1 :]}
                made |= {a * b for i, a in enumerate(pool) for b in pool[i + 1 :]}
                if c in made:
                    continue
            chosen.append(c)
        if len(chosen) == count:
            return chosen
    # more axes than sizes below `stop`: cycle (sizes repeat, as before)
    base = [c for c in range(2, stop) if c not in taken] or [2]
    return [base[i % len(base)] for i in range(count)]


def assign_positive(
    sizes: dict[str, int],
    names: list[str],
    values: list[int],
    exprs: Any,
    rng: Any,
    fixed: Mapping[str, int] | None = None,
) -> None:
    """`values` for `names` in `sizes`, in order, or in another order while a
    symbolic dimension ('t-width+1') comes out below 1 (with the `fixed` sizes
    too, which are not written into `sizes`)."""
    sizes.update(zip(names, values))
    for _ in range(50 if exprs else 0):
        if all_positive(exprs, {**sizes, **(fixed or {})}):
            return
        sizes.update(zip(names, rng.permutation(values).tolist()))


def all_positive(exprs: tuple[str, ...], sizes: Mapping[str, int]) -> bool:
    """Whether every symbolic dimension comes out >= 1 (one that cannot be
    evaluated here, naming something other than drawn sizes, counts as fine)."""
    for expr in exprs:
        try:
            value = eval(expr, {"__builtins__": {}}, dict(sizes))
        except Exception:
            continue
        if isinstance(value, int) and value < 1:
            return False
    return True


def _relate(single: dict[str, int], relations: dict[str, str]) -> None:
    """Sizes given as relations to other axes ("2*kv_heads"), in dependency order."""
    pending = dict(relations)
    while pending:
        ready = {
            n: expr
            for n, expr in pending.items()
            if all(m in single for m in relation_names(expr, f"sizes[{n!r}]"))
        }
        if not ready:
            n, expr = next(iter(pending.items()))
            unknown = [m for m in relation_names(expr, n) if m not in single and m not in pending]
            why = (
                f"uses {', '.join(map(repr, unknown))}, which is no axis of this function"
                if unknown
                else "is circular"
            )
            raise Skip(f"the size relation {n} = {expr} {why}")
        for n, expr in ready.items():
            value = eval(expr, {"__builtins__": {}}, dict(single))
            if not isinstance(value, int) or value < 1:
                raise Skip(
                    f"the size relation {n} = {expr} gives {value!r} for "
                    f"{', '.join(f'{k}={v}' for k, v in sorted(single.items()))}"
                )
            single[n] = value
            del pending[n]


def shape_of(
    spec: ArraySpec,
    sizes: Sizes,
    rng: np.random.Generator,
    broadcast_one: bool,
    argvals: dict[str, Any],
) -> tuple[int, ...]:
    """The shape of an array annotated `spec` under `sizes` (an axis not drawn
    yet gets a size of its own, recorded in `sizes`); `broadcast_one` gives
    broadcastable ('#n') axes size 1 half the time."""

    def dim(d: Any) -> int:
        if d.code == NAMED:
            assert d.name is not None
            if d.name not in sizes.single:
                sizes.single[d.name] = int(rng.integers(2, 6))
            s = sizes.single[d.name]
            if d.broadcast and broadcast_one and rng.random() < 0.5:
                return 1
            return s
        if d.code == FIXED:
            return int(d.size)
        if d.code == ANON:
            return int(rng.integers(2, 5))
        assert d.code == SYMBOLIC
        try:
            v = int(eval_symbolic(spec, d.expr, sizes.single, argvals))
        except AnnotationError as e:
            raise Skip(str(e)) from None
        except Exception as e:
            raise Skip(
                f"cannot evaluate the symbolic axis {d.expr!r} from the drawn sizes: {e}"
            ) from None
        if v < 0:
            raise Skip(
                f"the symbolic axis {d.expr!r} is negative ({v}) for sizes {sizes.describe()}"
            )
        return v

    shape = [dim(d) for d in spec.prefix]
    if spec.variadic is not None:
        name = spec.variadic.name
        if name is None:
            # one or two axes (code annotated "..." rarely means a 0-d array too),
            # the same for every "..." of the example: arrays annotated "..."
            # side by side are usually meant to broadcast together
            if "..." not in sizes.variadic:
                n = int(rng.integers(1, 3))
                sizes.variadic["..."] = tuple(int(rng.integers(2, 4)) for _ in range(n))
            shape += list(sizes.variadic["..."])
        else:
            shape += list(sizes.variadic.setdefault(name, ()))
    shape += [dim(d) for d in spec.suffix]
    return tuple(shape)
