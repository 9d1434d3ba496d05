"""Drawing one array's values: a dtype the annotation allows, values that
satisfy its constraints (each constraint draws its own, see
`Constraint.sample`), converted to the annotated array type."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._constraints import Constraint, DrawRequest
from .._jaxtyping_bridge import dtype_matches
from .._spec import ArraySpec
from ._sizes import Sizes
from ._subject import Skip

__all__ = ["DTYPE_ORDER", "choose_dtype", "draw_key", "draw_values", "to_array"]

# dtypes we can draw, in order of preference
DTYPE_ORDER = [
    "float32", "int32", "bool", "float64", "float16", "bfloat16", "int64", "uint8",
    "uint32", "int8", "int16", "uint16", "uint64", "complex64", "complex128",
]  # fmt: skip


def choose_dtype(spec: ArraySpec) -> str:
    if spec.dtypes is None:
        return "float32"
    if "prng_key" in spec.dtypes:
        return "prng_key"
    for d in DTYPE_ORDER:
        if dtype_matches(spec.dtypes, d):
            return d
    raise Skip(
        f"cannot draw an array of dtype {spec.dtype_name} ({', '.join(map(str, spec.dtypes))})"
    )


def _np_dtype(name: str) -> Any:
    if name == "bfloat16":
        import ml_dtypes

        return ml_dtypes.bfloat16
    return np.dtype(name)


def _normal(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: str, *, scale: float, is_param: bool
) -> np.ndarray:
    """The unconstrained float draw: standard normal, fan-in scaled for
    parameters (`normal / sqrt(fan_in)`, vectors `0.1 * normal`), else times
    `scale`."""
    z = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        z = z + 1j * rng.standard_normal(shape)
    if is_param and len(shape) >= 2:
        fan_in = int(np.prod(shape[:-1]))
        return z / np.sqrt(max(fan_in, 1))
    if is_param:
        return z * 0.1
    return z * scale


def _sampled(
    cons: list[Constraint], spec: ArraySpec, request: DrawRequest, sizes: Sizes
) -> np.ndarray | None:
    """The first constraint's own draw, if one draws (in annotation order)."""
    for c in cons:
        req = request
        if c.axis:
            req = DrawRequest(
                request.rng,
                request.shape,
                request.dtype,
                axis_index=spec.axis_index(c.axis),
                axis_size=sizes.single.get(c.axis),
                normal=request.normal,
            )
        try:
            out = c.sample(req)
        except ValueError as e:
            raise Skip(str(e)) from None
        if out is not None:
            return out
    return None


def draw_values(
    spec: ArraySpec,
    shape: tuple[int, ...],
    dtype: str,
    rng: np.random.Generator,
    *,
    scale: float,
    is_param: bool,
    sizes: Sizes,
) -> np.ndarray:
    cons = list(spec.constraints)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    npd = _np_dtype(dtype)
    request = DrawRequest(
        rng,
        shape,
        np.dtype(npd),
        normal=lambda: _normal(rng, shape, dtype, scale=scale, is_param=is_param),
    )
    if dtype.startswith(("int", "uint")):
        out = _sampled(cons, spec, request, sizes)
        if out is None:
            out = rng.integers(0, 5, size=shape)
        return _verify(np.asarray(out).astype(dtype), spec, cons, sizes)
    out = _sampled(cons, spec, request, sizes)
    if out is None:
        out = request.normal()  # type: ignore[misc]
    out = np.asarray(out).astype(npd)
    for attempt in _alternatives(shape, npd, rng):
        if _ok(out, spec, cons, sizes):
            return out
        out = attempt
    return _verify(out, spec, cons, sizes)


def _alternatives(shape: tuple[int, ...], npd: Any, rng: np.random.Generator):
    yield np.abs(rng.standard_normal(shape)).astype(npd)
    yield rng.random(shape).astype(npd)
    yield rng.integers(0, 5, size=shape).astype(npd)


def _ok(x: np.ndarray, spec: ArraySpec, cons: list[Constraint], sizes: Sizes) -> bool:
    for c in cons:
        ax = spec.axis_index(c.axis) if c.axis else None
        if (
            c.check(np.asarray(x), axis_index=ax, axis_size=sizes.single.get(c.axis or ""))
            is not None
        ):
            return False
    return True


def _verify(x: np.ndarray, spec: ArraySpec, cons: list[Constraint], sizes: Sizes) -> np.ndarray:
    if not _ok(x, spec, cons, sizes):
        names = ", ".join(repr(c) for c in cons)
        raise Skip(f"cannot draw values satisfying {names} for {spec.annotation_str()}")
    return x


def to_array(x: np.ndarray, spec: ArraySpec) -> Any:
    if spec.array_type is np.ndarray:
        return x
    import jax
    import jax.numpy as jnp

    if jax.dtypes.canonicalize_dtype(x.dtype) == x.dtype:
        return jax.device_put(x)  # a transfer; jnp.asarray compiles a conversion
    return jnp.asarray(x)


def draw_key(shape: tuple[int, ...], seed: int) -> Any:
    import jax

    n = int(np.prod(shape)) if shape else 1
    keys = jax.random.split(jax.random.key(seed), n)
    return keys.reshape(shape) if shape else keys[0]
