"""Comparing outputs: tolerances by dtype, differences described in words."""

from __future__ import annotations

from typing import Any

import numpy as np


def tolerance(dtype: Any) -> tuple[float, float]:
    """(rtol, atol) for comparing two computations of the same float values."""
    name = str(dtype)
    if name in ("float16", "bfloat16") or name.startswith("float8"):
        return 2e-2, 2e-2
    if name in ("float64", "complex128"):
        return 1e-9, 1e-12
    return 1e-4, 1e-5


def as_numpy(x: Any) -> np.ndarray:
    if str(getattr(x, "dtype", "")).startswith("key"):
        # a typed PRNG key array: compared through its raw bits
        import jax

        return np.asarray(jax.random.key_data(x))
    arr = np.asarray(x)
    if arr.dtype.kind == "V" or str(arr.dtype).startswith("key"):
        return arr
    if str(arr.dtype) == "bfloat16":
        return arr.astype(np.float32)
    return arr


def compare(
    actual: Any, expected: Any, *, mask: np.ndarray | None = None
) -> tuple[float, tuple[int, ...]] | None:
    """None if they agree (within tolerance, where `mask` is True), else
    (max |diff|, index of the worst element)."""
    a, e = as_numpy(actual), as_numpy(expected)
    if a.shape != e.shape:
        return float("inf"), ()
    if a.dtype.kind in "biu" and e.dtype.kind in "biu":
        bad = a != e
    else:
        rtol, atol = tolerance(getattr(expected, "dtype", e.dtype))
        with np.errstate(all="ignore"):
            scale = max(
                1.0, float(np.nanmax(np.abs(e[np.isfinite(e)]))) if np.isfinite(e).any() else 1.0
            )
            bad = ~np.isclose(a, e, rtol=rtol, atol=atol * scale, equal_nan=True)
    if mask is not None:
        bad = bad & mask
    if not bad.any():
        return None
    with np.errstate(all="ignore"):
        diff = (
            np.abs(a.astype(np.float64) - e.astype(np.float64))
            if a.dtype.kind not in "bV"
            else bad.astype(float)
        )
    diff = np.where(bad, np.nan_to_num(diff, nan=np.inf), -1.0)
    flat = int(np.argmax(diff))
    idx = tuple(int(i) for i in np.unravel_index(flat, a.shape)) if a.shape else ()
    return float(diff.flat[flat]), idx


def fmt_diff(d: float) -> str:
    return "inf/nan" if not np.isfinite(d) else f"{d:.3g}"
