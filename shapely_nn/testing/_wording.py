"""Report text in the user's terms: an exception on one line, jax's names for
shapely_nn's harness (`leaves[3]`, `forward`, file paths) replaced by the
user's argument and function, and the advice a rejection carries."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["clean", "one_line", "refusal"]


def one_line(error: BaseException, limit: int = 400) -> str:
    """An exception's message as one readable line: its first line (beartype's and
    jax's run on for pages), cut at `limit` characters."""
    text = str(error).strip()
    first = text.splitlines()[0].strip() if text else ""
    if len(first) > limit:
        first = first[: limit - 3] + "..."
    return first + (" (...)" if text.count("\n") and len(first) < limit else "")


# shapely_nn's own machinery, as jax's messages name it
_HARNESS_PATH = re.compile(r"\s*(at|in) \S*shapely_nn[/\\]testing[/\\]\S+\.py:\d+")
_HARNESS_FUNCTION = re.compile(r"\b(function|tracing) (forward|projected|flat|both)\b")
_LEAF = re.compile(r"\b(float_leaves|leaves)\[(\d+)\]")


def clean(text: str, ex: Any, name: str, floats: list[int]) -> str:
    """A report's text in the user's terms: the drawn argument's path for
    `leaves[3]`, the function's name for the harness's wrappers, no file paths
    inside shapely_nn."""
    text = _HARNESS_PATH.sub("", text)
    text = _HARNESS_FUNCTION.sub(lambda m: f"{m.group(1)} {name}", text)
    if ex is not None:
        infos = ex.drawn.infos

        def path(m: re.Match[str]) -> str:
            i = int(m.group(2))
            if m.group(1) == "float_leaves":
                i = floats[i] if i < len(floats) else -1
            return f"argument {infos[i].path}" if 0 <= i < len(infos) else m.group(0)

        text = _LEAF.sub(path, text).replace("argument argument ", "argument ")
    return text


def refusal(message: str) -> str:
    return (
        f"the function refused inputs drawn from its annotations through its own check "
        f"({message}). If that is a precondition, state it: sizes={{'a': '2*b'}} for a "
        "relation between axes, fixed={'arg': value} for an argument (or "
        "sn.testing.between(low, high)), or the same in a [tool.shapely_nn.functions] "
        "entry of the configuration"
    )
