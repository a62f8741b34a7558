"""The payment data unitcalc ships (``unitcalc/data/payment.toml``): the KX modifier
threshold of each year, the targeted medical review threshold and the dates and share of
the therapy multiple procedure payment reduction (MPPR), each with its sources.

No fee, conversion factor or amount of a service is packaged: those come from the user's
fee file (:func:`unitcalc.payment.fees.load_fees`).

References:
    Social Security Act 1833(g)(7)(A) and (B) (the KX and review thresholds).
    NGS, "Multiple Procedure Payment Reduction" (the MPPR share and its start date).
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from importlib import resources

import attrs

from ...core.frozen import frozen


@attrs.frozen
class Threshold:
    """The KX modifier threshold of a calendar year, per bucket, with its sources."""

    year: int
    pt_slp: Decimal
    ot: Decimal
    sources: tuple[str, ...]
    note: str = ""

    def amount(self, bucket: str) -> Decimal:
        return self.ot if bucket == "OT" else self.pt_slp


@attrs.frozen
class PaymentData:
    """The packaged payment data (``unitcalc/data/payment.toml``)."""

    thresholds: Mapping[int, Threshold] = attrs.field(converter=frozen)
    review_amount: Decimal
    review_years: tuple[int, int]
    review_sources: tuple[str, ...]
    mppr: tuple[tuple[datetime.date, int, tuple[str, ...]], ...]
    sources: Mapping[str, str] = attrs.field(converter=frozen)

    def threshold(self, year: int) -> Threshold | None:
        """The KX threshold of ``year``; None for a year the data has none for."""
        return self.thresholds.get(year)

    def review_threshold(self, year: int) -> Decimal | None:
        """The targeted medical review threshold of ``year`` ($3,000 for 2018-2027)."""
        first, last = self.review_years
        return self.review_amount if first <= year <= last else None

    def pe_paid_percent(self, day: datetime.date | None) -> int | None:
        """The percent of the PE payment paid for the units after the first under the
        MPPR on ``day``; None before the first listed date (no MPPR is applied)."""
        percent = None
        for start, share, _ in self.mppr:
            if day is None or day >= start:
                percent = share
        return percent


def payment_data() -> PaymentData:
    """The packaged thresholds and MPPR share, each with its sources.

    >>> data = payment_data()
    >>> data.threshold(2025).pt_slp, data.review_threshold(2027), data.review_threshold(2028)
    (Decimal('2410.00'), Decimal('3000.00'), None)
    >>> data.pe_paid_percent(datetime.date(2026, 1, 5))
    50
    """
    text = resources.files("unitcalc").joinpath("data/payment.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    sources = raw["sources"]
    thresholds = {
        entry["year"]: Threshold(
            entry["year"],
            Decimal(entry["pt_slp"]),
            Decimal(entry["ot"]),
            tuple(entry["source"]),
            entry.get("note", ""),
        )
        for entry in raw["kx_threshold"]
    }
    review = raw["review_threshold"]
    mppr = tuple(
        (entry["valid_from"], int(entry["pe_paid_percent"]), tuple(entry["source"]))
        for entry in raw["mppr"]
    )
    return PaymentData(
        thresholds,
        Decimal(review["amount"]),
        (review["first_year"], review["last_year"]),
        tuple(review["source"]),
        mppr,
        sources,
    )
