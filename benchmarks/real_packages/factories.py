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


def _d(sizes: dict | None) -> int:
    return (sizes or {}).get("D", 1)


def gpjax_kernel(sizes):
    import gpjax as gpx

    # n_dims: RBF's spectral density (sample_approx, RFF) needs the input dimension
    return gpx.kernels.RBF(n_dims=_d(sizes))


def gpjax_rbf():
    import gpjax as gpx

    return gpx.kernels.RBF()


def gpjax_stationary_kernel(sizes):
    return gpjax_kernel(sizes)


def gpjax_mean():
    import gpjax as gpx

    return gpx.mean_functions.Zero()


def gpjax_prior(sizes):
    import gpjax as gpx

    return gpx.gps.Prior(kernel=gpjax_kernel(sizes), mean_function=gpjax_mean())


def gpjax_likelihood():
    import gpjax as gpx

    return gpx.likelihoods.Gaussian()


def gpjax_dataset(sizes):
    import gpjax as gpx
    import jax.numpy as jnp

    n, d = sizes.get("N", 5), _d(sizes)
    rng = _rng()
    return gpx.Dataset(
        X=jnp.asarray(rng.standard_normal((n, d)), jnp.float32),
        y=jnp.asarray(rng.standard_normal((n, 1)), jnp.float32),
    )


def gpjax_conjugate_model(sizes):
    return gpjax_prior(sizes) * gpjax_likelihood()


def gpjax_nonconjugate_model(sizes):
    import gpjax as gpx

    return gpx.gps.NonConjugateModel(gpjax_prior(sizes), gpx.likelihoods.Bernoulli())


def _inducing(sizes):
    import jax.numpy as jnp

    m = (sizes or {}).get("M", 3)
    return jnp.asarray(_rng().standard_normal((m, _d(sizes))), jnp.float32)


def gpjax_variational_gaussian(sizes):
    import gpjax as gpx

    return gpx.variational_families.VariationalGaussian(
        gpjax_nonconjugate_model(sizes), _inducing(sizes)
    )


def gpjax_whitened_variational_gaussian(sizes):
    import gpjax as gpx

    return gpx.variational_families.WhitenedVariationalGaussian(
        gpjax_nonconjugate_model(sizes), _inducing(sizes)
    )


def gpjax_dual_variational_gaussian(sizes):
    import gpjax as gpx

    return gpx.variational_families.DualVariationalGaussian(
        gpjax_nonconjugate_model(sizes), _inducing(sizes)
    )


def gpjax_collapsed_variational_gaussian(sizes):
    import gpjax as gpx

    return gpx.variational_families.CollapsedVariationalGaussian(
        gpjax_conjugate_model(sizes), _inducing(sizes)
    )


def gpjax_heteroscedastic_model(sizes):
    import gpjax as gpx

    return gpx.gps.HeteroscedasticModel(
        prior=gpjax_prior(sizes),
        likelihood=gpx.likelihoods.HeteroscedasticGaussian(),
        noise_prior=gpjax_prior(sizes),
    )


def gpjax_heteroscedastic_family(sizes):
    import gpjax as gpx

    return gpx.variational_families.HeteroscedasticVariationalFamily(
        gpjax_heteroscedastic_model(sizes), _inducing(sizes)
    )


def gpjax_exact_posterior(sizes):
    return gpjax_conjugate_model(sizes).condition(gpjax_dataset(sizes))


def _temporal(sizes):
    # state-space GPs: one temporal input column, sorted times
    import gpjax as gpx
    import jax.numpy as jnp

    n = (sizes or {}).get("N", 5)
    t = jnp.linspace(0.0, 1.0, n)[:, None]
    return gpx.Dataset(X=t, y=jnp.sin(6 * t))


def gpjax_state_space_model(sizes):
    import gpjax as gpx

    prior = gpx.gps.Prior(kernel=gpx.kernels.Matern12(), mean_function=gpjax_mean())
    return gpx.state_space.gps.StateSpaceConjugateModel(prior, gpjax_likelihood())


def gpjax_state_space_posterior(sizes):
    return gpjax_state_space_model(sizes).condition(_temporal(sizes))


def gpjax_oilmm_model(sizes):
    import gpjax as gpx
    import jax

    p = (sizes or {}).get("P", 3)
    return gpx.models.oilmm.OILMMModel(
        num_outputs=p, num_latent_gps=2, kernel=gpjax_kernel(sizes), key=jax.random.key(0)
    )


def gpjax_oilmm_posterior(sizes):
    import gpjax as gpx
    import jax.numpy as jnp

    data = gpjax_dataset(sizes)
    p = (sizes or {}).get("P", 3)
    y = jnp.asarray(_rng().standard_normal((data.X.shape[0], p)), jnp.float32)
    return gpjax_oilmm_model(sizes).condition(gpx.Dataset(X=data.X, y=y))


def gpjax_multioutput_gaussian(sizes):
    import gpjax as gpx

    return gpx.likelihoods.MultiOutputGaussian(num_outputs=(sizes or {}).get("P", 3))


def gpjax_sum_kernel(sizes):
    import gpjax as gpx

    return gpjax_kernel(sizes) + gpx.kernels.Matern32()


def gpjax_product_kernel(sizes):
    import gpjax as gpx

    return gpjax_kernel(sizes) * gpx.kernels.Matern32()


def gpjax_rff(sizes):
    import gpjax as gpx

    return gpx.kernels.RFF(base_kernel=gpjax_kernel(sizes), num_basis_fns=4)


def gpjax_dense_computation():
    import gpjax as gpx

    return gpx.kernels.computations.DenseKernelComputation()


def gpjax_integrator():
    import gpjax as gpx

    return gpx.integrators.GHQuadratureIntegrator()


def gpjax_icm_kernel():
    import gpjax as gpx
    import jax
    from gpjax.parameters import CoregionalizationMatrix

    return gpx.kernels.ICMKernel(
        base_kernel=gpx.kernels.RBF(),
        coregionalization_matrix=CoregionalizationMatrix(
            num_outputs=3, rank=2, key=jax.random.key(0)
        ),
    )


def gpjax_additive_kernel():
    """An orthogonal additive kernel over D = 2 inputs (one RBF per input)."""
    import gpjax as gpx

    return gpx.kernels.OrthogonalAdditiveKernel(
        base_kernels=[gpx.kernels.RBF(active_dims=[i]) for i in range(2)]
    )


def gpjax_graph_kernel():
    """A heat kernel on a path graph of 4 vertices."""
    import gpjax as gpx
    import jax.numpy as jnp

    adjacency = jnp.eye(4, k=1) + jnp.eye(4, k=-1)
    laplacian = jnp.diag(adjacency.sum(axis=1)) - adjacency
    return gpx.kernels.GraphKernel(laplacian=laplacian)


def gpjax_matern32():
    import gpjax as gpx

    return gpx.kernels.Matern32()


def gpjax_collapsed_family_1d():
    """A collapsed family over one input dimension (for `fixed=`, which gets no sizes)."""
    return gpjax_collapsed_variational_gaussian({"D": 1})


def gpjax_oilmm_data():
    """Five observations of three outputs at one input dimension, for the OILMM
    functions whose `Dataset` annotation is imported only for type checkers."""
    import gpjax as gpx
    import jax.numpy as jnp

    rng = _rng()
    return gpx.Dataset(
        X=jnp.asarray(rng.standard_normal((5, 1)), jnp.float32),
        y=jnp.asarray(rng.standard_normal((5, 3)), jnp.float32),
    )
