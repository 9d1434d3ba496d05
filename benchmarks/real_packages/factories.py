"""Factories the configuration files of this folder name: objects the packages'
functions need that nothing can draw from an annotation (a kernel, a prior, an
operator, a solver), written the way a user checking these packages would.

A factory takes no argument, or the example's axis sizes (a dict: the names are
the packages' own axis names, such as gpjax's "N" and "D")."""

from __future__ import annotations

import numpy as np


def _rng(sizes: dict | None = None) -> np.random.Generator:
    return np.random.default_rng(0)


# ---------------------------------------------------------------- gpjax


def gpjax_kernel():
    import gpjax as gpx

    return gpx.kernels.RBF()


def gpjax_mean():
    import gpjax as gpx

    return gpx.mean_functions.Zero()


def gpjax_prior():
    import gpjax as gpx

    return gpx.gps.Prior(kernel=gpx.kernels.RBF(), mean_function=gpx.mean_functions.Zero())


def gpjax_likelihood():
    import gpjax as gpx

    return gpx.likelihoods.Gaussian()


def gpjax_dataset(sizes):
    import gpjax as gpx
    import jax.numpy as jnp

    n, d = sizes.get("N", 5), sizes.get("D", 1)
    rng = _rng()
    return gpx.Dataset(
        X=jnp.asarray(rng.standard_normal((n, d)), jnp.float32),
        y=jnp.asarray(rng.standard_normal((n, 1)), jnp.float32),
    )


def gpjax_integrator():
    import gpjax as gpx

    return gpx.integrators.GHQuadratureIntegrator()
