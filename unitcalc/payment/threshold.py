"""The KX modifier threshold and the targeted medical review threshold, followed across a
year of claims.

Medicare counts each beneficiary's incurred expenses for outpatient therapy per calendar
year in two buckets, physical therapy and speech-language pathology together, and
occupational therapy apart. Once a bucket's total passes the year's KX threshold, every
claim line past it must carry the KX modifier or it is denied; past $3,000 (2018-2027)
claims may be picked for targeted medical review. The amounts are packaged data
(``unitcalc/data/payment.toml``) with their sources.

KX is checked the other way too: a line that carries KX while its bucket's total is still
below the threshold (KX attests services at and above it), and KX on a patient's first
date of service of the year in the file, a measure of questionable billing in the OIG's
report OEI-04-09-00540.

:func:`accrue` follows a list of claim lines (:class:`Charge`); :func:`accrue_columns` is
its columnar form, a frame of them (:data:`CHARGE_COLUMNS`, amounts in cents) followed in
polars, with the same findings built for the few lines that have one.

References:
    Social Security Act 1833(g)(7)(A) and (B), added by the Bipartisan Budget Act of 2018
    section 50202 (as quoted by Noridian JE Part A and NGS).
    Palmetto GBA, "HCPCS Modifier KX" (published 02/11/2025): KX is submitted "when the
    patient has already met the KX HCPCS modifier threshold" and attests "that services
    at and above the therapy thresholds are medically necessary and reasonable".
    HHS OIG, "Questionable Billing for Medicare Outpatient Therapy Services",
    OEI-04-09-00540, December 2010: among its questionable billing characteristics,
    beneficiaries whose providers indicated that an annual cap would be exceeded on the
    beneficiaries' first date of service.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..core.runs import key_changed
from .fees.day import CENTS_TYPE
from .fees.money import cents
from .fees.packaged import PaymentData, payment_data

if TYPE_CHECKING:
    import polars as pl

Bucket = Literal["PT/SLP", "OT"]
BUCKETS: Mapping[str, Bucket] = {"PT": "PT/SLP", "SLP": "PT/SLP", "OT": "OT"}
"""Each discipline's bucket."""
ThresholdKind = Literal["missing-kx", "review", "kx-below", "kx-first-day"]
FirstDay = Literal["patient", "bucket", "off"]
"""Whose first date of service of a year the ``kx-first-day`` check reads: the patient's
(both buckets, as the OIG counts beneficiaries), each bucket's, or none (no check)."""


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
    """A line past the KX threshold without KX, the line that takes a patient's bucket
    past the targeted medical review threshold, a line with KX below the KX threshold,
    or the first line with KX on a patient's first date of service of a year."""

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
    first_day: FirstDay = "patient",
) -> Accrual:
    """Add up each patient's allowed amounts per calendar year and bucket in
    date-of-service order (lines of one day in line order), from ``starting`` amounts
    (other providers' claims). A line whose running total exceeds the year's KX
    threshold and that lacks KX is a finding; so is the first line past the review
    threshold, a line with KX whose running total is below the KX threshold
    (``kx-below``), and the first line with KX on the first date of service of a year
    of the patient (or of each bucket, ``first_day``) in ``charges`` when no starting
    amount was given for its bucket (``kx-first-day``).

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
    firsts: dict[tuple[str, int, str], datetime.date] = {}
    first_kx: set[tuple[str, int, str]] = set()
    for charge in sorted(charges, key=lambda c: (c.day, c.line)):
        key = (charge.patient, charge.day.year, charge.bucket)
        scope = (charge.patient, charge.day.year, charge.bucket if first_day == "bucket" else "")
        first = firsts.setdefault(scope, charge.day) == charge.day
        total = totals.get(key, Decimal(0)) + charge.amount
        totals[key] = total
        threshold = data.threshold(charge.day.year)
        limit = None if threshold is None else threshold.amount(charge.bucket)
        if limit is None:
            missing_years.add(charge.day.year)
        elif total > limit and not charge.kx:
            findings.append(_missing_kx(charge, total, limit))
        elif total < limit and charge.kx:
            findings.append(_kx_below(charge, total, limit))
        review = data.review_threshold(charge.day.year)
        if review is not None and total > review and key not in reviewed:
            reviewed.add(key)
            findings.append(_review(charge, total, review))
        unstarted = not (starting or {}).get(key)  # nothing incurred elsewhere
        checked = limit is not None and first_day != "off" and scope not in first_kx
        if first and charge.kx and checked and unstarted:
            first_kx.add(scope)  # once per scope: its first line with KX
            findings.append(_kx_first_day(charge, total, limit or Decimal(0)))
    return Accrual(
        tuple(findings),
        {key: cents(value) for key, value in totals.items()},
        tuple(sorted(missing_years)),
    )


def _finding(
    kind: ThresholdKind, charge: Charge, total: Decimal, limit: Decimal, words: str
) -> ThresholdFinding:
    """A threshold finding of ``kind`` on ``charge``'s line, with its words after the
    line's number."""
    return ThresholdFinding(
        kind,
        charge.patient,
        charge.day.year,
        charge.bucket,
        charge.line,
        charge.day,
        charge.group,
        cents(total),
        limit,
        f"line {charge.line}: {words}",
    )


def _missing_kx(charge: Charge, total: Decimal, limit: Decimal) -> ThresholdFinding:
    """The finding of a line past the KX threshold ``limit`` without KX."""
    return _finding(
        "missing-kx",
        charge,
        total,
        limit,
        f"{charge.bucket} total for {charge.day.year} ${cents(total):,} is past the KX "
        f"threshold ${limit:,} and the line has no KX modifier: Medicare denies it",
    )


def _kx_below(charge: Charge, total: Decimal, limit: Decimal) -> ThresholdFinding:
    """The finding of a line with KX whose running total is below the KX threshold."""
    return _finding(
        "kx-below",
        charge,
        total,
        limit,
        f"{charge.bucket} total for {charge.day.year} ${cents(total):,} is below the KX "
        f"threshold ${limit:,} and the line has the KX modifier, which attests services "
        "at and above the threshold (Palmetto GBA, HCPCS Modifier KX): review the "
        "attestation",
    )


def _kx_first_day(charge: Charge, total: Decimal, limit: Decimal) -> ThresholdFinding:
    """The finding of the first line with KX on a first date of service of a year."""
    return _finding(
        "kx-first-day",
        charge,
        total,
        limit,
        f"KX on the patient's first date of service of {charge.day.year} in this file, a "
        "pattern the OIG counts as questionable billing (OEI-04-09-00540): review it, "
        "unless services elsewhere that year are missing from the file and its "
        "kx_prior_* amounts",
    )


def _review(charge: Charge, total: Decimal, review: Decimal) -> ThresholdFinding:
    """The finding of the line that takes a bucket past the review threshold."""
    return _finding(
        "review",
        charge,
        total,
        review,
        f"{charge.bucket} total for {charge.day.year} ${cents(total):,} is past the "
        f"${review:,} targeted medical review threshold: claims from here may be reviewed",
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
    first_day: FirstDay = "patient",
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
        return accrue(charges_of(charges), starting=starting, data=data, first_day=first_day)
    money = getattr(pl, CENTS_TYPE)
    key = ["patient", "__year", "bucket"]
    frame = charges.select(CHARGE_COLUMNS).with_columns(__year=pl.col("day").dt.year())
    years = frame.get_column("__year").unique().sort().to_list()
    limits = _limits(years, data)
    if limits is None:
        return accrue(charges_of(charges), starting=starting, data=data, first_day=first_day)
    begun = pl.DataFrame(
        [(*each, amount) for each, amount in starts.items()],
        schema={"patient": pl.String, "__year": pl.Int32, "bucket": pl.String, "__start": money},
        orient="row",
    )
    # Each patient's year and bucket in date-of-service order, then line order: the
    # running total is the whole frame's less what came before the bucket's first line.
    started = (
        frame.join(begun, on=key, how="left")
        if starts
        else frame.with_columns(pl.lit(None, dtype=money).alias("__start"))
    )
    followed = (
        started.join(limits, on=["__year", "bucket"], how="left")
        .sort(*key, "day", "line")
        .with_columns(__all=pl.col("amount").cum_sum(), __first_row=_first_rows(key))
        .with_columns(__total=_running("amount") + pl.col("__start").fill_null(0))
    )
    missing = (
        pl.col("__limit").is_not_null() & (pl.col("__total") > pl.col("__limit")) & ~pl.col("kx")
    )
    past = pl.col("__review").is_not_null() & (pl.col("__total") > pl.col("__review"))
    below = pl.col("__limit").is_not_null() & (pl.col("__total") < pl.col("__limit")) & pl.col("kx")
    followed = followed.with_columns(__missing=missing, __below=below, __past=past.cast(pl.Int64))
    followed = followed.with_columns(__all=pl.col("__past").cum_sum())
    followed = _with_first_kx(
        followed.with_columns(__reviewed=past & (_running("__past") == 1)), first_day
    )
    flags = ("__missing", "__below", "__reviewed", "__first")
    flagged = followed.filter(pl.any_horizontal(flags)).sort("day", "line")
    findings = _found(flagged, data)
    return Accrual(
        tuple(findings),
        _totals(followed, starts, key) if totals else {},
        tuple(year for year in years if data.threshold(year) is None),
    )


def _found(flagged: pl.DataFrame, data: PaymentData) -> list[ThresholdFinding]:
    """The findings of the lines :func:`accrue_columns` flagged, in date and line
    order, each line's in :func:`accrue`'s order."""
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
        threshold = data.threshold(year)
        limit = Decimal(0) if threshold is None else threshold.amount(charge.bucket)
        if row["__missing"]:
            findings.append(_missing_kx(charge, total, limit))
        if row["__below"]:
            findings.append(_kx_below(charge, total, limit))
        if row["__reviewed"]:
            review = data.review_threshold(year)
            assert review is not None
            findings.append(_review(charge, total, review))
        if row["__first"]:
            findings.append(_kx_first_day(charge, total, limit))
    return findings


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


def _with_first_kx(frame: pl.DataFrame, first_day: FirstDay) -> pl.DataFrame:
    """``frame`` (sorted by patient, year and bucket) with ``__first``, :func:`accrue`'s
    ``kx-first-day``: the line with KX of least line number on the first date of service
    of its patient's year (or bucket's), with a threshold and no starting amount for its
    bucket. Each scope's rows stand together: its first day and first line are each
    found by a grouping of the sorted scope numbers, read back by number."""
    import polars as pl

    if first_day == "off":
        return frame.with_columns(__first=pl.lit(False))
    scope = ["patient", "__year", *(["bucket"] if first_day == "bucket" else [])]
    frame = frame.with_columns(__scope=key_changed(scope).cum_sum().cast(pl.Int64) - 1)
    frame = frame.with_columns(__first_day=_per_scope(frame, pl.col("day").min()))
    candidate = (
        pl.col("kx")
        & (pl.col("day") == pl.col("__first_day"))
        & pl.col("__limit").is_not_null()
        & (pl.col("__start").fill_null(0) == 0)
    )
    frame = frame.with_columns(__candidate=candidate)
    first_line = _per_scope(frame, pl.when(pl.col("__candidate")).then(pl.col("line")).min())
    return frame.with_columns(__first=pl.col("__candidate") & (pl.col("line") == first_line)).drop(
        "__first_day", "__candidate", "__scope"
    )


def _per_scope(frame: pl.DataFrame, aggregate: pl.Expr) -> pl.Series:
    """``aggregate`` over each scope of ``frame`` (``__scope``: 0, 1, ... in order, each
    scope's rows together), given to each of its rows."""
    import polars as pl

    found = (
        frame.lazy()
        .with_columns(pl.col("__scope").set_sorted())
        .group_by("__scope", maintain_order=True)
        .agg(aggregate.alias("__found"))
        .collect(engine="in-memory")
    )
    return found.get_column("__found").gather(frame.get_column("__scope"))


def _first_rows(key: list[str]) -> pl.Expr:
    """In a frame sorted by ``key``, each row's index of the first row of its ``key``
    (a row whose key differs from the row before it starts one)."""
    import polars as pl

    return pl.when(key_changed(key)).then(pl.int_range(pl.len())).forward_fill()


def _running(value: str) -> pl.Expr:
    """The running sum of ``value`` within each key, in a frame sorted by it whose
    ``__all`` is the running sum of the whole frame and ``__first_row`` each row's first
    row of its key (:func:`_first_rows`): what came before the key's first row taken
    off, read there (a gather, not a window over the key's texts)."""
    import polars as pl

    return pl.col("__all") - (pl.col("__all") - pl.col(value)).gather(pl.col("__first_row"))


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
