"""Strict mode: undeclared axis names and arrays without shape annotations."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import Array, Float

import shapely_nn as sn

sn.axis("ts_batch", "examples", kind="batch")
sn.axis("ts_feature", "features")


@sn.shaped
def declared(x: Float[Array, "ts_batch ts_feature"]) -> Float[Array, " ts_batch"]:
    return x.sum(1)


@sn.shaped
def typo(x: Float[Array, "ts_bacth ts_feature"]) -> Float[Array, " ts_bacth"]:
    return x.sum(1)


@sn.shaped
def unannotated(x: Float[Array, "ts_batch ts_feature"], w, scale: float = 1.0):
    return x.sum() * jnp.sum(jnp.asarray(w)) * scale


@sn.shaped
def shapeless(x: Float[Array, "ts_batch ts_feature"], w: jax.Array) -> jax.Array:
    return x @ w


def test_declared_axes_pass_in_strict_mode():
    with sn.mode("strict"):
        assert declared(jnp.ones((2, 3))).shape == (2,)


def test_undeclared_axis_gets_did_you_mean():
    typo(jnp.ones((2, 3)))  # fine in mode "on"
    with sn.mode("strict"), pytest.raises(sn.AnnotationError) as e:
        typo(jnp.ones((2, 3)))
    assert str(e.value) == (
        "typo(): strict mode: axis 'ts_bacth' is not declared. Did you mean "
        "'ts_batch'? Declare it with sn.axis('ts_bacth', \"what it means\"), or fix the name."
    )


def test_array_without_annotation_is_an_error_in_strict_mode():
    unannotated(jnp.ones((2, 3)), jnp.ones((3, 4)))
    with sn.mode("strict"):
        # a plain number in an unannotated slot is fine
        unannotated(jnp.ones((2, 3)), 2.0)
        with pytest.raises(sn.AnnotationError) as e:
            unannotated(jnp.ones((2, 3)), np.ones((3, 4)))
    assert str(e.value).startswith(
        "unannotated(): strict mode: array argument 'w' has no annotation. Annotate its axes"
    )


def test_array_annotated_without_shape_is_an_error_in_strict_mode():
    shapeless(jnp.ones((2, 3)), jnp.ones((3, 4)))
    with (
        sn.mode("strict"),
        pytest.raises(sn.AnnotationError, match="an annotation without a shape"),
    ):
        shapeless(jnp.ones((2, 3)), jnp.ones((3, 4)))


def test_strict_mode_still_checks_shapes():
    with sn.mode("strict"), pytest.raises(sn.ShapeError):
        declared(jnp.ones((2,)))


def test_strict_mode_leaves_annotated_scalars_alone():
    @sn.shaped
    def scaled(
        x: Float[Array, "ts_batch ts_feature"], lr: float, step: object
    ) -> Float[Array, "ts_batch ts_feature"]:
        return x * lr

    with sn.mode("strict"):
        scaled(jnp.ones((2, 3)), np.float64(0.1), np.ones(3))  # annotated, not as arrays
        unannotated(jnp.ones((2, 3)), np.float32(2.0))  # a numpy scalar is no array argument
