"""The exceptions shapely_nn raises. Messages are built in `_message.py`."""

from __future__ import annotations

import jaxtyping

__all__ = [
    "AnnotationError",
    "AnnotationWarning",
    "AxisConflictError",
    "ShapeError",
    "ShapelyError",
    "ValueConstraintError",
]


class ShapelyError(Exception):
    """Base class of every error shapely_nn raises on its own account."""


class ShapeError(jaxtyping.TypeCheckError, ShapelyError):
    """An argument or return value does not match its array annotation.

    A subclass of `jaxtyping.TypeCheckError`, so `except TypeCheckError` clauses
    written for jaxtyping keep catching it.
    """


class ValueConstraintError(ShapelyError, ValueError):
    """An array's values break a constraint such as `sn.NonNegative`."""


class AnnotationError(jaxtyping.AnnotationError, ShapelyError):
    """An annotation is malformed or contradicts itself; raised at decoration time."""


class AxisConflictError(ShapelyError, ValueError):
    """An axis name was declared twice with different meanings."""


class AnnotationWarning(UserWarning):
    """`sn.check_package` met an annotation it cannot use (malformed, or naming an
    undefined array type) and left that one function unchecked instead of
    failing the import. Filter it with `ignore::shapely_nn.AnnotationWarning`."""


for _cls in (
    ShapelyError,
    ShapeError,
    ValueConstraintError,
    AnnotationError,
    AxisConflictError,
    AnnotationWarning,
):
    _cls.__module__ = "shapely_nn"
