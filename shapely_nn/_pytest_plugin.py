"""The pytest plugin (entry point `pytest11`): strict mode in test sessions,
`--shapely-packages` and `--shapely-generate`.

Importing it imports no jax: option names are constants here, and anything
heavy is imported inside the hooks that need it.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

OPT_MODE = "--shapely-mode"
OPT_PACKAGES = "--shapely-packages"
OPT_GENERATE = "--shapely-generate"
INI_MODE = "shapely_mode"
INI_PACKAGES = "shapely_packages"
INI_GENERATE = "shapely_generate"
INI_CLASS_SCOPE = "shapely_class_scope"
INI_CACHE_DIR = "shapely_cache_dir"
MODES = ("off", "on", "strict")


def _split(values: list[str] | str | None) -> list[str]:
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        for part in v.replace(",", " ").split():
            if part not in out:
                out.append(part)
    return out


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("shapely_nn", "shapely_nn shape checking")
    group.addoption(
        OPT_MODE,
        choices=MODES,
        default=None,
        help="checking mode for this session (default: the ini option shapely_mode, "
        "else $SHAPELY_NN_MODE, else strict)",
    )
    group.addoption(
        OPT_PACKAGES,
        action="append",
        default=[],
        metavar="PKG[,PKG]",
        help="check every annotated function of these packages through the import hook",
    )
    group.addoption(
        OPT_GENERATE,
        action="append",
        default=[],
        metavar="PKG[,PKG]",
        help="collect tests generated from the annotations of these packages",
    )
    parser.addini(INI_MODE, "shapely_nn checking mode: off, on or strict", default=None)
    parser.addini(
        INI_PACKAGES, "packages to check through the import hook", type="args", default=[]
    )
    parser.addini(INI_GENERATE, "packages to collect generated tests for", type="args", default=[])
    parser.addini(
        INI_CACHE_DIR,
        "where generated tests keep jax's compiled programs between runs ('off' for "
        "none; default: $SHAPELY_NN_CACHE_DIR, else the platform's cache directory)",
        default=None,
    )
    parser.addini(
        INI_CLASS_SCOPE,
        "share a method's axes with the fields of self in the checked packages "
        "(sn.check_package(..., class_scope=True))",
        type="bool",
        default=False,
    )


def _mode(config: pytest.Config) -> tuple[str, str]:
    cli = config.getoption(OPT_MODE)
    if cli:
        return cli, OPT_MODE
    ini = config.getini(INI_MODE)
    if ini:
        value = str(ini).strip().lower()
        if value not in MODES:
            raise pytest.UsageError(
                f"ini option {INI_MODE} = {ini!r}: valid values are {', '.join(MODES)}"
            )
        return value, f"ini {INI_MODE}"
    env = os.environ.get("SHAPELY_NN_MODE")
    if env:
        return env.strip().lower(), "$SHAPELY_NN_MODE"
    return "strict", "default for test sessions"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    # early enough that a package imported by a conftest is instrumented
    packages = _split(early_config.known_args_namespace.__dict__.get("shapely_packages"))
    if not packages:
        try:
            packages = _split(early_config.getini(INI_PACKAGES))
        except ValueError:
            packages = []
    if packages:
        import importlib.util

        for name in packages:
            try:
                found = importlib.util.find_spec(name) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                raise pytest.UsageError(
                    f"{OPT_PACKAGES}: no package named {name!r} (is it installed, or on "
                    "PYTHONPATH?)"
                )
        import shapely_nn

        mode, _ = _mode(early_config)
        shapely_nn.set_mode(mode)  # type: ignore[arg-type]
        class_scope = bool(early_config.getini(INI_CLASS_SCOPE))
        early_config._shapely_hook = shapely_nn.check_package(  # type: ignore[attr-defined]
            packages, class_scope=class_scope
        )


def pytest_configure(config: pytest.Config) -> None:
    import shapely_nn

    mode, source = _mode(config)
    shapely_nn.set_mode(mode)  # type: ignore[arg-type]
    config._shapely_mode = (mode, source)  # type: ignore[attr-defined]
    cache = config.getini(INI_CACHE_DIR)
    if cache:
        # read by the first check (importing jax here would slow every session)
        os.environ["SHAPELY_NN_CACHE_DIR"] = str(cache)


def pytest_unconfigure(config: pytest.Config) -> None:
    hook = getattr(config, "_shapely_hook", None)
    if hook is not None:
        hook.uninstall()


def pytest_report_header(config: pytest.Config) -> str:
    mode, source = getattr(config, "_shapely_mode", ("?", "?"))
    extra = []
    packages = _split(config.getoption(OPT_PACKAGES)) or _split(config.getini(INI_PACKAGES))
    if packages:
        extra.append(
            f"checked packages: {', '.join(packages)} (with jaxtyping's meaning: axes per "
            "call, strict mode does not apply to them)"
        )
    generate = _generate_targets(config)
    if generate:
        extra.append(f"generated tests: {', '.join(generate)}")
    return f"shapely_nn: mode {mode} ({source})" + "".join(f"; {e}" for e in extra)


def _generate_targets(config: pytest.Config) -> list[str]:
    return _split(config.getoption(OPT_GENERATE)) or _split(config.getini(INI_GENERATE))


class GeneratedModule(pytest.Module):
    """A module collector whose tests come from `sn.testing.generate_tests`."""

    package: str = ""

    def _getobj(self) -> Any:
        import types

        from shapely_nn.testing import generate_tests

        mod = types.ModuleType(f"shapely_generated.{self.package}")
        mod.__file__ = str(self.path)
        safe = self.package.replace(".", "_")
        setattr(mod, f"test_{safe}", generate_tests(self.package))
        return mod


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    targets = _generate_targets(config)
    if not targets:
        return
    from pathlib import Path

    from shapely_nn._discovery import TargetError, load_target

    for name in targets:
        try:
            module = load_target(name)
        except TargetError as e:
            raise pytest.UsageError(f"{OPT_GENERATE}: {e}") from None
        path = Path(module.__file__ or name)
        collector = GeneratedModule.from_parent(
            session, path=path, name=f"shapely-generate:{name}", nodeid=f"shapely-generate:{name}"
        )
        collector.package = name
        items.extend(session.genitems(collector))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """Reports of generated tests in the user's terms: a skip points at the
    function under test (not into pytest) and names it; a failure is the
    property's report alone (no "All traceback entries are hidden")."""
    outcome = yield
    if call.when != "call" or not getattr(
        getattr(item, "obj", None), "__shapely_nn_generated__", False
    ):
        return
    report = outcome.get_result()
    params = getattr(getattr(item, "callspec", None), "params", {})
    case = params.get("case")
    if not isinstance(case, tuple) or len(case) != 3:
        return
    name, obj, prop = case
    if report.skipped and isinstance(report.longrepr, tuple):
        _, _, reason = report.longrepr
        reason = reason.removeprefix("Skipped: ")
        path, line = _source_of(obj, report.longrepr[0], report.longrepr[1])
        report.longrepr = (path, line, f"Skipped: {name}[{prop}]: {reason}")
    elif report.failed and call.excinfo is not None:
        report.longrepr = str(call.excinfo.value)


def _source_of(obj: Any, path: str, line: int) -> tuple[str, int]:
    """Where the function under test is defined (file, 0-based line)."""
    import inspect

    fn = getattr(obj, "cls", None)
    fn = getattr(fn, obj.name) if fn is not None else obj
    try:
        fn = inspect.unwrap(getattr(fn, "__func__", fn))
        _, first = inspect.getsourcelines(fn)
        return inspect.getsourcefile(fn) or path, first - 1
    except (TypeError, OSError, ValueError):
        return path, line
