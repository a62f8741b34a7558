"""The same service billed under two claims: a patient's date of service whose lines of
one code stand under two or more claim (visit) ids. Within one claim a repeated line is
noted by the audit of its group (:mod:`unitcalc.files.evaluate`); across claims the
groups are apart, so it is counted here, over the whole file.

Medicare's claims processing edits deny exact duplicate claims or claim lines and
suspend suspected duplicates for review, unless a modifier shows the line is no
duplicate (CMS Pub. 100-04 Ch. 1 section 120, "Detection of Duplicate Claims", read as
reproduced by a billing site, and MLN Matters MM8121). Which fields a payer's edit
compares (provider, place of service, charge, modifiers) is not stated there and is
UNCONFIRMED: this check compares the patient, the date of service and the code only,
and reports a line to review, not a denial.

Two forms side by side: :func:`note_claim` adds one row, :func:`claim_frame` takes many
rows in columns (polars); :func:`duplicates` decides from the first, the frame holds
the same rows. ``tests/engine/test_claim_duplicates.py`` holds the two equal.

References:
    CMS Pub. 100-04 Ch. 1 section 120 (detection of duplicate claims), as reproduced at
    insuranceclaimdenialappeal.com ("How insurance identifying duplicate claims").
    CMS MLN Matters MM8121 (exact duplicate edits), as cited by codingahead.com, 2013.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..core.text import stripped_column

if TYPE_CHECKING:
    import polars as pl

Claims = dict[tuple[str, str, str], set[str]]
"""Per patient, date of service and code: the claim ids its lines stand under."""


def note_claim(claims: Claims, patient: str, date: str, code: str, claim: str | None) -> None:
    """Add a row's claim id (stripped; a blank one is no claim) to its patient, date and
    code.

    >>> claims: Claims = {}
    >>> note_claim(claims, "P1", "2026-03-02", "97110", " C1"); note_claim(
    ...     claims, "P1", "2026-03-02", "97110", "")
    >>> claims
    {('P1', '2026-03-02', '97110'): {'C1'}}
    """
    name = (claim or "").strip()
    if name:
        claims.setdefault((patient, date, code), set()).add(name)


def duplicates(claims: Mapping[tuple[str, str, str], set[str]]) -> list[dict[str, Any]]:
    """The patient, date and code under two or more claims, each with its claims (sorted),
    in that order.

    >>> duplicates({("P1", "2026-03-02", "97110"): {"C2", "C1"}, ("P1", "2026-03-02",
    ...     "97140"): {"C1"}})
    [{'patient': 'P1', 'date_of_service': '2026-03-02', 'code': '97110', 'claims': ['C1', 'C2']}]
    """
    return [
        {"patient": patient, "date_of_service": date, "code": code, "claims": sorted(names)}
        for (patient, date, code), names in sorted(claims.items())
        if len(names) > 1
    ]


def claim_frame(
    rows: pl.DataFrame, *, patient: str, date: str, code: str, claim: str
) -> pl.DataFrame:
    """The columnar form of :func:`note_claim` and :func:`duplicates`: one row per patient,
    date and code under two or more claims (``patient``, ``date_of_service``, ``code``,
    ``claims`` as a sorted list), rows without a patient, date, code or claim left out."""
    import polars as pl

    name = stripped_column(pl.col(claim))
    return (
        # A patient, date and code on one row only is under one claim at most: left out
        # before the grouping, which then sees the few rows that may be twice.
        rows.filter(pl.struct(patient, date, code).is_duplicated())
        .with_columns(name.alias("__claim"))
        .filter(
            pl.col(patient).is_not_null()
            & pl.col(date).is_not_null()
            & pl.col(code).is_not_null()
            & (pl.col("__claim").fill_null("") != "")
        )
        .group_by(pl.col(patient).alias("patient"), pl.col(date).alias("date_of_service"),
                  pl.col(code).alias("code"))
        .agg(pl.col("__claim").unique().sort().alias("claims"))
        .filter(pl.col("claims").list.len() > 1)
        .sort("patient", "date_of_service", "code")
    )  # fmt: skip


def frame_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """:func:`claim_frame`'s rows as :func:`duplicates` gives them."""
    return list(frame.iter_rows(named=True))
