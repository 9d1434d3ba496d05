"""Value constraints: each fires on violating values, stays silent on valid ones,
never raises under jit/vmap/grad unless traced checks are switched on."""

from __future__ import annotations

from typing import Annotated, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import Array, Float, Int

import shapely_nn as sn


@sn.shaped
def ident_nonneg(x: Float[np.ndarray, " n"]) -> Annotated[Float[np.ndarray, " n"], sn.NonNegative]:
    return x


@sn.shaped
def ident_pos(x: Float[np.ndarray, " n"]) -> Annotated[Float[np.ndarray, " n"], sn.Positive]:
    return x


@sn.shaped
def ident_finite(x: Annotated[Float[np.ndarray, " n"], sn.Finite]) -> Float[np.ndarray, " n"]:
    return x


@sn.shaped
def ident_prob(x: Annotated[Float[np.ndarray, " n"], sn.Probability]) -> Float[np.ndarray, " n"]:
    return x


@sn.shaped
def simplex(p: Annotated[Float[np.ndarray, "batch klass"], sn.Simplex("klass")]) -> None:
    return None


@sn.shaped
def embed(
    table: Float[Array, "vocab d"], ids: Annotated[Int[Array, " n"], sn.IndexInto("vocab")]
) -> Float[Array, "n d"]:
    return table[ids]


def arr(*v, dtype=np.float32):
    return np.array(v, dtype=dtype)


@pytest.mark.parametrize(
    ("fn", "good", "bad"),
    [
        (ident_nonneg, arr(0.0, 1.0, 2.0), arr(0.0, -1e-30, 2.0)),
        (ident_nonneg, arr(0.0, -0.0), arr(np.nan)),
        (ident_pos, arr(1e-30, 1.0), arr(1.0, 0.0)),
        (ident_finite, arr(0.0, -3e38, 3e38), arr(0.0, np.nan)),
        (ident_finite, arr(1.0), arr(np.inf)),
        (ident_finite, arr(1.0), arr(-np.inf)),
        (ident_prob, arr(0.0, 0.5, 1.0), arr(0.5, 1.0000001)),
        (ident_prob, arr(0.0), arr(-0.1)),
    ],
)
def test_elementwise_constraints_fire_and_stay_silent(fn, good, bad):
    fn(good)
    with pytest.raises(sn.ValueConstraintError):
        fn(bad)


def test_nonnegative_message_names_count_worst_and_index():
    with pytest.raises(sn.ValueConstraintError) as e:
        ident_nonneg(arr(1.0, -2.0, -0.5, 3.0))
    assert str(e.value) == (
        "ident_nonneg(): the return value violates NonNegative\n"
        "  constraint  every value >= 0\n"
        "  actual      float32[4] (numpy.ndarray)\n"
        "  violations  2 of 4 elements\n"
        "  worst       -2 at index (1,)"
    )


def test_finite_reports_nan_as_worst():
    with pytest.raises(sn.ValueConstraintError, match=r"worst       nan at index \(2,\)"):
        ident_finite(arr(1.0, np.inf, np.nan))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_simplex_tolerance_suits_the_dtype(dtype):
    logits = np.random.default_rng(0).normal(size=(4, 7)).astype(dtype)
    e = np.exp(logits - logits.max(1, keepdims=True))
    probs = (e / e.sum(1, keepdims=True)).astype(dtype)
    simplex(probs)  # sums within rounding of the dtype
    simplex(np.full((2, 3), 1 / 3, dtype))
    wrong_axis = (e / e.sum(0, keepdims=True)).astype(dtype)
    with pytest.raises(sn.ValueConstraintError, match="slices along 'klass'"):
        simplex(wrong_axis)
    off = probs.copy()
    off[1] *= 1.1
    with pytest.raises(sn.ValueConstraintError, match=r"at index \(1, :\)"):
        simplex(off)


def test_simplex_float64_values_computed_in_float32_are_accepted():
    p = np.full((3, 10), 0.1, np.float32).astype(np.float64)
    simplex(p)


def test_simplex_message():
    p = np.array([[0.5, 0.5], [0.9, 0.3], [1.0, 0.0]], np.float32)
    with pytest.raises(sn.ValueConstraintError) as e:
        simplex(p)
    assert str(e.value) == (
        "simplex(): argument 'p' violates Simplex('klass')\n"
        "  constraint  non-negative, sums to 1 along 'klass' (tolerance 3.5e-04 for\n"
        "              float32)\n"
        "  actual      float32[3, 2] (numpy.ndarray)\n"
        "  violations  1 of 3 slices along 'klass'\n"
        "  worst       sum 1.2 at index (1, :)"
    )


def test_simplex_rejects_negative_entries_even_if_rows_sum_to_one():
    with pytest.raises(sn.ValueConstraintError, match="negative values"):
        simplex(np.array([[1.5, -0.5]], np.float32))


def test_index_into_uses_the_bound_size():
    table = jnp.ones((5, 2))
    assert embed(table, jnp.array([0, 4, 2])).shape == (3, 2)
    with pytest.raises(sn.ValueConstraintError) as e:
        embed(table, jnp.array([0, 5, -1]))
    assert str(e.value) == (
        "embed(): argument 'ids' violates IndexInto('vocab')\n"
        "  constraint  integer indices into 'vocab': 0 <= i < vocab (vocab=5, bound by\n"
        "              table.shape[0])\n"
        "  actual      int32[3] (jax.Array)\n"
        "  violations  2 of 3 elements\n"
        "  worst       5 at index (1,)"
    )


def test_stacked_constraints_and_params_fields():
    class Probs(NamedTuple):
        p: Annotated[Float[np.ndarray, " n"], sn.Probability, sn.Positive]

    @sn.shaped
    def f(q: Probs) -> None:
        return None

    f(Probs(arr(0.5, 1.0)))
    with pytest.raises(
        sn.ValueConstraintError, match=r"q\.p \(in argument 'q'\) violates Positive"
    ):
        f(Probs(arr(0.5, 0.0)))
    with pytest.raises(sn.ValueConstraintError, match="violates Probability"):
        f(Probs(arr(0.5, 2.0)))


def test_custom_constraint():
    even = sn.Constraint("Even", lambda x: x % 2 == 0, doc="every value is even")

    @sn.shaped
    def f(x: Annotated[Int[np.ndarray, " n"], even]) -> None:
        return None

    f(np.array([0, 2, -4]))
    with pytest.raises(sn.ValueConstraintError) as e:
        f(np.array([0, 3, 5]))
    assert "violates Even" in str(e.value)
    assert "every value is even" in str(e.value)
    assert "2 of 3 elements" in str(e.value)
    assert "3 at index (1,)" in str(e.value)

    whole = sn.Constraint("Sorted", lambda x: bool(np.all(np.diff(x) >= 0)))

    @sn.shaped
    def g(x: Annotated[Float[np.ndarray, " n"], whole]) -> None:
        return None

    g(arr(1, 2, 3))
    with pytest.raises(sn.ValueConstraintError, match="violates Sorted"):
        g(arr(3, 2, 1))


def test_constraints_are_introspectable():
    assert sn.Simplex("klass").axis == "klass"
    assert sn.Simplex("klass") == sn.Simplex("klass")
    assert sn.IndexInto("vocab").axis == "vocab"
    assert sn.NonNegative.axis is None
    assert repr(sn.Probability) == "Probability"
    assert sn.Finite.doc == "no NaN or infinity"
    assert sn.NonNegative.check(arr(1.0, -1.0)) == sn.Violation(
        1, 2, "elements", "-1 at index (1,)"
    )


def test_bad_constraint_usage_fails_at_decoration():
    with pytest.raises(sn.AnnotationError, match="has no axis 'klass' to sum along"):

        @sn.shaped
        def f(p: Annotated[Float[Array, "a b"], sn.Simplex("klass")]) -> None: ...

    with pytest.raises(sn.AnnotationError, match="the index range is unknown"):

        @sn.shaped
        def g(i: Annotated[Int[Array, " n"], sn.IndexInto("tokens_xyz")]) -> None: ...

    with pytest.raises(sn.AnnotationError, match="indices must be integers"):

        @sn.shaped
        def h(
            t: Float[Array, " vocab"], i: Annotated[Float[Array, " n"], sn.IndexInto("vocab")]
        ) -> None: ...

    with pytest.raises(sn.AnnotationError, match="can only annotate a single jaxtyping array"):

        @sn.shaped
        def k(i: Annotated[int, sn.Positive]) -> None: ...

    with pytest.raises(TypeError, match="predicate must be callable"):
        sn.Constraint("X", 3)
    with pytest.raises(TypeError, match="axis must be an axis name"):
        sn.Simplex("a b")


def test_declared_size_bounds_index_into():
    sn.axis("tc_vocab", "token ids", size=4)

    @sn.shaped
    def f(i: Annotated[Int[np.ndarray, " n"], sn.IndexInto("tc_vocab")]) -> None:
        return None

    f(np.array([0, 3]))
    with pytest.raises(sn.ValueConstraintError, match="tc_vocab=4"):
        f(np.array([4]))


@pytest.mark.parametrize(
    ("transform", "shape"),
    [
        (jax.jit, (3,)),
        (jax.vmap, (2, 3)),
        (lambda f: jax.grad(lambda x: jnp.sum(f(x))), (3,)),
        (lambda f: lambda xs: jax.lax.scan(lambda c, x: (c, f(x)), 0.0, xs)[1], (2, 3)),
    ],
    ids=["jit", "vmap", "grad", "scan"],
)
def test_no_error_on_tracers_by_default(transform, shape):
    @sn.shaped
    def relu_bug(x: Float[Array, " n"]) -> Annotated[Float[Array, " n"], sn.NonNegative]:
        return x  # negative values get through: only concrete checks would see it

    x = -jnp.ones(shape)
    out = transform(relu_bug)(x)
    assert np.asarray(out).shape == shape
    with pytest.raises(sn.ValueConstraintError):
        relu_bug(-jnp.ones(3))


def test_traced_checks_opt_in_per_function_and_globally():
    def body(x: Float[Array, " n"]) -> Annotated[Float[Array, " n"], sn.NonNegative]:
        return x

    checked = jax.jit(sn.shaped(check_traced=True)(body))
    checked(jnp.ones(3)).block_until_ready()
    with pytest.raises(Exception) as e:
        checked(-jnp.ones(3)).block_until_ready()
    assert "body(): the return value violates NonNegative" in str(e.value)
    assert "3 of 3 elements" in str(e.value)

    assert sn.get_check_traced() is False
    sn.set_check_traced(True)
    try:
        g = jax.jit(sn.shaped(body))
        with pytest.raises(Exception, match="violates NonNegative"):
            g(-jnp.ones(2)).block_until_ready()
    finally:
        sn.set_check_traced(False)
    with pytest.raises(TypeError):
        sn.set_check_traced("yes")


def test_off_mode_runs_no_value_checks():
    with sn.mode("off"):
        ident_nonneg(arr(-1.0))


def test_constraint_checks_do_not_modify_inputs():
    x = arr(1.0, 2.0)
    x.flags.writeable = False
    ident_nonneg(x)
    assert not x.flags.writeable


# ------------------------------------------------------------ constraints in the generator

Sorted = sn.Constraint(
    "Sorted",
    lambda x: bool(np.all(np.diff(x, axis=-1) >= 0)),
    doc="non-decreasing along the last axis",
)
SortedDrawn = sn.Constraint(
    "Sorted",
    lambda x: bool(np.all(np.diff(x, axis=-1) >= 0)),
    doc="non-decreasing along the last axis",
    draw=lambda rng, shape, dtype: np.sort(rng.standard_normal(shape), axis=-1).astype(dtype),
)


def _knots_with(constraint):
    @sn.shaped
    def widths(t: Annotated[Float[Array, " knot"], constraint]) -> Float[Array, " knot"]:
        return jnp.concatenate([jnp.zeros(1), jnp.diff(t)])

    return widths


def test_a_users_constraint_draws_its_own_values():
    without = sn.testing.check(_knots_with(Sorted), examples=2, properties=["shapes"])
    assert without["shapes"].status == "skipped"
    assert "cannot draw values satisfying Sorted" in without["shapes"].reason
    with_draw = sn.testing.check(_knots_with(SortedDrawn), examples=2, properties=["shapes"])
    assert with_draw["shapes"].status == "passed", str(with_draw)
    args, _ = sn.testing.dummy_args(_knots_with(SortedDrawn), {"knot": 7})
    assert np.all(np.diff(np.asarray(args[0])) >= 0)


def test_constraint_draw_must_be_callable():
    with pytest.raises(TypeError, match=r"draw must be callable as draw\(rng, shape, dtype\)"):
        sn.Constraint("Bad", lambda x: True, draw=3)


def test_positive_integer_arrays_are_drawn():
    @sn.shaped
    def counts(n: Annotated[Int[Array, " bin"], sn.Positive]) -> Float[Array, " bin"]:
        return 1.0 / n

    args, _ = sn.testing.dummy_args(counts, {"bin": 6})
    assert args[0].dtype == jnp.int32 and int(args[0].min()) >= 1


def test_index_into_follows_a_permutation_of_its_axis_and_nothing_else():
    values = np.array([2, 0, 1])
    perm = np.array([1, 2, 0])  # new position i holds old element perm[i]
    moved = sn.IndexInto("node").permuted(values, "node", perm)
    # old element 2 now sits at position 1, old 0 at 2, old 1 at 0
    assert moved.tolist() == [1, 2, 0]
    assert sn.IndexInto("node").permuted(values, "other", perm) is None
    assert sn.NonNegative.permuted(values, "node", perm) is None
