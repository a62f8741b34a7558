"""Time in and out in both forms: one visit's lines (visit_excess) and many visits in
columns (span_frame), held equal; and the visit's minutes against its span and total."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from unitcalc.engine.visit_span import span_frame, visit_excess

maybe = st.none() | st.integers(0, 120)
lines = st.lists(
    st.tuples(st.sampled_from(("a", "b", "c")), maybe, maybe, maybe, maybe), max_size=20
)


@given(lines)
def test_both_forms_agree(
    rows: list[tuple[str, int | None, int | None, int | None, int | None]],
) -> None:
    numbered = [(number, *row) for number, row in enumerate(rows, start=2)]
    scalar = {}
    for visit in sorted({row[1] for row in numbered}):
        own = [(n, m, s, e, t) for n, g, m, s, e, t in numbered if g == visit]
        found = visit_excess(own)
        if found is not None:
            scalar[visit] = found
    schema = dict.fromkeys(("line", "minutes", "start", "end", "total"), pl.Int64) | {
        "visit": pl.String
    }
    frame = pl.DataFrame(
        [
            dict(zip(("line", "visit", "minutes", "start", "end", "total"), row, strict=True))
            for row in numbered
        ],
        schema=schema,
    )
    got = span_frame(
        frame,
        group="visit",
        line="line",
        minutes="minutes",
        start="start",
        end="end",
        total="total",
    )
    assert {row.pop("visit"): row for row in got.iter_rows(named=True)} == scalar


def test_minutes_against_span_and_total() -> None:
    # 08:00-08:30 holds 30 minutes: 40 timed and 15 untimed do not fit.
    assert visit_excess([(2, 40, 480, 510, None), (3, 15, 480, 510, None)]) == {
        "lines": [2, 3], "minutes": 55, "span": 30, "total": None,
    }  # fmt: skip
    assert visit_excess([(2, 30, 480, 510, None)]) is None  # exactly the span
    # Two sittings: 08:00-08:30 and 13:00-13:30 hold 60 minutes.
    assert visit_excess([(2, 30, 480, 510, None), (3, 30, 780, 810, None)]) is None
    # A total treatment time written on the line.
    assert visit_excess([(2, 46, None, None, 45)]) == {
        "lines": [2], "minutes": 46, "span": None, "total": 45,
    }  # fmt: skip
    assert visit_excess([(2, 46, None, None, None)]) is None  # nothing to check against
