"""Two patients of one provider at once, in both forms: times read one at a time
(minute_of_day) and in columns (minute_expr); spans merged and overlaps counted in
Python (overlap_days) and in columns (patient_spans, overlap_frame)."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.engine.overlaps import (
    minute_expr,
    minute_of_day,
    overlap_days,
    overlap_frame,
    patient_spans,
    with_minutes,
)

times = st.one_of(
    st.builds(lambda h, m: f"{h}:{m:02}", st.integers(0, 30), st.integers(0, 70)),
    st.builds(
        lambda h, m, s: f" {h:02}:{m:02}:{s:02}",
        st.integers(0, 25),
        st.integers(0, 59),
        st.integers(0, 61),
    ),
    st.sampled_from(["", "8", "8:5", "08:30 AM", "\x1c08:30", "x", "12:00:00:00"]),
    st.none(),
)


@given(st.lists(times, max_size=30))
@example(["23:59", "24:00", "7:60", "07:05:60", "0:00"])
@example(["\x1c08:30", "08:30\x1f"])  # separators str.strip() strips
def test_times_in_both_forms(texts: list[str | None]) -> None:
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    got = frame.select(minute_expr("t")).to_series().to_list()
    assert got == [minute_of_day(text) for text in texts]
    # Worked once per distinct text and joined back: the same minutes, row for row.
    joined = with_minutes(frame.with_row_index("i"), "t", "m")
    assert joined.get_column("i").to_list() == list(range(len(texts)))
    assert joined.get_column("m").to_list() == got


spans = st.lists(
    st.builds(
        lambda provider, date, patient, start, length: (
            provider,
            date,
            patient,
            start,
            start + length,
        ),
        st.sampled_from(("ann", "bob")),
        st.sampled_from(("2026-03-02", "2026-03-03")),
        st.sampled_from(("P1", "P2", "P3")),
        st.integers(0, 100),
        st.integers(1, 40),
    ),
    max_size=25,
)


@given(spans)
def test_overlaps_in_both_forms(given_spans: list[tuple[str, str, str, int, int]]) -> None:
    frame = pl.DataFrame(
        given_spans,
        schema={"provider": pl.String, "date": pl.String, "patient": pl.String,
                "start": pl.Int64, "end": pl.Int64},
        orient="row",
    )  # fmt: skip
    got = overlap_frame(patient_spans(frame)).to_dicts()
    assert got == overlap_days(given_spans)


def test_one_patients_session_is_one_span_and_touching_is_no_overlap() -> None:
    day = "2026-03-02"
    assert overlap_days([
        ("ann", day, "P1", 540, 600), ("ann", day, "P1", 540, 570),  # one session, 2 codes
        ("ann", day, "P2", 600, 645),  # starts as P1 ends: no overlap
        ("ann", day, "P1", 660, 700),  # P1 again in the afternoon: alone
        ("bob", day, "P3", 540, 600),  # another provider at the same time
    ]) == []  # fmt: skip
    assert overlap_days([
        ("ann", day, "P1", 540, 600), ("ann", day, "P2", 599, 645),
        ("ann", day, "P3", 550, 560),
    ]) == [{"provider": "ann", "date_of_service": day, "overlaps": 2}]  # fmt: skip
