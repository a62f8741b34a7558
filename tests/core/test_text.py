"""core/text: :func:`count_of` and ``str.strip()``, each beside its columnar form."""

from __future__ import annotations

import re

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.core.text import (
    STRIP_PATTERN,
    WHITESPACE,
    count_of,
    count_of_column,
    stripped_column,
)


@given(st.lists(st.integers(0, 999), max_size=20), st.sampled_from(["unit", "full unit", "row"]))
def test_count_of_in_columns_agrees_with_one_count(counts: list[int], noun: str) -> None:
    frame = pl.DataFrame({"n": counts}, schema={"n": pl.Int64})
    worded = frame.select(count_of_column(pl.col("n"), noun)).to_series().to_list()
    assert worded == [count_of(count, noun) for count in counts]


# The separators U+001C-U+001F, which Python strips and polars' own whitespace lacks.
@example(["\x1cann\x1f", " \u3000bo\x85 ", ""])
@given(
    st.lists(st.text(st.sampled_from(" \t\r\n\x0b\x0c\x1c\x1f\x85\xa0\u2028\u3000ab")), max_size=20)
)
def test_stripped_in_columns_agrees_with_str_strip(texts: list[str]) -> None:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    stripped = frame.select(stripped_column(pl.col("text"))).to_series().to_list()
    assert stripped == [text.strip() for text in texts]


@example(["\x1cann\x1f", "a\n", " \n", "\x85"])
@given(st.lists(st.text(st.sampled_from(" \t\r\n\x1c\x1f\x85\xa0\u2028\u3000ab")), max_size=20))
def test_the_strip_pattern_removes_what_str_strip_strips(texts: list[str]) -> None:
    # Spark removes its matches (regexp_replace) from a key and a blank row's cells.
    assert [re.sub(STRIP_PATTERN, "", text) for text in texts] == [text.strip() for text in texts]


def test_the_whitespace_is_what_str_strip_strips() -> None:
    every = "".join(chr(point) for point in range(0x110000) if chr(point).isspace())
    assert every == WHITESPACE
    assert ("x" + every + "x").strip() == "x" + every + "x"
    assert every.strip() == ""
