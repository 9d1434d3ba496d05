"""Shared fixtures: run a case eagerly, under jax.jit and under jax.vmap."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

import shapely_nn as sn
import shapely_nn.examples.axes

pytest_plugins = ["pytester"]


def _eager(fn, *args):
    return fn(*args)


def _jit(fn, *args):
    return jax.jit(lambda *a: fn(*a))(*args)


def _vmap(fn, *args):
    # the annotations describe one example; vmap adds a leading axis of 2 to every
    # input, and we compare the first slice of the outputs
    stacked = jax.tree_util.tree_map(lambda a: jnp.stack([a, a]), args)
    out = jax.vmap(fn)(*stacked)
    return jax.tree_util.tree_map(lambda o: o[0], out)


TRANSFORMS = {"eager": _eager, "jit": _jit, "vmap": _vmap}


@pytest.fixture(params=list(TRANSFORMS))
def transform(request):
    """`transform(fn, *args)` calls fn eagerly, under jit, or under vmap."""
    return TRANSFORMS[request.param]


@pytest.fixture(autouse=True, scope="session")
def _compilation_cache(tmp_path_factory):
    """The suite keeps jax's compiled programs in a directory of its own."""
    sn.testing.set_cache_dir(tmp_path_factory.mktemp("jax-cache"))
    yield


@pytest.fixture(autouse=True)
def _default_mode():
    """Every test starts in mode "on" and leaves it that way."""
    sn.set_mode("on")
    yield
    sn.set_mode("on")


@pytest.fixture
def isolated_axes():
    """Forget, afterwards, the axes declared by code exec'd under a `docs_*`
    module name (documentation pages); axes of real modules stay declared, as
    their modules stay imported."""
    reg = sn.axes()
    yield reg
    with reg._lock:
        for name in [n for n, a in reg._axes.items() if (a.declared_in or "").startswith("docs_")]:
            del reg._axes[name]
        reg.version += 1
