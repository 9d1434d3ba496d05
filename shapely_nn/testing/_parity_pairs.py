"""Where a re-implementation and its reference part ways.

Each `@sn.shaped` sub-function's output is looked for among every value the
reference's submodules took and gave (their inputs and outputs, by forward
hooks): a sub-function whose output equals what the next module was fed (a
functional activation between two layers) agrees as much as one equal to a
module's output. When the final outputs differ, the first sub-function after
the last agreeing one whose output equals no reference value is blamed, but
only if it can be paired with a reference output computed from what it was fed
(a module, or a chain of modules, whose first input equals its inputs; a cell
called in a loop as often as its module is paired call by call, otherwise the
closest such output). The report says whether the paired module was fed the
same inputs: if not, the two part ways just before it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._match import is_tracer
from .._signature import Plan
from ._parity_report import Difference, Divergence, ParityReport, difference, output_axes

__all__ = ["pair_intermediates"]


@dataclass
class _Step:
    """One call of a sub-function of the re-implementation."""

    plan: Plan
    label: str
    inputs: list[np.ndarray]
    outputs: list[np.ndarray]
    name: str
    call: int
    calls: int
    axes: list[tuple[str, ...]]  # per output, from the return annotation


@dataclass
class _Value:
    """What one reference submodule took ("in") or gave ("out") in one call."""

    module: str
    kind: str
    arrays: list[np.ndarray]
    label: str = ""
    call: int = 0
    calls: int = 0


def _arrays(values: Any) -> list[np.ndarray]:
    out = []
    for v in values:
        if hasattr(v, "shape") and hasattr(v, "dtype") and not is_tracer(v):
            a = np.asarray(v)
            if a.dtype.kind in "fc":
                out.append(a)
    return out


def _numbered(items: list[Any], key: Any) -> None:
    """Sets `call` and `calls` of items sharing a key (1-based)."""
    total: dict[Any, int] = {}
    for it in items:
        total[key(it)] = total.get(key(it), 0) + 1
    seen: dict[Any, int] = {}
    for it in items:
        seen[key(it)] = seen.get(key(it), 0) + 1
        it.call, it.calls = seen[key(it)], total[key(it)]


def _steps(top: Plan, records: list[tuple[Plan, tuple, dict, Any]]) -> list[_Step]:
    import jax

    steps = []
    for plan, args, kwargs, out in records:
        xs = jax.tree_util.tree_leaves(out)
        if plan is top or not xs or any(is_tracer(x) for x in xs):
            continue
        outputs = _arrays(xs)
        if outputs:
            inputs = _arrays([*args, *kwargs.values()])
            axes = output_axes(plan.ret, outputs)
            steps.append(_Step(plan, "", inputs, outputs, plan.name, 0, 0, axes))
    _numbered(steps, lambda s: s.name)
    for s in steps:
        s.label = f"{s.name} (call {s.call})" if s.calls > 1 else s.name
    return steps


def _values(
    inputs: list[np.ndarray], records: list[tuple[str, str, list[np.ndarray]]]
) -> list[_Value]:
    values = [_Value("input", "in", list(inputs))]
    values += [_Value(m, k, arrays) for m, k, arrays in records]
    _numbered(values, lambda v: (v.module, v.kind))
    for v in values:
        base = v.module if v.kind == "out" or v.module == "input" else f"{v.module} (input)"
        v.label = f"{base} (call {v.call})" if v.calls > 1 else base
    return values


def _shapes_fit(xs: list[np.ndarray], ys: list[np.ndarray]) -> bool:
    return len(ys) >= len(xs) and all(x.shape == y.shape for x, y in zip(xs, ys))


def _diffs(step: _Step, value: _Value, rtol: float | None, atol: float | None) -> list[Difference]:
    return [
        difference("output", x, y, ax, rtol, atol)
        for x, y, ax in zip(step.outputs, value.arrays, step.axes)
    ]


def _fed(step: _Step, value: _Value, rtol: float | None, atol: float | None) -> bool:
    """Whether a reference input record is what the step was fed: at least one
    of the step's array inputs has an array of its shape there, and all such
    agree."""
    compared = False
    for x in step.inputs:
        for y in value.arrays:
            if y.shape == x.shape:
                if not difference("", x, y, (), rtol, atol).ok:
                    return False
                compared = True
    return compared


def _counterpart(
    step: _Step, values: list[_Value], rtol: float | None, atol: float | None
) -> tuple[_Value, Difference] | None:
    """The reference output most likely to be the step's counterpart: one
    computed from what the step was fed (a module, or a chain of modules, whose
    first input agrees with the step's inputs); among those, the same call of a
    module called as often as the step's function (a cell in a loop), else the
    closest. None when no reference output is computed from the same inputs."""
    fed_at = [i for i, v in enumerate(values) if v.kind == "in" and _fed(step, v, rtol, atol)]
    if not fed_at:
        return None
    outs = [
        v
        for i, v in enumerate(values)
        if i > fed_at[0] and v.kind == "out" and _shapes_fit(step.outputs, v.arrays)
    ]
    if not outs:
        return None
    for v in outs:
        if step.calls > 1 and v.calls == step.calls and v.call == step.call:
            return v, _worst(_diffs(step, v, rtol, atol))
    scored = [(v, _worst(_diffs(step, v, rtol, atol))) for v in outs]
    return min(scored, key=lambda t: t[1].max_abs)


def _same_inputs(
    step: _Step, value: _Value, values: list[_Value], rtol: float | None, atol: float | None
) -> bool | None:
    """Whether the module call that gave `value` took what the step took."""
    fed = next(
        (v for v in values if v.module == value.module and v.kind == "in" and v.call == value.call),
        None,
    )
    if fed is None or not any(y.shape == x.shape for x in step.inputs for y in fed.arrays):
        return None
    return _fed(step, fed, rtol, atol)


def _worst(diffs: list[Difference]) -> Difference:
    bad = [d for d in diffs if not d.ok]
    return max(bad or diffs, key=lambda d: d.max_abs)


def pair_intermediates(
    report: ParityReport,
    top: Plan,
    records: list[tuple[Plan, tuple, dict, Any]],
    inputs: list[np.ndarray],
    ref_records: list[tuple[str, str, list[np.ndarray]]],
    rtol: float | None,
    atol: float | None,
) -> None:
    """Fills `report.agreed` and `report.first_divergence` (see the module)."""
    steps = _steps(top, records)
    if not steps:
        report.notes.append(
            "no @sn.shaped sub-function ran inside the re-implementation, so no intermediate "
            "values were compared; decorate its building blocks to see where a divergence starts"
        )
        return
    values = _values(inputs, ref_records)
    outputs_agree = all(d.ok for d in report.outputs)
    suspect: Divergence | None = None
    for step in steps:
        # any value the reference computed will do (nested calls finish before
        # the call that made them on both sides, but a module's input is
        # recorded when it starts): equal values do not agree by chance
        match = next(
            (
                v
                for v in values
                if _shapes_fit(step.outputs, v.arrays)
                and all(d.ok for d in _diffs(step, v, rtol, atol))
            ),
            None,
        )
        if match is not None:
            report.agreed.append((step.label, match.label))
            suspect = None  # what looked like a divergence before was no counterpart
            continue
        if outputs_agree or suspect is not None:
            continue
        found = _counterpart(step, values, rtol, atol)
        if found is not None:
            value, worst = found
            suspect = Divergence(
                step.label, value.label, worst, _same_inputs(step, value, values, rtol, atol)
            )
    report.first_divergence = suspect
    if not outputs_agree and suspect is None:
        report.notes.append(
            "no @sn.shaped sub-function could be paired with a reference value computed from "
            "the same inputs and found to differ; the difference arises outside them (in "
            f"{top.name} itself, or in code no @sn.shaped function covers)"
        )
