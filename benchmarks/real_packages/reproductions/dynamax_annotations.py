"""Standalone reproductions of the dynamax 1.0.3 bugs the real-package runs found
(no shapely_nn): python dynamax_annotations.py"""

# ruff: noqa: E402  (warnings are silenced before dynamax is imported)
import typing
import warnings

warnings.simplefilter("ignore")
import dynamax.hidden_markov_model as hmm
import jax
import jax.numpy as jnp
import jax.random as jr
from dynamax.hidden_markov_model.inference import (
    HMMPosterior,
    hmm_fixed_lag_smoother,
    hmm_smoother,
    hmm_two_filter_smoother,
)
from dynamax.hidden_markov_model.models.abstractions import HMMTransitions
from dynamax.hidden_markov_model.models.bernoulli_hmm import (
    BernoulliHMMEmissions,
    ParamsBernoulliHMMEmissions,
)
from dynamax.hidden_markov_model.models.categorical_hmm import (
    CategoricalHMMEmissions,
    ParamsCategoricalHMMEmissions,
)
from dynamax.hidden_markov_model.models.gaussian_hmm import GaussianHMMEmissions
from dynamax.linear_gaussian_ssm import LinearGaussianSSM
from dynamax.linear_gaussian_ssm.info_inference import (
    ParamsLGSSMInfo,
    lds_to_block_tridiag,
    lgssm_info_filter,
)
from dynamax.parameters import log_det_jac_constrain
from jaxtyping import Array, Float


def show(label, f):
    try:
        print(f"{label}: {f()}")
    except Exception as e:
        print(f"{label}: {type(e).__name__}: {str(e).splitlines()[0][:150]}")


key = jr.PRNGKey(0)
K, D, C, T = 3, 2, 3, 6

print("(a) log_prior under jit with the parameters closed over, then eagerly")
em = GaussianHMMEmissions(K, D)
params, props = em.initialize(key)
show("  jit", lambda: jax.jit(lambda: em.log_prior(params))())
show("  eager afterwards", lambda: em.log_prior(params))
model = hmm.GaussianHMM(K, D)
p2, pr2 = model.initialize(key)
show("  log_det_jac_constrain jit", lambda: jax.jit(lambda: log_det_jac_constrain(p2, pr2))())
show("  log_det_jac_constrain eager afterwards", lambda: log_det_jac_constrain(p2, pr2))

import dynamax.hidden_markov_model.models.gaussian_hmm as gh
import dynamax.hidden_markov_model.models.gmm_hmm as gm

for label, comp in [
    ("SharedCovarianceGaussianHMMEmissions", gh.SharedCovarianceGaussianHMMEmissions(K, D)),
    ("SphericalGaussianHMMEmissions", gh.SphericalGaussianHMMEmissions(K, D)),
    ("GaussianMixtureHMMEmissions", gm.GaussianMixtureHMMEmissions(K, 2, D)),
    ("GaussianHMM (HMM.log_prior)", hmm.GaussianHMM(K, D)),
]:
    pp, _ = comp.initialize(key)
    show(f"  {label}.log_prior jit", lambda: jax.jit(lambda: comp.log_prior(pp))())
    show(f"  {label}.log_prior eager afterwards", lambda: comp.log_prior(pp))
lgm = LinearGaussianSSM(2, 3)
lgp, lgpr = lgm.initialize(key)
_, ly = lgm.sample(lgp, key, T)
show(
    "  SSM.fit_sgd (LinearGaussianSSM) jit",
    lambda: jax.jit(lambda: lgm.fit_sgd(lgp, lgpr, ly, num_epochs=2)[1])(),
)
show("  SSM.fit_sgd eager afterwards", lambda: lgm.fit_sgd(lgp, lgpr, ly, num_epochs=2)[1])

print("(b) most_likely_states: annotated Float[Array, 'num_timesteps']")
_, y = model.sample(p2, key, T)
z = model.most_likely_states(p2, y)
print(
    "  returns", z.dtype, z.shape, "isinstance Float[Array,'t']:", isinstance(z, Float[Array, "t"])
)

print(
    "(c) HMMTransitions.collect_suff_stats returns inputs unchanged, annotated 'num_timesteps-1 input_dim'"
)
print("  annotation:", typing.get_type_hints(HMMTransitions.collect_suff_stats)["return"])
post = model.smoother(p2, y)
u = jnp.ones((T, 2))
_, inputs_out = HMMTransitions.collect_suff_stats(
    model.transition_component, p2.transitions, post, u
)
print("  inputs", u.shape, "-> returned", inputs_out.shape, "(num_timesteps-1 would be", T - 1, ")")

print(
    "(d) BernoulliHMMEmissions: ParamsBernoulliHMMEmissions.probs annotated",
    typing.get_type_hints(ParamsBernoulliHMMEmissions)["probs"],
)
bp, _ = BernoulliHMMEmissions(K, D).initialize(key)
print(
    "  initialize gives probs of shape",
    bp.probs.shape,
    "isinstance Float[Array,'emission_dim']:",
    isinstance(bp.probs, Float[Array, "emission_dim"]),
)

print(
    "(e) CategoricalHMMEmissions: ParamsCategoricalHMMEmissions.probs annotated",
    typing.get_type_hints(ParamsCategoricalHMMEmissions)["probs"],
)
cp, _ = CategoricalHMMEmissions(K, D, C).initialize(key)
print(
    "  initialize gives probs of shape",
    cp.probs.shape,
    "isinstance Float[Array,'s e']:",
    isinstance(cp.probs, Float[Array, "s e"]),
)

print(
    "(f) hmm_smoother / hmm_two_filter_smoother with compute_trans_probs passed (not static under jit)"
)
pi = jnp.ones(K) / K
A = jnp.full((K, K), 1.0 / K)
ll = jr.normal(key, (T, K))
show(
    "  hmm_smoother(..., compute_trans_probs=True)",
    lambda: hmm_smoother(pi, A, ll, compute_trans_probs=True).marginal_loglik,
)
show(
    "  hmm_two_filter_smoother(..., compute_trans_probs=True)",
    lambda: hmm_two_filter_smoother(pi, A, ll, compute_trans_probs=True).marginal_loglik,
)

print(
    "(g) hmm_fixed_lag_smoother returns HMMPosterior, marginal_loglik annotated",
    typing.get_type_hints(HMMPosterior)["marginal_loglik"],
)
print("  marginal_loglik shape:", hmm_fixed_lag_smoother(pi, A, ll, 2).marginal_loglik.shape)

print("(h) lds_to_block_tridiag(lds: ParamsLGSSM, ...) on a ParamsLGSSM")
lg = LinearGaussianSSM(2, 3)
lp, _ = lg.initialize(key)
show(
    "  lds_to_block_tridiag", lambda: lds_to_block_tridiag(lp, jnp.ones((T, 3)), jnp.zeros((T, 1)))
)

print(
    "(i) lgssm_info_filter with dynamics_input_weights of its annotated shape",
    typing.get_type_hints(ParamsLGSSMInfo)["dynamics_input_weights"],
)
S, E, M = 2, 3, 4  # state_dim, emission_dim, input_dim
info = ParamsLGSSMInfo(
    initial_mean=jnp.zeros(S),
    dynamics_weights=jnp.eye(S),
    emission_weights=jnp.ones((E, S)),
    initial_precision=jnp.eye(S),
    dynamics_precision=jnp.eye(S),
    emission_precision=jnp.eye(E),
    dynamics_input_weights=jnp.zeros((M, S)),
    dynamics_bias=jnp.zeros(S),
    emission_input_weights=jnp.zeros((M, E)),
    emission_bias=jnp.zeros(E),
)
show(
    "  lgssm_info_filter (B: input_dim x state_dim)",
    lambda: lgssm_info_filter(info, jnp.ones((T, E)), jnp.ones((T, M))).filtered_etas.shape,
)
info_t = info._replace(
    dynamics_input_weights=jnp.zeros((S, M)), emission_input_weights=jnp.zeros((E, M))
)
show(
    "  lgssm_info_filter (B: state_dim x input_dim)",
    lambda: lgssm_info_filter(info_t, jnp.ones((T, E)), jnp.ones((T, M))).filtered_etas.shape,
)
