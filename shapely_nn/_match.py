"""The per-call fast path: does a value match its spec, given the sizes bound so far?

Each matcher returns True or False and updates `single` (axis name -> size) and
`variadic` (name -> (broadcastable, shape)) in place, in jaxtyping's own memo
format. On failure nothing is explained here: `_diagnose.py` re-walks the
arguments slowly to build the message, so the happy path stays lean.

The semantics follow jaxtyping's `_check_dims` and `_check_shape` exactly;
`tests/test_differential.py` holds the two to the same verdicts.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from . import _jaxtyping_bridge as jb
from ._errors import AnnotationError
from ._spec import (
    ANON,
    FIXED,
    NAMED,
    AnySpec,
    ArraySpec,
    FallbackSpec,
    NoneSpec,
    Spec,
    StructSpec,
    TupleSpec,
    UnionSpec,
)
from ._wrappers import unwrap_field

Single = dict[str, int]
VariadicMemo = dict[str, tuple[bool, tuple[int, ...]]]


#: the value of a name no axis or argument can bind (see `Plan.free_symbols`)
FREE = object()


def eval_symbolic(
    spec: ArraySpec, expr: str, single: Single, argvals: dict[str, Any] | None
) -> Any:
    """The size a symbolic axis stands for, or None where it uses a name with no
    value (a free symbol, or an optional int argument passed as None): such an
    axis is not checked."""
    code = spec.compiled.get(expr)
    try:
        if code is None:
            # f-string form: '{name}' refers to the function's arguments, as in jaxtyping
            text = eval(f"f'{expr}'", dict(argvals or {}))
            return eval(text, dict(single))
        ns = dict(single)
        if argvals:
            # a name no axis binds may be an int argument: "(max_degree+1)**2"
            for n in code.co_names:
                if n not in ns and n in argvals:
                    value = argvals[n]
                    if value is None or value is FREE:
                        return None
                    ns[n] = _int_argument(spec, expr, n, value)
        return eval(code, ns)
    except NameError as e:
        raise AnnotationError(
            f"cannot evaluate the symbolic axis {expr!r} of {spec.annotation_str()}: "
            f"{e}. A symbolic axis may only use axis names bound by earlier arguments "
            "(usually it belongs in the return annotation)."
        ) from None


def is_tracer(x: Any) -> bool:
    """Whether `x` is a jax tracer (without importing jax)."""
    if not type(x).__module__.startswith("jax"):
        return False
    core = sys.modules.get("jax.core")
    return core is not None and isinstance(x, core.Tracer)


def _int_argument(spec: ArraySpec, expr: str, name: str, value: Any) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    traced = is_tracer(value)
    if getattr(value, "shape", None) == () and not traced:
        try:
            return int(value)  # a 0-d integer array
        except Exception:
            pass
    raise AnnotationError(
        f"the symbolic axis {expr!r} of {spec.annotation_str()} uses the argument "
        f"{name!r}, which must be an int, got {type(value).__name__}"
        + (f"; under jax.jit, make it static (static_argnames=({name!r},))" if traced else "")
    )


def _dims(dims: tuple, shape: Any, single: Single, spec: ArraySpec, argvals: Any) -> bool:
    for d, s in zip(dims, shape):
        code = d.code
        if code == ANON:
            continue
        if d.broadcast and s == 1:
            continue
        if code == NAMED:
            name = d.name
            b = single.get(name)
            if b is None:
                single[name] = s
            elif b != s:
                return False
        elif code == FIXED:
            if d.size != s:
                return False
        else:
            want = eval_symbolic(spec, d.expr, single, argvals)
            if want is not None and want != s:
                return False
    return True


def match_array(
    spec: ArraySpec, x: Any, single: Single, variadic: VariadicMemo, argvals: Any = None
) -> bool:
    if not spec.check_type(x):
        return False
    try:
        shape = x.shape
        dtype = x.dtype
    except AttributeError:
        return False
    if spec.dtypes is not None and not spec.check_dtype(dtype):
        return False
    var = spec.variadic
    if var is None:
        if len(shape) != len(spec.prefix):
            return False
        return _dims(spec.prefix, shape, single, spec, argvals)
    n = len(shape)
    npre = len(spec.prefix)
    nsuf = len(spec.suffix)
    if n < npre + nsuf:
        return False
    if npre and not _dims(spec.prefix, shape[:npre], single, spec, argvals):
        return False
    if nsuf and not _dims(spec.suffix, shape[n - nsuf :], single, spec, argvals):
        return False
    name = var.name
    if name is None:
        return True
    return bind_variadic(name, var.broadcast, tuple(shape[npre : n - nsuf]), variadic) is None


def bind_variadic(
    name: str, broadcastable: bool, new: tuple[int, ...], variadic: VariadicMemo
) -> str | None:
    """jaxtyping's variadic rule; returns None on success, else the reason."""
    prev = variadic.get(name)
    if prev is None:
        variadic[name] = (broadcastable, new)
        return None
    prev_b, prev_shape = prev
    if prev_b:
        try:
            out = np.broadcast_shapes(new, prev_shape)
        except ValueError:
            return f"cannot be broadcast with the existing {prev_shape}"
        if not broadcastable and out != new:
            return f"the existing {prev_shape} cannot be broadcast to it"
        variadic[name] = (broadcastable, out)
        return None
    if broadcastable:
        try:
            out = np.broadcast_shapes(new, prev_shape)
        except ValueError:
            return f"cannot be broadcast with the existing {prev_shape}"
        if out != prev_shape:
            return f"cannot be broadcast to the existing {prev_shape}"
        return None
    if new != prev_shape:
        return f"does not equal the existing {prev_shape}"
    return None


def match(
    spec: Spec, value: Any, single: Single, variadic: VariadicMemo, argvals: Any = None
) -> bool:
    t = type(spec)
    if t is ArraySpec:
        return match_array(spec, value, single, variadic, argvals)  # type: ignore[arg-type]
    if t is AnySpec:
        return True
    if t is NoneSpec:
        return value is None
    if t is StructSpec:
        assert isinstance(spec, StructSpec)
        if spec.check_isinstance and not isinstance(value, spec.cls):
            return False
        if spec.own_scope:
            single, variadic = {}, {}
        for name, fspec in spec.fields:
            try:
                v = getattr(value, name)
            except AttributeError:
                return False
            if not match(fspec, v, single, variadic, argvals):
                u = unwrap_field(v)  # a paramax / nnx wrapper around the array
                if u is v or not match(fspec, u, single, variadic, argvals):
                    return False
        return True
    if t is TupleSpec:
        assert isinstance(spec, TupleSpec)
        if not isinstance(value, tuple):
            return False
        if spec.homogeneous:
            item = spec.items[0]
            return all(match(item, v, single, variadic, argvals) for v in value)
        if len(value) != len(spec.items):
            return False
        return all(match(s, v, single, variadic, argvals) for s, v in zip(spec.items, value))
    if t is UnionSpec:
        assert isinstance(spec, UnionSpec)
        for opt in spec.options:
            s2 = dict(single)
            v2 = dict(variadic)
            if match(opt, value, s2, v2, argvals):
                single.update(s2)
                variadic.update(v2)
                return True
        return False
    if t is FallbackSpec:
        assert isinstance(spec, FallbackSpec)
        return match_fallback(spec, value, single, variadic, argvals)
    raise TypeError(f"unknown spec {spec!r}")  # pragma: no cover


def match_fallback(
    spec: FallbackSpec, value: Any, single: Single, variadic: VariadicMemo, argvals: Any
) -> bool:
    from beartype.door import is_bearable

    if not spec.has_arrays:
        return _bearable(is_bearable, value, spec.hint) or _traced_scalar(value, spec.hint)
    # the structure names (`PyTree[..., "S"]`) are the call's: shared with the
    # other arguments and fields, as jaxtyping shares them
    jb.memo_push(dict(single), dict(variadic), dict(argvals or {}), jb.memo_pytree())
    try:
        ok = _bearable(is_bearable, value, spec.hint)
        if ok:
            s2, v2 = jb.memo_read()
            single.update(s2)
            variadic.update(v2)
        return ok
    finally:
        jb.memo_pop()


_SCALAR_KINDS = {int: "iub", float: "fiub", complex: "cfiub", bool: "b"}


def _traced_scalar(value: Any, hint: Any) -> bool:
    """A 0-d jax array (a traced scalar under jit/vmap/grad) where a Python scalar is
    annotated: JAX code routinely passes `derivative: int` through `jax.jit` as a
    tracer. Accepted when its dtype kind fits (beartype alone would reject it)."""
    kinds = _SCALAR_KINDS.get(hint)
    if kinds is None:
        opts = [a for a in getattr(hint, "__args__", ()) if a in _SCALAR_KINDS]
        if not opts:
            return False
        kinds = "".join(_SCALAR_KINDS[a] for a in opts)
    if not type(value).__module__.startswith("jax") or getattr(value, "shape", None) != ():
        return False
    return np.dtype(value.dtype).kind in kinds if hasattr(value, "dtype") else False


_CONF: list[Any] = []


def _conf() -> Any:
    """beartype's configuration: PEP 484's numeric tower (a float where `complex`
    is annotated, an int where `float` is), as type checkers read annotations."""
    if not _CONF:
        from beartype import BeartypeConf

        _CONF.append(BeartypeConf(is_pep484_tower=True))
    return _CONF[0]


# hints beartype refused, by id (kept alive here, so an id is never reused); each
# is warned about once
_UNCHECKABLE: dict[int, Any] = {}


def _bearable(is_bearable: Any, value: Any, hint: Any) -> bool:
    if id(hint) in _UNCHECKABLE:
        return True
    try:
        return is_bearable(value, hint, conf=_conf())
    except AnnotationError:
        raise
    except Exception as e:
        from beartype.roar import BeartypeDecorHintException

        if not isinstance(e, BeartypeDecorHintException):
            raise
        # beartype cannot check this hint at run time (a Protocol that is not
        # runtime_checkable, ...): leave this annotation unchecked, as type
        # checkers are the ones to hold code to it
        import warnings

        from ._errors import AnnotationWarning

        _UNCHECKABLE[id(hint)] = hint
        first = str(e).split(". ", 1)[0].replace("Is_bearable() wrapper parameter ", "")
        warnings.warn(
            f"shapely_nn leaves the annotation {getattr(hint, '__qualname__', hint)!s} "
            f"unchecked: beartype cannot check it at run time ({first})",
            AnnotationWarning,
            stacklevel=2,
        )
        return True
