"""`init`, `dummy_args` and `generate_tests`."""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._target import iter_modules, load_target, public_functions
from ._check import PROPERTIES, check, checking_mode
from ._draw import Sizes, axis_names_of, build_struct, draw_example
from ._report import PropertyResult, Report
from ._target import Skip, Target, make_target

__all__ = ["discover", "dummy_args", "generate_tests", "init"]


def _seed(key: Any) -> int:
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return int(key)
    try:
        import jax

        data = (
            np.asarray(jax.random.key_data(key))
            if jax.numpy.issubdtype(key.dtype, jax.dtypes.prng_key)  # type: ignore[union-attr]
            else np.asarray(key)
        )
    except Exception as e:
        raise TypeError(f"expected a jax PRNG key or an int seed, got {key!r}") from e
    return int(
        np.uint64(np.sum(data.astype(np.uint64) * np.arange(1, data.size + 1, dtype=np.uint64)))
        % (2**31)
    )


def init(params_type: type, sizes: Mapping[str, int], key: Any) -> Any:
    """Parameters built from the annotated fields of a NamedTuple, dataclass or
    equinox module (nested ones too): float weights fan-in-scaled normal
    (`normal / sqrt(fan_in)`), vectors `0.1 * normal`, integer fields in range.

    ```python
    params = sn.testing.init(RNNParams, {"feature": 4, "hidden": 8}, jax.random.key(0))
    ```
    """
    if not isinstance(sizes, Mapping):
        raise TypeError(
            f"sn.testing.init: sizes must be a dict of axis name -> size, got {sizes!r}"
        )
    with checking_mode():
        try:
            return build_struct(params_type, sizes, _seed(key))
        except Skip as s:
            raise ValueError(
                f"sn.testing.init({getattr(params_type, '__qualname__', params_type)}): {s}"
            ) from None


def dummy_args(
    fn: Callable[..., Any],
    sizes: Mapping[str, int] | None = None,
    key: Any = 0,
    *,
    fixed: Mapping[str, Any] | None = None,
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Arguments for `fn` drawn from its annotations: `(args, kwargs)`.

    Sizes are shared across arguments and parameter fields; axes missing from
    `sizes` get distinct sizes of their own. Non-array arguments come from their
    defaults or `fixed=`.

    ```python
    args, kwargs = sn.testing.dummy_args(rnn, {"batch": 2}, jax.random.key(0))
    rnn(*args, **kwargs)
    ```
    """
    seed = _seed(key)
    with checking_mode():
        try:
            target = make_target(fn)
        except Skip as s:
            raise ValueError(
                f"sn.testing.dummy_args: cannot draw arguments for {fn!r}: {s}"
            ) from None
        try:
            args, kwargs, _ = _draw_arguments(target, sizes, seed, fixed)
        except Skip as e:
            raise ValueError(f"sn.testing.dummy_args({target.name}): {e}") from None
    return args, kwargs


def _draw_arguments(
    target: Target,
    sizes: Mapping[str, int] | None,
    seed: int,
    fixed: Mapping[str, Any] | None,
) -> tuple[tuple[Any, ...], dict[str, Any], dict[str, Any]]:
    """Arguments for `target` as `dummy_args` draws them, and the axis sizes it
    drew; `Skip` says why an argument cannot be drawn."""
    from ._draw import _fixed_sizes, draw_sizes

    names, variadics = axis_names_of(target.specs())
    s = draw_sizes(
        names,
        variadics,
        rng=np.random.default_rng(seed),
        example=0,
        user=dict(sizes or {}),
        avoid=_fixed_sizes(target.specs()),
        size_one=None,
    )
    drawn = draw_example(
        target,
        example=0,
        seed=seed,
        sizes=Sizes(s.single, s.variadic),
        scale=1.0,
        broadcast_one=False,
        fixed=fixed,
    )
    args, kwargs = drawn.build()
    return tuple(args), kwargs, {**s.single, **s.variadic}


def discover(target: Any) -> list[tuple[str, Any]]:
    """(name, callable) for every annotated function of a module or package:
    module-level functions defined there, and methods of its classes that are
    decorated with `@sn.shaped` (tested on an instance built with `init`)."""
    if isinstance(target, str):
        target = load_target(target)
    if not isinstance(target, types.ModuleType):
        raise TypeError(f"expected a module, a package or its dotted name, got {target!r}")
    found: list[tuple[str, Any]] = []
    seen: set[int] = set()
    for name, fn, cls in public_functions(target, iter_modules(target)):
        if id(fn) in seen:
            continue
        if cls is not None:
            seen.add(id(fn))
            found.append((name, _MethodCase(cls, name.rsplit(".", 1)[1])))
        elif _annotated(fn):
            seen.add(id(fn))
            found.append((name, fn))
    return found


class _MethodCase:
    """A method tested on an instance of its class: built field by field with
    `init` for a NamedTuple / dataclass / equinox module whose fields are
    annotated (the fields share the sizes), otherwise through its constructor
    with arguments drawn from the constructor's annotations and defaults."""

    def __init__(self, cls: type, name: str) -> None:
        self.cls, self.name = cls, name
        self.__qualname__ = f"{cls.__qualname__}.{name}"

    def bound(self, user: Mapping[str, int], seed: int) -> tuple[Any, dict[str, Any]]:
        """(the bound method, the axis sizes the instance was built with)."""
        from ._draw import draw_sizes, struct_spec

        try:
            spec = struct_spec(self.cls)
        except TypeError:
            spec = None
        if spec is not None:
            names, _ = axis_names_of([spec])
            drawn = draw_sizes(
                names,
                [],
                rng=np.random.default_rng(seed),
                example=0,
                user=dict(user),
                avoid=set(),
                size_one=None,
            )
            try:
                instance = init(self.cls, drawn.single, seed)
                return getattr(instance, self.name), {**drawn.single, **user}
            except Exception:
                # a field init cannot fill, or a check in the class rejects drawn
                # values: try the constructor (its reason is the one reported)
                pass
        if not getattr(self.cls, "__abstractmethods__", None):
            instance, sizes = _construct(self.cls, user, seed)
            return getattr(instance, self.name), {**sizes, **user}
        return self._on_a_concrete_subclass(user, seed)

    def _on_a_concrete_subclass(
        self, user: Mapping[str, int], seed: int
    ) -> tuple[Any, dict[str, Any]]:
        """A method an abstract class implements runs on an instance of a concrete
        subclass that inherits it (the first one that can be built)."""
        cls, name = self.cls, self.name
        abstract = f"{cls.__qualname__} is abstract ({', '.join(sorted(cls.__abstractmethods__))})"
        own = vars(cls)[name]
        if getattr(own, "__isabstractmethod__", False):
            raise Skip(f"{abstract} and {name} is one of its abstract methods")
        heirs = [
            sub
            for sub in _subclasses(cls)
            if not getattr(sub, "__abstractmethods__", None)
            and inspect.getattr_static(sub, name, None) is own
        ]
        reasons = []
        for sub in heirs[:8]:
            try:
                instance, sizes = _construct(sub, user, seed)
            except Skip as e:
                reasons.append(f"{sub.__qualname__}: {e}")
                continue
            return getattr(instance, name), {**sizes, **user}
        if not heirs:
            raise Skip(f"{abstract}, and no concrete subclass inherits {name}")
        raise Skip(
            f"{abstract}, and no concrete subclass that inherits {name} could be built "
            f"({'; '.join(reasons[:2])})"
        )


def _subclasses(cls: type) -> list[type]:
    """Every subclass of `cls`, breadth first, each level sorted by module and name
    (a stable order from run to run)."""
    out: list[type] = []
    level = [cls]
    seen = {cls}
    while level:
        nxt = sorted(
            {s for c in level for s in c.__subclasses__() if s not in seen},
            key=lambda s: (s.__module__, s.__qualname__),
        )
        seen.update(nxt)
        out.extend(nxt)
        level = nxt
    return out


def _construct(cls: type, user: Mapping[str, int], seed: int) -> tuple[Any, dict[str, Any]]:
    """An instance of `cls` from its constructor: array arguments drawn from their
    annotations, the others from their defaults."""
    name = cls.__qualname__
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError) as e:
        raise Skip(f"cannot read the constructor of {name}: {e}") from None
    sizes: dict[str, Any] = {}
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}
    if any(
        p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in sig.parameters.values()
    ):
        try:
            with checking_mode():
                target = make_target(cls.__init__, require_arrays=False)
                args, kwargs, sizes = _draw_arguments(target, user, seed, {"self": None})
        except Skip as e:
            why = str(e).split("; ", 1)[0]  # fixed= is for the method's own arguments
            raise Skip(f"its constructor cannot be called: {why}") from None
        args = args[1:]  # the `self` placeholder
    try:
        with checking_mode():
            return cls(*args, **kwargs), sizes
    except Exception as e:
        raise Skip(
            f"{name}(...) with arguments drawn from its constructor's annotations raised "
            f"{type(e).__name__}: {e}"
        ) from None


def _annotated(fn: Any) -> bool:
    try:
        make_target(fn)
    except Skip:
        return False
    except Exception:
        return True  # annotations that fail to resolve: report it in the test
    return True


def run_case(obj: Any, options: dict[str, Any]) -> Report:
    if isinstance(obj, _MethodCase):
        return _check_method(obj, options)
    return check(obj, **options)


def _check_method(case: _MethodCase, options: dict[str, Any]) -> Report:
    user = dict(options.get("sizes") or {})
    try:
        method, sizes = case.bound(user, options.get("seed", 0))
    except Skip as e:
        props = tuple(options.get("properties") or PROPERTIES)
        reason = (
            f"cannot build an instance of {case.cls.__qualname__} to call it on: {e}; "
            f"check it on one you build: sn.testing.check(instance.{case.name})"
        )
        return Report(case.__qualname__, [PropertyResult(p, "skipped", reason) for p in props])
    return check(method, **{**options, "sizes": sizes})


def generate_tests(target: Any, **check_options: Any) -> Callable[..., None]:
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
    a skip its reason.
    """
    import pytest

    props = tuple(check_options.get("properties") or PROPERTIES)
    functions = discover(target)
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
            cache[name] = run_case(obj, {**check_options, "properties": props})
        result = cache[name][prop]
        if result.status == "failed":
            pytest.fail(f"{name}[{prop}]\n{result.describe()}", pytrace=False)
        if result.status == "skipped":
            pytest.skip(result.reason)

    return test_generated
