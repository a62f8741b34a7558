"""The payment data unitcalc ships (``unitcalc/data/payment.toml``): the KX modifier
threshold of each year, the targeted medical review threshold and the periods of the
therapy multiple procedure payment reduction (MPPR) with the share of the PE paid in each
setting, each with its sources.

No fee, conversion factor or amount of a service is packaged: those come from the user's
fee file (:func:`unitcalc.payment.fees.load_fees`).

References:
    Social Security Act 1833(g)(7)(A) and (B) (the KX and review thresholds).
    CMS Pub. 100-20, Transmittal 826, CR 7050; Public Law 111-286 section 3 (the MPPR
    from 2011-01-01: 20% non-institutional, 25% institutional).
    American Taxpayer Relief Act of 2012 section 633 (50% from 2013-04-01).
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from importlib import resources

import attrs

from ...core.frozen import frozen
from .setting import INSTITUTIONAL, setting_of


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
class MpprPeriod:
    """A period of the therapy MPPR: the percent of the PE payment paid for the units
    after the first, under section 1848 (non-institutional) and 1834(k) (institutional),
    from ``valid_from`` through ``valid_to`` (None: still in force)."""

    valid_from: datetime.date
    valid_to: datetime.date | None
    non_institutional: int
    institutional: int
    sources: tuple[str, ...]

    def covers(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@attrs.frozen
class PaymentData:
    """The packaged payment data (``unitcalc/data/payment.toml``)."""

    thresholds: Mapping[int, Threshold] = attrs.field(converter=frozen)
    review_amount: Decimal
    review_years: tuple[int, int]
    review_sources: tuple[str, ...]
    mppr: tuple[MpprPeriod, ...]
    sources: Mapping[str, str] = attrs.field(converter=frozen)

    def threshold(self, year: int) -> Threshold | None:
        """The KX threshold of ``year``; None for a year the data has none for."""
        return self.thresholds.get(year)

    def review_threshold(self, year: int) -> Decimal | None:
        """The targeted medical review threshold of ``year`` ($3,000 for 2018-2027)."""
        first, last = self.review_years
        return self.review_amount if first <= year <= last else None

    def pe_paid_percent(self, day: datetime.date | None, setting: str = "office") -> int | None:
        """The percent of the PE payment paid for the units after the first under the
        MPPR on ``day`` in the biller's ``setting`` (:mod:`.setting`: ``institutional``
        is paid under section 1834(k), the others under section 1848); the period in
        force today when the day is unknown; None outside every period (no MPPR).

        >>> data, day = payment_data(), datetime.date(2012, 5, 1)
        >>> data.pe_paid_percent(day, "office"), data.pe_paid_percent(day, "institutional")
        (80, 75)
        """
        period = (
            self.mppr[-1]
            if day is None
            else next((each for each in self.mppr if each.covers(day)), None)
        )
        if period is None:
            return None
        institutional = setting_of(setting) in INSTITUTIONAL
        return period.institutional if institutional else period.non_institutional


def payment_data() -> PaymentData:
    """The packaged thresholds and MPPR periods, each with its sources.

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
        MpprPeriod(
            entry["valid_from"],
            entry.get("valid_to"),
            int(entry["pe_paid_percent_non_institutional"]),
            int(entry["pe_paid_percent_institutional"]),
            tuple(entry["source"]),
        )
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
