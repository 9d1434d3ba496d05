"""Hostile annotations: random dimension strings never crash the checker with an
internal exception. Malformed ones are `sn.AnnotationError` at decoration time
(string annotations); valid ones check without crashing."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jaxtyping import Float

import shapely_nn as sn

TOKENS = [
    "a",
    "b",
    "#a",
    "*v",
    "#*v",
    "...",
    "_",
    "3",
    "a+1",
    "a*b",
    "a,b",
    "a#",
    "**v",
    "__a",
    "?a",
    "1.5",
    "a=2",
    "(",
    ")",
    "a-",
    "*3",
    "_3",
    "#_",
    "-1",
    "max(a,1)",
]


DTYPES = ["Float", "Int", "Shaped", "Bool", "Num", "Float32", "UInt8", "Inexact"]
NP_DTYPES = [np.float32, np.float64, np.int32, np.uint8, np.bool_]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(TOKENS), max_size=4),
    st.lists(st.integers(0, 4), max_size=4),
    st.sampled_from(DTYPES),
    st.sampled_from(NP_DTYPES),
)
def test_random_dimension_strings_never_crash(tokens, shape, dtype, np_dtype):
    dims = " ".join(tokens)
    ns: dict = {}
    src = (
        "from __future__ import annotations\n"
        "import numpy as np\n"
        f"from jaxtyping import Float, {dtype}\n"
        f"def f(x: {dtype}[np.ndarray, {dims!r}], y: Float[np.ndarray, 'a']) -> Float[np.ndarray, '...']:\n"
        "    return x\n"
    )
    exec(compile(src, "<hostile>", "exec", dont_inherit=True), ns)
    try:
        checked = sn.shaped(ns["f"])
    except sn.AnnotationError as e:
        _assert_points_at_a_token(str(e), dims)
        return
    assert not _jaxtyping_rejects(dims)  # what jaxtyping refuses is never accepted
    try:
        checked(np.zeros(tuple(shape), np_dtype), np.zeros(3, np.float32))
    except (sn.ShapeError, sn.AnnotationError):
        pass
    # the generator draws from any annotation the checker accepted, or says why not
    report = sn.testing.check(ns["f"], examples=1, properties=["shapes", "dtype"])
    for r in report.results:
        assert r.status in ("passed", "skipped", "failed") and r.reason is not None
        if r.status == "failed":  # f returns x, annotated '...': only a raise may fail
            assert "raised" in r.reason or "annotation" in r.reason, str(report)


def _jaxtyping_rejects(dims: str) -> bool:
    try:
        Float[np.ndarray, dims]
    except Exception:
        return True
    return False


def _assert_points_at_a_token(message: str, dims: str) -> None:
    """A shape string jaxtyping rejects gets a caret under one of its axes; the
    other errors (symbolic axes, contradictions) quote the axis they are about."""
    lines = message.splitlines()
    assert lines[0].startswith("f")
    if not _jaxtyping_rejects(dims):
        assert any(repr(t) in lines[0] for t in dims.split()), message
        return
    assert lines[0] == "f: the annotation of argument 'x' is malformed:"
    annotation, caret = lines[1], lines[2]
    start = caret.index("^")
    token = annotation[start : len(caret)]
    assert token in dims.split(), (token, dims)
    assert lines[3].startswith(f"  {token!r}: ")
