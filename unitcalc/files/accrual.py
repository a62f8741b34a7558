"""The KX threshold followed over an audit: each priced group's claim lines are kept,
small, as it passes, with every row's ``kx_prior_*`` amounts; once the whole file is
read they are accrued in date-of-service order (:func:`unitcalc.payment.threshold.accrue`).

The thresholds are Medicare Part B's: only rows without a payer profile, or whose
profile says ``medicare = true``, are accrued. What is left out (no patient, no
discipline, a row the checks refused, another payer's lines) is counted and said in the
summary's notes (docs/payment.md, "The KX threshold").
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ..core.disciplines import BY_MODIFIER
from ..engine.payers import PayerProfile
from ..payment.fees.packaged import PaymentData
from ..payment.threshold import BUCKETS, Charge, accrue
from .evaluate import Group, PriceRow
from .starting import Prior, Starting, prior_amounts, row_priors


def follows_kx(payer: PayerProfile | None) -> bool:
    """True for a row the Medicare KX threshold applies to: one without a payer profile
    (an audit is Medicare's by default) or whose profile says ``medicare = true``."""
    return payer is None or payer.medicare


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
            for line, values in kept:
                patient = str(values.get(patient_column) or "").strip()
                priors, problems = row_priors(patient, day, line, values)
                self.priors.extend(priors)
                self.bad_priors.extend(problems)
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

    def accrue(self, starting: Starting, data: PaymentData) -> tuple[dict[str, Any], list[str]]:
        """The lines kept, accrued from the ``starting`` amounts (which win over the
        ``kx_prior_*`` columns): the summary's ``kx`` part, and the notes on the
        starting amounts and the years without a threshold."""
        from_columns, notes = prior_amounts(self.priors)
        accrual = accrue(self.charges, starting={**from_columns, **starting}, data=data)
        findings = [finding.to_dict() for finding in accrual.findings]
        if accrual.years_without_threshold:
            years = ", ".join(map(str, accrual.years_without_threshold))
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
            "findings": findings,
        }
        return kx, notes

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
