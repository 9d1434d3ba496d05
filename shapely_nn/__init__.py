"""shapely_nn: semantic tensor axes for JAX and NumPy.

Declare what each axis means, annotate with plain jaxtyping types, and let
`@sn.shaped` check shapes at call time and while `jax.jit` traces.
"""

from .__about__ import __version__ as __version__
from ._annotate import Recording as Recording
from ._annotate import record as record
from ._axes import KINDS as KINDS
from ._axes import Axis as Axis
from ._axes import AxisRegistry as AxisRegistry
from ._axes import axes as axes
from ._axes import axis as axis
from ._config import MODES as MODES
from ._config import get_check_traced as get_check_traced
from ._config import get_mode as get_mode
from ._config import mode as mode
from ._config import set_check_traced as set_check_traced
from ._config import set_mode as set_mode
from ._constraints import Constraint as Constraint
from ._constraints import Finite as Finite
from ._constraints import IndexInto as IndexInto
from ._constraints import NonNegative as NonNegative
from ._constraints import Positive as Positive
from ._constraints import Probability as Probability
from ._constraints import Simplex as Simplex
from ._constraints import Violation as Violation
from ._decorator import shaped as shaped
from ._errors import AnnotationError as AnnotationError
from ._errors import AnnotationWarning as AnnotationWarning
from ._errors import AxisConflictError as AxisConflictError
from ._errors import ShapeError as ShapeError
from ._errors import ShapelyError as ShapelyError
from ._errors import ValueConstraintError as ValueConstraintError
from ._package import check_package as check_package
from ._render import describe as describe

__all__ = [
    "KINDS",
    "MODES",
    "AnnotationError",
    "AnnotationWarning",
    "Axis",
    "AxisConflictError",
    "AxisRegistry",
    "Constraint",
    "Finite",
    "IndexInto",
    "NonNegative",
    "Positive",
    "Probability",
    "Recording",
    "ShapeError",
    "ShapelyError",
    "Simplex",
    "ValueConstraintError",
    "Violation",
    "axes",
    "axis",
    "check_package",
    "describe",
    "get_check_traced",
    "get_mode",
    "mode",
    "record",
    "set_check_traced",
    "set_mode",
    "shaped",
]


def __getattr__(name: str) -> object:
    # `sn.testing` imports jax: loaded on first use, not with the package
    if name == "testing":
        import importlib

        return importlib.import_module(".testing", __name__)
    raise AttributeError(f"module 'shapely_nn' has no attribute {name!r}")
