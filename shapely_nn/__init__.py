"""shapely_nn: semantic tensor axes for JAX and NumPy.

Declare what each axis means, annotate with plain jaxtyping types, and let
`@sn.shaped` check shapes at call time and while `jax.jit` traces.
"""

from ._axes import KINDS as KINDS
from ._axes import Axis as Axis
from ._axes import AxisRegistry as AxisRegistry
from ._axes import axes as axes
from ._axes import axis as axis
from ._config import MODES as MODES
from ._config import get_mode as get_mode
from ._config import mode as mode
from ._config import set_mode as set_mode
from ._decorator import shaped as shaped
from ._errors import AnnotationError as AnnotationError
from ._errors import AxisConflictError as AxisConflictError
from ._errors import ShapeError as ShapeError
from ._errors import ShapelyError as ShapelyError
from ._errors import ValueConstraintError as ValueConstraintError

__version__ = "0.1.0"

__all__ = [
    "KINDS",
    "MODES",
    "AnnotationError",
    "Axis",
    "AxisConflictError",
    "AxisRegistry",
    "ShapeError",
    "ShapelyError",
    "ValueConstraintError",
    "axes",
    "axis",
    "get_mode",
    "mode",
    "set_mode",
    "shaped",
]
