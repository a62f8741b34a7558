"""Patients with therapy in every month of a year: the calendar months of a patient's
dates of service, per patient and year, and the patient-years that fill all twelve.

HHS OIG's "Questionable Billing for Medicare Outpatient Therapy Services"
(OEI-04-09-00540, December 2010) counts, among its six questionable billing
characteristics, payments "for therapy services provided throughout the year"; ASHA's
summary of the report words it as beneficiaries whose providers were paid for services
in every month of the year. We read those summaries, not the report's method: that the
OIG counted calendar months of a calendar year, any service in the month, is our reading
(UNCONFIRMED), so :data:`MONTHS` is a parameter.

Two forms side by side: :func:`note_date` adds one row's date of service to a patient's
year, :func:`month_frame` does the same for many rows in columns (polars); both give the
dates of service per patient and year, and :func:`every_month` decides from either.
``tests/engine/test_every_month.py`` holds the two equal.

References:
    HHS OIG, "Questionable Billing for Medicare Outpatient Therapy Services",
    OEI-04-09-00540, December 2010, as summarised by Health Industry Washington Watch
    (December 2010) and ASHA ("OIG Targets Medicare Outpatient Therapy Billing",
    January 11, 2011).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

MONTHS = 12
"""The months of a year with therapy that make a patient-year counted: all of them."""


def note_date(seen: dict[tuple[str, int], set[str]], patient: str, date: str) -> None:
    """Add a row's date of service (``YYYY-MM-DD``) to its patient's year.

    >>> seen: dict[tuple[str, int], set[str]] = {}
    >>> note_date(seen, "P1", "2026-03-02"); note_date(seen, "P1", "2026-03-02")
    >>> seen
    {('P1', 2026): {'2026-03-02'}}
    """
    seen.setdefault((patient, int(date[:4])), set()).add(date)


def month_frame(rows: pl.DataFrame, *, patient: str, date: str) -> pl.DataFrame:
    """The columnar form of :func:`note_date`: one row per patient and year (its patient,
    year, months with a date of service, and dates of service), rows without a patient
    or a date left out."""
    import polars as pl

    day = pl.col(date)
    return (
        rows.filter(pl.col(patient).is_not_null() & day.is_not_null())
        .group_by(patient, day.str.slice(0, 4).cast(pl.Int64).alias("year"))
        .agg(
            day.str.slice(5, 2).n_unique().cast(pl.Int64).alias("months"),
            day.n_unique().cast(pl.Int64).alias("dates_of_service"),
        )
    )


def every_month(
    seen: Mapping[tuple[str, int], set[str]], months: int = MONTHS
) -> list[dict[str, Any]]:
    """The patient-years with a date of service in at least ``months`` calendar months,
    by patient and year.

    >>> seen = {("P1", 2026): {f"2026-{month:02}-05" for month in range(1, 13)}}
    >>> every_month(seen | {("P2", 2026): {"2026-01-05"}})
    [{'patient': 'P1', 'year': 2026, 'months': 12, 'dates_of_service': 12}]
    """
    return [
        {
            "patient": patient,
            "year": year,
            "months": len({date[5:7] for date in dates}),
            "dates_of_service": len(dates),
        }
        for (patient, year), dates in sorted(seen.items())
        if len({date[5:7] for date in dates}) >= months
    ]


def every_month_frame(frame: pl.DataFrame, months: int = MONTHS) -> list[dict[str, Any]]:
    """:func:`every_month` from :func:`month_frame`'s rows (the first column the
    patient)."""
    import polars as pl

    chosen = frame.filter(pl.col("months") >= months)
    return [
        {"patient": patient, "year": year, "months": count, "dates_of_service": dates}
        for patient, year, count, dates in sorted(chosen.iter_rows())
    ]
