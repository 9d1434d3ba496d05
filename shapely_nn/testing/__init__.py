"""Tests written from the annotations: `sn.testing.check`, `generate_tests`,
`init`, `dummy_args` and `assert_loss_decreases`."""

from ._check import PROPERTIES as PROPERTIES
from ._check import assert_checks as assert_checks
from ._check import check as check
from ._report import PropertyResult as PropertyResult
from ._report import Report as Report

__all__ = [
    "PROPERTIES",
    "PropertyResult",
    "Report",
    "assert_checks",
    "check",
]
