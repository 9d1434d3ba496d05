"""No false alarms on real code: run shapely_nn over packages that annotate with
jaxtyping shape strings, as a user would (opt-in; needs the packages installed).

    pip install -e . interpax==0.3.16 gpjax==1.0.0 diffrax==0.7.2 dynamax==1.0.3 \\
        flowjax==19.1.2 distreqx==0.0.3      # brings lineax 0.1.1, optimistix 0.1.0
    python benchmarks/real_packages.py interpax gpjax lineax optimistix diffrax dynamax \
        flowjax distreqx [--mode check|instrumented|both] [--verbose]

Each package is run two ways, each in a fresh process:

- `check`: what `shapely-nn check PKG --config benchmarks/real_packages/PKG.toml`
  does: every annotated function (jitted, wrapped, private ones and methods
  too) through `sn.testing.check`;
- `instrumented`: the same after `sn.check_package(PKG)` instrumented the
  package at import (every annotated function checks its calls, so the
  package's own calls between its functions are checked too).

The configuration files in `benchmarks/real_packages/` state what the
annotations cannot (size relations, fixed values, factories for objects), the
way a user would write one for a package they do not own; `factories.py` there
holds the factories they name.

Per package and way: annotated functions found, exercised (at least one
property ran), passed, failed with a known bug of the package (KNOWN_BUGS: each
with its reproduction on the docs page "Tried on real packages"), rejected (the
function refused the drawn inputs through its own check), skipped by reason,
and crashes of shapely_nn. A failure that is not a known bug is a false alarm:
the exit status is 1, as it is for a crash.
"""

from __future__ import annotations

import collections
import contextlib
import json
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIGS = HERE / "real_packages"

# Failures that are bugs in the package, each checked by hand (see the docs page
# "Tried on real packages" for the reproductions). Keys are report names.
_PREDICT = (
    "_predict(probs: Float[Array, 'num states']) names two axes where num_states "
    "was meant, so every caller passing a (num_states,) vector fails its annotation"
)
_LGSSM_INFO = (
    "ParamsLGSSMInfo annotates dynamics_input_weights as 'input_dim state_dim' (and "
    "emission_input_weights as 'input_dim emission_dim'), the transpose of ParamsLGSSM's "
    "'state_dim input_dim' that the info filter multiplies with (B @ u): weights of the "
    "annotated shapes raise TypeError in dot_general"
)
_TFP_CACHE = (
    "goes through TFP bijectors (the InverseWishart / NormalInverseWishart priors, the "
    "parameters' constrainers), whose cache keeps values computed while tracing: run under "
    "jax.jit with the parameters closed over (or a failed jit attempt), then eagerly on the "
    "same arrays, it raises UnexpectedTracerError (a bug of TFP's JAX substrate)"
)
_SMOOTHER = (
    "compute_trans_probs: bool is not among the jit's static_argnames, so passing it "
    "(hmm_smoother(..., compute_trans_probs=True)) makes `if compute_trans_probs:` raise "
    "TracerBoolConversionError; also calls _predict, whose 'num states' annotation fails "
    "when checked"
)
KNOWN_BUGS: dict[str, dict[str, str]] = {
    "interpax": {
        "_rbf._build_system": (
            "annotates d as Shaped[Array, ' P *d_shape'] (so a (P,) vector fits), but "
            "reads d.shape[1]: IndexError: tuple index out of range (RBFInterpolator "
            "itself reshapes d to 2-d before calling it)"
        )
    }
    | {
        name: (
            "__call__ annotates xq as Real[ArrayLike, '...'] (any shape), but a 2-D xq "
            "fails inside interp1d/2d/3d (annotated ' Nq'); unchecked, jax raises "
            "'mul got incompatible shapes for broadcasting'"
        )
        for name in (
            "_spline.Interpolator1D.__call__",
            "_spline.Interpolator2D.__call__",
            "_spline.Interpolator3D.__call__",
        )
    },
    "gpjax": {
        f"distributions.GaussianDistribution.{m}": (
            "the constructor annotates scale: Optional[AbstractLinearOperator] with no "
            "default, yet GaussianDistribution(loc, None) fails in covariance, entropy, "
            "log_prob and stddev"
        )
        for m in ("covariance", "entropy", "log_prob", "stddev")
    }
    | {
        name: (
            "annotated for y, mean, variance of shape 'N D', but GHQuadratureIntegrator "
            "computes mean + sd * gh_points, which broadcasts (N, D) against the "
            "(num_points,) quadrature nodes: right only for D=1"
        )
        for name in (
            "likelihoods.AbstractLikelihood.expected_log_likelihood",
            "integrators.GHQuadratureIntegrator.integrate",
            "integrators.AbstractIntegrator.__call__",
        )
    }
    | {
        name: (
            "predict annotates test_inputs Int | Float[Array, 'N D'], then hands them to "
            "DenseKernelComputation._cross_covariance, annotated Float[Array, 'M D']: "
            "integer test inputs fail the package's own annotation (jaxtyping's import "
            "hook with beartype raises TypeCheckError there too)"
        )
        for name in (
            "variational_families.VariationalGaussian.predict",
            "variational_families.DualVariationalGaussian.predict",
            "variational_families.HeteroscedasticVariationalFamily.predict",
            "variational_families.HeteroscedasticVariationalFamily.predict_latents",
        )
    }
    | {
        name: (
            "y_train.squeeze() drops the N axis too when N = 1, so jnp.linalg.solve "
            "gets a 0-d right-hand side: a single training point raises ValueError "
            "(squeeze(-1) was meant)"
        )
        for name in (
            "kernels.additive.decompose._solve_alpha",
            "kernels.additive.decompose.rank_first_order",
            "kernels.additive.decompose.predict_first_order",
            "kernels.additive.sobol.sobol_indices",
        )
    }
    | {
        name: (
            "annotated Float[Array, ...] (the Ellipsis object, not the string '...'): "
            "jaxtyping cannot evaluate it, so typing.get_type_hints raises "
            "AttributeError: 'ellipsis' object has no attribute 'strip'"
        )
        for name in (
            *(
                f"likelihoods.{c}.link_function"
                for c in ("Bernoulli", "Gaussian", "HeteroscedasticGaussian", "Poisson", "StudentT")
            ),
            *(
                f"likelihoods.{c}.{m}"
                for c in ("LogNormalTransform", "SoftplusTransform")
                for m in ("__call__", "moments")
            ),
        )
    },
    "distreqx": {
        "bijectors._bijector.AbstractForwardInverseBijector.forward": (
            "run on the Sigmoid bijector: where(x < -9, exp(x), sigmoid(x)) differentiates "
            "both branches, so for x > 88 in float32 exp(x) is inf and its zero cotangent "
            "makes the gradient NaN (float64: 0)"
        )
    },
    "diffrax": {
        "_term.AdjointTerm.is_vf_expensive": (
            "annotates t0, t1 as RealScalarLike, which admits python floats, then "
            "calls .size on them: AttributeError: 'float' object has no attribute 'size'"
        )
    },
    "dynamax": {
        f"hidden_markov_model.inference.{f}": _PREDICT
        for f in ("_predict", "hmm_backward_filter", "hmm_filter", "hmm_posterior_sample")
    }
    | {
        "hidden_markov_model.inference.hmm_smoother": _SMOOTHER,
        "hidden_markov_model.inference.hmm_two_filter_smoother": _SMOOTHER,
        "hidden_markov_model.inference.hmm_fixed_lag_smoother": (
            "returns an HMMPosterior whose marginal_loglik (annotated Scalar) is the "
            "(num_timesteps,) vector of running log likelihoods; also calls _predict, whose "
            "'num states' annotation fails when checked"
        ),
        "hidden_markov_model.models.abstractions.HMM.most_likely_states": (
            "annotated to return Float[Array, 'num_timesteps'], but returns the Viterbi state "
            "indices (int32) from hmm_posterior_mode, annotated Int[Array, 'num_timesteps']"
        ),
        "hidden_markov_model.models.abstractions.HMMTransitions.collect_suff_stats": (
            "returns its inputs unchanged ('num_timesteps input_dim') as the second output, "
            "annotated 'num_timesteps-1 input_dim'"
        ),
        "hidden_markov_model.models.bernoulli_hmm.BernoulliHMMEmissions.initialize": (
            "ParamsBernoulliHMMEmissions annotates probs as 'emission_dim', but the emission "
            "probabilities are (num_states, emission_dim)"
        ),
        "linear_gaussian_ssm.info_inference.lds_to_block_tridiag": (
            "annotated lds: ParamsLGSSM, but reads lds.initial_mean, lds.dynamics_matrix, "
            "lds.emissions_matrix..., fields no dynamax parameter class has: AttributeError"
        ),
        "linear_gaussian_ssm.info_inference.lgssm_info_filter": _LGSSM_INFO,
        "linear_gaussian_ssm.info_inference.lgssm_info_smoother": _LGSSM_INFO,
    }
    | {
        f"hidden_markov_model.models.categorical_hmm.CategoricalHMMEmissions.{m}": (
            "ParamsCategoricalHMMEmissions annotates probs as 'state_dim emission_dim', but "
            "the emission probabilities are (num_states, emission_dim, num_classes)"
        )
        for m in ("initialize", "distribution", "log_prior")
    }
    | {
        name: _TFP_CACHE
        for name in (
            "hidden_markov_model.models.abstractions.HMM.log_prior",
            *(
                f"hidden_markov_model.models.gaussian_hmm.{c}HMMEmissions.log_prior"
                for c in ("Gaussian", "SharedCovarianceGaussian", "SphericalGaussian")
            ),
            "hidden_markov_model.models.gmm_hmm.GaussianMixtureHMMEmissions.log_prior",
            "parameters.log_det_jac_constrain",
            "ssm.SSM.fit_sgd",
        )
    },
}


def _category(reason: str) -> str:
    """Skip reasons grouped into what a user would do about them."""
    patterns = [
        (r"is one of its abstract methods", "an abstract method (overrides are tested)"),
        (r"no concrete subclass", "method of an abstract class with no buildable subclass"),
        (r"does not apply here \(skip=", "a property the configuration says does not apply"),
        (r"no jaxtyping array annotations", "no array annotations"),
        (r"not installed", "an optional dependency is not installed"),
        (r"cannot build an instance", "no instance to call the method on"),
        (r"cannot (draw|build|make) (argument|a function)", "an argument nothing can draw"),
        (r"has no annotation and no default", "an argument nothing can draw"),
    ]
    for pattern, label in patterns:
        if re.search(pattern, reason):
            return label
    return reason.splitlines()[0][:120]


PER_FUNCTION_S = 240  # a function still running after this is stopped and listed


class _TimeUp(BaseException):
    """A function ran past PER_FUNCTION_S."""


@contextlib.contextmanager
def _time_limit(seconds: int):
    def stop(signum, frame):
        raise _TimeUp()

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_one(pkg: str, mode: str, verbose: bool) -> dict:
    """One package, one way, in this process: the figures, and lines to print."""
    import shapely_nn as sn
    from shapely_nn.testing._generate import case_options, discover, run_case
    from shapely_nn.testing._settings import Settings

    if mode == "instrumented":
        sn.check_package(pkg)
    sys.path.insert(0, str(CONFIGS))
    config = CONFIGS / f"{pkg}.toml"
    settings = Settings.load(config) if config.is_file() else None
    if settings is not None:
        settings.apply()
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cases = discover(pkg)
    messages = [str(w.message) for w in caught]
    counts: collections.Counter[str] = collections.Counter()
    skipped: collections.Counter[str] = collections.Counter()
    lines: list[str] = [f"  {m}" for m in messages if m.startswith("shapely_nn skips module")]
    known = KNOWN_BUGS.get(pkg, {})
    for name, obj in cases:
        counts["found"] += 1
        try:
            with warnings.catch_warnings(), _time_limit(PER_FUNCTION_S):
                warnings.simplefilter("ignore")  # the package's own warnings
                report = run_case(obj, case_options(name, obj, {"examples": 3}, settings))
        except _TimeUp:
            counts["skipped"] += 1
            skipped[f"took over {PER_FUNCTION_S} s (stopped)"] += 1
            lines.append(f"  TIME {name}: stopped after {PER_FUNCTION_S} s")
            continue
        except Exception as e:  # shapely_nn itself crashed: always a bug here
            counts["crashes"] += 1
            lines.append(f"  CRASH {name}: shapely_nn raised {type(e).__name__}: {e}")
            continue
        if report.passed or report.failed:
            counts["exercised"] += 1
        if report.failed:
            r = report.failed[0]
            first = f"{name}[{r.prop}]: {r.reason.splitlines()[0]}"
            if name in known:
                counts["failed: bug in the package"] += 1
                lines.append(f"  FAIL {first}\n       known bug in {pkg}: {known[name]}")
            else:
                counts["failed: false alarm"] += 1
                lines.append(f"  FAIL {first}\n       NOT a known bug: triage it")
        elif report.rejected and not report.passed:
            counts["rejected"] += 1
            lines.append(f"  rejected {name}: {report.rejected[0].reason.split(' (', 1)[-1][:160]}")
        elif report.passed:
            counts["passed"] += 1
            if verbose:
                lines.append(f"  pass {name}: {', '.join(p.prop for p in report.passed)}")
        else:
            counts["skipped"] += 1
            reason = report.results[0].reason
            skipped[_category(reason)] += 1
            if verbose:
                lines.append(f"  skip {name}: {reason.splitlines()[0]}")
    return {
        "package": pkg,
        "mode": mode,
        "counts": dict(counts),
        "skipped": dict(skipped),
        "seconds": round(time.perf_counter() - start),
        "lines": lines,
    }


def main(argv: list[str]) -> int:
    if "--one" in argv:  # a child process: one package, one way
        pkg, mode = argv[argv.index("--one") + 1], argv[argv.index("--mode") + 1]
        print("RESULT " + json.dumps(run_one(pkg, mode, "--verbose" in argv)))
        return 0
    verbose = "--verbose" in argv
    mode = argv[argv.index("--mode") + 1] if "--mode" in argv else "both"
    modes = ["check", "instrumented"] if mode == "both" else [mode]
    skip_values = {mode}
    packages = [a for a in argv if not a.startswith("-") and a not in skip_values]
    bad = 0
    rows = []
    for pkg in packages or ["interpax"]:
        for m in modes:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--one", pkg, "--mode", m]
            r = subprocess.run(
                cmd + (["--verbose"] if verbose else []), capture_output=True, text=True
            )
            result_line = next(
                (ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")), None
            )
            if result_line is None:
                print(f"{pkg} ({m}): the run itself failed\n{r.stdout[-3000:]}{r.stderr[-3000:]}")
                bad += 1
                continue
            res = json.loads(result_line[len("RESULT ") :])
            rows.append(res)
            c = res["counts"]
            bad += c.get("crashes", 0) + c.get("failed: false alarm", 0)
            print(
                f"{pkg} ({m}, {res['seconds']} s): " + ", ".join(f"{k} {v}" for k, v in c.items())
            )
            for reason, n in sorted(res["skipped"].items(), key=lambda kv: -kv[1]):
                print(f"  skipped {n}: {reason}")
            for line in res["lines"]:
                print(line)
    print()
    print(table(rows))
    return 1 if bad else 0


def table(rows: list[dict]) -> str:
    head = (
        "| package | way | found | exercised | passed | failed: real bug | false alarms | "
        "rejected | skipped | crashes | time |"
    )
    out = [head, "| " + " | ".join(["---"] * 11) + " |"]
    for res in rows:
        c = res["counts"]
        found = c.get("found", 0)
        ex = c.get("exercised", 0)
        share = f"{ex} ({100 * ex // max(found, 1)}%)"
        cells = [
            res["package"],
            res["mode"],
            str(found),
            share,
            str(c.get("passed", 0)),
            str(c.get("failed: bug in the package", 0)),
            str(c.get("failed: false alarm", 0)),
            str(c.get("rejected", 0)),
            str(c.get("skipped", 0)),
            str(c.get("crashes", 0)),
            f"{res['seconds']} s",
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
