"""core/text: :func:`count_of` and its columnar form side by side."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from unitcalc.core.text import count_of, count_of_column


@given(st.lists(st.integers(0, 999), max_size=20), st.sampled_from(["unit", "full unit", "row"]))
def test_count_of_in_columns_agrees_with_one_count(counts: list[int], noun: str) -> None:
    frame = pl.DataFrame({"n": counts}, schema={"n": pl.Int64})
    worded = frame.select(count_of_column(pl.col("n"), noun)).to_series().to_list()
    assert worded == [count_of(count, noun) for count in counts]
