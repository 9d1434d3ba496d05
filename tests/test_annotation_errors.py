"""Malformed or contradictory annotations fail at decoration time."""

from __future__ import annotations

import jax.numpy as jnp
import pytest
from jaxtyping import Array, Float

import shapely_nn as sn


def test_malformed_annotation_in_a_future_annotations_module():
    def f(x: Float[Array, "a,b"]) -> None: ...  # noqa: F821

    with pytest.raises(sn.AnnotationError) as e:
        sn.shaped(f)
    assert "an annotation could not be evaluated" in str(e.value)
    assert "Axes should be separated with spaces, not commas" in str(e.value)


def test_symbolic_axis_that_nothing_binds():
    def f(x: Float[Array, " n"]) -> Float[Array, " m+1"]: ...

    with pytest.raises(sn.AnnotationError) as e:
        sn.shaped(f)
    assert str(e.value) == (
        "f: the symbolic axis in return: Float[Array, 'm+1'] uses 'm', which no "
        "argument's annotation binds, so it could never be evaluated"
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


def test_undefined_name_reported_at_first_call():
    @sn.shaped
    def f(p: NeverDefined) -> None:  # noqa: F821
        return None

    with pytest.raises(sn.AnnotationError, match="names something undefined"):
        f(1)


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
