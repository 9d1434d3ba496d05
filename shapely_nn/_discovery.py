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

from ._errors import ShapelyError

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
        dotted = _module_name(path.resolve())
        if dotted is None:
            return _load_file(path.resolve())
        # a file inside a package: imported as part of it (its relative imports work)
        root, target = dotted
        if root not in sys.path:
            sys.path.insert(0, root)
    elif path.is_dir() and (path / "__init__.py").is_file():
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
        raise TargetError(f"importing {target!r} failed{_where(e)}: {type(e).__name__}: {e}") from e
    except Exception as e:
        raise TargetError(f"importing {target!r} failed{_where(e)}: {type(e).__name__}: {e}") from e


def _module_name(path: Path) -> tuple[str, str] | None:
    """(the directory to import from, the dotted name) of a .py file inside a
    package (its directory holds an __init__.py), else None."""
    if not (path.parent / "__init__.py").is_file():
        return None
    parts = [] if path.name == "__init__.py" else [path.stem]
    d = path.parent
    while (d / "__init__.py").is_file() and d.name.isidentifier():
        parts.insert(0, d.name)
        d = d.parent
    if not all(p.isidentifier() for p in parts):
        return None
    return str(d), ".".join(parts)


def _where(error: BaseException) -> str:
    """' at file:line (the statement)' for the deepest frame of `error` in code
    outside the installed libraries: for an annotation that fails while the
    module is defined (without `from __future__ import annotations`, jaxtyping
    checks `Float[Array, "a,b"]` then), that names the function and the line."""
    import linecache
    import site
    import sysconfig

    libs = tuple(
        {*site.getsitepackages(), sysconfig.get_paths()["stdlib"], str(Path(__file__).parent)}
    )
    tb = error.__traceback__
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith(libs) and not filename.startswith("<"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return ""
    filename, lineno = found
    line = linecache.getline(filename, lineno).strip()
    return f" at {filename}:{lineno} ({line})" if line else f" at {filename}:{lineno}"


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
        raise TargetError(f"importing {path} failed{_where(e)}: {type(e).__name__}: {e}") from e
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
    installed (`gpjax.xarray` without xarray), or whose import a shapely_nn check
    refused (a module-level call under `sn.check_package`), is skipped with a
    warning; any other import error is a `TargetError`."""
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
                if isinstance(e, ShapelyError):
                    # a module-level call that shapely_nn's checks refused (under
                    # sn.check_package): a finding to report, not a reason to stop
                    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
                    why = f"importing it raised {type(e).__name__}: {first}"
                elif missing is None:
                    raise TargetError(
                        f"importing {name!r} failed{_where(e)}: {type(e).__name__}: {e}"
                    ) from e
                else:
                    why = f"it needs {missing!r}, which is not installed ({type(e).__name__}: {e})"
                skipped.append(name)
                warnings.warn(f"shapely_nn skips module {name}: {why}", UserWarning, stacklevel=2)
    return out


@dataclass(frozen=True)
class Found:
    """A function found in a module: its name relative to the root, the object to
    call (a function, or whatever wraps it: `jax.jit`, `equinox.filter_jit`, a
    `functools.wraps` decorator), and for a method the class and how it is bound
    ("method", "static" or "class")."""

    name: str
    fn: Any
    owner: type | None = None
    binding: str = "function"


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _defined_in(obj: Any, module: str) -> Any:
    """The function `obj` wraps (jit, filter_jit, wraps-decorators unwrapped), if
    it is a function with annotations defined in `module`; else None."""
    import inspect

    try:
        inner = inspect.unwrap(obj)
    except ValueError:  # a cycle of __wrapped__
        return None
    if not inspect.isfunction(inner) or inner.__module__ != module:
        return None
    annotations = getattr(inner, "__annotations__", None) or {}
    return inner if annotations and not _only_raises_not_implemented(inner) else None


def _only_raises_not_implemented(fn: Any) -> bool:
    """Whether `fn`'s body (its docstring aside) is one `raise NotImplementedError`:
    an interface declared the way that predates `abc` (its overrides are found),
    or an operation the package does not implement; nothing to exercise."""
    import ast
    import inspect
    import textwrap

    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    if code in _STUBS:
        return _STUBS[code]
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        _STUBS[code] = False
        return False
    node = next(
        (n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None
    )
    body = list(node.body) if node is not None else []
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(getattr(body[0], "value", None), ast.Constant)
    ):
        body = body[1:]  # the docstring
    stub = False
    if len(body) == 1 and isinstance(body[0], ast.Raise) and body[0].exc is not None:
        exc = body[0].exc
        target = exc.func if isinstance(exc, ast.Call) else exc
        stub = isinstance(target, ast.Name) and target.id == "NotImplementedError"
    _STUBS[code] = stub
    return stub


_STUBS: dict[Any, bool] = {}


def annotated_functions(
    root: types.ModuleType, modules: list[types.ModuleType], *, private: bool = True
) -> list[Found]:
    """Every function with annotations defined in `modules`, whatever wraps it,
    and every method with annotations (plain, static, class; `__call__`
    included) of the classes defined there, module by module, names sorted.
    Names starting with '_' are included unless `private` is false; other dunder
    methods (`__init__`) never are. A function bound to several names is listed
    once, under its own name where that is one of them."""
    import inspect

    out: list[Found | None] = []
    seen: dict[int, int] = {}  # id of the inner function -> its index in out

    def add(found: Found, inner: Any) -> None:
        i = seen.get(id(inner))
        if i is not None and found.name.rsplit(".", 1)[-1] == inner.__name__:
            out[i] = None  # an alias came first: the function's own name wins
            i = None
        if i is None:
            seen[id(inner)] = len(out)
            out.append(found)

    for mod in modules:
        prefix = "" if mod is root else mod.__name__[len(root.__name__) + 1 :] + "."
        for name, obj in sorted(vars(mod).items()):
            if _is_dunder(name) or (name.startswith("_") and not private):
                continue
            if inspect.isclass(obj):
                if obj.__module__ != mod.__name__:
                    continue
                for mname, member in sorted(vars(obj).items()):
                    if mname != "__call__" and (
                        _is_dunder(mname) or (mname.startswith("_") and not private)
                    ):
                        continue
                    binding = "method"
                    if isinstance(member, staticmethod):
                        binding, member = "static", member.__func__
                    elif isinstance(member, classmethod):
                        binding, member = "class", member.__func__
                    elif not callable(member):
                        continue
                    inner = _defined_in(member, mod.__name__)
                    abstract = getattr(member, "__isabstractmethod__", False) or getattr(
                        inner, "__isabstractmethod__", False
                    )  # (on the wrapper where sn.check_package wrapped it first)
                    if inner is not None and not abstract:
                        # (an abstract method is an interface: its overrides are found)
                        add(Found(f"{prefix}{name}.{mname}", member, obj, binding), inner)
            elif callable(obj):
                inner = _defined_in(obj, mod.__name__)
                if inner is not None:
                    add(Found(prefix + name, obj), inner)
    return [f for f in out if f is not None]
