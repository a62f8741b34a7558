"""Properties of dated lookups and of add-on families whose units differ in length.

The oracle for a family counts the units whose midpoint the minutes pass, one unit at a
time in doubled minutes (no halving, no division): unit 1 needs more than half of the
first unit, unit k > 1 the first unit, k - 2 further units and more than half of one more.
"""

from __future__ import annotations

import datetime

from hypothesis import example, given
from hypothesis import strategies as st

import unitcalc
from unitcalc.core.errors import CodeNotInForceError, MonthlyCodeError, UnlistedCodeError
from unitcalc.rules import TimedItem, item_midpoint_units

from .strategies import TABLE

FAMILIES = [
    ("97550", 30, 15),
    ("97545", 120, 60),
    ("G0541", 30, 15),
    ("92605", 60, 30),
    ("92607", 60, 30),
    ("92626", 60, 15),
]


def oracle_units(minutes: int, first: int, further: int) -> int:
    units = 0
    reached = 0  # doubled minutes of the units before the next one
    length = first
    while 2 * minutes > 2 * reached + length:
        units += 1
        reached += length
        length = further
    return units


@example(minutes=15, first=30, further=15).via("97550 first unit needs 16")
@example(minutes=38, first=30, further=15).via("97551 from 38")
@example(minutes=76, first=60, further=30).via("92608 from 76")
@example(minutes=68, first=60, further=15).via("92627 from 68")
@given(
    minutes=st.integers(0, 1440),
    first=st.integers(1, 240),
    further=st.integers(1, 120),
)
def test_family_units_match_the_unit_by_unit_oracle(minutes: int, first: int, further: int) -> None:
    item = TimedItem("P+A", minutes, first, (0, 0, 0), further_unit_minutes=further)
    assert item_midpoint_units(item) == oracle_units(minutes, first, further)


@given(
    family=st.sampled_from(FAMILIES),
    minutes=st.integers(0, 1439),
    rule=st.sampled_from(["cms", "ama"]),
)
def test_family_units_never_decrease_as_minutes_grow(
    family: tuple[str, int, int], minutes: int, rule: str
) -> None:
    code = family[0]
    fewer = unitcalc.calculate({code: minutes}, rule=rule).total_units
    more = unitcalc.calculate({code: minutes + 1}, rule=rule).total_units
    assert fewer <= more
    assert more == oracle_units(minutes + 1, family[1], family[2])


DATES = st.dates(min_value=datetime.date(2010, 1, 1), max_value=datetime.date(2030, 12, 31))


def _dated_lookup(
    code: str, on: datetime.date
) -> unitcalc.CodeInfo | CodeNotInForceError | MonthlyCodeError | UnlistedCodeError:
    try:
        return TABLE.lookup(code, on=on)
    except (CodeNotInForceError, MonthlyCodeError, UnlistedCodeError) as error:
        return error


@given(code=st.sampled_from(sorted(TABLE.codes)), on=DATES)
def test_a_dated_lookup_answers_by_the_window(code: str, on: datetime.date) -> None:
    info = TABLE.codes[code]
    answer = _dated_lookup(code, on)
    if isinstance(answer, MonthlyCodeError):
        assert info.monthly
        assert info.in_force_on(on)
    elif isinstance(answer, UnlistedCodeError):
        # Refused until declared, whatever the date.
        assert info.unlisted
        assert answer.code == code
    elif isinstance(answer, CodeNotInForceError):
        # Outside the window, or inside it with no counting known for a deleted code.
        assert not info.in_force_on(on) or info.valid_kind is None
        assert answer.code == code
        assert all(TABLE.codes[c].in_force_on(on) for c in answer.in_force)
    else:
        assert info.in_force_on(on)
        assert answer.kind in ("timed", "untimed")
        assert answer.kind == (info.valid_kind or info.kind)
