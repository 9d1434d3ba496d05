"""sn.describe and the docs model behind `shapely-nn docs`."""

from __future__ import annotations

from typing import Annotated, NamedTuple

import numpy as np
import pytest
from jaxtyping import Array, Float, Int

import shapely_nn as sn


class Emb(NamedTuple):
    table: Float[Array, "vocab d"]


@sn.shaped(kinds={"batch": "plain"})
def lookup(
    p: Emb,
    ids: Annotated[Int[Array, " batch"], sn.IndexInto("vocab")],
    mask: Float[Array, " batch"] | None = None,
    k: int = 1,
) -> Annotated[Float[Array, "batch d"], sn.Finite]:
    """Rows of the table.

    More text that is not the summary."""
    return p.table[ids]


def test_describe_expands_fields_marks_optional_and_lists_constraints():
    text = sn.describe(lookup)
    assert text.startswith("### `lookup`\n\nRows of the table.\n\n")
    assert "| `p.table` | Float | (vocab, d) |  |" in text
    assert "| `ids` | Int | (batch) | IndexInto('vocab') |" in text
    assert "| `mask` (optional) | Float | (batch) |  |" in text
    assert "| `k` | int | | |" in text
    assert "| return | Float | (batch, d) | Finite |" in text
    assert "`vocab`: **not declared**" in text


def test_describe_shows_kind_overrides_and_declared_meanings():
    text = sn.describe(lookup)
    assert "- `batch` (plain here; declared batch): independent examples in a minibatch" in text


def test_describe_works_on_plain_jaxtyping_functions_and_rejects_others():
    def f(
        x: Float[np.ndarray, "n #m"],  # noqa: F821
        *rest: Float[np.ndarray, " n"],
    ) -> tuple[Float[np.ndarray, " n"], int]: ...

    text = sn.describe(f)
    assert "| `x` | Float | (n, #m) |  |" in text
    assert "| `*rest` | Float | (n) |  |" in text
    assert "| `return[0]` | Float | (n) |  |" in text

    def g(a, b):
        return a

    with pytest.raises(TypeError, match="has no jaxtyping array annotations"):
        sn.describe(g)


def test_doc_option_appends_a_shapes_section():
    @sn.shaped(doc=True)
    def embed(
        p: Emb, ids: Annotated[Int[Array, " batch"], sn.IndexInto("vocab")]
    ) -> Float[Array, "batch d"]:
        """Look rows up."""
        return p.table[ids]

    assert embed.__doc__ == (
        "Look rows up.\n\n"
        "Shapes:\n"
        "    p.table: Float (vocab, d)\n"
        "    ids: Int (batch); IndexInto('vocab')\n"
        "    return: Float (batch, d)\n\n"
        "Axes:\n"
        "    vocab: not declared\n"
        "    d: not declared\n"
        "    batch (batch): independent examples in a minibatch"
    )

    @sn.shaped
    def plain(x: Float[Array, " n"]) -> Float[Array, " n"]:
        """Unchanged."""
        return x

    assert plain.__doc__ == "Unchanged."
    with pytest.raises(TypeError, match="doc must be True or False"):
        sn.shaped(doc="yes")
