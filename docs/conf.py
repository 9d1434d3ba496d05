"""Sphinx configuration for shapely_nn's documentation (it uses shapely_nn.sphinx)."""

project = "shapely_nn"
author = "shapely_nn developers"
extensions = ["myst_parser", "sphinx.ext.autodoc", "shapely_nn.sphinx"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the axis tables say it better
html_theme = "furo"
html_title = "shapely_nn"
copyright = "2026, shapely_nn developers"
# `single backticks` in docstrings are code, as in Markdown (not reST's <cite>)
default_role = "code"
html_theme_options = {"top_of_page_buttons": ["view"]}
html_static_path = ["_static"]
html_css_files = ["shapely.css"]
suppress_warnings = ["myst.xref_missing"]
smartquotes = False  # keep the quotes of Simplex("klass") as written
