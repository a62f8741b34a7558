"""Values in both forms: minutes, billed units and dates of service parsed one at a time
(minutes_cell, parse_units, parse_date) and in columns (minutes_column, units_column,
date_column). Where the columns call a value plain, they give the scalar form's answer;
plain spellings always stay in columns; anything else is left to the scalar form."""

from __future__ import annotations

import datetime

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.core.errors import InvalidServiceError
from unitcalc.core.values import (
    MAX_MINUTES,
    date_column,
    minutes_cell,
    minutes_column,
    parse_date,
    parse_units,
    units_column,
)

numbers = st.one_of(
    st.integers(min_value=-20, max_value=20_000).map(str),
    st.sampled_from(["", " 12", "12 ", "+5", "-0", "007", "7.0", "7.5", "1e3", "x", "١٢", "1_0"]),
    st.text(alphabet="0123456789+-. e", max_size=7),
)


def scalar(parse: object, text: str) -> tuple[bool, object]:
    try:
        return True, parse(text)  # type: ignore[operator]
    except InvalidServiceError:
        return False, None


def column(parse: object, texts: list[str]) -> list[tuple[object, ...]]:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    exprs = parse(pl.col("text"))  # type: ignore[operator]
    return frame.select(expr.alias(f"c{i}") for i, expr in enumerate(exprs)).rows()


@example(["", "0", "1440", "1441", "+5", "-0", "007", "7.0"])
@given(st.lists(numbers, min_size=1, max_size=20))
def test_minutes_in_both_forms(texts: list[str]) -> None:
    for text, (value, plain) in zip(texts, column(minutes_column, texts), strict=True):
        parsed, expected = scalar(lambda t: minutes_cell(t, code="97110"), text)
        if plain:
            assert parsed, text
            assert value == expected, text
        if text == "" or (text.isdigit() and text.isascii() and int(text) <= MAX_MINUTES):
            assert plain, text


@example(["0", "2", "9999", "10000", "+1", "-1", "2.0", ""])
@given(st.lists(numbers, min_size=1, max_size=20))
def test_units_in_both_forms(texts: list[str]) -> None:
    for text, (value, plain) in zip(texts, column(units_column, texts), strict=True):
        parsed, expected = scalar(lambda t: parse_units(t, code="97110"), text)
        if plain:
            assert parsed, text
            assert value == expected, text
        if text.isdigit() and text.isascii() and int(text) <= 9999:
            assert plain, text


dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 12, 31))
date_texts = st.one_of(
    dates.map(lambda d: d.isoformat()),
    dates.map(lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}"),
    dates.map(lambda d: f"{d.year}-{d.month}-{d.day}"),
    dates.map(lambda d: f"{d.month}/{d.day}/{d.year}"),
    st.sampled_from(["2026-02-30", " 2026-01-05", "5.1.2026", "2026/01/05", "", "01/05/26"]),
)


@example(["2026-01-05", "01/05/2026", "2026-1-5", "1/5/2026", "2026-02-30", " 2026-01-05"])
@given(st.lists(date_texts, min_size=1, max_size=20))
def test_dates_in_both_forms(texts: list[str]) -> None:
    for text, (value, written, plain) in zip(texts, column(date_column, texts), strict=True):
        parsed, expected = scalar(parse_date, text)
        if plain:
            assert parsed, text
            day, form = expected  # type: ignore[misc]
            assert (value, written) == (day.isoformat(), form), text


def test_a_date_written_as_in_the_us_or_iso_is_the_same_day() -> None:
    assert parse_date("1/5/2026") == (datetime.date(2026, 1, 5), "us")
    assert parse_date("2026-01-05") == (datetime.date(2026, 1, 5), "iso")
    with pytest.raises(InvalidServiceError, match="is not a date"):
        parse_date("5.1.2026")
