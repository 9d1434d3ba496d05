"""The examples a check runs, and the kinds beyond plain draws:

- `size one`: one axis (a batch-kind one if there is one) has size 1;
- `large values`: inputs times 1000 (overflow: a naive softmax);
- `boundary`: the first example with every constrained input at the edges its
  constraint allows: exact zeros and ones, one-hot rows of a simplex, the
  first and last index (`t * log(t)` at 0, `sqrt` at 0);
- `large sizes`: axes that can take them drawn 17 to 40 (a table of 16
  positions sliced to the sequence length, a chunk size of 8), only traced;
- `shifted`: the first example with a large offset added to the float inputs
  the annotations leave unconstrained (catastrophic cancellation:
  `E[x^2] - E[x]^2` gone negative, `log(sum(exp))` without the max shift).

`boundary` and `shifted` reuse the first example's structure, so they run on
its compiled program; `large sizes` compiles nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .._constraints import DrawRequest
from .._spec import ArraySpec
from ._arguments import Drawn
from ._compare import as_numpy
from ._sizes import Sizes

__all__ = [
    "LARGE_BUDGET",
    "LARGE_SIZES",
    "OFFSETS",
    "SCALE",
    "Example",
    "boundary_leaves",
    "derived",
    "float_kind",
    "shifted_leaves",
    "source_root",
    "tree_arrays",
]

SCALE = 1000.0  # the "large values" example multiplies inputs by this
# the "shifted" examples add these to unconstrained float inputs: 100 overflows
# float32's exp (a log-sum-exp without the max shift) where float64's does not;
# 10,000 makes E[x^2] - E[x]^2 cancel in float32
OFFSETS = (100.0, 10_000.0)
LARGE_SIZES = 17  # the large-sizes example draws from here up
LARGE_BUDGET = 2_000_000  # the most elements an array of that example may have


@dataclass
class Example:
    index: int
    seed: int
    drawn: Drawn
    scale: float
    kind: str = "plain"
    alt: list[Any] = field(default_factory=list)  # same shapes, other values
    out: Any = None
    error: BaseException | None = None
    jit_out: Any = None
    jit_error: BaseException | None = None
    grads: Any = None
    eager: bool = True
    rejected: str | None = None  # the function's own message, if it refused the inputs
    abstract: bool = False  # evaluated for shapes and dtypes only (nothing compiled)
    vmapped: Any = None  # the output arrays of the function vmapped over (inputs, alt) stacked

    @property
    def sizes(self) -> Sizes:
        return self.drawn.sizes

    def where(self) -> str:
        extra = {
            "large values": f", inputs x{self.scale:g}",
            "boundary": ", boundary values",
            "large sizes": ", large sizes",
        }.get(self.kind, "")
        if self.kind == "shifted":
            extra = f", inputs +{self.scale:g}"
        return f"{self.sizes.describe()}{extra}"


def _like(a: np.ndarray, template: Any) -> Any:
    if isinstance(template, np.ndarray):
        return a.astype(template.dtype)
    import jax

    return jax.device_put(a.astype(template.dtype))


def boundary_leaves(drawn: Drawn, seed: int) -> list[Any] | None:
    """The leaves with every constrained input at its constraint's boundary
    values; None if no input has a constraint with boundary values."""
    rng = np.random.default_rng([seed, 4093])
    out = list(drawn.leaves)
    changed = False
    for i, (leaf, info) in enumerate(zip(drawn.leaves, drawn.infos)):
        if str(getattr(leaf, "dtype", "")).startswith("key"):
            continue
        spec = info.spec
        for c in spec.constraints:
            req = DrawRequest(
                rng,
                tuple(leaf.shape),
                np.dtype(str(as_numpy(leaf).dtype)),
                axis_index=spec.axis_index(c.axis) if c.axis else None,
                axis_size=drawn.sizes.single.get(c.axis) if c.axis else None,
            )
            values = c.boundary(req)
            if values is not None:
                out[i] = _like(np.asarray(values), leaf)
                changed = True
                break
    return out if changed else None


def shifted_leaves(drawn: Drawn, offset: float) -> list[Any] | None:
    """The leaves with `offset` added to every float input that is no parameter
    and carries no constraint; None if there is none."""
    out = list(drawn.leaves)
    changed = False
    for i, (leaf, info) in enumerate(zip(drawn.leaves, drawn.infos)):
        if not str(getattr(leaf, "dtype", "")).startswith(("float", "bfloat")):
            continue
        if info.is_param or info.spec.constraints:
            continue
        a = as_numpy(leaf)
        out[i] = _like(a.astype(np.float64) + offset, leaf)
        changed = True
    return out if changed else None


def derived(ex: Example, index: int, kind: str, leaves: list[Any]) -> Example:
    """An example with the structure of `ex` (so its compiled program serves)
    and other leaves."""
    drawn = replace(ex.drawn, leaves=leaves)
    return Example(index, ex.seed, drawn, 1.0, kind=kind, alt=list(ex.alt))


def shifted(ex: Example, index: int, offset: float) -> Example | None:
    leaves = shifted_leaves(ex.drawn, offset)
    if leaves is None:
        return None
    out = derived(ex, index, "shifted", leaves)
    out.scale = offset  # (shown as the offset in reports)
    return out


def source_root(package: str) -> str:
    """The directory (or file) of a package's code."""
    import os
    import sys

    module = sys.modules.get(package)
    path = getattr(module, "__file__", None) or ""
    if not path:
        return ""
    return os.path.dirname(path) if os.path.basename(path) == "__init__.py" else path


def float_kind(x: Any) -> bool:
    dt = getattr(x, "dtype", None)
    return dt is not None and (str(dt).startswith(("float", "bfloat")))


def tree_arrays(path: str, value: Any) -> list[tuple[str, ArraySpec | None, Any]]:
    import jax

    # arrays only: a pytree may hold other leaves (a lineax operator keeps
    # jax.ShapeDtypeStruct descriptions of its input and output)
    flat = [
        v
        for v in jax.tree_util.tree_leaves(value)
        if isinstance(v, (jax.Array, np.ndarray, np.generic))
    ]
    return [(f"{path}[{i}]" if len(flat) > 1 else path, None, v) for i, v in enumerate(flat)]
