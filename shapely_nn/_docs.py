"""Documentation from the annotations: `sn.describe(fn)` and `shapely-nn docs`.

The JSON form is a stable schema for other tools (`SCHEMA`, documented in
docs/documentation.md); Markdown and reST are rendered from the same model.
Output is sorted, so it can be committed and diffed.
"""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from ._axes import registry
from ._decorator import plan_of
from ._signature import Plan, build_plan
from ._spec import (
    AnySpec,
    ArraySpec,
    FallbackSpec,
    NoneSpec,
    Spec,
    StructSpec,
    TupleSpec,
    UnionSpec,
    spec_from_hint,
)

__all__ = ["SCHEMA", "describe", "render_target"]

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
    name = getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn))).rsplit("<locals>.", 1)[-1]
    try:
        return build_plan(fn, name, None)
    except Exception:
        return None


def _entries(spec: Spec, path: str, optional: bool = False) -> list[Entry]:
    if isinstance(spec, ArraySpec):
        t = getattr(spec.array_type, "__name__", repr(spec.array_type)).rsplit(".", 1)[-1]
        return [
            Entry(
                path,
                "array",
                dtype=spec.dtype_name,
                array=t,
                shape=spec.shape_labels(),
                constraints=[repr(c) for c in spec.constraints],
                optional=optional,
            )
        ]
    if isinstance(spec, StructSpec):
        out: list[Entry] = []
        for name, fspec in spec.fields:
            out.extend(_entries(fspec, f"{path}.{name}", optional))
        return out
    if isinstance(spec, TupleSpec):
        if spec.homogeneous:
            return _entries(spec.items[0], f"{path}[i]", optional)
        out = []
        for i, s in enumerate(spec.items):
            out.extend(_entries(s, f"{path}[{i}]", optional))
        return out
    if isinstance(spec, UnionSpec):
        opts = [o for o in spec.options if not isinstance(o, NoneSpec)]
        has_none = len(opts) != len(spec.options)
        if len(opts) == 1:
            return _entries(opts[0], path, optional or has_none)
        out = []
        for i, o in enumerate(opts):
            out.extend(_entries(o, f"{path} (option {i + 1})", optional or has_none))
        return out
    if isinstance(spec, (AnySpec, NoneSpec)):
        return []
    assert isinstance(spec, FallbackSpec)
    hint = spec.hint
    if typing.get_origin(hint) is tuple and Ellipsis not in typing.get_args(hint):
        # checked as a whole by beartype, documented item by item
        out = []
        for i, a in enumerate(typing.get_args(hint)):
            out.extend(_entries(spec_from_hint(a), f"{path}[{i}]", optional))
        return out
    name = getattr(hint, "__name__", None) if isinstance(hint, type) else None
    text = re.sub(r"\b(typing|builtins|jaxtyping)\.", "", repr(hint))
    return [Entry(path, "other", type=name or text, optional=optional)]


def function_doc(fn: Any, name: str | None = None) -> FunctionDoc | None:
    plan = _plan(fn)
    if plan is None:
        return None
    entries: list[Entry] = []
    for p in plan.all_params:
        entries.extend(_entries(p.spec, p.name))
    for p in (plan.varargs, plan.varkw):
        if p is not None:
            entries.extend(_entries(p.spec, ("*" if p is plan.varargs else "**") + p.name))
    if plan.ret is not None:
        entries.extend(_entries(plan.ret, "return"))
    if not any(e.kind == "array" for e in entries):
        return None
    axes: list[str] = []
    for e in entries:
        for label in e.shape:
            for n in _names_in(label):
                if n not in axes:
                    axes.append(n)
    doc = inspect.getdoc(inspect.unwrap(fn)) or ""
    summary = doc.strip().split("\n\n")[0].replace("\n", " ") if doc else ""
    module = getattr(inspect.unwrap(fn), "__module__", "") or ""
    return FunctionDoc(name or plan.name, module, summary, entries, axes, dict(plan.kinds))


def _names_in(label: str) -> list[str]:
    """Axis names in a shape label: 'batch', '#n', '*lead', 'n+1' -> names."""
    import re

    text = label.lstrip("#*")
    if text in ("...", "_") or text.isdigit():
        return []
    if text.isidentifier():
        return [text]
    return [
        t for t in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text) if t not in ("max", "min", "abs")
    ]


# ------------------------------------------------------------------ rendering


def _axis_line(name: str, kinds: dict[str, str]) -> str:
    ax = registry().get(name)
    if ax is None:
        return f"`{name}`: **not declared**"
    kind = kinds.get(name, ax.kind)
    extras = []
    if name in kinds:
        extras.append(f"{kind} here; declared {ax.kind}")
    elif kind != "plain":
        extras.append(kind)
    if ax.size is not None:
        extras.append(f"size {ax.size}")
    tail = f" ({', '.join(extras)})" if extras else ""
    return f"`{name}`{tail}: {ax.doc or '(no description)'}"


def _md_function(doc: FunctionDoc, level: int = 3) -> str:
    lines = [f"{'#' * level} `{doc.name}`", ""]
    if doc.summary:
        lines += [doc.summary, ""]
    lines += ["| value | dtype | shape | constraints |", "| --- | --- | --- | --- |"]
    for e in doc.entries:
        path = "return" if e.path == "return" else f"`{e.path}`"
        opt = " (optional)" if e.optional else ""
        if e.kind == "array":
            cons = ", ".join(e.constraints)
            lines.append(f"| {path}{opt} | {e.dtype} | {e.shape_text()} | {cons} |")
        else:
            lines.append(f"| {path}{opt} | {e.type} | | |")
    if doc.axes:
        lines += ["", "Axes:", ""]
        lines += [f"- {_axis_line(a, doc.kinds)}" for a in doc.axes]
    return "\n".join(lines) + "\n"


def shapes_section(fn: Any) -> str:
    """The "Shapes" section `@sn.shaped(doc=True)` appends to a docstring."""
    doc = function_doc(fn)
    if doc is None:
        return ""
    lines = ["Shapes:"]
    for e in doc.entries:
        opt = " (optional)" if e.optional else ""
        if e.kind == "array":
            cons = f"; {', '.join(e.constraints)}" if e.constraints else ""
            lines.append(f"    {e.path}{opt}: {e.dtype} {e.shape_text()}{cons}")
    if doc.axes:
        lines += ["", "Axes:"]
        lines += [
            "    " + _axis_line(a, doc.kinds).replace("`", "").replace("**", "") for a in doc.axes
        ]
    return "\n".join(lines)


def describe(fn: Any) -> str:
    """A function's arguments, fields and return with dtype, shape in axis names,
    each axis's meaning and kind, and value constraints, as Markdown.

    ```python
    print(sn.describe(rnn))
    ```
    """
    doc = function_doc(fn)
    if doc is None:
        name = getattr(fn, "__qualname__", repr(fn))
        raise TypeError(f"sn.describe: {name} has no jaxtyping array annotations to describe")
    return _md_function(doc)


@dataclass
class TargetDoc:
    target: str
    axes: list[dict[str, Any]]
    functions: list[FunctionDoc]


def collect(root: types.ModuleType, target_name: str) -> TargetDoc:
    from ._target import iter_modules, public_functions

    modules = iter_modules(root)
    names = {m.__name__ for m in modules}
    functions: list[FunctionDoc] = []
    for name, fn, _ in public_functions(root, modules):
        d = function_doc(fn, name)
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
    return TargetDoc(target_name, axes, functions)


def glossary_rows(doc: TargetDoc, code: str) -> list[list[str]]:
    """Glossary cells (axis, kind, meaning, declared in, used by), with `code`
    as the inline-code quote: '`' for Markdown, '``' for reST."""
    rows = []
    for a in doc.axes:
        if not a["declared"]:
            kind, meaning, where = "", "**not declared**", ""
        else:
            kind = a["kind"] + (f", size {a['size']}" if a["size"] is not None else "")
            meaning = a["doc"] or "(no description)"
            where = f"{code}{a['declared_in']}{code}" if a["declared_in"] else ""
        users = ", ".join(f"{code}{u}{code}" for u in a["used_by"])
        rows.append([f"{code}{a['name']}{code}", kind, meaning, where, users])
    return rows


GLOSSARY_HEADER = ["axis", "kind", "meaning", "declared in", "used by"]
VALUES_HEADER = ["value", "dtype", "shape", "constraints"]


def _md(doc: TargetDoc) -> str:
    out = [f"# Axes of `{doc.target}`", "", "## Glossary", ""]
    out += ["| " + " | ".join(GLOSSARY_HEADER) + " |", "| --- | --- | --- | --- | --- |"]
    out += ["| " + " | ".join(row) + " |" for row in glossary_rows(doc, "`")]
    undeclared = [a["name"] for a in doc.axes if not a["declared"]]
    if undeclared:
        out += [
            "",
            f"Used but not declared: {', '.join(f'`{n}`' for n in undeclared)}. "
            "Declare them with `sn.axis(name, doc)`.",
        ]
    out += ["", "## Functions", ""]
    for f in doc.functions:
        out.append(_md_function(f))
    return "\n".join(out).rstrip() + "\n"


def _rst_table(rows: list[list[str]], header: list[str]) -> list[str]:
    out = [".. list-table::", "   :header-rows: 1", ""]
    for r in [header, *rows]:
        out.append("   * - " + (r[0] or " "))
        out += [f"     - {c or ' '}" for c in r[1:]]
    return out


def value_rows_rst(f: FunctionDoc) -> list[list[str]]:
    """One reST table row per documented value of a function."""
    return [
        [
            f"``{e.path}``" + (" (optional)" if e.optional else ""),
            e.type_text(),
            e.shape_text(),
            ", ".join(e.constraints),
        ]
        for e in f.entries
    ]


def _rst_axis_line(name: str, kinds: dict[str, str]) -> str:
    return _axis_line(name, kinds).replace("`", "``").replace("**", "**")


def _rst(doc: TargetDoc) -> str:
    title = f"Axes of ``{doc.target}``"
    out = [title, "=" * len(title), "", "Glossary", "--------", ""]
    out += _rst_table(glossary_rows(doc, "``"), GLOSSARY_HEADER)
    out += ["", "Functions", "---------", ""]
    for f in doc.functions:
        head = f"``{f.name}``"
        out += [head, "~" * len(head), ""]
        if f.summary:
            out += [f.summary, ""]
        out += _rst_table(value_rows_rst(f), VALUES_HEADER)
        if f.axes:
            out += ["", "Axes:", ""] + [f"- {_rst_axis_line(a, f.kinds)}" for a in f.axes]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _json(doc: TargetDoc) -> str:
    data = {
        "schema": SCHEMA,
        "target": doc.target,
        "axes": doc.axes,
        "functions": [f.as_json() for f in doc.functions],
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def render_target(
    root: types.ModuleType, *, fmt: str = "md", target_name: str | None = None
) -> str:
    doc = collect(root, target_name or root.__name__)
    if fmt == "md":
        return _md(doc)
    if fmt == "rst":
        return _rst(doc)
    if fmt == "json":
        return _json(doc)
    raise ValueError(f"unknown format {fmt!r}; valid formats are 'md', 'rst', 'json'")
