"""Writing a plan's annotations into the source with libcst: formatting and
comments kept, the imports the annotations need added once, existing shape
annotations kept unless `overwrite` (a bare `Array` / `np.ndarray` has no
shape and is always replaced), so that a second run changes nothing."""

from __future__ import annotations

import difflib
import functools
import os
import re
from dataclasses import dataclass, field
from typing import Any

from . import _annotate_plan

__all__ = ["Edit", "MissingLibcst", "edit_files", "unified_diff"]

_BARE = {"Array", "ndarray", "ArrayLike", "NDArray"}
_JAXTYPING = ("Float", "Int", "Bool", "Complex", "Key", "Shaped", "Array")
_LONG = 99


class MissingLibcst(Exception):
    """libcst, which writes the annotations, is not installed."""


def _cst() -> Any:
    try:
        import libcst
    except ImportError:
        raise MissingLibcst(
            "writing annotations needs libcst: pip install 'shapely_nn[annotate]'"
        ) from None
    return libcst


@dataclass
class Edit:
    """The new text of each changed file, what was annotated, what was kept."""

    old: dict[str, str] = field(default_factory=dict)
    new: dict[str, str] = field(default_factory=dict)
    annotated: list[str] = field(default_factory=list)  # "module.qualname"
    kept: list[str] = field(default_factory=list)  # "module.qualname(arg)"
    not_called: list[str] = field(default_factory=list)


def edit_files(plan: _annotate_plan.Plan, *, overwrite: bool = False) -> Edit:
    cst = _cst()
    edit = Edit()
    for path, module in sorted(plan.modules.items()):
        try:
            with open(path, encoding="utf-8") as f:
                old = f.read()
        except OSError:
            continue
        tree = cst.parse_module(old)
        bound, numpy = _imports(cst, tree)
        t = _transformer()(plan, path, module, overwrite, edit, numpy or "np")
        new_tree = tree.visit(t)
        if t.needed:
            new_tree = _add_imports(new_tree, t.needed - bound, numpy is None)
        new = new_tree.code
        if new != old:
            edit.old[path], edit.new[path] = old, new
    return edit


def unified_diff(edit: Edit, root: str | None = None) -> str:
    out = []
    for path in sorted(edit.new):
        rel = os.path.relpath(path, root or os.getcwd())
        if rel.startswith(".."):
            rel = path.lstrip("/")
        out += difflib.unified_diff(
            edit.old[path].splitlines(keepends=True),
            edit.new[path].splitlines(keepends=True),
            fromfile=f"a/{rel}",
            tofile=f"b/{rel}",
        )
    return "".join(out)


def _names(cst: Any, node: Any) -> set[str]:
    out = set()
    for n in _walk(cst, node):
        if isinstance(n, cst.Name):
            out.add(n.value)
        elif isinstance(n, cst.Attribute):
            out.add(n.attr.value)
    return out


def _walk(cst: Any, node: Any) -> list[Any]:
    out = [node]
    for child in node.children:
        out += _walk(cst, child)
    return out


def _has_dims(cst: Any, node: Any) -> bool:
    """A jaxtyping annotation (a string of dimensions inside a subscript) or an
    `Annotated[...]`: something the user wrote on purpose."""
    for n in _walk(cst, node):
        if isinstance(n, cst.Subscript):
            base = n.value.attr.value if isinstance(n.value, cst.Attribute) else n.value
            if getattr(base, "value", "") == "Annotated":
                return True
            for el in n.slice:
                if isinstance(el.slice, cst.Index) and isinstance(
                    el.slice.value, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)
                ):
                    return True
    return False


def _bare(cst: Any, node: Any) -> bool:
    """An array type without a shape (`Array`, `jax.Array`, `np.ndarray`, those
    in a tuple or `| None`)."""
    names = _names(cst, node) - {"tuple", "Tuple", "None", "Optional", "jax", "np", "numpy"}
    names -= {"jnp", "typing", "npt"}
    return bool(names) and names <= _BARE and not _has_dims(cst, node)


@functools.cache
def _transformer() -> Any:
    cst = _cst()

    class Transformer(cst.CSTTransformer):
        def __init__(self, plan, path, module, overwrite, edit, numpy) -> None:  # type: ignore[no-untyped-def]
            super().__init__()
            self.numpy = numpy
            self.functions = plan.functions.get(path, {})
            self.classes = plan.classes.get(path, {})
            self.module, self.overwrite, self.edit = module, overwrite, edit
            self.stack: list[str] = []
            self.needed: set[str] = set()
            self.seen: set[str] = set()

        def _qual(self, name: str) -> str:
            return "".join(self.stack) + name

        def visit_ClassDef(self, node: Any) -> None:
            self.stack.append(node.name.value + ".")

        def leave_ClassDef(self, original: Any, updated: Any) -> Any:
            self.stack.pop()
            fields = self.classes.get(self._qual(original.name.value))
            if not fields:
                return updated
            body, changed = [], False
            for stmt in updated.body.body:
                if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
                    ann = stmt.body[0]
                    if isinstance(ann, cst.AnnAssign) and isinstance(ann.target, cst.Name):
                        text = fields.get(ann.target.value)
                        new = self._choose(ann.annotation.annotation, text)
                        if new is not None:
                            stmt = stmt.with_changes(
                                body=[ann.with_changes(annotation=cst.Annotation(new))]
                            )
                            changed = True
                body.append(stmt)
            if changed:
                self.edit.annotated.append(f"{self.module}.{self._qual(original.name.value)}")
                return updated.with_changes(body=updated.body.with_changes(body=body))
            return updated

        def visit_FunctionDef(self, node: Any) -> None:
            self.stack.append(node.name.value + ".<locals>.")

        def leave_FunctionDef(self, original: Any, updated: Any) -> Any:
            self.stack.pop()
            if _is_overload(cst, original):
                # a typing.overload stub: the implementation below it is what ran
                return updated
            qual = self._qual(original.name.value)
            self.seen.add(qual)
            fp = self.functions.get(qual)
            if fp is None:
                self.edit.not_called.append(f"{self.module}.{qual}")
                return updated
            changed = False

            def fix(param: Any) -> Any:
                nonlocal changed
                text = fp.params.get(param.name.value)
                old = param.annotation.annotation if param.annotation else None
                new = self._choose(old, text, f"{qual}({param.name.value})")
                if new is None:
                    return param
                changed = True
                out = param.with_changes(annotation=cst.Annotation(new))
                if param.default is not None:
                    space = cst.SimpleWhitespace(" ")
                    out = out.with_changes(
                        equal=cst.AssignEqual(whitespace_before=space, whitespace_after=space)
                    )
                return out

            params = updated.params
            params = params.with_changes(
                params=[fix(p) for p in params.params],
                posonly_params=[fix(p) for p in params.posonly_params],
                kwonly_params=[fix(p) for p in params.kwonly_params],
            )
            returns = updated.returns.annotation if updated.returns else None
            new_ret = self._choose(returns, fp.returns, f"{qual}(return)")
            if new_ret is not None:
                changed = True
                updated = updated.with_changes(returns=cst.Annotation(new_ret))
            if not changed:
                return updated
            self.edit.annotated.append(f"{self.module}.{qual}")
            updated = updated.with_changes(params=params)
            return _wrap_params(cst, updated, len(self.stack))

        def _choose(self, old: Any, text: str | None, where: str = "") -> Any:
            """The new annotation node, or None to leave `old` alone."""
            if text is None:
                return None
            if self.numpy != "np":
                text = re.sub(r"\bnp\.ndarray\b", f"{self.numpy}.ndarray", text)
            if (
                old is not None
                and _names(cst, old) & {"None", "Optional"}
                and not re.search(r"\bNone\b", text)
            ):
                # the author allows None (`Array | None`) though this run never
                # passed it: keep that, or a call with None would fail the check
                text = f"{text} | None"
            new = cst.parse_expression(text)
            if old is not None and not _bare(cst, old):
                if not (self.overwrite and _has_dims(cst, old)):
                    if where and _has_dims(cst, old):
                        self.edit.kept.append(f"{self.module}.{where}")
                    return None
                if isinstance(old, cst.Subscript) and _names(cst, old.value) & {"Annotated"}:
                    first = old.slice[0].with_changes(slice=cst.Index(new))
                    new = old.with_changes(slice=[first, *old.slice[1:]])
                if old.deep_equals(new):
                    return None
            self.needed |= {n for n in _JAXTYPING if re.search(rf"\b{n}\[|\b{n}\b", text)}
            if ".ndarray" in text:
                self.needed.add("numpy")
            return new

    return Transformer


def _wrap_params(cst: Any, fn: Any, depth: int) -> Any:
    """One parameter a line, with a trailing comma, when the header got too long
    (what black and ruff format do with it)."""
    bare = fn.with_changes(leading_lines=[], decorators=[], body=cst.IndentedBlock(body=[]))
    first = cst.Module(body=[bare]).code.splitlines()[0]
    indent = "    " * depth
    if len(indent + first) <= _LONG or "\n" in cst.Module(body=[]).code_for_node(fn.params):
        return fn
    params = fn.params
    default = cst.MaybeSentinel.DEFAULT
    # every element in source order, the markers `/`, `*` and `*args`, `**kwargs` too
    slots: list[tuple[str, int | None]] = [
        ("posonly_params", i) for i in range(len(params.posonly_params))
    ]
    if params.posonly_ind is not default:
        slots.append(("posonly_ind", None))
    slots += [("params", i) for i in range(len(params.params))]
    if params.star_arg is not default:
        slots.append(("star_arg", None))
    slots += [("kwonly_params", i) for i in range(len(params.kwonly_params))]
    if params.star_kwarg is not None:
        slots.append(("star_kwarg", None))
    inner = cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        indent=True,
        last_line=cst.SimpleWhitespace("    "),
    )
    last = cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace("")
    )
    changes: dict[str, Any] = {
        "posonly_params": list(params.posonly_params),
        "params": list(params.params),
        "kwonly_params": list(params.kwonly_params),
    }
    for n, (attr, i) in enumerate(slots):
        space = last if n == len(slots) - 1 else inner
        node = getattr(params, attr) if i is None else getattr(params, attr)[i]
        node = node.with_changes(comma=cst.Comma(whitespace_after=space))
        if i is None:
            changes[attr] = node
        else:
            changes[attr][i] = node
    params = params.with_changes(**changes)
    return fn.with_changes(params=params, whitespace_before_params=inner)


def _imports(cst: Any, tree: Any) -> tuple[set[str], str | None]:
    """The names the module's top-level imports bind, and its alias for numpy."""
    bound: set[str] = set()
    numpy = None
    for stmt in tree.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    bound.add(alias.evaluated_alias or alias.evaluated_name)
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    if alias.evaluated_name == "numpy":
                        numpy = alias.evaluated_alias or "numpy"
    return bound, numpy


def _add_imports(tree: Any, needed: set[str], numpy: bool) -> Any:
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    context = CodemodContext()
    for name in sorted(needed - {"numpy"}):
        AddImportsVisitor.add_needed_import(context, "jaxtyping", name)
    if "numpy" in needed and numpy:
        AddImportsVisitor.add_needed_import(context, "numpy", asname="np")
    tree = AddImportsVisitor(context).transform_module(tree)
    return tree.visit(_sort_jaxtyping_import())


@functools.cache
def _sort_jaxtyping_import() -> Any:
    """The names of `from jaxtyping import ...` in order (as isort has them)."""
    cst = _cst()

    class Sort(cst.CSTTransformer):
        def leave_ImportFrom(self, original: Any, updated: Any) -> Any:
            module = getattr(updated.module, "value", None)
            if module != "jaxtyping" or isinstance(updated.names, cst.ImportStar):
                return updated
            names = list(updated.names)
            order = sorted(names, key=lambda a: a.evaluated_name)
            if [a.evaluated_name for a in order] == [a.evaluated_name for a in names]:
                return updated
            commas = [a.comma for a in names]
            return updated.with_changes(
                names=[a.with_changes(comma=c) for a, c in zip(order, commas)]
            )

    return Sort()


def _is_overload(cst: Any, node: Any) -> bool:
    """Whether a def is decorated `@overload` / `@typing.overload`."""
    for d in node.decorators:
        expr = d.decorator.attr if isinstance(d.decorator, cst.Attribute) else d.decorator
        if isinstance(expr, cst.Name) and expr.value == "overload":
            return True
    return False
