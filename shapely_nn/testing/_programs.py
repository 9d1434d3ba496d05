"""The traced and compiled forms of a function under test, built as few times as
the properties allow (compilation is most of a check's time):

- per example shape, one trace that runs nothing (`trace`): it bounds memory,
  and a second trace compared with it (`traces_alike`) shows state read or
  changed at trace time, which `jax.jit` would bake in;
- for the first example's shape, one XLA program computing the outputs, the
  gradients of a random projection of the float outputs with respect to the
  float inputs, and the function vmapped over (inputs, other inputs) stacked
  (`run`); every perturbed run of the axis-kind properties reuses it;
- other example shapes are evaluated abstractly (`abstract`): shapes and dtypes
  are checked while tracing, nothing is compiled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._errors import ShapeError, ValueConstraintError

__all__ = ["Programs", "largest"]


def largest(jaxpr: Any) -> tuple[int, tuple[int, ...]]:
    """The largest array (elements, shape) a jaxpr makes, sub-jaxprs included."""
    best: tuple[int, tuple[int, ...]] = (0, ())
    for eqn in jaxpr.eqns:
        for v in eqn.outvars:
            shape = tuple(getattr(v.aval, "shape", ()) or ())
            size = int(np.prod(shape)) if shape else 1
            if size > best[0]:
                best = (size, shape)
        for param in eqn.params.values():
            for sub in param if isinstance(param, (list, tuple)) else [param]:
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    best = max(best, largest(inner))
    return best


def _as_numpy(x: Any) -> np.ndarray:
    if "key" in str(getattr(x, "dtype", "")):
        import jax

        return np.asarray(jax.random.key_data(x))
    return np.asarray(x)


def _custom_in(jaxpr: Any, root: str) -> bool:
    """Whether a custom_vjp/custom_jvp call in `jaxpr` has its body in code under
    `root`: the body's operations were traced there before reaching jax's
    custom-derivative machinery (jax.nn.relu's body lives in jax)."""
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in ("custom_vjp_call", "custom_jvp_call"):
            body = getattr(eqn.params.get("call_jaxpr"), "jaxpr", None)
            if body is not None and any(_defined_under(e, root) for e in body.eqns):
                return True
        for param in eqn.params.values():
            for sub in param if isinstance(param, (list, tuple)) else [param]:
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns") and _custom_in(inner, root):
                    return True
    return False


def _defined_under(eqn: Any, root: str) -> bool:
    frames = getattr(getattr(eqn.source_info, "traceback", None), "frames", None) or []
    for f in frames:  # innermost first
        if "custom_derivatives" in f.file_name:
            return False
        if f.file_name.startswith(root):
            return True
    return False


def _float_kind(x: Any) -> bool:
    dt = getattr(x, "dtype", None)
    return dt is not None and (str(dt).startswith(("float", "bfloat")))


def _flat(call: Callable[..., Any]) -> tuple[Callable[..., Any], Callable[[Any], Any]]:
    """`call` returning its output's leaves, and what rebuilds the output from
    their shapes. jax would rebuild an output pytree from `ShapeDtypeStruct`
    leaves itself, through the user's `tree_unflatten`, where a checked
    constructor (a dataclass validating its fields) refuses them: shapely_nn
    rebuilds it with checks off, as the shapes are no values to check."""
    import jax

    tree: list[Any] = []

    def flat(*leaves: Any) -> Any:
        out_leaves, treedef = jax.tree_util.tree_flatten(call(*leaves))
        tree[:] = [treedef]
        return out_leaves

    def rebuild(shapes: Any) -> Any:
        from .._config import mode

        with mode("off"):
            return jax.tree_util.tree_unflatten(tree[0], shapes)

    return flat, rebuild


class Programs:
    """Traces and compiled programs of one function, by example fingerprint.

    `checked_for(sizes)` gives the checked function; `out_leaves(out)` the
    arrays of an output. `traces[fp]` counts how often the compiled program of
    a fingerprint traced the function (the `retrace` property)."""

    def __init__(
        self,
        checked_for: Callable[[dict[str, int]], Any],
        out_leaves: Callable[[Any], list[tuple[str, Any, Any]]],
        seed: int,
    ) -> None:
        self.checked_for, self.out_leaves, self.seed = checked_for, out_leaves, seed
        self.traces: dict[Any, int] = {}
        self.grad_errors: dict[Any, BaseException] = {}
        self.vmap_errors: dict[Any, BaseException] = {}
        self._jaxprs: dict[Any, Any] = {}
        self._shapes: dict[Any, Any] = {}
        self._fns: dict[Any, Callable[[list[Any], list[Any]], tuple[Any, Any, Any]]] = {}

    def clear(self) -> None:
        self.traces.clear()
        self.grad_errors.clear()
        self.vmap_errors.clear()
        self._jaxprs.clear()
        self._shapes.clear()
        self._fns.clear()

    def _call(self, ex: Any) -> Callable[..., Any]:
        drawn, checked = ex.drawn, self.checked_for(ex.sizes.single)

        def call(*leaves: Any) -> Any:
            args, kwargs = drawn.build(list(leaves))
            return checked(*args, **kwargs)

        return call

    def leaf_outputs(self, ex: Any) -> Callable[..., list[Any]]:
        """The example's checked call as a function of its leaves that returns the
        output's arrays (as `out_leaves` lists them), not the output: an object
        that checks its arrays when rebuilt (a dataset of 2-d inputs) refuses
        batched ones under vmap."""
        call, out_leaves = self._call(ex), self.out_leaves
        return lambda *leaves: [v for _, _, v in out_leaves(call(*leaves))]

    # ------------------------------------------------------------ traces

    def trace(self, ex: Any) -> Any:
        """The example's first trace (a closed jaxpr), or None if it does not trace
        (the runs will say why). One per fingerprint."""
        import jax

        fp = ex.drawn.fingerprint()
        if fp not in self._jaxprs:
            try:
                # (with the outputs' shapes: `abstract` needs no second trace)
                call, rebuild = _flat(self._call(ex))
                jaxpr, shapes = jax.make_jaxpr(call, return_shape=True)(*ex.drawn.leaves)
                self._jaxprs[fp], self._shapes[fp] = jaxpr, rebuild(shapes)
            except Exception:
                self._jaxprs[fp] = None
        return self._jaxprs[fp]

    def traces_alike(self, ex: Any) -> str | None:
        """None if tracing the example again gives the same program as the first
        trace; else what differs."""
        import jax

        first = self.trace(ex)
        if first is None:
            return None
        second = jax.make_jaxpr(self._call(ex))(*ex.drawn.leaves)
        if str(first.jaxpr) != str(second.jaxpr):
            return "the traced program differs"
        for a, b in zip(first.consts, second.consts):
            a, b = _as_numpy(a), _as_numpy(b)
            if a.shape != b.shape or a.dtype != b.dtype or not np.array_equal(a, b, equal_nan=True):
                return f"a constant of shape {a.shape} baked into the program differs"
        return None

    # ------------------------------------------------------------ float64

    def in_float64(self, ex: Any, leaves: list[Any]) -> Any:
        """The outputs for `leaves` computed in float64 (float leaves cast up), or
        None where jax or the annotations do not allow it."""
        import jax
        import jax.numpy as jnp

        x64 = getattr(jax, "enable_x64", None)
        if x64 is None:  # (jax versions before the context manager moved)
            from jax.experimental import enable_x64 as x64  # type: ignore[no-redef]
        call = self._call(ex)
        try:
            with x64(True):
                up = [jnp.asarray(x, jnp.float64) if _float_kind(x) else x for x in leaves]
                return jax.jit(call)(*up)
        except Exception:
            return None

    def has_custom_derivatives(self, ex: Any, root: str) -> bool:
        """Whether the function calls a custom_vjp/custom_jvp defined in code under
        `root` (its package's directory): jax's own (`jax.nn.relu`) do not count."""
        jaxpr = self.trace(ex)
        return jaxpr is not None and bool(root) and _custom_in(jaxpr.jaxpr, root)

    # ------------------------------------------------------------ compiled

    def abstract(self, ex: Any) -> Any:
        """The outputs' shapes and dtypes, checked while tracing; nothing compiled."""
        import jax

        fp = ex.drawn.fingerprint()
        if fp in self._shapes:
            return self._shapes[fp]
        call, rebuild = _flat(self._call(ex))
        return rebuild(jax.eval_shape(call, *ex.drawn.leaves))

    def run(self, ex: Any, first: bool) -> tuple[Any, Any, Any]:
        """(outputs, gradients or None, vmapped outputs or None) of the compiled
        program for the example's fingerprint, compiling it the first time:
        outputs, gradients and vmap together for the first example's shape
        (`first`), falling back to fewer parts where one of them fails (that
        part's property reports it). Raises what makes the function fail under
        jax.jit."""
        fp = ex.drawn.fingerprint()
        fn = self._fns.get(fp)
        if fn is not None:
            return fn(ex.drawn.leaves, ex.alt)
        floats = [i for i, x in enumerate(ex.drawn.leaves) if _float_kind(x)]
        with_grad = bool(floats) and first
        with_vmap = first and bool(ex.drawn.leaves)
        try:
            return self._compile(ex, fp, floats if with_grad else [], with_vmap)
        except (ShapeError, ValueConstraintError):
            raise
        except Exception as e:
            if not (with_grad or with_vmap):
                raise
            whole = e
        if with_vmap:
            try:  # without vmap: if that runs, vmap was what failed
                result = self._compile(ex, fp, floats if with_grad else [], False)
                self.vmap_errors[fp] = whole
                return result
            except (ShapeError, ValueConstraintError):
                raise
            except Exception as e:
                whole = e
        result = self._compile(ex, fp, [], False)  # (raises the jit error)
        if with_grad:
            self.grad_errors[fp] = whole  # grads failed (vmap, if asked, untested)
        return result

    def _compile(
        self, ex: Any, fp: Any, floats: list[int], with_vmap: bool
    ) -> tuple[Any, Any, Any]:
        fn = self._build(ex, fp, floats, with_vmap)
        self.traces[fp] = 0  # a failed attempt's trace is no re-trace
        result = fn(ex.drawn.leaves, ex.alt)
        self._fns[fp] = fn
        return result

    def evaluate(self, ex: Any, leaves: list[Any]) -> Any:
        """The outputs for other leaves of the same shapes (compiled already)."""
        fp = ex.drawn.fingerprint()
        return self._fns[fp](leaves, ex.alt)[0]

    def _build(
        self, ex: Any, fp: Any, floats: list[int], with_vmap: bool
    ) -> Callable[[list[Any], list[Any]], tuple[Any, Any, Any]]:
        import jax
        import jax.numpy as jnp

        call, traces, out_leaves, seed = self._call(ex), self.traces, self.out_leaves, self.seed
        outputs = self.leaf_outputs(ex)

        def forward(leaves: list[Any]) -> Any:
            # one count per trace of this program: a second trace for inputs of
            # the same shapes and dtypes is a re-trace
            traces[fp] = traces.get(fp, 0) + 1
            return call(*leaves)

        def projected(float_leaves: list[Any], leaves: list[Any]) -> Any:
            full = list(leaves)
            for i, f in zip(floats, float_leaves):
                full[i] = f
            out = forward(full)
            total = jnp.zeros((), jnp.float32)
            for k, (_, _, v) in enumerate(out_leaves(out)):
                if _float_kind(v):
                    # generic weights (no zeros, no symmetry) from a few cheap ops:
                    # jax.random here would add its hash to every compiled program
                    n = int(np.prod(jnp.shape(v)))
                    phase = jnp.arange(n, dtype=jnp.float32) * 1.618034 + (seed + 57 + k) * 0.5
                    w = jnp.sin(phase).reshape(jnp.shape(v))
                    total = total + jnp.sum(v.astype(jnp.float32) * w)
            return total, out

        def program(leaves: list[Any], alt: list[Any]) -> tuple[Any, Any, Any]:
            if floats:
                grad = jax.value_and_grad(projected, has_aux=True)
                (_, out), grads = grad([leaves[i] for i in floats], leaves)
            else:
                out, grads = forward(leaves), None
            vmapped = None
            if with_vmap:
                stacked = [jnp.stack([a, b]) for a, b in zip(leaves, alt)]
                vmapped = jax.vmap(outputs)(*stacked)
            return out, grads, vmapped

        jitted = jax.jit(program)
        return lambda leaves, alt: jitted(list(leaves), list(alt))
