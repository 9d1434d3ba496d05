"""Evaluating annotations: a function's or a class's annotations into objects,
with a message that points at the offending token when one is malformed.

`typing.get_type_hints` fails as a whole; when it does, each annotation is
evaluated on its own so the error names the argument (or field) at fault, and
a jaxtyping shape string is narrowed to the first axis jaxtyping rejects.
Only jaxtyping's accept/reject behaviour is relied on, never its wording.

Names that cannot be resolved are told apart from malformed annotations: a
name imported under `if TYPE_CHECKING:` exists for type checkers only, so an
annotation made of such names is left unchecked rather than failing every
call; an array annotation that names something undefined is an error.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import inspect
import re
import sys
import types
import typing
from typing import Any

import jaxtyping
import numpy as np

from ._errors import AnnotationError

__all__ = ["caret_under_axis", "class_hints", "function_hints"]


def _probe() -> None: ...


def _eval_one(value: Any, globalns: dict[str, Any], localns: dict[str, Any] | None) -> Any:
    probe = types.FunctionType(_probe.__code__, globalns)
    probe.__annotations__ = {"x": value}
    return typing.get_type_hints(probe, localns=localns, include_extras=True)["x"]


def _subject(key: str, owner: str | None) -> str:
    if owner is not None:
        return f"the annotation of field {owner}.{key}"
    return "the return annotation" if key == "return" else f"the annotation of argument {key!r}"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, typing.ForwardRef):
        return value.__forward_arg__
    return repr(value)


# jaxtyping's dtype names (`Float`, `Int32`, ...): `Float[Array, ...]` is a
# mistaken shape, while `tuple[int, ...]` is fine
_DTYPES = frozenset(
    n
    for n in dir(jaxtyping)
    if isinstance(getattr(jaxtyping, n), type)
    and issubclass(getattr(jaxtyping, n), jaxtyping.AbstractDtype)
)
_NOT_ARRAYS = frozenset({"Literal", "Annotated"})


def _head(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _shape_nodes(text: str) -> list[tuple[ast.Subscript, ast.Constant]]:
    """`X[T, dims]` subscripts in an annotation's text whose last index is a
    string (the shape), or `...` after a jaxtyping dtype (a mistaken shape)."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple):
            elts = node.slice.elts
            if len(elts) < 2 or not isinstance(elts[-1], ast.Constant):
                continue
            head, last = _head(node.value), elts[-1].value
            if (isinstance(last, str) and head not in _NOT_ARRAYS) or (
                last is Ellipsis and head in _DTYPES
            ):
                out.append((node, elts[-1]))
    return out


def _rejection(dims: str) -> str | None:
    """Why jaxtyping refuses the shape string `dims`, or None if it accepts it."""
    try:
        jaxtyping.Shaped[np.ndarray, dims]
    except Exception as e:
        text = str(e).strip()
        return text.splitlines()[0] if text else type(e).__name__
    return None


def _caret(text: str, start: int, length: int) -> str:
    return f"    {text}\n    {' ' * start}{'^' * max(length, 1)}"


def caret_under_axis(annotation: str, dims: str, axis: str) -> str:
    """`annotation` (which ends with the quoted shape `dims`) with a caret line
    under the first whitespace-separated axis of `dims` equal to `axis`."""
    base = annotation.rfind(f"'{dims}'")
    for m in re.finditer(r"\S+", dims):
        if m.group() == axis and base >= 0:
            return _caret(annotation, base + 1 + m.start(), len(axis))
    return f"    {annotation}"


def _point_at_token(text: str) -> tuple[str, str] | None:
    """(the annotation with a caret under the bad token, what is wrong), or None
    when no shape string in `text` is the culprit."""
    for node, const in _shape_nodes(text):
        value = const.value
        single_line = const.lineno == const.end_lineno == 1
        if value is Ellipsis:
            array = ast.get_source_segment(text, node.slice.elts[0]) or "Array"  # type: ignore[attr-defined]
            name = ast.get_source_segment(text, node.value) or "Float"
            caret = _caret(text, const.col_offset, 3) if single_line else f"    {text}"
            return caret, (
                f"the shape must be a string: write {name}[{array}, '...'] for "
                "an array of any shape"
            )
        if not isinstance(value, str) or _rejection(value) is None:
            continue
        for m in re.finditer(r"\S+", value):
            why = _rejection(value[: m.end()])
            if why is None:
                continue
            token = m.group()
            segment = ast.get_source_segment(text, const) or ""
            if single_line and segment[1:-1] == value and segment[:1] in "'\"":
                where = _caret(text, const.col_offset + 1 + m.start(), len(token))
            else:
                where = f"    {text}"
            return where, f"{token!r}: {why}"
    return None


def _malformed(name: str, subject: str, value: Any, exc: BaseException) -> AnnotationError:
    text = _text(value)
    pointed = _point_at_token(text) if isinstance(value, (str, typing.ForwardRef)) else None
    if pointed is not None:
        where, why = pointed
        msg = f"{name}: {subject} is malformed:\n{where}\n  {why}"
    else:
        detail = str(exc).strip().replace("\n", "\n  ")
        msg = f"{name}: {subject} could not be evaluated:\n    {text}\n  {type(exc).__name__}: {detail}"
    err = AnnotationError(msg)
    err.__cause__ = exc
    return err


def _suggest(exc: NameError, globalns: dict[str, Any], localns: dict[str, Any] | None) -> str:
    missing = getattr(exc, "name", None)
    if not missing:
        return ""
    names = [*globalns, *(localns or {}), *vars(builtins)]
    close = difflib.get_close_matches(missing, names, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _resolve(
    raw: dict[str, Any],
    name: str,
    scopes: dict[str, tuple[dict[str, Any], dict[str, Any] | None]],
    owner_of: dict[str, str | None],
    final: bool,
) -> dict[str, Any]:
    """Evaluate `raw` one annotation at a time (the slow path after a failure)."""
    hints: dict[str, Any] = {}
    undefined: dict[str, NameError] = {}
    for key, value in raw.items():
        globalns, localns = scopes[key]
        try:
            hints[key] = _eval_one(value, globalns, localns)
        except NameError as e:
            undefined[key] = e
        except AttributeError as e:
            if "partially initialized module" not in str(e):
                raise _malformed(name, _subject(key, owner_of[key]), value, e) from e
            # `kernels.Kernel` while `kernels` is still being imported (a circular
            # import): defined later, like an undefined name
            if not final:
                raise NameError(str(e)) from e
            raise _malformed(name, _subject(key, owner_of[key]), value, e) from e
        except Exception as e:
            raise _malformed(name, _subject(key, owner_of[key]), value, e) from e
    if undefined and not final:
        raise next(iter(undefined.values()))  # maybe defined later: retry at the first call
    for key, e in undefined.items():
        evaluated = _with_any(raw[key], e, *scopes[key])
        if isinstance(evaluated, NameError):
            text = _text(raw[key])
            globalns, localns = scopes[key]
            undefined_name = getattr(evaluated, "name", None)
            missing = _uninstalled_import(globalns, undefined_name) if undefined_name else None
            if missing is not None:
                # `Float[torch.Tensor, "n"]` where the optional backend is absent
                err = AnnotationError(
                    f"{name}: {_subject(key, owner_of[key])} needs {missing}, which "
                    f"is not installed:\n    {text}"
                )
                err.unavailable = missing  # type: ignore[attr-defined]
                raise err from evaluated
            raise AnnotationError(
                f"{name}: {_subject(key, owner_of[key])} names something undefined:\n"
                f"    {text}\n  NameError: {evaluated}{_suggest(evaluated, globalns, localns)}"
            ) from evaluated
        if evaluated is not _UNCHECKED:
            hints[key] = evaluated
    return hints


_UNCHECKED = object()


def _uninstalled_import(globalns: dict[str, Any], name: str) -> str | None:
    """The module that would define `name`, if the module whose globals these are
    tries to import it (inside `try:` or `if TYPE_CHECKING:`, as code with
    optional backends does: `import torch`, `import tensorflow as tf`) and it is
    not installed here; else None."""
    path = globalns.get("__file__")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
    except OSError:
        return None
    n = re.escape(name)
    patterns = [
        rf"^\s*import\s+({n})\b(?!\s+as)",
        rf"^\s*import\s+([\w.]+)\s+as\s+{n}\b",
        rf"^\s*from\s+([\w.]+)\s+import\s+[^#\n]*\b{n}\b",
    ]
    for pattern in patterns:
        m = re.search(pattern, source, re.M)
        if m is not None:
            module = m.group(1).split(".")[0]
            return module if _not_installed(module) else None
    return None


def _not_installed(name: str) -> bool:
    """Whether `name` is a module that cannot be imported here."""
    import importlib.util

    if name in sys.modules:
        return False
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):
        return True


def _array_heads(text: str) -> set[str]:
    """Names that build the array annotations in `text`: `Float` and `Array` in
    `Float[Array, "n"]` (an undefined one there is a typo, not a type-only import)."""
    out: set[str] = set()
    for node, _ in _shape_nodes(text):
        for part in [node.value, *node.slice.elts[:-1]]:  # type: ignore[attr-defined]
            out.update(n.id for n in ast.walk(part) if isinstance(n, ast.Name))
    return out


def _with_any(
    value: Any, error: NameError, globalns: dict[str, Any], localns: dict[str, Any] | None
) -> Any:
    """Evaluate an annotation that names something undefined. Names that exist
    only for type checkers (imported under `if TYPE_CHECKING:`) read as `Any`,
    so `Float[Array, "n"] | Dataset` still evaluates; the NameError is returned
    when an undefined name builds an array annotation (`Flaot[Array, "n"]`), and
    `_UNCHECKED` when the annotation cannot be built even so."""
    heads = _array_heads(_text(value))
    subst: dict[str, Any] = {}
    for _ in range(16):
        missing = getattr(error, "name", None)
        if missing is None:
            return error if heads else _UNCHECKED
        if missing in heads:
            return error
        subst[missing] = typing.Any
        try:
            return _eval_one(value, globalns, {**(localns or {}), **subst})
        except NameError as e:
            error = e
        except Exception:
            return _UNCHECKED
    return _UNCHECKED


def function_hints(
    fn: Any, name: str, localns: dict[str, Any] | None = None, *, final: bool = False
) -> dict[str, Any]:
    """`fn`'s annotations, evaluated. Raises `NameError` when a name is not
    defined (yet) and `final` is false, so the caller can retry at the first
    call; `AnnotationError` for a malformed annotation."""
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except NameError:
        if localns:
            try:
                return typing.get_type_hints(fn, localns=localns, include_extras=True)
            except Exception:
                pass
    except Exception:
        pass
    raw = dict(getattr(fn, "__annotations__", None) or {})
    # the names in annotations are those of the module that wrote them: a wrapper
    # made by another decorator (with a __signature__ of its own) lives elsewhere
    globalns = getattr(inspect.unwrap(fn), "__globals__", None) or {}
    scope = (globalns, localns or None)
    return _resolve(raw, name, dict.fromkeys(raw, scope), dict.fromkeys(raw), final)


def class_hints(
    cls: type, where: str, fallback: dict[str, Any] | None = None, *, final: bool = False
) -> dict[str, Any]:
    """The field annotations of `cls` and its bases, evaluated like
    `function_hints` (`fallback`: extra names for classes whose module is not
    importable, such as ones defined in exec'd code)."""
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except Exception:
        pass
    raw: dict[str, Any] = {}
    scopes: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
    owner_of: dict[str, str | None] = {}
    for klass in reversed(cls.__mro__):
        ann = inspect.get_annotations(klass)
        module = sys.modules.get(klass.__module__)
        globalns = dict(vars(module)) if module is not None else {}
        localns = {**(fallback or {}), **vars(klass)}
        for key, value in ann.items():
            raw[key] = value
            scopes[key] = (globalns, localns)
            owner_of[key] = klass.__qualname__
    return _resolve(raw, where, scopes, owner_of, final)
