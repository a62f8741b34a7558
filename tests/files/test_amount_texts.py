"""The columnar forms of a finding's dollars (:mod:`unitcalc.files.amount_texts`) write
every amount as the scalar forms do: JSON's float, the CSV's cents, the text's
``$1,250.00``."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.files.amount_texts import (
    LIMIT,
    csv_amount,
    csv_amount_column,
    json_amount,
    json_amount_column,
    text_amount,
    text_amount_column,
)

FORMS = (
    (json_amount, json_amount_column),
    (csv_amount, csv_amount_column),
    (text_amount, text_amount_column),
)

amounts = st.one_of(
    st.none(),
    st.integers(-(LIMIT - 1), LIMIT - 1),
    st.integers(-100_000, 100_000),
    st.sampled_from([0, 1, 10, 99, 100, 101, 999_99, 1000_00, 1000_01, -1000_00, 10**11]),
)


@example([0, 5, -5, 6000, -1500, 3333, 123_456_789_012, 100_000_000, None])
@example([LIMIT - 1, -(LIMIT - 1), 99_999_999, 100_000_00])
@given(st.lists(amounts, max_size=30))
def test_each_amount_is_written_as_the_scalar_form_writes_it(cents: list[int | None]) -> None:
    frame = pl.DataFrame({"cents": pl.Series(cents, dtype=pl.Int128)})
    for scalar, column in FORMS:
        written = frame.select(column(pl.col("cents"))).to_series().to_list()
        wanted = [scalar(None if c is None else Decimal(c).scaleb(-2)) for c in cents]
        assert written == wanted, scalar.__name__


def test_amounts_beyond_the_limit_are_left_to_the_scalar_form() -> None:
    frame = pl.DataFrame({"cents": pl.Series([LIMIT, -LIMIT, 1], dtype=pl.Int128)})
    for _, column in FORMS:
        written = frame.select(column(pl.col("cents"))).to_series().to_list()
        assert written[:2] == [None, None]
        assert written[2] is not None
