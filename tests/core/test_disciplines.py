"""The discipline table and its two forms: one value parsed (normalize_discipline) and a
column of text parsed (discipline_column), held to the same answers."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc import InvalidServiceError
from unitcalc.core.disciplines import (
    ASSISTANT_MODIFIERS,
    BY_MODIFIER,
    DISCIPLINES,
    NAMES,
    THERAPY_MODIFIERS,
    assistant_modifier,
    bills_assistant_modifier,
    bills_assistant_modifier_column,
    discipline_column,
    normalize_discipline,
)

spellings = st.sampled_from(["PT", "OT", "SLP", "GP", "GO", "GN", "pt", " gp ", "gn", "", " "])
cells = spellings | st.text(alphabet="PTOSLGNQC ptx\t", max_size=5)


def test_the_table_as_cms_names_it() -> None:
    assert NAMES == ("PT", "OT", "SLP")
    assert dict(THERAPY_MODIFIERS) == {"PT": "GP", "OT": "GO", "SLP": "GN"}
    assert dict(ASSISTANT_MODIFIERS) == {"PT": "CQ", "OT": "CO"}
    assert dict(BY_MODIFIER) == {"GP": "PT", "GO": "OT", "GN": "SLP"}
    assert all("20.1" in discipline.source for discipline in DISCIPLINES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("PT", "PT"), ("gp", "PT"), (" GO ", "OT"), ("gn", "SLP"), ("", None), ("  ", None)],
)
def test_a_value(text: str, expected: str | None) -> None:
    assert normalize_discipline(text) == expected


@pytest.mark.parametrize("text", ["PTA", "G P", "physical", "CQ"])
def test_a_value_that_is_no_discipline_names_the_choices(text: str) -> None:
    with pytest.raises(InvalidServiceError, match="is not PT, OT or SLP"):
        normalize_discipline(text)


def test_slp_has_no_assistant_modifier() -> None:
    assert assistant_modifier("PT") == "CQ"
    with pytest.raises(InvalidServiceError, match="SLP has no assistant modifier"):
        assistant_modifier("SLP", code="92507")


def scalar(text: str) -> tuple[bool, str | None]:
    """(parsed, value) of the scalar form; parsed False when it refuses the text."""
    try:
        return True, normalize_discipline(text)
    except InvalidServiceError:
        return False, None


@given(st.lists(cells, max_size=30))
@example(["GP", "gp", "", " ", "SLP", "X"])
def test_the_column_agrees_with_the_value(texts: list[str]) -> None:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    value, plain = discipline_column(pl.col("text"))
    rows = frame.select(value.alias("value"), plain.alias("plain")).iter_rows()
    for text, (got, is_plain) in zip(texts, rows, strict=True):
        parsed, expected = scalar(text)
        if is_plain:  # the columns parse it: as the scalar form does
            assert parsed
            assert got == expected, text
        if text in ("", *THERAPY_MODIFIERS, *BY_MODIFIER):  # plain spellings stay in columns
            assert is_plain, text


@given(st.lists(st.text(alphabet="CQOGPcqo;, ", max_size=8), max_size=20))
def test_assistant_modifier_billed_in_both_forms(texts: list[str]) -> None:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    got = frame.select(bills_assistant_modifier_column(pl.col("text"))).to_series().to_list()
    assert got == [bills_assistant_modifier(text) for text in texts]
