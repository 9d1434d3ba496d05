"""Drawing sizes and values from annotations: `init`, `dummy_args`, and the
examples `check` runs."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._axes import registry
from .._constraints import Constraint, IndexInto, Simplex
from .._jaxtyping_bridge import dtype_matches
from .._spec import (
    ANON,
    FIXED,
    NAMED,
    SYMBOLIC,
    AnySpec,
    ArraySpec,
    FallbackSpec,
    NoneSpec,
    Spec,
    StructSpec,
    TupleSpec,
    spec_from_hint,
    struct_fields,
)
from ._target import Skip, Target, as_union, drawn_arrays, union_choice

# dtypes we can draw, in order of preference
_DTYPE_ORDER = [
    "float32", "int32", "bool", "float64", "float16", "bfloat16", "int64", "uint8",
    "uint32", "int8", "int16", "uint16", "uint64", "complex64", "complex128",
]  # fmt: skip


@dataclass
class Sizes:
    single: dict[str, int]
    variadic: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in sorted(self.single.items())]
        parts += [f"*{k}={v}" for k, v in sorted(self.variadic.items())]
        return " ".join(parts) or "(no named axes)"


@dataclass
class Node:
    """How to rebuild an argument from a flat list of drawn array leaves."""

    kind: str  # "leaf" | "struct" | "tuple" | "const"
    index: int = -1
    cls: Any = None
    children: dict[str, Node] | list[Node] | None = None
    value: Any = None

    def build(self, leaves: list[Any]) -> Any:
        if self.kind == "leaf":
            return leaves[self.index]
        if self.kind == "const":
            return self.value
        if self.kind == "tuple":
            assert isinstance(self.children, list)
            return tuple(c.build(leaves) for c in self.children)
        assert isinstance(self.children, dict)
        values = {k: c.build(leaves) for k, c in self.children.items()}
        if issubclass(self.cls, tuple):
            return self.cls(**values)
        return self.cls(**values)


@dataclass
class LeafInfo:
    path: str
    spec: ArraySpec
    is_param: bool  # inside a parameter struct: fan-in scaled


@dataclass
class Drawn:
    """One example: the argument structure and its array leaves."""

    sizes: Sizes
    args: list[Node]
    kwargs: dict[str, Node]
    leaves: list[Any]
    infos: list[LeafInfo]

    def fingerprint(self) -> tuple[Any, ...]:
        """Identifies the non-array part of the arguments (constants, structure)
        and the leaves' shapes: examples that agree can share compiled functions."""

        def node_fp(n: Node) -> Any:
            if n.kind == "leaf":
                return ("leaf", n.index)
            if n.kind == "const":
                v = n.value
                if hasattr(v, "shape") and hasattr(v, "dtype"):
                    try:
                        import jax

                        data = (
                            np.asarray(jax.random.key_data(v))
                            if "key" in str(v.dtype)
                            else np.asarray(v)
                        )
                    except Exception:
                        data = np.asarray(v)
                    return ("array", data.shape, str(data.dtype), data.tobytes())
                return ("const", repr(v))
            children = n.children or []
            items = children.items() if isinstance(children, dict) else enumerate(children)
            return (n.kind, repr(n.cls), tuple((k, node_fp(c)) for k, c in items))

        shapes = tuple((tuple(x.shape), str(x.dtype)) for x in self.leaves)
        return (
            tuple(node_fp(a) for a in self.args),
            tuple((k, node_fp(v)) for k, v in sorted(self.kwargs.items())),
            shapes,
        )

    def build(self, leaves: list[Any] | None = None) -> tuple[list[Any], dict[str, Any]]:
        ls = self.leaves if leaves is None else leaves
        return [a.build(ls) for a in self.args], {k: v.build(ls) for k, v in self.kwargs.items()}


# ---------------------------------------------------------------- sizes


def _fixed_sizes(target_specs: list[Spec]) -> set[int]:
    out: set[int] = set()
    for spec in target_specs:
        for _, a in spec.array_leaves("x"):
            out.update(d.size for d in a.dims if d.code == FIXED and d.size is not None)
    return out


def draw_sizes(
    names: list[str],
    variadics: list[str],
    *,
    rng: np.random.Generator,
    example: int,
    user: Mapping[str, Any] | None,
    avoid: set[int],
    size_one: str | None,
) -> Sizes:
    """A distinct size per axis (so a transposition changes a shape), honouring
    `user` sizes, declared sizes and test_sizes."""
    reg = registry()
    single: dict[str, int] = {}
    taken = set(avoid) | {1}
    pinned: dict[str, int] = {}
    for n in names:
        ax = reg.get(n)
        if user and n in user:
            v = user[n]
            pinned[n] = int(v[example % len(v)]) if isinstance(v, (list, tuple)) else int(v)
        elif ax is not None and ax.size is not None:
            pinned[n] = ax.size
        elif ax is not None and ax.test_sizes:
            pinned[n] = ax.test_sizes[example % len(ax.test_sizes)]
    taken |= set(pinned.values())
    pool = [s for s in range(2, 40) if s not in taken]
    offset = int(rng.integers(0, 3))
    pool = pool[offset:] + pool[:offset]
    free = [n for n in names if n not in pinned]
    order = list(rng.permutation(len(free))) if free else []
    for i, k in enumerate(order):
        single[free[k]] = pool[i % len(pool)]
    single.update(pinned)
    if size_one is not None and size_one in single and size_one not in pinned:
        single[size_one] = 1
    used = set(single.values())
    vpool = [s for s in range(2, 40) if s not in used and s not in avoid]
    variadic: dict[str, tuple[int, ...]] = {}
    j = 0
    for v in variadics:
        if user and v in user:
            variadic[v] = tuple(user[v])
            continue
        rank = example % 3
        variadic[v] = tuple(vpool[(j + r) % len(vpool)] for r in range(rank))
        j += rank
    return Sizes(single, variadic)


# ---------------------------------------------------------------- dtypes and values


def choose_dtype(spec: ArraySpec) -> str:
    if spec.dtypes is None:
        return "float32"
    if "prng_key" in spec.dtypes:
        return "prng_key"
    for d in _DTYPE_ORDER:
        if dtype_matches(spec.dtypes, d):
            return d
    raise Skip(
        f"cannot draw an array of dtype {spec.dtype_name} ({', '.join(map(str, spec.dtypes))})"
    )


def _np_dtype(name: str) -> Any:
    if name == "bfloat16":
        import ml_dtypes

        return ml_dtypes.bfloat16
    return np.dtype(name)


def _shape(
    spec: ArraySpec,
    sizes: Sizes,
    rng: np.random.Generator,
    broadcast_one: bool,
    argvals: dict[str, Any],
) -> tuple[int, ...]:
    def dim(d: Any) -> int:
        if d.code == NAMED:
            assert d.name is not None
            if d.name not in sizes.single:
                sizes.single[d.name] = int(rng.integers(2, 6))
            s = sizes.single[d.name]
            if d.broadcast and broadcast_one and rng.random() < 0.5:
                return 1
            return s
        if d.code == FIXED:
            return int(d.size)
        if d.code == ANON:
            return int(rng.integers(2, 5))
        if d.code == SYMBOLIC:
            expr = d.expr
            try:
                if "{" in expr:
                    expr = eval(f"f'{expr}'", dict(argvals))
                v = int(eval(expr, dict(sizes.single)))
            except Exception as e:
                raise Skip(
                    f"cannot evaluate the symbolic axis {d.expr!r} from the drawn sizes: {e}"
                ) from None
            if v < 0:
                raise Skip(
                    f"the symbolic axis {d.expr!r} is negative ({v}) for sizes {sizes.describe()}"
                )
            return v
        raise AssertionError(d)

    shape = [dim(d) for d in spec.prefix]
    if spec.variadic is not None:
        name = spec.variadic.name
        if name is None:
            shape += [int(rng.integers(2, 4)) for _ in range(int(rng.integers(0, 3)))]
        else:
            shape += list(sizes.variadic.setdefault(name, ()))
    shape += [dim(d) for d in spec.suffix]
    return tuple(shape)


def draw_values(
    spec: ArraySpec,
    shape: tuple[int, ...],
    dtype: str,
    rng: np.random.Generator,
    *,
    scale: float,
    is_param: bool,
    sizes: Sizes,
) -> np.ndarray:
    cons = list(spec.constraints)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    index = next((c for c in cons if isinstance(c, IndexInto)), None)
    if dtype.startswith(("int", "uint")):
        hi = 5
        if index is not None:
            hi = sizes.single.get(index.axis or "", 0)
            if hi <= 0:
                raise Skip(f"{index!r}: axis {index.axis!r} has no size to index into")
        out = rng.integers(0, hi, size=shape).astype(dtype)
        return _verify(out, spec, cons, sizes)
    npd = _np_dtype(dtype)
    simplex = next((c for c in cons if isinstance(c, Simplex)), None)
    if simplex is not None:
        ax = spec.axis_index(simplex.axis or "")
        z = rng.standard_normal(shape)
        e = np.exp(z - z.max(axis=ax, keepdims=True))
        return _verify((e / e.sum(axis=ax, keepdims=True)).astype(npd), spec, cons, sizes)
    names = {c.name for c in cons}
    if "Probability" in names:
        return _verify(rng.random(shape).astype(npd), spec, cons, sizes)
    z = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        z = z + 1j * rng.standard_normal(shape)
    if is_param and len(shape) >= 2:
        fan_in = int(np.prod(shape[:-1]))
        z = z / np.sqrt(max(fan_in, 1))
    elif is_param:
        z = z * 0.1
    else:
        z = z * scale
    if "Positive" in names:
        z = np.abs(z) + 0.1
    elif "NonNegative" in names:
        z = np.abs(z)
    out = z.astype(npd)
    for attempt in _alternatives(shape, npd, rng):
        if _ok(out, spec, cons, sizes):
            return out
        out = attempt
    return _verify(out, spec, cons, sizes)


def _alternatives(shape: tuple[int, ...], npd: Any, rng: np.random.Generator):
    yield np.abs(rng.standard_normal(shape)).astype(npd)
    yield rng.random(shape).astype(npd)
    yield rng.integers(0, 5, size=shape).astype(npd)


def _ok(x: np.ndarray, spec: ArraySpec, cons: list[Constraint], sizes: Sizes) -> bool:
    for c in cons:
        ax = spec.axis_index(c.axis) if c.axis else None
        if (
            c.check(np.asarray(x), axis_index=ax, axis_size=sizes.single.get(c.axis or ""))
            is not None
        ):
            return False
    return True


def _verify(x: np.ndarray, spec: ArraySpec, cons: list[Constraint], sizes: Sizes) -> np.ndarray:
    if not _ok(x, spec, cons, sizes):
        names = ", ".join(repr(c) for c in cons)
        raise Skip(f"cannot draw values satisfying {names} for {spec.annotation_str()}")
    return x


def to_array(x: np.ndarray, spec: ArraySpec) -> Any:
    if spec.array_type is np.ndarray:
        return x
    import jax.numpy as jnp

    return jnp.asarray(x)


def draw_key(shape: tuple[int, ...], seed: int) -> Any:
    import jax

    n = int(np.prod(shape)) if shape else 1
    keys = jax.random.split(jax.random.key(seed), n)
    return keys.reshape(shape) if shape else keys[0]


# ---------------------------------------------------------------- building arguments


class Builder:
    """Draws one example: every argument, recursively, sharing `sizes`."""

    def __init__(
        self,
        sizes: Sizes,
        rng: np.random.Generator,
        *,
        scale: float,
        broadcast_one: bool,
        seed: int,
    ) -> None:
        self.sizes = sizes
        self.rng = rng
        self.scale = scale
        self.broadcast_one = broadcast_one
        self.seed = seed
        self.key_seed = seed + 101  # for a `key` argument passed as a constant
        self.leaves: list[Any] = []
        self.infos: list[LeafInfo] = []
        self.argvals: dict[str, Any] = {}

    def array(self, spec: ArraySpec, path: str, is_param: bool) -> Node:
        shape = _shape(spec, self.sizes, self.rng, self.broadcast_one, self.argvals)
        dtype = choose_dtype(spec)
        if dtype == "prng_key":
            value = draw_key(shape, self.seed + len(self.leaves))
        else:
            raw = draw_values(
                spec, shape, dtype, self.rng, scale=self.scale, is_param=is_param, sizes=self.sizes
            )
            value = to_array(raw, spec)
        self.leaves.append(value)
        self.infos.append(LeafInfo(path, spec, is_param))
        return Node("leaf", index=len(self.leaves) - 1)

    def value(
        self,
        spec: Spec,
        path: str,
        *,
        is_param: bool,
        default: Any = inspect.Parameter.empty,
        name: str = "",
    ) -> Node:
        if isinstance(spec, ArraySpec):
            return self.array(spec, path, is_param)
        if isinstance(spec, StructSpec):
            return self.struct(spec.cls, spec.fields, path)
        if isinstance(spec, TupleSpec):
            if spec.homogeneous:
                return Node(
                    "tuple",
                    children=[
                        self.value(spec.items[0], f"{path}[{i}]", is_param=is_param)
                        for i in range(2)
                    ],
                )
            return Node(
                "tuple",
                children=[
                    self.value(s, f"{path}[{i}]", is_param=is_param)
                    for i, s in enumerate(spec.items)
                ],
            )
        union = as_union(spec)
        if union is not None:
            # an array option if there is one (`Float[Array, "n"] | None = None`
            # draws the array); else the default, else None if the union allows it
            choice = union_choice(union)
            if not isinstance(choice, (ArraySpec, StructSpec, TupleSpec)):
                if default is not inspect.Parameter.empty:
                    return Node("const", value=default)
                if choice is None or any(isinstance(o, NoneSpec) for o in union.options):
                    return Node("const", value=None)
            return self.value(choice, path, is_param=is_param, default=default, name=name)
        if isinstance(spec, NoneSpec):
            return Node("const", value=None)
        if default is not inspect.Parameter.empty:
            return Node("const", value=default)
        hint = getattr(spec, "hint", None)
        if name in _KEY_NAMES and _is_plain_array_hint(hint):
            # `key: jax.Array` (or PRNGKeyArray) is the conventional PRNG key argument
            return Node("const", value=draw_key((), self.key_seed))
        if hint is int and name in self.sizes.single:
            # an int argument named like an axis gives that axis's size ("... num", num: int)
            return Node("const", value=self.sizes.single[name])
        bare = _bare_array_spec(hint)
        if bare is not None:
            # `x: jax.Array` / `ArrayLike` / `np.ndarray` with no shape: any array
            # will do, so a float32 vector of 3
            return self.array(bare, path, is_param)
        if isinstance(spec, AnySpec):
            raise Skip(f"argument {path!r} has no annotation and no default; pass it with fixed=")
        assert isinstance(spec, FallbackSpec)
        raise Skip(
            f"cannot draw argument {path!r} of type {_hint_name(hint)}; give it a default or pass it with fixed="
        )

    def struct(self, cls: type, fields: tuple[tuple[str, Spec], ...] | None, path: str) -> Node:
        fields = fields or ()
        annotated = dict(fields)
        children: dict[str, Node] = {}
        for fname, default in _struct_field_defaults(cls):
            p = f"{path}.{fname}"
            if fname in annotated:
                children[fname] = self.value(annotated[fname], p, is_param=True)
            elif default is not inspect.Parameter.empty:
                continue
            else:
                raise Skip(
                    f"cannot build {cls.__qualname__} for {path!r}: field {fname!r} has no array annotation and no default"
                )
        return Node("struct", cls=cls, children=children)


_KEY_NAMES = ("key", "rng", "prng_key", "rng_key", "prngkey")


def _is_plain_array_hint(hint: Any) -> bool:
    name = getattr(hint, "__name__", "") or ""
    return name.rsplit(".", 1)[-1] in ("Array", "PRNGKeyArray", "KeyArray")


def _bare_array_spec(hint: Any) -> ArraySpec | None:
    """The spec drawn for an array annotation without a shape or dtype."""
    import jax
    import jaxtyping

    if hint is not np.ndarray and hint is not jax.Array:
        return None
    spec = spec_from_hint(jaxtyping.Float32[hint, "3"])
    assert isinstance(spec, ArraySpec)
    return spec


def _hint_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or repr(hint)


def _struct_field_defaults(cls: type) -> list[tuple[str, Any]]:
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        defaults = getattr(cls, "_field_defaults", {})
        return [(f, defaults.get(f, inspect.Parameter.empty)) for f in cls._fields]  # type: ignore[attr-defined]
    out = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            out.append((f.name, None))
        else:
            out.append((f.name, inspect.Parameter.empty))
    return out


def struct_spec(cls: type) -> StructSpec:
    if not isinstance(cls, type):
        raise TypeError(
            f"sn.testing.init: expected a NamedTuple, dataclass or equinox module class, got {cls!r}"
        )
    fields = struct_fields(cls, where=cls.__qualname__)
    if fields is None:
        spec = spec_from_hint(cls)
        if not isinstance(spec, StructSpec):
            raise TypeError(
                f"sn.testing.init: {cls.__qualname__} is not a NamedTuple, dataclass or equinox "
                "module with jaxtyping-annotated fields"
            )
        return spec
    return StructSpec(cls, fields)


def axis_names_of(specs: list[Spec]) -> tuple[list[str], list[str]]:
    names: list[str] = []
    variadics: list[str] = []
    for spec in specs:
        for a in [a for _, a in spec.array_leaves("x")] + drawn_arrays(spec):
            for d in a.dims:
                if d.code == NAMED and d.name and d.name not in names:
                    names.append(d.name)
            if a.variadic is not None and a.variadic.name and a.variadic.name not in variadics:
                variadics.append(a.variadic.name)
            for c in a.constraints:
                if c.axis and c.axis not in names:
                    names.append(c.axis)
            # a name only a symbolic axis uses is an int argument ("(max_degree+1)**2"):
            # drawn like an axis size, and passed as that argument
            for n in a.symbol_names():
                if n not in names:
                    names.append(n)
    return names, variadics


def draw_example(
    target: Target,
    *,
    example: int,
    seed: int,
    sizes: Sizes,
    scale: float,
    broadcast_one: bool,
    fixed: Mapping[str, Any] | None,
) -> Drawn:
    rng = np.random.default_rng([seed, example])
    b = Builder(
        Sizes(dict(sizes.single), dict(sizes.variadic)),
        rng,
        scale=scale,
        broadcast_one=broadcast_one,
        seed=seed * 1000 + example,
    )
    b.key_seed = seed + 101  # the same constant key in every example (so compiles are shared)
    args: list[Node] = []
    kwargs: dict[str, Node] = {}
    sig = inspect.signature(target.plan.fn)
    params = list(sig.parameters.values())
    first = True
    fixed = dict(fixed or {})
    for p in params:
        is_self = first and target.instance is not None
        first = False
        if is_self:
            continue
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        plan_param = next((q for q in target.plan.all_params if q.name == p.name), None)
        spec = plan_param.spec if plan_param is not None else AnySpec()
        if p.name in fixed:
            node = Node("const", value=fixed.pop(p.name))
        else:
            node = b.value(
                spec, p.name, is_param=isinstance(spec, StructSpec), default=p.default, name=p.name
            )
        b.argvals[p.name] = node.build(b.leaves)
        if p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = node
        else:
            args.append(node)
    if fixed:
        raise ValueError(f"fixed= names {sorted(fixed)}, which are not parameters of {target.name}")
    return Drawn(b.sizes, args, kwargs, b.leaves, b.infos)


def redraw_like(drawn: Drawn, target: Target, *, seed: int, scale: float) -> list[Any]:
    """New values for every leaf with the same shapes and dtypes (and constraints)."""
    rng = np.random.default_rng([seed, 7919])
    out = []
    for leaf, info in zip(drawn.leaves, drawn.infos):
        shape = tuple(leaf.shape)
        dtype = choose_dtype(info.spec)
        if dtype == "prng_key":
            out.append(draw_key(shape, seed + 17 + len(out)))
            continue
        actual = str(leaf.dtype)
        raw = draw_values(
            info.spec,
            shape,
            actual if actual in _DTYPE_ORDER else dtype,
            rng,
            scale=scale,
            is_param=info.is_param,
            sizes=drawn.sizes,
        )
        out.append(to_array(raw, info.spec))
    return out


def build_struct(cls: type, sizes: Mapping[str, int], seed: int) -> Any:
    spec = struct_spec(cls)
    names, variadics = axis_names_of([spec])
    missing = [n for n in names if n not in sizes]
    if missing:
        raise ValueError(
            f"sn.testing.init({cls.__qualname__}): no size for axis {', '.join(map(repr, missing))}; "
            f"pass sizes={{{', '.join(repr(n) + ': ...' for n in missing)}}}"
        )
    variadic: dict[str, tuple[int, ...]] = {v: tuple(sizes.get(v, ())) for v in variadics}  # type: ignore[arg-type]
    s = Sizes({n: int(sizes[n]) for n in names}, variadic)
    b = Builder(s, np.random.default_rng(seed), scale=1.0, broadcast_one=False, seed=seed)
    node = b.struct(cls, spec.fields, cls.__qualname__)
    return node.build(b.leaves)
