"""What a settled part hands on beside its findings: the providers' tallies and the
input lines of its groups settled ok, in columns, and the merge of its streams of groups
in file order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..engine.providers import day_frame, tally_frame
from .check import BILLED, CODE, MINUTES, PROVIDER
from .evaluate import Group
from .group import GROUP
from .options import Options
from .read import LINE
from .settle import Settled
from .workbook_sheets import ok_line_frame

if TYPE_CHECKING:
    import polars as pl


def tally_frames(
    rows: pl.DataFrame, options: Options, date_column: str | None
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Providers' timed minutes and billed units over rows of groups settled ok, one row
    per provider; with a date of service, their timed minutes by day, one row per
    provider and day."""
    timed = [info.code for info in options.settings.codes if info.timed]
    tally = tally_frame(rows, timed, provider=PROVIDER, code=CODE, minutes=MINUTES, billed=BILLED)
    if date_column is None:
        return tally, None
    days = day_frame(rows, timed, provider=PROVIDER, code=CODE, minutes=MINUTES, date=date_column)
    return tally, days


def ok_lines_of(settled: Settled, keys: list[str]) -> pl.DataFrame:
    """The input lines of the groups settled ok, in line order, as rows of the
    workbook's Claim lines sheet (:func:`.workbook_sheets.ok_line_frame`)."""
    import polars as pl

    groups = settled.groups
    ok = groups.filter(~pl.col("__scalar") & ~pl.col("__odd")).select(GROUP)
    rows = settled.rows.join(ok, on=GROUP, how="semi").sort(LINE)
    return ok_line_frame(rows, group=GROUP, line=LINE, code=CODE, billed=BILLED, keys=keys)


def in_file_order(
    written: Iterator[tuple[int, Group]],
    by_scalar: Iterator[tuple[int, list[int]]],
    months: Iterator[tuple[int, Group]],
) -> Iterator[tuple[int, Group | None, list[int]]]:
    """Groups found in columns, month groups and groups for the scalar engine (their
    lines), in file order of their first lines."""
    import heapq

    found: Iterator[tuple[int, Group | None, list[int]]] = (
        (first, group, []) for first, group in written
    )
    monthly: Iterator[tuple[int, Group | None, list[int]]] = (
        (first, group, []) for first, group in months
    )
    scalar: Iterator[tuple[int, Group | None, list[int]]] = (
        (first, None, lines) for first, lines in by_scalar
    )
    return heapq.merge(found, monthly, scalar, key=lambda entry: entry[0])
