"""Parameter wrappers whose field annotations describe the array they wrap.

Libraries built on equinox or flax store parameters in wrappers and annotate
the field with the array inside: gpjax writes `laplacian: Float[Array, "N N"]`
and stores `paramax.non_trainable(laplacian)`; flax code stores `nnx.Param`
objects. A field check compares the wrapped array with the annotation. Only
wrappers of libraries already imported are recognised (nothing is imported
here), and only after the value itself failed to match, so plain fields cost
nothing.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["unwrap_field"]


def unwrap_field(value: Any) -> Any:
    """The array inside a known parameter wrapper, else `value` itself."""
    paramax = sys.modules.get("paramax")
    if paramax is not None:
        base = getattr(paramax, "AbstractUnwrappable", None)
        if base is not None and isinstance(value, base):
            unwrap = getattr(paramax, "unwrap", None)
            if unwrap is not None:
                return unwrap(value)
    nnx = sys.modules.get("flax.nnx")
    if nnx is not None:
        variable = getattr(nnx, "Variable", None)
        if variable is not None and isinstance(value, variable):
            return value.value
    return value
