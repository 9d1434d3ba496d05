"""`sn.testing.check`: draw examples from the annotations and test properties."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _config
from .._diagnose import collect_leaves
from .._errors import AnnotationError, ShapeError, ValueConstraintError
from .._spec import ArraySpec
from .._values import check_leaves
from ._compare import as_numpy, compare, fmt_diff
from ._draw import Drawn, Sizes, _fixed_sizes, axis_names_of, draw_example, draw_sizes, redraw_like
from ._report import PropertyResult, Report
from ._target import Skip, Target, make_target

__all__ = ["PROPERTIES", "assert_checks", "check"]

#: every property `check` knows, in the order it reports them
PROPERTIES: tuple[str, ...] = (
    "shapes",
    "dtype",
    "jit",
    "values",
    "batch",
    "set",
    "causal",
    "grad",
    "vmap",
    "retrace",
)

SCALE = 1000.0  # the "large values" example multiplies inputs by this


class Fail(Exception):
    """A property failed on the current example; the message says what differed."""


@contextlib.contextmanager
def checking_mode() -> Iterator[None]:
    """Checks must run while testing, even if the process has them off."""
    if _config.get_mode() == "off":
        with _config.mode("on"):
            yield
    else:
        yield


@dataclass
class Example:
    index: int
    seed: int
    drawn: Drawn
    scale: float
    alt: list[Any] = field(default_factory=list)  # same shapes, other values
    out: Any = None
    error: BaseException | None = None
    jit_out: Any = None
    jit_error: BaseException | None = None
    grads: Any = None
    eager: bool = True

    @property
    def sizes(self) -> Sizes:
        return self.drawn.sizes

    def where(self) -> str:
        extra = f", inputs x{self.scale:g}" if self.scale != 1 else ""
        return f"{self.sizes.describe()}{extra}"


def _float_kind(x: Any) -> bool:
    dt = getattr(x, "dtype", None)
    return dt is not None and (str(dt).startswith(("float", "bfloat")))


def _returns_non_jax(error: BaseException | None) -> bool:
    """Whether jax.jit failed only because the output holds a non-JAX value."""
    return isinstance(error, TypeError) and "is not a valid JAX type" in str(error)


def _tree_arrays(path: str, value: Any) -> list[tuple[str, ArraySpec | None, Any]]:
    import jax

    flat = jax.tree_util.tree_leaves(value)
    return [(f"{path}[{i}]" if len(flat) > 1 else path, None, v) for i, v in enumerate(flat)]


class Runner:
    def __init__(
        self,
        target: Target,
        *,
        sizes: Mapping[str, Any] | None,
        seed: int,
        examples: int,
        fixed: Mapping[str, Any] | None,
    ) -> None:
        self.t = target
        self.seed = seed
        self.n_examples = examples
        self.user_sizes = dict(sizes or {})
        self.fixed = fixed
        self.names, self.variadics = axis_names_of(target.specs())
        self.avoid = _fixed_sizes(target.specs())
        self.numpy = target.uses_numpy()
        self._examples: list[Example] | None = None
        self._draw_error: Skip | None = None
        self._compiled: dict[Any, Any] = {}
        self._vmapped: dict[Any, Any] = {}
        self._first_fp: Any = None
        self._grad_errors: dict[Any, BaseException] = {}
        self.traces: dict[Any, int] = {}

    # ------------------------------------------------------------ examples

    def examples(self) -> list[Example]:
        if self._examples is not None:
            return self._examples
        out = []
        rng = np.random.default_rng(self.seed)
        batch_axes = [n for n in self.names if self.t.kind(n) == "batch"]
        free = [n for n in self.names if n not in self.user_sizes]
        one_candidate = (batch_axes or free or [None])[0]
        for i in range(self.n_examples):
            size_one = one_candidate if i == 1 else None
            scale = SCALE if i == 2 else 1.0
            sizes = draw_sizes(
                self.names,
                self.variadics,
                rng=rng,
                example=i,
                user=self.user_sizes,
                avoid=self.avoid,
                size_one=size_one,
            )
            if i == 2 and not self.variadics and out:
                # the large-values example keeps example 0's sizes, so the compiled
                # functions are reused (it varies values, not shapes)
                sizes = Sizes(dict(out[0].sizes.single), dict(out[0].sizes.variadic))
            drawn = draw_example(
                self.t,
                example=i,
                seed=self.seed,
                sizes=sizes,
                scale=scale,
                broadcast_one=i == 2,
                fixed=self.fixed,
            )
            ex = Example(i, self.seed, drawn, scale)
            if i == 0:
                self._first_fp = drawn.fingerprint()
            ex.alt = redraw_like(drawn, self.t, seed=self.seed * 7 + i, scale=scale)
            self._eager(ex)
            out.append(ex)
        self._examples = out
        return out

    def _eager(self, ex: Example) -> None:
        """The reference run. numpy functions always run eagerly; jax functions run
        op by op on the first example only (each op compiles per shape, which is
        slow) and compiled on the others, where the checks run while tracing."""
        if not self.numpy and ex.index > 0:
            try:
                ex.out = self.base(ex)
                ex.eager = False
                return
            except Skip:
                pass  # the compiled run failed (the jit property says why): run eagerly
        args, kwargs = ex.drawn.build()
        try:
            ex.out = self.t.checked(*args, **kwargs)
        except Exception as e:
            ex.error = e
        ex.eager = True

    # ------------------------------------------------------------ compiled runs

    def compiled(self, ex: Example) -> Callable[..., Any]:
        """One jitted function per example, `leaves -> (outputs, gradients)`:
        forward pass and the gradient of a random projection of the float
        outputs with respect to the float inputs, compiled together once and
        reused by every property (and every perturbed run) of that example."""
        fp = ex.drawn.fingerprint()
        fn = self._compiled.get(fp)
        if fn is not None:
            return fn
        import jax
        import jax.numpy as jnp

        drawn, checked, traces = ex.drawn, self.t.checked, self.traces
        floats = self._float_inputs(ex)
        out_leaves = self.out_leaves

        def forward(*leaves: Any) -> Any:
            key = tuple((tuple(x.shape), str(x.dtype)) for x in leaves)
            traces[key] = traces.get(key, 0) + 1
            args, kwargs = drawn.build(list(leaves))
            return checked(*args, **kwargs)

        def projected(float_leaves: Any, leaves: Any) -> Any:
            full = list(leaves)
            for i, f in zip(floats, float_leaves):
                full[i] = f
            out = forward(*full)
            total = jnp.zeros((), jnp.float32)
            key = jax.random.key(self.seed + 57)
            for _, _, v in out_leaves(out):
                if _float_kind(v):
                    key, sub = jax.random.split(key)
                    w = jax.random.normal(sub, jnp.shape(v), jnp.float32)
                    total = total + jnp.sum(v.astype(jnp.float32) * w)
            return total, out

        grad_fn = jax.jit(jax.value_and_grad(projected, has_aux=True))

        def both(leaves: list[Any]) -> tuple[Any, Any]:
            (_, out), grads = grad_fn([leaves[i] for i in floats], list(leaves))
            return out, grads

        forward_jit = jax.jit(forward)

        def forward_only(leaves: list[Any]) -> tuple[Any, Any]:
            return forward_jit(*leaves), None

        fn = forward_only
        # gradients come with the first example's shapes (and the large-values
        # example, which shares them); the size-1 example compiles the forward
        # pass alone
        with_grad = fp == self._first_fp
        if floats and with_grad:
            try:
                both(ex.drawn.leaves)
                fn = both
            except ShapeError:
                raise
            except Exception as e:  # not differentiable: the grad property reports it
                self._grad_errors[fp] = e
        self._compiled[fp] = fn
        return fn

    def base(self, ex: Example) -> Any:
        """Outputs for the example, computed the way perturbed runs are (compiled,
        for jax functions, so both sides round alike)."""
        if self.numpy:
            if ex.error is not None:
                raise Skip("the function raised on the drawn inputs (see 'shapes')")
            return ex.out
        if ex.jit_out is None and ex.jit_error is None:
            try:
                ex.jit_out, ex.grads = self.compiled(ex)(ex.drawn.leaves)
            except Exception as e:
                ex.jit_error = e
        if ex.jit_error is not None:
            raise Skip("the function does not run under jax.jit (see 'jit')")
        return ex.jit_out

    def evaluate(self, ex: Example, leaves: list[Any]) -> Any:
        if self.numpy:
            args, kwargs = ex.drawn.build(leaves)
            return self.t.checked(*args, **kwargs)
        return self.compiled(ex)(leaves)[0]

    def out_leaves(self, out: Any) -> list[tuple[str, ArraySpec | None, Any]]:
        """The output's arrays: annotated ones with their spec, and the array
        leaves of anything else (a pytree such as a linear operator)."""
        ret = self.t.plan.ret
        if ret is None:
            return _tree_arrays("return", out)
        out_list: list[tuple[str, ArraySpec | None, Any]] = []
        for lf in collect_leaves(ret, out, "return"):
            if isinstance(lf.spec, ArraySpec):
                out_list.append((lf.path, lf.spec, lf.value))
            else:
                out_list.extend(_tree_arrays(lf.path, lf.value))
        return out_list

    # ------------------------------------------------------------ driver

    def run(self, props: Sequence[str]) -> Report:
        report = Report(self.t.name)
        try:
            exs = self.examples()
        except Skip as s:
            for p in props:
                report.results.append(PropertyResult(p, "skipped", f"inputs cannot be drawn: {s}"))
            return report
        for p in props:
            report.results.append(self.run_property(p, exs))
        return report

    def run_property(self, prop: str, exs: list[Example]) -> PropertyResult:
        method = getattr(self, f"prop_{prop}")
        skipped: list[str] = []
        ran = 0
        for ex in exs:
            try:
                method(ex)
                ran += 1
            except Skip as s:
                skipped.append(str(s))
            except Fail as f:
                return PropertyResult(prop, "failed", str(f), ex.where(), ex.seed, ex.index)
        if ran == 0:
            reason = skipped[0] if skipped else "no examples"
            return PropertyResult(prop, "skipped", reason)
        return PropertyResult(prop, "passed")

    # ------------------------------------------------------------ properties

    def prop_shapes(self, ex: Example) -> None:
        if ex.error is not None and not isinstance(ex.error, ValueConstraintError):
            if isinstance(ex.error, ShapeError):
                raise Fail(str(ex.error))
            raise Fail(
                f"raised {type(ex.error).__name__} on inputs drawn from the annotations: {ex.error}"
            )
        if self.t.plan.ret is None:
            raise Skip("no return annotation")

    def prop_values(self, ex: Example) -> None:
        ret = self.t.plan.ret
        if ret is None or not any(a.constraints for _, a in ret.array_leaves("return")):
            raise Skip("no value constraints on the return annotation")
        if isinstance(ex.error, ValueConstraintError):
            raise Fail(str(ex.error))
        if ex.error is not None:
            raise Skip("the function raised on the drawn inputs (see 'shapes')")
        if not ex.eager:  # compiled: constraints were skipped on tracers, check now
            try:
                check_leaves(self.t.name, ret, ex.out, "return", ex.sizes.single, False)
            except ValueConstraintError as e:
                raise Fail(str(e)) from None

    def prop_dtype(self, ex: Example) -> None:
        if ex.error is not None:
            raise Skip("the function raised on the drawn inputs (see 'shapes')")
        ins = {str(x.dtype) for x in ex.drawn.leaves if _float_kind(x)}
        if not ins:
            raise Skip("no float inputs")
        if len(ins) > 1:
            raise Skip(f"float inputs of mixed precision ({', '.join(sorted(ins))})")
        want = next(iter(ins))
        want_size = np.dtype(want).itemsize if want != "bfloat16" else 2
        for path, _, v in self.out_leaves(ex.out):
            if not _float_kind(v):
                continue
            got = str(v.dtype)
            size = 2 if got == "bfloat16" else np.dtype(got).itemsize
            if size < want_size or (size == want_size and got != want):
                raise Fail(
                    f"{path} is {got}, but every float input is {want}: precision was lost "
                    "inside the function (a cast, or a constant of lower precision?)"
                )

    def prop_jit(self, ex: Example) -> None:
        if self.numpy:
            raise Skip("takes numpy arrays; jax.jit traces jax arrays")
        if ex.error is not None and ex.eager:
            raise Skip("the function raised on the drawn inputs (see 'shapes')")
        try:
            self.base(ex)
        except Skip:
            e = ex.jit_error
            if isinstance(e, ShapeError):
                raise Fail(f"the shape check failed while tracing under jax.jit:\n{e}") from None
            if _returns_non_jax(e):
                raise Skip(
                    "returns something jax.jit cannot return (a function, an object "
                    f"that is no pytree of arrays): {str(e).splitlines()[0]}"
                ) from None
            raise Fail(f"does not trace under jax.jit: {type(e).__name__}: {e}") from None
        if not ex.eager:
            return  # compared with eager on the first example only (see _eager)
        eager = self.out_leaves(ex.out)
        jitted = self.out_leaves(ex.jit_out)
        if len(eager) != len(jitted):
            raise Fail(f"jit returns {len(jitted)} arrays, eager {len(eager)}")
        for (path, _, e), (_, _, j) in zip(eager, jitted):
            d = compare(j, e)
            if d is not None:
                raise Fail(
                    f"{path} differs between jax.jit and eager: max |diff| {fmt_diff(d[0])} "
                    f"at index {d[1]}"
                )

    def prop_retrace(self, ex: Example) -> None:
        if self.numpy:
            raise Skip("takes numpy arrays; nothing is traced")
        self.base(ex)
        self.evaluate(ex, ex.alt)
        key = tuple((tuple(x.shape), str(x.dtype)) for x in ex.drawn.leaves)
        n = self.traces.get(key, 0)
        if n > 1:
            raise Fail(
                f"jax.jit traced the function {n} times for inputs of identical shapes and dtypes"
            )

    def _axis_positions(self, spec: ArraySpec | None, ndim: int, axis: str) -> list[int]:
        return [] if spec is None else [p % ndim for p in spec.axis_offsets(axis)]

    def _kind_axes(self, kind: str) -> list[str]:
        axes = [n for n in self.names if self.t.kind(n) == kind]
        if not axes:
            raise Skip(f"no axis of kind {kind!r}")
        return axes

    def _perturbed(self, ex: Example, axis: str, select: np.ndarray) -> tuple[list[Any], bool]:
        """Leaves with the entries at indices `select` along `axis` taken from the
        alternative draw; False if no input carries the axis."""
        out = list(ex.drawn.leaves)
        touched = False
        for i, (leaf, info) in enumerate(zip(ex.drawn.leaves, ex.drawn.infos)):
            if str(getattr(leaf, "dtype", "")).startswith("key"):
                continue
            pos = self._axis_positions(info.spec, leaf.ndim, axis)
            if not pos:
                continue
            touched = True
            a, b = as_numpy(leaf).copy(), as_numpy(ex.alt[i])
            for p in pos:
                idx: list[Any] = [slice(None)] * a.ndim
                idx[p] = select
                a[tuple(idx)] = b[tuple(idx)]
            out[i] = _like(a, leaf)
        return out, touched

    def _mask(self, shape: tuple[int, ...], positions: list[int], select: np.ndarray) -> np.ndarray:
        mask = np.zeros(shape, bool)
        for p in positions:
            idx: list[Any] = [slice(None)] * len(shape)
            idx[p] = select
            mask[tuple(idx)] = True
        return mask

    def _leak(
        self, ex: Example, base: Any, axis: str, select: np.ndarray
    ) -> tuple[bool, tuple[str, list[int], tuple[float, tuple[int, ...]]] | None]:
        """Perturb the entries `select` along `axis` in every input; outputs that
        carry the axis must not change anywhere else. Returns whether any output
        carried it, and the first change found: (path, axis positions, difference)."""
        leaves, touched = self._perturbed(ex, axis, select)
        if not touched:
            raise Skip(f"no input has the {axis!r} axis")
        out = self.evaluate(ex, leaves)
        checked = False
        for (path, spec, b), (_, _, o) in zip(self.out_leaves(base), self.out_leaves(out)):
            pos = self._axis_positions(spec, np.ndim(b), axis)
            if not pos:
                continue
            checked = True
            d = compare(o, b, mask=~self._mask(np.shape(b), pos, select))
            if d is not None:
                return checked, (path, pos, d)
        return checked, None

    def prop_batch(self, ex: Example) -> None:
        axes = self._kind_axes("batch")
        base = self.base(ex)
        checked_any = False
        for axis in axes:
            n = ex.sizes.single.get(axis, 0)
            if n < 2:
                continue
            for j in sorted({0, n - 1}):
                checked, found = self._leak(ex, base, axis, np.array([j]))
                checked_any |= checked
                if found is not None:
                    path, _, d = found
                    raise Fail(
                        f"{path} at index {d[1]} changed when only example {j} along "
                        f"{axis!r} was perturbed: max |diff| {fmt_diff(d[0])}. Examples "
                        f"along {axis!r} leak into each other (a reduction, normalisation "
                        "or reshape across the batch?)"
                    )
        if not checked_any:
            raise Skip("no output carries a batch-kind axis (or it has size 1 here)")

    def prop_causal(self, ex: Example) -> None:
        axes = self._kind_axes("causal")
        base = self.base(ex)
        checked_any = False
        for axis in axes:
            n = ex.sizes.single.get(axis, 0)
            if n < 2:
                continue
            t = (n - 1) // 2
            checked, found = self._leak(ex, base, axis, np.arange(t + 1, n))
            checked_any |= checked
            if found is not None:
                path, pos, d = found
                step = d[1][pos[0]] if d[1] else "?"
                raise Fail(
                    f"{path} at {axis} step {step} (index {d[1]}) changed when only steps "
                    f"> {t} were perturbed: max |diff| {fmt_diff(d[0])}. The output looks "
                    "ahead (a missing or off-by-one causal mask?)"
                )
        if not checked_any:
            raise Skip("no output carries a causal-kind axis")

    def prop_set(self, ex: Example) -> None:
        axes = self._kind_axes("set")
        base = self.base(ex)
        rng = np.random.default_rng([self.seed, ex.index, 31])
        ran = False
        for axis in axes:
            n = ex.sizes.single.get(axis, 0)
            if n < 2:
                continue
            perm = rng.permutation(n)
            if np.array_equal(perm, np.arange(n)):
                perm = perm[::-1].copy()
            inv = np.argsort(perm)
            leaves = list(ex.drawn.leaves)
            touched = False
            for i, (leaf, info) in enumerate(zip(ex.drawn.leaves, ex.drawn.infos)):
                if str(getattr(leaf, "dtype", "")).startswith("key"):
                    continue
                a = as_numpy(leaf)
                pos = self._axis_positions(info.spec, a.ndim, axis)
                if pos:
                    touched = True
                    for p in pos:
                        a = np.take(a, perm, axis=p)
                if any(
                    getattr(c, "axis", None) == axis and type(c).__name__ == "IndexInto"
                    for c in info.spec.constraints
                ):
                    a = inv[a]  # indices into the set follow its elements
                    touched = True
                leaves[i] = _like(np.ascontiguousarray(a), leaf)
            if not touched:
                raise Skip(f"no input has the {axis!r} axis")
            ran = True
            out = self.evaluate(ex, leaves)
            for (path, spec, b), (_, _, o) in zip(self.out_leaves(base), self.out_leaves(out)):
                e = as_numpy(b)
                pos = self._axis_positions(spec, e.ndim, axis)
                for p in pos:
                    e = np.take(e, perm, axis=p)
                d = compare(o, e)
                if d is not None:
                    what = (
                        "is not permuted the same way as the inputs"
                        if pos
                        else "changed although it has no such axis (it should be invariant)"
                    )
                    raise Fail(
                        f"{path} {what} when {axis!r} was permuted by {perm.tolist()}: max "
                        f"|diff| {fmt_diff(d[0])} at index {d[1]}. Something depends on the "
                        f"order along {axis!r} (an index used as a feature, a positional "
                        "encoding, a cumulative op?)"
                    )
        if not ran:
            raise Skip("every set-kind axis has size 1 here")

    def _float_inputs(self, ex: Example) -> list[int]:
        return [i for i, x in enumerate(ex.drawn.leaves) if _float_kind(x)]

    def prop_grad(self, ex: Example) -> None:
        if self.numpy:
            raise Skip("takes numpy arrays; jax.grad needs jax arrays")
        idx = self._float_inputs(ex)
        if not idx:
            raise Skip("no float inputs to differentiate with respect to")
        base = self.base(ex)
        if not any(_float_kind(v) for _, _, v in self.out_leaves(base)):
            raise Skip("no float outputs to differentiate")
        if ex.grads is None and ex.drawn.fingerprint() not in self._grad_errors:
            raise Skip("gradients are checked on the examples shaped like the first")
        for path, _, v in self.out_leaves(base):
            arr = as_numpy(v) if _float_kind(v) else None
            # (an object with a float .dtype, such as a linear operator, is no array)
            if arr is not None and arr.dtype.kind in "fc" and not np.isfinite(arr).all():
                raise Skip(
                    f"{path} is already non-finite at the drawn inputs, so its gradient "
                    "says nothing (the inputs are probably outside the function's domain: "
                    "negative variances, an indefinite matrix); constrain them, e.g. "
                    "with sn.Positive, or pass them with fixed="
                )
        err = self._grad_errors.get(ex.drawn.fingerprint())
        if err is not None:
            first = str(err).splitlines()[0] if str(err) else ""
            raise Fail(f"jax.grad failed: {type(err).__name__}: {first}")
        assert ex.grads is not None
        for i, g in zip(idx, ex.grads):
            arr = as_numpy(g)
            bad = ~np.isfinite(arr)
            if bad.any():
                path = ex.drawn.infos[i].path
                kinds = "nan" if np.isnan(arr).any() else "inf"
                raise Fail(
                    f"the gradient with respect to {path} has {int(bad.sum())} of "
                    f"{arr.size} entries non-finite ({kinds})"
                )

    def prop_vmap(self, ex: Example) -> None:
        if self.numpy:
            raise Skip("takes numpy arrays; jax.vmap maps jax arrays")
        if not ex.drawn.leaves:
            raise Skip("no array arguments to map over")
        if ex.drawn.fingerprint() != self._first_fp:
            # one more compile for little news: vmap runs on the examples that share
            # the first example's shapes (the large-values one does)
            raise Skip("vmap is checked on the examples shaped like the first")
        base = self.base(ex)
        alt = self.evaluate(ex, ex.alt)
        import jax
        import jax.numpy as jnp

        drawn, checked = ex.drawn, self.t.checked

        def flat(*leaves: Any) -> Any:
            args, kwargs = drawn.build(list(leaves))
            return checked(*args, **kwargs)

        fp = ex.drawn.fingerprint()
        if fp not in self._vmapped:
            self._vmapped[fp] = jax.jit(jax.vmap(flat))
        stacked = [jnp.stack([a, b]) for a, b in zip(ex.drawn.leaves, ex.alt)]
        try:
            out = self._vmapped[fp](*stacked)
        except Exception as e:
            raise Fail(
                f"jax.vmap over a new leading axis failed: {type(e).__name__}: {e}"
            ) from None
        for (path, _, o), (_, _, b), (_, _, a) in zip(
            self.out_leaves(out), self.out_leaves(base), self.out_leaves(alt)
        ):
            want = (2, *np.shape(b))
            if tuple(np.shape(o)) != want:
                raise Fail(
                    f"{path} has shape {tuple(np.shape(o))} under vmap, expected {want} (the mapped axis prepended)"
                )
            for k, ref in ((0, b), (1, a)):
                d = compare(o[k], ref)
                if d is not None:
                    raise Fail(
                        f"{path}: vmapped slice {k} differs from the unmapped call: max |diff| {fmt_diff(d[0])} at index {d[1]}"
                    )


def _like(a: np.ndarray, template: Any) -> Any:
    if isinstance(template, np.ndarray):
        return a.astype(template.dtype)
    import jax.numpy as jnp

    return jnp.asarray(a, dtype=template.dtype)


def _validate(
    properties: Sequence[str] | None, examples: int, seed: int, sizes: Any, fixed: Any
) -> tuple[str, ...]:
    if properties is None:
        props = PROPERTIES
    else:
        if isinstance(properties, str):
            properties = [properties]
        unknown = [p for p in properties if p not in PROPERTIES]
        if unknown:
            raise ValueError(
                f"sn.testing.check: unknown propert{'y' if len(unknown) == 1 else 'ies'} "
                f"{', '.join(map(repr, unknown))}; valid: {', '.join(PROPERTIES)}"
            )
        props = tuple(properties)
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise ValueError(f"sn.testing.check: examples must be a positive int, got {examples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"sn.testing.check: seed must be an int, got {seed!r}")
    if sizes is not None and not isinstance(sizes, Mapping):
        raise TypeError(
            f"sn.testing.check: sizes must be a dict of axis name -> size, got {sizes!r}"
        )
    if fixed is not None and not isinstance(fixed, Mapping):
        raise TypeError(
            f"sn.testing.check: fixed must be a dict of parameter name -> value, got {fixed!r}"
        )
    return props


def check(
    fn: Callable[..., Any],
    *,
    sizes: Mapping[str, int | Sequence[int]] | None = None,
    seed: int = 0,
    examples: int = 3,
    properties: Sequence[str] | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> Report:
    """Draw inputs from `fn`'s annotations and test its properties.

    ```python
    report = sn.testing.check(rnn)
    assert report.ok, str(report)
    ```

    Each axis gets a distinct size (so a transposition or a wrong-axis reduction
    changes a shape); example 1 gives one axis size 1, example 2 scales the
    inputs up 1000x to expose numerically unstable code. `sizes` pins axis sizes,
    `fixed` supplies non-array arguments, `properties` picks a subset of
    `sn.testing.PROPERTIES`. Every property is reported passed, failed (with the
    example's sizes and seed, and what differed) or skipped (with the reason).
    """
    props = _validate(properties, examples, seed, sizes, fixed)
    with checking_mode():
        name = getattr(fn, "__qualname__", repr(fn))
        try:
            target = make_target(fn)
        except Skip as s:
            return Report(name, [PropertyResult(p, "skipped", str(s)) for p in props])
        except AnnotationError as e:
            # a bug in the annotations: the first property fails with the message
            # (pointing at the bad axis), the others say why they did not run
            first = f"its annotations cannot be used: {e}"
            return Report(
                name,
                [PropertyResult(props[0], "failed", first)]
                + [
                    PropertyResult(
                        p, "skipped", f"the annotations cannot be used (see {props[0]!r})"
                    )
                    for p in props[1:]
                ],
            )
        return Runner(target, sizes=sizes, seed=seed, examples=examples, fixed=fixed).run(props)


def assert_checks(fn: Callable[..., Any], **options: Any) -> Report:
    """`check(fn, **options)`, raising AssertionError with the report if any property fails."""
    __tracebackhide__ = True
    report = check(fn, **options)
    if not report.ok:
        raise AssertionError(str(report))
    return report
