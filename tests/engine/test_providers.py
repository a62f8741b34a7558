"""Providers' minutes per unit in both forms: one row added at a time (tally) and many
rows in columns (tally_frame); and the review flag under 15 minutes a unit. The minutes
by provider and day in both forms (tally_day, day_frame), and the days over 8 hours."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.engine.providers import (
    added_days,
    day_frame,
    long_days,
    provider_rows,
    tally,
    tally_day,
    tally_days,
    tally_frame,
)

TIMED = ("97110", "97140")
rows = st.lists(
    st.tuples(
        st.sampled_from(("ann", " ann", "\x1cann", "bob", "", None)),
        st.sampled_from(("97110", "97140", "97161")),
        st.none() | st.integers(0, 60),
        st.none() | st.integers(0, 4),
    ),
    max_size=20,
)


@given(rows)
@example([("ann", "97110", 30, 2), ("\x1cann", "97140", 8, 1)])  # one provider
def test_totals_in_both_forms(lines: list[tuple[str | None, str, int | None, int | None]]) -> None:
    totals: dict[str, list[int]] = {}
    for provider, code, minutes, billed in lines:
        if code in TIMED:
            tally(totals, provider or "", minutes or 0, billed or 0)
    frame = pl.DataFrame(
        lines,
        schema={"provider": pl.String, "code": pl.String, "minutes": pl.Int64, "billed": pl.Int64},
        orient="row",
    )
    got = tally_frame(
        frame, TIMED, provider="provider", code="code", minutes="minutes", billed="billed"
    )
    assert {name: [minutes, billed] for name, minutes, billed in got.iter_rows()} == totals


def test_under_15_minutes_a_unit_is_flagged_exactly() -> None:
    rows = provider_rows({"ann": [374, 25], "bob": [375, 25], "cy": [0, 0]})
    assert [(row["provider"], row["minutes_per_unit"], row["review"]) for row in rows] == [
        ("ann", 14.96, True),  # under 15, and never shown as 15.00
        ("bob", 15.0, False),
        ("cy", None, False),
    ]
    # Cut, not rounded: 14.999 reads 14.99.
    assert provider_rows({"dee": [14999, 1000]})[0]["minutes_per_unit"] == 14.99


days_rows = st.lists(
    st.tuples(
        st.sampled_from(("ann", " ann", "\x1cann", "bob", "", None)),
        st.sampled_from(("97110", "97140", "97161")),
        st.none() | st.integers(0, 300),
        st.none() | st.sampled_from(("2026-03-02", "2026-03-03")),
    ),
    max_size=20,
)


@given(days_rows)
@example([("ann", "97110", 30, "2026-03-02"), ("ann\x1f", "97140", 8, "2026-03-02")])
def test_minutes_by_day_in_both_forms(
    lines: list[tuple[str | None, str, int | None, str | None]],
) -> None:
    days: dict[tuple[str, str], int] = {}
    for provider, code, minutes, date in lines:
        if code in TIMED and date is not None:
            tally_day(days, provider or "", date, minutes or 0)
    frame = pl.DataFrame(
        lines,
        schema={"provider": pl.String, "code": pl.String, "minutes": pl.Int64, "date": pl.String},
        orient="row",
    )
    got = day_frame(frame, TIMED, provider="provider", code="code", minutes="minutes", date="date")
    assert {(name, date): minutes for name, date, minutes in got.iter_rows()} == days
    assert long_days(days) == long_days(
        {(name, date): minutes for name, date, minutes in got.iter_rows()}
    )


def test_more_than_480_minutes_in_a_day_is_counted() -> None:
    days = {
        ("ann", "2026-03-02"): 495,
        ("ann", "2026-03-04"): 481,
        ("bob", "2026-03-02"): 480,  # 8 hours, not more
        ("bob", "2026-03-03"): 480,
    }
    rows = provider_rows({"ann": [976, 60], "bob": [960, 64]}, days)
    assert [
        (row["provider"], row["days_over_8_hours"], row["worst_day_minutes"], row["worst_day"])
        for row in rows
    ] == [("ann", 2, 495, "2026-03-02"), ("bob", 0, 480, "2026-03-02")]
    # Without dates of service (visit keys) the rows carry no day figures.
    assert "days_over_8_hours" not in provider_rows({"ann": [976, 60]})[0]
    # The limit is a parameter: 8 hours is the OIG's reading, another can be asked for.
    assert provider_rows({"bob": [960, 64]}, days, limit=479)[0]["days_over_8_hours"] == 2


def test_bottom_of_the_band_is_marked_only_when_some_provider_is() -> None:
    # 23 minutes for 2 units is the least a compliant day of more than one unit holds:
    # an average of 11.5 is not under it; 11.49 is.
    rows = provider_rows({"ann": [23, 2], "bob": [1149, 100], "cy": [0, 0]})
    assert [(row["provider"], row["review"], row["bottom_of_band"]) for row in rows] == [
        ("ann", True, False),
        ("bob", True, True),
        ("cy", False, False),
    ]
    # Nobody under it: the rows are as before (no key at all).
    assert all("bottom_of_band" not in row for row in provider_rows({"ann": [23, 2]}))
    # The threshold is a parameter (UNCONFIRMED as a review threshold).
    assert provider_rows({"ann": [23, 2]}, bottom=12)[0]["bottom_of_band"] is True


@given(st.lists(days_rows, max_size=4))
def test_parts_days_added_in_columns_are_their_rows_added_one_by_one(
    parts: list[list[tuple[str | None, str, int | None, str | None]]],
) -> None:
    # A file's parts: each part's day_frame added up in columns, then taken into a
    # mapping once, is every row's tally_day.
    days: dict[tuple[str, str], int] = {}
    frames = []
    for lines in parts:
        for provider, code, minutes, date in lines:
            if code in TIMED and date is not None:
                tally_day(days, provider or "", date, minutes or 0)
        frame = pl.DataFrame(
            lines,
            schema={
                "provider": pl.String,
                "code": pl.String,
                "minutes": pl.Int64,
                "date": pl.String,
            },
            orient="row",
        )
        part = day_frame(
            frame, TIMED, provider="provider", code="code", minutes="minutes", date="date"
        )
        frames.append(part)
        if len(frames) == 2:  # as the file's parts are: a few added, then the next
            frames = [added_days(frames)]
    added: dict[tuple[str, str], int] = {}
    if frames:
        tally_days(added, added_days(frames))
    assert added == days
