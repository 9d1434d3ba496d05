"""No false alarms on real code (opt-in: slow, and needs the packages).

    pip install interpax==0.3.16 gpjax==1.0.0   # gpjax brings lineax 0.1.1
    pip install diffrax==0.7.2   # (another environment) brings optimistix 0.1.0
    python -m pytest -m slow tests/test_real_packages.py

Runs benchmarks/real_packages.py on each installed package: every annotated
function through `sn.check_package` and `sn.testing.check`. It fails on a
failure that is not a known bug of the package, or if shapely_nn crashes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.parametrize("package", ["interpax", "gpjax", "lineax", "optimistix", "diffrax"])
def test_no_unexplained_failures(package):
    pytest.importorskip(package)
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "real_packages.py"), package],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    # (the package may print too: diffrax's progress meter does)
    summary = next(line for line in r.stdout.splitlines() if line.startswith(f"{package}: "))
    assert "crashed" not in summary
    assert "failed (unexplained)" not in summary
