"""Running the reference: a `torch.nn.Module` (in `eval()` mode, under
`torch.no_grad()` unless gradients are asked for, every submodule's output
recorded by forward hooks), or any callable on NumPy arrays. torch is imported
only when the reference is a module, so shapely_nn never needs it otherwise.
The user's module is left as it was: its training flags are restored, hooks
removed, and gradients taken with `torch.autograd.grad` (no `.grad` is set)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "RefRun",
    "as_numpy",
    "gradient_state",
    "is_module",
    "leaves",
    "run_callable",
    "run_module",
    "state_numpy",
]


def is_module(obj: Any) -> bool:
    """A `torch.nn.Module` (without importing torch if nothing has)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def leaves(out: Any) -> list[Any]:
    """The arrays of an output: a tensor or array, or tuples, lists and dicts
    (in key order) of them."""
    if isinstance(out, dict):
        return [x for k in out for x in leaves(out[k])]
    if isinstance(out, (tuple, list)):
        return [x for item in out for x in leaves(item)]
    if out is None:
        return []
    return [out]


def as_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        return x.detach().cpu().numpy()
    return np.asarray(x)


def state_numpy(module: Any) -> dict[str, np.ndarray]:
    """The module's state dict as NumPy arrays (copies)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


@dataclass
class RefRun:
    outputs: list[np.ndarray]
    # every submodule's inputs ("in", when it is called) and outputs ("out"),
    # in the order they happened
    records: list[tuple[str, str, list[np.ndarray]]] = field(default_factory=list)
    input_grads: list[np.ndarray | None] = field(default_factory=list)
    state_grads: dict[str, np.ndarray] = field(default_factory=dict)


def run_callable(reference: Any, inputs: list[np.ndarray]) -> RefRun:
    out = reference(*[np.array(x) for x in inputs])
    return RefRun([as_numpy(x) for x in leaves(out)])


def run_module(
    module: Any, inputs: list[np.ndarray], cotangents: list[np.ndarray] | None = None
) -> RefRun:
    """Outputs, each submodule's outputs in call order, and with `cotangents`
    the gradients of `sum(output * cotangent)` with respect to the float inputs
    and to the parameters (by state-dict key)."""
    import torch

    flags = [(m, m.training) for m in module.modules()]
    records: list[tuple[str, str, list[np.ndarray]]] = []

    def hook(name: str, kind: str) -> Any:
        def record(_module: Any, args: Any, *output: Any) -> None:
            value = output[0] if output else args
            arrays = [as_numpy(x) for x in leaves(value) if isinstance(x, torch.Tensor)]
            if arrays:
                records.append((name, kind, arrays))

        return record

    handles = []
    for name, sub in module.named_modules():
        if name:
            handles.append(sub.register_forward_pre_hook(hook(name, "in")))
            handles.append(sub.register_forward_hook(hook(name, "out")))
    try:
        module.eval()
        tensors = [torch.from_numpy(np.array(x)) for x in inputs]
        if cotangents is None:
            with torch.no_grad():
                out = module(*tensors)
            return RefRun([as_numpy(x) for x in leaves(out)], records)
        floats = [t for t in tensors if t.is_floating_point()]
        for t in floats:
            t.requires_grad_(True)
        params = dict(module.named_parameters())
        with torch.enable_grad():
            out = leaves(module(*tensors))
            total = sum(
                (o * torch.from_numpy(np.asarray(c, dtype=_np_dtype(o)))).sum()
                for o, c in zip(out, cotangents)
            )
            wrt = floats + list(params.values())
            got = torch.autograd.grad(total, wrt, allow_unused=True)  # type: ignore[arg-type]
        grads = [None if g is None else as_numpy(g) for g in got]
        it = iter(grads[: len(floats)])
        input_grads = [next(it) if t.is_floating_point() else None for t in tensors]
        state_grads = {
            k: (g if g is not None else np.zeros(tuple(p.shape), _np_dtype(p)))
            for (k, p), g in zip(params.items(), grads[len(floats) :])
        }
        return RefRun([as_numpy(x) for x in out], records, input_grads, state_grads)
    finally:
        for h in handles:
            h.remove()
        for m, training in flags:
            m.train(training)


def _np_dtype(t: Any) -> Any:
    return np.dtype(str(t.dtype).removeprefix("torch."))


def gradient_state(state_grads: Mapping[str, np.ndarray], state: Mapping[str, np.ndarray]):
    """The state dict with each parameter replaced by its gradient (buffers by
    zeros), for mapping gradients onto fields as weights are mapped."""
    return {k: state_grads.get(k, np.zeros_like(v)) for k, v in state.items()}
