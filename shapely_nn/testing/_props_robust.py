"""Properties for what else re-implementations get wrong:

- `dead`: an input that does not influence the outputs at all (a bias added to a
  copy that is then discarded, a mask accepted but never applied, a skipped
  layer): its gradient is exactly zero and redrawing it changes no output;
- `custom_grad`: a `custom_vjp`/`custom_jvp` of the function's own package whose
  gradient disagrees with finite differences of the function (in float64 where
  jax allows it);
- `finite`: no NaN at the boundary values the annotations allow (`t * log(t)` at
  t = 0), and no overflow or cancellation on shifted inputs where float64 stays
  finite (`log(sum(exp(x)))` without the max shift, `E[x^2] - E[x]^2`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._compare import as_numpy
from ._objects import subclasses
from ._runner import Example, Fail, Runner, float_kind
from ._subject import Skip

__all__ = ["custom_grad", "dead", "finite"]


def _outputs(r: Runner, out: Any) -> list[tuple[str, np.ndarray]]:
    return [(path, as_numpy(v)) for path, _, v in r.out_leaves(out)]


def _is_key(x: Any) -> bool:
    return str(getattr(x, "dtype", "")).startswith("key")


# ---------------------------------------------------------------- dead inputs


def dead(r: Runner, ex: Example) -> None:
    if ex.index != 0:
        raise Skip("inputs' influence is checked on the first example")
    base = r.base(ex)
    allowed = set(r.unused)
    leaves = ex.drawn.leaves
    floats = r.float_inputs(ex)
    grads = dict(zip(floats, ex.grads)) if ex.grads is not None else {}
    outs = _outputs(r, base)
    if not outs:
        raise Skip("no array outputs")
    inexact = [a for _, a in outs if np.issubdtype(a.dtype, np.inexact)]
    if inexact and not any(np.isfinite(a).any() for a in inexact):
        raise Skip(
            "no output is finite on the drawn inputs (outside the function's domain: "
            "unsorted knots, queries out of range): nothing can influence them"
        )
    if all(a.dtype == np.bool_ for _, a in outs):
        raise Skip(
            "its outputs are yes/no answers, the same for most inputs (`all(isfinite(x))` "
            "is True for every draw)"
        )
    candidates = [
        i
        for i, (leaf, info) in enumerate(zip(leaves, ex.drawn.infos))
        if not _is_key(leaf) and not _opted_out(info.path, allowed) and np.size(leaf) > 0
    ]
    if not candidates:
        raise Skip("no inputs to check (PRNG keys and opted-out arguments are left out)")
    # by argument: an argument is dead when none of its arrays moves an output (a
    # function that uses a few fields of a parameter structure it shares with
    # others is no bug, so one dead field beside live ones is not reported)
    if _overrides(r):
        raise Skip(
            "a method its base class or a subclass also defines: arguments one "
            "implementation does not need are the interface's (a constant kernel ignores "
            "its inputs)"
        )
    standins = [path for path, what, _ in ex.drawn.guessed if "stand-in" in what]
    if standins:
        raise Skip(
            f"{standins[0]} is a stand-in function shapely_nn made up: an input the "
            "function only hands to it may be one the stand-in ignores"
        )
    chooser = _polymorphic_argument(ex)
    if chooser is not None:
        raise Skip(
            f"what it computes depends on which {chooser} it is given (a subclass may "
            "need an input this one ignores)"
        )
    by_arg: dict[str, list[int]] = {}
    for i in candidates:
        by_arg.setdefault(_root(ex.drawn.infos[i].path), []).append(i)
    carriers = _shape_carriers(r)
    dead_ones = [
        arg
        for arg, idx in by_arg.items()
        if arg not in carriers
        and all(_leaf_dead(r, ex, ex.drawn.leaves, i, grads, outs) for i in idx)
    ]
    if dead_ones:
        # again where every number is positive and away from zero and every
        # flag flipped: code that guards a domain jointly (`where((l < eps) |
        # (v < eps), 0, ...)`) or selects a branch (`where(pred, a, b)`) ignores
        # an input only on one side
        moved = [_moved(x) for x in ex.drawn.leaves]
        outs_moved = _outputs(r, r.evaluate(ex, moved))
        dead_ones = [
            arg
            for arg in dead_ones
            if all(_leaf_dead(r, ex, moved, i, {}, outs_moved) for i in by_arg[arg])
        ]
    if dead_ones:
        names = ", ".join(dead_ones)
        raise Fail(
            f"{names} {'does' if len(dead_ones) == 1 else 'do'} not influence the outputs: "
            "the gradient is exactly zero and a new draw changes no output (a bias added "
            "to a copy that is discarded, a residual branch dropped, a mask never "
            "applied, a layer skipped?). If that is on purpose, opt out: "
            f"unused=[{', '.join(repr(d) for d in dead_ones)}]"
        )


def _overrides(r: Runner) -> bool:
    """Whether the method under test is one implementation of an interface: it
    overrides a method of a base class, or a subclass overrides it."""
    instance = r.subject.instance
    name = getattr(getattr(r.subject.fn, "__func__", r.subject.fn), "__name__", "")
    if instance is None or not name:
        return False
    cls = instance if isinstance(instance, type) else type(instance)
    owner = next((c for c in cls.__mro__ if name in vars(c)), None)
    if owner is None:
        return False
    later = cls.__mro__[cls.__mro__.index(owner) + 1 :]
    if any(name in vars(c) for c in later if c is not object):
        return True
    return any(name in vars(c) for c in subclasses(owner))


def _shape_carriers(r: Runner) -> set[str]:
    """Arguments that pass their shape on: an axis of the return is bound by them
    and by no other argument (`diagonal(x: "N D") -> " N"` needs x for N alone).
    Where the return has no array annotation (an operator, an object), any axis
    bound by one argument alone may be the return's."""
    plan = r.subject.plan
    out_axes: set[str] | None = None
    if plan.ret is not None:
        leaves = list(plan.ret.array_leaves("return"))
        if leaves:
            out_axes = {n for _, a in leaves for n in a.names()}
    axes_of = {
        p.name: {n for _, a in p.spec.array_leaves(p.name) for n in a.names()}
        for p in plan.all_params
    }
    carriers = set()
    for name, axes in axes_of.items():
        others = set().union(*(v for k, v in axes_of.items() if k != name))
        if (axes if out_axes is None else axes & out_axes) - others:
            carriers.add(name)
    return carriers


def _root(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def _leaf_dead(
    r: Runner,
    ex: Example,
    leaves: list[Any],
    i: int,
    grads: dict[int, Any],
    outs: list[tuple[str, np.ndarray]],
) -> bool:
    g = grads.get(i)
    if g is not None and np.any(as_numpy(g) != 0):
        return False  # it moves a float output
    # a new draw, and values of the other sign and well away from zero: code that
    # guards a domain (`where(lengthscale < eps, 0, ...)`) ignores an input only
    # outside it
    for value in _perturbations(leaves[i], ex.alt[i]):
        perturbed = list(leaves)
        perturbed[i] = value
        try:
            after = _outputs(r, r.evaluate(ex, perturbed))
        except Exception:
            return False  # it changes what happens
        if not all(
            a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
            for (_, a), (_, b) in zip(outs, after)
        ):
            return False
    return True


def _moved(leaf: Any) -> Any:
    if _is_key(leaf):
        return leaf
    x = np.asarray(leaf)
    if x.dtype == np.bool_:
        return np.logical_not(x)
    if not np.issubdtype(x.dtype, np.number):
        return leaf
    return (np.abs(x) + 1).astype(x.dtype)


# classes whose subclasses are containers, not implementations to choose between
_NEUTRAL_BASES = ("builtins", "abc", "typing", "equinox", "flax", "dataclasses", "enum")


def _polymorphic_argument(ex: Example) -> str | None:
    """The class of an object argument that is one implementation among several
    (it has a base class or a subclass of the user's own), if there is one."""
    try:
        args, kwargs = ex.drawn.build()
    except Exception:
        return None
    for value in [*args, *kwargs.values()]:
        cls = type(value)
        if cls.__module__.split(".")[0] in _NEUTRAL_BASES or hasattr(value, "shape"):
            continue
        if isinstance(value, tuple) and hasattr(cls, "_fields"):
            continue  # a NamedTuple of parameters
        family = [c for c in cls.__mro__[1:] if c.__module__.split(".")[0] not in _NEUTRAL_BASES]
        if family or subclasses(cls):
            return cls.__name__
    return None


def _perturbations(leaf: Any, alt: Any) -> list[Any]:
    """A new draw, the flags flipped or the numbers moved away from zero (`_moved`),
    and, where the dtype has them, those numbers negated."""
    x = np.asarray(leaf)
    if x.dtype != np.bool_ and not np.issubdtype(x.dtype, np.number):
        return [alt]
    out = [alt, _moved(leaf)]
    if x.dtype != np.bool_ and not np.issubdtype(x.dtype, np.unsignedinteger):
        out.append((-(np.abs(x) + 1)).astype(x.dtype))
    return out


def _opted_out(path: str, allowed: set[str]) -> bool:
    """`p.b` is opted out by "p.b" and by "p"."""
    return any(path == a or path.startswith((a + ".", a + "[")) for a in allowed)


# ---------------------------------------------------------------- custom gradients


def custom_grad(r: Runner, ex: Example) -> None:
    if r.numpy:
        raise Skip("takes numpy arrays; jax differentiates jax arrays")
    if ex.index != 0:
        raise Skip("custom derivatives are checked on the first example")
    if not r.programs.has_custom_derivatives(ex, r.source_root):
        raise Skip("defines no custom_vjp or custom_jvp of its own")
    r.base(ex)
    floats = r.float_inputs(ex)
    if not floats or ex.grads is None:
        raise Skip("no gradients with respect to float inputs to compare")
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng([r.seed, 211])
    leaves = [as_numpy(x) for x in ex.drawn.leaves]
    direction = {i: rng.standard_normal(leaves[i].shape) for i in floats}
    weights = [rng.standard_normal(np.shape(v)) for _, v in _outputs(r, ex.jit_out)]

    def projection(out: Any) -> float:
        vals = [np.asarray(v, np.float64) for _, v in _outputs(r, out)]
        return float(
            sum(np.sum(np.where(np.isfinite(v), v, 0.0) * w) for v, w in zip(vals, weights))
        )

    def at(t: float) -> list[Any]:
        moved = list(ex.drawn.leaves)
        for i in floats:
            moved[i] = leaves[i].astype(np.float64) + t * direction[i]
        return moved

    # small: a central difference across a kink (relu) averages two slopes
    h = 1e-7 * max(1.0, max(float(np.max(np.abs(leaves[i]))) for i in floats))
    up, down = r.programs.in_float64(ex, at(h)), r.programs.in_float64(ex, at(-h))
    if up is None or down is None:
        raise Skip("cannot run it in float64 to take finite differences")
    numeric = (projection(up) - projection(down)) / (2 * h)
    grad_fn = jax.grad(lambda fl: _projected(r, ex, floats, fl, weights))
    with _x64():
        try:
            analytic_grads = jax.jit(grad_fn)([jnp.asarray(leaves[i], jnp.float64) for i in floats])
        except Exception as e:
            raise Skip(f"cannot differentiate it in float64 ({type(e).__name__})") from None
        analytic = float(
            sum(np.sum(np.asarray(g) * direction[i]) for i, g in zip(floats, analytic_grads))
        )
    scale = max(1.0, abs(numeric), abs(analytic))
    if not np.isfinite(analytic) or abs(analytic - numeric) > 1e-3 * scale:
        raise Fail(
            f"the gradient disagrees with finite differences of the function: along a "
            f"random direction it gives {analytic:.6g}, the function's change gives "
            f"{numeric:.6g} (float64). A custom_vjp/custom_jvp rule of its own is wrong "
            "(a sign, a missing factor, a transposed cotangent?)"
        )


def _x64() -> Any:
    import jax

    x64 = getattr(jax, "enable_x64", None)
    if x64 is None:
        from jax.experimental import enable_x64 as x64  # type: ignore[no-redef]
    return x64(True)


def _projected(r: Runner, ex: Example, floats: list[int], fl: list[Any], weights: list[Any]) -> Any:
    import jax.numpy as jnp

    full = list(ex.drawn.leaves)
    for i, f in zip(floats, fl):
        full[i] = f
    args, kwargs = ex.drawn.build(full)
    out = r.subject.checked_for(ex.sizes.single)(*args, **kwargs)
    total = jnp.zeros((), jnp.float64)
    for (_, _, v), w in zip(r.out_leaves(out), weights):
        if float_kind(v):
            total = total + jnp.sum(jnp.where(jnp.isfinite(v), v, 0.0) * w)
    return total


# ---------------------------------------------------------------- finite


def finite(r: Runner, ex: Example) -> None:
    if ex.kind not in ("boundary", "shifted"):
        if not any(e.kind in ("boundary", "shifted") for e in r.examples()):
            raise Skip(
                "no input to set to boundary values or to shift far from zero (no "
                "unconstrained float input, no constraint with boundary values)"
            )
        raise Skip("checked on the boundary and shifted examples")
    out = r.base(ex) if not r.numpy else ex.out
    if ex.error is not None:
        raise Skip("the function raised on these inputs (see 'shapes')")
    outs = [(p, v) for p, v in _outputs(r, out) if v.dtype.kind in "fc"]
    if ex.kind == "boundary":
        nan = [(p, v) for p, v in outs if np.isnan(v).any()]
        if nan:
            path, v = nan[0]
            raise Fail(
                f"{path} has {int(np.isnan(v).sum())} NaN values at boundary values the "
                "annotations allow (exact zeros, ones, one-hot rows): 0 * log(0), 0 / 0, "
                "log of a zero probability times a zero weight? (jax.scipy.special.xlogy, "
                "jnp.where before the division)"
            )
        return
    first = _outputs(r, r.base(r.examples()[0])) if not r.numpy else None
    bad = [
        (p, v)
        for k, (p, v) in enumerate(outs)
        if not np.isfinite(v).all()
        and (first is None or k >= len(first) or np.isfinite(first[k][1]).all())
    ]
    if not bad:
        _finite_gradients(r, ex)
        return
    reference = r.programs.in_float64(ex, ex.drawn.leaves) if not r.numpy else None
    if reference is None:
        raise Skip(
            "non-finite outputs on shifted inputs, but no float64 run to tell overflow "
            "that is inherent from instability"
        )
    ref = dict(_outputs(r, reference))
    for path, _ in bad:
        if path in ref and np.isfinite(ref[path]).all():
            raise Fail(
                f"{path} is not finite for inputs shifted by +{ex.scale:g}, though float64 "
                "gives finite values and the unshifted inputs do too: numerically unstable "
                "(log(sum(exp(x))) without subtracting the max, E[x^2] - E[x]^2 for a "
                "variance?)"
            )


def _finite_gradients(r: Runner, ex: Example) -> None:
    """On shifted inputs with finite outputs, a non-finite float32 gradient that
    float64 gives finite is an overflow in the derivative alone: the classic
    `jnp.where(x < c, jnp.exp(x), ...)`, whose unused branch's inf times a zero
    cotangent is NaN."""
    if r.numpy or ex.grads is None:
        return
    floats = r.float_inputs(ex)
    bad = [(i, g) for i, g in zip(floats, ex.grads) if not np.isfinite(as_numpy(g)).all()]
    if not bad:
        return
    import jax
    import jax.numpy as jnp

    weights = [np.ones(np.shape(v)) for _, v in _outputs(r, r.base(ex))]
    leaves = [as_numpy(x) for x in ex.drawn.leaves]
    grad_fn = jax.grad(lambda fl: _projected(r, ex, floats, fl, weights))
    with _x64():
        try:
            ref = jax.jit(grad_fn)([jnp.asarray(leaves[i], jnp.float64) for i in floats])
        except Exception:
            return  # no float64 run to tell an overflow from an inherent blow-up
        ref64 = {i: np.asarray(g) for i, g in zip(floats, ref)}
    for i, g in bad:
        if np.isfinite(ref64[i]).all():
            path = ex.drawn.infos[i].path
            arr = as_numpy(g)
            raise Fail(
                f"the gradient with respect to {path} has {int((~np.isfinite(arr)).sum())} "
                f"of {arr.size} entries non-finite for inputs shifted by +{ex.scale:g}, "
                "though the outputs are finite and float64 gives a finite gradient: an "
                "overflow in the derivative alone (jnp.where(x < c, jnp.exp(x), ...) "
                "differentiates both branches: the unused one's inf times 0 is NaN; "
                "clip the input of the branch that overflows)"
            )
