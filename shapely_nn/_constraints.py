"""Value constraints that ride on `typing.Annotated`: `sn.NonNegative`, `sn.Simplex("class")`...

A constraint sees a concrete NumPy array and reports a `Violation` (how many
elements or slices break it, the worst one, where) or None. The checker calls
it on concrete arrays only; on tracers it is skipped unless traced checks are
switched on, in which case it runs on the host through `jax.debug.callback`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Constraint",
    "Finite",
    "IndexInto",
    "NonNegative",
    "Positive",
    "Probability",
    "Simplex",
    "Violation",
]


@dataclass(frozen=True)
class Violation:
    """What a constraint found wrong with an array."""

    count: int  # elements (or slices) that break the constraint
    total: int  # elements (or slices) looked at
    unit: str  # "elements" or "slices along 'class'"
    worst: str  # the worst offender and where it is, in words
    note: str = ""


def _index_str(idx: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(i) for i in idx) + ("," if len(idx) == 1 else "") + ")"


class Constraint:
    """A named predicate on an array's values.

    ```python
    Even = sn.Constraint("Even", lambda x: x % 2 == 0, doc="every value is even")
    def f(n: Annotated[Int[Array, "batch"], Even]) -> ...
    ```

    `predicate` receives a NumPy array and returns a boolean array of the same
    shape (True where a value is fine) or a single bool for the whole array.
    `badness`, optional, returns how far each value is from valid (the worst is
    reported); without it the first offender is.
    """

    #: the named axis the constraint refers to (Simplex, IndexInto), else None
    axis: str | None = None

    def __init__(
        self,
        name: str,
        predicate: Callable[[np.ndarray], Any],
        *,
        doc: str = "",
        badness: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"sn.Constraint: name must be a non-empty string, got {name!r}")
        if not callable(predicate):
            raise TypeError(
                f"sn.Constraint({name!r}): predicate must be callable, got {predicate!r}"
            )
        self.name = name
        self.predicate = predicate
        self.doc = doc or f"satisfies {name}"
        self.badness = badness

    def __repr__(self) -> str:
        return self.name

    def check(
        self, x: np.ndarray, *, axis_index: int | None = None, axis_size: int | None = None
    ) -> Violation | None:
        """Check a concrete array; `axis_index`/`axis_size` locate `self.axis`."""
        ok = np.asarray(self.predicate(x))
        if ok.shape == ():
            if bool(ok):
                return None
            return Violation(1, 1, "arrays", "the array as a whole")
        if ok.shape != x.shape:
            ok = np.broadcast_to(ok, x.shape)
        bad = ~ok.astype(bool)
        count = int(bad.sum())
        if count == 0:
            return None
        if self.badness is not None:
            with np.errstate(invalid="ignore"):
                score = np.where(bad, np.asarray(self.badness(x), dtype=np.float64), -np.inf)
            score = np.where(np.isnan(score), np.inf, score)  # NaN is as bad as it gets
            flat = int(np.argmax(score))
        else:
            flat = int(np.argmax(bad))
        idx = tuple(int(i) for i in np.unravel_index(flat, x.shape))
        value = x[idx] if x.ndim else x[()]
        return Violation(
            count, int(x.size), "elements", f"{_fmt_value(value)} at index {_index_str(idx)}"
        )


def _fmt_value(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return repr(v)
    if np.issubdtype(np.asarray(v).dtype, np.integer):
        return str(int(v))
    return f"{f:.6g}"


NonNegative = Constraint(
    "NonNegative", lambda x: x >= 0, doc="every value >= 0", badness=lambda x: -x
)
Positive = Constraint("Positive", lambda x: x > 0, doc="every value > 0", badness=lambda x: -x)
Finite = Constraint(
    "Finite",
    lambda x: np.isfinite(x),
    doc="no NaN or infinity",
    badness=lambda x: np.where(np.isnan(x), 2.0, np.where(np.isinf(x), 1.0, 0.0)),
)
Probability = Constraint(
    "Probability",
    lambda x: (x >= 0) & (x <= 1),
    doc="every value in [0, 1]",
    badness=lambda x: np.maximum(-x, x - 1),
)


def sum_tolerance(dtype: Any) -> float:
    """How far from 1 a sum may stray: sqrt(eps) of the dtype, at least 1e-6
    (float64 values computed in float32 must not raise a false alarm)."""
    try:
        eps = float(np.finfo(np.dtype(dtype)).eps)
    except (TypeError, ValueError):
        eps = float(np.finfo(np.float32).eps)
    return max(1e-6, eps**0.5)


class Simplex(Constraint):
    """Non-negative and summing to 1 along a named axis: `sn.Simplex("class")`."""

    def __init__(self, axis: str) -> None:
        if not isinstance(axis, str) or not axis.isidentifier():
            raise TypeError(f"sn.Simplex: axis must be an axis name, got {axis!r}")
        super().__init__(
            f"Simplex({axis!r})", lambda x: x >= 0, doc=f"non-negative, sums to 1 along {axis!r}"
        )
        self.axis = axis

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Simplex) and other.axis == self.axis

    def __hash__(self) -> int:
        return hash(("Simplex", self.axis))

    def check(
        self, x: np.ndarray, *, axis_index: int | None = None, axis_size: int | None = None
    ) -> Violation | None:
        assert axis_index is not None
        neg = NonNegative.check(x)
        if neg is not None:
            return Violation(neg.count, neg.total, "elements", neg.worst, note="negative values")
        with np.errstate(all="ignore"):
            sums = np.sum(x.astype(np.float64), axis=axis_index)
        tol = sum_tolerance(x.dtype)
        err = np.abs(sums - 1.0)
        bad = ~(err <= tol)
        count = int(bad.sum()) if bad.shape else int(bool(bad))
        if count == 0:
            return None
        if err.shape == ():
            return Violation(
                1,
                1,
                f"slices along {self.axis!r}",
                f"sum {_fmt_value(sums)}",
                note=f"tolerance {tol:.1e} for {x.dtype}",
            )
        flat = int(np.argmax(np.where(np.isnan(err), np.inf, err)))
        idx = list(np.unravel_index(flat, err.shape))
        pos = axis_index % x.ndim
        where = [str(int(i)) for i in idx]
        where.insert(pos, ":")
        return Violation(
            count,
            int(err.size),
            f"slices along {self.axis!r}",
            f"sum {_fmt_value(sums.flat[flat])} at index ({', '.join(where)})",
            note=f"tolerance {tol:.1e} for {x.dtype}",
        )


class IndexInto(Constraint):
    """Integer values in [0, size of a named axis): `sn.IndexInto("vocab")`."""

    def __init__(self, axis: str) -> None:
        if not isinstance(axis, str) or not axis.isidentifier():
            raise TypeError(f"sn.IndexInto: axis must be an axis name, got {axis!r}")
        super().__init__(
            f"IndexInto({axis!r})",
            lambda x: x >= 0,
            doc=f"integer indices into {axis!r}: 0 <= i < {axis}",
        )
        self.axis = axis

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IndexInto) and other.axis == self.axis

    def __hash__(self) -> int:
        return hash(("IndexInto", self.axis))

    def check(
        self, x: np.ndarray, *, axis_index: int | None = None, axis_size: int | None = None
    ) -> Violation | None:
        if not (np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_):
            return Violation(
                int(x.size), int(x.size), "elements", f"dtype {x.dtype} holds no integer indices"
            )
        assert axis_size is not None
        size = int(axis_size)
        inner = Constraint(
            self.name,
            lambda v: (v >= 0) & (v < size),
            badness=lambda v: np.maximum(-v.astype(np.float64), v.astype(np.float64) - (size - 1)),
        )
        found = inner.check(x)
        if found is None:
            return None
        return Violation(
            found.count, found.total, found.unit, found.worst, note=f"{self.axis}={size}"
        )
