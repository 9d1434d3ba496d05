"""`sn.check_package`: check a whole package through jaxtyping's import hook."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence
from typing import Any

from . import _config
from . import _jaxtyping_bridge as jb
from .__about__ import __version__

__all__ = ["check_package"]


def _auto_shaped(obj: Any, class_scope: bool = False) -> Any:
    """What the import hook puts on each function and class of a checked package."""
    if _config.get_mode() == "off" or not inspect.isfunction(obj):
        return obj  # classes are left alone; their methods get decorated one by one
    from ._decorator import decorate

    wrapped = decorate(obj, kinds=None, lenient=True, class_scope=class_scope)
    if wrapped is obj:
        return obj
    # None: a forward reference, resolved at the first call; keep the wrapper
    plan = wrapped.__shapely_nn_built__()
    if plan is not None and not plan.has_arrays():
        return obj  # no jaxtyping annotations: nothing to check, no cost
    wrapped.__shapely_nn_auto__ = True
    return wrapped


def _auto_shaped_class_scope(obj: Any) -> Any:
    return _auto_shaped(obj, class_scope=True)


def check_package(packages: str | Sequence[str], *, class_scope: bool = False) -> Any:
    """Check every function with jaxtyping annotations in `packages`, without
    decorating each one. Call it before the package is first imported:

    ```python
    sn.check_package("mymodel")
    import mymodel          # every annotated function is now @sn.shaped
    ```

    Built on jaxtyping's import hook: functions are wrapped as their module is
    imported; functions without array annotations are left untouched, and
    `@typing.no_type_check` opts one out. If the mode is "off" when a module is
    imported, nothing in it is wrapped (no cost); otherwise the mode at call time
    decides, as for `@sn.shaped`. Returns a handle: `.uninstall()` (or use it as a
    context manager) stops instrumenting later imports.

    Code written for jaxtyping is checked with jaxtyping's meaning, so checking
    someone else's package raises no false alarm:

    - axes are scoped per call, as in jaxtyping: a method's axes are not shared
      with the fields of `self` unless `class_scope=True` (what `@sn.shaped`
      does; gpjax, for one, uses `N` for a field's size and for a method's
      unrelated argument), and a dataclass argument's or return's fields are
      checked among themselves, not against the function's axes (a returned
      batch's `N` is not the dataset's `N`);
    - an annotation shapely_nn cannot use (malformed, or naming an undefined
      array type) leaves that function unchecked with an `sn.AnnotationWarning`
      instead of failing the import; names imported only under
      `if TYPE_CHECKING:` are left unchecked silently.
    """
    names = [packages] if isinstance(packages, str) else list(packages)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise TypeError(f"sn.check_package: expected package names, got {packages!r}")
    for n in names:
        if not all(part.isidentifier() for part in n.split(".")):
            raise ValueError(f"sn.check_package: {n!r} is not a dotted module name")
        if n in sys.modules:
            raise ValueError(
                f"sn.check_package: {n!r} is already imported, so its functions can no "
                f"longer be instrumented. Call sn.check_package({n!r}) before the first "
                "import (in a test suite: --shapely-packages, or the top of conftest.py)."
            )
    key = "shapelynn" + "".join(c for c in __version__ if c.isalnum())
    if class_scope:
        return jb.install_import_hook(names, _auto_shaped_class_scope, key=key + "cs")
    return jb.install_import_hook(names, _auto_shaped, key=key)
