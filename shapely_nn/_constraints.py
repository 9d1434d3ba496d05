"""Value constraints that ride on `typing.Annotated`: `sn.NonNegative`, `sn.Simplex("class")`...

A constraint carries all of its behaviour, so a user's own `sn.Constraint`
takes part everywhere the built-in ones do:

- `check`: on a concrete NumPy array, a `Violation` (how many elements or slices
  break it, the worst one, where) or None. The checker calls it on concrete
  arrays only; on tracers it is skipped unless traced checks are switched on,
  in which case it runs on the host through `jax.debug.callback`;
- `validate`: at decoration, whether it can be evaluated on its annotation;
- `explain`: the sentence an error message shows for it;
- `sample`: valid values for the test generator to draw (None: draw as usual
  and keep what satisfies it);
- `permuted`: how its values follow a permutation of an axis (the generator's
  `set` property), where they refer to positions along it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._errors import AnnotationError

__all__ = [
    "Constraint",
    "DrawRequest",
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


@dataclass(frozen=True)
class DrawRequest:
    """What the test generator asks a constraint to draw: `shape` and `dtype`,
    where its named axis is (`axis_index`) and how long it is (`axis_size`), and
    `normal()`, the unconstrained float draw for this argument (scaled as the
    generator scales it), for constraints that reshape it."""

    rng: np.random.Generator
    shape: tuple[int, ...]
    dtype: np.dtype
    axis_index: int | None = None
    axis_size: int | None = None
    normal: Callable[[], np.ndarray] | None = None

    @property
    def integer(self) -> bool:
        return np.issubdtype(self.dtype, np.integer)


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
    reported); without it the first offender is. `draw`, optional, lets the test
    generator draw valid values: `draw(rng, shape, dtype)` returns an array of
    that shape (rng is a `numpy.random.Generator`); without it the generator
    draws as usual and skips the function if what it drew breaks the constraint.
    `boundary`, optional, the same for values at the constraint's edges (the
    generator's boundary example: exact zeros, say).
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
        draw: Callable[[np.random.Generator, tuple[int, ...], np.dtype], Any] | None = None,
        boundary: Callable[[np.random.Generator, tuple[int, ...], np.dtype], Any] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"sn.Constraint: name must be a non-empty string, got {name!r}")
        if not callable(predicate):
            raise TypeError(
                f"sn.Constraint({name!r}): predicate must be callable, got {predicate!r}"
            )
        if draw is not None and not callable(draw):
            raise TypeError(
                f"sn.Constraint({name!r}): draw must be callable as draw(rng, shape, dtype), "
                f"got {draw!r}"
            )
        self.name = name
        self.predicate = predicate
        self.doc = doc or f"satisfies {name}"
        self.badness = badness
        self.draw = draw
        self._boundary = boundary

    def __repr__(self) -> str:
        return self.name

    def validate(
        self, where: str, spec: Any, bound: set[str], declared: Mapping[str, int | None]
    ) -> None:
        """Raise `AnnotationError` (prefixed by `where`) if the constraint cannot be
        evaluated on arrays annotated `spec` in a function binding `bound` axes."""

    def explain(self, dtype: Any, axis_size: int | None, binder: str | None) -> str:
        """What the constraint asks, as an error message's 'constraint' line."""
        return self.doc

    def sample(self, request: DrawRequest) -> np.ndarray | None:
        """Values satisfying the constraint, or None to draw as usual."""
        if self.draw is None:
            return None
        return np.asarray(self.draw(request.rng, request.shape, request.dtype))

    def permuted(self, values: np.ndarray, axis: str, perm: np.ndarray) -> np.ndarray | None:
        """The values after the positions along `axis` were permuted by `perm`, if
        they refer to those positions (indices into it); None if a permutation
        leaves them as they are (any elementwise constraint)."""
        return None

    def boundary(self, request: DrawRequest) -> np.ndarray | None:
        """Valid values at the edges of the constraint (exact zeros, ones, one-hot
        rows), for the generator's boundary example; None where it has none."""
        if self._boundary is None:
            return None
        return np.asarray(self._boundary(request.rng, request.shape, request.dtype))

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


class _Magnitude(Constraint):
    """A sign constraint: drawn as the magnitude of the usual draw, shifted."""

    def __init__(self, name: str, predicate: Callable[[np.ndarray], Any], doc: str, low: int):
        super().__init__(name, predicate, doc=doc, badness=lambda x: -x)
        self.low = low

    def sample(self, request: DrawRequest) -> np.ndarray | None:
        if request.integer:
            return request.rng.integers(self.low, self.low + 5, size=request.shape)
        assert request.normal is not None
        return np.abs(request.normal()) + 0.1 * self.low

    def boundary(self, request: DrawRequest) -> np.ndarray | None:
        if self.low:
            return None  # > 0 has no edge to stand on
        z = np.abs(request.rng.standard_normal(request.shape))
        z[request.rng.random(request.shape) < 0.4] = 0.0  # exact zeros
        return z.astype(request.dtype)


NonNegative = _Magnitude("NonNegative", lambda x: x >= 0, "every value >= 0", 0)
Positive = _Magnitude("Positive", lambda x: x > 0, "every value > 0", 1)
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
    draw=lambda rng, shape, dtype: (
        rng.integers(0, 2, size=shape) if np.issubdtype(dtype, np.integer) else rng.random(shape)
    ),
    # exact zeros and ones among values in between
    boundary=lambda rng, shape, dtype: np.choose(
        rng.integers(0, 3, size=shape), [np.zeros(shape), np.ones(shape), rng.random(shape)]
    ),
)


def sum_tolerance(dtype: Any) -> float:
    """How far from 1 a sum may stray: sqrt(eps) of the dtype, at least 1e-6
    (float64 values computed in float32 must not raise a false alarm)."""
    try:
        eps = float(np.finfo(np.dtype(dtype)).eps)
    except (TypeError, ValueError):
        eps = float(np.finfo(np.float32).eps)
    return max(1e-6, eps**0.5)


class _AxisConstraint(Constraint):
    """A constraint about one named axis: `Kind("axis")`, equal when kind and
    axis are."""

    axis: str

    def __init__(self, axis: str, doc: str) -> None:
        kind = type(self).__name__
        if not isinstance(axis, str) or not axis.isidentifier():
            raise TypeError(f"sn.{kind}: axis must be an axis name, got {axis!r}")
        super().__init__(f"{kind}({axis!r})", lambda x: x >= 0, doc=doc)
        self.axis = axis

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.axis == self.axis  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.axis))


class Simplex(_AxisConstraint):
    """Non-negative and summing to 1 along a named axis: `sn.Simplex("class")`."""

    def __init__(self, axis: str) -> None:
        super().__init__(axis, f"non-negative, sums to 1 along {axis!r}")

    def validate(
        self, where: str, spec: Any, bound: set[str], declared: Mapping[str, int | None]
    ) -> None:
        if spec.axis_index(self.axis) is None:
            raise AnnotationError(
                f"{where}: its annotation {spec.annotation_str()} has no axis {self.axis!r} "
                "to sum along. Name the axis in the annotation, or constrain another axis."
            )

    def explain(self, dtype: Any, axis_size: int | None, binder: str | None) -> str:
        return f"{self.doc} (tolerance {sum_tolerance(dtype):.1e} for {dtype})"

    def sample(self, request: DrawRequest) -> np.ndarray | None:
        if request.integer or request.axis_index is None:
            return None
        z = request.rng.standard_normal(request.shape)
        e = np.exp(z - z.max(axis=request.axis_index, keepdims=True))
        return e / e.sum(axis=request.axis_index, keepdims=True)

    def boundary(self, request: DrawRequest) -> np.ndarray | None:
        if request.integer or request.axis_index is None or not request.shape:
            return None
        # one-hot rows: each slice along the axis puts all its mass on one entry
        ax = request.axis_index % len(request.shape)
        n = request.shape[ax]
        hot = request.rng.integers(0, n, size=request.shape[:ax] + request.shape[ax + 1 :])
        out = np.moveaxis(np.eye(n)[hot], -1, ax)
        return out.astype(request.dtype)

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


class IndexInto(_AxisConstraint):
    """Integer values in [0, size of a named axis): `sn.IndexInto("vocab")`."""

    def __init__(self, axis: str) -> None:
        super().__init__(axis, f"integer indices into {axis!r}: 0 <= i < {axis}")

    def validate(
        self, where: str, spec: Any, bound: set[str], declared: Mapping[str, int | None]
    ) -> None:
        axis = self.axis
        if axis not in bound and axis not in declared:
            raise AnnotationError(
                f"{where}: no annotation of this function has an axis {axis!r}, and it is "
                f"not declared with a size, so the index range is unknown. Annotate the "
                f"array being indexed with {axis!r}, or declare sn.axis({axis!r}, size=...)."
            )
        if spec.dtypes is not None and not any(
            isinstance(d, str) and d.startswith(("int", "uint", "bool")) for d in spec.dtypes
        ):
            raise AnnotationError(
                f"{where}: indices must be integers, but the annotation "
                f"{spec.annotation_str()} only allows {spec.dtype_name} dtypes"
            )

    def explain(self, dtype: Any, axis_size: int | None, binder: str | None) -> str:
        if axis_size is None:
            return self.doc
        src = f", bound by {binder}" if binder else ""
        return f"{self.doc} ({self.axis}={axis_size}{src})"

    def sample(self, request: DrawRequest) -> np.ndarray | None:
        if not request.integer:
            return None
        if not request.axis_size or request.axis_size <= 0:
            raise ValueError(f"{self!r}: axis {self.axis!r} has no size to index into")
        return request.rng.integers(0, request.axis_size, size=request.shape)

    def boundary(self, request: DrawRequest) -> np.ndarray | None:
        if not request.integer or not request.axis_size:
            return None
        # the first and the last index, where an off-by-one reads out of range
        ends = np.array([0, request.axis_size - 1])
        return ends[request.rng.integers(0, 2, size=request.shape)]

    def permuted(self, values: np.ndarray, axis: str, perm: np.ndarray) -> np.ndarray | None:
        if axis != self.axis:
            return None
        return np.argsort(perm)[values]  # indices follow the elements they point at

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
