"""Specs: what one annotation asks of a value, as frozen objects the checker
walks per call (`_annotations.py` builds them from annotations)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any

from . import _jaxtyping_bridge as jb

__all__ = [
    "ANON",
    "FIXED",
    "NAMED",
    "SYMBOLIC",
    "AnySpec",
    "ArraySpec",
    "Dim",
    "FallbackSpec",
    "NoneSpec",
    "Spec",
    "StructSpec",
    "TupleSpec",
    "UnionSpec",
    "Variadic",
    "has_arrays",
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
    # its fields' axes are its own (jaxtyping's meaning, for code not written for
    # shapely_nn: a returned batch's N is not the dataset's N), not the function's
    own_scope: bool = False

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


def has_arrays(spec: Spec) -> bool:
    """Whether checking `spec` involves an array annotation: a jaxtyping array
    somewhere inside it, a parameter struct (whose kept fields all do), or a
    beartype-checked hint that mentions one (`list[Float[...]]`, `PyTree[...]`)."""
    if isinstance(spec, FallbackSpec):
        return spec.has_arrays
    if isinstance(spec, StructSpec):
        return True
    return bool(spec.array_leaves("x"))
