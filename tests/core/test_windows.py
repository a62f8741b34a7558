"""Code windows in both forms: how a code counts on a date (kind_on) and the same for
many rows in columns (kind_column), both held to the code table's lookup."""

from __future__ import annotations

import datetime

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc import CodeTable, UnitcalcError
from unitcalc.core.windows import kind_column, kind_on

TABLE = CodeTable.default()
CODES = sorted(TABLE.codes)
days = st.none() | st.dates(
    min_value=datetime.date(2014, 1, 1), max_value=datetime.date(2028, 12, 31)
)


def looked_up(code: str, day: datetime.date | None) -> str | None:
    try:
        return TABLE.lookup(code, on=day).kind
    except UnitcalcError:
        return None


@example(["97001", "97161", "97127", "G0515", "98975"], datetime.date(2016, 12, 31))
@example(["97001", "97161", "97127"], None)
@given(st.lists(st.sampled_from(CODES), min_size=1, max_size=10), days)
def test_windows_in_both_forms_and_the_lookup(codes: list[str], day: datetime.date | None) -> None:
    infos = [TABLE.codes[code] for code in codes]
    frame = pl.DataFrame(
        {
            "kind": [info.kind for info in infos],
            "from": [info.valid_from for info in infos],
            "to": [info.valid_to for info in infos],
            "valid_kind": [info.valid_kind for info in infos],
            "day": [day] * len(infos),
        },
        schema={
            "kind": pl.String,
            "from": pl.Date,
            "to": pl.Date,
            "valid_kind": pl.String,
            "day": pl.Date,
        },
    )
    got = frame.select(
        kind_column(
            pl.col("kind"), pl.col("from"), pl.col("to"), pl.col("valid_kind"), pl.col("day")
        )
    ).to_series()
    expected = [kind_on(info, day) for info in infos]
    assert got.to_list() == expected
    assert expected == [looked_up(code, day) for code in codes]
