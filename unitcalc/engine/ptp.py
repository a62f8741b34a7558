"""The NCCI procedure-to-procedure (PTP) edits one day's claim lines trip, from the PTP
edit file the user supplies (:mod:`unitcalc.core.ptp`).

A pair trips when both its codes bill units on one date of service for one patient (one
group) and, where the file names a rendering provider, by one provider, and the edit is
in force that day: always under modifier indicator 0, and under indicator 1 unless the
lines carry an NCCI PTP-associated modifier (59, XE, XS, XP, XU). Where the modifier must
stand is :data:`ModifierPlacement`: on the column 2 code, or on either code of the pair
(the default; see docs/audit.md for what the sources say).

Two forms side by side: :func:`check_ptp` words the pairs one group's lines trip;
:func:`ptp_columns` says, for many groups' rows in columns (polars), whether any trips.
``tests/engine/test_ptp.py`` holds them equal.

References:
    CMS, "Medicare NCCI Procedure to Procedure (PTP) Edits" (cms.gov): "If a provider
    reports the two codes of an edit pair for the same beneficiary on the same date of
    service, the Column One code is eligible for payment, but the Column Two code is
    denied unless a clinically appropriate NCCI PTP-associated modifier is also
    reported."
    CMS MLN1783722, "Proper Use of Modifiers 59, XE, XP, XS & XU": indicator 0, the codes
    are not reported together by the same provider for the same patient on the same date
    of service; indicator 1, only with an NCCI PTP-associated modifier.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple

from ..core.errors import InvalidServiceError
from ..core.model import Note
from ..core.text import stripped_column

if TYPE_CHECKING:
    import polars as pl

    from ..core.ptp import PtpEdit, PtpTable

PTP_MODIFIERS = ("59", "XE", "XS", "XP", "XU")
"""The NCCI PTP-associated modifiers that let an indicator 1 pair be paid (MLN1783722)."""

ModifierPlacement = Literal["either", "column2"]
"""Where an NCCI PTP-associated modifier bypasses an indicator 1 edit: on either code of
the pair (``either``, the default) or only on the column 2 code (``column2``)."""
MODIFIER_PLACEMENTS: tuple[ModifierPlacement, ...] = ("either", "column2")


class ClaimLine(NamedTuple):
    """One claim line as billed: its code, discipline, units, modifiers (as billed, e.g.
    ``"GP;59"``) and rendering provider (empty: not given)."""

    code: str
    discipline: str | None
    units: int
    modifiers: str = ""
    provider: str = ""


def check_ptp(
    lines: Iterable[ClaimLine],
    table: PtpTable,
    *,
    date_of_service: datetime.date | None,
    modifier_on: ModifierPlacement = "either",
) -> Iterator[Note]:
    """The PTP edits one group's claim lines trip (lines billing no unit bill nothing).

    >>> import datetime
    >>> from unitcalc.core.ptp import PtpEdit, PtpTable
    >>> table = PtpTable.of([PtpEdit("97530", "97150", datetime.date(2020, 1, 1), None, 1)])
    >>> day = datetime.date(2026, 3, 2)
    >>> [note] = check_ptp([ClaimLine("97530", "PT", 2), ClaimLine("97150", "PT", 1)],
    ...                         table, date_of_service=day)
    >>> note.text
    'NCCI PTP: 97530 with 97150 on one date of service: column 2 code 97150 is not paid ...'
    >>> list(check_ptp([ClaimLine("97530", "PT", 2), ClaimLine("97150", "PT", 1, "GP;59")],
    ...                table, date_of_service=day))
    []
    """
    billed: dict[str, dict[str, list[tuple[str, ...]]]] = {}
    for line in lines:
        if line.units > 0:
            codes = billed.setdefault(line.provider.strip(), {})
            codes.setdefault(line.code, []).append(_modifiers(line.modifiers))
    for provider, codes in billed.items():
        for column1, first in codes.items():
            for column2, second in codes.items():
                if column1 == column2:
                    continue
                edit = table.in_force(column1, column2, date_of_service)
                if edit is None:
                    continue
                bypassed = _all_carry(second) or (modifier_on == "either" and _all_carry(first))
                if edit.modifier == 1 and bypassed:
                    continue
                yield Note(
                    _worded(edit, provider, first, second, modifier_on),
                    kind="edit",
                    codes=(column1, column2),
                )


def _modifiers(text: str) -> tuple[str, ...]:
    # Imported here: a plain count (no PTP file) loads no modifier rules.
    from .modifiers import parse_modifiers

    try:
        return parse_modifiers(text)
    except InvalidServiceError:
        return ()  # such a row cannot be used: its group is invalid, with the reason


def _all_carry(lines: Sequence[tuple[str, ...]]) -> bool:
    """Whether each of a code's lines carries an NCCI PTP-associated modifier."""
    return all(any(modifier in PTP_MODIFIERS for modifier in line) for line in lines)


def _worded(
    edit: PtpEdit,
    provider: str,
    first: Sequence[tuple[str, ...]],
    second: Sequence[tuple[str, ...]],
    modifier_on: ModifierPlacement,
) -> str:
    used = []
    for code, lines in ((edit.column1, first), (edit.column2, second)):
        found = sorted({m for line in lines for m in line if m in PTP_MODIFIERS})
        if found:
            some = "" if _all_carry(lines) else " (not on each of its lines)"
            used.append(f"{'/'.join(found)} on {code}{some}")
    by = f" by {provider}" if provider else ""
    head = (
        f"NCCI PTP: {edit.column1} with {edit.column2} on one date of service{by}: "
        f"column 2 code {edit.column2} is not paid with {edit.column1}"
    )
    if edit.modifier == 0:
        why = "whatever the modifier"
    elif modifier_on == "column2":
        why = "without a modifier on it"
    else:
        why = "without a modifier"
    return f"{head} {why} (indicator {edit.modifier}; modifier used: {', '.join(used) or 'none'})"


_SEPARATOR = "[ \t\n\x0b\x0c\r;,]"
_CARRIES = rf"(?:^|{_SEPARATOR})(?:{'|'.join(PTP_MODIFIERS)})(?:{_SEPARATOR}|$)"


def ptp_columns(
    rows: pl.LazyFrame,
    table: PtpTable,
    *,
    group: str,
    code: str,
    billed: str,
    modifiers: str,
    provider: str,
    day: str,
    modifier_on: ModifierPlacement = "either",
) -> pl.LazyFrame:
    """The columnar form of :func:`check_ptp`: per group holding a pair, ``__ptp`` says
    whether the billed rows (one claim line each, ``day`` their date of service, a
    ``pl.Date``, null when the group has none) trip a PTP edit."""
    import polars as pl

    carries = pl.col(modifiers).fill_null("").str.to_uppercase().str.contains(_CARRIES)
    per_code = (
        rows.filter(pl.col(billed).fill_null(0) > 0)
        .with_columns(__who=stripped_column(pl.col(provider).fill_null("")), __carries=carries)
        .group_by(group, "__who", code)
        .agg(__all=pl.col("__carries").all(), __on=pl.col(day).first())
    )
    pairs = per_code.join(
        per_code.select(group, "__who", pl.col(code).alias("__code2"), __all2=pl.col("__all")),
        on=[group, "__who"],
    ).filter(pl.col(code) != pl.col("__code2"))
    edits = pairs.join(table.frame().lazy(), left_on=[code, "__code2"], right_on=["__c1", "__c2"])
    on = pl.col("__on")
    in_force = (
        pl.when(on.is_null())
        .then(pl.col("__deletion").is_null())
        .otherwise(
            (pl.col("__effective") <= on)
            & (pl.col("__deletion").is_null() | (on < pl.col("__deletion")))
        )
    )
    bypassed = pl.col("__all2") | (pl.col("__all") if modifier_on == "either" else pl.lit(False))
    trips = in_force & ((pl.col("__indicator") == 0) | ~bypassed)
    return edits.group_by(group).agg(__ptp=trips.any())
