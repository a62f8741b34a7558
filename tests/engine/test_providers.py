"""Providers' minutes per unit in both forms: one row added at a time (tally) and many
rows in columns (tally_frame); and the review flag under 15 minutes a unit."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from unitcalc.engine.providers import provider_rows, tally, tally_frame

TIMED = ("97110", "97140")
rows = st.lists(
    st.tuples(
        st.sampled_from(("ann", " ann", "bob", "", None)),
        st.sampled_from(("97110", "97140", "97161")),
        st.none() | st.integers(0, 60),
        st.none() | st.integers(0, 4),
    ),
    max_size=20,
)


@given(rows)
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
