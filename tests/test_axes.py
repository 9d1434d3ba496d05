import pytest

import shapely_nn as sn


def test_axis_declares_registers_and_str_is_name():
    ax = sn.axis("ta_batch", "examples", kind="batch")
    assert str(ax) == "ta_batch"
    assert f"{ax} ta_feature" == "ta_batch ta_feature"
    assert sn.axes()["ta_batch"] is ax
    assert "ta_batch" in sn.axes()
    assert sn.axes().get("ta_nope") is None
    assert ax.kind == "batch" and ax.doc == "examples"
    assert ax.declared_in == __name__


def test_redeclaring_with_same_meaning_is_a_no_op():
    a = sn.axis("ta_same", "a thing", size=3)
    b = sn.axis("ta_same", "a thing", size=3)
    assert a is b


def test_redeclaring_with_different_meaning_raises():
    sn.axis("ta_conf", "one meaning")
    with pytest.raises(sn.AxisConflictError) as e:
        sn.axis("ta_conf", "another meaning", kind="set")
    msg = str(e.value)
    assert "'ta_conf' is already declared with a different meaning" in msg
    assert "doc='one meaning' before, doc='another meaning' now" in msg
    assert "kind='plain' before, kind='set' now" in msg
    assert f"first declared in {__name__}" in msg


def test_unknown_kind_lists_the_valid_ones():
    with pytest.raises(ValueError) as e:
        sn.axis("ta_k", kind="batched")
    assert str(e.value) == (
        "sn.axis('ta_k'): unknown axis kind 'batched'; valid kinds are 'plain', "
        "'batch', 'set', 'causal'. Did you mean 'batch'?"
    )


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"name": "1x"}, "must be a Python identifier"),
        ({"name": "_x"}, "must be a Python identifier"),
        ({"name": "ta_s", "size": -1}, "size must be a non-negative int"),
        ({"name": "ta_s", "size": 2.0}, "size must be a non-negative int"),
        ({"name": "ta_s", "test_sizes": []}, "test_sizes must be a non-empty"),
        ({"name": "ta_s", "test_sizes": [0]}, "test_sizes must be a non-empty"),
        ({"name": "ta_s", "size": 3, "test_sizes": [2]}, "contradict the fixed size 3"),
    ],
)
def test_bad_declarations_are_rejected_clearly(kwargs, fragment):
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=fragment):
        sn.axis(name, **kwargs)
    assert name not in sn.axes()


def test_registry_iterates_sorted_and_looks_up_with_suggestions():
    sn.axis("ta_zeta")
    sn.axis("ta_alpha")
    names = [a.name for a in sn.axes()]
    assert names == sorted(names)
    assert {"ta_zeta", "ta_alpha"} <= set(sn.axes().names())
    with pytest.raises(KeyError, match="did you mean 'ta_alpha'"):
        sn.axes()["ta_alpah"]


def test_registry_knows_which_functions_use_an_axis():
    from jaxtyping import Array, Float

    sn.axis("ta_used", "used by one function")

    @sn.shaped
    def uses_it(x: Float[Array, " ta_used"]) -> Float[Array, " ta_used"]:
        return x

    assert any(q.endswith("uses_it") for q in sn.axes().used_by("ta_used"))
    assert sn.axes().used_by("ta_alpha") == []


def test_test_sizes_are_stored_as_a_tuple():
    ax = sn.axis("ta_ts", test_sizes=[2, 5])
    assert ax.test_sizes == (2, 5)
