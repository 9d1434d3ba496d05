"""The result of `sn.testing.parity`: how far each output (and gradient) of the
re-implementation is from the reference's, where the worst element is in axis
terms, and the first intermediate value that diverges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Difference",
    "Divergence",
    "ParityReport",
    "WeightSource",
    "difference",
    "output_axes",
    "spec_axes",
    "tolerance",
]

# (rtol, atol) by dtype: an element agrees when
# |impl - ref| <= atol * max(1, max |ref|) + rtol * |ref|
# (atol grows with the array's magnitude: a sum of large terms that cancels to a
# small element carries the rounding error of the large terms)
_TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1e-5, 1e-6),
    "float64": (1e-10, 1e-12),
}


def tolerance(dtype: Any, rtol: float | None, atol: float | None) -> tuple[float, float]:
    """The tolerance for a dtype, where the caller gave none."""
    r, a = _TOLERANCES.get(str(np.dtype(dtype)) if str(dtype) != "bfloat16" else "bfloat16", (0, 0))
    return (r if rtol is None else rtol), (a if atol is None else atol)


@dataclass
class Difference:
    """One array compared: the largest absolute and relative error, and the
    element where the absolute error is largest."""

    name: str  # `return`, `return[1]`, `d/d x`, `d/d gru.w_ir`
    shape: tuple[int, ...]
    axes: tuple[str, ...]  # an axis name per dimension ('' where none is known)
    max_abs: float
    max_rel: float
    index: tuple[int, ...]
    impl_value: float
    ref_value: float
    rtol: float
    atol: float
    ok: bool
    problem: str = ""  # a shape or dtype mismatch: nothing elementwise to compare
    # per causal-kind axis (time, steps): the first position where any element
    # differs; a recurrent bug shows here (step 0 agrees, step 1 does not)
    onset: dict[str, int] = field(default_factory=dict)

    def where(self) -> str:
        """The worst element in axis terms: `batch=2, time=5, hidden=0`; an axis
        with no name (`2*hidden`, a fixed size) or a name used twice (a square
        `model model`) by its position too."""
        return ", ".join(f"{_axis_label(self.axes, i)}={j}" for i, j in enumerate(self.index))

    def describe(self) -> str:
        if self.problem:
            return f"{self.name}: {self.problem}"
        verdict = "ok" if self.ok else "DIFFERS"
        text = (
            f"{self.name}: {verdict}, max abs error {self.max_abs:.3g}, max rel {self.max_rel:.3g}"
        )
        if not self.ok:
            at = self.where() or "the scalar"
            text += f" at {at} (impl {self.impl_value:.6g}, reference {self.ref_value:.6g})"
            if self.onset:
                first = ", ".join(f"{a}={i}" for a, i in self.onset.items())
                text += f"; first differs at {first}"
        return text


def spec_axes(spec: Any) -> tuple[str, ...]:
    """An array annotation's axis labels (`batch`, `2*hidden`, `3`), or none."""
    if spec is None:
        return ()
    return tuple(d.label() for d in (*spec.prefix, *spec.suffix))


def output_axes(ret: Any, arrays: list[Any]) -> list[tuple[str, ...]]:
    """Axis labels per output array, from the return annotation where its array
    leaves cover the outputs one to one (`difference` drops labels that do not
    fit an array's rank)."""
    leaves = ret.array_leaves("return") if ret is not None else []
    if len(leaves) != len(arrays):
        return [()] * len(arrays)
    return [spec_axes(spec) for _, spec in leaves]


def difference(
    name: str,
    impl: Any,
    ref: Any,
    axes: Sequence[str],
    rtol: float | None,
    atol: float | None,
) -> Difference:
    a, e = np.asarray(impl), np.asarray(ref)
    # the less precise side sets the tolerance (a NumPy reference may compute
    # in float64 what the re-implementation computes in float32)
    floats = [d for d in (a.dtype, e.dtype) if d.kind == "f"] or [e.dtype]
    r, t = max(tolerance(d, rtol, atol) for d in floats)
    axes = tuple(axes) if len(axes) == a.ndim else ("",) * a.ndim
    if a.shape != e.shape:
        problem = f"shape {a.shape} in the re-implementation, {e.shape} in the reference"
        return Difference(
            name, a.shape, axes, np.inf, np.inf, (), np.nan, np.nan, r, t, False, problem
        )
    if a.size == 0:
        return Difference(name, a.shape, axes, 0.0, 0.0, (), 0.0, 0.0, r, t, True)
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    finite = np.abs(e64[np.isfinite(e64)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    with np.errstate(all="ignore"):
        err = np.abs(a64 - e64)
        err = np.where(np.isnan(a64) & np.isnan(e64), 0.0, np.nan_to_num(err, nan=np.inf))
        # relative error where the reference is not within the absolute tolerance of 0
        rel = np.where(np.abs(e64) > t * scale, err / np.abs(e64), 0.0)
        bad = err > t * scale + r * np.abs(e64)
    flat = int(np.argmax(np.where(bad, err, -1.0) if bad.any() else err))
    index = tuple(int(i) for i in np.unravel_index(flat, a.shape))
    return Difference(
        name,
        a.shape,
        axes,
        float(err.max()),
        float(np.nanmax(rel)),
        index,
        float(a64.flat[flat]),
        float(e64.flat[flat]),
        r,
        t,
        not bool(bad.any()),
        onset=_onset(bad, axes),
    )


@dataclass
class WeightSource:
    """Where a parameter field's value came from."""

    field: str
    source: str
    layout: str

    def describe(self) -> str:
        return f"{self.field} <- {self.source} {self.layout}"


@dataclass
class Divergence:
    """The first intermediate value that diverges: the `@sn.shaped` sub-function
    of the re-implementation and the reference submodule it was paired with."""

    impl: str  # `gru_cell (call 1)`
    reference: str  # `gru`
    difference: Difference
    # whether the reference submodule was fed what the sub-function was (None:
    # nothing of the same shape to compare)
    same_inputs: bool | None = None


@dataclass
class ParityReport:
    """`sn.testing.parity`'s verdict; `str(report)` is what `assert_parity` and
    `shapely-nn parity` print."""

    impl: str
    reference: str
    sizes: dict[str, int]
    inputs: list[str]
    outputs: list[Difference]
    gradients: list[Difference] = field(default_factory=list)
    weights: list[WeightSource] = field(default_factory=list)
    unused_weights: list[str] = field(default_factory=list)
    agreed: list[tuple[str, str]] = field(default_factory=list)
    first_divergence: Divergence | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.outputs) and all(d.ok for d in self.gradients)

    @property
    def failed(self) -> list[Difference]:
        return [d for d in self.outputs + self.gradients if not d.ok]

    def __str__(self) -> str:
        head = "agree" if self.ok else "DIFFER"
        lines = [f"parity of {self.impl} with {self.reference}: {head}"]
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes.items())
        lines.append(f"  sizes: {sizes or '(no named axes)'}")
        lines += [f"  input {s}" for s in self.inputs]
        if self.weights:
            lines.append(f"  weights ({len(self.weights)} fields):")
            lines += [f"    {w.describe()}" for w in self.weights]
        if self.unused_weights:
            lines.append(f"  reference weights no field takes: {', '.join(self.unused_weights)}")
        if self.outputs:
            o = self.outputs[0]
            lines.append(f"  outputs (rtol {o.rtol:g}, atol {o.atol:g}):")
            lines += [f"    {d.describe()}" for d in self.outputs]
        if self.gradients:
            lines.append("  gradients (of a fixed random projection of the outputs):")
            lines += [f"    {d.describe()}" for d in self.gradients]
        if self.agreed:
            pairs = ", ".join(f"{a} = {b}" for a, b in self.agreed[:8])
            more = f" and {len(self.agreed) - 8} more" if len(self.agreed) > 8 else ""
            lines.append(f"  intermediates that agree: {pairs}{more}")
        if self.first_divergence is not None:
            d = self.first_divergence
            lines.append(
                f"  first intermediate that diverges: {d.impl} (re-implementation) vs "
                f"{d.reference} (reference):"
            )
            lines.append(f"    {d.difference.describe()}")
            if d.same_inputs is True:
                lines.append("    both were fed the same inputs: the difference is inside it")
            elif d.same_inputs is False:
                lines.append(
                    f"    {d.reference} was fed other inputs than {d.impl}: the two part ways "
                    "just before it (a step left out or changed on the way in)"
                )
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _onset(bad: np.ndarray, axes: tuple[str, ...]) -> dict[str, int]:
    from .._axes import registry

    out: dict[str, int] = {}
    if not bad.any():
        return out
    reg = registry()
    for d, name in enumerate(axes):
        ax = reg.get(name) if name else None
        if ax is not None and ax.kind == "causal":
            along = bad.any(axis=tuple(i for i in range(bad.ndim) if i != d))
            out[name] = int(np.argmax(along))
    return out


def _axis_label(axes: tuple[str, ...], i: int) -> str:
    a = axes[i] if i < len(axes) else ""
    if a.isidentifier() and axes.count(a) == 1:
        return a
    return f"axis {i} ({a})" if a else f"axis {i}"
