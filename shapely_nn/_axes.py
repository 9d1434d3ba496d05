"""Declared axes: names with a meaning, a kind and optional sizes."""

from __future__ import annotations

import difflib
import inspect
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ._errors import AxisConflictError

__all__ = ["KINDS", "Axis", "AxisRegistry", "axes", "axis"]

#: The kinds an axis can have, with the property each one promises.
KINDS: dict[str, str] = {
    "plain": "no property beyond its size",
    "batch": "examples are independent: output slice i depends only on input slice i",
    "set": "order carries no meaning: permuting it permutes outputs the same way",
    "causal": "an output at step t depends only on inputs at steps <= t",
}


def check_kind(kind: object, where: str) -> str:
    if not isinstance(kind, str) or kind not in KINDS:
        valid = ", ".join(repr(k) for k in KINDS)
        hint = ""
        if isinstance(kind, str):
            close = difflib.get_close_matches(kind, list(KINDS), n=1)
            if close:
                hint = f" Did you mean {close[0]!r}?"
        raise ValueError(f"{where}: unknown axis kind {kind!r}; valid kinds are {valid}.{hint}")
    return kind


@dataclass(frozen=True)
class Axis:
    """A declared axis. `str(axis)` is its name, so f-strings compose annotations:
    `Float[Array, f"{BATCH} {TIME}"]`."""

    name: str
    doc: str = ""
    kind: str = "plain"
    size: int | None = None
    test_sizes: tuple[int, ...] | None = None
    declared_in: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return self.name

    def same_meaning(self, other: Axis) -> bool:
        return (self.doc, self.kind, self.size, self.test_sizes) == (
            other.doc,
            other.kind,
            other.size,
            other.test_sizes,
        )


class AxisRegistry:
    """The registry of declared axes: `sn.axes()` returns it.

    Look up with `registry["batch"]` or `registry.get("batch")`, iterate over the
    axes in name order, test membership with `"batch" in registry`, and ask which
    checked functions use an axis with `registry.used_by("batch")`.
    """

    def __init__(self) -> None:
        self._axes: dict[str, Axis] = {}
        self._users: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        #: bumped on every change, so checkers can refresh what they derived
        self.version = 0

    def __getitem__(self, name: str) -> Axis:
        try:
            return self._axes[name]
        except KeyError:
            raise KeyError(self._unknown_message(name)) from None

    def get(self, name: str) -> Axis | None:
        return self._axes.get(name)

    def __contains__(self, name: object) -> bool:
        return str(name) in self._axes

    def __iter__(self) -> Iterator[Axis]:
        return iter([self._axes[k] for k in sorted(self._axes)])

    def __len__(self) -> int:
        return len(self._axes)

    def names(self) -> list[str]:
        return sorted(self._axes)

    def suggest(self, name: str) -> str | None:
        close = difflib.get_close_matches(name, list(self._axes), n=1, cutoff=0.6)
        return close[0] if close else None

    def _unknown_message(self, name: str) -> str:
        msg = f"no axis named {name!r} is declared"
        close = self.suggest(name)
        if close:
            msg += f"; did you mean {close!r}?"
        return msg

    def used_by(self, name: str) -> list[str]:
        """Qualified names of the checked functions whose annotations use `name`."""
        return sorted(set(self._users.get(name, ())))

    def note_use(self, names: Iterable[str], function: str) -> None:
        with self._lock:
            for name in names:
                users = self._users.setdefault(name, [])
                if function not in users:
                    users.append(function)

    def _declare(self, new: Axis) -> Axis:
        with self._lock:
            old = self._axes.get(new.name)
            if old is not None:
                if old.same_meaning(new):
                    return old
                raise AxisConflictError(_conflict_message(old, new))
            self._axes[new.name] = new
            self.version += 1
            return new

    def _remove(self, name: str) -> None:
        """Forget an axis (for tests and notebooks that redefine things)."""
        with self._lock:
            self._axes.pop(name, None)
            self.version += 1

    def __repr__(self) -> str:
        return f"<shapely_nn axes: {', '.join(self.names()) or 'none declared'}>"


def _conflict_message(old: Axis, new: Axis) -> str:
    diffs = []
    for attr in ("doc", "kind", "size", "test_sizes"):
        a, b = getattr(old, attr), getattr(new, attr)
        if a != b:
            diffs.append(f"{attr}={a!r} before, {attr}={b!r} now")
    where = f" (first declared in {old.declared_in})" if old.declared_in else ""
    return (
        f"axis {old.name!r} is already declared with a different meaning{where}: "
        + "; ".join(diffs)
        + ". Use one declaration per axis name (declare it in one module and import "
        "it), or pick a new name for the new meaning."
    )


_REGISTRY = AxisRegistry()


def registry() -> AxisRegistry:
    return _REGISTRY


def axes() -> AxisRegistry:
    """The registry of declared axes (look-up by name, iteration, `used_by`)."""
    return _REGISTRY


def axis(
    name: str,
    doc: str = "",
    *,
    kind: str = "plain",
    size: int | None = None,
    test_sizes: Iterable[int] | None = None,
) -> Axis:
    """Declare an axis and register it.

    ```python
    BATCH = sn.axis("batch", "independent examples in a minibatch", kind="batch")
    Float[Array, f"{BATCH} feature"]
    ```

    Re-declaring a name with the same meaning returns the existing axis (modules
    get re-imported); a different meaning raises `sn.AxisConflictError`.
    """
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise ValueError(
            f"sn.axis: axis name {name!r} must be a Python identifier that does not "
            "start with '_' (jaxtyping reads '_' as an anonymous axis)."
        )
    if not isinstance(doc, str):
        raise TypeError(f"sn.axis({name!r}): doc must be a string, got {type(doc).__name__}")
    check_kind(kind, f"sn.axis({name!r})")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise ValueError(f"sn.axis({name!r}): size must be a non-negative int, got {size!r}")
    sizes: tuple[int, ...] | None = None
    if test_sizes is not None:
        sizes = tuple(test_sizes)
        if not sizes or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
            raise ValueError(
                f"sn.axis({name!r}): test_sizes must be a non-empty sequence of "
                f"positive ints, got {test_sizes!r}"
            )
        if size is not None and any(s != size for s in sizes):
            raise ValueError(
                f"sn.axis({name!r}): test_sizes {sizes} contradict the fixed size {size}"
            )
    return _REGISTRY._declare(Axis(name, doc, kind, size, sizes, declared_in=_caller_module()))


def _caller_module() -> str | None:
    frame = inspect.currentframe()
    try:
        caller = frame.f_back.f_back if frame and frame.f_back else None
        return caller.f_globals.get("__name__") if caller else None
    finally:
        del frame
