"""Annotations (already evaluated) parsed into specs: `spec_from_hint`, the
fields of parameter structures, and the walk over the values a reader is told
about (documentation and "which axes does a function use")."""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
import weakref
from dataclasses import dataclass
from typing import Any, Union

from . import _jaxtyping_bridge as jb
from ._errors import AnnotationError
from ._hints import caret_under_axis, class_hints
from ._spec import (
    ANON,
    FIXED,
    NAMED,
    SYMBOLIC,
    AnySpec,
    ArraySpec,
    Dim,
    FallbackSpec,
    NoneSpec,
    Spec,
    StructSpec,
    TupleSpec,
    UnionSpec,
    Variadic,
    has_arrays,
)

__all__ = [
    "Scope",
    "documented_leaves",
    "is_union",
    "spec_axes",
    "spec_from_hint",
    "struct_fields",
    "tree_leaf_spec",
]

_NONE_TYPES = (None, type(None))


def is_union(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin is Union or (hasattr(types, "UnionType") and origin is types.UnionType)


def _is_annotated(hint: Any) -> bool:
    return typing.get_origin(hint) is typing.Annotated


def constraint_type() -> type | None:
    from ._constraints import Constraint

    return Constraint


@dataclass(frozen=True)
class Scope:
    """Where the names in a class's field annotations are looked up, while a
    plan is built: `ns` is a fallback namespace (the globals of the function
    being compiled, for classes whose module is not importable, such as ones
    defined in exec'd code or a run-as-script file), and `final` whether a name
    that cannot be resolved is final (false at decoration, where the name may
    be defined later in the module)."""

    ns: dict[str, Any] | None = None
    final: bool = True
    structs_own_scope: bool = False  # StructSpec.own_scope for the structs parsed


_NO_SCOPE = Scope()


def spec_from_hint(hint: Any, *, where: str = "", depth: int = 0, scope: Scope = _NO_SCOPE) -> Spec:
    """Parse one (already evaluated) annotation."""
    if depth > 20:
        return FallbackSpec(hint)
    if hint is inspect.Parameter.empty or hint is Any or hint is object:
        return AnySpec()
    if hint in _NONE_TYPES:
        return NoneSpec()
    if _is_annotated(hint):
        base, *meta = typing.get_args(hint)
        inner = spec_from_hint(base, where=where, depth=depth + 1, scope=scope)
        ctype = constraint_type()
        cons = tuple(m for m in meta if ctype is not None and isinstance(m, ctype))
        if cons:
            if not isinstance(inner, ArraySpec):
                raise AnnotationError(
                    f"{where}: value constraints {', '.join(map(repr, cons))} can only "
                    f"annotate a single jaxtyping array type, not {base!r}"
                )
            inner = dataclasses.replace(inner, constraints=inner.constraints + cons)
        return inner
    if jb.is_array_annotation(hint):
        return _array_spec(hint, where)
    if is_union(hint):
        opts = tuple(
            spec_from_hint(a, where=where, depth=depth + 1, scope=scope)
            for a in typing.get_args(hint)
        )
        if any(isinstance(o, FallbackSpec) for o in opts):
            return FallbackSpec(hint, has_arrays=any(has_arrays(o) for o in opts))
        if all(isinstance(o, AnySpec) for o in opts):
            return AnySpec()
        return UnionSpec(opts, hint)
    origin = typing.get_origin(hint)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            item = spec_from_hint(args[0], where=where, depth=depth + 1, scope=scope)
            if isinstance(item, FallbackSpec):
                return FallbackSpec(hint, has_arrays=item.has_arrays)
            return TupleSpec((item,), homogeneous=True)
        if args == ((),):
            return FallbackSpec(hint)
        items = tuple(spec_from_hint(a, where=where, depth=depth + 1, scope=scope) for a in args)
        if any(isinstance(i, FallbackSpec) for i in items):
            return FallbackSpec(hint, has_arrays=any(has_arrays(i) for i in items))
        return TupleSpec(items)
    if isinstance(hint, type):
        inner = (
            dataclasses.replace(scope, structs_own_scope=False)
            if scope.structs_own_scope
            else scope
        )
        fields = struct_fields(hint, where=where, depth=depth, scope=inner)
        if fields is not None:
            return StructSpec(hint, fields, own_scope=scope.structs_own_scope)
    if isinstance(hint, str):
        raise AnnotationError(f"{where}: could not resolve the annotation {hint!r}")
    return FallbackSpec(hint, has_arrays=_hint_mentions_arrays(hint))


def documented_leaves(
    spec: Spec, path: str, optional: bool = False
) -> list[tuple[str, Spec, bool]]:
    """The values a reader is told about, inside `spec`: (path, spec, optional)
    for each array annotation (struct fields, tuple items and union options
    expanded; `None` in a union makes the others optional) and for each other
    annotated value. Documentation and "which axes does a function use" both
    read this walk."""
    if isinstance(spec, ArraySpec):
        return [(path, spec, optional)]
    if isinstance(spec, StructSpec):
        return [
            leaf
            for name, fspec in spec.fields
            for leaf in documented_leaves(fspec, f"{path}.{name}", optional)
        ]
    if isinstance(spec, TupleSpec):
        if spec.homogeneous:
            return documented_leaves(spec.items[0], f"{path}[i]", optional)
        return [
            leaf
            for i, s in enumerate(spec.items)
            for leaf in documented_leaves(s, f"{path}[{i}]", optional)
        ]
    if isinstance(spec, UnionSpec):
        opts = [o for o in spec.options if not isinstance(o, NoneSpec)]
        optional = optional or len(opts) != len(spec.options)
        if len(opts) == 1:
            return documented_leaves(opts[0], path, optional)
        return [
            leaf
            for i, o in enumerate(opts)
            for leaf in documented_leaves(o, f"{path} (option {i + 1})", optional)
        ]
    if isinstance(spec, (AnySpec, NoneSpec)):
        return []
    assert isinstance(spec, FallbackSpec)
    hint = spec.hint
    if typing.get_origin(hint) is tuple and Ellipsis not in typing.get_args(hint):
        # checked as a whole by beartype, documented item by item
        return [
            leaf
            for i, a in enumerate(typing.get_args(hint))
            for leaf in documented_leaves(spec_from_hint(a), f"{path}[{i}]", optional)
        ]
    return [(path, spec, optional)]


def _label_names(label: str) -> list[str]:
    """Axis names in a shape label: 'batch', '#n', '*lead', 'n+1' -> names."""
    text = label.lstrip("#*")
    if text in ("...", "_") or text.isdigit():
        return []
    if text.isidentifier():
        return [text]
    return [
        t for t in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text) if t not in ("max", "min", "abs")
    ]


def spec_axes(specs: list[Spec]) -> list[str]:
    """The axis names `specs` use, in order of first appearance: named axes,
    variadic names, and the names inside symbolic axes."""
    out: list[str] = []
    for spec in specs:
        for _, leaf, _ in documented_leaves(spec, ""):
            if isinstance(leaf, ArraySpec):
                for label in leaf.shape_labels():
                    for n in _label_names(label):
                        if n not in out:
                            out.append(n)
    return out


def _hint_mentions_arrays(hint: Any, depth: int = 0) -> bool:
    if depth > 10:
        return False
    if jb.is_array_annotation(hint):
        return True
    if "PyTree" in getattr(hint, "__name__", "") or "PyTree" in repr(hint)[:200]:
        return True
    return any(_hint_mentions_arrays(a, depth + 1) for a in typing.get_args(hint))


# a class's fields parsed once; weak keys, so classes defined in tests or notebooks
# can be collected
_STRUCT_CACHE: weakref.WeakKeyDictionary[type, tuple[tuple[str, Spec], ...] | None] = (
    weakref.WeakKeyDictionary()
)


def struct_fields(
    cls: type, *, where: str = "", depth: int = 0, scope: Scope = _NO_SCOPE
) -> tuple[tuple[str, Spec], ...] | None:
    """Fields of a NamedTuple / dataclass (equinox modules are dataclasses) that carry
    array annotations, or None if `cls` is not such a class or has none."""
    if cls in _STRUCT_CACHE:
        return _STRUCT_CACHE[cls]
    names: list[str] | None = None
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        names = list(cls._fields)  # type: ignore[attr-defined]
    elif dataclasses.is_dataclass(cls):
        names = [f.name for f in dataclasses.fields(cls)]
    if not names:
        _STRUCT_CACHE[cls] = None
        return None
    _STRUCT_CACHE[cls] = None  # guards against recursive definitions
    try:
        # NameError: maybe defined later, the decorator retries at the first call
        hints = class_hints(cls, where, scope.ns, final=scope.final)
        out: list[tuple[str, Spec]] = []
        for name in names:
            if name not in hints:
                continue
            spec = spec_from_hint(
                hints[name],
                where=f"{where} (field {cls.__qualname__}.{name})",
                depth=depth + 1,
                scope=scope,
            )
            if isinstance(spec, (AnySpec, FallbackSpec)) and not has_arrays(spec):
                continue
            out.append((name, spec))
    except BaseException:
        del _STRUCT_CACHE[cls]
        raise
    result = tuple(out) if out else None
    _STRUCT_CACHE[cls] = result
    return result


def tree_leaf_spec(hint: Any, where: str = "") -> Spec:
    """The spec of one leaf of a `PyTree[leaf, "T"]`, to draw that leaf: a `?n` axis
    (its size may differ from leaf to leaf) is an axis `n` for a single leaf."""
    if jb.is_array_annotation(hint):
        return _array_spec(hint, where, in_tree=True)
    if is_union(hint):  # `Shaped[ArrayLike, "?*y"]`: its array options
        arrays = [
            tree_leaf_spec(a, where) for a in typing.get_args(hint) if jb.is_array_annotation(a)
        ]
        if len(arrays) == 1:
            return arrays[0]
        if arrays:
            return UnionSpec(tuple(arrays), hint)
    return spec_from_hint(hint, where=where)


def _array_spec(hint: Any, where: str, in_tree: bool = False) -> Spec:
    array_type, dtypes, dims, vi, dim_str, dtype_name = jb.array_parts(hint)
    if in_tree:
        dims = tuple(dataclasses.replace(d, treepath=False) for d in dims)
        dim_str = dim_str.replace("?", "")
    if any(d.treepath for d in dims):
        bad = next(d.name for d in dims if d.treepath)
        raise AnnotationError(
            f"{where}: '?{bad}' in {hint.__name__}: a '?' axis only means something "
            "inside a structured PyTree annotation, e.g. PyTree[Float[Array, '?n'], 'T']"
        )
    conv: list[Dim] = []
    variadic: Variadic | None = None
    for d in dims:
        if d.kind == "named":
            conv.append(Dim(NAMED, name=d.name, broadcast=d.broadcast))
        elif d.kind == "fixed":
            conv.append(Dim(FIXED, size=d.size, broadcast=d.broadcast))
        elif d.kind == "anonymous":
            conv.append(Dim(ANON))
        elif d.kind == "symbolic":
            conv.append(Dim(SYMBOLIC, expr=d.expr, broadcast=d.broadcast))
        else:
            variadic = Variadic(d.name, d.broadcast)
    if vi is None:
        prefix, suffix = tuple(conv), ()
    else:
        prefix, suffix = tuple(conv[:vi]), tuple(conv[vi:])
    spec = ArraySpec(hint, array_type, dtypes, dtype_name, dim_str, prefix, variadic, suffix)
    for d in spec.dims:
        if d.code == FIXED and d.size is not None and d.size < 0:
            raise AnnotationError(
                f"{where}: the axis '{d.size}' is a negative size, which no array has:\n"
                f"{caret_under_axis(spec.annotation_str(), spec.dim_str, str(d.size))}"
            )
        if d.code == SYMBOLIC and d.expr is not None and "{" not in d.expr:
            try:
                spec.compiled[d.expr] = compile(d.expr, "<shape>", "eval")
            except SyntaxError as e:
                text = spec.annotation_str()
                raise AnnotationError(
                    f"{where}: the symbolic axis {d.expr!r} is not a valid Python "
                    f"expression ({e.msg}):\n{caret_under_axis(text, spec.dim_str, d.expr)}"
                ) from None
    return spec
