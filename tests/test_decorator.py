"""@sn.shaped: what it accepts and rejects, eagerly and under jit / vmap."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import Array, Float, Int, Shaped

import shapely_nn as sn


class Params(NamedTuple):
    w: Float[Array, "feature hidden"]
    b: Float[Array, " hidden"]


class Outer(NamedTuple):
    inner: Params
    scale: Float[Array, ""]


@sn.shaped
def linear(p: Params, x: Float[Array, "batch feature"]) -> Float[Array, "batch hidden"]:
    return x @ p.w + p.b


@sn.shaped
def outer_linear(o: Outer, x: Float[Array, "batch feature"]) -> Float[Array, "batch hidden"]:
    return (x @ o.inner.w + o.inner.b) * o.scale


@pytest.fixture
def params():
    return Params(jnp.ones((4, 3)), jnp.zeros(3))


def test_accepts_matching_shapes(transform, params):
    out = transform(linear, params, jnp.ones((2, 4)))
    assert out.shape == (2, 3)


def test_rejects_a_nested_field_that_disagrees(transform):
    bad = Params(jnp.ones((4, 3)), jnp.zeros(5))
    with pytest.raises(sn.ShapeError, match=r"p\.b"):
        transform(linear, bad, jnp.ones((2, 4)))


def test_rejects_an_argument_that_disagrees_with_nested_fields(transform, params):
    with pytest.raises(sn.ShapeError, match="argument 'x'"):
        transform(linear, params, jnp.ones((2, 5)))


def test_nested_namedtuples_share_the_scope(params):
    o = Outer(params, jnp.ones(()))
    assert outer_linear(o, jnp.ones((2, 4))).shape == (2, 3)
    with pytest.raises(sn.ShapeError, match=r"o\.inner\.w"):
        outer_linear(
            Outer(Params(jnp.ones((5, 3)), jnp.zeros(3)), jnp.ones(())),
            jnp.ones((2, 4)),
        )
    with pytest.raises(sn.ShapeError, match=r"o\.scale"):
        outer_linear(Outer(params, jnp.ones((1,))), jnp.ones((2, 4)))


def test_return_is_checked(transform):
    @sn.shaped
    def bad_sum(x: Float[Array, "batch feature"]) -> Float[Array, " batch"]:
        return x.sum(axis=0)  # wrong axis: gives (feature,)

    with pytest.raises(sn.ShapeError, match="the return value does not match"):
        transform(bad_sum, jnp.ones((2, 3)))


def test_tuple_returns_are_checked_item_by_item():
    @sn.shaped
    def split(x: Float[Array, "n m"]) -> tuple[Float[Array, " n"], Float[Array, " m"]]:
        return x.sum(1), x.sum(1)

    with pytest.raises(sn.ShapeError, match=r"return value return\[1\]"):
        split(jnp.ones((2, 3)))

    @sn.shaped
    def pair(x: Float[Array, "n m"]) -> tuple[Float[Array, " n"], Float[Array, " m"]]:
        return x.sum(1), x.sum(0)

    assert [o.shape for o in pair(jnp.ones((2, 3)))] == [(2,), (3,)]


def test_numpy_and_jax_arrays_are_both_checked():
    @sn.shaped
    def np_fn(x: Float[np.ndarray, "a b"]) -> Float[np.ndarray, "b a"]:
        return x.T

    assert np_fn(np.ones((2, 3), np.float32)).shape == (3, 2)
    with pytest.raises(sn.ShapeError, match=r"expected a numpy\.ndarray, got jaxlib"):
        np_fn(jnp.ones((2, 3)))
    with pytest.raises(sn.ShapeError, match="dtype int64 is not allowed by Float"):
        np_fn(np.ones((2, 3), np.int64))


def test_keyword_arguments_and_defaults():
    @sn.shaped
    def f(x: Float[Array, " n"], *, y: Float[Array, " n"] | None = None) -> Float[Array, " n"]:
        return x if y is None else x + y

    assert f(jnp.ones(3)).shape == (3,)
    assert f(jnp.ones(3), y=jnp.ones(3)).shape == (3,)
    with pytest.raises(sn.ShapeError, match="argument 'y'"):
        f(jnp.ones(3), y=jnp.ones(4))
    assert f(x=jnp.ones(2), y=None).shape == (2,)


def test_positional_only_varargs_and_varkw():
    @sn.shaped
    def f(
        x: Float[Array, " n"], /, *rest: Float[Array, " n"], **named: Float[Array, " n"]
    ) -> Float[Array, " n"]:
        return x + sum(rest, jnp.zeros_like(x)) + sum(named.values(), jnp.zeros_like(x))

    assert f(jnp.ones(3), jnp.ones(3), jnp.ones(3), a=jnp.ones(3)).shape == (3,)
    with pytest.raises(sn.ShapeError, match=r"rest\[1\]"):
        f(jnp.ones(3), jnp.ones(3), jnp.ones(4))
    with pytest.raises(sn.ShapeError, match=r"named\['b'\]"):
        f(jnp.ones(3), b=jnp.ones(2))


def test_optional_and_union_of_shapes():
    @sn.shaped
    def f(x: Float[Array, " n"], mask: Int[Array, " n"] | None = None) -> Float[Array, " n"]:
        return x

    f(jnp.ones(3), None)
    f(jnp.ones(3), jnp.ones(3, int))
    with pytest.raises(sn.ShapeError):
        f(jnp.ones(3), jnp.ones(4, int))

    @sn.shaped
    def g(x: Float[Array, "n n"] | Float[Array, " n"], y: Float[Array, " n"]) -> None:
        return None

    g(jnp.ones((2, 2)), jnp.ones(2))
    g(jnp.ones(3), jnp.ones(3))
    with pytest.raises(sn.ShapeError):
        g(jnp.ones((2, 2)), jnp.ones(3))


def test_non_array_annotations_are_checked_by_beartype():
    @sn.shaped
    def f(x: Float[Array, " n"], k: int, name: str = "a") -> Float[Array, " n"]:
        return x * k

    assert f(jnp.ones(2), 3).shape == (2,)
    with pytest.raises(sn.ShapeError, match="argument 'k'"):
        f(jnp.ones(2), "3")


def test_containers_of_arrays_share_bindings_through_jaxtyping():
    @sn.shaped
    def f(xs: list[Float[Array, " n"]], y: Float[Array, " n"]) -> Float[Array, " n"]:
        return y

    f([jnp.ones(3), jnp.ones(3)], jnp.ones(3))
    with pytest.raises(sn.ShapeError, match="argument 'y'"):
        f([jnp.ones(3)], jnp.ones(4))


def test_symbolic_fixed_anonymous_broadcast_and_variadic_dims():
    @sn.shaped
    def f(x: Float[Array, "*batch n"], y: Float[Array, "#n 3 _"]) -> Float[Array, "*batch n+1"]:
        return jnp.concatenate([x, x[..., :1]], axis=-1)

    assert f(jnp.ones((2, 5, 4)), jnp.ones((1, 3, 7))).shape == (2, 5, 5)
    assert f(jnp.ones((4,)), jnp.ones((4, 3, 1))).shape == (5,)
    with pytest.raises(sn.ShapeError, match="annotation fixes it to 3"):
        f(jnp.ones((4,)), jnp.ones((4, 2, 1)))

    @sn.shaped
    def g(x: Float[Array, "*batch n"]) -> Float[Array, "*batch n+1"]:
        return x

    with pytest.raises(sn.ShapeError, match=r"n\+1 = 5"):
        g(jnp.ones((2, 4)))


def test_symbolic_axis_sized_by_an_int_argument():
    @sn.shaped
    def harmonics(x: Float[Array, " n"], max_degree: int, /) -> Float[Array, "n (max_degree+1)**2"]:  # noqa: F821
        return jnp.repeat(x[:, None], (max_degree + 1) ** 2 - (max_degree == 3), axis=1)

    assert harmonics(jnp.ones(2), 2).shape == (2, 9)
    with pytest.raises(sn.ShapeError, match=r"\(max_degree\+1\)\*\*2 = 16"):
        harmonics(jnp.ones(2), 3)  # the bug: one column short
    jitted = jax.jit(harmonics, static_argnums=1)
    assert jitted(jnp.ones(2), 2).shape == (2, 9)

    @sn.shaped
    def tile(x: Float[Array, " n"], times) -> Float[Array, " n*times"]:
        return jnp.tile(x, int(times))

    assert tile(jnp.ones(2), np.int64(3)).shape == (6,)
    with pytest.raises(sn.AnnotationError, match="uses the argument 'times', which must be an int"):
        tile(jnp.ones(2), 1.5)


def test_symbolic_axis_with_a_traced_int_argument_says_to_make_it_static():
    @sn.shaped
    def pad(x: Float[Array, " n"], k: Int[Array, ""]) -> Float[Array, " n+k"]:
        return jnp.concatenate([x, jnp.zeros(2)])

    assert pad(jnp.ones(3), jnp.asarray(2)).shape == (5,)  # a concrete 0-d array is fine
    with pytest.raises(sn.AnnotationError, match=r"static_argnames=\('k',\)"):
        jax.jit(pad)(jnp.ones(3), jnp.asarray(2))


def test_dataclass_method_binds_fields_in_the_method_scope(transform):
    @dataclasses.dataclass
    class Dense:
        w: Float[Array, "feature hidden"]

        @sn.shaped
        def __call__(self, x: Float[Array, " feature"]) -> Float[Array, " hidden"]:
            return x @ self.w

    layer = Dense(jnp.ones((4, 3)))
    assert transform(layer, jnp.ones(4)).shape == (3,)
    with pytest.raises(sn.ShapeError, match=r"feature=4 was bound by self\.w\.shape\[0\]"):
        transform(layer, jnp.ones(5))


def test_equinox_module_call_binds_fields(transform):
    class Dense(eqx.Module):
        w: Float[Array, "feature hidden"]
        b: Float[Array, " hidden"]

        @sn.shaped
        def __call__(self, x: Float[Array, " feature"]) -> Float[Array, " hidden"]:
            return x @ self.w + self.b

    layer = Dense(jnp.ones((4, 3)), jnp.zeros(3))
    assert transform(layer, jnp.ones(4)).shape == (3,)
    with pytest.raises(sn.ShapeError, match=r"feature=4 was bound by self\.w\.shape"):
        transform(layer, jnp.ones(5))
    broken = Dense(jnp.ones((4, 3)), jnp.zeros(2))
    with pytest.raises(sn.ShapeError, match=r"self\.b"):
        transform(broken, jnp.ones(4))


def test_namedtuple_method():
    class Affine(NamedTuple):
        w: Float[Array, "i o"]

        @sn.shaped
        def apply(self, x: Float[Array, " i"]) -> Float[Array, " o"]:
            return x @ self.w

    assert Affine(jnp.ones((2, 3))).apply(jnp.ones(2)).shape == (3,)
    with pytest.raises(sn.ShapeError, match=r"self\.w"):
        Affine(jnp.ones((2, 3))).apply(jnp.ones(3))


def test_staticmethod_and_classmethod():
    class K:
        @sn.shaped
        @staticmethod
        def s(x: Float[Array, " n"]) -> Float[Array, " n"]:
            return x

    assert K.s(jnp.ones(2)).shape == (2,)
    with pytest.raises(sn.ShapeError):
        K.s(jnp.ones((2, 2)))


def test_decorator_with_options_and_metadata():
    sn.axis("td_bn_batch", "examples", kind="batch")

    @sn.shaped(kinds={"td_bn_batch": "plain"})
    def batchnorm(x: Float[Array, "td_bn_batch f"]) -> Float[Array, "td_bn_batch f"]:
        return x - x.mean(0)

    assert batchnorm(jnp.ones((3, 2))).shape == (3, 2)
    assert batchnorm.__name__ == "batchnorm"
    assert batchnorm.__wrapped__ is not None


def test_nothing_passed_in_is_modified():
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    p = Params(jnp.ones((3, 3)), jnp.zeros(3))
    kw = {"y": np.ones(3, np.float32)}
    before = (x.copy(), x.flags.writeable, dict(kw))

    @sn.shaped
    def f(
        x: Float[np.ndarray, "a b"], p: Params, y: Float[np.ndarray, " b"]
    ) -> Float[np.ndarray, "a b"]:
        return x + y

    f(x, p, **kw)
    with pytest.raises(sn.ShapeError):
        f(x, p, y=np.ones(4, np.float32))
    assert np.array_equal(x, before[0]) and x.flags.writeable == before[1]
    assert kw.keys() == before[2].keys() and kw["y"] is before[2]["y"]


def test_isinstance_in_the_body_shares_the_bindings():
    @sn.shaped
    def f(x: Float[Array, " n"]) -> Float[Array, " n"]:
        assert isinstance(x + 1, Float[Array, " n"])
        assert not isinstance(jnp.ones(x.shape[0] + 1), Float[Array, " n"])
        return x

    f(jnp.ones(3))


def test_shaped_rejects_non_functions():
    with pytest.raises(TypeError, match="decorates functions"):
        sn.shaped(3)
    with pytest.raises(TypeError, match="not the class"):
        sn.shaped(Params)
    with pytest.raises(TypeError, match="kinds must be a dict"):
        sn.shaped(kinds=["batch"])


def test_shaped_with_any_shape():
    @sn.shaped
    def f(x: Shaped[Array, "..."]) -> Shaped[Array, "..."]:
        return x

    f(jnp.ones((1, 2, 3)))
    f(jnp.ones(()))


def test_generators_and_coroutines_check_arguments_only():
    @sn.shaped
    def gen(x: Float[Array, " n"]) -> Iterator[Float[Array, " n"]]:
        yield x

    @sn.shaped
    async def coro(x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x

    assert next(gen(jnp.ones(2))).shape == (2,)
    assert asyncio.run(coro(jnp.ones(2))).shape == (2,)
    with pytest.raises(sn.ShapeError):
        gen(jnp.ones((2, 2)))


def test_traced_scalars_satisfy_scalar_annotations_under_jit():
    import functools

    @functools.partial(jax.jit, static_argnames=())
    @sn.shaped
    def shift(x: Float[Array, " n"], k: int, scale: float = 1.0) -> Float[Array, " n"]:
        return x * scale + k

    assert shift(jnp.ones(3), 2, 0.5).shape == (3,)  # k and scale arrive as tracers
    with pytest.raises(sn.ShapeError, match="argument 'k'"):
        sn.shaped(shift.__wrapped__)(jnp.ones(3), "2")
    with pytest.raises(sn.ShapeError, match="argument 'k'"):
        jax.jit(sn.shaped(shift.__wrapped__))(jnp.ones(3), jnp.ones(2))  # not a scalar
