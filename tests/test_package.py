"""sn.check_package: every annotated function of a package checked via the import hook."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid

import jax.numpy as jnp
import pytest

import shapely_nn as sn

MODULE = """
from __future__ import annotations

import dataclasses
from typing import Annotated, no_type_check

import jax
from jaxtyping import Array, Float

import shapely_nn as sn


def matvec(w: Float[Array, "m n"], x: Float[Array, " n"]) -> Float[Array, " m"]:
    return w @ x


def plain(a, b):
    return a + b


def counts(k: int) -> int:
    return k


def relu(x: Float[Array, " n"]) -> Annotated[Float[Array, " n"], sn.NonNegative]:
    return x  # bug: forgot the relu


@no_type_check
def unchecked(x: Float[Array, " n"]) -> Float[Array, " m"]:
    return x


@sn.shaped(kinds={"n": "plain"})
def explicit(x: Float[Array, " n"]) -> Float[Array, " n"]:
    return x


@jax.jit
def jitted(x: Float[Array, "a b"]) -> Float[Array, " a"]:
    return x.sum(1)


@dataclasses.dataclass
class Layer:
    w: Float[Array, "i o"]

    def __call__(self, x: Float[Array, " i"]) -> Float[Array, " o"]:
        return x @ self.w
"""


@pytest.fixture
def package(tmp_path, monkeypatch):
    name = f"snpkg_{uuid.uuid4().hex[:8]}"
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "model.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[mod]


def test_annotated_functions_are_checked(package):
    with sn.check_package(package):
        model = importlib.import_module(f"{package}.model")
    assert model.matvec(jnp.ones((2, 3)), jnp.ones(3)).shape == (2,)
    with pytest.raises(sn.ShapeError, match=r"matvec\(\): argument 'x'"):
        model.matvec(jnp.ones((2, 3)), jnp.ones(4))
    with pytest.raises(sn.ShapeError):
        model.jitted(jnp.ones(3))
    with pytest.raises(sn.ValueConstraintError, match="violates NonNegative"):
        model.relu(-jnp.ones(2))
    layer = model.Layer(jnp.ones((3, 2)))
    assert layer(jnp.ones(3)).shape == (2,)
    with pytest.raises(sn.ShapeError, match=r"Layer.__call__\(\): argument 'x'"):
        layer(jnp.ones((3, 1)))  # the method's own annotations are still checked


def test_methods_do_not_share_axes_with_fields_by_default(package):
    # code written for jaxtyping: a method's `i` is its own, as in jaxtyping
    # (gpjax's GraphKernel uses N for a field's size and for a method's argument)
    with sn.check_package(package):
        model = importlib.import_module(f"{package}.model")
    layer = model.Layer(jnp.ones((3, 2)))
    with pytest.raises(TypeError, match="dot_general"):
        layer(jnp.ones(4))  # jax's own error: the fields of self bind nothing


def test_class_scope_shares_axes_with_fields(package):
    with sn.check_package(package, class_scope=True):
        model = importlib.import_module(f"{package}.model")
    layer = model.Layer(jnp.ones((3, 2)))
    assert layer(jnp.ones(3)).shape == (2,)
    with pytest.raises(sn.ShapeError, match=r"self\.w"):
        layer(jnp.ones(4))


def test_functions_without_array_annotations_are_untouched(package):
    with sn.check_package(package):
        model = importlib.import_module(f"{package}.model")
    assert not hasattr(model.plain, "__wrapped__")
    assert not hasattr(model.counts, "__wrapped__")
    assert model.unchecked(jnp.ones(2)).shape == (2,)  # @no_type_check opts out


def test_explicit_decoration_is_not_doubled(package):
    with sn.check_package(package):
        model = importlib.import_module(f"{package}.model")
    assert not getattr(model.explicit, "__shapely_nn_auto__", False)
    assert not hasattr(model.explicit.__wrapped__, "__wrapped__")
    assert model.explicit.__shapely_nn_kinds__ == {"n": "plain"}


def test_mode_off_at_import_wraps_nothing(package):
    with sn.mode("off"), sn.check_package(package):
        model = importlib.import_module(f"{package}.model")
    assert not hasattr(model.matvec, "__wrapped__")
    model.matvec(jnp.ones((2, 3)), jnp.ones(3))


def test_already_imported_package_is_refused(package):
    importlib.import_module(package)
    with pytest.raises(ValueError, match="is already imported"):
        sn.check_package(package)


def test_bad_names_are_refused():
    with pytest.raises(TypeError, match="expected package names"):
        sn.check_package([])
    with pytest.raises(ValueError, match="not a dotted module name"):
        sn.check_package("not a name")


def test_uninstall_stops_instrumenting(package):
    hook = sn.check_package(package)
    hook.uninstall()
    model = importlib.import_module(f"{package}.model")
    assert not hasattr(model.matvec, "__wrapped__")


BROKEN = """
from __future__ import annotations

from typing import TYPE_CHECKING

from jaxtyping import Array, Float

if TYPE_CHECKING:
    from config import Config


def ellipsis_shape(x: Float[Array, ...]) -> Float[Array, ...]:
    return x


def comma(x: Float[Array, "a,b"]) -> None:
    return None


def typo(x: Flaot[Array, " n"]) -> Float[Array, " n"]:
    return x


def configured(x: Float[Array, " n"], cfg: Config) -> Float[Array, " n"]:
    return x
"""


def test_unusable_annotations_warn_and_leave_the_function_unchecked(tmp_path, monkeypatch):
    name = f"snbroken_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(BROKEN)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with sn.check_package(name), pytest.warns(sn.AnnotationWarning) as record:
            mod = importlib.import_module(name)  # the import itself succeeds
        messages = [str(w.message) for w in record]
        assert any(
            m.startswith(f"shapely_nn leaves {name}.ellipsis_shape unchecked:")
            and "the shape must be a string" in m
            for m in messages
        )
        assert any(f"{name}.comma unchecked" in m and "'a,b'" in m for m in messages)
        assert mod.ellipsis_shape(jnp.ones((2, 2))).shape == (2, 2)  # runs unchecked
        # an undefined array type is found at the first call: warned, then unchecked
        with pytest.warns(sn.AnnotationWarning, match=r"(?s)typo unchecked.*did you mean 'Float'"):
            assert mod.typo(jnp.ones(3)).shape == (3,)
        # a name imported only for type checkers: that argument is not checked,
        # the array annotations are
        assert mod.configured(jnp.ones(3), cfg=object()).shape == (3,)
        with pytest.raises(sn.ShapeError, match=r"configured\(\): argument 'x'"):
            mod.configured(jnp.ones((3, 1)), cfg=None)
    finally:
        sys.modules.pop(name, None)
