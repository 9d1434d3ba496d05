"""What an argument's annotation asks the drawing for: a bare array or pytree (a
guessed float32 vector), a PRNG key by its conventional name, an int, a fixed
value fitted to its annotation; and the names reports give annotations."""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing
from typing import Any

import numpy as np

from .._annotations import spec_from_hint
from .._spec import ArraySpec, FallbackSpec, Spec, UnionSpec
from ._arrays import choose_dtype, to_array
from ._preconditions import Between

__all__ = [
    "KEY_NAMES",
    "bare_array_spec",
    "field_hints",
    "fitted",
    "hint_name",
    "is_plain_array_hint",
    "struct_field_defaults",
    "takes_int",
]

KEY_NAMES = ("key", "rng", "prng_key", "rng_key", "prngkey")


def field_hints(cls: type) -> dict[str, Any]:
    """A structure class's field annotations, evaluated (empty if they cannot be)."""
    from .._hints import class_hints

    try:
        return class_hints(cls, cls.__qualname__, final=True)
    except Exception:
        return {}


def takes_int(hint: Any) -> bool:
    """`int`, or a union with an `int` option (`int | None`)."""
    from .._annotations import is_union

    return hint is int or (is_union(hint) and int in typing.get_args(hint))


def is_plain_array_hint(hint: Any) -> bool:
    name = getattr(hint, "__name__", "") or ""
    return name.rsplit(".", 1)[-1] in ("Array", "PRNGKeyArray", "KeyArray")


def fitted(v: Any, given: Any, spec: Spec) -> Any:
    """A number drawn from `between(...)` for an argument annotated as a 0-d array
    (`Real[Array, ""]`) is passed as one, of the annotation's dtype."""
    if not isinstance(given, Between):
        return v
    if isinstance(spec, UnionSpec):
        if any(isinstance(o, FallbackSpec) and o.hint in (int, float) for o in spec.options):
            return v
        spec = next((o for o in spec.options if isinstance(o, ArraySpec)), spec)
    if isinstance(spec, ArraySpec) and not spec.dims and spec.variadic is None:
        dtype = choose_dtype(spec)
        if dtype != "prng_key":
            return to_array(np.asarray(v, dtype=dtype), spec)
    return v


def bare_array_spec(hint: Any) -> ArraySpec | None:
    """The spec drawn for an array annotation without a shape or dtype."""
    import jax
    import jaxtyping

    if hint is jaxtyping.PyTree or (
        isinstance(hint, typing.TypeVar) and hint.__bound__ is None and not hint.__constraints__
    ):
        hint = jax.Array  # any pytree (`Y = TypeVar("Y")` too): one array leaf is one
    if hint is not np.ndarray and hint is not jax.Array:
        return None
    spec = spec_from_hint(jaxtyping.Float32[hint, "3"])
    assert isinstance(spec, ArraySpec)
    return spec


def hint_name(hint: Any) -> str:
    # jax.Array's __name__ reads 'jaxlib._jax.Array'; users wrote 'Array'
    name = getattr(hint, "__name__", None)
    if not name:
        return repr(hint)
    # module paths off every dotted name inside: PyTree[Float[Array, '?n'], 'Y']
    return re.sub(r"\b(?:[A-Za-z_][\w]*\.)+(?=[A-Za-z_])", "", name)


def struct_field_defaults(cls: type) -> list[tuple[str, Any]]:
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        defaults = getattr(cls, "_field_defaults", {})
        return [(f, defaults.get(f, inspect.Parameter.empty)) for f in cls._fields]  # type: ignore[attr-defined]
    out = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            out.append((f.name, None))
        else:
            out.append((f.name, inspect.Parameter.empty))
    return out
