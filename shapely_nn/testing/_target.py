"""What the generator needs to know about a function: its plan, the kind of each
axis (with per-function overrides), and how to call it with drawn values."""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from typing import Any

from .._axes import registry
from .._decorator import _decorate, plan_of
from .._signature import Plan, build_plan
from .._spec import (
    ArraySpec,
    FallbackSpec,
    NoneSpec,
    Spec,
    StructSpec,
    TupleSpec,
    UnionSpec,
    has_arrays,
    is_union,
    spec_from_hint,
)


class Skip(Exception):
    """A property (or a whole function) cannot be tested; the message says why."""


@dataclass
class Target:
    fn: Any  # what the user passed
    checked: Any  # an @sn.shaped version of it (the return check runs on every call)
    plan: Plan
    name: str
    instance: Any = None  # bound `self` for methods tested through an instance

    def kind(self, axis: str) -> str:
        if axis in self.plan.kinds:
            return self.plan.kinds[axis]
        ax = registry().get(axis)
        return ax.kind if ax is not None else "plain"

    def axis_names(self) -> list[str]:
        return sorted(self.plan.axis_names)

    def uses_numpy(self) -> bool:
        """Whether a drawn argument is a numpy array (the transforms need jax)."""
        import numpy as np

        specs = [p.spec for p in self.plan.all_params]
        return any(a.array_type is np.ndarray for s in specs for a in drawn_arrays(s))

    def specs(self) -> list[Spec]:
        out = [p.spec for p in self.plan.all_params]
        if self.plan.ret is not None:
            out.append(self.plan.ret)
        return out


def make_target(fn: Any, *, require_arrays: bool = True) -> Target:
    """Accept a `@sn.shaped` function, a plain function with jaxtyping annotations,
    or a bound method of an instance."""
    instance = None
    func = fn
    if inspect.ismethod(fn):
        instance = fn.__self__
        func = fn.__func__
    plan = plan_of(func)
    if plan is None:
        name = getattr(func, "__qualname__", getattr(func, "__name__", repr(func)))
        name = name.rsplit("<locals>.", 1)[-1]
        plan = build_plan(func, name, None, final=True)
        checked = _decorate(func, kinds=None)
    else:
        checked = func
    if instance is not None:
        checked = checked.__get__(instance, type(instance))
    target = Target(fn, checked, plan, plan.name, instance)
    if require_arrays and not any(has_arrays(s) for s in target.specs()):
        raise Skip("no jaxtyping array annotations")
    return target


def constraint_axes(spec: ArraySpec) -> list[str]:
    return [c.axis for c in spec.constraints if getattr(c, "axis", None)]


def as_union(spec: Spec) -> UnionSpec | None:
    """`spec` as a union of specs, also for a union left to beartype as a whole
    because one option is not an array annotation (`int | Int[Array, " n"]`)."""
    if isinstance(spec, UnionSpec):
        return spec
    if isinstance(spec, FallbackSpec) and is_union(spec.hint):
        args = typing.get_args(spec.hint)
        return UnionSpec(tuple(spec_from_hint(a) for a in args), spec.hint)
    return None


def union_choice(spec: UnionSpec) -> Spec | None:
    """The option of a union the generator draws from: an array annotation,
    preferably a jax one (so the jit/grad/vmap properties apply), else the first
    option that is not None."""
    import numpy as np

    options = [o for o in spec.options if not isinstance(o, NoneSpec)]
    arrays = [o for o in options if isinstance(o, ArraySpec)]
    jax_arrays = [a for a in arrays if a.array_type is not np.ndarray]
    return (jax_arrays or arrays or options or [None])[0]


def drawn_arrays(spec: Spec) -> list[ArraySpec]:
    """The array annotations the generator draws values for, inside `spec`."""
    if isinstance(spec, ArraySpec):
        return [spec]
    union = as_union(spec)
    if union is not None:
        choice = union_choice(union)
        return drawn_arrays(choice) if choice is not None else []
    if isinstance(spec, StructSpec):
        return [a for _, f in spec.fields for a in drawn_arrays(f)]
    if isinstance(spec, TupleSpec):
        return [a for i in spec.items for a in drawn_arrays(i)]
    return []
