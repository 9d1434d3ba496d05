"""`sn.testing.check`: draw examples from the annotations and test properties."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._errors import AnnotationError
from ._properties import PROPERTIES, Property, resolve
from ._report import PropertyResult, Report
from ._runner import Runner, checking_mode
from ._subject import Skip, make_subject

__all__ = ["PROPERTIES", "assert_checks", "check"]


def _validate(
    properties: Sequence[str] | None, examples: int, seed: int, sizes: Any, fixed: Any
) -> tuple[Property, ...]:
    props = resolve(properties, "sn.testing.check")
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
            subject = make_subject(fn)
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
        return Runner(subject, sizes=sizes, seed=seed, examples=examples, fixed=fixed).run(props)


def assert_checks(fn: Callable[..., Any], **options: Any) -> Report:
    """`check(fn, **options)`, raising AssertionError with the report if any property fails."""
    __tracebackhide__ = True
    report = check(fn, **options)
    if not report.ok:
        raise AssertionError(str(report))
    return report
