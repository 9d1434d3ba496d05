"""The `shapely-nn` command line, through subprocess calls on fixture packages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(FIXTURES), "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "shapely_nn", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=FIXTURES,
        timeout=300,
    )


def package(tmp_path: Path, name: str, files: dict[str, str]) -> dict[str, str]:
    """Write a package under tmp_path; the environment that puts it on the path."""
    pkg = tmp_path / name
    pkg.mkdir()
    for fname, text in files.items():
        (pkg / fname).write_text(text)
    return {"PYTHONPATH": f"{tmp_path}{os.pathsep}{FIXTURES}"}


@pytest.fixture(scope="module")
def bug_run():
    return run("check", "cli_pkg_bug", "--property", "shapes", "--property", "batch")


def test_check_passes_on_a_correct_package():
    r = run(
        "check", "cli_pkg_ok", "--property", "shapes", "--property", "values", "--property", "batch"
    )
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["function", "shp", "val", "bat"]
    assert lines[1].split() == ["layers.dense", "ok", "ok", "ok"]
    assert lines[2].split() == ["layers.project", "ok", "-", "ok"]
    assert "helper" not in r.stdout
    assert "2 functions: 5 passed, 0 failed, 1 skipped" in r.stdout
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert "[1/2] checking layers.dense" in r.stderr  # progress, one line each when not a TTY


def test_check_fails_with_status_1_and_shows_the_failure(bug_run):
    r = bug_run
    assert r.returncode == 1
    assert "norm.normalize ok   FAIL" in r.stdout
    assert "norm.scale     ok   ok" in r.stdout
    assert "1 failure:" in r.stdout
    assert "norm.normalize[batch]" in r.stdout
    assert "changed when only example" in r.stdout
    assert all(len(line) <= 80 for line in r.stdout.splitlines())


def test_check_on_a_py_file():
    r = run("check", str(FIXTURES / "cli_pkg_ok" / "layers.py"), "--property", "shapes")
    assert r.returncode == 0, r.stderr
    assert "dense" in r.stdout


def test_unknown_target_is_usage_error_without_traceback():
    r = run("check", "no_such_package_xyz")
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "shapely-nn: error: no module named 'no_such_package_xyz' (is it installed, or on PYTHONPATH?)"
    )
    assert "Traceback" not in r.stderr
    r = run("check", "missing_file.py")
    assert r.returncode == 2 and "no such file: missing_file.py" in r.stderr


def test_bad_options_are_usage_errors():
    r = run("check", "cli_pkg_ok", "--property", "shape")
    assert r.returncode == 2 and "invalid choice: 'shape'" in r.stderr
    r = run("check", "cli_pkg_ok", "--examples", "0")
    assert r.returncode == 2 and "expected a positive integer" in r.stderr
    r = run()
    assert r.returncode == 2


def test_axes_lists_declared_used_and_undeclared():
    r = run("axes", "cli_pkg_ok")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.splitlines()[0].split() == ["axis", "kind", "meaning"]
    assert "batch    batch  independent examples in a minibatch" in out
    assert "used by: layers.dense, layers.project" in out
    assert "used but not declared:" in out
    assert "outdim: used by layers.project" in out


def test_docs_markdown_json_rst_and_output_file(tmp_path):
    md = run("docs", "cli_pkg_ok")
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# Axes of `cli_pkg_ok`")
    assert "| `outdim` |  | **not declared** |  | `layers.project` |" in md.stdout
    assert "| `p.w` | Float | (feature, hidden) |  |" in md.stdout
    assert "| return | Float | (batch, hidden) | NonNegative |" in md.stdout
    data = json.loads(run("docs", "cli_pkg_ok", "--format", "json").stdout)
    assert data["schema"] == "shapely_nn.docs/1"
    assert [f["name"] for f in data["functions"]] == ["layers.dense", "layers.project"]
    assert data["axes"][0] == {
        "name": "batch",
        "declared": True,
        "kind": "batch",
        "size": None,
        "doc": "independent examples in a minibatch",
        "declared_in": "cli_pkg_ok.layers",
        "used_by": ["layers.dense", "layers.project"],
    }
    rst = run("docs", "cli_pkg_ok", "--format", "rst")
    assert rst.stdout.startswith("Axes of ``cli_pkg_ok``\n======================")
    out = tmp_path / "axes.md"
    r = run("docs", "cli_pkg_ok", "-o", str(out))
    assert r.returncode == 0 and out.read_text() == md.stdout
    assert run("docs", "cli_pkg_ok").stdout == md.stdout  # deterministic


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "shapely-nn"
    assert exe.exists()
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("shapely-nn ")


def test_submodule_needing_a_missing_optional_dependency_is_skipped_with_a_warning(tmp_path):
    env = package(
        tmp_path,
        "pkg_with_extra",
        {
            "__init__.py": "",
            "core.py": "from jaxtyping import Array, Float\n\n"
            "def double(x: Float[Array, ' n']) -> Float[Array, ' n']:\n"
            "    return 2 * x\n",
            "extra.py": "try:\n"
            "    import shapely_nn_missing_dependency_xyz\n"
            "except ImportError as e:\n"
            "    raise ImportError('pkg_with_extra.extra needs the [extra] install') from e\n",
            "broken.py": "",
        },
    )
    r = run("check", "pkg_with_extra", "--property", "shapes", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "core.double" in r.stdout, r.stdout
    assert (
        "shapely-nn: warning: shapely_nn skips module pkg_with_extra.extra: it needs "
        "'shapely_nn_missing_dependency_xyz', which is not installed (ImportError: "
        "pkg_with_extra.extra needs the [extra] install)"
    ) in r.stderr
    # any other import error still stops the run: it is a bug in the package
    (tmp_path / "pkg_with_extra" / "broken.py").write_text("raise RuntimeError('boom')\n")
    r = run("check", "pkg_with_extra", env=env)
    assert r.returncode == 2
    assert "importing 'pkg_with_extra.broken' failed at " in r.stderr
    assert "broken.py:1 (raise RuntimeError('boom')): RuntimeError: boom" in r.stderr


def test_axes_and_check_on_methods_of_a_plain_class(tmp_path):
    init = (
        "from jaxtyping import Array, Float\n"
        "import shapely_nn as sn\n\n"
        "sn.axis('pc_feature', 'features')\n\n\n"
        "class Plain:\n"
        "    def __init__(self, config):\n"
        "        self.config = config\n\n"
        "    @sn.shaped\n"
        "    def __call__(self, x: Float[Array, 'pc_batch pc_feature']) -> Float[Array, ' pc_batch']:\n"
        "        return x.sum(1)\n"
    )
    env = package(tmp_path, "plain_cls_pkg", {"__init__.py": init})
    r = run("axes", "plain_cls_pkg", env=env)
    assert r.returncode == 0, r.stderr
    assert "used by: Plain.__call__" in r.stdout and "pc_batch: used by Plain.__call__" in r.stdout
    r = run("check", "plain_cls_pkg", "--property", "shapes", env=env)
    assert r.returncode == 0, r.stderr
    assert "argument 'config' has no annotation and no default" in " ".join(r.stdout.split())


def test_a_malformed_annotation_is_a_failure_not_a_crash(tmp_path):
    init = (
        "from __future__ import annotations\n"
        "from jaxtyping import Array, Float\n\n"
        "def good(x: Float[Array, ' n']) -> Float[Array, ' n']:\n"
        "    return x\n\n"
        "def bad(x: Float[Array, ' n']) -> Float[Array, ' n+']:\n"
        "    return x\n"
    )
    env = package(tmp_path, "bad_ann_pkg", {"__init__.py": init})
    r = run("check", "bad_ann_pkg", "--property", "shapes", env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert "bad      FAIL" in r.stdout and "good     ok" in r.stdout
    assert "its annotations cannot be used: bad(), return: the symbolic axis 'n+'" in r.stdout


def test_docs_output_to_a_missing_directory_or_a_directory_is_a_message(tmp_path):
    for out, why in [
        (tmp_path / "no" / "such" / "AXES.md", "No such file"),
        (tmp_path, "a directory"),
    ]:
        r = run("docs", "cli_pkg_ok", "-o", str(out))
        assert r.returncode == 2, r.stdout + r.stderr
        assert "Traceback" not in r.stderr
        assert f"shapely-nn: error: cannot write {out}: " in r.stderr and why in r.stderr


def test_a_file_inside_a_package_is_checked_by_path(tmp_path):
    package(
        tmp_path,
        "userproj",
        {
            "__init__.py": "",
            "util.py": "SCALE = 2\n",
            "layers.py": "from jaxtyping import Array, Float\n"
            "from .util import SCALE\n\n"
            "def double(x: Float[Array, ' n']) -> Float[Array, ' n']:\n"
            "    return SCALE * x\n",
        },
    )
    r = run("check", str(tmp_path / "userproj" / "layers.py"), "--property", "shapes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "double   ok" in r.stdout


def test_a_malformed_annotation_evaluated_at_import_names_the_line(tmp_path):
    env = package(
        tmp_path,
        "commas",
        {
            "__init__.py": "from jaxtyping import Array, Float\n\n"
            "def f(x: Float[Array, 'a,b']) -> Float[Array, 'a']:\n"
            "    return x[:, 0]\n",
        },
    )
    r = run("check", "commas", env=env)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "commas/__init__.py:3 (def f(x: Float[Array, 'a,b']) -> Float[Array, 'a']:)" in r.stderr
    assert "ValueError" in r.stderr


def test_axes_on_a_module_without_annotations_is_a_usage_error(tmp_path):
    env = package(tmp_path, "plainpkg", {"__init__.py": "def f(x):\n    return x\n"})
    r = run("axes", "plainpkg", env=env)
    assert r.returncode == 2
    assert "plainpkg declares no axes and has no jaxtyping annotations" in r.stderr


def test_check_flags_a_typo_of_an_axis_declared_in_the_same_package(tmp_path):
    env = package(
        tmp_path,
        "typopkg",
        {
            "__init__.py": "import shapely_nn as sn\n"
            "from jaxtyping import Array, Float\n\n"
            "sn.axis('batch', 'examples', kind='batch')\n"
            "sn.axis('feat', 'features')\n\n"
            "def good(x: Float[Array, 'batch feat']) -> Float[Array, 'batch feat']:\n"
            "    return 2 * x\n\n"
            "def typo(x: Float[Array, 'bacth feat']) -> Float[Array, 'bacth feat']:\n"
            "    return 2 * x\n\n"
            "def other(x: Float[Array, 'rows cols']) -> Float[Array, 'rows cols']:\n"
            "    return 2 * x\n",
        },
    )
    r = run("check", "typopkg", "--property", "shapes", env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    flat = " ".join(r.stdout.split())
    assert "typo FAIL" in flat and "good ok" in flat and "other ok" in flat
    assert "axis 'bacth' is not declared; did you mean 'batch' (declared in typopkg)?" in flat
