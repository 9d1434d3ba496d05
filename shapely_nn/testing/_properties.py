"""The properties `sn.testing.check` runs, one registered object each: its name,
the column the CLI shows it in, the axis kind it needs (if any), what it
promises, and the function that runs it on one example.

A new property is one entry here and one function in a `_props_*.py` module;
the CLI, the pytest ids, `PROPERTIES` and option validation all read this table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import _props_kinds, _props_outputs, _props_robust, _props_transforms
from ._runner import Example, Runner

__all__ = ["PROPERTIES", "REGISTRY", "Property", "resolve"]


@dataclass(frozen=True)
class Property:
    name: str
    column: str  # three letters, the CLI's column header
    doc: str
    run: Callable[[Runner, Example], None]
    kind: str | None = None  # the axis kind whose promise it tests


_ALL = (
    Property("shapes", "shp", "outputs match their annotations", _props_outputs.shapes),
    Property(
        "dtype", "dty", "float outputs keep the float inputs' precision", _props_outputs.dtype
    ),
    Property("jit", "jit", "jax.jit traces, checks, and traces alike twice", _props_transforms.jit),
    Property("values", "val", "the return's value constraints hold", _props_outputs.values),
    Property(
        "batch", "bat", "examples along a batch axis are independent", _props_kinds.batch, "batch"
    ),
    Property(
        "set",
        "set",
        "permuting a set axis permutes the outputs alike, or leaves them unchanged",
        _props_kinds.set_,
        "set",
    ),
    Property(
        "causal",
        "cau",
        "no output step depends on later input steps",
        _props_kinds.causal,
        "causal",
    ),
    Property(
        "grad", "grd", "gradients of float outputs exist and are finite", _props_transforms.grad
    ),
    Property(
        "vmap",
        "vmp",
        "mapping over a new leading axis prepends it and agrees slice by slice",
        _props_transforms.vmap,
    ),
    Property("retrace", "rtr", "same-shaped inputs do not trace again", _props_transforms.retrace),
    Property("dead", "ded", "every input influences the outputs", _props_robust.dead),
    Property(
        "custom_grad",
        "cgr",
        "custom derivatives of its own agree with finite differences",
        _props_robust.custom_grad,
    ),
    Property(
        "finite",
        "fin",
        "no NaN at boundary values, no instability on shifted inputs",
        _props_robust.finite,
    ),
)

#: every property by name, in the order reports list them
REGISTRY: dict[str, Property] = {p.name: p for p in _ALL}

#: every property `check` knows, in the order it reports them
PROPERTIES: tuple[str, ...] = tuple(REGISTRY)


def resolve(names: Sequence[str] | str | None, caller: str) -> tuple[Property, ...]:
    """The properties named (all of them for None); ValueError for unknown names."""
    if names is None:
        return _ALL
    if isinstance(names, str):
        names = [names]
    unknown = [p for p in names if p not in REGISTRY]
    if unknown:
        raise ValueError(
            f"{caller}: unknown propert{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(map(repr, unknown))}; valid: {', '.join(PROPERTIES)}"
        )
    return tuple(REGISTRY[p] for p in names)
