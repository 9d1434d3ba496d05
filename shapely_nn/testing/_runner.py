"""Running a function on drawn examples: the examples (sizes, values, an
alternative draw of the same shapes), the eager reference run, the compiled
runs shared by every property, and the driver that runs properties and
collects their results into a `Report`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from .._diagnose import collect_leaves
from .._errors import ShapeError, ValueConstraintError
from .._spec import ArraySpec
from ._arguments import draw_example, redraw_like
from ._examples import (
    LARGE_BUDGET,
    LARGE_SIZES,
    OFFSETS,
    SCALE,
    Example,
    boundary_leaves,
    derived,
    float_kind,
    shifted,
    source_root,
    tree_arrays,
)
from ._objects import Objects
from ._programs import Programs, largest
from ._rejection import raised_by_shapely_nn, rejection, suggested_sizes
from ._report import PropertyResult, Report
from ._sizes import AxisSet, Sizes
from ._subject import Skip, Subject, package_of
from ._wording import clean, one_line, refusal

__all__ = ["SCALE", "Example", "Fail", "Runner", "float_kind", "tree_arrays"]

# (Example and SCALE live in _examples.py; re-exported for the properties)

MAX_ELEMENTS = 50_000_000  # the largest array an example may make (200 MB of float32)


class Fail(Exception):
    """A property failed on the current example; the message says what differed."""


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
        if subject.instance is not None:
            # a name only symbolic axes use that is an int attribute of the instance
            # ("order**state_dim", self.order): its value, not a drawn size
            for n in subject.plan.free_symbols:
                v = getattr(subject.instance, n, None)
                if isinstance(v, int) and not isinstance(v, bool):
                    self.user_sizes[n] = v
        self.user_sizes_given = dict(self.user_sizes)
        self.package = package_of(subject.fn)
        self.notes: list[str] = []
        self.fixed = fixed
        self.axes = AxisSet.for_subject(subject)
        self.numpy = subject.uses_numpy()
        self._examples: list[Example] | None = None
        self.programs = Programs(subject.checked_for, self.out_leaves, seed)
        self.first_fp: Any = None
        self.unused: tuple[str, ...] = ()  # inputs allowed not to influence the outputs
        self.source_root = source_root(self.package)
        # (what, remedy) when the instance a method runs on is a guess
        self.instance_guess: tuple[str, str] | None = None

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
                    self.programs.clear()
                    self.programs.seed = seed
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
            if i == 1:
                ex.kind = "size one" if size_one is not None else "plain"
            elif i == 2:
                ex.kind = "large values"
            if i == 0:
                self.first_fp = drawn.fingerprint()
            ex.alt = redraw_like(drawn, seed=seed * 7 + i, scale=scale)
            self._settle(ex)
            out.append(ex)
        if not only_first and out:
            out += self._more_kinds(out[0], len(out), user, seed)
        return out

    def _more_kinds(
        self, first: Example, index: int, user: dict[str, Any], seed: int
    ) -> list[Example]:
        """The boundary, shifted and large-sizes examples (see `_examples.py`);
        one that cannot be made or run is left out."""
        made: list[Example | None] = []
        leaves = boundary_leaves(first.drawn, seed)
        if leaves is not None:
            made.append(derived(first, 0, "boundary", leaves))
        made += [shifted(first, 0, offset) for offset in OFFSETS]
        made.append(self._large(user, seed))
        out = []
        for ex in made:
            if ex is None:
                continue
            ex.index = index + len(out)
            try:
                self._settle(ex)
            except Skip:
                continue
            out.append(ex)
        return out

    def _large(self, user: dict[str, Any], seed: int) -> Example | None:
        """Axes that can take them (free, not pinned or declared with sizes) drawn
        from LARGE_SIZES up, within LARGE_BUDGET elements per array; traced only."""
        from .._spec import NAMED

        sizes = self.axes.draw(np.random.default_rng([seed, 17]), user=user)
        from .._axes import registry

        reg = registry()
        free = [
            n
            for n in self.axes.names
            if n not in user
            and n in sizes.single
            and not ((ax := reg.get(n)) is not None and (ax.size is not None or ax.test_sizes))
        ]
        limit = dict.fromkeys(free, 10**9)
        for spec in self.subject.specs():
            for _, a in spec.array_leaves("x"):
                named = [d.name for d in a.dims if d.code == NAMED and d.name in limit]
                for n in named:
                    limit[n] = min(limit[n], int(LARGE_BUDGET ** (1 / len(named))))
        large = [n for n in free if limit[n] >= LARGE_SIZES + 2 * len(free)]
        if not large:
            return None
        from ._sizes import assign_positive, spaced

        pinned = {k: v for k, v in sizes.single.items() if k not in large}
        values = spaced(len(large), set(), start=LARGE_SIZES)
        assign_positive(pinned, large, values, self.axes.exprs, np.random.default_rng([seed, 18]))
        try:
            drawn = draw_example(
                self.subject,
                example=5,
                seed=seed,
                sizes=Sizes(pinned, dict(sizes.variadic)),
                scale=1.0,
                broadcast_one=False,
                fixed=self.fixed,
                objects=Objects(seed),
            )
        except Skip:
            return None
        ex = Example(0, seed, drawn, 1.0, kind="large sizes")
        ex.alt = list(drawn.leaves)
        return ex

    def _settle(self, ex: Example) -> None:
        """Run the example (see `_eager`) and tell a refusal by the function from
        a failure, or skip the function where the example was a guess."""
        drawn = ex.drawn
        self._within_budget(ex)
        self._eager(ex)
        guessed = drawn.guessed + ([("self", *self.instance_guess)] if self.instance_guess else [])
        if ex.error is not None and guessed:
            path, what, remedy = guessed[0]
            raise Skip(
                f"{path}: the function refused {what} ({type(ex.error).__name__}: "
                f"{one_line(ex.error, 200)}); {remedy}"
            )
        if isinstance(ex.error, MemoryError) or "RESOURCE_EXHAUSTED" in str(ex.error or ""):
            raise Skip(
                f"ran out of memory for sizes {ex.sizes.describe()}; pin smaller sizes with sizes="
            )
        if isinstance(ex.error, NotImplementedError):
            raise Skip(
                f"raised NotImplementedError{': ' + str(ex.error) if str(ex.error) else ''} "
                "(not a bug to report; if an object built for an argument stands in for "
                "an abstract base, register a factory for a concrete one)"
            )
        if ex.error is not None:
            ex.rejected = rejection(ex.error, self.package)

    def _within_budget(self, ex: Example) -> None:
        """Skip an example whose computation would hold an array larger than
        `MAX_ELEMENTS` (some functions grow exponentially with a size: Gauss-Hermite
        quadrature with order**dim points), found by tracing it, which runs
        nothing."""
        if self.numpy:
            return
        jaxpr = self.programs.trace(ex)
        if jaxpr is None:
            return  # the runs themselves will say what is wrong
        size, shape = largest(jaxpr.jaxpr)
        if size > MAX_ELEMENTS:
            raise Skip(
                f"for sizes {ex.sizes.describe()} the function would hold an array of "
                f"shape {shape} ({size:,} elements); pin smaller sizes with sizes="
            )

    def _eager(self, ex: Example) -> None:
        """The reference run. numpy functions run eagerly. jax functions run
        compiled on the examples shaped like the first (outputs, gradients and
        vmap in one program), and abstractly on the others (the checks run while
        tracing; nothing compiled); op by op (slow: each op compiles) only where
        that fails for another reason than a check."""
        if not self.numpy:
            try:
                if ex.drawn.fingerprint() == self.first_fp:
                    ex.out = self.base(ex)
                else:
                    ex.out = self.programs.abstract(ex)
                    ex.abstract = True
                ex.eager = False
                return
            except Skip:
                if isinstance(ex.jit_error, (ShapeError, ValueConstraintError)):
                    ex.error, ex.eager = ex.jit_error, False
                    return
            except (ShapeError, ValueConstraintError) as e:
                ex.error, ex.eager = e, False
                return
            except Exception:
                pass  # the jit property says why: run eagerly for the other properties
        args, kwargs = ex.drawn.build()
        try:
            ex.out = self.subject.checked_for(ex.sizes.single)(*args, **kwargs)
        except Exception as e:
            ex.error = e
        ex.eager = True

    # ------------------------------------------------------------ compiled runs

    def base(self, ex: Example) -> Any:
        """Outputs for the example, computed the way perturbed runs are (compiled,
        for jax functions, so both sides round alike)."""
        if self.numpy:
            if ex.error is not None:
                raise Skip("the function raised on the drawn inputs (see 'shapes')")
            return ex.out
        if ex.abstract:
            raise Skip(
                "checked for shapes and dtypes only on examples shaped unlike the first "
                "(nothing compiled for them)"
            )
        if ex.jit_out is None and ex.jit_error is None:
            try:
                first = ex.drawn.fingerprint() == self.first_fp
                ex.jit_out, ex.grads, ex.vmapped = self.programs.run(ex, first)
            except Exception as e:
                ex.jit_error = e
        if ex.jit_error is not None:
            raise Skip("the function does not run under jax.jit (see 'jit')")
        return ex.jit_out

    def evaluate(self, ex: Example, leaves: list[Any]) -> Any:
        if self.numpy:
            args, kwargs = ex.drawn.build(leaves)
            return self.subject.checked_for(ex.sizes.single)(*args, **kwargs)
        self.base(ex)
        return self.programs.evaluate(ex, leaves)

    @property
    def traces(self) -> dict[Any, int]:
        return self.programs.traces

    @property
    def grad_errors(self) -> dict[Any, BaseException]:
        return self.programs.grad_errors

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
            except Exception as e:
                if raised_by_shapely_nn(e):
                    raise  # shapely_nn's own bug: not the function's to carry
                # the function raised when this property called it again (on
                # redrawn inputs, or a second time: state it keeps, a handle it
                # consumes)
                reason = clean(
                    f"raised {type(e).__name__} when called again for this property: "
                    f"{one_line(e)} (redrawn inputs it refuses, or state it keeps between "
                    "calls?)",
                    ex,
                    self.subject.name,
                    self.float_inputs(ex),
                )
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
