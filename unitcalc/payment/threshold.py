"""The KX modifier threshold and the targeted medical review threshold, followed across a
year of claims.

Medicare counts each beneficiary's incurred expenses for outpatient therapy per calendar
year in two buckets, physical therapy and speech-language pathology together, and
occupational therapy apart. Once a bucket's total passes the year's KX threshold, every
claim line past it must carry the KX modifier or it is denied; past $3,000 (2018-2027)
claims may be picked for targeted medical review. The amounts are packaged data
(``unitcalc/data/payment.toml``) with their sources.

References:
    Social Security Act 1833(g)(7)(A) and (B), added by the Bipartisan Budget Act of 2018
    section 50202 (as quoted by Noridian JE Part A and NGS).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal

import attrs

from .fees.money import cents
from .fees.packaged import PaymentData, payment_data

Bucket = Literal["PT/SLP", "OT"]
BUCKETS: Mapping[str, Bucket] = {"PT": "PT/SLP", "SLP": "PT/SLP", "OT": "OT"}
"""Each discipline's bucket."""
ThresholdKind = Literal["missing-kx", "review"]


@attrs.frozen
class Charge:
    """One claim line's allowed amount, for a patient, a day and a bucket."""

    patient: str
    day: datetime.date
    bucket: Bucket
    line: int
    amount: Decimal
    kx: bool
    group: str = ""


@attrs.frozen
class ThresholdFinding:
    """A line past the KX threshold without KX, or the line that takes a patient's
    bucket past the targeted medical review threshold."""

    kind: ThresholdKind
    patient: str
    year: int
    bucket: Bucket
    line: int
    day: datetime.date
    group: str
    accrued: Decimal
    """The bucket's total for the year with this line."""
    threshold: Decimal
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "patient": self.patient,
            "year": self.year,
            "bucket": self.bucket,
            "line": self.line,
            "date_of_service": self.day.isoformat(),
            "group": self.group,
            "accrued": float(self.accrued),
            "threshold": float(self.threshold),
            "message": self.message,
        }


@attrs.frozen
class Accrual:
    """What following the thresholds found: the findings, each patient's totals per
    year and bucket, and the years the packaged data has no threshold for."""

    findings: tuple[ThresholdFinding, ...]
    totals: Mapping[tuple[str, int, Bucket], Decimal]
    years_without_threshold: tuple[int, ...] = ()


def accrue(
    charges: Iterable[Charge],
    *,
    starting: Mapping[tuple[str, int, Bucket], Decimal] | None = None,
    data: PaymentData | None = None,
) -> Accrual:
    """Add up each patient's allowed amounts per calendar year and bucket in
    date-of-service order (lines of one day in line order), from ``starting`` amounts
    (other providers' claims). A line whose running total exceeds the year's KX
    threshold and that lacks KX is a finding; so is the first line past the review
    threshold.

    >>> day = datetime.date(2025, 6, 2)
    >>> found = accrue([Charge("P1", day, "PT/SLP", 7, Decimal("100"), kx=False)],
    ...                starting={("P1", 2025, "PT/SLP"): Decimal("2350")})
    >>> [(f.kind, f.line, str(f.accrued)) for f in found.findings]
    [('missing-kx', 7, '2450.00')]
    """
    data = data or payment_data()
    totals: dict[tuple[str, int, Bucket], Decimal] = dict(starting or {})
    reviewed: set[tuple[str, int, Bucket]] = set()
    missing_years: set[int] = set()
    findings: list[ThresholdFinding] = []
    for charge in sorted(charges, key=lambda c: (c.day, c.line)):
        key = (charge.patient, charge.day.year, charge.bucket)
        total = totals.get(key, Decimal(0)) + charge.amount
        totals[key] = total
        threshold = data.threshold(charge.day.year)
        if threshold is None:
            missing_years.add(charge.day.year)
        elif total > threshold.amount(charge.bucket) and not charge.kx:
            limit = threshold.amount(charge.bucket)
            findings.append(
                ThresholdFinding(
                    "missing-kx",
                    charge.patient,
                    charge.day.year,
                    charge.bucket,
                    charge.line,
                    charge.day,
                    charge.group,
                    cents(total),
                    limit,
                    f"line {charge.line}: {charge.bucket} total for {charge.day.year} "
                    f"${cents(total):,} is past the KX threshold ${limit:,} and the line has "
                    "no KX modifier: Medicare denies it",
                )
            )
        review = data.review_threshold(charge.day.year)
        if review is not None and total > review and key not in reviewed:
            reviewed.add(key)
            findings.append(
                ThresholdFinding(
                    "review",
                    charge.patient,
                    charge.day.year,
                    charge.bucket,
                    charge.line,
                    charge.day,
                    charge.group,
                    cents(total),
                    review,
                    f"line {charge.line}: {charge.bucket} total for {charge.day.year} "
                    f"${cents(total):,} is past the ${review:,} targeted medical review "
                    "threshold: claims from here may be reviewed",
                )
            )
    return Accrual(
        tuple(findings),
        {key: cents(value) for key, value in totals.items()},
        tuple(sorted(missing_years)),
    )
