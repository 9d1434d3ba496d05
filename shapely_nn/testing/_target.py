"""What the generator needs to know about a function: its plan, the kind of each
axis (with per-function overrides), and how to call it with drawn values."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from .._axes import registry
from .._decorator import _decorate, plan_of
from .._signature import Plan, build_plan
from .._spec import ArraySpec, Spec, has_arrays


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
        import numpy as np

        for spec in self.specs():
            for _, a in spec.array_leaves("x"):
                if a.array_type is np.ndarray:
                    return True
        return False

    def specs(self) -> list[Spec]:
        out = [p.spec for p in self.plan.all_params]
        if self.plan.ret is not None:
            out.append(self.plan.ret)
        return out


def make_target(fn: Any) -> Target:
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
        plan = build_plan(func, name, None)
        checked = _decorate(func, kinds=None)
    else:
        checked = func
    if instance is not None:
        checked = checked.__get__(instance, type(instance))
    target = Target(fn, checked, plan, plan.name, instance)
    if not any(has_arrays(s) for s in target.specs()):
        raise Skip("no jaxtyping array annotations")
    return target


def constraint_axes(spec: ArraySpec) -> list[str]:
    return [c.axis for c in spec.constraints if getattr(c, "axis", None)]
