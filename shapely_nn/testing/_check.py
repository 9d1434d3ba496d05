"""`sn.testing.check`: draw examples from the annotations and test properties."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._axes import check_kind
from .._errors import AnnotationError
from .._relations import check_sizes
from ._cache import ensure_cache
from ._properties import PROPERTIES, Property, resolve
from ._report import PropertyResult, Report
from ._runner import Runner
from ._subject import Skip, checking_mode, make_subject

__all__ = ["PROPERTIES", "assert_checks", "check", "run_check"]


def _validate(
    properties: Sequence[str] | None,
    examples: int,
    seed: int,
    sizes: Any,
    fixed: Any,
    kinds: Any,
    skip: Any,
) -> tuple[Property, ...]:
    where = "sn.testing.check"
    props = resolve(properties, where)
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise ValueError(f"{where}: examples must be a positive int, got {examples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{where}: seed must be an int, got {seed!r}")
    if sizes is not None:
        if not isinstance(sizes, Mapping):
            raise TypeError(f"{where}: sizes must be a dict of axis name -> size, got {sizes!r}")
        check_sizes(sizes, where)
    if fixed is not None and not isinstance(fixed, Mapping):
        raise TypeError(f"{where}: fixed must be a dict of parameter name -> value, got {fixed!r}")
    if kinds is not None:
        if not isinstance(kinds, Mapping):
            raise TypeError(f"{where}: kinds must be a dict of axis name -> kind, got {kinds!r}")
        for axis, kind in kinds.items():
            check_kind(kind, f"{where}: kinds[{axis!r}]")
    if skip is not None:
        resolve(skip, f"{where}: skip")
    return props


def _merged(fn: Any, **options: Any) -> dict[str, Any]:
    """The options given, over the test options of `@sn.shaped(test_sizes=...,
    test_fixed=...)` (a dict each: both merge key by key)."""
    own = getattr(getattr(fn, "__func__", fn), "__shapely_nn_test__", None) or {}
    out = dict(options)
    for key in ("sizes", "fixed"):
        if own.get(key):
            out[key] = {**own[key], **(options.get(key) or {})}
    if own.get("unused"):
        out["unused"] = [*own["unused"], *(options.get("unused") or ())]
    return out


def check(
    fn: Callable[..., Any],
    *,
    sizes: Mapping[str, int | Sequence[int] | str] | None = None,
    seed: int = 0,
    examples: int = 3,
    properties: Sequence[str] | None = None,
    fixed: Mapping[str, Any] | None = None,
    kinds: Mapping[str, str] | None = None,
    skip: Sequence[str] | None = None,
    unused: Sequence[str] | None = None,
) -> Report:
    """Draw inputs from `fn`'s annotations and test its properties.

    ```python
    report = sn.testing.check(rnn)
    assert report.ok, str(report)
    ```

    Each axis gets a distinct size (so a transposition or a wrong-axis reduction
    changes a shape); example 1 gives one axis size 1, example 2 scales the
    inputs up 1000x to expose numerically unstable code. Every property is
    reported passed, failed (with the example's sizes and seed, and what
    differed), skipped (with the reason), or rejected (the function refused the
    drawn inputs through its own check: a precondition to state).

    What the annotations cannot say:

    - `sizes`: an axis's size (an int, a list cycled through the examples), or a
      relation to other axes: `{"q_heads": "2*kv_heads", "total": "a + b"}`;
    - `fixed`: non-array arguments, a value or `sn.testing.between(low, high)`
      drawn per example; `sn.testing.DEFAULT` leaves an argument to its default;
    - `kinds`: axis kinds for this check (`{"N": "batch"}`), over declared ones;
    - `properties` picks a subset of `sn.testing.PROPERTIES`, `skip` lists
      properties that do not apply (reported skipped);
    - `unused`: inputs allowed not to influence the outputs (the `dead`
      property), by argument name or field path (`"p.b"`).

    Objects nothing can draw come from `sn.testing.register(Type, factory)`.
    Compiled programs are kept in jax's persistent cache between runs (see
    `sn.testing.set_cache_dir`).
    `@sn.shaped(test_sizes=..., test_fixed=..., test_unused=...)` gives defaults
    for `sizes`, `fixed` and `unused`.
    """
    return run_check(
        fn,
        sizes=sizes,
        seed=seed,
        examples=examples,
        properties=properties,
        fixed=fixed,
        kinds=kinds,
        skip=skip,
        unused=unused,
    )


def run_check(
    fn: Callable[..., Any],
    *,
    sizes: Mapping[str, Any] | None = None,
    seed: int = 0,
    examples: int = 3,
    properties: Sequence[str] | None = None,
    fixed: Mapping[str, Any] | None = None,
    kinds: Mapping[str, str] | None = None,
    skip: Sequence[str] | None = None,
    unused: Sequence[str] | None = None,
    instance_guess: tuple[str, str] | None = None,
) -> Report:
    """`check`, for a method whose instance may be a guess: `instance_guess` is
    (what the instance is, how to give a real one), and an example the method
    refuses is then not blamed on it."""
    ensure_cache()
    opts = _merged(fn, sizes=sizes, fixed=fixed, unused=unused)
    sizes, fixed, unused = opts.get("sizes"), opts.get("fixed"), opts.get("unused")
    if unused is not None and (
        isinstance(unused, str) or not all(isinstance(u, str) for u in unused)
    ):
        raise TypeError(
            f"sn.testing.check: unused must list argument names (or paths like 'p.b'), "
            f"got {unused!r}"
        )
    props = _validate(properties, examples, seed, sizes, fixed, kinds, skip)
    skipped = set(skip or ())
    with checking_mode():
        name = getattr(fn, "__qualname__", repr(fn))
        try:
            subject = make_subject(fn, kinds=kinds)
        except Skip as s:
            return Report(name, [PropertyResult(p.name, "skipped", str(s)) for p in props])
        except AnnotationError as e:
            missing = getattr(e, "unavailable", None)
            if missing is not None:
                reason = f"an annotation names {missing}, which is not installed here"
                return Report(name, [PropertyResult(p.name, "skipped", reason) for p in props])
            # a bug in the annotations: the first property fails with the message
            # (pointing at the bad axis), the others say why they did not run
            first, rest = props[0].name, props[1:]
            return Report(
                name,
                [PropertyResult(first, "failed", f"its annotations cannot be used: {e}")]
                + [
                    PropertyResult(
                        p.name, "skipped", f"the annotations cannot be used (see {first!r})"
                    )
                    for p in rest
                ],
            )
        runner = Runner(subject, sizes=sizes, seed=seed, examples=examples, fixed=fixed)
        runner.instance_guess = instance_guess
        runner.unused = tuple(unused or ())
        report = runner.run([p for p in props if p.name not in skipped])
        by_name = {r.prop: r for r in report.results}
        report.results = [
            by_name.get(p.name)
            or PropertyResult(p.name, "skipped", "does not apply here (skip= in the options)")
            for p in props
        ]
        return report


def assert_checks(fn: Callable[..., Any], **options: Any) -> Report:
    """`check(fn, **options)`, raising AssertionError with the report if any property fails."""
    __tracebackhide__ = True
    report = check(fn, **options)
    if not report.ok:
        raise AssertionError(str(report))
    return report
