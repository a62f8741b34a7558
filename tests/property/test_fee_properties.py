"""Pricing properties: the order of a day's lines does not change its total; the MPPR
cuts every unit but one when all codes take it (unless the cut rounds to nothing: a
reduced unit is rounded once); a unit never costs more than its fee nor less than its fee
without half its PE; amounts only grow with units; a reduced unit from relative values is
the payment formula with the PE halved, rounded once."""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.payment.fees import DayLine, Fee, FeeSchedule, Gpci, Rvu, price_day

CODES = ("97110", "97112", "97140", "97530")
DAY = datetime.date(2025, 6, 2)
cents = st.integers(min_value=1, max_value=20_000)


@st.composite
def schedules(draw: st.DrawFn) -> FeeSchedule:
    fees = {}
    for code in CODES:
        amount = draw(cents)
        pe = draw(st.integers(min_value=0, max_value=amount))
        fees[("", code, "")] = Fee(
            code, Decimal(amount) / 100, Decimal(pe) / 100, mppr=draw(st.booleans())
        )
    return FeeSchedule("generated", "csv", fees=fees)


days = st.lists(
    st.builds(DayLine, st.sampled_from(CODES), st.integers(min_value=0, max_value=6)),
    max_size=5,
)


@given(fees=schedules(), lines=days, data=st.data())
def test_the_order_of_lines_does_not_change_the_total(
    fees: FeeSchedule, lines: list[DayLine], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(lines))
    assert price_day(shuffled, fees, day=DAY).total == price_day(lines, fees, day=DAY).total


@given(fees=schedules(), lines=days)
@example(
    fees=FeeSchedule(
        "tie", "csv", fees={("", c, ""): Fee(c, Decimal(30), Decimal(12), True) for c in CODES}
    ),
    lines=[DayLine("97110", 1), DayLine("97112", 1)],
)
# Half of a 1-cent PE rounds away: 0.30 - 0.005 is 0.30 to the cent, no cut.
@example(
    fees=FeeSchedule("tiny", "csv", fees={("", c, ""): Fee(c, Decimal("0.30"), Decimal("0.01"),
                                                           True) for c in CODES}),
    lines=[DayLine("97110", 2)],
)  # fmt: skip
def test_each_unit_lies_between_its_fee_and_its_fee_less_half_its_pe(
    fees: FeeSchedule, lines: list[DayLine]
) -> None:
    price = price_day(lines, fees, day=DAY)
    assert len(price.units) == sum(line.units for line in lines)
    reducible: list[tuple[Decimal, bool]] = []  # (PE, whether its cut is a cent or more)
    for unit in price.units:
        fee = fees.fee(unit.code)
        assert fee is not None
        assert fee.practice_expense is not None
        floor = fee.amount - fee.practice_expense / 2
        assert floor.quantize(Decimal("0.01")) - Decimal("0.01") <= unit.allowed <= fee.amount
        if fee.mppr and fee.practice_expense > 0:
            # In whole cents, fee - PE/2 rounded half up is below the fee from a 2-cent PE.
            reducible.append((fee.practice_expense, fee.practice_expense >= Decimal("0.02")))
    # Every reducible unit but the first with the highest PE is cut, by what rounds to a
    # cent or more.
    full = max(range(len(reducible)), key=lambda n: (reducible[n][0], -n), default=None)
    expected = sum(cuts for n, (_, cuts) in enumerate(reducible) if n != full)
    assert sum(unit.mppr_cut > 0 for unit in price.units) == expected


@given(fees=schedules(), lines=days.filter(bool), extra=st.sampled_from(CODES))
def test_one_more_unit_never_lowers_the_total(
    fees: FeeSchedule, lines: list[DayLine], extra: str
) -> None:
    more = [*lines, DayLine(extra, 1)]
    assert price_day(more, fees, day=DAY).total >= price_day(lines, fees, day=DAY).total


thousandths = st.integers(min_value=0, max_value=20_000)


@given(
    work=thousandths,
    pe=thousandths,
    mp=thousandths,
    gpcis=st.tuples(*[st.integers(min_value=300, max_value=2_000)] * 3),
    factor=st.integers(min_value=200_000, max_value=400_000),
    percent=st.sampled_from((50, 75, 80)),
)
@example(work=500, pe=710, mp=20, gpcis=(1000, 1000, 1000), factor=346062, percent=50)
def test_a_reduced_unit_from_relative_values_is_rounded_once(
    work: int, pe: int, mp: int, gpcis: tuple[int, int, int], factor: int, percent: int
) -> None:
    # RVUs and GPCIs in thousandths, CF in ten-thousandths: 10**10 per dollar; the PE
    # component paid at ``percent``, the sum rounded half up to the cent, in integers.
    work_gpci, pe_gpci, mp_gpci = gpcis
    exact = (100 * (work * work_gpci + mp * mp_gpci) + percent * pe * pe_gpci) * factor
    expected = (2 * exact + 10**10) // (2 * 10**10)
    rvu = Rvu(
        Decimal(work) / 1000, Decimal(pe) / 1000, Decimal(mp) / 1000,
        Decimal(factor) / 10_000, mppr=True,
    )  # fmt: skip
    gpci = Gpci("L", *(Decimal(value) / 1000 for value in gpcis))
    assert rvu.fee("97110", "", gpci).reduced_amount(percent) == Decimal(expected) / 100
