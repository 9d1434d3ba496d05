"""Resolving a TARGET (module name, package name, or path to a .py file) for the
CLI and the pytest plugin, and finding the annotated functions inside it."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path

__all__ = ["TargetError", "load_target"]


class TargetError(Exception):
    """The target cannot be found or imported; the message says why."""


def load_target(target: str) -> types.ModuleType:
    if not isinstance(target, str) or not target:
        raise TargetError("no target given: name a module, a package or a .py file")
    path = Path(target)
    if target.endswith(".py") or path.is_file():
        if not path.is_file():
            raise TargetError(f"no such file: {target}")
        return _load_file(path.resolve())
    if path.is_dir() and (path / "__init__.py").is_file():
        parent = str(path.resolve().parent)
        if parent not in sys.path:
            sys.path.insert(0, parent)
        target = path.resolve().name
    if not all(part.isidentifier() for part in target.split(".")):
        raise TargetError(f"{target!r} is neither a module name nor a .py file")
    cwd = str(Path.cwd())
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as e:
        if e.name and (target == e.name or target.startswith(e.name + ".")):
            raise TargetError(
                f"no module named {target!r} (is it installed, or on PYTHONPATH?)"
            ) from None
        raise TargetError(f"importing {target!r} failed: {type(e).__name__}: {e}") from e
    except Exception as e:
        raise TargetError(f"importing {target!r} failed: {type(e).__name__}: {e}") from e


def _load_file(path: Path) -> types.ModuleType:
    name = path.stem if path.name != "__init__.py" else path.parent.name
    if not name.isidentifier():
        name = "shapely_target_" + "".join(c if c.isalnum() else "_" for c in name)
    parent = str(path.parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TargetError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        del sys.modules[name]
        raise TargetError(f"importing {path} failed: {type(e).__name__}: {e}") from e
    return module


def iter_modules(root: types.ModuleType) -> list[types.ModuleType]:
    """The module itself and, for a package, every submodule (sorted by name)."""
    import pkgutil

    out = [root]
    if hasattr(root, "__path__"):
        names = sorted(
            info.name for info in pkgutil.walk_packages(root.__path__, root.__name__ + ".")
        )
        for name in names:
            try:
                out.append(importlib.import_module(name))
            except Exception as e:
                raise TargetError(f"importing {name!r} failed: {type(e).__name__}: {e}") from e
    return out
