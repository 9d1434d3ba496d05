import jaxtyping

import shapely_nn as sn


def test_all_is_pinned():
    assert sorted(sn.__all__) == sorted(
        [
            "KINDS",
            "MODES",
            "AnnotationError",
            "AnnotationWarning",
            "Axis",
            "AxisConflictError",
            "AxisRegistry",
            "Constraint",
            "Finite",
            "IndexInto",
            "NonNegative",
            "Positive",
            "Probability",
            "Recording",
            "ShapeError",
            "ShapelyError",
            "Simplex",
            "ValueConstraintError",
            "Violation",
            "axes",
            "axis",
            "check_package",
            "describe",
            "get_check_traced",
            "get_mode",
            "mode",
            "record",
            "set_check_traced",
            "set_mode",
            "shaped",
        ]
    )
    for name in sn.__all__:
        assert getattr(sn, name) is not None


def test_error_hierarchy_keeps_jaxtyping_except_clauses_working():
    assert issubclass(sn.ShapeError, jaxtyping.TypeCheckError)
    assert issubclass(sn.AnnotationError, jaxtyping.AnnotationError)
    for cls in (
        sn.ShapeError,
        sn.AnnotationError,
        sn.AxisConflictError,
        sn.ValueConstraintError,
    ):
        assert issubclass(cls, sn.ShapelyError)
        assert cls.__module__ == "shapely_nn"


def test_testing_all_is_pinned():
    assert sorted(sn.testing.__all__) == sorted(
        [
            "DEFAULT",
            "PROPERTIES",
            "ParityError",
            "ParityReport",
            "PropertyResult",
            "Report",
            "assert_checks",
            "assert_loss_decreases",
            "assert_parity",
            "between",
            "check",
            "dummy_args",
            "generate_tests",
            "init",
            "parity",
            "register",
            "set_cache_dir",
        ]
    )


def test_every_export_is_in_the_api_reference():
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
    missing = [n for n in sn.__all__ if f"shapely_nn.{n}\n" not in page]
    missing += [n for n in sn.testing.__all__ if f"shapely_nn.testing.{n}\n" not in page]
    assert "shapely_nn.KINDS\n" in page  # (py:data entries count too)
    assert not missing, f"add these to docs/api.md: {missing}"


def test_importing_shapely_nn_never_imports_torch():
    import subprocess
    import sys

    code = (
        "import sys, shapely_nn, shapely_nn.testing, shapely_nn.examples.classifier; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
