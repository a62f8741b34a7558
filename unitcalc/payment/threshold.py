"""The KX modifier threshold and the targeted medical review threshold, followed across a
year of claims.

Medicare counts each beneficiary's incurred expenses for outpatient therapy per calendar
year in two buckets, physical therapy and speech-language pathology together, and
occupational therapy apart. Once a bucket's total passes the year's KX threshold, every
claim line past it must carry the KX modifier or it is denied; past $3,000 (2018-2027)
claims may be picked for targeted medical review. The amounts are packaged data
(``unitcalc/data/payment.toml``) with their sources.

:func:`accrue` follows a list of claim lines (:class:`Charge`); :func:`accrue_columns` is
its columnar form, a frame of them (:data:`CHARGE_COLUMNS`, amounts in cents) followed in
polars, with the same findings built for the few lines that have one.

References:
    Social Security Act 1833(g)(7)(A) and (B), added by the Bipartisan Budget Act of 2018
    section 50202 (as quoted by Noridian JE Part A and NGS).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .fees.day import CENTS_TYPE
from .fees.money import cents
from .fees.packaged import PaymentData, payment_data

if TYPE_CHECKING:
    import polars as pl

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
            findings.append(_missing_kx(charge, total, threshold.amount(charge.bucket)))
        review = data.review_threshold(charge.day.year)
        if review is not None and total > review and key not in reviewed:
            reviewed.add(key)
            findings.append(_review(charge, total, review))
    return Accrual(
        tuple(findings),
        {key: cents(value) for key, value in totals.items()},
        tuple(sorted(missing_years)),
    )


def _missing_kx(charge: Charge, total: Decimal, limit: Decimal) -> ThresholdFinding:
    """The finding of a line past the KX threshold ``limit`` without KX."""
    return ThresholdFinding(
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


def _review(charge: Charge, total: Decimal, review: Decimal) -> ThresholdFinding:
    """The finding of the line that takes a bucket past the review threshold."""
    return ThresholdFinding(
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


CHARGE_COLUMNS = ("patient", "day", "bucket", "line", "amount", "kx", "group")
"""A frame of claim lines for :func:`accrue_columns`: a :class:`Charge`'s fields, the
amount in cents (:data:`~unitcalc.payment.fees.day.CENTS_TYPE`)."""


def in_cents(amount: Decimal) -> int | None:
    """``amount`` in cents, or None when it is not a whole number of cents."""
    hundred = amount * 100
    return int(hundred) if hundred == hundred.to_integral_value() else None


def charges_frame(charges: Iterable[Charge]) -> pl.DataFrame | None:
    """Claim lines as :func:`accrue_columns` reads them; None when an amount is not a
    whole number of cents (:func:`accrue` follows those)."""
    import polars as pl

    rows = []
    for charge in charges:
        amount = in_cents(charge.amount)
        if amount is None:
            return None
        rows.append(
            (
                charge.patient,
                charge.day,
                charge.bucket,
                charge.line,
                amount,
                charge.kx,
                charge.group,
            )
        )
    return pl.DataFrame(rows, schema=charge_schema(), orient="row")


def charge_schema() -> pl.Schema:
    """The polars types of :data:`CHARGE_COLUMNS`."""
    import polars as pl

    types = [pl.String(), pl.Date(), pl.String(), pl.Int64(), getattr(pl, CENTS_TYPE)()]
    return pl.Schema(zip(CHARGE_COLUMNS, [*types, pl.Boolean(), pl.String()], strict=True))


def charges_of(frame: pl.DataFrame) -> list[Charge]:
    """The claim lines of a frame of :data:`CHARGE_COLUMNS`."""
    return [
        Charge(patient, day, bucket, line, Decimal(amount).scaleb(-2), kx, group)
        for patient, day, bucket, line, amount, kx, group in frame.select(
            CHARGE_COLUMNS
        ).iter_rows()
    ]


def accrue_columns(
    charges: pl.DataFrame,
    *,
    starting: Mapping[tuple[str, int, Bucket], Decimal] | None = None,
    data: PaymentData | None = None,
    totals: bool = True,
) -> Accrual:
    """:func:`accrue` of the claim lines of a frame (:data:`CHARGE_COLUMNS`): each
    patient's running total per year and bucket in date-of-service order, then line
    order, from the ``starting`` amounts, in polars; the findings built for the lines
    that have one. Starting amounts that are not whole cents are followed by
    :func:`accrue`. Without ``totals`` the accrual's ``totals`` are left empty (an
    audit reads only the findings)."""
    import polars as pl

    data = data or payment_data()
    starts = {key: in_cents(amount) for key, amount in (starting or {}).items()}
    if any(amount is None for amount in starts.values()):
        return accrue(charges_of(charges), starting=starting, data=data)
    money = getattr(pl, CENTS_TYPE)
    key = ["patient", "__year", "bucket"]
    frame = charges.select(CHARGE_COLUMNS).with_columns(__year=pl.col("day").dt.year())
    years = frame.get_column("__year").unique().sort().to_list()
    limits = _limits(years, data)
    if limits is None:
        return accrue(charges_of(charges), starting=starting, data=data)
    begun = pl.DataFrame(
        [(*each, amount) for each, amount in starts.items()],
        schema={"patient": pl.String, "__year": pl.Int32, "bucket": pl.String, "__start": money},
        orient="row",
    )
    # Each patient's year and bucket in date-of-service order, then line order: the
    # running total is the whole frame's less what came before the bucket's first line.
    followed = (
        frame.join(begun, on=key, how="left")
        .join(limits, on=["__year", "bucket"], how="left")
        .sort(*key, "day", "line")
        .with_columns(__all=pl.col("amount").cum_sum())
        .with_columns(__total=_running("amount", key) + pl.col("__start").fill_null(0))
    )
    missing = (
        pl.col("__limit").is_not_null() & (pl.col("__total") > pl.col("__limit")) & ~pl.col("kx")
    )
    past = pl.col("__review").is_not_null() & (pl.col("__total") > pl.col("__review"))
    followed = followed.with_columns(__missing=missing, __past=past.cast(pl.Int64))
    followed = followed.with_columns(__all=pl.col("__past").cum_sum())
    followed = followed.with_columns(__reviewed=past & (_running("__past", key) == 1))
    flagged = followed.filter(pl.col("__missing") | pl.col("__reviewed")).sort("day", "line")
    findings: list[ThresholdFinding] = []
    for row in flagged.iter_rows(named=True):
        charge = Charge(
            row["patient"],
            row["day"],
            row["bucket"],
            row["line"],
            Decimal(0),
            row["kx"],
            row["group"],
        )
        total = Decimal(row["__total"]).scaleb(-2)
        year = charge.day.year
        if row["__missing"]:
            threshold = data.threshold(year)
            assert threshold is not None
            findings.append(_missing_kx(charge, total, threshold.amount(charge.bucket)))
        if row["__reviewed"]:
            review = data.review_threshold(year)
            assert review is not None
            findings.append(_review(charge, total, review))
    return Accrual(
        tuple(findings),
        _totals(followed, starts, key) if totals else {},
        tuple(year for year in years if data.threshold(year) is None),
    )


def _totals(
    followed: pl.DataFrame, starts: Mapping[tuple[str, int, Bucket], int | None], key: list[str]
) -> dict[tuple[str, int, Bucket], Decimal]:
    """Each patient's total per year and bucket: the starting amount with the lines'."""
    import polars as pl

    totals = {
        key: Decimal(amount).scaleb(-2) for key, amount in starts.items() if amount is not None
    }
    last = followed.group_by(key).agg(pl.col("__total").last())
    for patient, year, bucket, total in last.iter_rows():
        totals[(patient, year, bucket)] = Decimal(total).scaleb(-2)
    return {key: cents(value) for key, value in totals.items()}


def _running(value: str, key: list[str]) -> pl.Expr:
    """The running sum of ``value`` within each ``key``, in a frame sorted by it whose
    ``__all`` is the running sum of the whole frame."""
    import polars as pl

    return pl.col("__all") - (pl.col("__all") - pl.col(value)).first().over(key)


def _limits(years: Iterable[int], data: PaymentData) -> pl.DataFrame | None:
    """Each year's KX threshold per bucket and review threshold, in cents (null: none);
    None when one is not a whole number of cents."""
    import polars as pl

    rows = []
    for year in years:
        threshold, review = data.threshold(year), data.review_threshold(year)
        for bucket in ("PT/SLP", "OT"):
            given = (threshold.amount(bucket) if threshold is not None else None, review)
            pair = [in_cents(amount) if amount is not None else None for amount in given]
            if any(c is None and a is not None for c, a in zip(pair, given, strict=True)):
                return None
            rows.append((year, bucket, *pair))
    money = getattr(pl, CENTS_TYPE)
    schema = {"__year": pl.Int32, "bucket": pl.String, "__limit": money, "__review": money}
    return pl.DataFrame(rows, schema=schema, orient="row")
