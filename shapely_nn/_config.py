"""The checking mode: "off", "on" or "strict".

The process-wide mode comes from `SHAPELY_NN_MODE` (read once, at import) and
`sn.set_mode`. `with sn.mode(...)` overrides it for the current thread only, so
one thread switching checks off in a block never silences another thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

__all__ = ["MODES", "Mode", "get_check_traced", "get_mode", "mode", "set_check_traced", "set_mode"]

Mode = Literal["off", "on", "strict"]
MODES: tuple[str, ...] = ("off", "on", "strict")
ENV_VAR = "SHAPELY_NN_MODE"
TRACED_ENV_VAR = "SHAPELY_NN_CHECK_TRACED"


def _validate(value: object, source: str) -> str:
    if isinstance(value, str) and value.strip().lower() in MODES:
        # the canonical constant, so the wrapper can compare with `is`
        return MODES[MODES.index(value.strip().lower())]
    valid = ", ".join(repr(m) for m in MODES)
    raise ValueError(f"{source}: unknown mode {value!r}; valid modes are {valid}.")


class _State:
    # `fast` is the mode when no thread holds a `with sn.mode(...)` override, else
    # None: the wrapper reads one attribute on the common path and only looks at
    # the thread-local override while some block is active.
    __slots__ = ("fast", "lock", "mode", "overrides")

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.fast: str | None = mode
        self.overrides = 0
        self.lock = threading.Lock()


class _Local(threading.local):
    # class attribute: every thread starts without an override
    override: str | None = None


def _from_env() -> str:
    raw = os.environ.get(ENV_VAR)
    if raw is None or raw == "":
        return "on"
    return _validate(raw, f"environment variable {ENV_VAR}")


def _traced_from_env() -> bool:
    raw = os.environ.get(TRACED_ENV_VAR, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"environment variable {TRACED_ENV_VAR}: {raw!r} is not a boolean; use 1 or 0")


STATE = _State(_from_env())
#: value constraints on tracers (inside jit/vmap/grad/scan) run through jax.debug.callback
TRACED = {"enabled": _traced_from_env()}


def set_check_traced(enabled: bool) -> None:
    """Run value constraints inside compiled code too (default: off).

    Off, constraints are checked on concrete arrays only and skipped on tracers,
    so they never raise a false error under `jax.jit`. On, every constrained
    argument and return of a function traced by jit/vmap/grad/scan gets a
    `jax.debug.callback` that checks it at run time; a violation surfaces as a
    `jax.errors.JaxRuntimeError` whose text holds the full message. Per function:
    `@sn.shaped(check_traced=True)`. Functions traced before the switch keep
    what they were compiled with.
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"sn.set_check_traced: expected True or False, got {enabled!r}")
    TRACED["enabled"] = enabled


def get_check_traced() -> bool:
    """Whether value constraints run inside compiled code (see `set_check_traced`)."""
    return TRACED["enabled"]


LOCAL = _Local()


def get_mode() -> str:
    """The mode in force for the calling thread."""
    override = LOCAL.override
    return STATE.mode if override is None else override


def set_mode(value: Mode) -> None:
    """Set the process-wide mode ("off", "on" or "strict").

    Threads inside a `with sn.mode(...)` block keep their override until it ends.
    Functions decorated while the mode was "off" are not wrapped at all, so turning
    checks on later does not reach them.
    """
    new = _validate(value, "sn.set_mode")
    with STATE.lock:
        STATE.mode = new
        STATE.fast = new if STATE.overrides == 0 else None


@contextmanager
def mode(value: Mode) -> Iterator[None]:
    """Use `value` as the mode for the current thread inside the block.

    ```python
    with sn.mode("strict"):
        model(params, x)
    ```
    """
    new = _validate(value, "sn.mode")
    old = LOCAL.override
    with STATE.lock:
        STATE.overrides += 1
        STATE.fast = None
    LOCAL.override = new
    try:
        yield
    finally:
        LOCAL.override = old
        with STATE.lock:
            STATE.overrides -= 1
            if STATE.overrides == 0:
                STATE.fast = STATE.mode
