"""Running value constraints for a call: on concrete arrays now, on tracers
through `jax.debug.callback` when traced checks are switched on."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ._constraints import Constraint, Violation
from ._diagnose import Leaf, collect_leaves
from ._errors import ValueConstraintError
from ._match import is_tracer
from ._message import describe_subject, describe_value, section
from ._spec import ArraySpec, Spec

__all__ = ["check_leaves"]


def check_leaves(
    fn_name: str,
    spec: Spec,
    value: Any,
    path: str,
    sizes: dict[str, int],
    traced: bool,
    who: Any = None,
) -> None:
    """Check the constraints of every constrained array inside `value`."""
    for leaf in collect_leaves(spec, value, path):
        s = leaf.spec
        if not isinstance(s, ArraySpec) or not s.constraints:
            continue
        x = leaf.value
        for c in s.constraints:
            axis_index = s.axis_index(c.axis) if c.axis else None
            axis_size = sizes.get(c.axis) if c.axis else None
            if is_tracer(x):
                if traced:
                    import jax

                    jax.debug.callback(
                        functools.partial(
                            _host_check, fn_name, leaf, c, axis_index, axis_size, who
                        ),
                        x,
                    )
                continue
            _host_check(fn_name, leaf, c, axis_index, axis_size, who, x)


def _host_check(
    fn_name: str,
    leaf: Leaf,
    c: Constraint,
    axis_index: int | None,
    axis_size: int | None,
    who: Any,
    x: Any,
) -> None:
    __tracebackhide__ = True
    arr = np.asarray(x)
    found = c.check(arr, axis_index=axis_index, axis_size=axis_size)
    if found is not None:
        raise ValueConstraintError(render_violation(fn_name, leaf, c, arr, found, axis_size, who))


def render_violation(
    fn_name: str,
    leaf: Leaf,
    c: Constraint,
    arr: np.ndarray,
    v: Violation,
    axis_size: int | None,
    who: Any,
) -> str:
    subject = describe_subject(leaf.path)
    lines = [f"{fn_name}(): {subject} violates {c!r}"]
    binder = who(c.axis) if who is not None and c.axis and axis_size is not None else None
    lines += section("constraint", [c.explain(arr.dtype, axis_size, binder)], wrap=True)
    actual = describe_value(leaf.value)
    if is_tracer(leaf.value):
        actual = describe_value(arr).replace("(numpy.ndarray)", "(traced; checked at run time)")
    lines += section("actual", [actual])
    lines += section(
        "violations",
        [
            f"{v.count} of {v.total} {v.unit}"
            + (f" ({v.note})" if v.note and "tolerance" not in v.note and "=" not in v.note else "")
        ],
        wrap=True,
    )
    lines += section("worst", [v.worst], wrap=True)
    return "\n".join(lines)
