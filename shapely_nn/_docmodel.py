"""What the documentation says, as data: each documented function's values
(arguments, fields, return) with their dtype, shape in axis names and
constraints, and the axes a module declares and uses.

`_render.py` turns this model into Markdown, reST, JSON and the "Shapes"
docstring section; the CLI (`docs`, `axes`), the Sphinx extension and
`@sn.shaped(doc=True)` all read it, so they cannot disagree.
"""

from __future__ import annotations

import inspect
import re
import types
from dataclasses import dataclass, field
from typing import Any

from ._annotations import documented_leaves, spec_axes, struct_fields
from ._axes import registry
from ._signature import Plan, build_plan, display_name, plan_of
from ._spec import ArraySpec, FallbackSpec

__all__ = ["SCHEMA", "Entry", "FunctionDoc", "ModuleDoc", "collect_module", "function_doc"]

SCHEMA = "shapely_nn.docs/1"


@dataclass
class Entry:
    """One documented value: an argument, a field of one, or the return."""

    path: str
    kind: str  # "array" | "other"
    dtype: str = ""
    array: str = ""
    shape: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    optional: bool = False
    type: str = ""

    def shape_text(self) -> str:
        """'(batch, feature)', 'scalar' for a 0-d array, '' for a non-array value."""
        if self.kind != "array":
            return ""
        return "(" + ", ".join(self.shape) + ")" if self.shape else "scalar"

    def type_text(self) -> str:
        return self.dtype if self.kind == "array" else self.type

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "kind": self.kind}
        if self.kind == "array":
            out.update(
                dtype=self.dtype,
                array_type=self.array,
                shape=self.shape,
                constraints=self.constraints,
            )
        else:
            out["type"] = self.type
        if self.optional:
            out["optional"] = True
        return out


@dataclass
class FunctionDoc:
    name: str
    module: str
    summary: str
    entries: list[Entry]
    axes: list[str]
    kinds: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "summary": self.summary,
            "values": [e.as_json() for e in self.entries],
            "axes": self.axes,
            "kind_overrides": dict(sorted(self.kinds.items())),
        }


def _plan(fn: Any) -> Plan | None:
    plan = plan_of(fn)
    if plan is not None:
        return plan
    try:
        return build_plan(fn, display_name(fn), None)
    except Exception:
        return None


def _entry(path: str, spec: Any, optional: bool) -> Entry:
    if isinstance(spec, ArraySpec):
        return Entry(
            path,
            "array",
            dtype=spec.dtype_name,
            array=spec.array_type_name(),
            shape=spec.shape_labels(),
            constraints=[repr(c) for c in spec.constraints],
            optional=optional,
        )
    assert isinstance(spec, FallbackSpec)
    hint = spec.hint
    name = getattr(hint, "__name__", None) if isinstance(hint, type) else None
    text = re.sub(r"\b(typing|builtins|jaxtyping)\.", "", repr(hint))
    return Entry(path, "other", type=name or text, optional=optional)


def _self_fields(plan: Plan, owner: type | None) -> list[tuple[str, Any]]:
    """The annotated fields of `self` that share a method's axes (class scope)."""
    if owner is None or not any(p.is_self for p in plan.all_params):
        return []
    try:
        return [(f"self.{n}", s) for n, s in struct_fields(owner) or ()]
    except Exception:
        return []


def function_doc(fn: Any, name: str | None = None, owner: type | None = None) -> FunctionDoc | None:
    """The documentation model of one function (None if it has no array
    annotations); `owner`, for a method, adds the fields of `self` it shares
    axes with."""
    plan = _plan(fn)
    if plan is None:
        return None
    values = _self_fields(plan, owner)
    values += [(p.name, p.spec) for p in plan.all_params]
    values += [
        (("*" if p is plan.varargs else "**") + p.name, p.spec)
        for p in (plan.varargs, plan.varkw)
        if p is not None
    ]
    if plan.ret is not None:
        values.append(("return", plan.ret))
    entries = [
        _entry(path, spec, optional)
        for root, s in values
        for path, spec, optional in documented_leaves(s, root)
    ]
    if not any(e.kind == "array" for e in entries):
        return None
    axes = spec_axes([s for _, s in values]) if owner is not None else list(plan.axes_used)
    doc = inspect.getdoc(inspect.unwrap(fn)) or ""
    summary = doc.strip().split("\n\n")[0].replace("\n", " ") if doc else ""
    module = getattr(inspect.unwrap(fn), "__module__", "") or ""
    return FunctionDoc(name or plan.name, module, summary, entries, axes, dict(plan.kinds))


@dataclass
class ModuleDoc:
    """A module's or package's documentation: its axes and functions."""

    name: str
    axes: list[dict[str, Any]]
    functions: list[FunctionDoc]


def collect_module(root: types.ModuleType, name: str) -> ModuleDoc:
    from ._discovery import annotated_functions, iter_modules

    modules = iter_modules(root)
    names = {m.__name__ for m in modules}
    functions: list[FunctionDoc] = []
    for found in annotated_functions(root, modules, private=False):
        owner = found.owner if found.binding == "method" else None
        d = function_doc(found.fn, found.name, owner)
        if d is not None:
            functions.append(d)
    functions.sort(key=lambda d: d.name)
    used: dict[str, list[str]] = {}
    for d in functions:
        for a in d.axes:
            used.setdefault(a, []).append(d.name)
    reg = registry()
    axis_names = sorted(set(used) | {a.name for a in reg if a.declared_in in names})
    axes = []
    for n in axis_names:
        ax = reg.get(n)
        axes.append(
            {
                "name": n,
                "declared": ax is not None,
                "kind": ax.kind if ax else None,
                "size": ax.size if ax else None,
                "doc": ax.doc if ax else None,
                "declared_in": ax.declared_in if ax else None,
                "used_by": sorted(used.get(n, [])),
            }
        )
    return ModuleDoc(name, axes, functions)
