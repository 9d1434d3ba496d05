"""The function under test: its plan, the kind of each axis (with per-function
overrides), a checked version to call with drawn values, and which of its
annotations the generator draws from."""

from __future__ import annotations

import contextlib
import inspect
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import _config
from .._annotations import is_union, spec_from_hint
from .._axes import registry
from .._decorator import decorate
from .._signature import Plan, plan_for, plan_of
from .._spec import (
    ArraySpec,
    FallbackSpec,
    NoneSpec,
    Spec,
    StructSpec,
    TupleSpec,
    UnionSpec,
    has_arrays,
)

__all__ = [
    "Skip",
    "Subject",
    "as_union",
    "checking_mode",
    "drawn_arrays",
    "make_subject",
    "union_choice",
]


@contextlib.contextmanager
def checking_mode() -> Iterator[None]:
    """Checks must run while testing, even if the process has them off."""
    if _config.get_mode() == "off":
        with _config.mode("on"):
            yield
    else:
        yield


class Skip(Exception):
    """A property (or a whole function) cannot be tested; the message says why."""


@dataclass
class Subject:
    fn: Any  # what the user passed
    checked: Any  # an @sn.shaped version of it (the return check runs on every call)
    plan: Plan
    name: str
    instance: Any = None  # bound `self` for methods tested through an instance
    kinds: dict[str, str] = field(default_factory=dict)  # kinds given to this check
    _by_free: dict[tuple[tuple[str, int], ...], Any] = field(default_factory=dict, repr=False)

    def checked_for(self, sizes: dict[str, int]) -> Any:
        """The checked function, with the names only symbolic axes use bound to
        their drawn sizes, so those axes are checked too."""
        free = self.plan.free_symbols
        if not free or plan_of(self.fn) is not None:
            return self.checked
        key = tuple(sorted((n, sizes[n]) for n in free if n in sizes))
        if key not in self._by_free:
            func = self.fn.__func__ if inspect.ismethod(self.fn) else self.fn
            checked = decorate(func, kinds=None, free_symbols=True, free_values=dict(key))
            if self.instance is not None:
                checked = checked.__get__(self.instance, type(self.instance))
            self._by_free[key] = checked
        return self._by_free[key]

    def kind(self, axis: str) -> str:
        if axis in self.kinds:
            return self.kinds[axis]
        if axis in self.plan.kinds:
            return self.plan.kinds[axis]
        ax = registry().get(axis)
        return ax.kind if ax is not None else "plain"

    def uses_numpy(self) -> bool:
        """Whether a drawn argument is a numpy array (the transforms need jax)."""
        import numpy as np

        specs = [p.spec for p in self.plan.all_params]
        return any(a.array_type is np.ndarray for s in specs for a in drawn_arrays(s))

    def specs(self) -> list[Spec]:
        out = [p.spec for p in self.plan.all_params]
        if self.plan.varargs is not None:
            out.append(self.plan.varargs.spec)
        if self.plan.ret is not None:
            out.append(self.plan.ret)
        return out

    def typos(self) -> str | None:
        """An axis name that is not declared but is close to one declared in the
        function's own package ('bacth' beside a declared 'batch'): a typo the
        shape checks cannot see, as the name binds like any other."""
        package = package_of(self.fn)
        reg = registry()
        own = [a.name for a in reg if (a.declared_in or "").split(".")[0] == package]
        if not package or not own:
            return None
        for name in self.plan.axes_used:
            if name in reg:
                continue
            close = [o for o in own if len(name) >= 3 and _one_edit(name, o)]
            if close:
                ax = reg.get(close[0])
                where = f" (declared in {ax.declared_in})" if ax and ax.declared_in else ""
                return (
                    f"axis {name!r} is not declared; did you mean {close[0]!r}{where}? "
                    f"An undeclared name binds a size like any other, so a typo goes "
                    f"unnoticed. Fix the name, or declare it with sn.axis({name!r}, ...)"
                )
        return None

    def static_ints(self) -> list[str]:
        """Int parameters without a default that a jit wrapper compiles for (jax.jit's
        static arguments, equinox.filter_jit's non-array ones): they are drawn like
        axis sizes. Names that read as an axis position (`axis`, `dim`) are not."""
        fn = self.fn.__func__ if inspect.ismethod(self.fn) else self.fn
        static = _static_argnames(fn)
        if not static:
            return []
        out = []
        for p in self.plan.all_params:
            hint = getattr(p.spec, "hint", None)
            if p.name not in static or not (hint is int or int in typing.get_args(hint)):
                continue
            try:
                default = inspect.signature(fn).parameters[p.name].default
            except (KeyError, TypeError, ValueError):
                continue
            if default is inspect.Parameter.empty and p.name not in _POSITION_NAMES:
                out.append(p.name)
        return out


def _one_edit(a: str, b: str) -> bool:
    """Whether `b` is `a` with one letter changed, added, removed, or two
    neighbours swapped (a typo)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def package_of(fn: Any) -> str:
    """The top-level package a function was written in."""
    inner = getattr(fn, "__func__", fn)
    try:
        inner = inspect.unwrap(inner)
    except ValueError:
        pass
    return (getattr(inner, "__module__", None) or "").split(".")[0]


_POSITION_NAMES = frozenset({"axis", "axes", "dim", "dims", "index", "idx", "position"})


def _static_argnames(fn: Any) -> set[str]:
    """The parameters a jit wrapper treats as static: `jax.jit`'s static_argnames
    and static_argnums (read from the jitted object's `_jit_info`, absent in other
    jax versions: then none), or every parameter of an `equinox.filter_jit`
    function (non-array arguments are static there)."""
    info = getattr(fn, "_jit_info", None)
    if info is not None:
        names = set(getattr(info, "static_argnames", ()) or ())
        nums = set(getattr(info, "static_argnums", ()) or ())
        try:
            params = list(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            params = []
        names |= {params[i] for i in nums if 0 <= i < len(params)}
        return names
    if type(fn).__module__.startswith("equinox") and hasattr(fn, "__wrapped__"):
        try:
            return set(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            return set()
    return set()


def _bound(fn: Any) -> tuple[Any, Any] | None:
    """(instance, function) for a bound method: python's, equinox's `BoundMethod`,
    or the `Partial(jitted, instance)` equinox makes of a `filter_jit`-ed method."""
    if inspect.ismethod(fn):
        return fn.__self__, fn.__func__
    if getattr(fn, "__self__", None) is not None and inspect.isfunction(
        getattr(fn, "__func__", None)
    ):
        return fn.__self__, fn.__func__
    func, args = getattr(fn, "func", None), getattr(fn, "args", None)
    if (
        func is None
        or not isinstance(args, tuple)
        or len(args) != 1
        or getattr(fn, "keywords", None)
    ):
        return None
    inner = inspect.unwrap(func) if hasattr(func, "__wrapped__") else None
    if not inspect.isfunction(inner):
        return None
    first = next(iter(inspect.signature(inner).parameters), None)
    return (args[0], func) if first == "self" else None


def make_subject(
    fn: Any, *, require_arrays: bool = True, kinds: Mapping[str, str] | None = None
) -> Subject:
    """Accept a `@sn.shaped` function, a plain function with jaxtyping annotations,
    or a bound method of an instance."""
    instance = None
    func = fn
    bound = _bound(fn)
    if bound is not None:
        instance, func = bound
    shaped = plan_of(func) is not None
    plan = plan_for(func)
    # like sn.check_package: code not written for shapely_nn shares no axes with
    # the fields of `self` (a method's N is often not the instance's N)
    checked = func if shaped else decorate(func, kinds=None, free_symbols=True, class_scope=False)
    if instance is not None:
        checked = checked.__get__(instance, type(instance))
    subject = Subject(fn, checked, plan, plan.name, instance, dict(kinds or {}))
    if require_arrays and not any(has_arrays(s) for s in subject.specs()):
        raise Skip("no jaxtyping array annotations")
    return subject


def as_union(spec: Spec) -> UnionSpec | None:
    """`spec` as a union of specs, also for a union left to beartype as a whole
    because one option is not an array annotation (`int | Int[Array, " n"]`)."""
    if isinstance(spec, UnionSpec):
        return spec
    if isinstance(spec, FallbackSpec) and is_union(spec.hint):
        args = typing.get_args(spec.hint)
        return UnionSpec(tuple(spec_from_hint(a) for a in args), spec.hint)
    return None


def union_choice(spec: UnionSpec) -> Spec | None:
    """The option of a union the generator draws from: an array annotation,
    preferably a jax one (so the jit/grad/vmap properties apply), else the first
    option that is not None."""
    import numpy as np

    options = [o for o in spec.options if not isinstance(o, NoneSpec)]
    arrays = [o for o in options if isinstance(o, ArraySpec)]
    jax_arrays = [a for a in arrays if a.array_type is not np.ndarray]
    return (jax_arrays or arrays or options or [None])[0]


def drawn_arrays(spec: Spec) -> list[ArraySpec]:
    """The array annotations the generator draws values for, inside `spec`."""
    if isinstance(spec, ArraySpec):
        return [spec]
    union = as_union(spec)
    if union is not None:
        choice = union_choice(union)
        return drawn_arrays(choice) if choice is not None else []
    if isinstance(spec, StructSpec):
        return [a for _, f in spec.fields for a in drawn_arrays(f)]
    if isinstance(spec, TupleSpec):
        return [a for i in spec.items for a in drawn_arrays(i)]
    return []
