"""Strict mode (`sn.mode("strict")`): every axis a checked function uses is
declared with `sn.axis`, and every array argument has a shape annotation."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._axes import registry
from ._errors import AnnotationError
from ._signature import Plan
from ._spec import has_arrays

__all__ = ["check_strict"]


def check_strict(plan: Plan, args: tuple, kwargs: dict) -> None:
    __tracebackhide__ = True
    reg = registry()
    undeclared = sorted(n for n in plan.axis_names if n not in reg)
    if undeclared:
        n = undeclared[0]
        close = reg.suggest(n)
        hint = f" Did you mean {close!r}?" if close else ""
        raise AnnotationError(
            f"{plan.name}(): strict mode: axis {n!r} is not declared.{hint} "
            f'Declare it with sn.axis({n!r}, "what it means"), or fix the name.'
            + (
                f" (also undeclared: {', '.join(map(repr, undeclared[1:]))})"
                if len(undeclared) > 1
                else ""
            )
        )
    for p, v in plan.arguments(args, kwargs):
        if p.is_self:
            continue
        if has_arrays(p.spec):
            continue
        if p.annotated and not _bare_array_hint(getattr(p.spec, "hint", None)):
            continue  # annotated as something else (a float, a config object): not ours to judge
        if (
            hasattr(v, "shape")
            and hasattr(v, "dtype")
            and not isinstance(v, (int, float, complex, bool, np.generic))
        ):
            what = "no annotation" if not p.annotated else f"the annotation {p.spec!r}"
            if p.annotated:
                what = f"an annotation without a shape ({getattr(getattr(p.spec, 'hint', None), '__name__', 'not a jaxtyping array type')})"
            raise AnnotationError(
                f"{plan.name}(): strict mode: array argument {p.name!r} has {what}. "
                f'Annotate its axes, e.g. {p.name}: Float[Array, "batch feature"] '
                "(or Shaped[Array, '...'] to accept any shape explicitly)."
            )


def _bare_array_hint(hint: Any) -> bool:
    """`jax.Array`, `np.ndarray`, `ArrayLike`...: an array type without a shape."""
    text = getattr(hint, "__name__", None) or repr(hint)
    return any(k in text for k in ("Array", "ndarray", "Tensor"))
