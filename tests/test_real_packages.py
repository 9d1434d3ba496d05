"""Real code, as a user would run it (opt-in: slow, and needs the packages).

    pip install -e . interpax==0.3.16 gpjax==1.0.0 diffrax==0.7.2 dynamax==1.0.3 \\
        flowjax==19.1.2 distreqx==0.0.3      # brings lineax and optimistix too
    python -m pytest -m slow tests/test_real_packages.py

Runs benchmarks/real_packages.py on each installed package, both ways (`check`:
what `shapely-nn check PKG --config benchmarks/real_packages/PKG.toml` does;
`instrumented`: the same after `sn.check_package(PKG)`), with the configuration
that ships with the benchmark. Each run must hold the bars of "Tried on real
packages": at least 70% of the annotated functions exercised, no failure that is
not a known bug of the package (a false alarm), and no crash of shapely_nn.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "interpax",
    "gpjax",
    "lineax",
    "optimistix",
    "diffrax",
    "dynamax",
    "flowjax",
    "distreqx",
]


def _row(stdout: str, package: str, mode: str) -> dict[str, str]:
    """The figures of one run, from the markdown table the script prints last."""
    lines = [ln for ln in stdout.splitlines() if ln.startswith("| ")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    for ln in lines[2:]:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        if cells[:2] == [package, mode]:
            return dict(zip(head, cells))
    raise AssertionError(f"no row for {package} ({mode}) in:\n{stdout[-3000:]}")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["check", "instrumented"])
@pytest.mark.parametrize("package", PACKAGES)
def test_a_real_package_is_exercised_without_false_alarms(package, mode):
    pytest.importorskip(package)
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "real_packages.py"), package, "--mode", mode],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=ROOT,
    )
    report = r.stdout[-6000:] + r.stderr[-3000:]
    assert r.returncode == 0, report  # a false alarm or a crash
    row = _row(r.stdout, package, mode)
    assert row["false alarms"] == "0" and row["crashes"] == "0", report
    found, exercised = int(row["found"]), int(row["exercised"].split()[0])
    assert found > 0 and exercised >= 0.7 * found, report
