"""A Sphinx extension: axis tables in autodoc output, and an axis glossary.

In `conf.py`:

```python
extensions = ["sphinx.ext.autodoc", "shapely_nn.sphinx"]
```

- Every function autodoc documents that carries jaxtyping array annotations gets
  an "Axes" table appended: each argument (parameter fields expanded), its dtype,
  its shape in axis names, its constraints, and the meaning of each axis.
- Markdown code fences in docstrings become reST code blocks.
- `.. shapely-axes:: mypkg` renders the glossary of a module or package: every
  axis it declares or uses, with kind, meaning, where it is declared and which
  functions use it. Undeclared axes are flagged.
"""

from __future__ import annotations

from typing import Any

__all__ = ["setup"]


def _function_rst(obj: Any) -> list[str]:
    from ._docmodel import function_doc
    from ._render import function_rst

    doc = function_doc(obj)
    if doc is None:
        return []
    return ["", ".. rubric:: Axes", "", *function_rst(doc, []), ""]


def fences_to_rst(lines: list[str]) -> list[str]:
    """Markdown code fences (```python ... ```) in a docstring, as reST code blocks."""
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        stripped = line.strip()
        if fence is None and stripped.startswith("```"):
            indent = line[: len(line) - len(line.lstrip())]
            lang = stripped[3:].strip() or "text"
            out += [f"{indent}.. code-block:: {lang}", ""]
            fence = indent
            continue
        if fence is not None:
            if stripped.startswith("```"):
                out.append("")
                fence = None
                continue
            out.append(fence + "   " + line[len(fence) :] if line.strip() else "")
            continue
        out.append(line)
    return out


def _process_docstring(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    lines[:] = fences_to_rst(lines)
    if what not in ("function", "method"):
        return
    try:
        lines.extend(_function_rst(obj))
    except Exception as e:  # a documentation build must not die on one function
        from sphinx.util import logging

        logging.getLogger(__name__).warning(f"shapely_nn: cannot describe {name}: {e}")


def _inline(text: str) -> list[Any]:
    """docutils nodes for a table cell written with the ``literal`` and **strong**
    markup the renderer uses (built directly, so the same table appears whatever
    parser reads the page: reST or MyST)."""
    import re

    from docutils import nodes

    out: list[Any] = []
    for part in re.split(r"(``[^`]+``|\*\*[^*]+\*\*)", text):
        if part.startswith("``") and part.endswith("``") and len(part) > 4:
            out.append(nodes.literal(part[2:-2], part[2:-2]))
        elif part.startswith("**") and part.endswith("**") and len(part) > 4:
            out.append(nodes.strong(part[2:-2], part[2:-2]))
        elif part:
            out.append(nodes.Text(part))
    return out


def table_node(header: list[str], rows: list[list[str]]) -> Any:
    """A docutils table: a header row, then `rows`."""
    from docutils import nodes

    table = nodes.table(classes=["shapely-axes"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for j, h in enumerate(header):
        # relative widths (the text builder reads them as characters)
        width = max(len(h), *(len(r[j].replace("``", "")) for r in rows)) if rows else len(h)
        group += nodes.colspec(colwidth=max(width, 4))

    def row(cells: list[str]) -> Any:
        r = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph("", "", *_inline(cell))
            r += entry
        return r

    head = nodes.thead()
    head += row(header)
    body = nodes.tbody()
    for cells in rows:
        body += row(cells)
    group += head
    group += body
    return table


def _glossary_directive() -> Any:
    from sphinx.util.docutils import SphinxDirective

    class ShapelyAxes(SphinxDirective):
        required_arguments = 1
        has_content = False

        def run(self) -> list[Any]:
            from ._discovery import TargetError, load_target
            from ._docmodel import collect_module
            from ._render import GLOSSARY_HEADER, glossary_rows

            target = self.arguments[0]
            try:
                doc = collect_module(load_target(target), target)
            except TargetError as e:
                raise self.error(f"shapely-axes: {e}") from None
            return [table_node(GLOSSARY_HEADER, glossary_rows(doc, "``"))]

    return ShapelyAxes


def setup(app: Any) -> dict[str, Any]:
    from .__about__ import __version__

    app.connect("autodoc-process-docstring", _process_docstring)
    app.add_directive("shapely-axes", _glossary_directive())
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
