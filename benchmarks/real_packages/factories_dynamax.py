"""Factories dynamax.toml names: dynamax models and their parameters, built the
way a dynamax user builds them (`model = GaussianHMM(num_states, emission_dim)`,
`params, props = model.initialize(key)`, emissions from `model.sample`).

A factory registered for a class takes the example's axis sizes (a dict with
dynamax's own axis names: num_states, emission_dim, input_dim, state_dim,
num_classes...), so the model agrees with the arrays drawn for the method.
The factories named in `fixed = {...}` take no argument: they build the
parameters (and what goes with them: properties, emissions, sufficient
statistics, M-step state) of one model with the sizes below, which the
configuration states for the functions that take them.
"""

from __future__ import annotations

from functools import cache

# the sizes of the models whose parameters are fixed values in dynamax.toml
NUM_STATES = 3
EMISSION_DIM = 2
INPUT_DIM = 2
NUM_CLASSES = 3
NUM_COMPONENTS = 2
EMISSION_RANK = 1
NUM_LAGS = 1
NUM_TRIALS = 5
NUM_TIMESTEPS = 6
BATCH = 2  # sequences whose sufficient statistics an M-step gets


def _unchecked():
    """The fixtures are computed with shapely_nn's checks off: when the package is
    instrumented, the calls that build them (model.sample, e_step...) would
    otherwise be checked too, and some annotations they go through do not hold
    (see KNOWN_BUGS["dynamax"] in benchmarks/real_packages.py)."""
    import shapely_nn as sn

    return sn.mode("off")


def _key(i: int = 0):
    import jax.random as jr

    return jr.PRNGKey(i)


def _k(sizes: dict | None) -> int:
    # HMM parameter tuples spell the number of states "state_dim"
    sizes = sizes or {}
    return sizes.get("num_states", sizes.get("state_dim", NUM_STATES))


def _get(sizes: dict | None, name: str, default: int) -> int:
    return (sizes or {}).get(name, default)


# ---------------------------------------------------------------- HMMs
# Each kind of HMM: its model class, its emission component class, and how both
# are built from the axis sizes (the model and its emission component take the
# same constructor arguments).


def _hmm_kinds() -> dict:
    import dynamax.hidden_markov_model as hmm
    from dynamax.hidden_markov_model.models import (
        arhmm,
        bernoulli_hmm,
        categorical_glm_hmm,
        categorical_hmm,
        gamma_hmm,
        gaussian_hmm,
        gmm_hmm,
        linreg_hmm,
        logreg_hmm,
        multinomial_hmm,
        poisson_hmm,
    )

    def d(s):
        return _get(s, "emission_dim", EMISSION_DIM)

    def m(s):
        return _get(s, "input_dim", INPUT_DIM)

    def c(s):
        return _get(s, "num_classes", NUM_CLASSES)

    def comps(s):
        return _get(s, "num_components", NUM_COMPONENTS)

    # name: (model class, emission class, sizes -> constructor args, needs inputs)
    return {
        "gaussian": (
            hmm.GaussianHMM,
            gaussian_hmm.GaussianHMMEmissions,
            lambda s: (_k(s), d(s)),
            False,
        ),
        "diagonal_gaussian": (
            hmm.DiagonalGaussianHMM,
            gaussian_hmm.DiagonalGaussianHMMEmissions,
            lambda s: (_k(s), d(s)),
            False,
        ),
        "spherical_gaussian": (
            hmm.SphericalGaussianHMM,
            gaussian_hmm.SphericalGaussianHMMEmissions,
            lambda s: (_k(s), d(s)),
            False,
        ),
        "shared_covariance_gaussian": (
            hmm.SharedCovarianceGaussianHMM,
            gaussian_hmm.SharedCovarianceGaussianHMMEmissions,
            lambda s: (_k(s), d(s)),
            False,
        ),
        "low_rank_gaussian": (
            hmm.LowRankGaussianHMM,
            gaussian_hmm.LowRankGaussianHMMEmissions,
            lambda s: (_k(s), d(s), _get(s, "emission_rank", EMISSION_RANK)),
            False,
        ),
        "gaussian_mixture": (
            hmm.GaussianMixtureHMM,
            gmm_hmm.GaussianMixtureHMMEmissions,
            lambda s: (_k(s), comps(s), d(s)),
            False,
        ),
        "diagonal_gaussian_mixture": (
            hmm.DiagonalGaussianMixtureHMM,
            gmm_hmm.DiagonalGaussianMixtureHMMEmissions,
            lambda s: (_k(s), comps(s), d(s)),
            False,
        ),
        "bernoulli": (
            hmm.BernoulliHMM,
            bernoulli_hmm.BernoulliHMMEmissions,
            lambda s: (_k(s), d(s)),
            False,
        ),
        "categorical": (
            hmm.CategoricalHMM,
            categorical_hmm.CategoricalHMMEmissions,
            lambda s: (_k(s), d(s), c(s)),
            False,
        ),
        "multinomial": (
            hmm.MultinomialHMM,
            multinomial_hmm.MultinomialHMMEmissions,
            lambda s: (_k(s), d(s), c(s), _get(s, "num_trials", NUM_TRIALS)),
            False,
        ),
        "poisson": (
            hmm.PoissonHMM,
            poisson_hmm.PoissonHMMEmissions,
            lambda s: (_k(s), d(s)),
            False,
        ),
        "gamma": (hmm.GammaHMM, gamma_hmm.GammaHMMEmissions, lambda s: (_k(s),), False),
        "linear_regression": (
            hmm.LinearRegressionHMM,
            linreg_hmm.LinearRegressionHMMEmissions,
            lambda s: (_k(s), m(s), d(s)),
            True,
        ),
        "logistic_regression": (
            hmm.LogisticRegressionHMM,
            logreg_hmm.LogisticRegressionHMMEmissions,
            lambda s: (_k(s), m(s)),
            True,
        ),
        "categorical_regression": (
            hmm.CategoricalRegressionHMM,
            categorical_glm_hmm.CategoricalRegressionHMMEmissions,
            lambda s: (_k(s), c(s), m(s)),
            True,
        ),
        "linear_autoregressive": (
            hmm.LinearAutoregressiveHMM,
            arhmm.LinearAutoregressiveHMMEmissions,
            lambda s: (_k(s), d(s), _get(s, "num_lags", NUM_LAGS)),
            False,
        ),
    }


def hmm_model(kind: str, sizes: dict | None = None):
    """The HMM of this kind for these sizes."""
    model_cls, _, args, _ = _hmm_kinds()[kind]
    return model_cls(*args(sizes))


def hmm_emission_component(kind: str, sizes: dict | None = None):
    """The emission component of the HMM of this kind, for these sizes."""
    _, emission_cls, args, _ = _hmm_kinds()[kind]
    return emission_cls(*args(sizes))


@cache
def hmm_fitted(kind: str) -> dict:
    """One HMM of this kind and what a user has of it (see _hmm_fitted_impl)."""
    with _unchecked():
        return _hmm_fitted_impl(kind)


def _hmm_fitted_impl(kind: str) -> dict:
    """A model of this kind with the module's sizes, its parameters from
    `initialize`, sequences sampled from it, and the E-step's statistics: what
    a user has in hand before an M-step."""
    import jax
    import jax.numpy as jnp

    needs_inputs = _hmm_kinds()[kind][3]
    model = hmm_model(kind)
    params, props = model.initialize(_key(0))
    inputs = None
    if needs_inputs:
        inputs = jax.random.normal(_key(1), (BATCH, NUM_TIMESTEPS, INPUT_DIM))

        def sample(k, u):
            return model.sample(params, k, NUM_TIMESTEPS, inputs=u)[1]

        emissions = jax.vmap(sample)(jax.random.split(_key(2), BATCH), inputs)
    else:

        def sample(k):
            return model.sample(params, k, NUM_TIMESTEPS)[1]

        emissions = jax.vmap(sample)(jax.random.split(_key(2), BATCH))
    if kind == "linear_autoregressive":
        # its inputs are the lagged emissions
        inputs = jax.vmap(model.compute_inputs)(emissions)
    if inputs is None:
        stats, _ = jax.vmap(lambda y: model.e_step(params, y))(emissions)
    else:
        stats, _ = jax.vmap(lambda y, u: model.e_step(params, y, u))(emissions, inputs)
    args = model._inference_args(params, emissions[0], None if inputs is None else inputs[0])
    from dynamax.hidden_markov_model.inference import hmm_two_filter_smoother

    posterior = hmm_two_filter_smoother(*args)
    return {
        "model": model,
        "params": params,
        "props": props,
        "emissions": emissions[0],
        "inputs": None if inputs is None else inputs[0],
        "batch_emissions": emissions,
        "batch_stats": stats,
        "posterior": posterior,
        "m_step_state": model.initialize_m_step_state(params, props),
        "log_likelihoods": jnp.asarray(args[2]),
    }


# factories registered for the HMM classes (sizes from the example)
def _model_factory(kind: str):
    def factory(sizes):
        return hmm_model(kind, sizes)

    factory.__name__ = factory.__qualname__ = f"{kind}_hmm"
    factory.__doc__ = f"The {kind.replace('_', ' ')} HMM for the example's sizes."
    return factory


def _emissions_factory(kind: str):
    def factory(sizes):
        return hmm_emission_component(kind, sizes)

    factory.__name__ = factory.__qualname__ = f"{kind}_hmm_emission_component"
    factory.__doc__ = (
        f"The emission component of the {kind.replace('_', ' ')} HMM for the example's sizes."
    )
    return factory


# fixed values: one model of each kind with the module's sizes
_FITTED = {
    "params": ("params", "its parameters, from initialize"),
    "props": ("props", "its parameter properties, from initialize"),
    "emissions": ("emissions", "a sequence of emissions sampled from it"),
    "inputs": ("inputs", "the inputs that sequence was sampled with (None if it takes none)"),
    "batch_stats": ("batch_stats", "the E-step statistics of a batch of sampled sequences"),
    "m_step_state": ("m_step_state", "the M-step state from initialize_m_step_state"),
    "posterior": ("posterior", "the smoothing posterior of the sampled sequence"),
    "log_likelihoods": ("log_likelihoods", "its emission log likelihoods on that sequence"),
}
# the same, for its components: index in params/props/batch_stats
_COMPONENTS = {"initial": 0, "transitions": 1, "emission": 2}


def _fitted_factory(kind: str, what: str, component: str | None = None):
    key, doc = _FITTED[what]

    def factory():
        value = hmm_fitted(kind)[key]
        if component is None:
            return value
        if what == "batch_stats":
            return value[_COMPONENTS[component]]
        if what == "m_step_state":
            return value[_COMPONENTS[component]]
        attr = {"initial": "initial", "transitions": "transitions", "emission": "emissions"}
        return getattr(value, attr[component])

    prefix = f"{kind}_hmm" if component is None else f"{kind}_hmm_{component}"
    factory.__name__ = factory.__qualname__ = f"{prefix}_{what}"
    whose = "" if component is None else f" ({component} component)"
    factory.__doc__ = f"The {kind.replace('_', ' ')} HMM with the module's sizes: {doc}{whose}."
    return factory


_KINDS = (
    "gaussian",
    "diagonal_gaussian",
    "spherical_gaussian",
    "shared_covariance_gaussian",
    "low_rank_gaussian",
    "gaussian_mixture",
    "diagonal_gaussian_mixture",
    "bernoulli",
    "categorical",
    "multinomial",
    "poisson",
    "gamma",
    "linear_regression",
    "logistic_regression",
    "categorical_regression",
    "linear_autoregressive",
)
for _kind in _KINDS:
    for _f in (_model_factory(_kind), _emissions_factory(_kind)):
        globals()[_f.__name__] = _f
    for _what in _FITTED:
        _f = _fitted_factory(_kind, _what)
        globals()[_f.__name__] = _f
        if _what in ("params", "props", "batch_stats", "m_step_state"):
            for _component in _COMPONENTS:
                _f = _fitted_factory(_kind, _what, _component)
                globals()[_f.__name__] = _f


def hmm_initial_component(sizes):
    """The standard initial-state component of an HMM with num_states states."""
    from dynamax.hidden_markov_model.models.initial import StandardHMMInitialState

    return StandardHMMInitialState(_k(sizes))


def hmm_transition_component(sizes):
    """The standard transition component of an HMM with num_states states."""
    from dynamax.hidden_markov_model.models.transitions import StandardHMMTransitions

    return StandardHMMTransitions(_k(sizes))


# ---------------------------------------------------------------- own components
# The abstract initial-state and transition components implement a default,
# gradient-based M-step (and collect_suff_stats) for the components a user writes
# (the standard ones override both): run on such a component, one with softmax
# logits as its parameters.


def _own_components():
    from typing import NamedTuple

    import jax.numpy as jnp
    import jax.random as jr
    from dynamax.hidden_markov_model.models.abstractions import HMMInitialState, HMMTransitions
    from dynamax.parameters import ParameterProperties
    from jaxtyping import Array, Float
    from tensorflow_probability.substrates import jax as tfp

    tfd = tfp.distributions

    class ParamsLogitsInitial(NamedTuple):
        logits: Float[Array, " num_states"]

    class ParamsLogitsTransitions(NamedTuple):
        logits: Float[Array, "num_states num_states"]

    class LogitsInitialState(HMMInitialState):
        """Initial-state probabilities softmax(logits), a Gaussian prior on the logits."""

        def __init__(self, num_states):
            super().__init__(m_step_num_iters=5)
            self.num_states = num_states

        def distribution(self, params, inputs=None):
            return tfd.Categorical(logits=params.logits)

        def initialize(self, key=None, method="prior", **kwargs):
            key = jr.PRNGKey(0) if key is None else key
            logits = jr.normal(key, (self.num_states,))
            return ParamsLogitsInitial(logits), ParamsLogitsInitial(ParameterProperties())

        def log_prior(self, params):
            return -0.5 * jnp.sum(params.logits**2)

    class LogitsTransitions(HMMTransitions):
        """Transition matrix softmax(logits) row by row, a Gaussian prior on the logits."""

        def __init__(self, num_states):
            super().__init__(m_step_num_iters=5)
            self.num_states = num_states

        def distribution(self, params, state, inputs=None):
            return tfd.Categorical(logits=params.logits[state])

        def initialize(self, key=None, method="prior", **kwargs):
            key = jr.PRNGKey(0) if key is None else key
            logits = jr.normal(key, (self.num_states, self.num_states))
            return ParamsLogitsTransitions(logits), ParamsLogitsTransitions(ParameterProperties())

        def log_prior(self, params):
            return -0.5 * jnp.sum(params.logits**2)

    return LogitsInitialState, LogitsTransitions


_OWN = None


def _own():
    global _OWN
    if _OWN is None:
        _OWN = _own_components()
    return _OWN


def own_initial_component(sizes):
    """A user's initial-state component (softmax logits) with num_states states."""
    return _own()[0](_k(sizes))


def own_transition_component(sizes):
    """A user's transition component (softmax logits) with num_states states."""
    return _own()[1](_k(sizes))


@cache
def _own_fitted(which: int) -> dict:
    """The user's component (0: initial state, 1: transitions), its parameters,
    properties, batch statistics and M-step state."""
    with _unchecked():
        return _own_fitted_impl(which)


def _own_fitted_impl(which: int) -> dict:
    import jax.numpy as jnp

    comp = _own()[which](NUM_STATES)
    params, props = comp.initialize(_key(3))
    stats = hmm_fitted("gaussian")["batch_stats"][which]  # expected counts of a batch
    return {
        "params": params,
        "props": props,
        "batch_stats": (jnp.asarray(stats), None),  # what collect_suff_stats returns, no inputs
        "m_step_state": comp.initialize_m_step_state(params, props),
    }


def own_initial_params():
    """The user's initial-state component (NUM_STATES states): its parameters."""
    return _own_fitted(0)["params"]


def own_initial_props():
    """The user's initial-state component: its parameter properties."""
    return _own_fitted(0)["props"]


def own_initial_batch_stats():
    """The user's initial-state component: statistics of a batch of sequences."""
    return _own_fitted(0)["batch_stats"]


def own_initial_m_step_state():
    """The user's initial-state component: its M-step (optimizer) state."""
    return _own_fitted(0)["m_step_state"]


def own_transitions_params():
    """The user's transition component (NUM_STATES states): its parameters."""
    return _own_fitted(1)["params"]


def own_transitions_props():
    """The user's transition component: its parameter properties."""
    return _own_fitted(1)["props"]


def own_transitions_batch_stats():
    """The user's transition component: statistics of a batch of sequences."""
    return _own_fitted(1)["batch_stats"]


def own_transitions_m_step_state():
    """The user's transition component: its M-step (optimizer) state."""
    return _own_fitted(1)["m_step_state"]


# ---------------------------------------------------------------- LGSSM
STATE_DIM = 2
LGSSM_EMISSION_DIM = 3


def lgssm_model(sizes):
    """A linear Gaussian SSM for the example's state_dim and emission_dim."""
    from dynamax.linear_gaussian_ssm import LinearGaussianSSM

    return LinearGaussianSSM(
        _get(sizes, "state_dim", STATE_DIM), _get(sizes, "emission_dim", LGSSM_EMISSION_DIM)
    )


@cache
def _lgssm_fitted() -> dict:
    """One linear Gaussian SSM, its parameters, sampled data and E-step statistics."""
    with _unchecked():
        return _lgssm_fitted_impl()


def _lgssm_fitted_impl() -> dict:
    import jax

    model = lgssm_model({})
    params, props = model.initialize(_key(4))
    keys = jax.random.split(_key(5), BATCH)
    states, emissions = jax.vmap(lambda k: model.sample(params, k, NUM_TIMESTEPS))(keys)
    stats, _ = jax.vmap(lambda y: model.e_step(params, y))(emissions)
    return {
        "params": params,
        "props": props,
        "states": states[0],
        "emissions": emissions[0],
        "batch_stats": stats,
        "m_step_state": model.initialize_m_step_state(params, props),
    }


def lgssm_params():
    """A LinearGaussianSSM(STATE_DIM, LGSSM_EMISSION_DIM): its parameters, from initialize."""
    return _lgssm_fitted()["params"]


def lgssm_props():
    """The same model's parameter properties."""
    return _lgssm_fitted()["props"]


def lgssm_emissions():
    """A sequence of emissions sampled from it."""
    return _lgssm_fitted()["emissions"]


def lgssm_batch_stats():
    """The E-step statistics of a batch of sequences sampled from it."""
    return _lgssm_fitted()["batch_stats"]


def lgssm_m_step_state():
    """Its M-step state (from initialize_m_step_state)."""
    return _lgssm_fitted()["m_step_state"]
