"""Recording what a run passes to a target's functions: the shape, dtype and
array library of every array argument, array field of a parameter structure and
returned array, for every call of every function (nested ones included) whose
code lives in the target's files.

The recorder is a profile hook (`sys.setprofile`), so it sees every call
however the function is reached: through a module attribute, an alias bound
before recording started, `@sn.shaped`, `jax.jit`, `jax.vmap`, `jax.grad` or
`lax.scan`. It records what the function's body sees: under `jax.jit` a
tracer with the full shape, under `jax.vmap` (and `lax.scan`) the shape of one
example (one step), which is what the function's annotation describes.

A call that ends in an exception is not recorded (a test that passes a bad
shape on purpose teaches nothing about the right one). Calls with the same
shapes are counted once. An array handed from one recorded function to another
(the same object) links their dimensions: that is how `synthetic_data`'s
`feature` parameter names the axis `loss` sees.
"""

from __future__ import annotations

import ast
import dataclasses
import dis
import json
import os
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

__all__ = ["Recorder", "function_index", "iter_defs", "target_files"]

_RETURNS = {dis.opmap[n] for n in ("RETURN_VALUE", "RETURN_CONST") if n in dis.opmap}
_CO_GENERATOR = 0x20 | 0x80 | 0x200 | 0x100  # generator, coroutine, async generator...
_KEEP = 4096  # arrays remembered for linking


def target_files(modules: list[Any]) -> dict[str, str]:
    """{real path of each module's file: module name} for imported modules."""
    out = {}
    for m in modules:
        f = getattr(m, "__file__", None)
        if f and f.endswith(".py"):
            out[os.path.realpath(f)] = m.__name__
    return out


def iter_defs(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """(qualified name, node) of every function and class in a module's syntax
    tree, qualified as Python does (`Outer.method`, `fn.<locals>.inner`)."""

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield prefix + child.name, child
                yield from walk(child, prefix + child.name + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                yield prefix + child.name, child
                yield from walk(child, prefix + child.name + ".")
            else:
                yield from walk(child, prefix)

    return walk(tree, "")


def function_index(path: str) -> dict[tuple[int, str], str]:
    """{(first line, name): qualified name} of every def in a file; the first line
    is both the `def` line and the first decorator's (what `co_firstlineno` is)."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    out: dict[tuple[int, str], str] = {}
    for q, node in iter_defs(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[(node.lineno, node.name)] = q
            if node.decorator_list:
                out[(min(d.lineno for d in node.decorator_list), node.name)] = q
    return out


class Recorder:
    """Records calls of the functions defined in `files` (real paths)."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = dict(files)
        self.functions: dict[str, dict[str, Any]] = {}
        self.links: set[tuple[str, ...]] = set()
        self._is_target: dict[str, str | None] = {}
        self._index: dict[str, dict[tuple[int, str], str]] = {}
        self._keys: dict[Any, str | None] = {}
        self._open: dict[int, tuple[str, dict[str, Any]]] = {}
        self._seen: OrderedDict[int, tuple[Any, str]] = OrderedDict()
        self._classes: dict[type, str | None] = {}
        self._lock = threading.Lock()
        self._old: Any = None

    # ---------------------------------------------------------------- hook

    def start(self) -> None:
        self._old = sys.getprofile()
        threading.setprofile(self._hook)
        sys.setprofile(self._hook)

    def stop(self) -> None:
        sys.setprofile(self._old)
        threading.setprofile(None)  # type: ignore[arg-type]
        self._seen.clear()
        self._open.clear()

    def _hook(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            if code in self._keys:
                key = self._keys[code]
            else:
                key = self._keys[code] = self._key_of(code)
            if key is not None:
                try:
                    self._enter(frame, code, key)
                except Exception:  # pragma: no cover - never break the run
                    pass
        elif event == "return":
            entry = self._open.pop(id(frame), None)
            if entry is not None:
                try:
                    self._leave(frame, entry, arg)
                except Exception:  # pragma: no cover
                    pass

    def _key_of(self, code: Any) -> str | None:
        if code.co_flags & _CO_GENERATOR or code.co_name.startswith("<"):
            return None
        fname = code.co_filename
        path = self._is_target.get(fname, "")
        if path == "":
            real = os.path.realpath(fname) if fname and not fname.startswith("<") else None
            path = self._is_target[fname] = real if real in self.files else None
        if path is None:
            return None
        if path not in self._index:
            self._index[path] = function_index(path)
        qual = self._index[path].get((code.co_firstlineno, code.co_name))
        return None if qual is None else f"{path}::{qual}"

    def _enter(self, frame: Any, code: Any, key: str) -> None:
        nargs = code.co_argcount + code.co_kwonlyargcount
        names = code.co_varnames[:nargs]
        local = frame.f_locals
        args = {}
        for name in names:
            if name in local:
                args[name] = self._describe(local[name], (key, name))
        fn = self.functions.get(key)
        if fn is None:
            path, qual = key.split("::", 1)
            fn = self.functions[key] = {
                "file": path,
                "qualname": qual,
                "params": list(names),
                "calls": {},
            }
        self._open[id(frame)] = (key, args)

    def _leave(self, frame: Any, entry: tuple[str, dict[str, Any]], value: Any) -> None:
        if frame.f_code.co_code[frame.f_lasti] not in _RETURNS:
            return  # it raised
        key, args = entry
        ret = self._describe(value, (key, "return"))
        sig = json.dumps({"args": args, "return": ret}, sort_keys=True)
        with self._lock:
            calls = self.functions[key]["calls"]
            calls[sig] = calls.get(sig, 0) + 1

    # ---------------------------------------------------------------- values

    def _describe(self, value: Any, where: tuple[str, ...], depth: int = 0) -> dict[str, Any]:
        if value is None:
            return {"k": "none"}
        if isinstance(value, bool):
            return {"k": "other", "t": "bool"}
        if isinstance(value, int):
            return {"k": "int", "v": value}
        lib = _array_lib(value)
        if lib is not None:
            self._link(value, where)
            return {
                "k": "array",
                "lib": lib,
                "dtype": _dtype_class(value.dtype),
                "shape": [int(d) if isinstance(d, int) else -1 for d in value.shape],
            }
        if depth < 4:
            cls = type(value)
            ckey = self._class_key(cls)
            if ckey is not None:
                fields = _fields(value)
                return {
                    "k": "struct",
                    "cls": ckey,
                    "fields": {
                        n: self._describe(v, (ckey, n), depth + 1) for n, v in fields.items()
                    },
                }
            if type(value) is tuple and len(value) <= 16:
                return {
                    "k": "tuple",
                    "items": [
                        self._describe(v, (*where, str(i)), depth + 1) for i, v in enumerate(value)
                    ],
                }
        return {"k": "other", "t": type(value).__name__}

    def _class_key(self, cls: type) -> str | None:
        if cls in self._classes:
            return self._classes[cls]
        key = None
        if dataclasses.is_dataclass(cls) or (issubclass(cls, tuple) and hasattr(cls, "_fields")):
            mod = sys.modules.get(cls.__module__)
            f = getattr(mod, "__file__", None)
            real = os.path.realpath(f) if f else None
            if real in self.files:
                key = f"{real}::{cls.__qualname__}"
        self._classes[cls] = key
        return key

    def _link(self, value: Any, where: tuple[str, ...]) -> None:
        here = "\x00".join(where)
        old = self._seen.get(id(value))
        if old is not None:
            ref, there = old
            alive = ref() if isinstance(ref, weakref.ref) else ref
            if alive is value:
                if there != here:
                    self.links.add((there, here))
                return
        try:
            ref: Any = weakref.ref(value)
        except TypeError:
            ref = value  # a tracer: kept (a bounded number of them) so its id stays its own
        self._seen[id(value)] = (ref, here)
        if len(self._seen) > _KEEP:
            self._seen.popitem(last=False)

    # ---------------------------------------------------------------- result

    def result(self) -> dict[str, Any]:
        functions = {}
        for key, fn in self.functions.items():
            calls = [dict(json.loads(sig), n=n) for sig, n in fn["calls"].items()]
            functions[key] = {**fn, "calls": calls}
        return {
            "version": 1,
            "files": self.files,
            "functions": functions,
            "links": sorted([list(a.split("\x00")), list(b.split("\x00"))] for a, b in self.links),
            "axes": _declared_axes(self.files),
        }


def _array_lib(value: Any) -> str | None:
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        return "numpy"
    jax = sys.modules.get("jax")
    if jax is not None and isinstance(value, jax.Array):
        return "jax"
    return None


def _dtype_class(dtype: Any) -> str:
    import numpy as np

    name = str(getattr(dtype, "name", dtype))
    if name.startswith("key<"):
        return "key"
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        return "other"
    if kind == "V" and (name.startswith("bfloat") or name.startswith("float")):
        return "float"
    return {"f": "float", "i": "int", "u": "int", "b": "bool", "c": "complex"}.get(kind, "other")


def _fields(value: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(value):
        # a field not set yet (self inside __init__) is left out, not taken for None
        unset = object()
        got = {f.name: getattr(value, f.name, unset) for f in dataclasses.fields(value)}
        return {k: v for k, v in got.items() if v is not unset}
    return dict(zip(value._fields, value))


def _declared_axes(files: dict[str, str]) -> dict[str, Any]:
    """The declared axes whose declaring module lives under the target's
    directories, and each target module's globals that hold an `sn.axis`."""
    from ._axes import Axis, registry

    roots = {os.path.dirname(f) for f in files}
    axes = []
    for a in registry():
        mod = sys.modules.get(a.declared_in or "")
        f = getattr(mod, "__file__", None)
        if f and any(os.path.realpath(f).startswith(r + os.sep) for r in roots):
            axes.append({"name": a.name, "size": a.size})
    globals_: dict[str, dict[str, str]] = {}
    for path, name in files.items():
        mod = sys.modules.get(name)
        if mod is not None:
            globals_[path] = {k: v.name for k, v in vars(mod).items() if isinstance(v, Axis)}
    return {"declared": axes, "globals": globals_}
