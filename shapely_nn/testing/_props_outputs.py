"""Properties of one call's outputs: `shapes` (they match the annotations),
`values` (the return's constraints hold) and `dtype` (float precision kept)."""

from __future__ import annotations

import numpy as np

from .._errors import ShapeError, ValueConstraintError
from .._values import check_leaves
from ._runner import Example, Fail, Runner, float_kind
from ._subject import Skip
from ._wording import one_line

__all__ = ["dtype", "shapes", "values"]


def shapes(r: Runner, ex: Example) -> None:
    typo = r.subject.typos()
    if typo is not None:
        raise Fail(typo)
    if ex.error is not None and not isinstance(ex.error, ValueConstraintError):
        if isinstance(ex.error, ShapeError):
            raise Fail(str(ex.error))
        raise Fail(
            f"raised {type(ex.error).__name__} on inputs drawn from the annotations: "
            f"{one_line(ex.error)}{_leak_hint(ex.error)}"
        )
    if r.subject.plan.ret is None:
        raise Skip("no return annotation")


def values(r: Runner, ex: Example) -> None:
    ret = r.subject.plan.ret
    if ret is None or not any(a.constraints for _, a in ret.array_leaves("return")):
        raise Skip("no value constraints on the return annotation")
    if isinstance(ex.error, ValueConstraintError):
        raise Fail(str(ex.error))
    if ex.error is not None:
        raise Skip("the function raised on the drawn inputs (see 'shapes')")
    if ex.abstract:
        raise Skip("values are checked on the examples that are run (this one is traced)")
    if not ex.eager:  # compiled: constraints were skipped on tracers, check now
        try:
            check_leaves(r.subject.name, ret, ex.out, "return", ex.sizes.single, False)
        except ValueConstraintError as e:
            raise Fail(str(e)) from None


def dtype(r: Runner, ex: Example) -> None:
    if ex.error is not None:
        raise Skip("the function raised on the drawn inputs (see 'shapes')")
    ins = {str(x.dtype) for x in ex.drawn.leaves if float_kind(x)}
    if not ins:
        raise Skip("no float inputs")
    if len(ins) > 1:
        raise Skip(f"float inputs of mixed precision ({', '.join(sorted(ins))})")
    want = next(iter(ins))
    want_size = np.dtype(want).itemsize if want != "bfloat16" else 2
    for path, _, v in r.out_leaves(ex.out):
        if not float_kind(v):
            continue
        got = str(v.dtype)
        size = 2 if got == "bfloat16" else np.dtype(got).itemsize
        if size < want_size or (size == want_size and got != want):
            raise Fail(
                f"{path} is {got}, but every float input is {want}: precision was lost "
                "inside the function (a cast, or a constant of lower precision?)"
            )


def _leak_hint(error: BaseException) -> str:
    """What an UnexpectedTracerError means here: the generator traces the function
    (jax.jit, make_jaxpr) before it calls it again."""
    if type(error).__name__ != "UnexpectedTracerError":
        return ""
    return (
        " (a value computed while jax traced this function was kept in state that "
        "outlives the trace, a cache, a global or an attribute, and a later call got "
        "it back: any caller who runs it under jax.jit first, then again, hits this)"
    )
