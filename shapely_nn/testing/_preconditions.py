"""What annotations cannot state, told to the generator: size relations between
axes (`sizes={"q_heads": "2*kv_heads"}`), fixed values or ranges for non-array
arguments (`fixed={"cutoff": sn.testing.between(0.1, 5.0)}`), which optional
arguments to leave out (`sn.testing.DEFAULT`), and factories for objects
nothing can draw (`sn.testing.register(Kernel, make_kernel)`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT",
    "Between",
    "between",
    "call_factory",
    "factory_for",
    "fixed_value",
    "register",
    "registered",
]


class _Default:
    """`fixed={"mask": sn.testing.DEFAULT}`: leave the argument out, so its default
    applies (one of several optional arguments, say)."""

    def __repr__(self) -> str:
        return "sn.testing.DEFAULT"


DEFAULT = _Default()


@dataclass(frozen=True)
class Between:
    """A value drawn per example from [low, high]: ints if both bounds are ints."""

    low: float
    high: float

    def draw(self, rng: np.random.Generator) -> Any:
        if isinstance(self.low, int) and isinstance(self.high, int):
            return int(rng.integers(self.low, self.high + 1))
        return float(rng.uniform(self.low, self.high))

    def __repr__(self) -> str:
        return f"sn.testing.between({self.low!r}, {self.high!r})"


def between(low: float, high: float) -> Between:
    """A non-array argument drawn from `[low, high]` in each example (ints when
    both bounds are ints): `fixed={"cutoff": sn.testing.between(0.1, 5.0)}`."""
    for v in (low, high):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"sn.testing.between: bounds must be numbers, got {v!r}")
    if low > high:
        raise ValueError(f"sn.testing.between({low!r}, {high!r}): low is above high")
    return Between(low, high)


def fixed_value(value: Any, rng: np.random.Generator) -> Any:
    """The value a `fixed=` entry gives in one example."""
    return value.draw(rng) if isinstance(value, Between) else value


# ---------------------------------------------------------------- factories

_FACTORIES: dict[type, Callable[..., Any]] = {}


def register(cls: type, factory: Callable[..., Any] | None = None) -> Any:
    """Tell the generator how to make an object of `cls` (or of a subclass) that it
    cannot draw: a model, a kernel, a solver. `factory()` returns one, or
    `factory(sizes)` given the example's axis sizes (a dict). Also a decorator:

    ```python
    @sn.testing.register(Kernel)
    def make_kernel():
        return RBF(lengthscale=1.0)
    ```
    """
    if not isinstance(cls, type):
        raise TypeError(f"sn.testing.register: expected a class, got {cls!r}")
    if factory is None:
        return lambda f: register(cls, f)
    if not callable(factory):
        raise TypeError(f"sn.testing.register({cls.__qualname__}): factory must be callable")
    _FACTORIES[cls] = factory
    return factory


def registered() -> dict[type, Callable[..., Any]]:
    """The factories registered so far (a copy)."""
    return dict(_FACTORIES)


def factory_for(
    hint: Any, factories: Mapping[type, Callable[..., Any]]
) -> Callable[..., Any] | None:
    """The factory for an argument annotated `hint`: one registered for that class,
    else for a subclass of it (an `RBF` factory serves an `AbstractKernel`)."""
    if not isinstance(hint, type):
        return None
    for table in (factories, _FACTORIES):
        if hint in table:
            return table[hint]
    if hint.__module__ in _STRUCTURAL:
        # `Callable`, `Iterable`...: a kernel with `__call__` is a Callable only
        # by its shape, not a stand-in for any function
        return None
    for table in (factories, _FACTORIES):
        for cls, f in table.items():
            if isinstance(cls, type) and _subclass(cls, hint):
                return f
    return None


def _subclass(cls: type, hint: type) -> bool:
    """issubclass, False where the hint's own check raises (a `typing_extensions`
    Protocol made runtime-checkable by `typing.runtime_checkable` raises
    AttributeError on Python 3.11: dynamax's ParameterSet)."""
    try:
        return issubclass(cls, hint)
    except Exception:
        return False


_STRUCTURAL = ("builtins", "collections.abc", "typing", "abc", "numbers")


def call_factory(factory: Callable[..., Any], sizes: Mapping[str, int]) -> Any:
    try:
        params = [
            p
            for p in inspect.signature(factory).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
    except (TypeError, ValueError):
        params = []
    return factory(dict(sizes)) if params else factory()
