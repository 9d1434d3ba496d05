"""Sizes given to the test generator: an int, a list of ints (one per example),
or a relation to other axes ("2*kv_heads", "a + b"), validated where they are
given (`sn.testing.check`, `@sn.shaped(test_sizes=...)`, configuration files)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

__all__ = ["check_sizes", "relation_names"]


def relation_names(expr: str, where: str) -> list[str]:
    """The axis names a size relation ("2*kv_heads", "a + b") uses; ValueError if
    it is not an arithmetic expression of names and numbers."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise ValueError(
            f"{where}: {expr!r} is not an arithmetic expression of axis names"
        ) from None
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load)
    allowed += (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Pow, ast.Mod, ast.USub)
    for node in ast.walk(tree):
        if not isinstance(node, allowed) or (
            isinstance(node, ast.Constant) and not isinstance(node.value, int)
        ):
            raise ValueError(
                f"{where}: {expr!r} may only use axis names, integers and + - * // ** %"
            )
    return [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]


def check_sizes(sizes: Mapping[str, Any], where: str) -> None:
    """Validate a `sizes=` mapping: an int, a list of ints (one per example, cycled)
    or a relation to other axes ("2*kv_heads")."""
    for name, v in sizes.items():
        if isinstance(v, str):
            relation_names(v, f"{where}: sizes[{name!r}]")
        elif isinstance(v, (list, tuple)):
            if not v or not all(isinstance(s, int) and not isinstance(s, bool) for s in v):
                raise TypeError(f"{where}: sizes[{name!r}] must list ints, got {v!r}")
        elif isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(
                f"{where}: sizes[{name!r}] must be an int, a list of ints or a relation "
                f"such as '2*other_axis', got {v!r}"
            )
