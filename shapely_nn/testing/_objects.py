"""Objects an argument needs that are not arrays: made by a registered factory,
built from their constructor's annotations and defaults (recursively, a
concrete subclass standing in for an abstract class), or, for a callable, a
simple shape-preserving function."""

from __future__ import annotations

import collections.abc
import enum
import importlib
import inspect
import sys
import typing
from collections.abc import Callable, Mapping
from typing import Any

from .._spec import has_arrays
from ._init import draw_arguments
from ._preconditions import call_factory, factory_for, registered
from ._subject import Skip, checking_mode, make_subject

__all__ = ["Objects", "construct", "subclasses"]

_MAX_DEPTH = 3
_LIBRARIES = frozenset(
    {"builtins", "typing", "collections", "numpy", "jax", "jaxlib", "abc", "jaxtyping"}
)
_NOT_BUILT = (int, float, complex, bool, str, bytes, type(None), type)


def abstract_methods(cls: type) -> set[str]:
    """The abstract methods of `cls`, also where `@abc.abstractmethod` is used in a
    class that is not an `ABC` (python then lets it be built: its "abstract"
    methods return None)."""
    names: set[str] = set(getattr(cls, "__abstractmethods__", None) or ())
    # equinox's eqx.AbstractVar / AbstractClassVar fields: the class cannot be
    # built until a subclass gives them
    for attr in ("__abstractvars__", "__abstractclassvars__"):
        names.update(vars(cls).get(attr, None) or ())
    for name in dir(cls):
        attr = inspect.getattr_static(cls, name, None)
        attr = getattr(attr, "__func__", attr)
        if getattr(attr, "__isabstractmethod__", False):
            names.add(name)
    return names


def subclasses(cls: type) -> list[type]:
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


def construct(
    cls: type, user: Mapping[str, int], seed: int, depth: int = 0
) -> tuple[Any, dict[str, Any], bool]:
    """An instance of `cls` from its constructor: arguments drawn from their
    annotations (objects among them built in turn), the others from their
    defaults; an int argument named like an axis in `user` gets that size.
    Returns the instance, the axis sizes it was built with, and whether it is a
    guess: whether a required argument was no array (an int, an object) that
    shapely_nn had to make up."""
    name = cls.__qualname__
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError) as e:
        raise Skip(f"cannot read the constructor of {name}: {e}") from None
    required = any(
        p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in sig.parameters.values()
    )
    drawn = _draw_constructor(cls, sig, user, seed, depth) if required else None
    args, kwargs, sizes, guess = drawn or ((), {}, {}, False)
    try:
        with checking_mode():
            return cls(*args, **kwargs), sizes, guess
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        failure = Skip(
            f"{name}(...) with arguments drawn from its constructor's annotations raised "
            f"{type(e).__name__}: {first}"
        )
    # "exactly one of logits and probs": the required arguments with one of the
    # optional ones at a time
    if drawn is None:
        try:
            drawn = _draw_constructor(cls, sig, user, seed, depth)
        except Skip:
            raise failure from None
        args, kwargs, sizes, guess = drawn
    try:
        bound = sig.bind_partial(*args, **kwargs).arguments
    except TypeError:
        raise failure from None
    plain = {
        k: v
        for k, v in bound.items()
        if sig.parameters[k].default is inspect.Parameter.empty
        and sig.parameters[k].kind
        not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    }
    hints = _init_hints(cls)
    for k, param in sig.parameters.items():
        if k in plain or param.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
            continue
        v, guessed = bound.get(k, param.default), False
        if v is param.default or v is None:
            # `logits: Optional[Array] = None`: a guessed float32 vector
            v, guessed = _bare_array_guess(hints.get(k), seed), True
            if v is None:
                continue
        try:
            with checking_mode():
                return cls(**plain, **{k: v}), sizes, guess or guessed
        except Exception:
            continue
    raise failure from None


def _init_hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls.__init__)
    except Exception:
        return {}


def _bare_array_guess(hint: Any, seed: int) -> Any:
    import jax
    import jax.numpy as jnp
    import numpy as np

    options = typing.get_args(hint) if typing.get_origin(hint) is not None else (hint,)
    if not any(o is jax.Array or o is np.ndarray for o in options):
        return None
    return jnp.asarray(np.random.default_rng([seed, 17]).standard_normal(3), jnp.float32)


def _draw_constructor(
    cls: type, sig: inspect.Signature, user: Mapping[str, int], seed: int, depth: int
) -> tuple[tuple[Any, ...], dict[str, Any], dict[str, Any], bool]:
    """Arguments for `cls(...)` drawn from its constructor's annotations."""
    try:
        with checking_mode():
            subject = make_subject(cls.__init__, require_arrays=False)
            args, kwargs, sizes = draw_arguments(
                subject, user, seed, {"self": None}, objects=Objects(seed, depth + 1)
            )
            guess = any(
                sig.parameters[p.name].default is inspect.Parameter.empty and not has_arrays(p.spec)
                for p in subject.plan.all_params[1:]
                if p.name in sig.parameters
            )
    except Skip as e:
        why = str(e).split("; ", 1)[0]  # fixed= is for the method's own arguments
        raise Skip(f"its constructor cannot be called: {why}") from None
    return tuple(args[1:]), kwargs, sizes, guess  # args[0]: the `self` placeholder


def _identity(x: Any, *args: Any, **kwargs: Any) -> Any:
    return x


class Objects:
    """Makes the objects arguments need (see the module's docstring); called by
    the argument builder as `objects(hint, path, sizes)`, it returns `(object,
    guess)`, or None where `hint` asks for no object it knows how to make.
    `guess` is None for an object a factory made; for one built from its
    constructor it is (what it is, how to give a real one): such an object may
    be valid for its constructor but not for the function (a non-square matrix
    operator), so the function is not to blame if it refuses it."""

    def __init__(self, seed: int, depth: int = 0) -> None:
        self.seed, self.depth = seed, depth

    def __call__(self, hint: Any, path: str, sizes: Mapping[str, int]) -> Any:
        if isinstance(hint, typing.TypeVar):
            # `kernel: K` with K bound to AbstractKernel: an AbstractKernel will do
            hint = _resolve(hint.__bound__ or (hint.__constraints__ or (None,))[0], hint)
            if hint is None:
                return None
        origin = typing.get_origin(hint)
        if isinstance(origin, type) and origin.__module__.split(".")[0] not in _LIBRARIES:
            hint = origin  # `Prior[M, K]`, a generic class of the package: a Prior
        factory = factory_for(hint, registered())
        if factory is not None:
            try:
                return call_factory(factory, sizes), None
            except Exception as e:
                raise Skip(
                    f"the factory registered for {hint.__qualname__} raised {type(e).__name__}: {e}"
                ) from None
        if typing.get_origin(hint) is typing.Literal and typing.get_args(hint):
            # `covariance: Literal["dense", "diagonal"]`: every value is valid
            return typing.get_args(hint)[0], None
        if _is_callable_hint(hint):
            return _shape_preserving(hint, path), (
                "a stand-in that returns its first argument",
                "register a factory for a real one, or pass it with fixed=",
            )
        if not isinstance(hint, type) or hint is object or issubclass(hint, _NOT_BUILT):
            return None
        if hint.__module__.split(".")[0] in _LIBRARIES:
            return None  # array types, typing constructs, containers: not objects to build
        if self.depth >= _MAX_DEPTH or getattr(hint, "_is_protocol", False):
            return None
        if issubclass(hint, enum.Enum):
            return next(iter(hint)), (
                f"{hint.__qualname__}'s first member",
                "pass the member it needs with fixed=",
            )
        instance = self._build(hint, path, dict(sizes))
        return instance, (
            f"a {type(instance).__qualname__} built from its constructor's annotations",
            f"register a factory for a valid one: sn.testing.register({hint.__qualname__}, make)",
        )

    def _build(self, cls: type, path: str, sizes: dict[str, int]) -> Any:
        candidates = [cls] if not abstract_methods(cls) else []
        candidates += [s for s in subclasses(cls) if not abstract_methods(s)][:8]
        reasons = []
        for c in candidates:
            try:
                instance, _, _ = construct(c, sizes, self.seed, self.depth)
                return instance
            except Skip as e:
                reasons.append(f"{c.__qualname__}: {e}")
        what = (
            "it is abstract and no concrete subclass could be built"
            if reasons
            else ("it is abstract and has no concrete subclass")
        )
        detail = f" ({'; '.join(reasons[:2])})" if reasons else ""
        raise Skip(
            f"cannot build argument {path!r} of type {cls.__qualname__}: "
            f"{what if cls not in candidates else 'its constructor fails'}{detail}; "
            f"register a factory (sn.testing.register({cls.__qualname__}, make)) or pass "
            "it with fixed="
        )


def _resolve(bound: Any, var: typing.TypeVar) -> Any:
    """A TypeVar's bound, given as a string (`bound="pkg.kernels.AbstractKernel"`)
    resolved by import path or in the module that defines the TypeVar."""
    if isinstance(bound, typing.ForwardRef):
        bound = bound.__forward_arg__
    if not isinstance(bound, str):
        return bound
    module = sys.modules.get(getattr(var, "__module__", "") or "")
    namespace = vars(module) if module is not None else {}
    if bound in namespace:
        return namespace[bound]
    path, _, name = bound.rpartition(".")
    try:
        return getattr(importlib.import_module(path), name) if path else None
    except (ImportError, AttributeError):
        return None


def _is_callable_hint(hint: Any) -> bool:
    origin = typing.get_origin(hint) or hint
    return origin is collections.abc.Callable or origin is Callable


def _shape_preserving(hint: Any, path: str) -> Callable[..., Any]:
    """A callable for a `Callable[[X, ...], X]` argument (or a bare `Callable`):
    returns its first argument; other signatures cannot be guessed."""
    args = typing.get_args(hint)
    if not args:
        return _identity
    params, ret = args[0], args[1]
    if params is Ellipsis or (params and _same_annotation(params[0], ret)):
        return _identity
    raise Skip(
        f"cannot make a function for argument {path!r} of type "
        f"{_callable_text(hint)}: only Callable[[X, ...], X] gets a stand-in "
        "(one that returns its first argument); register a factory or pass it with fixed="
    )


def _same_annotation(a: Any, b: Any) -> bool:
    return a == b or repr(a) == repr(b)


def _callable_text(hint: Any) -> str:
    return repr(hint).replace("typing.", "").replace("collections.abc.", "")
