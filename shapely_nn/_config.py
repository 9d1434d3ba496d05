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

__all__ = ["MODES", "Mode", "get_mode", "mode", "set_mode"]

Mode = Literal["off", "on", "strict"]
MODES: tuple[str, ...] = ("off", "on", "strict")
ENV_VAR = "SHAPELY_NN_MODE"


def _validate(value: object, source: str) -> str:
    if isinstance(value, str) and value.strip().lower() in MODES:
        # the canonical constant, so the wrapper can compare with `is`
        return MODES[MODES.index(value.strip().lower())]
    valid = ", ".join(repr(m) for m in MODES)
    raise ValueError(f"{source}: unknown mode {value!r}; valid modes are {valid}.")


class _State:
    __slots__ = ("mode",)

    def __init__(self, mode: str) -> None:
        self.mode = mode


class _Local(threading.local):
    # class attribute: every thread starts without an override
    override: str | None = None


def _from_env() -> str:
    raw = os.environ.get(ENV_VAR)
    if raw is None or raw == "":
        return "on"
    return _validate(raw, f"environment variable {ENV_VAR}")


STATE = _State(_from_env())
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
    STATE.mode = _validate(value, "sn.set_mode")


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
    LOCAL.override = new
    try:
        yield
    finally:
        LOCAL.override = old
