"""No false alarms on real code: run shapely_nn over packages that annotate with
jaxtyping shape strings (opt-in; needs the packages installed).

    pip install interpax==0.3.16 gpjax==1.0.0
    python benchmarks/real_packages.py interpax gpjax [--verbose]

For each package: `sn.check_package` instruments it at import (every annotated
function becomes `@sn.shaped`), then every annotated function, and every
annotated method on an instance built from its constructor, is run through
`sn.testing.check`. Prints functions checked, passed, failed and skipped
(grouped by reason), the functions `check_package` had to leave unchecked
(annotations it cannot use), and the modules skipped for a missing optional
dependency. Each failure is either a bug in that package (listed in KNOWN_BUGS
with the evidence) or a bug in shapely_nn; the exit status is 1 when a failure
is not a known bug of the package, or when shapely_nn itself crashed.
"""

from __future__ import annotations

import collections
import re
import sys
import time
import warnings

import shapely_nn as sn

# Failures that are bugs in the package, each checked by hand (see the docs page
# "Tried on real packages" for the reproductions).
KNOWN_BUGS: dict[str, dict[str, str]] = {
    "interpax": {
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
        "likelihoods.AbstractLikelihood.expected_log_likelihood": (
            "annotated for y, mean, variance of shape 'N D', but GHQuadratureIntegrator "
            "computes mean + sd * gh_points, which broadcasts (N, D) against the "
            "(num_points,) quadrature nodes: right only for D=1, an error for other D, "
            "and silently wrong for D=num_points (20); tested on Bernoulli(), the "
            "first concrete subclass"
        )
    },
}

# Failures that are nobody's bug: the function needs state, or has side effects,
# that no annotation can state (each checked by hand).
NOT_BUGS: dict[str, dict[str, str]] = {
    "diffrax": {
        "_progress_meter.TextProgressMeter.close": (
            "closes the progress bar of a meter state made by init(); a drawn state "
            "names a bar that was never opened (KeyError in the callback)"
        ),
        "_progress_meter.TextProgressMeter.init": (
            "opens a new progress bar on every call (a global counter behind an "
            "io_callback), so the jitted and the eager call return different indices"
        ),
        "_progress_meter.TextProgressMeter.step": (
            "updating a progress bar is not differentiable (equinox's unvmap_max has "
            "no derivative rule): the grad property does not apply"
        ),
        "_step_size_controller.constant.StepTo.wrap": (
            "StepTo(ts) needs strictly increasing ts, checked with eqx.error_if when "
            "the controller is used; drawn ts are random"
        ),
    },
}

# skip reasons grouped into what a user would have to do about them
_CATEGORIES = [
    (
        r"is one of its abstract methods",
        "an abstract method (each annotated override is tested on its own)",
    ),
    (
        r"no concrete subclass",
        "method of an abstract class no concrete subclass of which can be built",
    ),
    (
        r"raised \w+(Error|Exception)?:",
        "constructor rejects drawn arguments (a precondition no annotation states)",
    ),
    (
        r"cannot build an instance .*(no annotation and no default|cannot draw argument)",
        "constructor needs a non-array argument with no default (an object, a callable)",
    ),
    (
        r"(no annotation and no default|cannot draw argument)",
        "needs a non-array argument with no default (a model, a kernel, a callable); "
        "pass it with fixed=",
    ),
    (r"no jaxtyping array annotations", "no array annotations"),
]


def _category(reason: str) -> str:
    for pattern, label in _CATEGORIES:
        if re.search(pattern, reason):
            return label
    return reason.splitlines()[0]


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    packages = [a for a in argv if not a.startswith("-")] or ["interpax"]
    from shapely_nn.testing._generate import discover, run_case

    bad = 0
    # every package is instrumented before any is imported (diffrax imports optimistix)
    sn.check_package(packages)
    for pkg in packages:
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cases = discover(pkg)
        messages = [str(w.message) for w in caught]
        unchecked = [
            m
            for w, m in zip(caught, messages)
            if w.category is sn.AnnotationWarning and m.startswith(f"shapely_nn leaves {pkg}.")
        ]
        skipped_modules = [m for m in messages if m.startswith(f"shapely_nn skips module {pkg}.")]
        counts: collections.Counter[str] = collections.Counter()
        reasons: collections.Counter[str] = collections.Counter()
        lines: list[str] = []
        known = KNOWN_BUGS.get(pkg, {})
        explained = NOT_BUGS.get(pkg, {})
        for name, obj in cases:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # the package's own warnings
                    report = run_case(obj, {"examples": 3})
            except Exception as e:  # shapely_nn itself crashed: always a bug here
                counts["crashed"] += 1
                bad += 1
                lines.append(f"  CRASH {name}: shapely_nn raised {type(e).__name__}: {e}")
                continue
            if report.failed:
                r = report.failed[0]
                first = f"{name}[{r.prop}]: {r.reason.splitlines()[0]}"
                if name in known:
                    counts["failed (a bug in the package)"] += 1
                    lines.append(f"  FAIL {first}\n       known bug in {pkg}: {known[name]}")
                elif name in explained:
                    counts["failed (a precondition or side effect, not a bug)"] += 1
                    lines.append(f"  FAIL {first}\n       not a bug: {explained[name]}")
                else:
                    counts["failed (unexplained)"] += 1
                    bad += 1
                    lines.append(f"  FAIL {first}\n       NOT a known bug: triage it")
            elif report.passed:
                counts["passed"] += 1
                if verbose:
                    ran = ", ".join(p.prop for p in report.passed)
                    lines.append(f"  pass {name}: {ran}")
            else:
                counts["skipped"] += 1
                reason = report.results[0].reason
                reasons[_category(reason)] += 1
                if verbose:
                    lines.append(f"  skip {name}: {reason.splitlines()[0]}")
        print(
            f"{pkg}: {len(cases)} annotated functions in {time.perf_counter() - start:.0f}s: "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
        for reason, n in reasons.most_common():
            print(f"  skipped {n}: {reason}")
        if unchecked:
            print(
                f"  left unchecked by check_package (annotations it cannot use): {len(unchecked)}"
            )
            for m in unchecked:
                print("    " + " ".join(m.split()))
        for m in skipped_modules:
            print(f"  {m}")
        for line in lines:
            print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
