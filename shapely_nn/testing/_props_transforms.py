"""Properties under jax's transformations: `jit` (traces, checks and agrees with
eager), `grad` (gradients exist and are finite), `vmap` (mapping over a new
leading axis prepends it and agrees slice by slice) and `retrace` (same shapes
do not trace again)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .._errors import ShapeError
from ._compare import as_numpy, compare, fmt_diff
from ._runner import Example, Fail, Runner, float_kind
from ._subject import Skip
from ._wording import one_line

__all__ = ["grad", "jit", "retrace", "vmap"]


def _returns_non_jax(error: BaseException | None) -> bool:
    """Whether jax.jit failed only because the output holds a non-JAX value."""
    return isinstance(error, TypeError) and "is not a valid JAX type" in str(error)


_CONCRETIZATION = (
    "ConcretizationTypeError",
    "TracerBoolConversionError",
    "TracerIntegerConversionError",
    "TracerArrayConversionError",
)
# what jax says when a function cannot be differentiated in reverse mode at all
_NOT_DIFFERENTIABLE = (
    "Reverse-mode differentiation does not work",
    "Differentiation rule for",
    "can't apply forward-mode autodiff (jvp) to a custom_vjp",
    "cannot be autodifferentiated",  # equinox.internal.nondifferentiable: on purpose
    "do not support JVP",  # io_callback
)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else ""


def jit(r: Runner, ex: Example) -> None:
    if r.numpy:
        raise Skip("takes numpy arrays; jax.jit traces jax arrays")
    if ex.error is not None and ex.eager:
        raise Skip("the function raised on the drawn inputs (see 'shapes')")
    if ex.abstract:
        return  # traced (the checks ran then); compiled on the first example's shapes
    try:
        r.base(ex)
    except Skip:
        e = ex.jit_error
        if e is None:
            raise
        if isinstance(e, ShapeError):
            raise Fail(f"the shape check failed while tracing under jax.jit:\n{e}") from None
        if _returns_non_jax(e):
            raise Skip(
                "returns something jax.jit cannot return (a function, an object "
                f"that is no pytree of arrays): {str(e).splitlines()[0]}"
            ) from None
        if type(e).__name__ in _CONCRETIZATION:
            # Python control flow on array values: code written to run eagerly (a
            # utility of someone else's package); a model meant to be jitted has a
            # bug here, which the reason says
            m = re.search(r"depends on the value of the argument (\S+?)\.?\s", str(e) + " ")
            which = f" (the value of argument {m.group(1)})" if m else ""
            raise Skip(
                f"does not trace under jax.jit: it uses array values as Python values{which} "
                f"({type(e).__name__}: {_first_line(e)}); if it is meant to run under "
                "jax.jit, that is a bug"
            ) from None
        raise Fail(f"does not trace under jax.jit: {type(e).__name__}: {one_line(e)}") from None
    if ex.eager or ex.index != 0:
        return
    # state read or changed while tracing (a global counter, numpy randomness, a
    # cache) makes two traces differ, and jax.jit bakes the first one in: what
    # comparing jit with eager would show, found without running anything
    differs = r.programs.traces_alike(ex)
    if differs is not None:
        raise Fail(
            f"tracing it twice on the same inputs gives two programs ({differs}): it "
            "reads or changes Python state while jax traces it (a global counter, "
            "numpy randomness, a cache), and jax.jit keeps what the first trace saw"
        )


def retrace(r: Runner, ex: Example) -> None:
    if r.numpy:
        raise Skip("takes numpy arrays; nothing is traced")
    r.base(ex)
    r.evaluate(ex, ex.alt)
    n = r.traces.get(ex.drawn.fingerprint(), 0)
    if n > 1:
        raise Fail(
            f"jax.jit traced the function {n} times for inputs of identical shapes and dtypes"
        )


def grad(r: Runner, ex: Example) -> None:
    if r.numpy:
        raise Skip("takes numpy arrays; jax.grad needs jax arrays")
    if ex.kind == "boundary":
        # (the derivative of x log x, or of sqrt, is infinite at 0: not a bug)
        raise Skip("gradients may be infinite at boundary values")
    if ex.kind == "shifted":
        raise Skip(
            "gradients on shifted inputs are checked by 'finite' (against float64: an "
            "overflow there may be inherent)"
        )
    idx = r.float_inputs(ex)
    if not idx:
        raise Skip("no float inputs to differentiate with respect to")
    base = r.base(ex)
    if not any(float_kind(v) for _, _, v in r.out_leaves(base)):
        raise Skip("no float outputs to differentiate")
    if ex.grads is None and ex.drawn.fingerprint() not in r.grad_errors:
        raise Skip("gradients are checked on the examples shaped like the first")
    for path, _, v in r.out_leaves(base):
        arr = as_numpy(v) if float_kind(v) else None
        # (an object with a float .dtype, such as a linear operator, is no array)
        if arr is not None and arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            raise Skip(
                f"{path} is already non-finite at the drawn inputs, so its gradient "
                "says nothing (the inputs are probably outside the function's domain: "
                "negative variances, an indefinite matrix); constrain them, e.g. "
                "with sn.Positive, or pass them with fixed="
            )
    err = r.grad_errors.get(ex.drawn.fingerprint())
    if err is not None:
        first = _first_line(err)
        if any(m in str(err) for m in _NOT_DIFFERENTIABLE):
            raise Skip(f"not reverse-mode differentiable here ({type(err).__name__}: {first})")
        raise Fail(f"jax.grad failed: {type(err).__name__}: {first}")
    assert ex.grads is not None
    for i, g in zip(idx, ex.grads):
        arr = as_numpy(g)
        bad = ~np.isfinite(arr)
        if bad.any():
            path = ex.drawn.infos[i].path
            kinds = "nan" if np.isnan(arr).any() else "inf"
            raise Fail(
                f"the gradient with respect to {path} has {int(bad.sum())} of "
                f"{arr.size} entries non-finite ({kinds})"
            )


def vmap(r: Runner, ex: Example) -> None:
    if r.numpy:
        raise Skip("takes numpy arrays; jax.vmap maps jax arrays")
    if not ex.drawn.leaves:
        raise Skip("no array arguments to map over")
    if ex.index != 0:
        # vmap is about axes, not values: the first example says it all (batched
        # and unbatched kernels round differently, more so on large values)
        raise Skip("vmap is checked on the first example")
    base = r.base(ex)
    alt = r.evaluate(ex, ex.alt)
    fp = ex.drawn.fingerprint()
    err = r.programs.vmap_errors.get(fp)
    if err is not None:
        raise Fail(
            f"jax.vmap over a new leading axis failed: {type(err).__name__}: {one_line(err)}"
        )
    out = ex.vmapped
    if out is None:  # not compiled with the first example's program: on its own
        import jax
        import jax.numpy as jnp

        stacked = [jnp.stack([a, b]) for a, b in zip(ex.drawn.leaves, ex.alt)]
        try:
            out = jax.jit(jax.vmap(r.programs.leaf_outputs(ex)))(*stacked)
        except Exception as e:
            raise Fail(
                f"jax.vmap over a new leading axis failed: {type(e).__name__}: {one_line(e)}"
            ) from None
    refs = [(path, b, a) for (path, _, b), (_, _, a) in zip(r.out_leaves(base), r.out_leaves(alt))]
    if [np.shape(o)[1:] for o in out] != [np.shape(as_numpy(b)) for _, b, _ in refs]:
        # an object whose arrays differ when built while tracing (a numpyro
        # distribution keeps python numbers, which jit's outputs turn into
        # arrays): the references are traced alike before anything is blamed
        traced = _traced_references(r, ex)
        if len(traced) == len(refs):  # the annotation's names for them
            traced = [(path, b, a) for (path, _, _), (_, b, a) in zip(refs, traced)]
        refs = traced
    for o, (path, b, a) in zip(out, refs):
        o = as_numpy(o)  # (indexing a jax array compiles a slice)
        want = (2, *np.shape(as_numpy(b)))
        if tuple(np.shape(o)) != want:
            raise Fail(
                f"{path} has shape {tuple(np.shape(o))} under vmap, expected {want} (the mapped axis prepended)"
            )
        for k, ref in ((0, b), (1, a)):
            d = compare(o[k], ref)
            if d is not None:
                raise Fail(
                    f"{path}: vmapped slice {k} differs from the unmapped call: max |diff| {fmt_diff(d[0])} at index {d[1]}"
                )


def _traced_references(r: Runner, ex: Example) -> list[Any]:
    import jax

    program = jax.jit(r.programs.leaf_outputs(ex))
    b, a = program(*ex.drawn.leaves), program(*ex.alt)
    paths = [f"return[{i}]" for i in range(len(b))]
    return list(zip(paths, b, a))
