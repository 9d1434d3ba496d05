"""The pytest plugin, through pytester: modes, ini, packages, generated tests, xdist."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

CHECK_MODE = """
import shapely_nn as sn

def test_mode():
    print("MODE", sn.get_mode())
"""


def _mode_line(result) -> str:
    import re

    found = re.search(r"MODE (\w+)", result.stdout.str())
    assert found, result.stdout.str()
    return found.group(0)


def test_strict_by_default_and_header(pytester, monkeypatch):
    monkeypatch.delenv("SHAPELY_NN_MODE", raising=False)
    pytester.makepyfile(test_m=CHECK_MODE)
    r = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    r.assert_outcomes(passed=1)
    assert _mode_line(r) == "MODE strict"
    r.stdout.fnmatch_lines(["shapely_nn: mode strict (default for test sessions)*"])


def test_command_line_option_and_ini(pytester, monkeypatch):
    monkeypatch.delenv("SHAPELY_NN_MODE", raising=False)
    pytester.makepyfile(test_m=CHECK_MODE)
    pytester.makeini("[pytest]\nshapely_mode = off\n")
    r = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    assert _mode_line(r) == "MODE off"
    r.stdout.fnmatch_lines(["shapely_nn: mode off (ini shapely_mode)*"])
    r = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", "--shapely-mode=on")
    assert _mode_line(r) == "MODE on"


def test_bad_mode_values_are_usage_errors(pytester):
    pytester.makepyfile(test_m=CHECK_MODE)
    r = pytester.runpytest_subprocess("--shapely-mode=loud")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines(["*invalid choice: 'loud'*"])
    pytester.makeini("[pytest]\nshapely_mode = loud\n")
    r = pytester.runpytest_subprocess()
    assert r.ret != 0
    assert (
        "shapely_mode = 'loud': valid values are off, on, strict" in r.stderr.str() + r.stdout.str()
    )


def test_strict_mode_catches_undeclared_axes_in_tests(pytester, monkeypatch):
    monkeypatch.delenv("SHAPELY_NN_MODE", raising=False)
    pytester.makepyfile(
        test_typo="""
        import jax.numpy as jnp
        from jaxtyping import Array, Float
        import shapely_nn as sn

        sn.axis("batch", "independent examples in a minibatch", kind="batch")

        @sn.shaped
        def f(x: Float[Array, "bacth"]) -> Float[Array, "bacth"]:
            return x

        def test_f():
            f(jnp.ones(3))
        """
    )
    r = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    r.assert_outcomes(failed=1)
    r.stdout.fnmatch_lines(["*axis 'bacth' is not declared. Did you mean 'batch'?*"])


def test_packages_option_instruments_a_package_imported_by_conftest(pytester):
    pkg = pytester.mkpydir("instr_pkg")
    (pkg / "model.py").write_text(
        textwrap.dedent(
            """
            from jaxtyping import Array, Float

            def f(x: Float[Array, "n"], y: Float[Array, "n"]) -> Float[Array, "n"]:
                return x + y
            """
        )
    )
    pytester.makeconftest("import instr_pkg.model\n")
    pytester.makepyfile(
        test_use="""
        import jax.numpy as jnp
        import pytest
        import shapely_nn as sn
        import instr_pkg.model as m

        def test_checked():
            with pytest.raises(sn.ShapeError, match="argument 'y'"):
                m.f(jnp.ones(2), jnp.ones(3))
        """
    )
    r = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--shapely-packages=instr_pkg", "--shapely-mode=on"
    )
    r.assert_outcomes(passed=1)
    r.stdout.fnmatch_lines(["*checked packages: instr_pkg*"])


def test_class_scope_ini_option_shares_axes_with_fields(pytester):
    pkg = pytester.mkpydir("scoped_pkg")
    (pkg / "layer.py").write_text(
        textwrap.dedent(
            """
            import dataclasses
            from jaxtyping import Array, Float

            @dataclasses.dataclass
            class Layer:
                w: Float[Array, "i o"]

                def __call__(self, x: Float[Array, " i"]) -> Float[Array, " o"]:
                    return x @ self.w
            """
        )
    )
    pytester.makepyfile(
        test_use="""
        import jax.numpy as jnp
        import pytest
        import shapely_nn as sn
        from scoped_pkg.layer import Layer

        def test_fields_bind_the_method_axes():
            with pytest.raises(sn.ShapeError, match=r"self\\.w"):
                Layer(jnp.ones((3, 2)))(jnp.ones(4))
        """
    )
    pytester.makeini("[pytest]\nshapely_class_scope = true\n")
    r = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--shapely-packages=scoped_pkg", "--shapely-mode=on"
    )
    r.assert_outcomes(passed=1)


def _gen_args(*extra: str) -> list[str]:
    return ["-p", "no:cacheprovider", "--shapely-generate=cli_pkg_bug", "--shapely-mode=on", *extra]


def test_generate_collects_tests_without_a_test_file(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(FIXTURES))
    r = pytester.runpytest_subprocess(*_gen_args("--collect-only", "-q"))
    out = r.stdout.str()
    assert "test_cli_pkg_bug[norm.normalize[batch]]" in out
    assert "test_cli_pkg_bug[norm.scale[shapes]]" in out
    assert "26 tests collected" in out

    r = pytester.runpytest_subprocess(*_gen_args("-k", "normalize and batch"))
    r.assert_outcomes(failed=1)
    out = " ".join(r.stdout.str().split())
    assert "batch: FAILED (example 0, seed 0, sizes " in out
    assert "changed when only example 0 along 'batch' was perturbed" in out
    assert "shapely-generate:cli_pkg_bug::test_cli_pkg_bug[norm.normalize[batch]]" in out
    assert "_check.py" not in out  # the report, not a stack of library internals
    assert "All traceback entries are hidden" not in out

    # skips point at the function under test and name it, not into pytest
    r = pytester.runpytest_subprocess(*_gen_args("-ra", "-k", "scale"))
    r.stdout.fnmatch_lines(
        ["SKIPPED [[]1[]] *cli_pkg_bug*norm.py:*: norm.scale[[]set[]]: no axis of kind 'set'"]
    )
    assert "_pytest/python.py" not in r.stdout.str()


def test_generated_ids_are_identical_under_xdist(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(FIXTURES))
    serial = pytester.runpytest_subprocess(*_gen_args("-k", "scale", "-q", "-rA"))
    parallel = pytester.runpytest_subprocess(*_gen_args("-k", "scale", "-q", "-rA", "-n", "2"))
    serial.assert_outcomes(passed=9, skipped=4)
    parallel.assert_outcomes(passed=9, skipped=4)

    def ids(result):
        return sorted(
            line.split(" ", 1)[1].split(" - ")[0]
            for line in result.stdout.lines
            if line.startswith(("PASSED ", "SKIPPED "))
        )

    assert ids(serial) == ids(parallel)


def test_importing_the_plugin_does_not_import_jax():
    code = "import sys, shapely_nn._pytest_plugin; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_last_failed_reruns_only_the_failing_generated_case(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(FIXTURES))
    args = ["--shapely-generate=cli_pkg_bug", "--shapely-mode=on"]
    first = pytester.runpytest_subprocess(*args)
    first.assert_outcomes(failed=1, passed=17, skipped=8)
    again = pytester.runpytest_subprocess(*args, "--lf")
    again.assert_outcomes(failed=1)
    assert "25 deselected" in again.stdout.str()


def test_instrumented_packages_are_not_held_to_strict_mode(pytester):
    pkg = pytester.mkpydir("plain_pkg")
    (pkg / "model.py").write_text(
        textwrap.dedent(
            """
            from jaxtyping import Array, Float

            def f(x: Float[Array, "n d"]) -> Float[Array, " d"]:
                return x.sum(axis=0)
            """
        )
    )
    pytester.makepyfile(
        test_use="""
        import jax.numpy as jnp
        import pytest
        import shapely_nn as sn
        import plain_pkg.model as m

        def test_undeclared_axes_are_fine_in_their_package():
            assert sn.get_mode() == "strict"
            assert m.f(jnp.ones((2, 3))).shape == (3,)

        def test_still_checked():
            with pytest.raises(sn.ShapeError):
                m.f(jnp.ones(3))
        """
    )
    r = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--shapely-packages=plain_pkg")
    r.assert_outcomes(passed=2)
    r.stdout.fnmatch_lines(
        [
            "*mode strict*checked packages: plain_pkg (with jaxtyping's meaning*strict mode does not apply to them)*"
        ]
    )


def test_an_unknown_package_is_a_usage_error(pytester):
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    r = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--shapely-packages=nopkg_xyz")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines(["*--shapely-packages: no package named 'nopkg_xyz'*"])
