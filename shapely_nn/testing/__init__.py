"""Tests written from the annotations: `sn.testing.check`, `generate_tests`,
`init`, `dummy_args`, `assert_loss_decreases`, and `parity` with the model a
re-implementation re-implements."""

from ._cache import set_cache_dir as set_cache_dir
from ._check import PROPERTIES as PROPERTIES
from ._check import assert_checks as assert_checks
from ._check import check as check
from ._generate import generate_tests as generate_tests
from ._init import dummy_args as dummy_args
from ._init import init as init
from ._parity import assert_parity as assert_parity
from ._parity import parity as parity
from ._parity_match import ParityError as ParityError
from ._parity_report import ParityReport as ParityReport
from ._preconditions import DEFAULT as DEFAULT
from ._preconditions import between as between
from ._preconditions import register as register
from ._report import PropertyResult as PropertyResult
from ._report import Report as Report
from ._train import assert_loss_decreases as assert_loss_decreases

__all__ = [
    "DEFAULT",
    "PROPERTIES",
    "ParityError",
    "ParityReport",
    "PropertyResult",
    "Report",
    "assert_checks",
    "assert_loss_decreases",
    "assert_parity",
    "between",
    "check",
    "dummy_args",
    "generate_tests",
    "init",
    "parity",
    "register",
    "set_cache_dir",
]
