"""Running a function on drawn examples: the examples (sizes, values, an
alternative draw of the same shapes), the eager reference run, the compiled
runs shared by every property, and the driver that runs properties and
collects their results into a `Report`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .._diagnose import collect_leaves
from .._errors import ShapeError
from .._spec import ArraySpec
from ._arguments import Drawn, draw_example, redraw_like
from ._objects import Objects
from ._rejection import rejection, suggested_sizes
from ._report import PropertyResult, Report
from ._sizes import AxisSet, Sizes
from ._subject import Skip, Subject, package_of
from ._wording import clean, one_line, refusal

__all__ = ["SCALE", "Example", "Fail", "Runner", "float_kind", "tree_arrays"]

SCALE = 1000.0  # the "large values" example multiplies inputs by this
MAX_ELEMENTS = 50_000_000  # the largest array an example may make (200 MB of float32)


def _largest(jaxpr: Any) -> tuple[int, tuple[int, ...]]:
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
                    best = max(best, _largest(inner))
    return best


class Fail(Exception):
    """A property failed on the current example; the message says what differed."""


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
    rejected: str | None = None  # the function's own message, if it refused the inputs

    @property
    def sizes(self) -> Sizes:
        return self.drawn.sizes

    def where(self) -> str:
        extra = f", inputs x{self.scale:g}" if self.scale != 1 else ""
        return f"{self.sizes.describe()}{extra}"


def float_kind(x: Any) -> bool:
    dt = getattr(x, "dtype", None)
    return dt is not None and (str(dt).startswith(("float", "bfloat")))


def tree_arrays(path: str, value: Any) -> list[tuple[str, ArraySpec | None, Any]]:
    import jax

    flat = jax.tree_util.tree_leaves(value)
    return [(f"{path}[{i}]" if len(flat) > 1 else path, None, v) for i, v in enumerate(flat)]


def _describe_user(user: dict[str, Any], given: dict[str, Any], seed: int) -> str:
    new = {k: v for k, v in user.items() if given.get(k) != v}
    if not new:
        return f"seed {seed}"
    return "sizes " + ", ".join(f"{k}={v}" for k, v in new.items())


class Check(Protocol):
    """What `Runner.run` needs of a property: its name and how to run it on one
    example (raising `Skip` or `Fail`)."""

    @property
    def name(self) -> str: ...

    @property
    def run(self) -> Callable[[Runner, Example], None]: ...


class Runner:
    """Draws a function's examples once and runs properties on them, sharing the
    eager reference run and the compiled functions (forward pass and gradients
    compiled together per example shape) between all properties."""

    def __init__(
        self,
        subject: Subject,
        *,
        sizes: Mapping[str, Any] | None,
        seed: int,
        examples: int,
        fixed: Mapping[str, Any] | None,
    ) -> None:
        self.subject = subject
        self.seed = seed
        self.n_examples = examples
        self.user_sizes = dict(sizes or {})
        self.user_sizes_given = dict(self.user_sizes)
        self.package = package_of(subject.fn)
        self.notes: list[str] = []
        self.fixed = fixed
        self.axes = AxisSet.for_subject(subject)
        self.numpy = subject.uses_numpy()
        self._examples: list[Example] | None = None
        self._compiled: dict[Any, Any] = {}
        self._budgeted: set[Any] = set()
        self.vmapped: dict[Any, Any] = {}
        self.first_fp: Any = None
        self.grad_errors: dict[Any, BaseException] = {}
        self.traces: dict[Any, int] = {}

    # ------------------------------------------------------------ examples

    def examples(self) -> list[Example]:
        """The examples, drawn and run once. If the function refuses the first one
        through its own check (see `_rejection.py`), a few other draws are tried
        (sizes related as its message suggests, another seed); the first it
        accepts sets the sizes of all examples, and a note says so."""
        if self._examples is not None:
            return self._examples
        out = self._draw(self.user_sizes, self.seed)
        first = out[0] if out else None
        if first is not None and first.rejected is not None:
            for user, seed in self._alternatives(first):
                trial = self._draw(user, seed, only_first=True)
                if trial[0].rejected is None:
                    self.user_sizes, self.seed = user, seed
                    self._compiled.clear()
                    self.traces.clear()
                    out = self._draw(user, seed)
                    self.notes.append(
                        f"drawn with {_describe_user(user, self.user_sizes_given, seed)}: "
                        f"the function refused the first draw ({first.rejected})"
                    )
                    break
        self._examples = out
        return out

    def _alternatives(self, ex: Example) -> list[tuple[dict[str, Any], int]]:
        assert ex.rejected is not None
        out = [
            ({**self.user_sizes, **s}, self.seed)
            for s in suggested_sizes(ex.rejected, list(self.axes.names), ex.sizes.single)
            if not set(s) & set(self.user_sizes)
        ]
        out.append((self.user_sizes, self.seed + 1))
        return out[:4]

    def _draw(self, user: dict[str, Any], seed: int, only_first: bool = False) -> list[Example]:
        out: list[Example] = []
        rng = np.random.default_rng(seed)
        batch_axes = [n for n in self.axes.names if self.subject.kind(n) == "batch"]
        free = [n for n in self.axes.names if n not in user]
        one_candidate = (batch_axes or free or [None])[0]
        for i in range(1 if only_first else self.n_examples):
            size_one = one_candidate if i == 1 else None
            scale = SCALE if i == 2 else 1.0
            sizes = self.axes.draw(rng, example=i, user=user, size_one=size_one)
            if i == 2 and not self.axes.variadics and out:
                # the large-values example keeps example 0's sizes, so the compiled
                # functions are reused (it varies values, not shapes)
                sizes = Sizes(dict(out[0].sizes.single), dict(out[0].sizes.variadic))
            try:
                drawn = draw_example(
                    self.subject,
                    example=i,
                    seed=seed,
                    sizes=sizes,
                    scale=scale,
                    broadcast_one=i == 2,
                    fixed=self.fixed,
                    objects=Objects(seed),
                )
            except Skip as e:
                raise Skip(f"inputs cannot be drawn: {e}") from None
            ex = Example(i, seed, drawn, scale)
            if i == 0:
                self.first_fp = drawn.fingerprint()
            ex.alt = redraw_like(drawn, seed=seed * 7 + i, scale=scale)
            self._within_budget(ex)
            self._eager(ex)
            if ex.error is not None and drawn.guessed:
                path, what, remedy = drawn.guessed[0]
                raise Skip(
                    f"{path}: the function refused {what} ({type(ex.error).__name__}: "
                    f"{one_line(ex.error, 200)}); {remedy}"
                )
            if isinstance(ex.error, MemoryError) or "RESOURCE_EXHAUSTED" in str(ex.error or ""):
                raise Skip(
                    f"ran out of memory for sizes {ex.sizes.describe()}; pin smaller sizes "
                    "with sizes="
                )
            if isinstance(ex.error, NotImplementedError):
                raise Skip(
                    f"raised NotImplementedError{': ' + str(ex.error) if str(ex.error) else ''} "
                    "(not a bug to report; if an object built for an argument stands in for "
                    "an abstract base, register a factory for a concrete one)"
                )
            if ex.error is not None:
                ex.rejected = rejection(ex.error, self.package)
            out.append(ex)
        return out

    def _within_budget(self, ex: Example) -> None:
        """Skip an example whose computation would hold an array larger than
        `MAX_ELEMENTS` (some functions grow exponentially with a size: Gauss-Hermite
        quadrature with order**dim points), found by tracing it, which runs
        nothing. Each example shape is traced once."""
        fp = ex.drawn.fingerprint()
        if self.numpy or fp in self._budgeted:
            return
        self._budgeted.add(fp)
        import jax

        drawn, checked = ex.drawn, self.subject.checked_for(ex.sizes.single)

        def call(*leaves: Any) -> Any:
            args, kwargs = drawn.build(list(leaves))
            return checked(*args, **kwargs)

        try:
            jaxpr = jax.make_jaxpr(call)(*drawn.leaves)
        except Exception:
            return  # the runs themselves will say what is wrong
        size, shape = _largest(jaxpr.jaxpr)
        if size > MAX_ELEMENTS:
            raise Skip(
                f"for sizes {ex.sizes.describe()} the function would hold an array of "
                f"shape {shape} ({size:,} elements); pin smaller sizes with sizes="
            )

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
            ex.out = self.subject.checked_for(ex.sizes.single)(*args, **kwargs)
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

        drawn, traces = ex.drawn, self.traces
        checked = self.subject.checked_for(ex.sizes.single)
        floats = self.float_inputs(ex)
        out_leaves = self.out_leaves

        def forward(*leaves: Any) -> Any:
            # one count per compiled function: its inputs' structure, the non-array
            # arguments (two examples that pass different ints are two programs)
            # and the leaves' shapes and dtypes
            traces[fp] = traces.get(fp, 0) + 1
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
                if float_kind(v):
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
        with_grad = fp == self.first_fp
        if floats and with_grad:
            try:
                both(ex.drawn.leaves)
                fn = both
            except ShapeError:
                raise
            except Exception as e:  # not differentiable: the grad property reports it
                self.grad_errors[fp] = e
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
            return self.subject.checked_for(ex.sizes.single)(*args, **kwargs)
        return self.compiled(ex)(leaves)[0]

    def out_leaves(self, out: Any) -> list[tuple[str, ArraySpec | None, Any]]:
        """The output's arrays: annotated ones with their spec, and the array
        leaves of anything else (a pytree such as a linear operator)."""
        ret = self.subject.plan.ret
        if ret is None:
            return tree_arrays("return", out)
        out_list: list[tuple[str, ArraySpec | None, Any]] = []
        for lf in collect_leaves(ret, out, "return"):
            if isinstance(lf.spec, ArraySpec):
                out_list.append((lf.path, lf.spec, lf.value))
            else:
                out_list.extend(tree_arrays(lf.path, lf.value))
        return out_list

    # ------------------------------------------------------------ driver

    def run(self, props: Sequence[Check]) -> Report:
        """Each property, named by `name`, run by `run(runner, example)` on every
        example: passed if it ran on one and failed on none."""
        report = Report(self.subject.name, notes=self.notes)
        try:
            exs = self.examples()
        except Skip as s:
            for p in props:
                report.results.append(PropertyResult(p.name, "skipped", str(s)))
            return report
        for p in props:
            report.results.append(self._run_property(p, exs))
        return report

    def _run_property(self, prop: Check, exs: list[Example]) -> PropertyResult:
        skipped: list[str] = []
        refused: list[Example] = []
        ran = 0
        for ex in exs:
            if ex.rejected is not None:
                refused.append(ex)
                continue
            try:
                prop.run(self, ex)
                ran += 1
            except Skip as s:
                skipped.append(clean(str(s), ex, self.subject.name, self.float_inputs(ex)))
            except Fail as f:
                reason = clean(str(f), ex, self.subject.name, self.float_inputs(ex))
                return PropertyResult(prop.name, "failed", reason, ex.where(), ex.seed, ex.index)
        if ran == 0 and refused:
            ex = refused[0]
            return PropertyResult(
                prop.name, "rejected", refusal(ex.rejected or ""), ex.where(), ex.seed, ex.index
            )
        if ran == 0:
            reason = skipped[0] if skipped else "no examples"
            return PropertyResult(prop.name, "skipped", reason)
        return PropertyResult(prop.name, "passed")

    # ------------------------------------------------------------ helpers for properties

    def float_inputs(self, ex: Example) -> list[int]:
        return [i for i, x in enumerate(ex.drawn.leaves) if float_kind(x)]

    def kind_axes(self, kind: str) -> list[str]:
        """The axes of `kind` for this function (Skip if there are none)."""
        axes = [n for n in self.axes.names if self.subject.kind(n) == kind]
        if not axes:
            raise Skip(f"no axis of kind {kind!r}")
        return axes
