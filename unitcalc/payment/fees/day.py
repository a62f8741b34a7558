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
gives the same totals line by line, for a visit file's many days; :func:`day_totals_columns`
is its columnar form, every day of a frame priced at once in polars expressions (each
kind of unit priced once per fee, :func:`unit_amounts`, in :func:`fee_frame`).

References:
    NGS, "Multiple Procedure Payment Reduction" (physical/occupational/speech therapy).
    CMS PFALL record layout, CY 2026 (the reduced amount: "50 percent payment for the PE").
    42 USC 1395m(v) (the assistant payment differential).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from ...core.assistant import MEDICARE_PAYMENT, AssistantPayment
from .money import cents
from .packaged import PaymentData, payment_data
from .schedule import Fee, FeeSchedule

if TYPE_CHECKING:
    import polars as pl


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
        full_plain, full_assisted, cut_plain, cut_assisted = unit_amounts(fee, share, percent)
        # (units, amount of each): the full unit (with CQ/CO when the line has any),
        # then the reduced units with CQ/CO, then those without.
        kinds: list[tuple[int, Decimal]] = []
        if full is not None and full[0] == index:
            kinds.append((1, full_assisted if assisted > 0 else full_plain))
            kinds += [(assisted - 1, cut_assisted), (units - assisted, cut_plain)]
            if assisted == 0:
                kinds[1:] = [(units - 1, cut_plain)]
        else:
            kinds += [(assisted, cut_assisted), (units - assisted, cut_plain)]
        line_total = Decimal(0)
        for count, amount in kinds:
            if count > 0:
                line_total += count * amount
        whole += line_total
        totals[index] = line_total
    return cents(whole), [cents(total) for total in totals], tuple(dict.fromkeys(unpriced))


def unit_amounts(
    fee: Fee, share: int | None, percent: int
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """What one unit of ``fee`` is allowed, to the cent (as :attr:`UnitPrice.allowed`),
    in each of its four kinds: the full unit without and with CQ/CO, then a unit the
    MPPR reduces (``share``: the percent of the PE paid; None, no reduction; a code the
    file does not mark is never reduced) without and with CQ/CO (``percent``: the
    percent an assistant's unit is paid).

    >>> unit_amounts(Fee("97110", Decimal("30"), Decimal("12"), True), 50, 85)
    (Decimal('30.00'), Decimal('25.50'), Decimal('24.00'), Decimal('20.40'))
    """
    cut = Decimal(0)
    if share is not None and fee.mppr and fee.practice_expense:
        cut = fee.amount - fee.reduced_amount(share)
    amounts: list[Decimal] = []
    for taken in (Decimal(0), cut):
        for with_modifier in (False, True):
            off = (fee.amount - taken) * (100 - percent) / 100 if with_modifier else Decimal(0)
            amounts.append(cents(fee.amount - taken - off))
    return amounts[0], amounts[1], amounts[2], amounts[3]


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


CENTS_TYPE = "Int128"
"""The polars type of an amount in cents in the columnar forms: wide enough for any
product of the bounded amounts a fee file holds (:data:`.money.AMOUNT_LIMIT`)."""
FEE_COLUMNS = ("__priced", "__rank", "__full", "__full_cq", "__cut", "__cut_cq")
"""The columns :func:`fee_frame` gives a line: whether its code is priced, the rank of
its PE payment when the MPPR may reduce it (higher is paid more; null: never chosen as
the full unit, never reduced), and the cents of a unit of each kind
(:func:`unit_amounts`)."""


def fee_frame(
    fees: Sequence[Fee | None], shares: Sequence[int | None], percents: Sequence[int]
) -> pl.DataFrame:
    """The :data:`FEE_COLUMNS` of each fee (None: a code the fee file lacks) on a day
    whose MPPR pays ``shares`` of the PE and whose assistant units are paid
    ``percents``, one row per fee in order: what :func:`day_totals` reads of a fee, for
    :func:`day_totals_columns` to join to its lines. The ranks compare PE payments of
    the same fees only: give every fee of a day in one call."""
    import polars as pl

    reducible = sorted(
        {fee.practice_expense for fee in fees if fee and fee.mppr and fee.practice_expense}
    )
    ranks = {amount: rank for rank, amount in enumerate(reducible)}
    rows: list[tuple[bool | int | None, ...]] = []
    for fee, share, percent in zip(fees, shares, percents, strict=True):
        if fee is None:
            rows.append((False, None, 0, 0, 0, 0))
            continue
        amounts = unit_amounts(fee, share, percent)
        rank = ranks.get(fee.practice_expense) if fee.mppr and fee.practice_expense else None
        rows.append((True, rank, *(int(amount * 100) for amount in amounts)))
    money = getattr(pl, CENTS_TYPE)
    types = [pl.Boolean, pl.Int64, money, money, money, money]
    return pl.DataFrame(rows, schema=list(zip(FEE_COLUMNS, types, strict=True)), orient="row")


def day_totals_columns(
    lines: pl.DataFrame, *, day: str, index: str, units: str, assisted: str, code: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`day_totals` of every day of ``lines`` at once: each line of a day (``day``
    names it, ``index`` orders its lines) bills ``units`` of ``code``, ``assisted`` of
    them with CQ/CO (0 up), and carries its fee's :data:`FEE_COLUMNS` (:func:`fee_frame`).
    Gives the lines with ``__total`` (the line's allowed amount in cents, as
    ``day_totals`` gives each line), and one row per day: ``__total`` (cents) and
    ``__unpriced`` (the codes of the lines billing units that the fee file lacks, in
    line order, each once)."""
    import polars as pl

    money = getattr(pl, CENTS_TYPE)
    billing = pl.col(units) > 0
    # The full unit: the first unit of the first line with the highest PE payment.
    eligible = billing & pl.col("__priced") & pl.col("__rank").is_not_null()
    rank = pl.when(eligible).then(pl.col("__rank"))
    lines = lines.with_columns(rank.max().over(day).alias("__top"))  # one window at a time
    top = rank == pl.col("__top")
    lines = lines.with_columns(pl.when(top).then(pl.col(index)).min().over(day).alias("__first"))
    full = (top & (pl.col(index) == pl.col("__first"))).fill_null(False)
    count = pl.col(units).cast(money)
    helped = pl.min_horizontal(pl.col(assisted), pl.col(units)).cast(money)
    with_full = pl.when(helped > 0).then(
        pl.col("__full_cq") + (helped - 1) * pl.col("__cut_cq")
    ).otherwise(pl.col("__full")) + (count - pl.max_horizontal(helped, 1)) * pl.col("__cut")
    reduced = helped * pl.col("__cut_cq") + (count - helped) * pl.col("__cut")
    total = (
        pl.when(~billing | ~pl.col("__priced"))
        .then(pl.lit(0, dtype=money))
        .when(full)
        .then(with_full)
        .otherwise(reduced)
    )
    priced = lines.with_columns(total.alias("__total")).drop("__top", "__first")
    # Codes the file lacks are few: their lines are gathered apart.
    unpriced = (
        lines.filter(billing & ~pl.col("__priced"))
        .sort(day, index)
        .group_by(day, maintain_order=True)
        .agg(pl.col(code).unique(maintain_order=True).alias("__unpriced"))
    )
    days = (
        priced.group_by(day)
        .agg(pl.col("__total").sum())
        .join(unpriced, on=day, how="left")
        .with_columns(pl.col("__unpriced").fill_null([]))
    )
    return priced, days
