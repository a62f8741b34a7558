"""Providers' minutes per unit: each rendering provider's timed minutes and billed timed
units over the groups audited, and the providers whose average falls under 15 minutes a
unit, which CMS asks to be highlighted for review ("a consistent practice of billing
less than 15 minutes for a unit").

And each provider's days: the timed minutes of a provider and date of service across all
patients, a day of more than 8 hours (480 minutes, :data:`DAY_LIMIT`) counted. OIG
OEI-04-09-00540 (December 2010) lists "providers who were paid for more than 8 hours of
outpatient therapy provided in a single day" among its questionable billing
characteristics; the OIG counted hours paid, this counts the documented timed minutes.

Two forms side by side: :func:`tally` adds one row to the totals, :func:`tally_frame`
totals many rows in columns (polars); :func:`tally_day` and :func:`day_frame` the same
for the minutes by provider and day, and :func:`added_days` adds such frames up (the
parts of a file) as :func:`tally_day` adds their rows. ``tests/engine/test_providers.py``
holds each pair equal.

References:
    CMS Pub. 100-04 Ch. 5 section 20.2 (the review of billing under 15 minutes a unit).
    HHS OIG, "Questionable Billing for Medicare Outpatient Therapy Services",
    OEI-04-09-00540, December 2010 (more than 8 hours in a single day).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..core.text import stripped_column

if TYPE_CHECKING:
    import polars as pl

NO_PROVIDER = "(none)"
"""The name rows without a provider are totalled under."""

BOTTOM_OF_BAND = 11.5
"""An average of timed minutes per billed timed unit below which a provider bills at the
bottom of the 8-22 minute band of one unit. Derived from the CMS table (RULES.md section
2): a day of two or more units needs 23, 38, 53 ... minutes, so a compliant day of more
than one unit averages at least 11.5 minutes a unit (23 / 2); an average below it is
reached only by single units of 8 to 11 minutes or by billing more than the minutes
allow. As a threshold for review it is our reading, UNCONFIRMED (no CMS or OIG number
was read): a parameter of :func:`provider_rows`."""

DAY_LIMIT = 480
"""A provider's timed minutes in one day beyond which the day is counted: more than 8
hours (OIG OEI-04-09-00540)."""


def provider_of(provider: str) -> str:
    """The name a row's provider is counted under: stripped, :data:`NO_PROVIDER` for
    none."""
    return provider.strip() or NO_PROVIDER


def provider_column(provider: str) -> pl.Expr:
    """The columnar form of :func:`provider_of`, over the column ``provider``."""
    import polars as pl

    return stripped_column(pl.col(provider).fill_null("")).replace("", NO_PROVIDER)


def tally(totals: dict[str, list[int]], provider: str, minutes: int, billed: int) -> None:
    """Add a timed row's documented minutes and billed units to its provider's totals.

    >>> totals: dict[str, list[int]] = {}
    >>> tally(totals, " ann ", 30, 2); tally(totals, "", 8, 1); totals
    {'ann': [30, 2], '(none)': [8, 1]}
    """
    entry = totals.setdefault(provider_of(provider), [0, 0])
    entry[0] += minutes
    entry[1] += billed


def tally_frame(
    rows: pl.DataFrame,
    timed: Collection[str],
    *,
    provider: str,
    code: str,
    minutes: str,
    billed: str,
) -> pl.DataFrame:
    """The columnar form of :func:`tally` over the rows of timed codes: one row per
    provider (its name, minutes and billed units), in order of first row."""
    import polars as pl

    who = provider_column(provider)
    return (
        rows.filter(pl.col(code).is_in(list(timed)))
        .with_columns(who.alias("__who"))
        .group_by("__who", maintain_order=True)
        .agg(pl.col(minutes).fill_null(0).sum(), pl.col(billed).fill_null(0).sum())
    )


def tally_day(days: dict[tuple[str, str], int], provider: str, date: str, minutes: int) -> None:
    """Add a timed row's documented minutes to its provider's day (``YYYY-MM-DD``).

    >>> days: dict[tuple[str, str], int] = {}
    >>> tally_day(days, "ann", "2026-03-02", 30); tally_day(days, " ann", "2026-03-02", 8)
    >>> days
    {('ann', '2026-03-02'): 38}
    """
    key = (provider_of(provider), date)
    days[key] = days.get(key, 0) + minutes


def day_frame(
    rows: pl.DataFrame,
    timed: Collection[str],
    *,
    provider: str,
    code: str,
    minutes: str,
    date: str,
) -> pl.DataFrame:
    """The columnar form of :func:`tally_day` over the rows of timed codes: one row per
    provider and date (its name, date and minutes), rows without a date left out."""
    import polars as pl

    who = provider_column(provider)
    return (
        rows.filter(pl.col(code).is_in(list(timed)) & pl.col(date).is_not_null())
        .with_columns(who.alias("__who"))
        .group_by("__who", date, maintain_order=True)
        .agg(pl.col(minutes).fill_null(0).sum())
    )


def added_days(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """:func:`day_frame` results (one or more) added up in columns: one row per provider
    and date, its minutes summed, in order of first row. The file's parts are added this
    way, in polars, and their sum taken into a Python mapping once (:func:`tally_days`),
    rather than each part's rows one by one."""
    import polars as pl

    who, date, minutes = frames[0].columns
    both = pl.concat(frames)
    return both.group_by(who, date, maintain_order=True).agg(pl.col(minutes).sum())


def tally_days(days: dict[tuple[str, str], int], frame: pl.DataFrame) -> None:
    """Each row of a :func:`day_frame` (provider, date, minutes) added to ``days`` by
    :func:`tally_day`."""
    for who, date, minutes in frame.iter_rows():
        tally_day(days, who, date, int(minutes))


def long_days(
    days: Mapping[tuple[str, str], int], limit: int = DAY_LIMIT
) -> dict[str, dict[str, Any]]:
    """Per provider: the days of more than ``limit`` minutes, and the day of most minutes
    (the earliest of equals).

    >>> long_days({("ann", "2026-03-02"): 495, ("ann", "2026-03-03"): 480})
    {'ann': {'days_over_8_hours': 1, 'worst_day_minutes': 495, 'worst_day': '2026-03-02'}}
    """
    out: dict[str, dict[str, Any]] = {}
    for (name, date), minutes in sorted(days.items()):
        entry = out.setdefault(
            name, {"days_over_8_hours": 0, "worst_day_minutes": -1, "worst_day": None}
        )
        entry["days_over_8_hours"] += minutes > limit
        if minutes > entry["worst_day_minutes"]:
            entry["worst_day_minutes"], entry["worst_day"] = minutes, date
    return out


def provider_rows(
    totals: Mapping[str, list[int]],
    days: Mapping[tuple[str, str], int] | None = None,
    limit: int = DAY_LIMIT,
    bottom: float = BOTTOM_OF_BAND,
) -> list[dict[str, Any]]:
    """Each provider's average timed minutes per billed timed unit, cut (not rounded) to
    two decimals so that an average under 15 never reads 15.00, flagged for review under
    15 (the exact average is compared); with ``days`` (a date of service in the key), its
    days of more than 8 hours (:func:`long_days`). When some provider's average is under
    ``bottom`` (:data:`BOTTOM_OF_BAND`), every row says whether its is
    (``bottom_of_band``)."""
    per_day = long_days(days, limit) if days is not None else None
    none = {"days_over_8_hours": 0, "worst_day_minutes": None, "worst_day": None}
    rows = []
    for name, (minutes, units) in sorted(totals.items()):
        row: dict[str, Any] = {
            "provider": name,
            "timed_minutes": minutes,
            "timed_units_billed": units,
            "minutes_per_unit": minutes * 100 // units / 100 if units else None,
            "review": bool(units) and minutes < 15 * units,
        }
        if per_day is not None:
            row |= per_day.get(name, none)
        rows.append(row)
    low = [bool(units) and minutes < bottom * units for minutes, units in
           (totals[row["provider"]] for row in rows)]  # fmt: skip
    if any(low):
        for row, flag in zip(rows, low, strict=True):
            row["bottom_of_band"] = flag
    return rows
