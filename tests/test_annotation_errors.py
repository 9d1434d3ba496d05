"""Malformed or contradictory annotations fail at decoration time."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import pytest
from jaxtyping import Array, Float

import shapely_nn as sn


def test_malformed_annotation_points_at_the_bad_token():
    def f(x: Float[Array, "a b,c"]) -> None: ...

    with pytest.raises(sn.AnnotationError) as e:
        sn.shaped(f)
    assert str(e.value) == (
        "f: the annotation of argument 'x' is malformed:\n"
        "    Float[Array, 'a b,c']\n"
        "                    ^^^\n"
        "  'b,c': Axes should be separated with spaces, not commas"
    )


def test_second_variadic_is_the_token_blamed():
    def f(x: Float[Array, " n"], y: Float[Array, "*a n *b"]) -> None: ...

    with pytest.raises(sn.AnnotationError) as e:
        sn.shaped(f)
    lines = str(e.value).splitlines()
    assert lines[0] == "f: the annotation of argument 'y' is malformed:"
    assert lines[1:3] == ["    Float[Array, '*a n *b']", "                       ^^"]
    assert lines[3].startswith("  '*b': ")


def test_ellipsis_instead_of_a_shape_string():
    def f(x: Float[Array, " n"]) -> Float[Array, ...]: ...

    with pytest.raises(sn.AnnotationError) as e:
        sn.shaped(f)
    assert str(e.value) == (
        "f: the return annotation is malformed:\n"
        "    Float[Array, ...]\n"
        "                 ^^^\n"
        "  the shape must be a string: write Float[Array, '...'] for an array of any shape"
    )


def test_annotation_jaxtyping_cannot_build_names_the_argument():
    def f(x: Float[Array]) -> None: ...

    with pytest.raises(sn.AnnotationError) as e:
        sn.shaped(f)
    assert str(e.value).startswith(
        "f: the annotation of argument 'x' could not be evaluated:\n    Float[Array]\n  ValueError: "
    )


def test_malformed_field_annotation_names_the_field():
    @dataclasses.dataclass
    class BadParams:
        w: Float[Array, "in,out"]

    def f(p: BadParams) -> None: ...

    with pytest.raises(sn.AnnotationError) as e:
        sn.shaped(f)
    assert "the annotation of field " in str(e.value)
    assert "BadParams.w is malformed" in str(e.value)
    assert "'in,out': Axes should be separated with spaces" in str(e.value)


def test_symbolic_axis_that_nothing_binds():
    def f(x: Float[Array, " n"]) -> Float[Array, " m+1"]: ...

    with pytest.raises(sn.AnnotationError) as e:
        sn.shaped(f)
    assert str(e.value) == (
        "f: the symbolic axis 'm+1' in return uses 'm', which neither an axis of an "
        "argument nor an int argument binds, so it could never be evaluated:\n"
        "    Float[Array, 'm+1']\n"
        "                  ^^^"
    )


def test_symbolic_axis_that_is_not_python():
    def f(x: Float[Array, " n"]) -> Float[Array, " n+*2"]: ...

    with pytest.raises(
        sn.AnnotationError, match=r"symbolic axis 'n\+\*2'.*is not a valid Python expression"
    ):
        sn.shaped(f)


def test_axis_used_as_single_and_variadic():
    def f(x: Float[Array, "*batch n"], y: Float[Array, " batch"]) -> None: ...

    with pytest.raises(sn.AnnotationError, match="used both as a single axis and as a variadic"):
        sn.shaped(f)


def test_kinds_override_must_name_a_used_axis_and_a_valid_kind():
    def f(x: Float[Array, "batch n"]) -> None: ...

    with pytest.raises(
        sn.AnnotationError, match="overrides axis 'bach', which none of its annotations uses"
    ):
        sn.shaped(kinds={"bach": "plain"})(f)
    with pytest.raises(ValueError, match="unknown axis kind 'flat'"):
        sn.shaped(kinds={"batch": "flat"})(f)


def test_forward_reference_resolved_at_first_call():
    @sn.shaped
    def f(p: LaterParams) -> Float[Array, " n"]:
        return p.w

    assert f(LaterParams(jnp.ones(3))).shape == (3,)


def test_undefined_name_in_an_array_annotation_reported_at_first_call():
    @sn.shaped
    def f(x: Flaot[Array, " n"]) -> None:  # noqa: F821
        return None

    with pytest.raises(sn.AnnotationError) as e:
        f(jnp.ones(3))
    assert str(e.value) == (
        "f: the annotation of argument 'x' names something undefined:\n"
        "    Flaot[Array, ' n']\n"
        "  NameError: name 'Flaot' is not defined (did you mean 'Float'?)"
    )


def test_names_that_exist_only_for_type_checkers_are_left_unchecked():
    # `if TYPE_CHECKING: from config import Config` is never defined at run time:
    # that annotation is not checked, the array annotations still are
    @sn.shaped
    def f(x: Float[Array, " n"], cfg: OnlyForTypeCheckers) -> Float[Array, " n"]:  # noqa: F821
        return x * 2

    assert f(jnp.ones(3), cfg="anything").shape == (3,)
    assert jax.jit(f, static_argnums=1)(jnp.ones(3), "cfg").shape == (3,)
    with pytest.raises(sn.ShapeError, match="argument 'x'"):
        f(jnp.ones((3, 2)), cfg=None)


def test_undefined_field_type_left_unchecked_but_array_fields_checked():
    @dataclasses.dataclass
    class Params:
        w: Float[Array, "n m"]
        opt: OnlyForTypeCheckers  # noqa: F821

    @sn.shaped
    def f(p: Params, x: Float[Array, " m"]) -> Float[Array, " n"]:
        return p.w @ x

    assert f(Params(jnp.ones((2, 3)), None), jnp.ones(3)).shape == (2,)
    with pytest.raises(sn.ShapeError, match=r"m=3 was bound by p\.w\.shape\[1\]"):
        f(Params(jnp.ones((2, 3)), None), jnp.ones(4))


class LaterParams:
    def __init__(self, w):
        self.w = w


def test_declared_size_is_enforced():
    sn.axis("tae_rgb", "colour channels", size=3)

    @sn.shaped
    def f(x: Float[Array, "h tae_rgb"]) -> None:
        return None

    f(jnp.ones((2, 3)))
    with pytest.raises(sn.ShapeError) as e:
        f(jnp.ones((2, 4)))
    assert "tae_rgb=3 was bound by sn.axis('tae_rgb', size=3), but x.shape[1] is 4" in " ".join(
        str(e.value).split()
    )


def test_symbolic_axis_in_a_method_may_use_the_fields_of_self():
    import equinox as eqx

    class Knots(eqx.Module):
        breaks: Float[Array, " m"]

        @sn.shaped
        def padded(self) -> Float[Array, " m+1"]:
            return jnp.concatenate([self.breaks, self.breaks[-1:]])

    assert Knots(jnp.ones(3)).padded().shape == (4,)


def test_negative_fixed_size_is_refused():
    def f(x: Float[Array, "n -1"]) -> None: ...  # noqa: F821

    with pytest.raises(sn.AnnotationError) as e:
        sn.shaped(f)
    assert str(e.value) == (
        "f(), argument 'x': the axis '-1' is a negative size, which no array has:\n"
        "    Float[Array, 'n -1']\n"
        "                    ^^"
    )
