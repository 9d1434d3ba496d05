"""A function's annotations compiled once into a `Plan` the wrapper runs per call."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._annotations import Scope, spec_axes, spec_from_hint, struct_fields
from ._axes import check_kind, registry
from ._errors import AnnotationError
from ._hints import caret_under_axis, function_hints
from ._spec import AnySpec, ArraySpec, Spec, StructSpec, has_arrays

__all__ = ["Param", "Plan", "build_plan", "display_name", "plan_for", "plan_of", "unchecked_plan"]

_P = inspect.Parameter


@dataclass(frozen=True)
class Param:
    name: str
    index: int  # position among positional parameters, -1 for keyword-only
    spec: Spec
    annotated: bool
    is_self: bool = False  # an unannotated first `self`: fields checked by its type
    keyword: bool = True  # may be passed by keyword (False for positional-only)


@dataclass
class Plan:
    fn: Any
    name: str
    params: tuple[Param, ...]  # parameters whose values are checked
    all_params: tuple[Param, ...]
    n_positional: int
    varargs: Param | None
    varkw: Param | None
    ret: Spec | None
    kinds: dict[str, str]
    needs_argvals: bool
    axis_names: frozenset[str]
    # declared sizes of the axes this function uses: refreshed when the registry changes
    seed: dict[str, int] = field(default_factory=dict)
    seed_version: int = -1
    self_cache: dict[type, Spec | None] = field(default_factory=dict)
    # parameters (and whether the return) carry value constraints
    value_params: tuple[Param, ...] = ()
    ret_values: bool = False
    unchecked: bool = False  # left unchecked on purpose (see unchecked_plan)
    # names used only inside symbolic axes that nothing binds ('(max_degree+1)**2'
    # with no max_degree): those axes are left unchecked (see build_plan)
    free_symbols: frozenset[str] = frozenset()
    # defaults of the int arguments symbolic axes use, for calls that omit them
    symbol_defaults: dict[str, Any] = field(default_factory=dict)
    # the axis names the annotations use, in order of first appearance (what the
    # docs, `shapely-nn axes` and `sn.axes().used_by` report)
    axes_used: tuple[str, ...] = ()

    @functools.cached_property
    def keyword_names(self) -> frozenset[str]:
        """Parameters that may be passed by keyword; other keywords go to **kwargs."""
        return frozenset(p.name for p in self.all_params if p.keyword)

    def has_arrays(self) -> bool:
        """Whether any parameter or the return carries an array annotation."""
        return any(has_arrays(s) for s in self.specs())

    def specs(self) -> list[Spec]:
        """Every annotation of the function: parameters, *args, **kwargs, return."""
        out = [p.spec for p in self.all_params]
        out += [p.spec for p in (self.varargs, self.varkw) if p is not None]
        if self.ret is not None:
            out.append(self.ret)
        return out

    def refresh_seed(self) -> None:
        reg = registry()
        self.seed = {
            n: ax.size
            for n in self.axis_names
            if (ax := reg.get(n)) is not None and ax.size is not None
        }
        self.seed_version = reg.version

    def self_spec(self, value: Any) -> Spec | None:
        t = type(value)
        try:
            return self.self_cache[t]
        except KeyError:
            pass
        fields = struct_fields(t, where=self.name) if isinstance(t, type) else None
        spec = StructSpec(t, fields, check_isinstance=False) if fields else None
        self.self_cache[t] = spec
        return spec

    def arguments(self, args: tuple, kwargs: dict) -> list[tuple[Param, Any]]:
        """(param, value) pairs in signature order, for the values that were passed."""
        out: list[tuple[Param, Any]] = []
        nargs = len(args)
        for p in self.all_params:
            if 0 <= p.index < nargs:
                out.append((p, args[p.index]))
            elif p.keyword and p.name in kwargs:
                out.append((p, kwargs[p.name]))
        if self.varargs is not None:
            for i, v in enumerate(args[self.n_positional :]):
                out.append((Param(f"{self.varargs.name}[{i}]", -3, self.varargs.spec, True), v))
        if self.varkw is not None:
            for k, v in kwargs.items():
                if k not in self.keyword_names:
                    out.append(
                        (
                            Param(f"{self.varkw.name}[{k!r}]", -3, self.varkw.spec, True),
                            v,
                        )
                    )
        return out


def build_plan(
    fn: Any,
    name: str,
    kinds: dict[str, str] | None,
    localns: dict[str, Any] | None = None,
    *,
    final: bool = False,
    class_scope: bool = True,
    free_symbols: bool = False,
) -> Plan:
    """Compile `fn`'s annotations. Raises `NameError` for a name not defined yet
    unless `final` (the first call), where such an annotation is left unchecked
    if it is not an array annotation, and is an `AnnotationError` if it is."""
    globalns = getattr(inspect.unwrap(fn), "__globals__", None) or {}
    # code not written for shapely_nn (class_scope off) reads as jaxtyping does:
    # a dataclass argument's or return's fields are checked among themselves
    scope = Scope({**globalns, **(localns or {})}, final, structs_own_scope=not class_scope)
    target = inspect.unwrap(fn, stop=lambda f: hasattr(f, "__signature__"))
    hints = function_hints(target, name, localns, final=final)
    return _build_plan(fn, name, kinds, hints, class_scope, scope, free_symbols)


def display_name(fn: Any) -> str:
    """How messages and reports name a function: its qualified name, with a
    closure's 'outer.<locals>.' dropped ('f', not 'outer.<locals>.f')."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    return name.rsplit("<locals>.", 1)[-1]


def plan_of(fn: Any) -> Plan | None:
    """The compiled plan of a `@sn.shaped` function (None for anything else)."""
    get = getattr(fn, "__shapely_nn__", None)
    return get() if get is not None else None


def plan_for(fn: Any) -> Plan:
    """The plan of a `@sn.shaped` function, or one built from a plain function's
    annotations (names that stay undefined are final)."""
    plan = plan_of(fn)
    if plan is not None:
        return plan
    return build_plan(fn, display_name(fn), None, final=True, free_symbols=True)


def unchecked_plan(fn: Any, name: str) -> Plan:
    """A plan that checks nothing, for a function left unchecked on purpose."""
    plan = _build_plan(fn, name, None, {}, False, Scope(), False)
    plan.params, plan.value_params = (), ()
    plan.varargs = plan.varkw = None
    plan.unchecked = True
    return plan


def _build_plan(
    fn: Any,
    name: str,
    kinds: dict[str, str] | None,
    hints: dict[str, Any],
    class_scope: bool,
    scope: Scope,
    free_symbols: bool,
) -> Plan:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as e:
        raise AnnotationError(f"{name}: cannot read its signature: {e}") from e
    all_params: list[Param] = []
    # the fields of `self` bind axes in the method's scope, except in __init__
    # (they are not set yet) and where class scope is off (sn.check_package)
    fields_in_scope = class_scope and getattr(inspect.unwrap(fn), "__name__", "") != "__init__"
    varargs = varkw = None
    n_pos = 0
    first = True
    for p in sig.parameters.values():
        hint = hints.get(p.name, inspect.Parameter.empty)
        annotated = p.name in hints
        spec = spec_from_hint(hint, where=f"{name}(), argument {p.name!r}", scope=scope)
        is_self = (
            first
            and fields_in_scope
            and not annotated
            and p.name in ("self", "cls")
            and p.kind in (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD)
        )
        first = False
        if p.kind in (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD):
            all_params.append(
                Param(
                    p.name,
                    n_pos,
                    spec,
                    annotated,
                    is_self,
                    p.kind is not _P.POSITIONAL_ONLY,
                )
            )
            n_pos += 1
        elif p.kind is _P.KEYWORD_ONLY:
            all_params.append(Param(p.name, -1, spec, annotated))
        elif p.kind is _P.VAR_POSITIONAL:
            varargs = Param(p.name, -3, spec, annotated)
        else:
            varkw = Param(p.name, -3, spec, annotated)
    ret: Spec | None = None
    target = inspect.unwrap(fn)
    produces_later = (
        inspect.isgeneratorfunction(target)
        or inspect.iscoroutinefunction(target)
        or inspect.isasyncgenfunction(target)
    )
    # a generator or coroutine returns a generator/coroutine object, not the value
    # its return annotation describes: only its arguments are checked
    if "return" in hints and not produces_later:
        ret = spec_from_hint(hints["return"], where=f"{name}(), return", scope=scope)
        if isinstance(ret, AnySpec):
            ret = None  # `-> Any`: nothing to check
    checked = tuple(p for p in all_params if p.is_self or not isinstance(p.spec, AnySpec))
    specs = [p.spec for p in all_params] + ([ret] if ret is not None else [])
    specs += [p.spec for p in (varargs, varkw) if p is not None]
    leaves: list[ArraySpec] = []
    for s in specs:
        leaves.extend(a for _, a in s.array_leaves("x"))
    names = frozenset().union(*(a.names() for a in leaves)) if leaves else frozenset()
    dim_names = set(names)
    # axes named by constraints (IndexInto) need their declared sizes seeded too
    names |= {c.axis for a in leaves for c in a.constraints if getattr(c, "axis", None)}
    # symbolic axes may use int arguments by name: "(max_degree+1)**2"
    param_names = {p.name for p in all_params if not p.is_self}
    arg_symbols = {
        n for a in leaves for n in a.symbol_names() if n in param_names and n not in dim_names
    }
    free = _check_consistency(name, all_params, ret, leaves, arg_symbols, free_symbols)
    needs_argvals = bool(arg_symbols or free) or any(
        "{" in (d.expr or "") for a in leaves for d in a.dims
    )
    kinds = dict(kinds or {})
    for axis_name, kind in kinds.items():
        check_kind(kind, f"@sn.shaped(kinds=...) on {name}")
        if axis_name not in names:
            raise AnnotationError(
                f"{name}: kinds= overrides axis {axis_name!r}, which none of its "
                f"annotations uses (it uses: {', '.join(sorted(names)) or 'none'})"
            )
    declared = {a.name: a.size for a in registry() if a.size is not None}
    value_params = []
    for p in all_params + [q for q in (varargs, varkw) if q is not None]:
        constrained = [(path, a) for path, a in p.spec.array_leaves(p.name) if a.constraints]
        for path, a in constrained:
            _validate_constraints(name, path, a, dim_names, declared)
        if constrained and p.index != -3:
            value_params.append(p)
        elif constrained:
            raise AnnotationError(
                f"{name}: value constraints on *args/**kwargs ({p.name}) are not supported; "
                "give the values named parameters"
            )
    ret_values = False
    if ret is not None:
        for path, a in ret.array_leaves("return"):
            if a.constraints:
                _validate_constraints(name, path, a, dim_names, declared)
                ret_values = True
    plan = Plan(
        fn=fn,
        name=name,
        params=checked,
        all_params=tuple(all_params),
        n_positional=n_pos,
        varargs=varargs if varargs is not None and not isinstance(varargs.spec, AnySpec) else None,
        varkw=varkw if varkw is not None and not isinstance(varkw.spec, AnySpec) else None,
        ret=ret,
        kinds=kinds,
        needs_argvals=needs_argvals,
        free_symbols=frozenset(free),
        symbol_defaults={
            n: sig.parameters[n].default
            for n in arg_symbols
            if sig.parameters[n].default is not inspect.Parameter.empty
        },
        axis_names=names,
        value_params=tuple(value_params),
        ret_values=ret_values,
        axes_used=tuple(
            spec_axes(
                [p.spec for p in all_params]
                + [p.spec for p in (varargs, varkw) if p is not None]
                + ([ret] if ret is not None else [])
            )
        ),
    )
    plan.refresh_seed()
    registry().note_use(plan.axes_used, name)
    return plan


def _validate_constraints(
    name: str, path: str, spec: ArraySpec, bound: set[str], declared: Mapping[str, int | None]
) -> None:
    """Decoration-time checks that each constraint on `spec` can be evaluated."""
    for c in spec.constraints:
        c.validate(f"{name}: {c!r} on {path}", spec, bound, declared)


def _check_consistency(
    name: str,
    params: list[Param],
    ret: Spec | None,
    leaves: list[ArraySpec],
    arg_symbols: set[str],
    free_symbols: bool,
) -> set[str]:
    """Contradictions visible before any call. Returns the names symbolic axes
    use that nothing binds, where `free_symbols` allows them (else they are an
    AnnotationError)."""
    singles: set[str] = set()
    variadics: set[str] = set()
    for a in leaves:
        singles.update(d.name for d in a.dims if d.name)
        if a.variadic is not None and a.variadic.name:
            variadics.add(a.variadic.name)
    both = sorted(singles & variadics)
    if both:
        raise AnnotationError(
            f"{name}: axis {both[0]!r} is used both as a single axis and as a "
            f"variadic '*{both[0]}'; jaxtyping keeps them apart, so they would "
            "never be compared. Rename one of them."
        )
    if any(p.is_self for p in params):
        # a method: the fields of `self` bind axes too (known only at call time), so
        # an unbound symbol may be bound there; evaluated (and reported) per call,
        # or, where free symbols are allowed, left unchecked if nothing binds it
        if not free_symbols:
            return set()
        bound_here = set(arg_symbols)
        for p in params:
            for _, a in p.spec.array_leaves(p.name):
                bound_here.update(d.name for d in a.dims if d.name)
        specs = [a for p in params for _, a in p.spec.array_leaves(p.name)]
        if ret is not None:
            specs += [a for _, a in ret.array_leaves("return")]
            bound_here.update(d.name for a in specs for d in a.dims if d.name)
        return {n for a in specs for n in a.symbol_names() if n not in bound_here}
    arg_singles: set[str] = set(arg_symbols)
    for p in params:
        if isinstance(p.spec, StructSpec) and p.spec.own_scope:
            continue  # its fields are checked among themselves: they bind no axis here
        for _, a in p.spec.array_leaves(p.name):
            arg_singles.update(d.name for d in a.dims if d.name)
    # a method whose `self` fields are out of scope (sn.check_package's default)
    note = (
        "\n  (the fields of self are not in this method's scope; "
        "sn.check_package(..., class_scope=True) puts them there)"
        if params and params[0].name == "self" and not params[0].annotated
        else ""
    )
    free: set[str] = set()
    for p in params:
        for path, a in p.spec.array_leaves(p.name):
            free |= _check_symbols(name, path, a, arg_singles, note, free_symbols)
    if ret is not None:
        # the return may also use axes its own parts bind: tuple[Shaped[Array, " size"],
        # Shaped[Array, " size-1"]] (lineax's tridiagonal)
        ret_leaves = ret.array_leaves("return")
        bound = arg_singles | {d.name for _, a in ret_leaves for d in a.dims if d.name}
        for path, a in ret_leaves:
            free |= _check_symbols(name, path, a, bound, note, free_symbols)
    return free


def _check_symbols(
    name: str, path: str, a: ArraySpec, bound: set[str], note: str, free_symbols: bool
) -> set[str]:
    free: set[str] = set()
    for expr, names in a.symbols_by_axis().items():
        missing = [m for m in dict.fromkeys(names) if m not in bound]
        if missing and free_symbols:
            free.update(missing)
        elif missing:
            text = a.annotation_str()
            raise AnnotationError(
                f"{name}: the symbolic axis {expr!r} in {path} uses "
                f"{', '.join(repr(m) for m in missing)}, which neither an axis of an "
                f"argument nor an int argument binds, so it could never be evaluated:\n"
                f"{caret_under_axis(text, a.dim_str, expr)}{note}"
            )
    return free
