"""The price of one patient's day of therapy units, in three steps (docs/payment.md cites
each):

1. the allowed amount of each unit: its fee (:meth:`.schedule.FeeSchedule.fee`);
2. the therapy multiple procedure payment reduction (MPPR): the unit with the highest
   practice-expense (PE) payment is paid in full, every other unit of a code subject to
   the reduction is paid its reduced amount (:meth:`.schedule.Fee.reduced_amount`: the
   PE component cut to the packaged share of the day and setting, 80% or 75% from
   2011-01-01, 50% from 2013-04-01, and the unit rounded to the cent once);
3. the assistant reduction last: a unit billed with CQ or CO is paid at the payer's
   percent (Medicare 85% from 2022-01-01, :data:`unitcalc.core.assistant.MEDICARE_PAYMENT`).

:func:`price_day` prices unit by unit, with each unit's cuts shown; :func:`day_totals`
gives the same totals line by line, for a visit file's many days.

References:
    NGS, "Multiple Procedure Payment Reduction" (physical/occupational/speech therapy).
    CMS PFALL record layout, CY 2026 (the reduced amount: "50 percent payment for the PE").
    42 USC 1395m(v) (the assistant payment differential).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

import attrs

from ...core.assistant import MEDICARE_PAYMENT, AssistantPayment
from .money import cents
from .packaged import PaymentData, payment_data
from .schedule import Fee, FeeSchedule


@attrs.frozen
class DayLine:
    """Units of one code on one day: ``assistant_units`` of them carry CQ or CO."""

    code: str
    units: int
    assistant_units: int = 0
    modifiers: tuple[str, ...] = ()
    locality: str | None = None


@attrs.frozen
class UnitPrice:
    """One unit's price: the fee, the MPPR cut, the assistant cut, what is allowed."""

    code: str
    index: int
    """Which line of the day (its position in the lines priced) the unit belongs to."""
    fee: Decimal
    mppr_cut: Decimal
    assistant_cut: Decimal

    @property
    def allowed(self) -> Decimal:
        """The unit's allowed amount, to the cent."""
        return cents(self.fee - self.mppr_cut - self.assistant_cut)


@attrs.frozen
class DayPrice:
    """A day priced unit by unit; ``unpriced`` lists the codes the fee file lacks."""

    units: tuple[UnitPrice, ...]
    unpriced: tuple[str, ...] = ()

    @property
    def total(self) -> Decimal:
        return cents(sum((unit.allowed for unit in self.units), Decimal(0)))

    def line_totals(self, count: int) -> list[Decimal]:
        """The allowed amount of each of ``count`` lines priced, to the cent."""
        totals = [Decimal(0)] * count
        for unit in self.units:
            totals[unit.index] += unit.allowed
        return [cents(total) for total in totals]


def price_day(
    lines: Sequence[DayLine],
    schedule: FeeSchedule,
    *,
    day: datetime.date | None = None,
    data: PaymentData | None = None,
    assistant: AssistantPayment = MEDICARE_PAYMENT,
) -> DayPrice:
    """Price one patient's day: each unit's fee, the MPPR on every unit after the one
    with the highest PE payment (codes the fee file marks, from the packaged start
    date), then the assistant reduction on units with CQ/CO.

    >>> fees = FeeSchedule("fees.csv", "csv", fees={
    ...     ("", "97110", ""): Fee("97110", Decimal("30"), Decimal("12"), True),
    ...     ("", "97140", ""): Fee("97140", Decimal("28"), Decimal("14"), True)})
    >>> price = price_day([DayLine("97110", 2), DayLine("97140", 1)], fees,
    ...                   day=datetime.date(2025, 3, 4))
    >>> [str(unit.mppr_cut) for unit in price.units], price.total
    (['6.00', '6.00', '0'], Decimal('76.00'))
    """
    units, unpriced = _units(lines, schedule, day, data or payment_data(), assistant)
    return DayPrice(
        tuple(UnitPrice(fee.code, index, fee.amount, cut, off) for fee, index, cut, off in units),
        unpriced,
    )


def day_totals(
    lines: Sequence[DayLine],
    schedule: FeeSchedule,
    *,
    day: datetime.date | None = None,
    data: PaymentData | None = None,
    assistant: AssistantPayment = MEDICARE_PAYMENT,
) -> tuple[Decimal, list[Decimal], tuple[str, ...]]:
    """What :func:`price_day` gives a day, worked out line by line rather than unit by
    unit: the total, each line's total (:meth:`DayPrice.line_totals`) and the codes
    unpriced. A line's units differ only in whether they carry CQ/CO (the first
    ``assistant_units``) and whether the MPPR cuts them (all but the day's first unit
    with the highest PE payment), so each kind is priced once.

    >>> fees = FeeSchedule("fees.csv", "csv", fees={
    ...     ("", "97110", ""): Fee("97110", Decimal("30"), Decimal("12"), True)})
    >>> day_totals([DayLine("97110", 2), DayLine("97140", 1)], fees,
    ...            day=datetime.date(2025, 3, 4))
    (Decimal('54.00'), [Decimal('54.00'), Decimal('0.00')], ('97140',))
    """
    data = data or payment_data()
    share = data.pe_paid_percent(day, schedule.setting)
    percent = assistant.percent_on(day)
    found, unpriced = _line_fees(lines, schedule)
    fees = [
        (index, fee, line.units, min(line.assistant_units, line.units))
        for index, line, fee in found
    ]
    # The full unit: the first unit of the first line with the highest PE payment.
    full: tuple[int, Decimal] | None = None
    for index, fee, _, _ in fees:
        practice = fee.practice_expense
        if fee.mppr and practice and (full is None or practice > full[1]):
            full = (index, practice)
    whole = Decimal(0)
    totals = [Decimal(0)] * len(lines)
    for index, fee, units, assisted in fees:
        cut = Decimal(0)
        if share is not None and fee.mppr and fee.practice_expense:
            cut = fee.amount - fee.reduced_amount(share)
        kinds: list[tuple[int, Decimal, bool]] = []  # (units, cut, with CQ/CO)
        if full is not None and full[0] == index:
            kinds.append((1, Decimal(0), assisted > 0))
            kinds += [(assisted - 1, cut, True), (units - assisted, cut, False)]
            if assisted == 0:
                kinds[1:] = [(units - 1, cut, False)]
        else:
            kinds += [(assisted, cut, True), (units - assisted, cut, False)]
        line_total = Decimal(0)
        for count, taken, with_modifier in kinds:
            if count <= 0:
                continue
            off = (fee.amount - taken) * (100 - percent) / 100 if with_modifier else Decimal(0)
            line_total += count * cents(fee.amount - taken - off)  # as UnitPrice.allowed
        whole += line_total
        totals[index] = line_total
    return cents(whole), [cents(total) for total in totals], tuple(dict.fromkeys(unpriced))


def _line_fees(
    lines: Sequence[DayLine], schedule: FeeSchedule
) -> tuple[list[tuple[int, DayLine, Fee]], list[str]]:
    """The day's lines that bill units, each with its place and its fee, and the codes
    the fee file lacks (in line order, repeats kept)."""
    found: list[tuple[int, DayLine, Fee]] = []
    unpriced: list[str] = []
    for index, line in enumerate(lines):
        if line.units <= 0:
            continue
        fee = schedule.fee(line.code, line.modifiers, line.locality)
        if fee is None:
            unpriced.append(line.code)
        else:
            found.append((index, line, fee))
    return found, unpriced


def _units(
    lines: Sequence[DayLine],
    schedule: FeeSchedule,
    day: datetime.date | None,
    data: PaymentData,
    assistant: AssistantPayment,
) -> tuple[list[tuple[Fee, int, Decimal, Decimal]], tuple[str, ...]]:
    """Each unit of a day (its fee, line, MPPR cut and assistant cut), and the codes
    the fee file lacks."""
    share = data.pe_paid_percent(day, schedule.setting)
    percent = assistant.percent_on(day)
    found, unpriced = _line_fees(lines, schedule)
    priced: list[tuple[Fee, int, bool]] = []
    for index, line, fee in found:
        with_modifier = min(line.assistant_units, line.units)
        priced.extend((fee, index, n < with_modifier) for n in range(line.units))
    # The unit with the highest PE payment is paid in full; a tie keeps the first.
    reducible = [n for n, (fee, _, _) in enumerate(priced) if fee.mppr and fee.practice_expense]
    first = max(reducible, key=lambda n: (priced[n][0].practice_expense, -n), default=None)
    reduced = set(reducible)
    units = []
    for n, (fee, index, assisted) in enumerate(priced):
        cut = Decimal(0)
        if share is not None and n in reduced and n != first:
            cut = fee.amount - fee.reduced_amount(share)
        assistant_cut = (fee.amount - cut) * (100 - percent) / 100 if assisted else Decimal(0)
        units.append((fee, index, cut, assistant_cut))
    return units, tuple(dict.fromkeys(unpriced))
