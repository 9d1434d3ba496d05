"""Factories for interpax 0.3.16 (named by interpax.toml): what its annotations
cannot say."""

from __future__ import annotations

import numpy as np


def ppoly(sizes):
    """A piecewise cubic on m intervals: the breakpoints x must be strictly
    increasing, which `Real[Array, "m+1"]` does not say."""
    import jax.numpy as jnp
    from interpax import PPoly

    m = sizes.get("m", 4)
    rng = np.random.default_rng(0)
    x = jnp.asarray(np.cumsum(rng.uniform(0.5, 1.5, m + 1)), jnp.float32)
    c = jnp.asarray(rng.standard_normal((4, m)), jnp.float32)
    return PPoly(c, x)


def rbf_interpolator(sizes):
    """Scattered points in N dimensions (N as the method's queries have it), at
    least as many as the polynomial part needs: 4 * (N + 1) of them."""
    import jax.numpy as jnp
    from interpax import RBFInterpolator

    n = sizes.get("N", 2)
    rng = np.random.default_rng(1)
    y = jnp.asarray(rng.uniform(-1, 1, (4 * (n + 1), n)), jnp.float32)
    return RBFInterpolator(y, jnp.sin(y).sum(axis=1))


def gaussian_kernel():
    from interpax import _rbf

    return _rbf._gaussian_kernel


def rbf_points():
    """The points of the interpolant `rbf_interpolator` builds for N = 2."""
    return rbf_interpolator({"N": 2})._y


def rbf_shift():
    return rbf_interpolator({"N": 2})._shift


def rbf_scale():
    return rbf_interpolator({"N": 2})._scale


def rbf_coeffs():
    return rbf_interpolator({"N": 2})._coeffs
