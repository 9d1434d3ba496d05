"""The public drawing helpers: `sn.testing.init` (a parameter structure from its
annotated fields) and `sn.testing.dummy_args` (a function's arguments)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._annotations import spec_from_hint, struct_fields
from .._spec import StructSpec
from ._arguments import Builder, draw_example
from ._sizes import AxisSet, Sizes
from ._subject import Skip, Subject, checking_mode, make_subject

__all__ = ["draw_arguments", "dummy_args", "init", "seed_of", "struct_spec"]


def seed_of(key: Any) -> int:
    """An int seed from an int or a jax PRNG key."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return int(key)
    try:
        import jax

        data = (
            np.asarray(jax.random.key_data(key))
            if jax.numpy.issubdtype(key.dtype, jax.dtypes.prng_key)  # type: ignore[union-attr]
            else np.asarray(key)
        )
    except Exception as e:
        raise TypeError(f"expected a jax PRNG key or an int seed, got {key!r}") from e
    return int(
        np.uint64(np.sum(data.astype(np.uint64) * np.arange(1, data.size + 1, dtype=np.uint64)))
        % (2**31)
    )


def struct_spec(cls: type) -> StructSpec:
    """The spec of a parameter structure class (TypeError if it is none)."""
    if not isinstance(cls, type):
        raise TypeError(
            f"sn.testing.init: expected a NamedTuple, dataclass or equinox module class, got {cls!r}"
        )
    fields = struct_fields(cls, where=cls.__qualname__)
    if fields is None:
        spec = spec_from_hint(cls)
        if not isinstance(spec, StructSpec):
            raise TypeError(
                f"sn.testing.init: {cls.__qualname__} is not a NamedTuple, dataclass or equinox "
                "module with jaxtyping-annotated fields"
            )
        return spec
    return StructSpec(cls, fields)


def _build_struct(cls: type, sizes: Mapping[str, int], seed: int) -> Any:
    spec = struct_spec(cls)
    axes = AxisSet.of([spec])
    missing = [n for n in axes.names if n not in sizes]
    if missing:
        raise ValueError(
            f"sn.testing.init({cls.__qualname__}): no size for axis {', '.join(map(repr, missing))}; "
            f"pass sizes={{{', '.join(repr(n) + ': ...' for n in missing)}}}"
        )
    variadic: dict[str, tuple[int, ...]] = {v: tuple(sizes.get(v, ())) for v in axes.variadics}  # type: ignore[arg-type]
    s = Sizes({n: int(sizes[n]) for n in axes.names}, variadic)
    b = Builder(s, np.random.default_rng(seed), scale=1.0, broadcast_one=False, seed=seed)
    node = b.struct(cls, spec.fields, cls.__qualname__)
    return node.build(b.leaves)


def init(params_type: type, sizes: Mapping[str, int], key: Any) -> Any:
    """Parameters built from the annotated fields of a NamedTuple, dataclass or
    equinox module (nested ones too): float weights fan-in-scaled normal
    (`normal / sqrt(fan_in)`), vectors `0.1 * normal`, integer fields in range.

    ```python
    params = sn.testing.init(RNNParams, {"feature": 4, "hidden": 8}, jax.random.key(0))
    ```
    """
    if not isinstance(sizes, Mapping):
        raise TypeError(
            f"sn.testing.init: sizes must be a dict of axis name -> size, got {sizes!r}"
        )
    with checking_mode():
        try:
            return _build_struct(params_type, sizes, seed_of(key))
        except Skip as s:
            raise ValueError(
                f"sn.testing.init({getattr(params_type, '__qualname__', params_type)}): {s}"
            ) from None


def dummy_args(
    fn: Callable[..., Any],
    sizes: Mapping[str, int] | None = None,
    key: Any = 0,
    *,
    fixed: Mapping[str, Any] | None = None,
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Arguments for `fn` drawn from its annotations: `(args, kwargs)`.

    Sizes are shared across arguments and parameter fields; axes missing from
    `sizes` get distinct sizes of their own. Non-array arguments come from their
    defaults or `fixed=`.

    ```python
    args, kwargs = sn.testing.dummy_args(rnn, {"batch": 2}, jax.random.key(0))
    rnn(*args, **kwargs)
    ```
    """
    seed = seed_of(key)
    with checking_mode():
        try:
            subject = make_subject(fn)
        except Skip as s:
            raise ValueError(
                f"sn.testing.dummy_args: cannot draw arguments for {fn!r}: {s}"
            ) from None
        try:
            args, kwargs, _ = draw_arguments(subject, sizes, seed, fixed)
        except Skip as e:
            raise ValueError(f"sn.testing.dummy_args({subject.name}): {e}") from None
    return args, kwargs


def draw_arguments(
    subject: Subject,
    sizes: Mapping[str, int] | None,
    seed: int,
    fixed: Mapping[str, Any] | None,
    *,
    objects: Any = None,
) -> tuple[tuple[Any, ...], dict[str, Any], dict[str, Any]]:
    """Arguments for `subject` as `dummy_args` draws them, and the axis sizes it
    drew (with the `sizes` given for axes it does not use, so an int argument
    named like one of them gets its size); `Skip` says why an argument cannot be
    drawn. `objects` makes the non-array objects arguments need."""
    user = dict(sizes or {})
    s = AxisSet.for_subject(subject).draw(np.random.default_rng(seed), user=user)
    for k, v in user.items():
        if isinstance(v, int) and k not in s.single:
            s.single[k] = v
    drawn = draw_example(
        subject,
        example=0,
        seed=seed,
        sizes=s.copy(),
        scale=1.0,
        broadcast_one=False,
        fixed=fixed,
        objects=objects,
    )
    args, kwargs = drawn.build()
    return tuple(args), kwargs, s.flat()
