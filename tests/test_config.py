"""Modes: off / on / strict, from the environment, set_mode and `with sn.mode`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import jax.numpy as jnp
import pytest
from jaxtyping import Array, Float

import shapely_nn as sn


def _f(x: Float[Array, " n"], y: Float[Array, " n"]) -> Float[Array, " n"]:
    return x + y


def test_mode_is_on_by_default_and_validated():
    assert sn.get_mode() == "on"
    with pytest.raises(ValueError) as e:
        sn.set_mode("loud")
    assert (
        str(e.value) == "sn.set_mode: unknown mode 'loud'; valid modes are 'off', 'on', 'strict'."
    )
    with pytest.raises(ValueError, match="valid modes are 'off', 'on', 'strict'"), sn.mode("of"):
        pass
    assert sn.get_mode() == "on"


def test_environment_variable_sets_the_mode_and_rejects_bad_values():
    env = dict(os.environ, SHAPELY_NN_MODE="strict")
    out = subprocess.run(
        [sys.executable, "-c", "import shapely_nn as sn; print(sn.get_mode())"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "strict"
    env["SHAPELY_NN_MODE"] = "verbose"
    bad = subprocess.run(
        [sys.executable, "-c", "import shapely_nn"], env=env, capture_output=True, text=True
    )
    assert bad.returncode != 0
    assert (
        "environment variable SHAPELY_NN_MODE: unknown mode 'verbose'; valid modes are "
        "'off', 'on', 'strict'." in bad.stderr
    )


def test_off_before_decoration_returns_the_function_itself():
    sn.set_mode("off")
    assert sn.shaped(_f) is _f
    assert sn.shaped(kinds=None)(_f) is _f


def test_off_at_run_time_skips_every_check():
    f = sn.shaped(_f)
    sn.set_mode("off")
    # a mismatch that would raise: nothing is checked, the body runs (and fails on its own)
    with pytest.raises(TypeError):
        f(jnp.ones(2), jnp.ones(3))
    sn.set_mode("on")
    with pytest.raises(sn.ShapeError):
        f(jnp.ones(2), jnp.ones(3))


def test_mode_context_manager_restores_and_nests():
    f = sn.shaped(_f)
    with sn.mode("off"):
        assert sn.get_mode() == "off"
        with sn.mode("strict"):
            assert sn.get_mode() == "strict"
        assert sn.get_mode() == "off"
        with pytest.raises(TypeError):
            f(jnp.ones(2), jnp.ones(3))
    assert sn.get_mode() == "on"
    with pytest.raises(sn.ShapeError):
        f(jnp.ones(2), jnp.ones(3))


def test_mode_context_manager_is_thread_local():
    f = sn.shaped(_f)
    inside = threading.Event()
    release = threading.Event()
    seen: list[object] = []

    def quiet_thread():
        with sn.mode("off"):
            inside.set()
            release.wait(5)

    t = threading.Thread(target=quiet_thread)
    t.start()
    inside.wait(5)
    try:
        assert sn.get_mode() == "on"
        try:
            f(jnp.ones(2), jnp.ones(3))
        except sn.ShapeError as e:
            seen.append(e)
    finally:
        release.set()
        t.join()
    assert len(seen) == 1


def test_set_mode_reaches_threads_without_an_override():
    f = sn.shaped(_f)
    sn.set_mode("off")
    errors: list[BaseException] = []

    def worker():
        try:
            f(jnp.ones(2), jnp.ones(2))
            assert sn.get_mode() == "off"
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert not errors
