"""Error messages: a `Finding` from `_diagnose.py` rendered as readable text.

Layout (each section only where it has something to say):

    f(): argument 'x' does not match its annotation
      expected   Float[Array, 'batch feature']
      actual     float32[5, 3] (jax.Array)
      axes       batch   = 3  bound by h.shape[0]   independent examples [batch]
                 feature = ?  not bound yet         input features
      conflict   batch=3 was bound by h.shape[0], but x.shape[0] is 5
      diagnosis  ...
      also bound hidden=8 (w.shape[1])
"""

from __future__ import annotations

import textwrap
import typing
from typing import Any

from ._annotations import is_union, spec_from_hint
from ._axes import registry
from ._diagnose import Finding
from ._jaxtyping_bridge import dtype_string
from ._spec import NAMED, ArraySpec

__all__ = ["describe_subject", "describe_value", "render"]

_W = 12  # width of the section labels


_WRAP = 79  # prose sections wrap to fit an 80-column terminal; tables do not


def section(label: str, lines: list[str], wrap: bool = False) -> list[str]:
    out = []
    first = True
    for line in lines:
        parts = textwrap.wrap(line, _WRAP - 2 - _W, break_on_hyphens=False) if wrap else [line]
        for part in parts or [""]:
            out.append("  " + (label if first else "").ljust(_W) + part)
            first = False
    return out


def describe_value(x: Any) -> str:
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        try:
            shape = ", ".join(str(int(s)) for s in x.shape)
        except Exception:
            shape = str(x.shape)
        kind = type(x).__module__.split(".")[0] + "." + type(x).__name__
        if type(x).__name__ == "ShapeDtypeStruct":
            kind = "jax.ShapeDtypeStruct: a shape and dtype, no array"
        elif "jax" in kind:
            kind = (
                "jax.Array"
                if "Tracer" not in type(x).__name__
                else f"traced jax.Array ({type(x).__name__})"
            )
        elif kind == "numpy.ndarray":
            kind = "numpy.ndarray"
        return f"{dtype_string(x.dtype)}[{shape}] ({kind})"
    r = repr(x)
    if len(r) > 60:
        r = r[:57] + "..."
    return f"{type(x).__name__}: {r}"


def describe_subject(path: str) -> str:
    """'argument 'x'', 'p.w (in argument 'p')', 'the return value', ..."""
    if path == "return":
        return "the return value"
    if path.startswith("return"):
        return f"return value {path}"
    if "." in path or "[" in path:
        root = path.split(".")[0].split("[")[0]
        return f"{path} (in argument {root!r})"
    return f"argument {path!r}"


def _meaning(name: str) -> str:
    ax = registry().get(name)
    if ax is None:
        return "(not declared)"
    text = ax.doc or "(no description)"
    if ax.kind != "plain":
        text += f" [{ax.kind}]"
    return text


def _dtype_list(dtypes: tuple[Any, ...]) -> str:
    names = [d if isinstance(d, str) else d.pattern for d in dtypes]
    common = [
        d for d in names if not d.startswith(("float8", "float4", "int2", "int4", "uint2", "uint4"))
    ]
    rare = len(names) - len(common)
    text = ", ".join(common)
    if rare:
        text += f" (and {rare} narrow float8/4-bit types)"
    return text


def render(fn_name: str, f: Finding) -> str:
    leaf = f.leaf
    spec = leaf.spec
    lines = [f"{fn_name}(): {describe_subject(leaf.path)} does not match its annotation"]
    if isinstance(spec, ArraySpec):
        lines += section("expected", [spec.annotation_str()])
        lines += section("actual", [describe_value(leaf.value)])
        rows = _axis_rows(spec, f)
        if rows:
            lines += section("axes", rows)
        if f.kind == "type":
            lines += section("problem", [_type_problem(spec, leaf.value)], wrap=True)
        elif f.kind == "dtype":
            got = dtype_string(leaf.value.dtype)
            want = _dtype_list(spec.dtypes or ())
            lines += section(
                "problem",
                [f"dtype {got} is not allowed by {spec.dtype_name}: expected {want}"],
                wrap=True,
            )
            hint = _dtype_hint(spec, got)
            if hint:
                lines += section("hint", [hint], wrap=True)
        elif f.kind == "rank":
            rank = len(leaf.value.shape)
            want = f"{spec.rank}" if spec.variadic is None else f"at least {spec.rank}"
            lines += section(
                "problem",
                [f"{rank} axes, expected {want} ({' '.join(spec.shape_labels())})"],
            )
        elif f.detail:
            lines += section("conflict", [f.detail], wrap=True)
        if f.diagnosis:
            lines += section("diagnosis", f.diagnosis, wrap=True)
    else:
        lines += section("expected", [_hint_str(getattr(spec, "hint", None) or spec)])
        lines += section("actual", [describe_value(leaf.value)])
    if len(f.suspects) > 1:
        lines += section(
            "note",
            [
                f"{' and '.join(f.suspects)} disagree; the other arguments fit either, "
                "so either may be the wrong one"
            ],
            wrap=True,
        )
    extra = _other_bindings(spec, f)
    if extra:
        lines += section("also bound", [extra], wrap=True)
    return "\n".join(lines)


def _hint_str(hint: Any) -> str:
    """An annotation as its user wrote it: `Real[Array | ndarray, 'Nq'] | None`
    rather than `typing.Union[jaxtyping.Real[jaxlib._jax.Array, 'Nq'], ...]`."""
    if is_union(hint):
        # options in order; array options with the same dtype and shape merged
        parts: list[str | tuple[str, str]] = []
        arrays: dict[tuple[str, str], list[str]] = {}
        for option in typing.get_args(hint):
            try:
                spec = spec_from_hint(option)
            except Exception:
                spec = None
            if isinstance(spec, ArraySpec):
                key = (spec.dtype_name, spec.dim_str)
                if key not in arrays:
                    arrays[key] = []
                    parts.append(key)
                arrays[key].append(spec.array_type_name())
            else:
                parts.append("None" if option is type(None) else _hint_str(option))
        return " | ".join(
            p if isinstance(p, str) else f"{p[0]}[{' | '.join(arrays[p])}, '{p[1]}']" for p in parts
        )
    name = getattr(hint, "__name__", None)
    if isinstance(hint, type) and name:
        return name
    if isinstance(hint, ArraySpec):
        return hint.annotation_str()
    return repr(hint)


def _axis_rows(spec: ArraySpec, f: Finding) -> list[str]:
    names: list[str] = []
    for d in spec.dims:
        if d.code == NAMED and d.name and d.name not in names:
            names.append(d.name)
    if not names:
        return []
    width = max(len(n) for n in names)
    cells = []
    for n in names:
        size = f.bound.sizes.get(n)
        if size is None:
            cells.append((n, "?", "not bound yet"))
        else:
            cells.append((n, str(size), f"bound by {f.bound.who.get(n, '?')}"))
    sw = max(len(c[1]) for c in cells)
    ww = max(len(c[2]) for c in cells)
    return [
        f"{n.ljust(width)} = {s.ljust(sw)}  {w.ljust(ww)}  {_meaning(n)}".rstrip()
        for n, s, w in cells
    ]


def _other_bindings(spec: Any, f: Finding) -> str:
    mine = spec.names() if isinstance(spec, ArraySpec) else set()
    parts = [
        f"{n}={s} ({f.bound.who.get(n, '?')})" for n, s in f.bound.sizes.items() if n not in mine
    ]
    parts += [
        f"*{n}={shape} ({f.bound.vwho.get(n, '?')})"
        for n, (_, shape) in f.bound.variadic.items()
        if n not in mine
    ]
    return ", ".join(parts)


def _type_problem(spec: ArraySpec, x: Any) -> str:
    want = getattr(spec.array_type, "__name__", repr(spec.array_type)).rsplit(".", 1)[-1]
    mod = getattr(spec.array_type, "__module__", "")
    if mod.startswith("jax"):
        want = f"jax.{want}"
        fix = "convert it with jnp.asarray(...)"
    elif mod.startswith("numpy"):
        want = f"numpy.{want}"
        fix = "convert it with np.asarray(...)"
    else:
        fix = "pass an array of that type"
    if type(x).__name__ == "ShapeDtypeStruct":
        # (what jax.eval_shape hands a pytree's constructor instead of arrays)
        fix = "a ShapeDtypeStruct describes an array and holds none; pass the array"
    got = type(x).__qualname__
    if type(x).__module__ not in ("builtins", None):
        got = f"{type(x).__module__}.{got}"
    return f"expected a {want}, got {got}: {fix}"


def _dtype_hint(spec: ArraySpec, got: str) -> str:
    dtypes = [d for d in (spec.dtypes or ()) if isinstance(d, str)]
    if got.startswith(("int", "uint", "bool")) and any(d.startswith("float") for d in dtypes):
        return "an integer array where floats are expected: cast with x.astype(jnp.float32)?"
    if got == "float64" and "float32" in dtypes:
        return "float64 where float32 is expected: numpy's default dtype, or jax_enable_x64?"
    if got.startswith("float") and any(d.startswith(("int", "uint")) for d in dtypes):
        return (
            "floats where integers are expected: indices computed in float? cast with .astype(int)"
        )
    return ""
