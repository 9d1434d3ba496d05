"""Whole-message tests: one per diagnosis. A change to the wording shows up here."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import pytest
from jaxtyping import Array, Float

import shapely_nn as sn

sn.axis("batch", "independent examples in a minibatch", kind="batch")
sn.axis("time", "sequence step; outputs may only look back", kind="causal")
sn.axis("feature", "input features per step")
sn.axis("hidden", "recurrent state units")


class RNNParams(NamedTuple):
    w_in: Float[Array, "feature hidden"]
    w_rec: Float[Array, "hidden hidden"]
    b: Float[Array, " hidden"]


@sn.shaped
def rnn(
    p: RNNParams,
    h0: Float[Array, "batch hidden"],
    mask: Float[Array, "batch time"],
    xs: Float[Array, "batch time feature"],
) -> Float[Array, "batch time hidden"]:
    return jnp.tanh(xs @ p.w_in)


P = RNNParams(jnp.ones((4, 8)), jnp.ones((8, 8)), jnp.ones(8))
H0 = jnp.zeros((3, 8))
MASK = jnp.ones((3, 5))


def message(*args):
    with pytest.raises(sn.ShapeError) as e:
        rnn(*args)
    return str(e.value)


def test_swapped_axes():
    assert message(P, H0, MASK, jnp.ones((5, 3, 4))) == (
        "rnn(): argument 'xs' does not match its annotation\n"
        "  expected    Float[Array, 'batch time feature']\n"
        "  actual      float32[5, 3, 4] (jax.Array)\n"
        "  axes        batch   = 3  bound by h0.shape[0]      independent examples in a minibatch [batch]\n"
        "              time    = 5  bound by mask.shape[1]    sequence step; outputs may only look back [causal]\n"
        "              feature = 4  bound by p.w_in.shape[0]  input features per step\n"
        "  conflict    batch=3 was bound by h0.shape[0], but xs.shape[0] is 5\n"
        "  diagnosis   (5, 3, 4) is (time, batch, feature): did you swap 'batch' and\n"
        "              'time'? (xs.swapaxes(0, 1) restores the annotated order)\n"
        "  also bound  hidden=8 (p.w_in.shape[1])"
    )


def test_permuted_axes():
    assert message(P, H0, MASK, jnp.ones((4, 3, 5))) == (
        "rnn(): argument 'xs' does not match its annotation\n"
        "  expected    Float[Array, 'batch time feature']\n"
        "  actual      float32[4, 3, 5] (jax.Array)\n"
        "  axes        batch   = 3  bound by h0.shape[0]      independent examples in a minibatch [batch]\n"
        "              time    = 5  bound by mask.shape[1]    sequence step; outputs may only look back [causal]\n"
        "              feature = 4  bound by p.w_in.shape[0]  input features per step\n"
        "  conflict    batch=3 was bound by h0.shape[0], but xs.shape[0] is 4\n"
        "  diagnosis   (4, 3, 5) reads as (feature, batch, time): the axes look\n"
        "              permuted; expected (batch, time, feature). xs.transpose(1, 2, 0)\n"
        "              restores the annotated order\n"
        "  also bound  hidden=8 (p.w_in.shape[1])"
    )


def test_missing_axis():
    assert message(P, H0, MASK, jnp.ones((3, 4))) == (
        "rnn(): argument 'xs' does not match its annotation\n"
        "  expected    Float[Array, 'batch time feature']\n"
        "  actual      float32[3, 4] (jax.Array)\n"
        "  axes        batch   = 3  bound by h0.shape[0]      independent examples in a minibatch [batch]\n"
        "              time    = 5  bound by mask.shape[1]    sequence step; outputs may only look back [causal]\n"
        "              feature = 4  bound by p.w_in.shape[0]  input features per step\n"
        "  problem     2 axes, expected 3 (batch time feature)\n"
        "  diagnosis   an axis is missing: (3, 4) fits (batch, feature), so 'time' (of\n"
        "              (batch, time, feature)) is absent; an axis reduced away without\n"
        "              keepdims=True, or an index like x[:, 0]?\n"
        "  also bound  hidden=8 (p.w_in.shape[1])"
    )


def test_extra_size_one_axis():
    assert message(P, H0, MASK, jnp.ones((3, 5, 4, 1))) == (
        "rnn(): argument 'xs' does not match its annotation\n"
        "  expected    Float[Array, 'batch time feature']\n"
        "  actual      float32[3, 5, 4, 1] (jax.Array)\n"
        "  axes        batch   = 3  bound by h0.shape[0]      independent examples in a minibatch [batch]\n"
        "              time    = 5  bound by mask.shape[1]    sequence step; outputs may only look back [causal]\n"
        "              feature = 4  bound by p.w_in.shape[0]  input features per step\n"
        "  problem     4 axes, expected 3 (batch time feature)\n"
        "  diagnosis   an extra axis of size 1 at position 3: (3, 5, 4, 1) is (batch,\n"
        "              time, feature) with one axis more; a stray size-1 axis (x[None],\n"
        "              keepdims=True, or a missing squeeze)?\n"
        "  also bound  hidden=8 (p.w_in.shape[1])"
    )


def test_broadcast_gone_wrong():
    assert message(P, H0, MASK, jnp.ones((3, 3, 5, 4))) == (
        "rnn(): argument 'xs' does not match its annotation\n"
        "  expected    Float[Array, 'batch time feature']\n"
        "  actual      float32[3, 3, 5, 4] (jax.Array)\n"
        "  axes        batch   = 3  bound by h0.shape[0]      independent examples in a minibatch [batch]\n"
        "              time    = 5  bound by mask.shape[1]    sequence step; outputs may only look back [causal]\n"
        "              feature = 4  bound by p.w_in.shape[0]  input features per step\n"
        "  problem     4 axes, expected 3 (batch time feature)\n"
        "  diagnosis   an extra axis of size 3 at position 0: (3, 3, 5, 4) is (batch,\n"
        "              time, feature) with one axis more; its size is that of 'batch': a\n"
        "              broadcast gone wrong? (e.g. shapes (n, 1) and (n,) broadcast to\n"
        "              (n, n))\n"
        "  also bound  hidden=8 (p.w_in.shape[1])"
    )


def test_off_by_one():
    assert message(P, H0, MASK, jnp.ones((3, 6, 4))) == (
        "rnn(): argument 'xs' does not match its annotation\n"
        "  expected    Float[Array, 'batch time feature']\n"
        "  actual      float32[3, 6, 4] (jax.Array)\n"
        "  axes        batch   = 3  bound by h0.shape[0]      independent examples in a minibatch [batch]\n"
        "              time    = 5  bound by mask.shape[1]    sequence step; outputs may only look back [causal]\n"
        "              feature = 4  bound by p.w_in.shape[0]  input features per step\n"
        "  conflict    time=5 was bound by mask.shape[1], but xs.shape[1] is 6\n"
        "  diagnosis   'time' is 6 here but 5 elsewhere: a size off by one (a slice like\n"
        "              x[1:] or x[:-1], a missing pad, or an off-by-one in a length?)\n"
        "  note        mask and xs disagree; the other arguments fit either, so either\n"
        "              may be the wrong one\n"
        "  also bound  hidden=8 (p.w_in.shape[1])"
    )


def test_size_one_not_broadcastable():
    assert message(P, H0, MASK, jnp.ones((3, 1, 4))) == (
        "rnn(): argument 'xs' does not match its annotation\n"
        "  expected    Float[Array, 'batch time feature']\n"
        "  actual      float32[3, 1, 4] (jax.Array)\n"
        "  axes        batch   = 3  bound by h0.shape[0]      independent examples in a minibatch [batch]\n"
        "              time    = 5  bound by mask.shape[1]    sequence step; outputs may only look back [causal]\n"
        "              feature = 4  bound by p.w_in.shape[0]  input features per step\n"
        "  conflict    time=5 was bound by mask.shape[1], but xs.shape[1] is 1\n"
        "  diagnosis   xs.shape[1] is 1 where 'time' is 5: a size-1 axis meant to\n"
        "              broadcast? Annotate it '#time' if broadcasting is intended, or\n"
        "              broadcast the array first\n"
        "  note        mask and xs disagree; the other arguments fit either, so either\n"
        "              may be the wrong one\n"
        "  also bound  hidden=8 (p.w_in.shape[1])"
    )


def test_wrong_dtype():
    assert message(P, H0, MASK, jnp.ones((3, 5, 4), jnp.int32)) == (
        "rnn(): argument 'xs' does not match its annotation\n"
        "  expected    Float[Array, 'batch time feature']\n"
        "  actual      int32[3, 5, 4] (jax.Array)\n"
        "  axes        batch   = 3  bound by h0.shape[0]      independent examples in a minibatch [batch]\n"
        "              time    = 5  bound by mask.shape[1]    sequence step; outputs may only look back [causal]\n"
        "              feature = 4  bound by p.w_in.shape[0]  input features per step\n"
        "  problem     dtype int32 is not allowed by Float: expected bfloat16, float16,\n"
        "              float32, float64 (and 6 narrow float8/4-bit types)\n"
        "  hint        an integer array where floats are expected: cast with\n"
        "              x.astype(jnp.float32)?\n"
        "  also bound  hidden=8 (p.w_in.shape[1])"
    )


def test_not_an_array():
    assert message(P, H0, MASK, [[1.0]]) == (
        "rnn(): argument 'xs' does not match its annotation\n"
        "  expected    Float[Array, 'batch time feature']\n"
        "  actual      list: [[1.0]]\n"
        "  axes        batch   = 3  bound by h0.shape[0]      independent examples in a minibatch [batch]\n"
        "              time    = 5  bound by mask.shape[1]    sequence step; outputs may only look back [causal]\n"
        "              feature = 4  bound by p.w_in.shape[0]  input features per step\n"
        "  problem     expected a jax.Array, got list: convert it with jnp.asarray(...)\n"
        "  also bound  hidden=8 (p.w_in.shape[1])"
    )


def test_odd_one_out_is_blamed():
    assert message(P, jnp.zeros((7, 8)), MASK, jnp.ones((3, 5, 4))) == (
        "rnn(): argument 'h0' does not match its annotation\n"
        "  expected    Float[Array, 'batch hidden']\n"
        "  actual      float32[7, 8] (jax.Array)\n"
        "  axes        batch  = 3  bound by mask.shape[0]    independent examples in a minibatch [batch]\n"
        "              hidden = 8  bound by p.w_in.shape[1]  recurrent state units\n"
        "  conflict    batch=3 was bound by mask.shape[0], but h0.shape[0] is 7\n"
        "  also bound  feature=4 (p.w_in.shape[0]), time=5 (mask.shape[1])"
    )


def test_odd_one_out_in_a_nested_field():
    assert message(
        RNNParams(jnp.ones((4, 8)), jnp.ones((8, 8)), jnp.ones(9)), H0, MASK, jnp.ones((3, 5, 4))
    ) == (
        "rnn(): p.b (in argument 'p') does not match its annotation\n"
        "  expected    Float[Array, 'hidden']\n"
        "  actual      float32[9] (jax.Array)\n"
        "  axes        hidden = 8  bound by p.w_in.shape[1]  recurrent state units\n"
        "  conflict    hidden=8 was bound by p.w_in.shape[1], but p.b.shape[0] is 9\n"
        "  diagnosis   'hidden' is 9 here but 8 elsewhere: a size off by one (a slice\n"
        "              like x[1:] or x[:-1], a missing pad, or an off-by-one in a\n"
        "              length?)\n"
        "  also bound  feature=4 (p.w_in.shape[0]), batch=3 (h0.shape[0]), time=5\n"
        "              (mask.shape[1])"
    )


def test_union_annotation_reads_as_written():
    import numpy as np

    @sn.shaped
    def interp(
        xq: Float[Array, " batch"] | Float[np.ndarray, " batch"] | None,
    ) -> None:
        return None

    with pytest.raises(sn.ShapeError) as e:
        interp(jnp.ones((3, 3)))
    assert str(e.value) == (
        "interp(): argument 'xq' does not match its annotation\n"
        "  expected    Float[Array | ndarray, 'batch'] | None\n"
        "  actual      float32[3, 3] (jax.Array)"
    )


def test_a_wrong_size_that_is_another_axis_is_diagnosed_as_a_wrong_axis():
    @sn.shaped
    def mean_rows(x: Float[Array, "n d"]) -> Float[Array, " n"]:
        return x.mean(axis=0)  # bug: averages over n, keeps d

    for shape in [(4, 3), (3, 7)]:  # adjacent sizes, and sizes far apart
        with pytest.raises(sn.ShapeError) as info:
            mean_rows(jnp.ones(shape))
        text = str(info.value)
        diagnosis = text.split("diagnosis", 1)[1]
        assert diagnosis.split()[0:6] == [
            "return.shape[0]",
            "is",
            str(shape[1]) + ",",
            "the",
            "size",
            "of",
        ]
        assert "the wrong axis (one that removed 'n' and kept 'd')" in " ".join(diagnosis.split())
    # adjacent sizes: the off-by-one reading comes second
    with pytest.raises(sn.ShapeError) as info:
        mean_rows(jnp.ones((4, 3)))
    flat = " ".join(str(info.value).split())
    assert flat.index("the wrong axis") < flat.index("off by one")


def test_an_off_by_one_that_is_no_other_axis_stays_an_off_by_one():
    @sn.shaped
    def shift(x: Float[Array, "n d"]) -> Float[Array, "n d"]:
        return x[1:]

    with pytest.raises(sn.ShapeError) as info:
        shift(jnp.ones((5, 3)))
    flat = " ".join(str(info.value).split())
    assert "a size off by one" in flat and "wrong axis" not in flat
