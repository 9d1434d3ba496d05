"""`sn.testing.parity`: does a re-implementation compute what the original model
computes? The same weights in both, the same inputs drawn from the
re-implementation's annotations, every output compared (and gradients, on
request), and the first intermediate value that diverges named on both sides."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._decorator import observe_outputs
from .._signature import Plan
from .._spec import StructSpec
from ._arguments import Builder
from ._init import draw_arguments, struct_spec
from ._parity_grads import compare_gradients, field_of
from ._parity_match import Assigned, ParityError, assign, bind_shape
from ._parity_pairs import pair_intermediates
from ._parity_report import Difference, ParityReport, WeightSource, difference, output_axes
from ._parity_torch import (
    is_module,
    run_callable,
    run_module,
    state_numpy,
)
from ._parity_weights import pieces
from ._sizes import AxisSet, Sizes
from ._subject import Skip, checking_mode, make_subject

__all__ = ["ParityError", "assert_parity", "parity"]

_ROOT = "params"


def parity(
    reference: Any,
    impl: Callable[..., Any],
    *,
    params: Any = None,
    weight_map: Mapping[str, Any] | None = None,
    sizes: Mapping[str, int] | None = None,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
    grads: bool = False,
) -> ParityReport:
    """Run `reference` (a `torch.nn.Module`, or a callable on NumPy arrays) and
    the annotated re-implementation `impl` (`impl(params, *inputs)` or
    `impl(*inputs)`) on the same inputs, drawn from `impl`'s annotations with a
    distinct size per axis, and compare their outputs.

    For a module, `params` (unless given) is built from its `state_dict()` into
    the type annotated on `impl`'s first argument; `weight_map` names a field's
    state-dict key (`{"ln1.gain": "norm1.weight"}`) or computes it
    (`{"w": lambda sd: sd["fc.weight"].T}`) where names and shapes do not
    decide. Tolerances default by dtype (float32: `rtol=1e-5, atol=1e-6`).
    `grads=True` compares gradients with respect to inputs and weights too.

    ```python
    report = sn.testing.parity(reference(), classify)
    assert report.ok, report
    ```
    """
    if not callable(reference):
        raise ParityError(
            f"parity: reference must be a torch.nn.Module or a function of NumPy arrays, "
            f"got {type(reference).__name__} {reference!r}"
        )
    if not callable(impl):
        raise ParityError(f"parity: impl must be a function, got {type(impl).__name__}")
    module = is_module(reference)
    if grads and not module:
        raise ParityError(
            "parity(grads=True) needs a torch.nn.Module reference: a plain function gives no "
            "gradients to compare"
        )
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if tol is not None and not (isinstance(tol, (int, float)) and tol >= 0):
            raise ParityError(f"parity: {name} must be a number >= 0, got {tol!r}")
    if isinstance(impl, type):
        raise ParityError(
            f"parity: impl must be the function that computes, not the class "
            f"{impl.__qualname__}; pass {impl.__qualname__}.__call__ (or the function "
            "that applies it)"
        )
    with checking_mode():
        try:
            subject = make_subject(impl)
        except Skip as e:
            raise ParityError(
                f"parity: cannot draw inputs for {getattr(impl, '__qualname__', impl)!r}: {e}. "
                "Annotate its arguments with jaxtyping types (Float[Array, 'batch feature'])."
            ) from None
        return _run(subject, reference, module, params, weight_map, sizes, seed, rtol, atol, grads)


def assert_parity(reference: Any, impl: Callable[..., Any], **options: Any) -> ParityReport:
    """`parity(...)`, raising `AssertionError` with the report when they differ."""
    __tracebackhide__ = True
    report = parity(reference, impl, **options)
    if not report.ok:
        raise AssertionError(str(report))
    return report


def _run(
    subject: Any,
    reference: Any,
    module: bool,
    params: Any,
    weight_map: Mapping[str, Any] | None,
    sizes: Mapping[str, int] | None,
    seed: int,
    rtol: float | None,
    atol: float | None,
    grads: bool,
) -> ParityReport:
    plan: Plan = subject.plan
    # (name, spec) of each argument; an unbound method of a parameter class
    # (`Model.__call__`) takes its parameters as `self`
    specs = [(p.name, p.spec) for p in plan.all_params if not p.is_self]
    owner = _owner(subject) if any(p.is_self for p in plan.all_params) else None
    if owner is not None:
        specs.insert(0, ("self", owner))
    if not any(_arrays(spec) for _, spec in specs):
        raise ParityError(
            f"parity: {subject.name} has no array annotations to draw inputs from; annotate "
            "its arguments with jaxtyping types (Float[Array, 'batch feature'])"
        )
    # the parameters: given (any pytree, an equinox layer too), or built from a
    # module's weights into the structure annotated on the first argument
    takes_params = isinstance(specs[0][1], StructSpec) or params is not None
    bound = {k: int(v) for k, v in (sizes or {}).items()}
    state = state_numpy(reference) if module else None
    weights: list[WeightSource] = []
    assigned: dict[str, Assigned] = {}
    sspec = specs[0][1]
    if params is not None:
        if weight_map is not None:
            raise ParityError("parity: pass params= or weight_map=, not both")
        if isinstance(sspec, StructSpec):
            _bind_params(sspec, params, bound)
    elif takes_params:
        assert isinstance(sspec, StructSpec)
        if state is None:
            raise ParityError(
                f"parity: {subject.name} takes parameters ({sspec.cls.__qualname__}) and the "
                "reference is not a torch.nn.Module to take them from: pass params="
            )
        fields = [(p.removeprefix(_ROOT + "."), s) for p, s in sspec.array_leaves(_ROOT)]
        assigned = assign(fields, pieces(reference, state), weight_map, state, bound)
        params = _build(sspec.cls, assigned, state, bound, seed)
        weights = [WeightSource(a.path, a.label, a.layout) for a in assigned.values()]
    elif weight_map is not None:
        raise ParityError(
            f"parity: weight_map= is for an impl whose first argument is a parameter "
            f"structure; {subject.name}'s is {specs[0][0]!r}"
        )
    try:
        given = {specs[0][0]: params} if takes_params else None
        args, kwargs, drawn = draw_arguments(subject, bound, seed, given)
    except Skip as e:
        raise ParityError(f"parity: cannot draw inputs for {subject.name}: {e}") from None
    args = (params, *args[1:]) if takes_params else args
    inputs = [np.asarray(x) for x in (args[1:] if takes_params else args)]
    names = [name for name, _ in specs[1 if takes_params else 0 :]][: len(inputs)]
    records: list[tuple[Plan, tuple, dict, Any]] = []
    try:
        out = _call_impl(subject.fn, args, kwargs, records)
    except Exception as e:
        raise ParityError(
            f"parity: {subject.name} raised {type(e).__name__} on the drawn inputs "
            f"({_drawn(drawn, bound)}): {e}\nIf a size is wrong for it, pass sizes= "
            "(sizes the weights fix are read from them)."
        ) from e
    impl_out = _jax_leaves(out)
    cot = _cotangents(impl_out, seed) if grads else None
    try:
        ref = run_module(reference, inputs, cot) if module else run_callable(reference, inputs)
    except Exception as e:
        raise ParityError(
            f"parity: the reference {_name(reference)} raised {type(e).__name__} on the "
            f"inputs drawn for {subject.name} ({_drawn(drawn, bound)}): {e}\nIts inputs come "
            f"from {subject.name}'s annotations, in order: they must be what the reference "
            "takes (wrap the module, or pass sizes=)."
        ) from e
    report = ParityReport(
        impl=subject.name,
        reference=_name(reference),
        sizes={k: v for k, v in sorted(drawn.items()) if isinstance(v, int)},
        inputs=[f"{n}: {x.dtype}{list(x.shape)}" for n, x in zip(names, inputs)],
        outputs=_compare_outputs(plan, impl_out, ref.outputs, rtol, atol),
        weights=weights,
    )
    if state is not None and assigned:
        taken = {k for a in assigned.values() for k in a.reads}
        report.unused_weights = [
            k for k, v in state.items() if k not in taken and v.dtype.kind == "f"
        ]
    if module:
        pair_intermediates(report, subject.plan, records, inputs, ref.records, rtol, atol)
    if grads and cot is not None:
        report.gradients, notes = compare_gradients(
            subject.fn, specs, args, kwargs, takes_params, cot, ref, assigned, state, rtol, atol
        )
        report.notes += notes
    return report


def _arrays(spec: Any) -> bool:
    return bool(spec.array_leaves("x"))


def _owner(subject: Any) -> StructSpec | None:
    """The parameter class an unbound method (`Dense.__call__`) belongs to,
    when its fields are annotated."""
    import sys

    if subject.instance is not None:
        return None
    fn = subject.fn
    owner_path = getattr(fn, "__qualname__", "").split(".")[:-1]
    if not owner_path or "<locals>" in owner_path:
        return None
    obj: Any = sys.modules.get(getattr(fn, "__module__", ""), None)
    for part in owner_path:
        obj = getattr(obj, part, None)
    if not isinstance(obj, type):
        return None
    try:
        return struct_spec(obj)
    except TypeError:
        return None


def _drawn(drawn: dict[str, Any], bound: dict[str, int]) -> str:
    free = [f"{k}={v}" for k, v in drawn.items() if isinstance(v, int) and k not in bound]
    fixed = [f"{k}={v}" for k, v in bound.items()]
    parts = []
    if free:
        parts.append(f"drawn {', '.join(free)}")
    if fixed:
        parts.append(f"from the weights or sizes= {', '.join(fixed)}")
    return "; ".join(parts) or "no named axes"


def _name(reference: Any) -> str:
    if is_module(reference):
        return f"{type(reference).__name__} (torch)"
    return getattr(reference, "__qualname__", None) or repr(reference)


def _bind_params(spec: StructSpec, params: Any, bound: dict[str, int]) -> None:
    for path, aspec in spec.array_leaves(_ROOT):
        try:
            value = field_of(params, path.removeprefix(_ROOT + "."))
        except AttributeError:
            value = None
        shape = tuple(np.shape(value)) if value is not None else None
        if shape is None or not bind_shape(aspec, shape, bound):
            raise ParityError(
                f"parity: params.{path.removeprefix(_ROOT + '.')} has shape {shape}, which does "
                f"not fit its annotation {aspec.dtype_name}[{aspec.dim_str}] (sizes so far: {bound})"
            )


def _build(
    cls: type,
    assigned: dict[str, Assigned],
    state: Mapping[str, np.ndarray],
    bound: dict[str, int],
    seed: int,
) -> Any:
    """The parameter structure with every field's array from the reference,
    non-array fields from their defaults, as `sn.testing.init` builds it."""
    spec = struct_spec(cls)
    names = AxisSet.of([spec]).names
    b = Builder(
        Sizes({n: bound[n] for n in names if n in bound}),
        np.random.default_rng(seed),
        scale=1.0,
        broadcast_one=False,
        seed=seed,
    )
    node = b.struct(cls, spec.fields, _ROOT)
    leaves = list(b.leaves)
    for i, info in enumerate(b.infos):
        a = assigned.get(info.path.removeprefix(_ROOT + "."))
        if a is not None:
            leaves[i] = _like(a.get(state), leaves[i])
    return node.build(leaves)


def _like(value: np.ndarray, template: Any) -> Any:
    arr = np.asarray(value, dtype=np.asarray(template).dtype)
    if isinstance(template, np.ndarray):
        return arr
    import jax.numpy as jnp

    return jnp.asarray(arr)


def _call_impl(
    fn: Any, args: tuple, kwargs: dict, records: list[tuple[Plan, tuple, dict, Any]]
) -> Any:
    """The re-implementation run eagerly (jit off, so its sub-functions' outputs
    are values), each `@sn.shaped` sub-function's output recorded."""
    import jax

    def seen(plan: Plan, a: tuple, kw: dict, out: Any) -> None:
        records.append((plan, a, kw, out))

    with jax.disable_jit(), observe_outputs(seen):
        return fn(*args, **kwargs)


def _jax_leaves(out: Any) -> list[np.ndarray]:
    import jax

    return [np.asarray(x) for x in jax.tree_util.tree_leaves(out)]


def _cotangents(outputs: list[np.ndarray], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed + 7)
    return [
        rng.normal(size=o.shape).astype(o.dtype if o.dtype.kind == "f" else np.float32)
        for o in outputs
    ]


def _compare_outputs(
    plan: Plan,
    impl: list[np.ndarray],
    ref: list[np.ndarray],
    rtol: float | None,
    atol: float | None,
) -> list[Difference]:
    if len(impl) != len(ref):
        shapes = lambda xs: ", ".join(str(tuple(x.shape)) for x in xs)  # noqa: E731
        raise ParityError(
            f"parity: the re-implementation returns {len(impl)} array(s) ({shapes(impl)}) and "
            f"the reference {len(ref)} ({shapes(ref)}); make the reference return what the "
            "re-implementation does (wrap the module, or pass a function)"
        )
    axes = output_axes(plan.ret, impl)
    names = ["return"] if len(impl) == 1 else [f"return[{i}]" for i in range(len(impl))]
    return [difference(n, a, e, ax, rtol, atol) for n, a, e, ax in zip(names, impl, ref, axes)]
