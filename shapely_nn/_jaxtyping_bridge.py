"""Everything shapely_nn reads from jaxtyping's internals lives here.

jaxtyping documents its annotation syntax, not the attributes of the classes
that `Float[Array, "a b"]` returns nor its thread-local axis memo. We read both,
in this module only; `tests/test_jaxtyping_bridge.py` fails if an upgrade
changes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jaxtyping
from jaxtyping import _array_types as _at
from jaxtyping import _storage as _st

__all__ = [
    "DimParts",
    "array_parts",
    "dtype_string",
    "is_array_annotation",
    "memo_pop",
    "memo_push",
    "memo_pytree",
    "memo_read",
    "pytree_leaf",
]

AbstractArray = jaxtyping.AbstractArray


@dataclass(frozen=True)
class DimParts:
    """One dimension of a jaxtyping annotation, in jaxtyping's own terms."""

    kind: str  # "named" | "fixed" | "symbolic" | "anonymous" | "variadic"
    name: str | None = None  # named/variadic name; None for '_' and '...'
    size: int | None = None  # fixed size
    expr: str | None = None  # symbolic expression
    broadcast: bool = False
    treepath: bool = False


def is_array_annotation(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, AbstractArray) and hint is not AbstractArray


def pytree_leaf(hint: Any) -> Any:
    """The leaf type of a `PyTree[T]` (or `PyTree[T, "S"]`) annotation, or None
    for anything else (jaxtyping keeps it as the class attribute `leaftype`)."""
    if not isinstance(hint, type) or type(hint).__module__ != "jaxtyping._pytree_type":
        return None
    return getattr(hint, "leaftype", None)


def array_parts(
    hint: Any,
) -> tuple[Any, tuple[Any, ...] | None, tuple[DimParts, ...], int | None, str, str]:
    """(array_type, dtypes or None for any, dims, variadic index, dim_str, dtype name)."""
    dims = tuple(_dim_parts(d) for d in hint.dims)
    dtypes = None if hint.dtypes is _at._any_dtype else tuple(hint.dtypes)
    return (
        hint.array_type,
        dtypes,
        dims,
        hint.index_variadic,
        hint.dim_str,
        hint.dtype.__name__,
    )


def _dim_parts(d: Any) -> DimParts:
    if d is _at._anonymous_dim:
        return DimParts("anonymous")
    if d is _at._anonymous_variadic_dim:
        return DimParts("variadic")
    t = type(d)
    if t is _at._NamedDim:
        return DimParts("named", name=d.name, broadcast=d.broadcastable, treepath=bool(d.treepath))
    if t is _at._NamedVariadicDim:
        return DimParts(
            "variadic",
            name=d.name,
            broadcast=d.broadcastable,
            treepath=bool(d.treepath),
        )
    if t is _at._FixedDim:
        return DimParts("fixed", size=d.size, broadcast=d.broadcastable)
    if t is _at._SymbolicDim:
        return DimParts("symbolic", expr=d.elem, broadcast=d.broadcastable)
    raise TypeError(f"unknown jaxtyping dimension object {d!r}")  # pragma: no cover


def dtype_string(dtype: Any) -> str:
    """The string jaxtyping compares against an annotation's dtypes."""
    if hasattr(dtype, "type") and hasattr(dtype.type, "__name__"):
        if _at._dtype_is_numpy_struct_array(dtype):
            return str(dtype)
        return dtype.type.__name__
    if hasattr(dtype, "as_numpy_dtype"):
        return dtype.as_numpy_dtype.__name__
    if isinstance(dtype, str):
        return dtype
    return repr(dtype).rsplit(".", 1)[-1]


def dtype_matches(dtypes: tuple[Any, ...], name: str) -> bool:
    for d in dtypes:
        if type(d) is str:
            if d == name:
                return True
        elif isinstance(d, re.Pattern) and d.match(name):
            return True
    return False


def memo_push(
    single: dict[str, int],
    variadic: dict[str, tuple[bool, tuple[int, ...]]],
    arguments: dict[str, Any],
    pytree: dict[str, Any] | None = None,
) -> None:
    """Open a jaxtyping memo frame that shares `single` and `variadic` (and
    `pytree`, the structures named in `PyTree[..., "S"]`, if given).

    `isinstance(x, Float[Array, "n"])` in the body of a checked function, and
    annotations beartype checks for us, then see (and add to) our bindings.
    """
    try:
        stack = _st._shape_storage.memo_stack
    except AttributeError:
        stack = _st._shape_storage.memo_stack = []
    stack.append((single, variadic, {} if pytree is None else pytree, arguments))


def memo_pytree() -> dict[str, Any]:
    """The structures named so far in the innermost memo frame (a fresh dict
    outside any frame)."""
    stack = getattr(_st._shape_storage, "memo_stack", None)
    return stack[-1][2] if stack else {}


def memo_read() -> tuple[dict[str, int], dict[str, tuple[bool, tuple[int, ...]]]]:
    single, variadic, _, _ = _st.get_shape_memo()
    return single, variadic


def memo_pop() -> None:
    _st._shape_storage.memo_stack.pop()


def install_import_hook(modules: list[str], decorator: Any, key: str) -> Any:
    """jaxtyping's import hook, placing `decorator` (not `@jaxtyped(...)`) on every
    function and class of `modules`. Returns jaxtyping's hook manager (a context
    manager with `.uninstall()`).

    We reuse jaxtyping's finder, loader, AST transformer (which honours
    `@no_type_check`) and its bytecode-cache naming; only the decorator the
    transformer inserts differs, so messages and overhead are shapely_nn's own.
    """
    import ast

    from jaxtyping import _import_hook as ih

    class _Decorate(ih.Typechecker):
        def __init__(self) -> None:  # no super().__init__: it would eval a string
            self.hash = key
            ih.Typechecker.lookup[key] = decorator

        def get_ast(self) -> Any:
            expr = f"jaxtyping._import_hook.Typechecker.lookup[{key!r}]"
            return ast.parse(expr, mode="eval").body

    manager = ih.install_import_hook(modules, None)
    manager.hook._typechecker = _Decorate()  # type: ignore[attr-defined]
    return manager
