"""Edits auditors run beside the unit count: per-day limits such as one PT evaluation a
day (NCCI), from packaged data, the CMS Medically Unlikely Edits (MUE) of the table the
user supplies (:mod:`unitcalc.core.mue`), and the NCCI procedure-to-procedure (PTP)
edits of the PTP file the user supplies (:mod:`.ptp`).

Two forms side by side: :func:`check_edits` words the edits one visit's units trip;
:func:`edit_columns` says, for many groups' rows in columns (polars), whether any trips.
``tests/engine/test_edits.py`` holds them equal.

References:
    NCCI Policy Manual for Medicare Services, Chapter I (MUE) and Chapter XI section P.
    CMS Practitioner Services MUE table (published quarterly; unitcalc ships no values).
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..core.model import LineResult, Note
from .ptp import ClaimLine, ModifierPlacement, check_ptp, ptp_columns
from .therapy_modifiers import check_therapy_modifiers, therapy_modifier_columns

if TYPE_CHECKING:
    import polars as pl

    from ..core.codes import CodeTable
    from ..core.mue import MueTable
    from ..core.ptp import PtpTable


class PerDayLimit(NamedTuple):
    """At most ``max_units`` units of ``codes`` together on one date of service."""

    name: str
    codes: frozenset[str]
    max_units: int
    reason: str
    source: str


@cache
def per_day_limits() -> tuple[PerDayLimit, ...]:
    """The packaged per-day limits (``unitcalc/data/edits.toml``)."""
    text = (Path(__file__).parents[1] / "data" / "edits.toml").read_text(encoding="utf-8")
    return tuple(
        PerDayLimit(
            name=entry["name"],
            codes=frozenset(entry["codes"]),
            max_units=entry["max_units"],
            reason=entry["reason"],
            source=entry["source"],
        )
        for entry in tomllib.loads(text)["per_day"]
    )


def check_edits(
    lines: Iterable[LineResult | tuple[str, str | None, int] | ClaimLine],
    *,
    mue: MueTable | None,
    ptp: PtpTable | None = None,
    date_of_service: datetime.date | None = None,
    modifier_on: ModifierPlacement = "either",
    modifier_codes: CodeTable | None = None,
    ptp_lines: Iterable[ClaimLine] | None = None,
) -> Iterator[Note]:
    """The edits units per line trip: (code, discipline, units), claim lines (with their
    modifiers and provider, for the PTP edits of ``ptp`` on ``date_of_service``) or
    result lines. With ``modifier_codes`` (the code table; given where the lines carry
    their modifiers as billed) the discipline modifiers of each line are checked
    (:mod:`.therapy_modifiers`). ``ptp_lines``: the claim lines the PTP edits read
    instead, when the units counted stand apart from the lines as claimed (a file's
    rows, with their modifiers and providers).

    >>> [edit] = check_edits([("97161", "PT", 1), ("97164", "PT", 1)], mue=None)
    >>> edit.codes, edit.text
    (('97161', '97164'), 'NCCI: 97161, 97164 on one date of service: one PT evaluation ...')
    """
    claim = [
        ClaimLine(line.code, line.discipline, line.units)
        if isinstance(line, LineResult)
        else ClaimLine(*line)
        for line in lines
    ]
    triples = [(line.code, line.discipline, line.units) for line in claim]
    per_code: dict[str, int] = {}
    for code, _, units in triples:
        per_code[code] = per_code.get(code, 0) + units
    for limit in per_day_limits():
        billed = {code: units for code, units in per_code.items() if code in limit.codes and units}
        total = sum(billed.values())
        if total > limit.max_units:
            yield Note(
                f"NCCI: {', '.join(billed)} on one date of service: {limit.reason} ({total} units)",
                kind="edit",
                codes=tuple(billed),
            )
    if ptp is not None:
        claimed = claim if ptp_lines is None else ptp_lines
        yield from check_ptp(claimed, ptp, date_of_service=date_of_service, modifier_on=modifier_on)
    if mue is not None:
        yield from _mue_edits(mue, triples, per_code)
    if modifier_codes is not None:
        yield from check_therapy_modifiers(claim, modifier_codes)


def _mue_edits(
    mue: MueTable, triples: list[tuple[str, str | None, int]], per_code: dict[str, int]
) -> Iterator[Note]:
    for code, discipline, units in triples:
        entry = mue.get(code)
        if entry is not None and entry.per_line and units > entry.units:
            where = f"-{discipline}" if discipline else ""
            yield Note(
                f"MUE: {code}{where} has {units} units on one line, above its MUE of "
                f"{entry.units} ({entry.indicator_text})",
                kind="edit",
                codes=(code,),
            )
    for code, units in per_code.items():
        entry = mue.get(code)
        if entry is not None and not entry.per_line and units > entry.units:
            yield Note(
                f"MUE: {code} has {units} units on one date of service, above its MUE of "
                f"{entry.units} ({entry.indicator_text})",
                kind="edit",
                codes=(code,),
            )


def edit_columns(
    rows: pl.LazyFrame,
    mue: MueTable | None,
    *,
    group: str,
    code: str,
    billed: str,
    ptp: PtpTable | None = None,
    claim: tuple[str, str, str] | None = None,
    modifier_on: ModifierPlacement = "either",
    modifier_codes: tuple[CodeTable, str] | None = None,
) -> pl.LazyFrame:
    """The columnar form of :func:`check_edits`: per group, ``__edits`` says whether the
    billed units of its rows (one claim line each) trip an NCCI per-day limit, an MUE or
    a PTP edit of ``ptp`` (``claim`` names the rows' modifiers, provider and date of
    service columns); with ``modifier_codes`` (the code table and the rows' discipline
    column), the discipline modifiers of the rows' ``claim`` modifiers column."""
    import polars as pl

    units = pl.col(billed).fill_null(0)
    tripped: list[pl.Expr] = []
    for limit in per_day_limits():
        inside = pl.col(code).is_in(sorted(limit.codes))
        tripped.append(pl.when(inside).then(units).otherwise(0).sum() > limit.max_units)
    staged = rows
    if mue is not None and mue.entries:
        entries = list(mue.entries.items())
        table = pl.DataFrame(
            {
                code: [name for name, _ in entries],
                "__mue": [entry.units for _, entry in entries],
                "__mue_line": [entry.per_line for _, entry in entries],
            },
            schema={code: pl.String, "__mue": pl.Int64, "__mue_line": pl.Boolean},
        ).lazy()
        staged = staged.join(table, on=code, how="left").with_columns(
            __code_billed=units.sum().over(group, code)
        )
        per_line = pl.col("__mue_line").fill_null(False) & (units > pl.col("__mue"))
        per_day = ~pl.col("__mue_line").fill_null(True) & (
            pl.col("__code_billed") > pl.col("__mue")
        )
        tripped += [per_line.any(), per_day.any()]
    if not tripped:
        found = staged.group_by(group).agg(pl.lit(False).alias("__edits"))
    else:
        found = staged.group_by(group).agg(pl.any_horizontal(tripped).alias("__edits"))
    if claim is None:
        return found
    modifiers, provider, day = claim
    if modifier_codes is not None:
        codes, discipline = modifier_codes
        lines = therapy_modifier_columns(
            rows, codes, group=group, code=code, discipline=discipline, modifiers=modifiers
        )
        found = found.join(lines, on=group, how="left").select(
            group, pl.col("__edits") | pl.col("__modifiers").fill_null(False)
        )
    if ptp is None:
        return found
    pairs = ptp_columns(
        rows,
        ptp,
        group=group,
        code=code,
        billed=billed,
        modifiers=modifiers,
        provider=provider,
        day=day,
        modifier_on=modifier_on,
    )
    return found.join(pairs, on=group, how="left").select(
        group, pl.col("__edits") | pl.col("__ptp").fill_null(False)
    )
