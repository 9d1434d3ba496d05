"""The fast path must accept and reject exactly what jaxtyping + beartype do.

Hypothesis draws annotations (named, fixed, anonymous, broadcast, symbolic and
variadic dims), shapes (mostly consistent, sometimes perturbed) and dtypes, and
compares the verdict of `@sn.shaped` with `jaxtyping.jaxtyped(typechecker=beartype)`
on the same function.
"""

from __future__ import annotations

import numpy as np
import pytest
from beartype import beartype
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jaxtyping import Float, Int, Shaped, TypeCheckError, jaxtyped

import shapely_nn as sn

NAMES = ["a", "b", "c"]
DTYPES = {"Float": Float, "Int": Int, "Shaped": Shaped}


@st.composite
def dim_strings(draw, allow_symbolic):
    n = draw(st.integers(0, 4))
    dims = []
    variadic_used = False
    for _ in range(n):
        choices = ["named", "named", "fixed", "anon", "bcast"]
        if not variadic_used:
            choices += ["variadic", "anon_variadic"]
        if allow_symbolic:
            choices.append("symbolic")
        kind = draw(st.sampled_from(choices))
        if kind == "named":
            dims.append(draw(st.sampled_from(NAMES)))
        elif kind == "fixed":
            dims.append(str(draw(st.integers(1, 4))))
        elif kind == "anon":
            dims.append("_")
        elif kind == "bcast":
            dims.append("#" + draw(st.sampled_from(NAMES)))
        elif kind == "symbolic":
            dims.append(draw(st.sampled_from(["a+1", "a*b", "2*a-1", "max(a,1)"])))
        elif kind == "variadic":
            variadic_used = True
            dims.append(draw(st.sampled_from(["*v", "#*v", "*w"])))
        else:
            variadic_used = True
            dims.append("...")
    return " ".join(dims)


def _shape_for(draw, dim_str, sizes, vshapes):
    shape = []
    for d in dim_str.split():
        if d.lstrip("#") in NAMES:
            s = sizes[d.lstrip("#")]
            if d.startswith("#") and draw(st.booleans()):
                s = 1
            shape.append(s)
        elif d.isdigit():
            shape.append(int(d))
        elif d == "_":
            shape.append(draw(st.integers(1, 4)))
        elif d in ("*v", "#*v", "*w", "..."):
            shape.extend(vshapes[d.lstrip("#*") or "..."])
        else:
            try:
                shape.append(int(eval(d, {"max": max}, dict(sizes))))
            except Exception:
                shape.append(1)
    # perturb sometimes
    if shape and draw(st.integers(0, 4)) == 0:
        i = draw(st.integers(0, len(shape) - 1))
        shape[i] = max(0, shape[i] + draw(st.sampled_from([-1, 1, 2])))
    if draw(st.integers(0, 9)) == 0:
        shape.append(draw(st.integers(1, 3)))
    return tuple(shape)


@st.composite
def cases(draw):
    sizes = {n: draw(st.integers(1, 4)) for n in NAMES}
    vshapes = {
        "v": tuple(draw(st.lists(st.integers(1, 3), max_size=2))),
        "w": tuple(draw(st.lists(st.integers(1, 3), max_size=2))),
        "...": tuple(draw(st.lists(st.integers(1, 3), max_size=2))),
    }
    nargs = draw(st.integers(1, 3))
    args = []
    for i in range(nargs):
        dim_str = draw(dim_strings(allow_symbolic=i > 0))
        dtype = draw(st.sampled_from(list(DTYPES)))
        shape = _shape_for(draw, dim_str, sizes, vshapes)
        vdtype = draw(st.sampled_from([np.float32, np.int32]))
        args.append((dtype, dim_str, shape, vdtype))
    ret_dims = draw(dim_strings(allow_symbolic=True))
    ret_shape = _shape_for(draw, ret_dims, sizes, vshapes)
    return args, (ret_dims, ret_shape)


def _make(args, ret_dims, ret_value):
    ann = {f"x{i}": DTYPES[dt][np.ndarray, ds] for i, (dt, ds, _, _) in enumerate(args)}
    ann["return"] = Shaped[np.ndarray, ret_dims]
    params = ", ".join(ann_name for ann_name in ann if ann_name != "return")
    ns: dict = {}
    exec(f"def f({params}):\n    return RET", {"RET": ret_value}, ns)
    f = ns["f"]
    f.__annotations__ = ann
    return f


def _verdict(fn, values):
    try:
        fn(*values)
    except (TypeCheckError, sn.ShapeError):
        return False
    return True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_same_verdict_as_jaxtyping(case):
    args, (ret_dims, ret_shape) = case
    values = [np.zeros(shape, vdtype) for (_, _, shape, vdtype) in args]
    ret_value = np.zeros(ret_shape, np.float32)
    f = _make(args, ret_dims, ret_value)
    try:
        ours = sn.shaped(f)
    except sn.AnnotationError:
        assume(False)  # contradictions we reject up front (jaxtyping fails at call time)
        return
    theirs = jaxtyped(typechecker=beartype)(_make(args, ret_dims, ret_value))
    try:
        expected = _verdict(theirs, values)
    except Exception as e:  # jaxtyping itself cannot evaluate the annotation
        with pytest.raises(type(e)):
            ours(*values)
        return
    assert _verdict(ours, values) == expected, (args, ret_dims, ret_shape)


def test_differential_covers_both_verdicts():
    """A guard against a generator that only ever produces passes or fails."""
    good = _make([("Float", "a b", (2, 3), np.float32)], "a", np.zeros(2, np.float32))
    assert _verdict(sn.shaped(good), [np.zeros((2, 3), np.float32)])
    assert not _verdict(sn.shaped(good), [np.zeros((2,), np.float32)])
