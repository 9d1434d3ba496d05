"""Drawing a function's arguments: every argument, recursively (parameter
structures field by field, tuples, unions, non-array arguments from defaults
or `fixed=`), sharing one set of axis sizes, as a flat list of array leaves
and the structure that rebuilds the arguments from them."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._annotations import spec_from_hint, tree_leaf_spec
from .._errors import AnnotationError
from .._jaxtyping_bridge import pytree_leaf
from .._spec import (
    AnySpec,
    ArraySpec,
    FallbackSpec,
    NoneSpec,
    Spec,
    StructSpec,
    TupleSpec,
)
from ._argtypes import (
    KEY_NAMES,
    bare_array_spec,
    field_hints,
    fitted,
    hint_name,
    is_plain_array_hint,
    struct_field_defaults,
    takes_int,
)
from ._arrays import DTYPE_ORDER, choose_dtype, draw_key, draw_values, to_array
from ._preconditions import DEFAULT, fixed_value
from ._sizes import Sizes, shape_of
from ._subject import Skip, Subject, as_union, drawn_arrays, union_choice

__all__ = ["Builder", "Drawn", "LeafInfo", "Node", "draw_example", "redraw_like"]


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
    # arguments shapely_nn had to guess (a bare array's shape, an object built from
    # its constructor): (path, what was guessed, how to give a real one)
    guessed: list[tuple[str, str, str]] = field(default_factory=list)

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
        objects: Any = None,
    ) -> None:
        self.sizes = sizes
        # objects(hint, path, sizes) -> an object for a non-array argument, or None
        self.objects = objects
        self.rng = rng
        self.scale = scale
        self.broadcast_one = broadcast_one
        self.seed = seed
        self.key_seed = seed + 101  # for a `key` argument passed as a constant
        self.leaves: list[Any] = []
        self.infos: list[LeafInfo] = []
        self.argvals: dict[str, Any] = {}
        self.guessed: list[tuple[str, str, str]] = []  # see Drawn.guessed

    def array(self, spec: ArraySpec, path: str, is_param: bool) -> Node:
        shape = shape_of(spec, self.sizes, self.rng, self.broadcast_one, self.argvals)
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
        if name in self.sizes.single and takes_int(getattr(spec, "hint", None)):
            # an int argument named like an axis gives that axis's size ("... num",
            # num: int); also `num: int | None = None`, and names used only inside
            # symbolic axes ("(max_degree+1)**2", max_degree: int)
            return Node("const", value=self.sizes.single[name])
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
        if name in KEY_NAMES and is_plain_array_hint(hint):
            # `key: jax.Array` (or PRNGKeyArray) is the conventional PRNG key argument
            return Node("const", value=draw_key((), self.key_seed))
        leaf = pytree_leaf(hint)
        if leaf is not None and leaf is not Any:
            # `PyTree[Float[Array, "n"]]`: a single leaf is a pytree
            try:
                leaf_spec = tree_leaf_spec(leaf)
            except AnnotationError as e:
                raise Skip(
                    f"cannot draw argument {path!r} of type {hint_name(hint)}: {e}"
                ) from None
            return self.value(leaf_spec, path, is_param=is_param, name=name)
        bare = bare_array_spec(hint)
        if bare is not None:
            # `x: jax.Array` / `ArrayLike` / `np.ndarray` with no shape: a guess, a
            # float32 vector of 3 (if the function refuses it, it is not to blame)
            self.guessed.append(
                (
                    path,
                    f"the float32 vector drawn for it (annotated {hint_name(hint)}, no shape)",
                    "annotate its axes, or pass it with fixed=",
                )
            )
            return self.array(bare, path, is_param)
        if self.objects is not None and isinstance(spec, FallbackSpec):
            made = self.objects(hint, path, self.sizes.single)
            if made is not None:
                value, guess = made
                if guess is not None:
                    self.guessed.append((path, guess[0], guess[1]))
                return Node("const", value=value)
        if isinstance(spec, AnySpec):
            raise Skip(f"argument {path!r} has no annotation and no default; pass it with fixed=")
        assert isinstance(spec, FallbackSpec)
        raise Skip(
            f"cannot draw argument {path!r} of type {hint_name(hint)}; give it a default or pass it with fixed="
        )

    def struct(self, cls: type, fields: tuple[tuple[str, Spec], ...] | None, path: str) -> Node:
        fields = fields or ()
        annotated = dict(fields)
        children: dict[str, Node] = {}
        for fname, default in struct_field_defaults(cls):
            p = f"{path}.{fname}"
            if fname in annotated:
                children[fname] = self.value(annotated[fname], p, is_param=True)
            elif default is not inspect.Parameter.empty:
                continue
            else:
                # a field that holds no array (a config object, an int): drawn as
                # any argument of its type is, if its annotation says which
                hint = field_hints(cls).get(fname, inspect.Parameter.empty)
                if hint is inspect.Parameter.empty:
                    raise Skip(
                        f"cannot build {cls.__qualname__} for {path!r}: field {fname!r} has "
                        "no annotation and no default"
                    )
                children[fname] = self.value(spec_from_hint(hint), p, is_param=True, name=fname)
        return Node("struct", cls=cls, children=children)


def draw_example(
    subject: Subject,
    *,
    example: int,
    seed: int,
    sizes: Sizes,
    scale: float,
    broadcast_one: bool,
    fixed: Mapping[str, Any] | None,
    objects: Any = None,
) -> Drawn:
    rng = np.random.default_rng([seed, example])
    b = Builder(
        Sizes(dict(sizes.single), dict(sizes.variadic)),
        rng,
        scale=scale,
        broadcast_one=broadcast_one,
        seed=seed * 1000 + example,
        objects=objects,
    )
    b.key_seed = seed + 101  # the same constant key in every example (so compiles are shared)
    args: list[Node] = []
    kwargs: dict[str, Node] = {}
    sig = inspect.signature(subject.plan.fn)
    params = list(sig.parameters.values())
    first = True
    fixed = dict(fixed or {})
    keyword_only = False  # once an argument is left out, the rest are passed by name
    for p in params:
        is_self = first and subject.instance is not None
        first = False
        if is_self:
            continue
        if p.kind is p.VAR_KEYWORD:
            continue
        if p.kind is p.VAR_POSITIONAL:
            var = subject.plan.varargs
            if p.name in fixed:
                extra = fixed.pop(p.name)
                args.extend(Node("const", value=v) for v in extra)
            elif var is not None and drawn_arrays(var.spec):
                # `*xs: Float[Array, "n"]`: two of them (more than one, so an
                # implementation that only looks at the first is exercised)
                args.extend(
                    b.value(var.spec, f"{p.name}[{i}]", is_param=False, name=p.name)
                    for i in range(2)
                )
            continue
        plan_param = next((q for q in subject.plan.all_params if q.name == p.name), None)
        spec = plan_param.spec if plan_param is not None else AnySpec()
        if p.name in fixed:
            value = fixed.pop(p.name)
            if value is DEFAULT:
                if p.default is p.empty:
                    raise Skip(f"fixed= leaves out {p.name!r}, which has no default")
                # left out: the arguments after it go by keyword
                keyword_only = True
                continue
            node = Node("const", value=fitted(fixed_value(value, rng), value, spec))
        else:
            node = b.value(
                spec, p.name, is_param=isinstance(spec, StructSpec), default=p.default, name=p.name
            )
        b.argvals[p.name] = node.build(b.leaves)
        if p.kind is p.KEYWORD_ONLY or keyword_only:
            kwargs[p.name] = node
        else:
            args.append(node)
    if fixed and any(p.kind is p.VAR_KEYWORD for p in params):
        # names the signature does not have go to **kwargs (options passed on
        # to another constructor, say)
        for name, value in fixed.items():
            kwargs[name] = Node("const", value=fixed_value(value, rng))
        fixed = {}
    if fixed:
        raise ValueError(
            f"fixed= names {sorted(fixed)}, which are not parameters of {subject.name}"
        )
    return Drawn(b.sizes, args, kwargs, b.leaves, b.infos, b.guessed)


def redraw_like(drawn: Drawn, *, seed: int, scale: float) -> list[Any]:
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
            actual if actual in DTYPE_ORDER else dtype,
            rng,
            scale=scale,
            is_param=info.is_param,
            sizes=drawn.sizes,
        )
        out.append(to_array(raw, info.spec))
    return out
