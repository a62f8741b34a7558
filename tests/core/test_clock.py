"""A visit's time in or out in both forms: parse_clock and clock_column, held equal."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.core.clock import clock_column, parse_clock

texts = st.text(alphabet="0123456789: .ap\x1c\t", max_size=6) | st.builds(
    "{}:{:02d}".format, st.integers(0, 25), st.integers(0, 61)
)


@given(st.lists(texts, max_size=20))
@example(["08:05", " 8:05", "23:59", "24:00", "7:60", "12:5", ""])
# U+001C around a time: str.strip() strips it, polars' strip_chars() did not.
@example(["\x1c8:05", "8:05\x1f"])
def test_both_forms_agree(values: list[str]) -> None:
    got = pl.DataFrame({"t": values}, schema={"t": pl.String}).select(clock_column(pl.col("t")))
    assert got.to_series().to_list() == [parse_clock(value) for value in values]


def test_times_of_day() -> None:
    assert [parse_clock(t) for t in ("0:00", "08:05", "23:59", "12:5", "1205")] == [
        0, 485, 1439, None, None,
    ]  # fmt: skip
