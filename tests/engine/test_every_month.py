"""Patients with therapy in every month of a year, in both forms: one date at a time
(note_date) and many rows in columns (month_frame), decided by every_month."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from unitcalc.engine.every_month import every_month, every_month_frame, month_frame, note_date

dates = st.builds(
    lambda year, month, day: f"{year}-{month:02}-{day:02}",
    st.sampled_from((2025, 2026)),
    st.integers(1, 12),
    st.integers(1, 3),
)
rows = st.lists(st.tuples(st.sampled_from(("P1", "P2", None)), st.none() | dates), max_size=60)


@given(rows, st.integers(1, 12))
def test_months_in_both_forms(lines: list[tuple[str | None, str | None]], months: int) -> None:
    seen: dict[tuple[str, int], set[str]] = {}
    for patient, date in lines:
        if patient is not None and date is not None:
            note_date(seen, patient, date)
    frame = pl.DataFrame(lines, schema={"patient": pl.String, "date": pl.String}, orient="row")
    got = month_frame(frame, patient="patient", date="date")
    assert every_month_frame(got, months) == every_month(seen, months)
    assert got.height == len(seen)


def test_twelve_months_of_one_year_are_counted() -> None:
    seen: dict[tuple[str, int], set[str]] = {}
    for month in range(1, 13):
        note_date(seen, "P1", f"2026-{month:02}-10")
        note_date(seen, "P1", f"2026-{month:02}-20")
        if month != 6:
            note_date(seen, "P2", f"2026-{month:02}-10")  # no June
        note_date(seen, "P3", f"{2025 + (month > 6)}-{month:02}-10")  # two years, half each
    assert every_month(seen) == [
        {"patient": "P1", "year": 2026, "months": 12, "dates_of_service": 24}
    ]
    # The twelve is a parameter (the OIG's method is not read): eleven finds P2 too.
    assert [row["patient"] for row in every_month(seen, 11)] == ["P1", "P2"]
