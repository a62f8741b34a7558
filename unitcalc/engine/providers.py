"""Providers' minutes per unit: each rendering provider's timed minutes and billed timed
units over the groups audited, and the providers whose average falls under 15 minutes a
unit, which CMS asks to be highlighted for review ("a consistent practice of billing
less than 15 minutes for a unit").

Two forms side by side: :func:`tally` adds one row to the totals, :func:`tally_frame`
totals many rows in columns (polars). ``tests/engine/test_providers.py`` holds them equal.

References:
    CMS Pub. 100-04 Ch. 5 section 20.2 (the review of billing under 15 minutes a unit).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

NO_PROVIDER = "(none)"
"""The name rows without a provider are totalled under."""


def tally(totals: dict[str, list[int]], provider: str, minutes: int, billed: int) -> None:
    """Add a timed row's documented minutes and billed units to its provider's totals.

    >>> totals: dict[str, list[int]] = {}
    >>> tally(totals, " ann ", 30, 2); tally(totals, "", 8, 1); totals
    {'ann': [30, 2], '(none)': [8, 1]}
    """
    entry = totals.setdefault(provider.strip() or NO_PROVIDER, [0, 0])
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

    who = pl.col(provider).fill_null("").str.strip_chars().replace("", NO_PROVIDER)
    return (
        rows.filter(pl.col(code).is_in(list(timed)))
        .with_columns(who.alias("__who"))
        .group_by("__who", maintain_order=True)
        .agg(pl.col(minutes).fill_null(0).sum(), pl.col(billed).fill_null(0).sum())
    )


def provider_rows(totals: Mapping[str, list[int]]) -> list[dict[str, Any]]:
    """Each provider's average timed minutes per billed timed unit, cut (not rounded) to
    two decimals so that an average under 15 never reads 15.00, flagged for review under
    15 (the exact average is compared)."""
    rows = []
    for name, (minutes, units) in sorted(totals.items()):
        rows.append(
            {
                "provider": name,
                "timed_minutes": minutes,
                "timed_units_billed": units,
                "minutes_per_unit": minutes * 100 // units / 100 if units else None,
                "review": bool(units) and minutes < 15 * units,
            }
        )
    return rows
