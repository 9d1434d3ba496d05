"""Factories that benchmarks/real_packages/flowjax.toml names: the objects
flowjax's functions take that nothing can draw from an annotation (a base
distribution, a bijection, an optimizer, callables with the contract the
docstrings state), built the way a user of flowjax would build them.

A factory takes no argument, or the example's axis sizes (a dict)."""

from __future__ import annotations

DIM = 3  # the dimension of the distributions and bijections built here


def key():
    import jax.random as jr

    return jr.key(0)


def base_dist():
    """What the flow constructors take as `base_dist`: a standard normal."""
    from flowjax.distributions import StandardNormal

    return StandardNormal((DIM,))


def transformed():
    """A concrete AbstractTransformed: a standard normal through an affine map."""
    import jax.numpy as jnp
    from flowjax.bijections import Affine
    from flowjax.distributions import StandardNormal, Transformed

    return Transformed(StandardNormal((DIM,)), Affine(jnp.arange(DIM) * 0.5, jnp.full(DIM, 2.0)))


def bijection():
    import jax.numpy as jnp
    from flowjax.bijections import Affine

    return Affine(jnp.zeros(DIM), jnp.full(DIM, 2.0))


def adam():
    import optax

    return optax.adam(1e-3)


def increasing_fn():
    """`fn` of the root finders: a monotonically increasing function (of a scalar,
    or elementwise, hence autoregressive, of a vector)."""
    import jax.numpy as jnp

    return lambda x: jnp.tanh(x) + 0.5 * x - 0.3


def cond_fun():
    """`cond_fun` of max_steps_while_loop: a -> Bool (keep going while below 1)."""
    import jax.numpy as jnp

    return lambda x: jnp.all(x < 1.0)


def body_fun():
    """`body_fun` of max_steps_while_loop: a -> a (reaches cond_fun's bound in
    one step from anywhere, so max_steps is never the limit)."""
    import jax.numpy as jnp

    return lambda x: jnp.maximum(x, 0.0) + 1.0


def block_shape():
    return (2, 3)


def contrastive_loss():
    from flowjax.train.losses import ContrastiveLoss

    return ContrastiveLoss(prior=base_dist(), n_contrastive=2)


def elbo_loss():
    from flowjax.distributions import StandardNormal
    from flowjax.train.losses import ElboLoss

    target = StandardNormal((DIM,))
    return ElboLoss(target=target.log_prob, num_samples=4)


def simulator():
    from flowjax.tasks import GaussianMixtureSimulator

    return GaussianMixtureSimulator(dim=2)


def key_based_loss():
    """`loss_fn(params, static, key)` of fit_to_key_based_loss: the ELBO of a
    standard normal target."""
    return elbo_loss()


def step_params_only():
    """The params of train_utils.step (an array), and below the matching adam
    state: opt_state must be optimizer.init(params), a coupling no annotation
    states."""
    import jax.numpy as jnp

    return jnp.linspace(-1.0, 1.0, DIM)


def step_opt_state():
    return adam().init(step_params_only())


def train_arrays():
    import jax.numpy as jnp

    return [jnp.arange(20.0).reshape(10, 2), jnp.arange(10.0)]


def sum_of_squares():
    """`loss_fn(params, *args, **kwargs) -> Scalar` of train_utils.step."""
    import jax
    import jax.numpy as jnp

    return lambda params, *args, **kwargs: sum(
        jnp.sum(leaf**2) for leaf in jax.tree_util.tree_leaves(params)
    )


def fit_data():
    """Samples to fit a (DIM,)-dimensional distribution to."""
    import jax.numpy as jnp

    return jnp.linspace(-1.0, 1.0, 20 * DIM).reshape(20, DIM)


def none():
    """An argument passed as None (TOML has no None)."""
    return None


def sample_shape():
    return (2,)


def lower_vector():
    """Elementwise lower bounds for a (DIM,)-dimensional root (below upper_vector)."""
    import jax.numpy as jnp

    return jnp.linspace(-3.0, -1.0, DIM)


def upper_vector():
    import jax.numpy as jnp

    return jnp.linspace(1.0, 2.0, DIM)


def observation():
    """An observation of the GaussianMixtureSimulator built above (dim=2)."""
    import jax.numpy as jnp

    return jnp.array([0.5, -1.0])


def midpoint_vector():
    """The initial midpoint of bisect_check_expand_search: one per element of the
    (DIM,)-dimensional root of an autoregressive function."""
    import jax.numpy as jnp

    return jnp.linspace(-0.5, 0.5, DIM)


def flow_params():
    """`params` of a loss: the trainable arrays of a flow (transformed()), as
    flowjax's fit functions split it with eqx.partition(dist, eqx.is_inexact_array).
    A flow that differs from the prior: were it the prior itself, the contrastive
    loss would be the constant log(n_contrastive + 1)."""
    import equinox as eqx

    return eqx.partition(transformed(), eqx.is_inexact_array)[0]


def flow_static():
    """`static` of a loss: the rest of that flow."""
    import equinox as eqx

    return eqx.partition(transformed(), eqx.is_inexact_array)[1]
