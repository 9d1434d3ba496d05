"""Running value constraints for a call: on concrete arrays now, on tracers
through `jax.debug.callback` when traced checks are switched on."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ._constraints import Constraint, IndexInto, Violation, sum_tolerance
from ._diagnose import Leaf, collect_leaves
from ._errors import AnnotationError, ValueConstraintError
from ._match import is_tracer
from ._message import describe_subject, describe_value, section
from ._spec import ArraySpec, Spec

__all__ = ["check_leaves", "validate_constraints"]


def validate_constraints(
    fn_name: str, path: str, spec: ArraySpec, bound_names: set[str], declared: dict[str, int]
) -> None:
    """Decoration-time checks that each constraint can be evaluated."""
    for c in spec.constraints:
        if type(c).__name__ == "Simplex" and spec.axis_index(c.axis or "") is None:
            raise AnnotationError(
                f"{fn_name}: {c!r} on {path}: its annotation {spec.annotation_str()} has "
                f"no axis {c.axis!r} to sum along. Name the axis in the annotation, "
                "or constrain another axis."
            )
        if isinstance(c, IndexInto):
            if c.axis not in bound_names and c.axis not in declared:
                raise AnnotationError(
                    f"{fn_name}: {c!r} on {path}: no annotation of this function has an "
                    f"axis {c.axis!r}, and it is not declared with a size, so the index "
                    f"range is unknown. Annotate the array being indexed with {c.axis!r}, "
                    f"or declare sn.axis({c.axis!r}, size=...)."
                )
            if spec.dtypes is not None and not any(
                isinstance(d, str) and d.startswith(("int", "uint", "bool")) for d in spec.dtypes
            ):
                raise AnnotationError(
                    f"{fn_name}: {c!r} on {path}: indices must be integers, but the "
                    f"annotation {spec.annotation_str()} only allows {spec.dtype_name} dtypes"
                )


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
    what = c.doc
    if type(c).__name__ == "Simplex":
        what += f" (tolerance {sum_tolerance(arr.dtype):.1e} for {arr.dtype})"
    if isinstance(c, IndexInto) and axis_size is not None:
        binder = who(c.axis) if who is not None else None
        src = f", bound by {binder}" if binder else ""
        what += f" ({c.axis}={axis_size}{src})"
    lines += section("constraint", [what], wrap=True)
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
