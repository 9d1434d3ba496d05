"""Configuration for code one does not own: a `[tool.shapely_nn]` table in
`pyproject.toml`, or a TOML file passed to `shapely-nn check --config`.

```toml
[tool.shapely_nn]
sizes = { batch = 3 }                     # every function
fixed = { jitter = 1e-6 }                 # every function that has the argument
factories = { "mypkg.Kernel" = "mypkg_testing:make_kernel" }

[tool.shapely_nn.axes]
N = { kind = "batch", doc = "data points" }

[tool.shapely_nn.functions."mypkg.attention.*"]
sizes = { q_heads = "2*kv_heads" }        # a relation between axes
fixed = { cutoff = { between = [0.1, 5.0] }, mask = { default = true } }
skip = ["grad"]                           # properties that do not apply
unused = ["mask"]                         # inputs allowed not to influence outputs
```

Function keys are patterns (`fnmatch`) matched against the function's full
dotted name (`mypkg.attention.Block.__call__`) and the name the report shows;
every matching entry applies, later ones winning. In a file passed with
`--config`, the table may also stand at the top level, without `[tool.shapely_nn]`.
"""

from __future__ import annotations

import fnmatch
import importlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._axes import check_kind, registry
from .._relations import check_sizes
from ._preconditions import DEFAULT, between, register

__all__ = ["ConfigError", "Settings"]


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and why."""


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - python 3.10
        import tomli as tomllib  # pyright: ignore[reportMissingImports]
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from None


def import_path(text: str, where: str) -> Any:
    """`package.module:attribute` (or `package.module.attribute`)."""
    if not isinstance(text, str) or not text:
        raise ConfigError(f"{where}: expected an import path 'module:name', got {text!r}")
    module, _, attr = text.partition(":") if ":" in text else text.rpartition(".")
    try:
        obj: Any = importlib.import_module(module)
        for part in attr.split(".") if attr else []:
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"{where}: cannot import {text!r}: {e}") from None
    return obj


_SECTION_KEYS = {"sizes", "fixed", "skip", "unused"}
_TOP_KEYS = _SECTION_KEYS | {"axes", "factories", "functions"}


@dataclass
class Settings:
    """What a configuration tells the generator."""

    source: str = ""
    sizes: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    skip: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    axes: dict[str, dict[str, Any]] = field(default_factory=dict)
    factories: dict[str, str] = field(default_factory=dict)
    functions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path) -> Settings:
        """A configuration file: `pyproject.toml` (its `[tool.shapely_nn]` table)
        or a TOML file of its own."""
        path = Path(path)
        data = _load_toml(path)
        table = data.get("tool", {}).get("shapely_nn")
        if table is None:
            if path.name == "pyproject.toml":
                return cls(source=str(path))
            table = data
        return cls.from_table(table, str(path))

    @classmethod
    def find(cls, start: str | Path = ".") -> Settings | None:
        """The `[tool.shapely_nn]` table of the nearest `pyproject.toml` at or above
        `start`, if it has one."""
        here = Path(start).resolve()
        for d in [here, *here.parents]:
            p = d / "pyproject.toml"
            if p.is_file():
                settings = cls.load(p)
                return settings if settings.has_content() else None
        return None

    @classmethod
    def from_table(cls, table: Mapping[str, Any], source: str = "<config>") -> Settings:
        unknown = sorted(set(table) - _TOP_KEYS)
        if unknown:
            raise ConfigError(
                f"{source}: unknown key {', '.join(map(repr, unknown))} in [tool.shapely_nn]; "
                f"valid keys: {', '.join(sorted(_TOP_KEYS))}"
            )
        out = cls(source=source)
        section = _section(table, source)
        out.sizes, out.fixed, out.skip = section["sizes"], section["fixed"], section["skip"]
        out.unused = section["unused"]
        axes = table.get("axes", {})
        if not isinstance(axes, Mapping):
            raise ConfigError(f"{source}: [axes] must be a table of axis name -> settings")
        for name, ax in axes.items():
            if isinstance(ax, str):
                ax = {"kind": ax}
            if not isinstance(ax, Mapping) or set(ax) - {"kind", "doc", "size", "test_sizes"}:
                raise ConfigError(
                    f"{source}: axes.{name} must be a kind or a table with kind, doc, size, "
                    f"test_sizes; got {ax!r}"
                )
            try:
                check_kind(ax.get("kind", "plain"), f"{source}: axes.{name}")
            except ValueError as e:
                raise ConfigError(str(e)) from None
            out.axes[name] = dict(ax)
        factories = table.get("factories", {})
        if not isinstance(factories, Mapping):
            raise ConfigError(f"{source}: factories must map class paths to factory paths")
        out.factories = {str(k): str(v) for k, v in factories.items()}
        functions = table.get("functions", {})
        if not isinstance(functions, Mapping):
            raise ConfigError(f"{source}: functions must be a table of name patterns")
        for pattern, body in functions.items():
            if not isinstance(body, Mapping):
                raise ConfigError(f"{source}: functions.{pattern!r} must be a table")
            unknown = sorted(set(body) - _SECTION_KEYS)
            if unknown:
                raise ConfigError(
                    f"{source}: unknown key {', '.join(map(repr, unknown))} in "
                    f"functions.{pattern!r}; valid keys: {', '.join(sorted(_SECTION_KEYS))}"
                )
            out.functions.append((pattern, _section(body, f"{source}: functions.{pattern!r}")))
        return out

    def has_content(self) -> bool:
        return bool(
            self.sizes or self.fixed or self.skip or self.axes or self.factories or self.functions
        )

    def apply(self) -> None:
        """Register the factories, and declare the configured axes that are not
        declared yet (so docs and messages show their meaning)."""
        for cls_path, factory_path in self.factories.items():
            cls = import_path(cls_path, f"{self.source}: factories")
            factory = import_path(factory_path, f"{self.source}: factories[{cls_path!r}]")
            if not isinstance(cls, type) or not callable(factory):
                raise ConfigError(
                    f"{self.source}: factories[{cls_path!r}]: expected a class mapped to a callable"
                )
            register(cls, factory)
        reg = registry()
        for name, ax in self.axes.items():
            if name not in reg and name.isidentifier() and not name.startswith("_"):
                from .._axes import axis

                axis(
                    name,
                    ax.get("doc", ""),
                    kind=ax.get("kind", "plain"),
                    size=ax.get("size"),
                    test_sizes=ax.get("test_sizes"),
                )

    def kinds(self) -> dict[str, str]:
        return {n: ax["kind"] for n, ax in self.axes.items() if "kind" in ax}

    def options_for(self, full_name: str, name: str, params: set[str]) -> dict[str, Any]:
        """`sn.testing.check` options for one function: sizes, fixed values (only
        for arguments it has), axis kinds and properties to skip."""
        sizes, skip, unused = dict(self.sizes), list(self.skip), list(self.unused)
        fixed = {k: v for k, v in self.fixed.items() if k in params}
        for pattern, body in self.functions:
            if fnmatch.fnmatchcase(full_name, pattern) or fnmatch.fnmatchcase(name, pattern):
                sizes.update(body["sizes"])
                # (a function taking **kwargs gets the names it does not list there)
                fixed.update(
                    {k: v for k, v in body["fixed"].items() if k in params or "**" in params}
                )
                skip += body["skip"]
                unused += body["unused"]
        out: dict[str, Any] = {}
        if sizes:
            out["sizes"] = sizes
        if fixed:
            out["fixed"] = fixed
        if self.kinds():
            out["kinds"] = self.kinds()
        if skip:
            out["skip"] = sorted(set(skip))
        if unused:
            out["unused"] = sorted(set(unused))
        return out


def _section(body: Mapping[str, Any], where: str) -> dict[str, Any]:
    sizes = body.get("sizes", {})
    if not isinstance(sizes, Mapping):
        raise ConfigError(f"{where}: sizes must be a table of axis name -> size")
    try:
        check_sizes(sizes, where)
    except (TypeError, ValueError) as e:
        raise ConfigError(str(e)) from None
    fixed_raw = body.get("fixed", {})
    if not isinstance(fixed_raw, Mapping):
        raise ConfigError(f"{where}: fixed must be a table of argument name -> value")
    fixed = {k: _fixed(v, f"{where}: fixed.{k}") for k, v in fixed_raw.items()}
    skip = body.get("skip", [])
    from ._properties import PROPERTIES

    if not isinstance(skip, list) or any(p not in PROPERTIES for p in skip):
        raise ConfigError(
            f"{where}: skip must list properties among {', '.join(PROPERTIES)}; got {skip!r}"
        )
    unused = body.get("unused", [])
    if not isinstance(unused, list) or not all(isinstance(u, str) for u in unused):
        raise ConfigError(f"{where}: unused must list argument names; got {unused!r}")
    return {"sizes": dict(sizes), "fixed": fixed, "skip": list(skip), "unused": unused}


def _fixed(value: Any, where: str) -> Any:
    """A configured value: a TOML value, or {between = [lo, hi]}, {default = true},
    {factory = "module:function"} (called once, with no arguments)."""
    if not isinstance(value, Mapping):
        return value
    if set(value) == {"between"}:
        lo_hi = value["between"]
        if not (isinstance(lo_hi, list) and len(lo_hi) == 2):
            raise ConfigError(f"{where}: between takes [low, high], got {lo_hi!r}")
        try:
            return between(*lo_hi)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{where}: {e}") from None
    if set(value) == {"default"} and value["default"] is True:
        return DEFAULT
    if set(value) == {"factory"}:
        factory = import_path(value["factory"], where)
        try:
            return factory()
        except Exception as e:
            raise ConfigError(
                f"{where}: {value['factory']}() raised {type(e).__name__}: {e}"
            ) from None
    if set(value) == {"value"}:
        return value["value"]  # a table meant literally
    raise ConfigError(
        f"{where}: a table value must be {{between = [low, high]}}, {{default = true}}, "
        f"{{factory = 'module:function'}} or {{value = ...}}; got {dict(value)!r}"
    )
