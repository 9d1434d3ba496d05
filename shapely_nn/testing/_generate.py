"""Tests for a whole module or package: finding its annotated functions
(`discover`), checking one (`run_case`), and the pytest test of
`sn.testing.generate_tests`."""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._discovery import annotated_functions, iter_modules, load_target
from ._check import PROPERTIES, check, run_check
from ._instances import MethodCase
from ._report import PropertyResult, Report
from ._settings import Settings
from ._subject import Skip, make_subject

__all__ = ["discover", "generate_tests", "run_case"]


def discover(target: Any, *, private: bool = True) -> list[tuple[str, Any]]:
    """(name, callable) for every function with jaxtyping annotations in a module
    or package, whatever wraps it (`jax.jit`, `equinox.filter_jit`,
    `functools.wraps` decorators), private ones too unless `private=False`, and
    the annotated methods of its classes: static and class methods are called
    on the class, the others on an instance (see `MethodCase`)."""
    if isinstance(target, str):
        target = load_target(target)
    if not isinstance(target, types.ModuleType):
        raise TypeError(f"expected a module, a package or its dotted name, got {target!r}")
    found: list[tuple[str, Any]] = []
    for f in annotated_functions(target, iter_modules(target), private=private):
        method = f.name.rsplit(".", 1)[-1]
        if f.binding == "method":
            if _annotated(f.fn):
                found.append((f.name, MethodCase(f.owner, method)))  # type: ignore[arg-type]
            continue
        case = f.fn if f.owner is None else getattr(f.owner, method)
        if _annotated(case):
            found.append((f.name, case))
    return found


def _annotated(fn: Any) -> bool:
    """Whether `fn` has jaxtyping array annotations (or ones that fail to resolve,
    which its test then reports)."""
    try:
        make_subject(fn)
    except Skip:
        return False
    except Exception:
        return True
    return True


def run_case(obj: Any, options: dict[str, Any]) -> Report:
    if isinstance(obj, MethodCase):
        return _check_method(obj, options)
    return check(obj, **options)


def _check_method(case: MethodCase, options: dict[str, Any]) -> Report:
    user = dict(options.get("sizes") or {})
    try:
        method, sizes, guess = case.bound(user, options.get("seed", 0))
    except Skip as e:
        props = tuple(options.get("properties") or PROPERTIES)
        reason = (
            f"cannot build an instance of {case.cls.__qualname__} to call it on: {e}; "
            f"check it on one you build: sn.testing.check(instance.{case.name})"
        )
        return Report(case.__qualname__, [PropertyResult(p, "skipped", reason) for p in props])
    cls = case.cls.__qualname__
    instance_guess = (
        (
            f"an instance of {cls} built from constructor arguments it made up",
            f"register a factory for a valid one: sn.testing.register({cls}, make)",
        )
        if guess
        else None
    )
    return run_check(method, **{**options, "sizes": sizes}, instance_guess=instance_guess)


def full_name(case: Any) -> str:
    """A case's dotted name where it is defined: `pkg.mod.Class.method`."""
    if isinstance(case, MethodCase):
        return f"{case.cls.__module__}.{case.cls.__qualname__}.{case.name}"
    fn = getattr(case, "__func__", case)
    try:
        fn = inspect.unwrap(fn)
    except ValueError:
        pass
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def parameters(case: Any) -> set[str]:
    """The names of a case's parameters ("**" among them if it takes **kwargs)."""
    fn = getattr(case.cls, case.name) if isinstance(case, MethodCase) else case
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return set()
    return {"**" if p.kind is p.VAR_KEYWORD else p.name for p in params}


def case_options(
    name: str, case: Any, options: dict[str, Any], settings: Settings | None
) -> dict[str, Any]:
    """`options` for one case, with what the configuration says about it underneath
    (explicit sizes and fixed values win key by key)."""
    if settings is None:
        return dict(options)
    own = settings.options_for(full_name(case), name, parameters(case))
    out = {**own, **options}
    for key in ("sizes", "fixed", "kinds"):
        if key in own and options.get(key):
            out[key] = {**own[key], **options[key]}
    for key in ("skip", "unused"):
        if key in own and options.get(key):
            out[key] = sorted(set(own[key]) | set(options[key]))
    return out


def generate_tests(
    target: Any, *, config: str | Settings | None = None, private: bool = True, **check_options: Any
) -> Callable[..., None]:
    """A pytest test, parametrized with one case per (function, property), for
    every annotated function of a module or package:

    ```python
    # tests/test_model.py
    import my_model
    import shapely_nn as sn

    test_my_model = sn.testing.generate_tests(my_model)
    ```

    Ids read `rnn[causal]`, so `pytest -k "rnn and causal"` selects one. Each
    function is checked once (all properties together, compiled functions reused)
    and each case reports its property: a failure shows the property's report,
    a skip (or a rejection: the function refused the drawn inputs) its reason.
    `config` is a configuration file (or `Settings`) for code one does not own,
    `private=False` leaves out functions whose names start with '_', and the
    other options are `sn.testing.check`'s.
    """
    import pytest

    settings = Settings.load(config) if isinstance(config, (str, Path)) else config
    if settings is not None:
        settings.apply()
    props = tuple(check_options.get("properties") or PROPERTIES)
    functions = discover(target, private=private)
    if not functions:
        raise ValueError(
            f"sn.testing.generate_tests: {target!r} has no functions with jaxtyping annotations"
        )
    cases = [(name, obj, p) for name, obj in functions for p in props]
    cache: dict[str, Report] = {}

    @pytest.mark.parametrize("case", cases, ids=[f"{n}[{p}]" for n, _, p in cases])
    def test_generated(case: tuple[str, Any, str]) -> None:
        __tracebackhide__ = True
        name, obj, prop = case
        if name not in cache:
            options = case_options(name, obj, {**check_options, "properties": props}, settings)
            cache[name] = run_case(obj, options)
        result = cache[name][prop]
        if result.status == "failed":
            pytest.fail(f"{name}[{prop}]\n{result.describe()}", pytrace=False)
        if result.status == "rejected":
            pytest.skip(f"rejected: {result.reason}")
        if result.status == "skipped":
            pytest.skip(result.reason)

    test_generated.__shapely_nn_generated__ = True  # type: ignore[attr-defined]
    return test_generated
