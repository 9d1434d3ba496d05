"""The Sphinx extension on a tiny project, and the project's own docs site
(built with warnings as errors, so broken references fail)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
from sphinx.cmd.build import build_main

from shapely_nn.sphinx import fences_to_rst

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


def test_extension_adds_axis_tables_and_the_glossary(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(FIXTURES))
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["sphinx.ext.autodoc", "shapely_nn.sphinx"]\nproject = "t"\nsmartquotes = False\n'
    )
    (src / "index.rst").write_text(
        textwrap.dedent(
            """
            Tiny
            ====

            .. shapely-axes:: cli_pkg_ok

            .. autofunction:: cli_pkg_ok.layers.dense
            .. autofunction:: cli_pkg_ok.layers.helper
            """
        )
    )
    out = tmp_path / "out"
    assert build_main(["-W", "-q", "-b", "text", str(src), str(out)]) == 0
    text = (out / "index.txt").read_text()
    assert "independent examples in a minibatch" in text  # glossary
    assert "**not declared**" in text or "not declared" in text  # outdim
    assert "layers.project" in text  # used by
    assert "Axes" in text  # the rubric under dense
    assert "(feature, hidden)" in text and "NonNegative" in text
    assert text.count("Axes") == 1  # helper has no annotations: no table


def test_unknown_glossary_target_is_a_build_error(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["shapely_nn.sphinx"]\nproject = "t"\n')
    (src / "index.rst").write_text("T\n=\n\n.. shapely-axes:: no_such_module_xyz\n")
    assert build_main(["-W", "-q", "-b", "text", str(src), str(tmp_path / "out")]) != 0


def test_markdown_fences_become_code_blocks():
    lines = ["Text.", "", "```python", "x = 1", "", "y = 2", "```", "after"]
    assert fences_to_rst(lines) == [
        "Text.",
        "",
        ".. code-block:: python",
        "",
        "   x = 1",
        "",
        "   y = 2",
        "",
        "after",
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="paths")
# myst-parser uses Sphinx APIs deprecated for Sphinx 11: a Python warning, not a
# documentation warning (sphinx-build -W still fails on those)
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning", "ignore::DeprecationWarning")
def test_project_docs_build_without_warnings(tmp_path):
    pytest.importorskip("myst_parser")
    out = tmp_path / "html"
    assert build_main(["-W", "-q", "-b", "html", str(ROOT / "docs"), str(out)]) == 0
    examples = (out / "examples.html").read_text()
    assert "width of the transformer" in examples  # the glossary, generated
    assert "Simplex('klass')" in examples  # an axis table from autodoc
    api = (out / "api.html").read_text()
    # `single backticks` in docstrings render as code, not as <cite>
    assert "<cite>" not in api and api.count('class="docutils literal') > 50
    assert "Getting started" in (out / "index.html").read_text()
    assert "shapely.css" in api  # full-width, wrapped code blocks
    assert "©." not in api  # a footer with a holder


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning", "ignore::DeprecationWarning")
def test_the_glossary_is_a_table_on_myst_and_rst_pages(tmp_path, monkeypatch):
    pytest.importorskip("myst_parser")
    monkeypatch.syspath_prepend(str(FIXTURES))
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["myst_parser", "sphinx.ext.autodoc", "shapely_nn.sphinx"]\n'
        'project = "t"\nsource_suffix = {".rst": "restructuredtext", ".md": "markdown"}\n'
    )
    (src / "index.rst").write_text(
        "T\n=\n\n.. toctree::\n\n   page\n\n.. shapely-axes:: cli_pkg_ok\n"
    )
    (src / "page.md").write_text("# Page\n\n```{shapely-axes} cli_pkg_ok\n```\n")
    out = tmp_path / "out"
    assert build_main(["-W", "-q", "-b", "html", str(src), str(out)]) == 0
    for name in ("index.html", "page.html"):
        html = (out / name).read_text()
        table = html.split('<table class="shapely-axes', 1)
        assert len(table) == 2, f"{name}: no glossary table"
        body = table[1].split("</table>", 1)[0]
        assert "<th" in body and "independent examples in a minibatch" in body
        # code as code, not as literal markup
        assert (
            '<code class="docutils literal notranslate"><span class="pre">batch</span></code>'
            in body
        )
        assert "list-table" not in html and "``" not in body
