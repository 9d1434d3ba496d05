"""Telling a function's own refusal of its inputs from a bug: an exception
raised by a `raise` or `assert` statement in the function's own package (or by
`equinox.error_if`) is the function stating a precondition the annotations
cannot, such as 'num_heads must divide num_kv_heads'. An error raised inside
jax or numpy on inputs that match the annotations stays a failure."""

from __future__ import annotations

import ast
import functools
import linecache
import re
from typing import Any

__all__ = ["package_of", "rejection", "suggested_sizes"]

# exceptions equinox.error_if raises (eagerly, or from compiled code)
_ERROR_IF = ("EquinoxRuntimeError", "EqxRuntimeError")


def package_of(fn: Any) -> str:
    """The top-level package a function was written in."""
    import inspect

    inner = getattr(fn, "__func__", fn)
    try:
        inner = inspect.unwrap(inner)
    except ValueError:
        pass
    module = getattr(inner, "__module__", None) or ""
    return module.split(".")[0]


@functools.lru_cache(maxsize=256)
def _statements(filename: str) -> list[tuple[int, int, type]]:
    """(first line, last line, kind) of each raise/assert statement in a file."""
    source = "".join(linecache.getlines(filename))
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    return [
        (n.lineno, n.end_lineno or n.lineno, type(n))
        for n in ast.walk(tree)
        if isinstance(n, (ast.Raise, ast.Assert))
    ]


def _raised_by_statement(filename: str, lineno: int) -> bool:
    return any(first <= lineno <= last for first, last, _ in _statements(filename))


def rejection(error: BaseException, package: str) -> str | None:
    """The function's own message if `error` is it refusing its inputs, else None."""
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
    if not _raised_by_statement(frame.f_code.co_filename, last.tb_lineno):
        return None
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
