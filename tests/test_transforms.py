"""jit, vmap, grad, lax.scan, decoration order, and threads.

This module deliberately does not use `from __future__ import annotations`, so
annotations are evaluated objects here and strings elsewhere.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import Array, Float

import shapely_nn as sn


@sn.shaped
def cell(
    h: Float[Array, " hidden"], x: Float[Array, " feature"], w: Float[Array, "feature hidden"]
) -> Float[Array, " hidden"]:
    return jnp.tanh(h + x @ w)


def test_jit_checks_while_tracing_and_not_after():
    traces = []

    @sn.shaped
    def f(x: Float[Array, "n m"]) -> Float[Array, " n"]:
        traces.append(x.shape)
        return x.sum(1)

    jf = jax.jit(f)
    jf(jnp.ones((2, 3)))
    jf(jnp.ones((2, 3)))
    assert traces == [(2, 3)]  # one trace, compiled call afterwards
    with pytest.raises(sn.ShapeError, match=r"traced jax\.Array"):
        jf(jnp.ones((2, 3, 4)))


@pytest.mark.parametrize("order", ["jit(shaped)", "shaped(jit)"])
def test_either_order_with_jit(order):
    def raw(x: Float[Array, "n m"]) -> Float[Array, " n"]:
        return x.sum(1)

    f = jax.jit(sn.shaped(raw)) if order == "jit(shaped)" else sn.shaped(jax.jit(raw))
    assert f(jnp.ones((2, 3))).shape == (2,)
    with pytest.raises(sn.ShapeError):
        f(jnp.ones(3))


def test_jit_return_mismatch_raises_at_trace_time():
    @jax.jit
    @sn.shaped
    def wrong(x: Float[Array, "n m"]) -> Float[Array, " n"]:
        return x.sum(0)

    with pytest.raises(sn.ShapeError, match="the return value"):
        wrong(jnp.ones((2, 3)))


def test_vmap_checks_per_example_shapes():
    w = jnp.ones((4, 3))
    out = jax.vmap(cell, in_axes=(0, 0, None))(jnp.zeros((5, 3)), jnp.ones((5, 4)), w)
    assert out.shape == (5, 3)
    with pytest.raises(sn.ShapeError, match="x and w disagree"):
        jax.vmap(cell, in_axes=(0, 0, None))(jnp.zeros((5, 3)), jnp.ones((5, 2)), w)


def test_grad_through_a_checked_function():
    @sn.shaped
    def loss(
        w: Float[Array, "feature hidden"], x: Float[Array, "batch feature"]
    ) -> Float[Array, ""]:
        return jnp.sum(jnp.tanh(x @ w) ** 2)

    g = jax.grad(loss)(jnp.ones((4, 3)), jnp.ones((2, 4)))
    assert g.shape == (4, 3)
    assert np.all(np.isfinite(g))
    with pytest.raises(sn.ShapeError):
        jax.grad(loss)(jnp.ones((4, 3)), jnp.ones((2, 5)))


def test_scan_body_is_checked():
    w = jnp.ones((4, 3)) * 0.1

    def step(h, x):
        h = cell(h, x, w)
        return h, h

    _, hs = jax.lax.scan(step, jnp.zeros(3), jnp.ones((6, 4)))
    assert hs.shape == (6, 3)
    with pytest.raises(sn.ShapeError, match=r"feature=5 was bound by x\.shape\[0\]"):
        jax.lax.scan(step, jnp.zeros(3), jnp.ones((6, 5)))


def test_jit_of_vmap_of_grad():
    @sn.shaped
    def energy(x: Float[Array, " n"]) -> Float[Array, ""]:
        return jnp.sum(x**2)

    out = jax.jit(jax.vmap(jax.grad(energy)))(jnp.ones((3, 4)))
    assert out.shape == (3, 4)


def test_threads_with_different_sizes_do_not_interfere():
    @sn.shaped
    def f(x: Float[np.ndarray, "n m"], y: Float[np.ndarray, "m k"]) -> Float[np.ndarray, "n k"]:
        return np.asarray(x) @ np.asarray(y)

    barrier = threading.Barrier(4)

    def work(i):
        barrier.wait(5)
        n, m, k = 2 + i, 3 + i, 4 + i
        for _ in range(50):
            out = f(np.ones((n, m), np.float32), np.ones((m, k), np.float32))
            assert out.shape == (n, k)
        with pytest.raises(sn.ShapeError):
            f(np.ones((n, m), np.float32), np.ones((m + 1, k), np.float32))
        return i

    with ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(work, range(4))) == [0, 1, 2, 3]


def test_nested_checked_calls_reuse_names_for_other_sizes():
    @sn.shaped
    def inner(x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x * 2

    @sn.shaped
    def outer(x: Float[Array, " n"]) -> Float[Array, " n"]:
        inner(jnp.ones(x.shape[0] + 3))  # its own n, in its own scope
        return x

    assert outer(jnp.ones(2)).shape == (2,)


def test_bindings_do_not_survive_an_exception_in_the_body():
    @sn.shaped
    def boom(x: Float[Array, " n"]) -> Float[Array, " n"]:
        raise RuntimeError("body failed")

    with pytest.raises(RuntimeError, match="body failed"):
        boom(jnp.ones(2))
    with pytest.raises(RuntimeError, match="body failed"):
        boom(jnp.ones(5))  # a fresh scope: n=5 is no conflict


def test_recursion_gets_a_scope_per_call():
    @sn.shaped
    def halve(x: Float[Array, " n"]) -> Float[Array, " n"]:
        if x.shape[0] > 1:
            halve(x[: x.shape[0] // 2])
        return x

    assert halve(jnp.ones(8)).shape == (8,)


def test_no_references_to_user_arrays_are_kept():
    import gc
    import weakref

    class Tracked(np.ndarray):
        pass

    @sn.shaped
    def f(x: Float[np.ndarray, " n"], y: Float[np.ndarray, " n"]) -> Float[np.ndarray, " n"]:
        return x

    x = np.ones(3, np.float32).view(Tracked)
    ref = weakref.ref(x)
    f(x, np.ones(3, np.float32))
    with pytest.raises(sn.ShapeError):
        f(x, np.ones(4, np.float32))
    del x
    gc.collect()
    assert ref() is None
