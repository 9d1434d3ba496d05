"""Every ```python block in README.md and docs/*.md runs, in order, page by page.

(```py blocks are illustrations that need the reader's own modules.)
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)
TEXT = re.compile(r"```python\n((?:(?!```).)*?)```\n\nprints\n\n```text\n(.*?)```", re.S)


def _needs(text: str) -> None:
    """A page that starts `<!-- needs: torch -->` runs where torch is installed."""
    first = text.split("\n", 1)[0]
    if first.startswith("<!-- needs:"):
        for name in first.removeprefix("<!-- needs:").removesuffix("-->").split(","):
            pytest.importorskip(name.strip())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_examples_run(page, isolated_axes):
    _needs(page.read_text())
    blocks = BLOCK.findall(page.read_text())
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for block in blocks:
        exec(compile(block, str(page), "exec", dont_inherit=True), namespace)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_printed_output_matches_the_page(page, isolated_axes):
    """A block followed by 'prints' must print exactly what the page shows."""
    text = page.read_text()
    _needs(text)
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    shown = dict(TEXT.findall(text))
    assert all(block in BLOCK.findall(text) for block in shown)
    checked = 0
    for block in BLOCK.findall(text):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(page), "exec", dont_inherit=True), namespace)
        if block in shown:
            assert out.getvalue() == shown[block]
            checked += 1
    assert checked == len(shown) == text.count("\nprints\n")


def test_quickstart_runs_and_catches_the_transposed_input(capsys, isolated_axes):
    from shapely_nn.examples import quickstart

    quickstart.main()
    out = capsys.readouterr().out
    assert "jit agrees with eager: True" in out
    assert "did you swap 'batch' and" in out
    readme = (ROOT / "README.md").read_text()
    # the README shows the real output (abridged at the end)
    shown = readme.split("```text\neager:", 1)[1].split("  ...\n", 1)[0]
    assert "eager:" + shown in out


def test_readme_main_job_lists_the_example_functions():
    """The README's table names exactly the functions `shapely-nn check
    shapely_nn.examples` checks (running it is test_examples.py's job)."""
    from shapely_nn.testing._generate import discover

    readme = (ROOT / "README.md").read_text()
    table = readme.split("```text\nfunction ", 1)[1].split("...\n", 1)[0]
    names = [line.split()[0] for line in table.splitlines()[1:] if line.strip()]
    assert names == [name for name, _ in discover("shapely_nn.examples")]


def test_readme_docs_output_is_real():
    from shapely_nn._render import render_module
    from shapely_nn.examples import mlp

    readme = (ROOT / "README.md").read_text()
    shown = readme.split("```text\n| value | dtype |", 1)[1].split("```", 1)[0]
    assert "| value | dtype |" + shown in render_module(mlp, name="shapely_nn.examples.mlp")
