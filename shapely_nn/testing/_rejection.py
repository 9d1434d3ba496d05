"""Where an exception comes from. Telling a function's own refusal of its
inputs from a bug: an exception raised by a `raise` or `assert` statement in the function's own package (or by
`equinox.error_if`) is the function stating a precondition the annotations
cannot, such as 'num_heads must divide num_kv_heads'. An error raised inside
jax or numpy on inputs that match the annotations stays a failure."""

from __future__ import annotations

import dis
import functools
import re
import types
from pathlib import Path
from typing import Any

__all__ = ["raised_by_shapely_nn", "rejection", "suggested_sizes"]

# exceptions equinox.error_if raises (eagerly, or from compiled code)
_ERROR_IF = ("EquinoxRuntimeError", "EqxRuntimeError")


@functools.lru_cache(maxsize=1024)
def _raise_offsets(code: types.CodeType) -> frozenset[int]:
    """Offsets of the `raise` instructions in a code object (an `assert` compiles
    to one too; a bare re-raise does not)."""
    return frozenset(i.offset for i in dis.get_instructions(code) if i.opname == "RAISE_VARARGS")


_ERROR_IF_MESSAGE = re.compile(r"EquinoxRuntimeError: (.+)")


def rejection(error: BaseException, package: str) -> str | None:
    """The function's own message if `error` is it refusing its inputs, else None."""
    # equinox.error_if: eagerly, under filter_jit, or wrapped by jax.jit's runtime error
    m = _ERROR_IF_MESSAGE.search(str(error))
    if m is not None and m.group(1).strip():
        return f"equinox.error_if: {m.group(1).strip()}"
    if type(error).__name__ in _ERROR_IF:
        return _message(error)
    tb = error.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None or not package:
        return None
    frame = last.tb_frame
    module = frame.f_globals.get("__name__", "") or ""
    if module != package and not module.startswith(package + "."):
        return None
    if last.tb_lasti not in _raise_offsets(frame.f_code):
        return None  # raised by an operation (x[9], float('a')), not a statement
    return _message(error)


def _message(error: BaseException) -> str:
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def suggested_sizes(message: str, axes: list[str], sizes: dict[str, int]) -> list[dict[str, Any]]:
    """Size assignments to try after a rejection whose message names axes: all the
    named axes equal ('n must equal m'), or the first a multiple of the second
    ('q_heads must be divisible by kv_heads': tried first where the message
    speaks of division)."""
    found = {a: m.start() for a in axes if (m := re.search(rf"\b{re.escape(a)}\b", message))}
    named = sorted(found, key=found.__getitem__)  # in the order the message names them
    out: list[dict[str, Any]] = []
    if len(named) >= 2:
        equal = {a: named[0] for a in named[1:]}
        multiples = [{named[0]: f"2*{named[1]}"}, {named[1]: f"2*{named[0]}"}]
        if re.search(r"divisib|multiple|divide", message, re.I):
            out += [*multiples, equal]
        else:
            out += [equal, *multiples]
    elif len(named) == 1 and named[0] in sizes:
        out.append({named[0]: [sizes[named[0]] * 2]})
    return out


_HERE = str(Path(__file__).resolve().parent)


def raised_by_shapely_nn(e: BaseException) -> bool:
    """Whether the innermost frame of `e` is in shapely_nn's testing code (an error
    of jax's own, whose internal frames jax filters out, comes from running the
    function)."""
    if type(e).__module__.split(".")[0] in ("jax", "jaxlib"):
        return False
    tb = e.__traceback__
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    return last is not None and last.tb_frame.f_code.co_filename.startswith(_HERE)
