"""No false alarms on real code: run shapely_nn over packages that annotate with
jaxtyping shape strings (opt-in; needs the packages installed).

    pip install interpax
    python benchmarks/real_packages.py interpax

For each package: `sn.check_package` instruments it at import, then every
annotated function is run through `sn.testing.check`. Prints functions checked,
passed, failed (with the first failing property) and skipped (grouped by
reason), so each failure can be triaged as a bug there or here.
"""

from __future__ import annotations

import collections
import sys
import time

import shapely_nn as sn


def main(packages: list[str]) -> int:
    for pkg in packages:
        sn.check_package(pkg)
    from shapely_nn.testing._api import discover, run_case

    bad = 0
    for pkg in packages:
        start = time.perf_counter()
        cases = discover(pkg)
        counts: collections.Counter[str] = collections.Counter()
        reasons: collections.Counter[str] = collections.Counter()
        failures: list[str] = []
        for name, obj in cases:
            try:
                report = run_case(obj, {"examples": 3})
            except Exception as e:  # shapely_nn itself crashed: always a bug here
                counts["crashed"] += 1
                failures.append(f"{name}: shapely_nn raised {type(e).__name__}: {e}")
                continue
            if report.failed:
                counts["failed"] += 1
                r = report.failed[0]
                failures.append(f"{name}[{r.prop}]: {r.reason.splitlines()[0]}")
            elif report.passed:
                counts["passed"] += 1
            else:
                counts["skipped"] += 1
                reasons[report.results[0].reason.split(":")[0]] += 1
        bad += counts["failed"] + counts["crashed"]
        print(
            f"{pkg}: {len(cases)} annotated functions in {time.perf_counter() - start:.0f}s: "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
        for reason, n in reasons.most_common():
            print(f"  skipped {n}: {reason}")
        for f in failures:
            print(f"  FAIL {f}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["interpax"]))
