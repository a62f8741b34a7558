"""Modifiers as billed: the scalar and the columnar form read the same cells."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.core.errors import InvalidServiceError
from unitcalc.engine.modifiers import modifiers_column, parse_modifiers

PIECES = st.sampled_from(
    ["GP", "cq", "59", "KX", "G", "GPC", "ZZZZZZ", " ", ";", ",", "\t", "\n", "\u0131\u0131", "²²", "É1",
     "\x1f", "\u00a0", "", "Gp"]
)  # fmt: skip


def reads(text: str) -> bool:
    try:
        parse_modifiers(text)
    except InvalidServiceError:
        return False
    return True


@example("ZZZZZZ")
@example("GP;;CQ ,59")
@example("\u0131\u0131")
@example(" \tGP\t; CQ")
@given(st.lists(PIECES, max_size=6).map("".join) | st.text(max_size=8))
def test_the_two_forms_read_the_same_cells(text: str) -> None:
    [columnar] = pl.select(modifiers_column(pl.lit(text, dtype=pl.String))).to_series()
    assert columnar == reads(text)


@pytest.mark.parametrize("text", ["ZZZZZZ", "G", "GPCQ", "G P", "\u0131\u0131", "²²"])
def test_what_is_no_modifier_is_refused_naming_it(text: str) -> None:
    with pytest.raises(InvalidServiceError, match="is not a two-character modifier"):
        parse_modifiers(text)


def test_modifiers_are_read_in_any_spelling() -> None:
    assert parse_modifiers(" gp; cq,59 KX\t") == ("GP", "CQ", "59", "KX")
