"""`@sn.shaped`: the checking decorator."""

from __future__ import annotations

import functools
import inspect
import sys
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, overload

from . import _config
from . import _jaxtyping_bridge as jb
from ._axes import registry
from ._diagnose import Bound, collect_leaves, find_problem, run
from ._errors import AnnotationError, AnnotationWarning, ShapeError
from ._match import FREE, match, match_array
from ._message import render
from ._relations import check_sizes
from ._signature import Plan, build_plan, display_name, unchecked_plan
from ._spec import ArraySpec
from ._strict import check_strict
from ._values import check_leaves

__all__ = ["decorate", "observe_outputs", "shaped"]

F = TypeVar("F", bound=Callable[..., Any])

_STATE = _config.STATE
_TRACED = _config.TRACED
_LOCAL = _config.LOCAL
_OFF = "off"
_STRICT = "strict"
_REG = registry()
_MISSING = object()
# callbacks told each checked function's output (`observe_outputs`): parity
# compares a re-implementation's sub-functions with the reference's modules
_OBSERVERS: list[Callable[[Plan, tuple, dict, Any], None]] = []


class observe_outputs:
    """`with observe_outputs(callback):` calls `callback(plan, args, kwargs,
    output)` after every checked call of an `@sn.shaped` function in the block
    (in call order; a nested call reports before the call that made it)."""

    def __init__(self, callback: Callable[[Plan, tuple, dict, Any], None]) -> None:
        self.callback = callback

    def __enter__(self) -> None:
        _OBSERVERS.append(self.callback)

    def __exit__(self, *exc: object) -> None:
        _OBSERVERS.remove(self.callback)


@overload
def shaped(fn: F, /) -> F: ...
@overload
def shaped(
    *,
    kinds: dict[str, str] | None = None,
    check_traced: bool | None = None,
    doc: bool = False,
    test_sizes: dict[str, Any] | None = None,
    test_fixed: dict[str, Any] | None = None,
    test_unused: tuple[str, ...] | list[str] | None = None,
) -> Callable[[F], F]: ...
def shaped(
    fn: Any = None,
    /,
    *,
    kinds: dict[str, str] | None = None,
    check_traced: bool | None = None,
    doc: bool = False,
    test_sizes: dict[str, Any] | None = None,
    test_fixed: dict[str, Any] | None = None,
    test_unused: tuple[str, ...] | list[str] | None = None,
) -> Any:
    """Check a function's array arguments and return value against their jaxtyping
    annotations, with all of them sharing one set of axis sizes.

    ```python
    @sn.shaped
    def linear(x: Float[Array, "batch feature"], w: Float[Array, "feature hidden"]
               ) -> Float[Array, "batch hidden"]:
        return x @ w
    ```

    Bare or with options: `@sn.shaped(kinds={"batch": "plain"})` overrides the
    declared kind of an axis for this function (the test generator reads it);
    `check_traced=True` runs its value constraints inside compiled code too
    (default: `sn.get_check_traced()`); `doc=True` appends a "Shapes" section
    to the function's `__doc__`, so `help(fn)` shows each value's axes.
    `test_sizes` and `test_fixed` tell the test generator what the annotations
    cannot (the defaults of `sn.testing.check`'s `sizes=` and `fixed=`):
    `test_sizes={"q_heads": "2*kv_heads"}`, `test_fixed={"eps": 1e-5}`;
    `test_unused=["mask"]` lists inputs allowed not to influence the outputs.
    Works on functions, methods and `__call__` of NamedTuples, dataclasses and
    equinox modules; inside `jax.jit` the check runs once, while tracing.
    In mode "off" at decoration time the function itself is returned.
    """
    if kinds is not None and not isinstance(kinds, dict):
        raise TypeError(f"@sn.shaped: kinds must be a dict of axis name -> kind, got {kinds!r}")
    if check_traced is not None and not isinstance(check_traced, bool):
        raise TypeError(
            f"@sn.shaped: check_traced must be True, False or None, got {check_traced!r}"
        )
    if not isinstance(doc, bool):
        raise TypeError(f"@sn.shaped: doc must be True or False, got {doc!r}")
    test = _test_options(test_sizes, test_fixed, test_unused)
    if fn is None:

        def decorator(fn: Any) -> Any:
            out = decorate(fn, kinds=kinds, check_traced=check_traced, localns=_caller_locals())
            if test:
                target = out.__func__ if isinstance(out, (staticmethod, classmethod)) else out
                target.__shapely_nn_test__ = test
            return _add_doc(out) if doc else out

        return decorator
    return decorate(fn, kinds=kinds, check_traced=check_traced, localns=_caller_locals())


def _test_options(sizes: Any, fixed: Any, unused: Any = None) -> dict[str, Any]:
    if sizes is not None:
        if not isinstance(sizes, dict):
            raise TypeError(f"@sn.shaped: test_sizes must be a dict of axis -> size, got {sizes!r}")
        check_sizes(sizes, "@sn.shaped(test_sizes=...)")
    if fixed is not None and not isinstance(fixed, dict):
        raise TypeError(
            f"@sn.shaped: test_fixed must be a dict of argument -> value, got {fixed!r}"
        )
    if unused is not None and (
        isinstance(unused, str) or not all(isinstance(u, str) for u in unused)
    ):
        raise TypeError(f"@sn.shaped: test_unused must list argument names, got {unused!r}")
    out: dict[str, Any] = {k: dict(v) for k, v in (("sizes", sizes), ("fixed", fixed)) if v}
    if unused:
        out["unused"] = list(unused)
    return out


def _add_doc(fn: Any) -> Any:
    """Append a plain-text "Shapes" section (for `help(fn)`) to `fn.__doc__`."""
    from ._render import shapes_section

    target = fn.__func__ if isinstance(fn, (staticmethod, classmethod)) else fn
    section = shapes_section(target)
    if section:
        base = (target.__doc__ or "").rstrip()
        target.__doc__ = f"{base}\n\n{section}" if base else section
    return fn


def _caller_locals() -> dict[str, Any] | None:
    """Locals of the scope applying the decorator (two frames up), so string
    annotations (`from __future__ import annotations`) may name local classes."""
    frame = sys._getframe(2)
    try:
        if frame.f_code.co_flags & inspect.CO_NEWLOCALS:  # a function scope
            return dict(frame.f_locals)
        return None  # module or class scope: globals (or the class body) suffice
    finally:
        del frame


def decorate(
    fn: Any,
    *,
    kinds: dict[str, str] | None,
    check_traced: bool | None = None,
    localns: dict[str, Any] | None = None,
    lenient: bool = False,
    class_scope: bool = True,
    free_symbols: bool = False,
    free_values: dict[str, int] | None = None,
) -> Any:
    """`lenient` (sn.check_package): an annotation that cannot be used leaves the
    function unchecked with an `AnnotationWarning` instead of raising, and a
    symbolic axis using a name nothing binds is left unchecked.
    `free_symbols` (the test generator) allows such axes too, and `free_values`
    gives those names values, so the axes are checked after all (the generator
    draws them like axis sizes).
    `class_scope`: whether a method's axes are shared with the fields of `self`."""
    free_symbols = free_symbols or lenient
    if isinstance(fn, (staticmethod, classmethod)):
        return type(fn)(
            decorate(
                fn.__func__,
                kinds=kinds,
                check_traced=check_traced,
                localns=localns,
                lenient=lenient,
                class_scope=class_scope,
                free_symbols=free_symbols,
                free_values=free_values,
            )
        )
    if getattr(fn, "__shapely_nn_auto__", False):
        # wrapped by sn.check_package's import hook, now decorated by hand: the
        # explicit decoration (and its options) wins, without checking twice
        fn = fn.__wrapped__
    if not callable(fn):
        raise TypeError(f"@sn.shaped decorates functions, not {type(fn).__name__} {fn!r}")
    if inspect.isclass(fn):
        raise TypeError(
            f"@sn.shaped decorates functions and methods, not the class {fn.__qualname__}; "
            "decorate its __call__ (or other methods) instead"
        )
    if _config.get_mode() == _OFF:
        return fn
    name = display_name(fn)
    holder: list[Plan | None] = [None]
    try:
        holder[0] = build_plan(
            fn, name, kinds, localns, class_scope=class_scope, free_symbols=free_symbols
        )
    except NameError:
        # a forward reference not defined yet (a class defined later in the module):
        # resolve at the first call instead
        pass
    except AnnotationError as e:
        if not lenient:
            raise
        _leave_unchecked(fn, e)
        return fn

    def get_plan() -> Plan:
        plan = holder[0]
        if plan is None:
            try:
                plan = build_plan(
                    fn,
                    name,
                    kinds,
                    localns,
                    final=True,
                    class_scope=class_scope,
                    free_symbols=free_symbols,
                )
            except AnnotationError as e:
                if not lenient:
                    raise
                _leave_unchecked(fn, e)
                plan = unchecked_plan(fn, name)
            holder[0] = plan
        return plan

    def call(mode: str, args: tuple, kwargs: dict) -> Any:
        __tracebackhide__ = True
        plan = holder[0] or get_plan()
        if plan.seed_version != _REG.version:
            plan.refresh_seed()
        single = plan.seed.copy() if plan.seed else {}
        variadic: dict[str, Any] = {}
        # one jaxtyping memo frame for the whole call: the body's isinstance
        # checks see the arguments' bindings, and the structure names of
        # `PyTree[..., "S"]` are shared by the arguments, the fields, the return
        # (and not by the calls it makes, which open their own frames)
        jb.memo_push(single, variadic, {}, {})
        try:
            argvals = _argvals(plan, args, kwargs, free_values) if plan.needs_argvals else None
            nargs = len(args)
            for p in plan.params:
                i = p.index
                if 0 <= i < nargs:
                    v = args[i]
                elif kwargs and p.keyword:
                    v = kwargs.get(p.name, _MISSING)
                    if v is _MISSING:
                        continue
                else:
                    continue
                spec = p.spec
                if type(spec) is ArraySpec:
                    if not match_array(spec, v, single, variadic, argvals):
                        _fail_args(plan, args, kwargs, argvals)
                elif p.is_self:
                    sspec = plan.self_spec(v)
                    if sspec is not None and not match(sspec, v, single, variadic, argvals):
                        _fail_args(plan, args, kwargs, argvals)
                elif not match(spec, v, single, variadic, argvals):
                    _fail_args(plan, args, kwargs, argvals)
            if plan.varargs is not None or plan.varkw is not None:
                _check_var(plan, args, kwargs, single, variadic, argvals)
            # strict mode is for one's own code; a package instrumented by
            # sn.check_package is checked with jaxtyping's meaning
            if mode is _STRICT and not plan.unchecked and not lenient:
                check_strict(plan, args, kwargs)
            if plan.value_params:
                traced = _TRACED["enabled"] if check_traced is None else check_traced
                who = _Who(plan, args, kwargs)
                for p, v in plan.arguments(args, kwargs):
                    if p in plan.value_params:
                        check_leaves(plan.name, p.spec, v, p.name, single, traced, who)
            out = fn(*args, **kwargs)
            single, variadic = jb.memo_read()
            ret = plan.ret
            if ret is not None and not match(ret, out, single, variadic, argvals):
                _fail_return(plan, args, kwargs, out, argvals)
            if plan.ret_values:
                assert ret is not None
                traced = _TRACED["enabled"] if check_traced is None else check_traced
                check_leaves(
                    plan.name, ret, out, "return", single, traced, _Who(plan, args, kwargs)
                )
            if _OBSERVERS:
                for observer in tuple(_OBSERVERS):
                    observer(plan, args, kwargs, out)
        finally:
            jb.memo_pop()
        return out

    # The wrapper stays tiny: with checks off it costs one attribute read and two
    # identity tests more than a bare pass-through (few closure cells to copy).
    state = _STATE
    local = _LOCAL
    off = _OFF

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        mode = state.fast
        if mode is None:  # some thread is inside `with sn.mode(...)`
            mode = local.override or state.mode
        if mode is off:
            return fn(*args, **kwargs)
        __tracebackhide__ = True
        return call(mode, args, kwargs)

    wrapper.__shapely_nn__ = get_plan  # type: ignore[attr-defined]
    # the plan if it is built already (None while a forward reference waits)
    wrapper.__shapely_nn_built__ = lambda: holder[0]  # type: ignore[attr-defined]
    wrapper.__shapely_nn_kinds__ = dict(kinds or {})  # type: ignore[attr-defined]
    return wrapper


def _leave_unchecked(fn: Any, error: AnnotationError) -> None:
    where = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}"
    warnings.warn(
        f"shapely_nn leaves {where} unchecked: {error}",
        AnnotationWarning,
        stacklevel=4,
    )


class _Who:
    """Who bound an axis, worked out only when a message needs it."""

    __slots__ = ("args", "kwargs", "plan")

    def __init__(self, plan: Plan, args: tuple, kwargs: dict) -> None:
        self.plan, self.args, self.kwargs = plan, args, kwargs

    def __call__(self, axis: str) -> str | None:
        bound, _, _ = run(
            _arg_leaves(self.plan, self.args, self.kwargs), _seed_bound(self.plan), None
        )
        return bound.who.get(axis)


def _argvals(
    plan: Plan, args: tuple, kwargs: dict, free_values: dict[str, int] | None = None
) -> dict[str, Any]:
    values = {p.name: v for p, v in plan.arguments(args, kwargs)}
    for n, default in plan.symbol_defaults.items():
        values.setdefault(n, default)
    for n in plan.free_symbols:
        values.setdefault(n, (free_values or {}).get(n, FREE))
    return values


def _check_var(
    plan: Plan, args: tuple, kwargs: dict, single: dict, variadic: dict, argvals: Any
) -> None:
    if plan.varargs is not None:
        for v in args[plan.n_positional :]:
            if not match(plan.varargs.spec, v, single, variadic, argvals):
                _fail_args(plan, args, kwargs, argvals)
    if plan.varkw is not None:
        for k, v in kwargs.items():
            if k not in plan.keyword_names and not match(
                plan.varkw.spec, v, single, variadic, argvals
            ):
                _fail_args(plan, args, kwargs, argvals)


def _arg_leaves(plan: Plan, args: tuple, kwargs: dict) -> list:
    leaves = []
    for p, v in plan.arguments(args, kwargs):
        if p.is_self:
            spec = plan.self_spec(v)
            if spec is None:
                continue
        else:
            spec = p.spec
            if not p.annotated:
                continue
        leaves.extend(collect_leaves(spec, v, p.name))
    return leaves


def _seed_bound(plan: Plan) -> Bound:
    b = Bound()
    for n, size in plan.seed.items():
        b.sizes[n] = size
        b.who[n] = f"sn.axis({n!r}, size={size})"
    return b


def _fail_args(plan: Plan, args: tuple, kwargs: dict, argvals: Any) -> None:
    __tracebackhide__ = True
    finding = find_problem(_arg_leaves(plan, args, kwargs), None, _seed_bound(plan), argvals)
    if finding is None:  # pragma: no cover - the fast and slow paths disagree
        raise ShapeError(f"{plan.name}(): the arguments do not match their annotations")
    raise ShapeError(render(plan.name, finding))


def _fail_return(plan: Plan, args: tuple, kwargs: dict, out: Any, argvals: Any) -> None:
    __tracebackhide__ = True
    assert plan.ret is not None
    finding = find_problem(
        _arg_leaves(plan, args, kwargs),
        collect_leaves(plan.ret, out, "return"),
        _seed_bound(plan),
        argvals,
    )
    if finding is None:  # pragma: no cover
        raise ShapeError(f"{plan.name}(): the return value does not match its annotation")
    raise ShapeError(render(plan.name, finding))
