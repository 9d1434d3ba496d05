"""Annotations parsed once into frozen specs that the checker walks per call."""

from __future__ import annotations

import builtins
import dataclasses
import threading
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Union

from . import _jaxtyping_bridge as jb
from ._errors import AnnotationError
from ._hints import caret_under_axis, class_hints

__all__ = [
    "AnySpec",
    "ArraySpec",
    "Dim",
    "FallbackSpec",
    "NoneSpec",
    "Spec",
    "StructSpec",
    "TupleSpec",
    "UnionSpec",
    "has_arrays",
    "is_union",
    "spec_from_hint",
    "struct_fields",
]

# dimension codes, small ints so the per-call loop compares cheaply
NAMED, FIXED, ANON, SYMBOLIC = 0, 1, 2, 3


@dataclass(frozen=True)
class Dim:
    code: int
    name: str | None = None  # NAMED; also the variadic name
    size: int | None = None  # FIXED
    expr: str | None = None  # SYMBOLIC source text
    broadcast: bool = False

    def label(self) -> str:
        prefix = "#" if self.broadcast else ""
        if self.code == NAMED:
            return prefix + str(self.name)
        if self.code == FIXED:
            return prefix + str(self.size)
        if self.code == SYMBOLIC:
            return prefix + str(self.expr)
        return "_"


@dataclass(frozen=True)
class Variadic:
    name: str | None  # None for '...'
    broadcast: bool = False

    def label(self) -> str:
        if self.name is None:
            return "..."
        return ("#" if self.broadcast else "") + "*" + self.name


class Spec:
    """Base class: what one annotation asks of a value."""

    def array_leaves(self, path: str) -> list[tuple[str, ArraySpec]]:
        return []


@dataclass(frozen=True, eq=False)
class AnySpec(Spec):
    """Nothing to check (no annotation, or `Any`)."""


@dataclass(frozen=True, eq=False)
class NoneSpec(Spec):
    """`None`, as a member of `X | None`."""


@dataclass(frozen=True, eq=False)
class ArraySpec(Spec):
    hint: Any
    array_type: Any
    dtypes: tuple[Any, ...] | None
    dtype_name: str
    dim_str: str
    prefix: tuple[Dim, ...]  # dims before the variadic (or all of them)
    variadic: Variadic | None
    suffix: tuple[Dim, ...]  # dims after the variadic
    constraints: tuple[Any, ...] = ()
    # per-type and per-dtype verdict caches (filled at run time)
    type_ok: dict[type, bool] = field(default_factory=dict, compare=False, repr=False)
    dtype_ok: dict[Any, bool] = field(default_factory=dict, compare=False, repr=False)
    # symbolic dims compiled once: expr -> code object (None if it needs f-string args)
    compiled: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def rank(self) -> int:
        return len(self.prefix) + len(self.suffix)

    @property
    def dims(self) -> tuple[Dim, ...]:
        return self.prefix + self.suffix

    def names(self) -> set[str]:
        out = {d.name for d in self.dims if d.code == NAMED and d.name}
        if self.variadic is not None and self.variadic.name:
            out.add(self.variadic.name)
        return out

    def axis_offsets(self, name: str) -> list[int]:
        """Positions of the named axis: from the start for dims before a variadic,
        negative (from the end) for dims after it."""
        out = [i for i, d in enumerate(self.prefix) if d.code == NAMED and d.name == name]
        n = len(self.suffix)
        out += [j - n for j, d in enumerate(self.suffix) if d.code == NAMED and d.name == name]
        return out

    def axis_index(self, name: str) -> int | None:
        """The first position of the named axis (see `axis_offsets`), or None."""
        offsets = self.axis_offsets(name)
        return offsets[0] if offsets else None

    def symbol_names(self) -> set[str]:
        """Names used inside symbolic dims (which must be bound elsewhere)."""
        out: set[str] = set()
        for names in self.symbols_by_axis().values():
            out.update(names)
        return out

    def symbols_by_axis(self) -> dict[str, list[str]]:
        """Each symbolic dim's expression and the names it uses, in order."""
        out: dict[str, list[str]] = {}
        for d in self.dims:
            if d.code == SYMBOLIC and d.expr is not None and "{" not in d.expr:
                code = self.compiled.get(d.expr)
                if code is not None:
                    out[d.expr] = [n for n in code.co_names if not hasattr(builtins, n)]
        return out

    def shape_labels(self) -> list[str]:
        out = [d.label() for d in self.prefix]
        if self.variadic is not None:
            out.append(self.variadic.label())
        out.extend(d.label() for d in self.suffix)
        return out

    def array_type_name(self) -> str:
        try:
            # jax.Array's __name__ reads 'jaxlib._jax.Array'; users wrote 'Array'
            return self.array_type.__name__.rsplit(".", 1)[-1]
        except AttributeError:
            return repr(self.array_type)

    def annotation_str(self) -> str:
        return f"{self.dtype_name}[{self.array_type_name()}, '{self.dim_str}']"

    def array_leaves(self, path: str) -> list[tuple[str, ArraySpec]]:
        return [(path, self)]

    def check_type(self, value: Any) -> bool:
        t = type(value)
        ok = self.type_ok.get(t)
        if ok is None:
            if self.array_type is Any:
                ok = hasattr(value, "shape") and hasattr(value, "dtype")
            else:
                ok = isinstance(value, self.array_type)
            self.type_ok[t] = ok
        return ok

    def check_dtype(self, dtype: Any) -> bool:
        dtypes = self.dtypes
        if dtypes is None:
            return True
        try:
            ok = self.dtype_ok.get(dtype)
        except TypeError:  # unhashable dtype object
            return jb.dtype_matches(dtypes, jb.dtype_string(dtype))
        if ok is None:
            ok = jb.dtype_matches(dtypes, jb.dtype_string(dtype))
            self.dtype_ok[dtype] = ok
        return ok


@dataclass(frozen=True, eq=False)
class StructSpec(Spec):
    """A NamedTuple / dataclass / equinox module whose fields carry annotations."""

    cls: type
    fields: tuple[tuple[str, Spec], ...]
    check_isinstance: bool = True

    def array_leaves(self, path: str) -> list[tuple[str, ArraySpec]]:
        out: list[tuple[str, ArraySpec]] = []
        for name, spec in self.fields:
            out.extend(spec.array_leaves(f"{path}.{name}"))
        return out


@dataclass(frozen=True, eq=False)
class TupleSpec(Spec):
    items: tuple[Spec, ...]
    homogeneous: bool = False  # tuple[X, ...]

    def array_leaves(self, path: str) -> list[tuple[str, ArraySpec]]:
        if self.homogeneous:
            return self.items[0].array_leaves(f"{path}[i]")
        out: list[tuple[str, ArraySpec]] = []
        for i, spec in enumerate(self.items):
            out.extend(spec.array_leaves(f"{path}[{i}]"))
        return out


@dataclass(frozen=True, eq=False)
class UnionSpec(Spec):
    options: tuple[Spec, ...]
    hint: Any = None

    def array_leaves(self, path: str) -> list[tuple[str, ArraySpec]]:
        out: list[tuple[str, ArraySpec]] = []
        for spec in self.options:
            out.extend(spec.array_leaves(path))
        return out


@dataclass(frozen=True, eq=False)
class FallbackSpec(Spec):
    """Checked by beartype, inside a jaxtyping memo that shares our bindings."""

    hint: Any
    has_arrays: bool = False


_NONE_TYPES = (None, type(None))


def is_union(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin is Union or (hasattr(types, "UnionType") and origin is types.UnionType)


def _is_annotated(hint: Any) -> bool:
    return typing.get_origin(hint) is typing.Annotated


def constraint_type() -> type | None:
    from ._constraints import Constraint

    return Constraint


def spec_from_hint(hint: Any, *, where: str = "", depth: int = 0) -> Spec:
    """Parse one (already evaluated) annotation."""
    if depth > 20:
        return FallbackSpec(hint)
    if hint is inspect_empty or hint is Any or hint is object:
        return AnySpec()
    if hint in _NONE_TYPES:
        return NoneSpec()
    if _is_annotated(hint):
        base, *meta = typing.get_args(hint)
        inner = spec_from_hint(base, where=where, depth=depth + 1)
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
        opts = tuple(spec_from_hint(a, where=where, depth=depth + 1) for a in typing.get_args(hint))
        if any(isinstance(o, FallbackSpec) for o in opts):
            return FallbackSpec(hint, has_arrays=any(has_arrays(o) for o in opts))
        if all(isinstance(o, AnySpec) for o in opts):
            return AnySpec()
        return UnionSpec(opts, hint)
    origin = typing.get_origin(hint)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            item = spec_from_hint(args[0], where=where, depth=depth + 1)
            if isinstance(item, FallbackSpec):
                return FallbackSpec(hint, has_arrays=item.has_arrays)
            return TupleSpec((item,), homogeneous=True)
        if args == ((),):
            return FallbackSpec(hint)
        items = tuple(spec_from_hint(a, where=where, depth=depth + 1) for a in args)
        if any(isinstance(i, FallbackSpec) for i in items):
            return FallbackSpec(hint, has_arrays=any(has_arrays(i) for i in items))
        return TupleSpec(items)
    if isinstance(hint, type):
        fields = struct_fields(hint, where=where, depth=depth)
        if fields is not None:
            return StructSpec(hint, fields)
    if isinstance(hint, str):
        raise AnnotationError(f"{where}: could not resolve the annotation {hint!r}")
    return FallbackSpec(hint, has_arrays=_hint_mentions_arrays(hint))


inspect_empty = __import__("inspect").Parameter.empty


def has_arrays(spec: Spec) -> bool:
    """Whether checking `spec` involves an array annotation: a jaxtyping array
    somewhere inside it, a parameter struct (whose kept fields all do), or a
    beartype-checked hint that mentions one (`list[Float[...]]`, `PyTree[...]`)."""
    if isinstance(spec, FallbackSpec):
        return spec.has_arrays
    if isinstance(spec, StructSpec):
        return True
    return bool(spec.array_leaves("x"))


def _hint_mentions_arrays(hint: Any, depth: int = 0) -> bool:
    if depth > 10:
        return False
    if jb.is_array_annotation(hint):
        return True
    if "PyTree" in getattr(hint, "__name__", "") or "PyTree" in repr(hint)[:200]:
        return True
    return any(_hint_mentions_arrays(a, depth + 1) for a in typing.get_args(hint))


_STRUCT_CACHE: dict[type, tuple[tuple[str, Spec], ...] | None] = {}

# While a plan is built: the globals of the function being compiled (`ns`, a
# fallback namespace for classes whose module is not importable, such as ones
# defined in exec'd code or a run-as-script file) and whether an undefined name
# is final (`final`; false at decoration, where the name may be defined later).
FALLBACK_NS = threading.local()


def _class_hints(cls: type, where: str) -> dict[str, Any]:
    return class_hints(
        cls,
        where,
        getattr(FALLBACK_NS, "ns", None),
        final=getattr(FALLBACK_NS, "final", True),
    )


def struct_fields(
    cls: type, *, where: str = "", depth: int = 0
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
        hints = _class_hints(cls, where)
        out: list[tuple[str, Spec]] = []
        for name in names:
            if name not in hints:
                continue
            spec = spec_from_hint(
                hints[name],
                where=f"{where} (field {cls.__qualname__}.{name})",
                depth=depth + 1,
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


def _array_spec(hint: Any, where: str) -> Spec:
    array_type, dtypes, dims, vi, dim_str, dtype_name = jb.array_parts(hint)
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
