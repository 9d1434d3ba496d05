"""The documentation model (`_docmodel.py`) as text: `sn.describe(fn)`, the
"Shapes" docstring section of `@sn.shaped(doc=True)`, `shapely-nn docs` in
Markdown, reST and JSON, and the reST the Sphinx extension inserts.

The JSON form is a stable schema for other tools (`SCHEMA`, documented in
docs/documentation.md). Output is sorted, so it can be committed and diffed.
"""

from __future__ import annotations

import json
import types
from typing import Any

from ._axes import registry
from ._docmodel import SCHEMA, FunctionDoc, ModuleDoc, collect_module, function_doc

__all__ = [
    "FORMATS",
    "GLOSSARY_HEADER",
    "describe",
    "function_rst",
    "glossary_rows",
    "render_module",
    "rst_table",
    "shapes_section",
]

GLOSSARY_HEADER = ["axis", "kind", "meaning", "declared in", "used by"]
VALUES_HEADER = ["value", "dtype", "shape", "constraints"]


def axis_line(name: str, kinds: dict[str, str], code: str = "`") -> str:
    """One axis of a function: name, kind (and override), size and meaning, with
    `code` as the inline-code quote ('`' Markdown, '``' reST, '' plain text)."""
    ax = registry().get(name)
    strong = "**" if code else ""
    if ax is None:
        return f"{code}{name}{code}: {strong}not declared{strong}"
    kind = kinds.get(name, ax.kind)
    extras = []
    if name in kinds:
        extras.append(f"{kind} here; declared {ax.kind}")
    elif kind != "plain":
        extras.append(kind)
    if ax.size is not None:
        extras.append(f"size {ax.size}")
    tail = f" ({', '.join(extras)})" if extras else ""
    return f"{code}{name}{code}{tail}: {ax.doc or '(no description)'}"


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
        lines += [f"- {axis_line(a, doc.kinds)}" for a in doc.axes]
    return "\n".join(lines) + "\n"


def shapes_section(fn: Any) -> str:
    """The plain-text "Shapes" section `@sn.shaped(doc=True)` appends to a docstring."""
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
        lines += ["    " + axis_line(a, doc.kinds, code="") for a in doc.axes]
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


def glossary_rows(doc: ModuleDoc, code: str) -> list[list[str]]:
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


def _md(doc: ModuleDoc) -> str:
    out = [f"# Axes of `{doc.name}`", "", "## Glossary", ""]
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


def rst_table(rows: list[list[str]], header: list[str]) -> list[str]:
    """A reST list-table."""
    out = [".. list-table::", "   :header-rows: 1", ""]
    for r in [header, *rows]:
        out.append("   * - " + (r[0] or " "))
        out += [f"     - {c or ' '}" for c in r[1:]]
    return out


def _value_rows(f: FunctionDoc) -> list[list[str]]:
    return [
        [
            f"``{e.path}``" + (" (optional)" if e.optional else ""),
            e.type_text(),
            e.shape_text(),
            ", ".join(e.constraints),
        ]
        for e in f.entries
    ]


def function_rst(f: FunctionDoc, axes_heading: list[str]) -> list[str]:
    """A function's values table and axis list in reST; `axes_heading` goes
    between the two."""
    out = rst_table(_value_rows(f), VALUES_HEADER)
    if f.axes:
        out += ["", *axes_heading] + [f"- {axis_line(a, f.kinds, code='``')}" for a in f.axes]
    return out


def _rst(doc: ModuleDoc) -> str:
    title = f"Axes of ``{doc.name}``"
    out = [title, "=" * len(title), "", "Glossary", "--------", ""]
    out += rst_table(glossary_rows(doc, "``"), GLOSSARY_HEADER)
    out += ["", "Functions", "---------", ""]
    for f in doc.functions:
        head = f"``{f.name}``"
        out += [head, "~" * len(head), ""]
        if f.summary:
            out += [f.summary, ""]
        out += function_rst(f, ["Axes:", ""])
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _json(doc: ModuleDoc) -> str:
    data = {
        "schema": SCHEMA,
        "target": doc.name,
        "axes": doc.axes,
        "functions": [f.as_json() for f in doc.functions],
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


FORMATS = {"md": _md, "rst": _rst, "json": _json}


def render_module(root: types.ModuleType, *, fmt: str = "md", name: str | None = None) -> str:
    """The axis glossary and per-function tables of a module or package."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; valid formats are 'md', 'rst', 'json'")
    return FORMATS[fmt](collect_module(root, name or root.__name__))
