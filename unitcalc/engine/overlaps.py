"""One rendering provider, two patients at once: on a date of service, a provider's
services to one patient that start before those to another patient have ended, from
the start and end times of the lines (or visits).

The OIG's questionable billing characteristics (OEI-04-09-00540, December 2010) count a
provider's days of more than 8 hours (:mod:`.providers`); time that overlaps between
patients is a finer reading of the same question, which the issue this answers asks
for. No CMS or OIG text on overlapping patients was read here: that an overlap is
worth a review, and whether one of supervised (untimed) modalities or of a group
service is, is UNCONFIRMED. Every line with times counts, so a finding is a day to
review, not an error.

A patient's own lines that overlap (several codes of one session written with the
session's times) are one span first; spans of different patients that overlap are
counted: a span that starts before an earlier span of the provider's day has ended.
A time is ``HH:MM`` or ``HH:MM:SS`` on a 24-hour clock; a span ends after it starts.

Two forms side by side: :func:`minute_of_day` and :func:`overlap_days` (one line at a
time, in Python), :func:`minute_expr` and :func:`overlap_frame` (polars);
``tests/engine/test_overlaps.py`` holds them equal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..core.runs import key_changed
from ..core.text import stripped_column

if TYPE_CHECKING:
    import polars as pl

TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
TIME_PATTERN = r"^([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?$"

DAY = 1 << 20
"""Larger than any minute of a day (and any span's end): a patient-day's numbering step
in :func:`patient_spans`."""

Span = tuple[str, str, str, int, int]
"""A provider, a date of service, a patient, the start and the end (minutes of the day)."""


def minute_of_day(text: str | None) -> int | None:
    """The minute of the day a time (``HH:MM`` or ``HH:MM:SS``, 24-hour) names, seconds
    dropped; None for a blank or unreadable one.

    >>> minute_of_day("13:05"), minute_of_day(" 8:30:59 "), minute_of_day("24:00")
    (785, 510, None)
    """
    found = TIME.fullmatch((text or "").strip())
    if found is None:
        return None
    hour, minute, second = int(found[1]), int(found[2]), int(found[3] or 0)
    return hour * 60 + minute if hour < 24 and minute < 60 and second < 60 else None


def minute_expr(column: str) -> pl.Expr:
    """The columnar form of :func:`minute_of_day`."""
    import polars as pl

    parts = stripped_column(pl.col(column)).str.extract_groups(TIME_PATTERN)
    hour = parts.struct.field("1").cast(pl.Int64)
    minute = parts.struct.field("2").cast(pl.Int64)
    second = parts.struct.field("3").cast(pl.Int64).fill_null(0)
    good = (hour < 24) & (minute < 60) & (second < 60)
    return pl.when(good).then(hour * 60 + minute).otherwise(None)


def with_minutes(frame: pl.DataFrame, column: str, name: str) -> pl.DataFrame:
    """``frame`` with ``name``, :func:`minute_expr` of its ``column``, worked out once per
    distinct text (a file's times repeat: a day has 1,440 minutes) and joined back, row
    order kept."""
    import polars as pl

    distinct = frame.select(pl.col(column).unique()).with_columns(minute_expr(column).alias(name))
    return frame.join(distinct, on=column, how="left", nulls_equal=True, maintain_order="left")


def overlap_days(spans: Iterable[Span]) -> list[dict[str, Any]]:
    """Per provider and date with overlaps: how many spans (a patient's lines merged)
    start before an earlier span of another patient has ended, by provider and date.

    >>> overlap_days([("ann", "2026-03-02", "P1", 540, 600), ("ann", "2026-03-02", "P2",
    ...     570, 630), ("ann", "2026-03-02", "P1", 550, 560)])
    [{'provider': 'ann', 'date_of_service': '2026-03-02', 'overlaps': 1}]
    """
    by_patient: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
    for provider, date, patient, start, end in spans:
        by_patient.setdefault((provider, date, patient), []).append((start, end))
    by_day: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    for (provider, date, patient), times in by_patient.items():
        merged: list[list[int]] = []
        for start, end in sorted(times):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        by_day.setdefault((provider, date), []).extend((s, e, patient) for s, e in merged)
    out = []
    for (provider, date), blocks in sorted(by_day.items()):
        latest, count = None, 0
        for start, end, _ in sorted(blocks):
            count += latest is not None and start < latest
            latest = end if latest is None else max(latest, end)
        if count:
            out.append({"provider": provider, "date_of_service": date, "overlaps": count})
    return out


def patient_spans(rows: pl.DataFrame) -> pl.DataFrame:
    """A patient's lines of a provider's day merged into spans (columns ``provider``,
    ``date``, ``patient``, ``start``, ``end``): a line that starts before the patient's
    span so far has ended joins it. Without window functions (slow over many small
    groups): each patient-day gets a number in sort order, and the running maximum of
    ``number * DAY + end`` over the whole frame is, within a patient-day, its own
    running maximum end (earlier patient-days' values are all smaller)."""
    import polars as pl

    day = ["provider", "date", "patient"]
    base = key_changed(day).cast(pl.Int64).cum_sum() * DAY
    before = (base + pl.col("end")).cum_max().shift(1)
    fresh = before.is_null() | (before < base) | (base + pl.col("start") >= before)
    return (
        rows.sort(*day, "start", "end")
        .with_columns(fresh.cast(pl.Int64).cum_sum().alias("__span"))
        .group_by("__span")
        .agg(*(pl.col(name).first() for name in day), pl.col("start").min(), pl.col("end").max())
        .drop("__span")
    )


def overlap_frame(spans: pl.DataFrame) -> pl.DataFrame:
    """The columnar form of :func:`overlap_days` over :func:`patient_spans`' rows: one row
    per provider and date with overlaps (``provider``, ``date_of_service``,
    ``overlaps``), in that order."""
    import polars as pl

    day = ["provider", "date"]
    base = key_changed(day).cast(pl.Int64).cum_sum() * DAY  # as in patient_spans
    earlier = (base + pl.col("end")).cum_max().shift(1)
    over = (earlier >= base) & (base + pl.col("start") < earlier)
    return (
        spans.sort(*day, "start", "end", "patient")
        .with_columns(over.fill_null(False).alias("__over"))
        .group_by(*day)
        .agg(pl.col("__over").sum().cast(pl.Int64).alias("overlaps"))
        .filter(pl.col("overlaps") > 0)
        .rename({"date": "date_of_service"})
        .sort("provider", "date_of_service")
    )
