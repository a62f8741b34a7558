"""Patterns across groups, found over a whole file or part in columns: patients with
therapy in every month of a year (:mod:`unitcalc.engine.every_month`), the same
patient, date and code under two claims (:mod:`unitcalc.engine.claim_duplicates`), and a
provider's patients overlapping in time (:mod:`unitcalc.engine.overlaps`); and the
providers' minutes and days the summary adds up (:mod:`unitcalc.engine.providers`).

A row travels here beside the groups: the parsed rows of a part (its patient and date of
service from the group key, its code, billed units and provider) and, as read, the claim
(visit) id and start and end time columns. Every pattern needs the patient and the date
of service as the first two parts of the group key; the claims check a ``visit_id``
column (``claim id`` is one of its aliases) that is not the key; the overlaps a
provider column and a pair of :data:`TIME_COLUMNS`. A large file's parts, and Spark's
partitions, each hold whole patients: a patient's year and day are decided within its
part, while a provider's day, which spans parts, is decided from every part's spans at
the end (:meth:`unitcalc.files.summary.Summary.pattern_dict`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ..core.text import stripped_column
from ..engine.claim_duplicates import claim_frame, frame_rows
from ..engine.every_month import every_month_frame, month_frame
from ..engine.overlaps import patient_spans, with_minutes
from ..engine.providers import provider_column
from .check import BILLED, CODE, PROVIDER, key_names
from .options import KEY_COLUMN_VISIT, KEY_COLUMNS_DAY
from .read import ERROR, LINE

if TYPE_CHECKING:
    import polars as pl

    from .layout import Layout
    from .load import Loaded

CLAIM = "__claim_id"
"""The claim (visit) id of a row, as read."""


@attrs.frozen
class Patterns:
    """What one file or part shows: the patient-years with therapy in every month and
    the patient, date and code billed under two or more claims (rows as the summary
    writes them)."""

    every_month: list[dict[str, Any]] = attrs.field(factory=list)
    claim_duplicates: list[dict[str, Any]] = attrs.field(factory=list)
    spans: list[pl.DataFrame] = attrs.field(factory=list)
    """Each patient's merged spans of a provider's day (a frame of ``provider``,
    ``date``, ``patient``, ``start`` and ``end``, minutes of the day), when checked;
    decided over the whole run (a provider's day spans parts)."""
    unchecked_times: list[int] = attrs.field(factory=list)
    """Lines whose start or end time is unreadable, or whose span ends before it
    starts: not checked for overlaps."""


def by_patient_day(layout: Layout) -> bool:
    """Whether the group key starts with the patient and the date of service, as both
    checks need."""
    return layout.key_roles[:2] == KEY_COLUMNS_DAY


TIME_COLUMNS = (("start_time", "end_time"), ("time_in", "time_out"), ("visit_start", "visit_end"))
"""The pairs of headers a line's or visit's start and end times are read from (any case,
a space or ``-`` for ``_``: ``Time In``), the first pair the file has;
``visit_start``/``visit_end`` are the visit's times."""


def time_columns(layout: Layout) -> tuple[str, str] | None:
    """The input columns of the start and end times, if the file has a pair."""
    by_lower = {"_".join(column.lower().replace("-", " ").split()): column
                for column in layout.columns}  # fmt: skip
    for start, end in TIME_COLUMNS:
        if start in by_lower and end in by_lower:
            return by_lower[start], by_lower[end]
    return None


def claim_column(layout: Layout) -> str | None:
    """The input column holding a claim (visit) id beside a patient-day key, if any."""
    column = layout.roles.get(KEY_COLUMN_VISIT)
    if column is None or column not in layout.columns or column in layout.key_columns:
        return None
    return column


def part_patterns(loaded: Loaded) -> Patterns:
    """The patterns of one file or part, from its parsed rows (those read without an
    error)."""
    import polars as pl

    layout = loaded.layout
    if not by_patient_day(layout):
        return Patterns()
    patient, date = key_names(layout)[:2]
    rows = loaded.parsed.filter(pl.col(ERROR).is_null())
    found = every_month_frame(month_frame(rows, patient=patient, date=date))
    spans, unchecked = _spans(loaded, rows, patient, date)
    column = claim_column(layout)
    if column is None:
        return Patterns(every_month=found, spans=spans, unchecked_times=unchecked)
    claims = _raw(loaded, column, CLAIM)
    billed = rows.filter(pl.col(BILLED).fill_null(0) > 0)  # a line of no unit is not billed
    with_claims = billed.select(LINE, patient, date, CODE).join(claims, on=LINE, how="left")
    doubled = claim_frame(with_claims, patient=patient, date=date, code=CODE, claim=CLAIM)
    return Patterns(
        every_month=found,
        claim_duplicates=frame_rows(doubled),
        spans=spans,
        unchecked_times=unchecked,
    )


def _spans(
    loaded: Loaded, rows: pl.DataFrame, patient: str, date: str
) -> tuple[list[pl.DataFrame], list[int]]:
    """With start and end time columns and a provider column: each patient's merged
    spans of a provider's day, and the lines whose times cannot be used."""
    import polars as pl

    columns = time_columns(loaded.layout)
    if columns is None or "provider" not in loaded.layout.known:
        return [], []
    start = _raw(loaded, columns[0], "__start")
    end = _raw(loaded, columns[1], "__end")
    who = provider_column(PROVIDER)
    timed = (
        rows.select(LINE, who.alias("provider"), pl.col(date).alias("date"),
                    pl.col(patient).alias("patient"))
        .join(start, on=LINE, how="left")
        .join(end, on=LINE, how="left")
    )  # fmt: skip
    timed = with_minutes(with_minutes(timed, "__start", "start"), "__end", "end")
    cells = [stripped_column(pl.col(name).fill_null("")) == "" for name in ("__start", "__end")]
    blank = cells[0] & cells[1]  # no times on the line: nothing to check
    good = pl.col("start").is_not_null() & pl.col("end").is_not_null()
    usable = good & (pl.col("end") > pl.col("start"))
    unchecked = timed.filter(~blank & ~usable).get_column(LINE).to_list()
    merged = patient_spans(
        timed.filter(usable).select("provider", "date", "patient", "start", "end")
    )
    return [merged], unchecked


def _raw(loaded: Loaded, column: str, name: str) -> pl.DataFrame:
    """Each row's value of an input column as read (text), by line, named ``name``:
    from the raw columns, or from the careful reader's records."""
    import polars as pl

    schema = {LINE: pl.Int64, name: pl.String}
    if loaded.raw is not None:
        return loaded.raw.select(pl.col(LINE), pl.col(column).cast(pl.String).alias(name))
    values = [
        (line, None if (value := record.values.get(column)) is None else str(value))
        for line, record in loaded.records.items()
    ]
    return pl.DataFrame(values, schema=schema, orient="row")
