"""Patterns across groups, found over a whole file or part in columns: patients with
therapy in every month of a year (:mod:`unitcalc.engine.every_month`) and the same
patient, date and code under two claims (:mod:`unitcalc.engine.claim_duplicates`).

A row travels here beside the groups: the parsed rows of a part (its patient and date of
service from the group key, its code) and, for claims, the claim (visit) id column as
read. Both checks need the patient and the date of service as the first two parts of
the group key; the claims check needs a ``visit_id`` column (``claim id`` is one of its
aliases) that is not the key. A large file's parts, and Spark's partitions, each hold
whole patients, so each part is decided by itself and the summary adds the rows found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ..engine.claim_duplicates import claim_frame, frame_rows
from ..engine.every_month import every_month_frame, month_frame
from ..engine.providers import day_frame, tally_frame
from .check import BILLED, CODE, MINUTES, PROVIDER, key_names
from .options import KEY_COLUMN_VISIT, KEY_COLUMNS_DAY, Options
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


def by_patient_day(layout: Layout) -> bool:
    """Whether the group key starts with the patient and the date of service, as both
    checks need."""
    return layout.key_roles[:2] == KEY_COLUMNS_DAY


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
    column = claim_column(layout)
    if column is None:
        return Patterns(every_month=found)
    claims = _claims(loaded, column)
    billed = rows.filter(pl.col(BILLED).fill_null(0) > 0)  # a line of no unit is not billed
    with_claims = billed.select(LINE, patient, date, CODE).join(claims, on=LINE, how="left")
    doubled = claim_frame(with_claims, patient=patient, date=date, code=CODE, claim=CLAIM)
    return Patterns(every_month=found, claim_duplicates=frame_rows(doubled))


def _claims(loaded: Loaded, column: str) -> pl.DataFrame:
    """Each row's claim id as read (text), by line: from the raw columns, or from the
    careful reader's records."""
    import polars as pl

    schema = {LINE: pl.Int64, CLAIM: pl.String}
    if loaded.raw is not None:
        return loaded.raw.select(pl.col(LINE), pl.col(column).cast(pl.String).alias(CLAIM))
    values = [
        (line, None if (value := record.values.get(column)) is None else str(value))
        for line, record in loaded.records.items()
    ]
    return pl.DataFrame(values, schema=schema, orient="row")


def provider_tally(rows: pl.DataFrame, options: Options) -> pl.DataFrame:
    """Providers' timed minutes and billed units over rows of groups settled ok: one
    row per provider."""
    table = options.settings.codes
    timed = [info.code for info in table if info.timed]
    return tally_frame(rows, timed, provider=PROVIDER, code=CODE, minutes=MINUTES, billed=BILLED)


def provider_days(rows: pl.DataFrame, options: Options, date: str) -> pl.DataFrame:
    """Providers' timed minutes by date of service over rows of groups settled ok: one
    row per provider and day."""
    timed = [info.code for info in options.settings.codes if info.timed]
    return day_frame(rows, timed, provider=PROVIDER, code=CODE, minutes=MINUTES, date=date)
