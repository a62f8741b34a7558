"""The KX threshold followed over an audit: each priced group's claim lines are kept,
small, as it passes, with every row's ``kx_prior_*`` amounts; once the whole file is
read they are accrued in date-of-service order (:func:`unitcalc.payment.threshold.accrue`).
A file split by patient is accrued a few parts at a time instead
(:meth:`KxLines.close_part`): each part holds its patients' every line, so memory does
not grow with the file.

The thresholds are Medicare Part B's: only rows without a payer profile, or whose
profile says ``medicare = true``, are accrued. What is left out (no patient, no
discipline, a row the checks refused, another payer's lines) is counted and said in the
summary's notes (docs/payment.md, "The KX threshold").

:meth:`KxLines.keep` keeps one group's lines; :meth:`KxLines.keep_columns`, its columnar
form, the lines of every group priced in columns as a frame, followed with the others
by :func:`unitcalc.payment.threshold.accrue_columns`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from ..core.disciplines import BY_MODIFIER
from ..core.text import stripped_column
from ..engine.payers import PayerProfile
from ..payment.fees.packaged import PaymentData
from ..payment.threshold import (
    BUCKETS,
    CHARGE_COLUMNS,
    Charge,
    FirstDay,
    ThresholdFinding,
    accrue,
    accrue_columns,
    charge_schema,
    charges_frame,
    charges_of,
)
from .evaluate import PRIOR_COLUMN_NAMES, Group, PriceRow
from .starting import Prior, Starting, prior_amounts, row_priors

if TYPE_CHECKING:
    import polars as pl


def follows_kx(payer: PayerProfile | None) -> bool:
    """True for a row the Medicare KX threshold applies to: one without a payer profile
    (an audit is Medicare's by default) or whose profile says ``medicare = true``."""
    return payer is None or payer.medicare


class PartAccrual(NamedTuple):
    """What the accrual of one part's lines found (:meth:`KxLines.close_part`)."""

    findings: tuple[ThresholdFinding, ...]
    years: tuple[int, ...]
    """The years of its lines without a threshold packaged."""
    notes: list[tuple[tuple[datetime.date, int], str]]
    """The notes on its ``kx_prior_*`` amounts, each with the date and line used."""


@attrs.define
class KxLines:
    """The claim lines of an audit kept for the KX accrual, and what was left out."""

    charges: list[Charge] = attrs.Factory(list)
    priors: list[Prior] = attrs.Factory(list)
    """The visit file's ``kx_prior_*`` amounts, row by row."""
    bad_priors: list[str] = attrs.Factory(list)
    """``kx_prior_*`` cells that hold no amount (line, column, value): left out."""
    not_accrued: int = 0
    """Claim lines without a discipline or a patient."""
    not_medicare: int = 0
    """Claim lines of payer profiles not marked ``medicare``: no KX threshold."""
    not_priced: int = 0
    """Rows the checks refused (no code, minutes or units read): not in the KX totals."""
    no_patient: bool = False
    frames: list[pl.DataFrame] = attrs.Factory(list)
    """The claim lines of the groups priced in columns (:meth:`keep_columns`)."""
    part: int = 0
    """Which part of the file is being priced: the problems with ``kx_prior_*`` cells
    are said in the order of the parts, then of the groups' first lines."""
    ordered: list[tuple[tuple[int, int, int], str]] = attrs.Factory(list)
    """``bad_priors`` of the groups priced in columns, each with its place."""
    close_lines: int = 200_000
    """How many claim lines are kept, at least, before the parts kept are accrued, when
    the parts hold their patients' every line (:meth:`close_part`): a few accruals of
    many lines cost less than one a part."""
    closing: list[Future[PartAccrual]] = attrs.Factory(list)
    """What each accrual of the lines kept gives, in the order of the parts: a file not
    split by patient is accrued once, at the end."""
    _closer: ThreadPoolExecutor | None = None

    def keep(
        self,
        group: Group,
        profile: PayerProfile | None,
        kept: Sequence[tuple[int, Mapping[str, Any]]],
        refused: int,
        rows: Sequence[PriceRow],
        row_modifiers: Sequence[tuple[str, ...]],
        amounts: Sequence[Decimal],
        day: datetime.date | None,
    ) -> None:
        """Keep a group's claim lines (``rows``, with their modifiers and allowed
        ``amounts``) for the KX accrual, and every row's ``kx_prior_*`` amounts
        (``kept``: line and values of each row, ``refused`` of them not read)."""
        patient_column = group.layout.roles.get("patient_id")
        if patient_column is None or day is None:
            self.no_patient = True
            return
        medicare = follows_kx(profile)
        if medicare:
            first = min((line for line, _ in kept), default=0)
            for line, values in kept:
                patient = str(values.get(patient_column) or "").strip()
                priors, problems = row_priors(patient, day, line, values)
                self.priors.extend(priors)
                self.ordered.extend(((self.part, first, line), text) for text in problems)
            self.not_priced += refused
        name = group.name
        for row, modifiers, amount in zip(rows, row_modifiers, amounts, strict=True):
            if not row.billed:
                continue  # a row billing no unit is no claim line
            if not medicare:
                self.not_medicare += 1
                continue
            values = row.values
            patient = str(values.get(patient_column) or "").strip()
            discipline = row.discipline or next(
                (BY_MODIFIER[m] for m in modifiers if m in BY_MODIFIER), None
            )
            bucket = BUCKETS.get(discipline or "")
            if bucket is None or not patient:
                self.not_accrued += 1
                continue
            self.charges.append(
                Charge(patient, day, bucket, row.line, amount, "KX" in modifiers, name)
            )

    def accrue(
        self, starting: Starting, data: PaymentData, *, first_day: FirstDay = "patient"
    ) -> tuple[dict[str, Any], list[str]]:
        """The lines kept, accrued from the ``starting`` amounts (which win over the
        ``kx_prior_*`` columns): the summary's ``kx`` part, and the notes on the
        starting amounts and the years without a threshold. ``first_day``: whose first
        date of service of a year KX is looked for on (:func:`accrue`)."""
        self.close_part(starting, data, first_day, last=True)
        closed = self._closed()
        # Each closing's in date and line order: put in the whole file's.
        keyed = sorted((note for part in closed for note in part.notes), key=lambda n: n[0])
        notes = [text for _, text in keyed]
        found = sorted(
            (finding for part in closed for finding in part.findings),
            key=lambda f: (f.day, f.line),
        )
        no_threshold = sorted({year for part in closed for year in part.years})
        # Priced in columns (parts counted from 1), a part's groups were not kept in the
        # order of their first lines: their problems are put back in it.
        ordered = sorted(self.ordered, key=lambda e: e[0]) if self.part else self.ordered
        self.bad_priors.extend(text for _, text in ordered)
        self.ordered.clear()
        findings = [finding.to_dict() for finding in found]
        if no_threshold:
            years = ", ".join(map(str, no_threshold))
            notes.append(
                f"no KX threshold is packaged for {years}: lines of those years were not "
                "checked against it"
            )
        if self.bad_priors:
            shown = "; ".join(self.bad_priors[:3])
            more = f" (and {len(self.bad_priors) - 3} more)" if len(self.bad_priors) > 3 else ""
            notes.append(
                f"{len(self.bad_priors)} kx_prior_* cell(s) are not amounts and were left "
                f"out of the starting amounts: {shown}{more}"
            )
        kx = {
            "missing_kx_lines": sum(f["kind"] == "missing-kx" for f in findings),
            "review_patients": sum(f["kind"] == "review" for f in findings),
            "kx_below_lines": sum(f["kind"] == "kx-below" for f in findings),
            "kx_first_day_patients": sum(f["kind"] == "kx-first-day" for f in findings),
            "findings": findings,
        }
        return kx, notes

    def close_part(
        self, starting: Starting, data: PaymentData, first_day: FirstDay, *, last: bool = False
    ) -> None:
        """Accrue the lines kept since the parts last closed (called between parts that
        hold their patients' every line, and at the end), once there are
        ``close_lines`` of them or at the ``last`` part, from the ``starting`` amounts
        and their own ``kx_prior_*`` amounts, in a thread of its own while the run goes
        on; keep what the accrual finds, not the lines."""
        kept = len(self.charges) + sum(frame.height for frame in self.frames)
        if not (kept or self.priors) or (kept < self.close_lines and not last):
            return
        lines = (self.charges, self.frames, self.priors)
        self.charges, self.frames, self.priors = [], [], []
        if self._closer is None:
            self._closer = ThreadPoolExecutor(1, thread_name_prefix="unitcalc-kx")
        self.closing.append(self._closer.submit(_part_accrual, *lines, starting, data, first_day))

    def _closed(self) -> list[PartAccrual]:
        """What every part closed gave, in the order of the parts."""
        closed = [future.result() for future in self.closing]
        if self._closer is not None:
            self._closer.shutdown()
            self._closer = None
        return closed

    def keep_columns(self, found: ClaimColumns) -> None:
        """:meth:`keep` of the claim lines of many groups at once, read in columns
        (:func:`claim_columns`)."""
        self.no_patient = self.no_patient or found.undated
        self.not_medicare += found.not_medicare
        self.not_accrued += found.not_accrued
        self.frames.append(found.charges)
        if found.priors is not None:
            for values in found.priors.iter_rows(named=True):
                line = values["line"]
                priors, problems = row_priors(values["patient"], values["day"], line, values)
                self.priors.extend(priors)
                place = (self.part, values["__first"], line)
                self.ordered.extend((place, text) for text in problems)

    def left_out(self) -> list[str]:
        """The notes on the lines left out of the accrual."""
        notes = []
        if self.no_patient:
            notes.append(
                "the KX threshold is followed per patient and date of service: groups "
                "without patient_id and date_of_service columns were not accrued"
            )
        if self.not_accrued:
            notes.append(
                f"{self.not_accrued} line(s) without a discipline (PT, OT, SLP or GP, GO, "
                "GN) were not accrued toward a KX threshold"
            )
        if self.not_priced:
            notes.append(
                f"{self.not_priced} line(s) could not be priced (their code, minutes or "
                "units were not read) and were not added to the KX totals; their "
                "kx_prior_* amounts were read"
            )
        if self.not_medicare:
            notes.append(
                f"{self.not_medicare} line(s) of payer profiles not marked medicare = true "
                "were not accrued: the KX threshold is Medicare's"
            )
        return notes


def _accrued(
    charges: list[Charge],
    frames: list[pl.DataFrame],
    starting: Starting,
    data: PaymentData,
    first_day: FirstDay,
) -> Any:
    """Claim lines accrued: in columns when some were kept as frames."""
    if not frames:
        return accrue(charges, starting=starting, data=data, first_day=first_day)
    import polars as pl

    listed = charges_frame(charges)
    if listed is None:  # an amount of a fraction of a cent: followed line by line
        lines = [*charges, *(c for f in frames for c in charges_of(f))]
        return accrue(lines, starting=starting, data=data, first_day=first_day)
    frame = pl.concat([listed, *frames], how="vertical")
    return accrue_columns(frame, starting=starting, data=data, totals=False, first_day=first_day)


def _part_accrual(
    charges: list[Charge],
    frames: list[pl.DataFrame],
    priors: list[Prior],
    starting: Starting,
    data: PaymentData,
    first_day: FirstDay,
) -> PartAccrual:
    """One part's lines accrued from ``starting`` and their own ``kx_prior_*`` amounts."""
    from_columns, notes = prior_amounts(priors)
    accrual = _accrued(charges, frames, {**from_columns, **starting}, data, first_day)
    return PartAccrual(accrual.findings, accrual.years_without_threshold, notes)


@attrs.frozen(eq=False)
class ClaimColumns:
    """The claim lines of groups priced in columns as the KX accrual keeps them
    (:func:`claim_columns`), for :meth:`KxLines.keep_columns`."""

    charges: pl.DataFrame
    """The lines accrued (:data:`~unitcalc.payment.threshold.CHARGE_COLUMNS`)."""
    not_medicare: int
    not_accrued: int
    undated: bool
    """Some line has no date of service."""
    priors: pl.DataFrame | None
    """The Medicare lines that give ``kx_prior_*`` amounts (None: no such column)."""


def claim_columns(lines: pl.DataFrame, *, priors: bool) -> ClaimColumns:
    """The claim lines of many groups read for the accrual, in any thread: ``lines``
    has one row per row billing units (``billed`` not null) of the groups priced in
    columns, with :data:`~unitcalc.payment.threshold.CHARGE_COLUMNS` but ``bucket``
    (``patient`` stripped, ``day`` null for a group without a date of service,
    ``amount`` the line's allowed cents), ``billed``, ``medicare`` (its payer follows
    the KX threshold), ``discipline`` (the row's, else its modifiers') and ``__first``
    (the group's first line); ``priors``: with ``kx_prior_*`` columns, which it holds
    too. With no patient column the caller says so (``no_patient``)."""
    import polars as pl

    undated = lines.get_column("day").null_count() > 0
    lines = lines.filter(pl.col("day").is_not_null())
    claims = lines.filter(pl.col("billed") > 0)
    not_medicare = claims.filter(~pl.col("medicare")).height
    claims = claims.filter(pl.col("medicare")).with_columns(
        bucket=pl.col("discipline").replace_strict(dict(BUCKETS), default=None)
    )
    counted = pl.col("bucket").is_not_null() & (pl.col("patient") != "")
    given = None
    if priors:
        names = [name for name in PRIOR_COLUMN_NAMES if name in lines.columns]
        stated = pl.any_horizontal(stripped_column(pl.col(n).fill_null("")) != "" for n in names)
        given = lines.filter(pl.col("medicare") & stated)
    return ClaimColumns(
        claims.filter(counted).select(CHARGE_COLUMNS).cast(charge_schema()),
        not_medicare,
        claims.filter(~counted).height,
        undated,
        given,
    )


def not_followed() -> dict[str, Any]:
    """The summary's ``kx`` part when the threshold is not followed (``--checks``
    without ``kx``): no line counted, no finding."""
    names = ("missing_kx_lines", "review_patients", "kx_below_lines", "kx_first_day_patients")
    return {**dict.fromkeys(names, 0), "findings": []}
