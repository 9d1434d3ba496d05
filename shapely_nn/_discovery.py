"""What the command line names: resolving a TARGET (module name, package name,
or path to a .py file) for the CLI and the pytest plugin, the modules inside it,
and the annotated functions they define."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Found", "TargetError", "annotated_functions", "iter_modules", "load_target"]


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


def _missing_dependency(error: BaseException, package: str) -> str | None:
    """The name of a module outside `package` whose absence caused `error`
    (an optional dependency that is not installed), or None."""
    seen: set[int] = set()
    e: BaseException | None = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        name = e.name if isinstance(e, ModuleNotFoundError) else None
        if name and name != package and not name.startswith(package + "."):
            return name
        e = e.__cause__ or e.__context__
    return None


def iter_modules(root: types.ModuleType) -> list[types.ModuleType]:
    """The module itself and, for a package, every submodule (sorted by name).

    A submodule that cannot be imported because an optional dependency is not
    installed (`gpjax.xarray` without xarray) is skipped with a warning; any
    other import error is a `TargetError`."""
    import pkgutil

    out = [root]
    if hasattr(root, "__path__"):
        names = sorted(
            info.name for info in pkgutil.walk_packages(root.__path__, root.__name__ + ".")
        )
        package = root.__name__.split(".")[0]
        skipped: list[str] = []
        for name in names:
            if any(name.startswith(s + ".") for s in skipped):
                continue
            try:
                out.append(importlib.import_module(name))
            except Exception as e:
                missing = _missing_dependency(e, package)
                if missing is None:
                    raise TargetError(f"importing {name!r} failed: {type(e).__name__}: {e}") from e
                why = f"it needs {missing!r}, which is not installed ({type(e).__name__}: {e})"
                skipped.append(name)
                warnings.warn(f"shapely_nn skips module {name}: {why}", UserWarning, stacklevel=2)
    return out


@dataclass(frozen=True)
class Found:
    """A function found in a module: its name relative to the root, the object,
    and the class it is a method of (None for a module-level function)."""

    name: str
    fn: Any
    owner: type | None = None


def annotated_functions(root: types.ModuleType, modules: list[types.ModuleType]) -> list[Found]:
    """Each public function defined in `modules` and each `@sn.shaped` method (or
    `__call__`) of a class defined there, module by module, names sorted."""
    import inspect

    out: list[Found] = []
    for mod in modules:
        prefix = "" if mod is root else mod.__name__[len(root.__name__) + 1 :] + "."
        for name, obj in sorted(vars(mod).items()):
            if name.startswith("_"):
                continue
            if inspect.isfunction(obj) or hasattr(obj, "__shapely_nn__"):
                if getattr(inspect.unwrap(obj), "__module__", None) == mod.__name__:
                    out.append(Found(prefix + name, obj))
            elif inspect.isclass(obj) and obj.__module__ == mod.__name__:
                for mname, member in sorted(vars(obj).items()):
                    public = not mname.startswith("_") or mname == "__call__"
                    if public and hasattr(member, "__shapely_nn__"):
                        out.append(Found(f"{prefix}{name}.{mname}", member, obj))
    return out
