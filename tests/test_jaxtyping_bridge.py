"""Pins the jaxtyping internals that `_jaxtyping_bridge.py` reads.

If a jaxtyping upgrade changes them, these tests fail first, with a message
pointing at the one module to update.
"""

from __future__ import annotations

import re

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int, Key, Shaped

from shapely_nn import _jaxtyping_bridge as jb
from shapely_nn._jaxtyping_bridge import DimParts


def test_array_parts_reads_every_kind_of_dim():
    hint = Float[Array, "a #b 3 _ *batch n+1"]
    assert jb.is_array_annotation(hint)
    array_type, dtypes, dims, vi, dim_str, dtype_name = jb.array_parts(hint)
    assert array_type is Array
    assert dtypes is not None and "float32" in dtypes and "int32" not in dtypes
    assert dim_str == "a #b 3 _ *batch n+1"
    assert dtype_name == "Float"
    assert vi == 4
    assert dims == (
        DimParts("named", name="a"),
        DimParts("named", name="b", broadcast=True),
        DimParts("fixed", size=3),
        DimParts("anonymous"),
        DimParts("variadic", name="batch"),
        DimParts("symbolic", expr="n+1"),
    )


def test_array_parts_any_dtype_and_anonymous_variadic():
    _, dtypes, dims, vi, _, name = jb.array_parts(Shaped[np.ndarray, "... ?t"])
    assert dtypes is None and name == "Shaped"
    assert vi == 0
    assert dims[0] == DimParts("variadic")
    assert dims[1] == DimParts("named", name="t", treepath=True)
    _, _, dims, vi, _, _ = jb.array_parts(Shaped[np.ndarray, "#*v"])
    assert (dims, vi) == ((DimParts("variadic", name="v", broadcast=True),), 0)


def test_non_array_hints_are_not_array_annotations():
    assert not jb.is_array_annotation(int)
    assert not jb.is_array_annotation(Array)
    assert not jb.is_array_annotation(Float)


def test_dtype_strings_match_what_jaxtyping_compares():
    assert jb.dtype_string(np.dtype(np.float32)) == "float32"
    assert jb.dtype_string(jnp.ones(2, jnp.bfloat16).dtype) == "bfloat16"
    assert jb.dtype_string(np.dtype(bool)) in ("bool", "bool_")
    assert jb.dtype_matches(("int32",), "int32")
    assert jb.dtype_matches((re.compile("float.*"),), "float16")
    assert not jb.dtype_matches(tuple(Int.dtypes), "float32")
    assert "prng_key" in Key.dtypes


def test_memo_frames_are_shared_with_isinstance():
    single: dict = {"n": 3}
    jb.memo_push(single, {}, {})
    try:
        assert isinstance(np.zeros(3), Shaped[np.ndarray, "n"])
        assert not isinstance(np.zeros(4), Shaped[np.ndarray, "n"])
        assert isinstance(np.zeros((3, 5)), Shaped[np.ndarray, "n m"])
        s, _ = jb.memo_read()
        assert s["m"] == 5
    finally:
        jb.memo_pop()


def test_import_hook_internals_we_reuse():
    from jaxtyping import _import_hook as ih

    assert isinstance(ih.Typechecker.lookup, dict)
    assert callable(ih.Typechecker.get_ast) and callable(ih.Typechecker.get_hash)
    manager = ih.install_import_hook("shapely_nn_no_such_package", None)
    try:
        assert isinstance(manager.hook._typechecker, ih.Typechecker)
    finally:
        manager.uninstall()
    hook = jb.install_import_hook(["shapely_nn_no_such_package"], lambda f: f, key="shapelynntest")
    try:
        assert hook.hook._typechecker.get_hash() == "shapelynntest"
        assert ih.Typechecker.lookup["shapelynntest"] is not None
    finally:
        hook.uninstall()


def test_pytree_leaf_reads_the_leaf_type():
    from jaxtyping import PyTree

    leaf = Float[Array, "n"]
    assert jb.pytree_leaf(PyTree[leaf]) is leaf
    assert jb.pytree_leaf(PyTree[leaf, "T"]) is leaf
    assert jb.pytree_leaf(leaf) is None and jb.pytree_leaf(int) is None
