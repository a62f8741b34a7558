"""Property tests of :func:`unitcalc.calculate` against an independent oracle.

The oracle below is written apart from the library: the CMS 20.2 unit table is a lookup
over band starts, the AMA midpoint rule a counting loop, and the compliant CMS
allocations come from enumerating every way of sharing the units among the codes and
keeping those the CMS 20.2 wording allows (cross-checked by a least-squares
characterisation on small visits).

References: CMS Pub. 100-04 Ch. 5 sections 20.1-20.2 (unit table, allocation, Examples
1-5); CPT midpoint rule as published by payers; docs/rules.md.
"""

from __future__ import annotations

import bisect
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import unitcalc
from unitcalc import ServiceLine

from . import strategies as ts

# --------------------------------------------------------------------------------------
# Oracle
# --------------------------------------------------------------------------------------

# Where each band of the CMS 20.2 unit table starts: 8 min is 1 unit, 23 min 2 units,
# 38 min 3 units ... with no cap. Wide enough for six codes of a whole day each.
_BAND_STARTS = tuple(range(8, 6 * ts.DAY_MINUTES + 16, 15))


def table_units(total_minutes: int) -> int:
    """Units for ``total_minutes`` read off the unit table: the bands starting at or
    below the minutes."""
    assert 0 <= total_minutes < _BAND_STARTS[-1], "oracle table too short"
    return bisect.bisect_right(_BAND_STARTS, total_minutes)


def midpoint_units(code_minutes: int) -> int:
    """AMA/CPT: a further unit is attained each time its midpoint (7.5 min into it) is
    passed."""
    units = 0
    while code_minutes > 15 * units + 7:
        units += 1
    return units


def follows_cms_wording(code_minutes: Sequence[int], units: Sequence[int]) -> bool:
    """True when ``units`` shares the day's units among the codes as CMS 20.2 words it:
    the units of the table, each code keeps its full 15-minute blocks, gets at most one
    more, and a code given that extra unit never has fewer leftover minutes than a code
    not given one."""
    if sum(units) != table_units(sum(code_minutes)):
        return False
    extra, plain = [], []
    for got, spent in zip(units, code_minutes, strict=True):
        full_blocks, leftover = divmod(spent, 15)
        if got == full_blocks + 1:
            extra.append(leftover)
        elif got == full_blocks:
            plain.append(leftover)
        else:
            return False
    return all(won >= lost for won in extra for lost in plain)


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every vector of ``parts`` non-negative integers summing to ``total``."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def compliant_by_brute_force(code_minutes: Sequence[int]) -> set[tuple[int, ...]]:
    """Every way to share the table's units among the codes, kept if CMS allows it."""
    total_units = table_units(sum(code_minutes))
    return {
        units
        for units in _compositions(total_units, len(code_minutes))
        if follows_cms_wording(code_minutes, units)
    }


def compliant_by_least_squares(code_minutes: Sequence[int]) -> set[tuple[int, ...]]:
    """The ways to share the table's units that bring each code's billed time
    (15 min a unit) closest to its documented time, in the least-squares sense."""

    def misfit(units: tuple[int, ...]) -> int:
        return sum((15 * u - m) ** 2 for u, m in zip(units, code_minutes, strict=True))

    candidates = list(_compositions(table_units(sum(code_minutes)), len(code_minutes)))
    best = min(map(misfit, candidates))
    return {units for units in candidates if misfit(units) == best}


def compliant_allocations(code_minutes: Sequence[int]) -> set[tuple[int, ...]]:
    """The CMS-compliant allocations, fast enough for any visit: only vectors within
    one unit above each code's full blocks can follow the wording, so only they are
    enumerated."""
    choices = [(m // 15, m // 15 + 1) for m in code_minutes]
    return {
        units for units in itertools.product(*choices) if follows_cms_wording(code_minutes, units)
    }


def as_vector(units: Mapping[str, int], codes: Sequence[str]) -> tuple[int, ...]:
    assert set(units) == set(codes), f"units name {sorted(units)}, visit has {sorted(codes)}"
    return tuple(units[code] for code in codes)


def allocation_set(result: unitcalc.Result) -> set[frozenset[tuple[str, int]]]:
    """The chosen allocation and its alternatives, order-free."""
    return {frozenset(units.items()) for units in (result.units, *result.alternatives)}


def pool_key(line: ServiceLine) -> str | None:
    return line.discipline


# --------------------------------------------------------------------------------------
# Pinned edge cases: CMS Pub. 100-04 Ch. 5 section 20.2, Examples 1-5
# --------------------------------------------------------------------------------------

CMS_EXAMPLES: list[dict[str, int]] = [
    {"97112": 24, "97110": 23},
    {"97112": 20, "97110": 20},
    {"97110": 33, "97140": 7},
    {"97110": 18, "97140": 13, "97116": 10, "97035": 8},
    {"97112": 7, "97110": 7, "97140": 7},
]


def with_cms_examples(**fixed: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Pin each CMS example as ``visit=...`` (with ``fixed`` for the other arguments)."""

    def pin(test: Callable[..., None]) -> Callable[..., None]:
        for visit in reversed(CMS_EXAMPLES):
            test = example(visit=visit, **fixed)(test)
        return test

    return pin


def _lines(visit: Mapping[str, int], discipline: str | None = None) -> list[ServiceLine]:
    return [ServiceLine(code, spent, discipline=discipline) for code, spent in visit.items()]


# --------------------------------------------------------------------------------------
# The oracle checks itself against the spec before it judges the library
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "units"),
    [(0, 7, 0), (8, 22, 1), (23, 37, 2), (38, 52, 3), (113, 127, 8), (128, 142, 9)],
    ids=lambda value: str(value),
)
def test_oracle_table_matches_the_cms_table(low: int, high: int, units: int) -> None:
    assert {table_units(m) for m in range(low, high + 1)} == {units}
    assert {midpoint_units(m) for m in range(low, high + 1)} == {units}


@pytest.mark.parametrize(
    ("visit", "expected"),
    [
        (CMS_EXAMPLES[0], {(2, 1)}),
        (CMS_EXAMPLES[1], {(2, 1), (1, 2)}),
        (CMS_EXAMPLES[2], {(2, 1)}),
        (CMS_EXAMPLES[3], {(1, 1, 1, 0)}),
        (CMS_EXAMPLES[4], {(1, 0, 0), (0, 1, 0), (0, 0, 1)}),
    ],
    ids=["example-1", "example-2-tie", "example-3", "example-4", "example-5"],
)
def test_oracle_reproduces_the_cms_examples(
    visit: dict[str, int], expected: set[tuple[int, ...]]
) -> None:
    assert compliant_by_brute_force(list(visit.values())) == expected


@settings(max_examples=200, deadline=None)
@with_cms_examples()
@given(visit=ts.small_visits | ts.tied_visits(max_codes=5, max_blocks=1))
def test_oracle_characterisations_agree(visit: dict[str, int]) -> None:
    code_minutes = list(visit.values())
    by_wording = compliant_by_brute_force(code_minutes)
    assert by_wording, "the wording must allow at least one allocation"
    assert by_wording == compliant_by_least_squares(code_minutes)
    assert by_wording == compliant_allocations(code_minutes)


# --------------------------------------------------------------------------------------
# CMS allocation: the chosen one and its alternatives are exactly the compliant set
# --------------------------------------------------------------------------------------


def _check_against_compliant_set(visit: dict[str, int], compliant: set[tuple[int, ...]]) -> None:
    codes = list(visit)
    result = unitcalc.calculate(visit, rule="cms")
    chosen = as_vector(result.units, codes)
    alternatives = [as_vector(alt, codes) for alt in result.alternatives]

    assert chosen in compliant
    assert result.total_units == table_units(sum(visit.values()))
    assert not result.alternatives_truncated
    assert len(alternatives) == len(set(alternatives)), "duplicate alternatives"
    assert chosen not in alternatives
    assert {chosen, *alternatives} == compliant
    assert (result.tie is None) == (len(compliant) == 1)
    if result.tie is not None:
        assert result.tie.allocations == len(compliant)


@settings(max_examples=200, deadline=None)
@with_cms_examples()
@given(visit=ts.small_visits)
def test_cms_allocations_match_brute_force_enumeration(visit: dict[str, int]) -> None:
    _check_against_compliant_set(visit, compliant_by_brute_force(list(visit.values())))


@settings(max_examples=200)
@with_cms_examples()
@given(visit=ts.visits() | ts.tied_visits() | ts.long_day_visits)
def test_cms_allocations_match_oracle_on_any_visit(visit: dict[str, int]) -> None:
    _check_against_compliant_set(visit, compliant_allocations(list(visit.values())))


# --------------------------------------------------------------------------------------
# AMA: each code on its own
# --------------------------------------------------------------------------------------


@settings(max_examples=200)
@with_cms_examples()
@given(visit=ts.visits() | ts.long_day_visits)
def test_ama_counts_each_code_on_its_own(visit: dict[str, int]) -> None:
    result = unitcalc.calculate(visit, rule="ama")
    expected = {code: midpoint_units(spent) for code, spent in visit.items()}
    assert dict(result.units) == expected
    assert result.total_units == sum(expected.values())
    assert result.tie is None
    assert result.alternatives == ()


# --------------------------------------------------------------------------------------
# Invariants for both rules
# --------------------------------------------------------------------------------------


@with_cms_examples(rule="cms", position=1, extra=1)
@example(visit={"97110": 7}, rule="ama", position=0, extra=1)
@given(
    visit=ts.visits(),
    rule=ts.rules,
    position=st.integers(min_value=0, max_value=5),
    extra=st.integers(min_value=1, max_value=ts.MAX_LINE_MINUTES),
)
def test_units_never_decrease_when_minutes_grow(
    visit: dict[str, int], rule: str, position: int, extra: int
) -> None:
    grown = dict(visit)
    code = list(visit)[position % len(visit)]
    grown[code] += extra
    before = unitcalc.calculate(visit, rule=rule).total_units
    after = unitcalc.calculate(grown, rule=rule).total_units
    assert after >= before


@example(
    lines=[*_lines(CMS_EXAMPLES[3], "PT"), ServiceLine("97161", 30, discipline="PT")], rule="cms"
)
@example(
    lines=[
        ServiceLine("97110", 20, discipline="PT"),
        ServiceLine("97110", 20, discipline="OT"),
        ServiceLine("97012", None, discipline="PT"),
        ServiceLine("97012", 15, discipline="PT"),
        ServiceLine("97012", 15, discipline="OT"),
    ],
    rule="ama",
)
@given(lines=ts.service_lines(with_untimed=True), rule=ts.rules)
def test_allocation_sums_to_the_total(lines: list[ServiceLine], rule: str) -> None:
    pools: dict[str | None, Counter[str]] = defaultdict(Counter)
    untimed_in_pools: set[tuple[str, str | None]] = set()
    for line in lines:
        if line.code in ts.UNTIMED_CODES:
            untimed_in_pools.add((line.code, pool_key(line)))
        else:
            pools[pool_key(line)][line.code] += line.minutes or 0
    if rule == "cms":
        timed_units = sum(table_units(sum(pool.values())) for pool in pools.values())
    else:
        timed_units = sum(midpoint_units(m) for pool in pools.values() for m in pool.values())

    result = unitcalc.calculate(lines, rule=rule)
    billed_timed = sum(units for code, units in result.units.items() if code in ts.TIMED_15_CODES)
    assert billed_timed == timed_units
    assert result.total_units == timed_units + len(untimed_in_pools)
    assert result.total_timed_minutes == sum(sum(pool.values()) for pool in pools.values())


@with_cms_examples(rule="cms", position=0)
@example(visit={"97110": 1440, "97140": 1440}, rule="cms", position=1)
@given(visit=ts.long_day_visits, rule=ts.rules, position=st.integers(min_value=0, max_value=5))
def test_code_without_minutes_gets_no_unit(visit: dict[str, int], rule: str, position: int) -> None:
    idle = list(visit)[position % len(visit)]
    visit = {**visit, idle: 0}
    assert unitcalc.calculate(visit, rule=rule).units[idle] == 0


@example(
    pair=(_lines(CMS_EXAMPLES[1]), list(reversed(_lines(CMS_EXAMPLES[1])))),
    rule="cms",
)
@example(
    pair=(_lines(CMS_EXAMPLES[4]), list(reversed(_lines(CMS_EXAMPLES[4])))),
    rule="cms",
)
@given(pair=ts.shuffled_service_lines(), rule=ts.rules)
def test_input_order_changes_neither_total_nor_compliant_set(
    pair: tuple[list[ServiceLine], list[ServiceLine]], rule: str
) -> None:
    lines, shuffled = pair
    first = unitcalc.calculate(lines, rule=rule)
    second = unitcalc.calculate(shuffled, rule=rule)
    assert first.total_units == second.total_units
    assert allocation_set(first) == allocation_set(second)


@example(code="97110", spent=1440, rule="cms")
@example(code="97110", spent=1440, rule="ama")
@example(code="97530", spent=128, rule="cms")
@given(code=ts.timed_codes, spent=ts.long_day_minutes, rule=ts.rules)
def test_no_cap_on_units_for_one_code(code: str, spent: int, rule: str) -> None:
    result = unitcalc.calculate({code: spent}, rule=rule)
    assert result.units[code] == table_units(spent)
    assert result.total_units == table_units(spent)


@with_cms_examples(rule="cms", untimed="97161", untimed_minutes=45, twice=True)
@given(
    visit=ts.visits(),
    rule=ts.rules,
    untimed=ts.untimed_codes,
    untimed_minutes=ts.untimed_minutes,
    twice=st.booleans(),
)
def test_untimed_code_adds_exactly_one_unit(
    visit: dict[str, int], rule: str, untimed: str, untimed_minutes: int | None, twice: bool
) -> None:
    extra = [ServiceLine(untimed, untimed_minutes)] * (2 if twice else 1)
    before = unitcalc.calculate(visit, rule=rule)
    after = unitcalc.calculate([*_lines(visit), *extra], rule=rule)
    assert {code: after.units[code] for code in visit} == dict(before.units)
    assert after.units[untimed] == 1
    assert after.total_units == before.total_units + 1
    assert after.total_timed_minutes == before.total_timed_minutes


# --------------------------------------------------------------------------------------
# Disciplines
# --------------------------------------------------------------------------------------


def _units_by_discipline(result: unitcalc.Result) -> dict[str | None, dict[str, int]]:
    by_pool: dict[str | None, dict[str, int]] = defaultdict(dict)
    for line in result.lines:
        by_pool[line.discipline][line.code] = line.units
    return dict(by_pool)


def _check_pools_count_apart(lines: list[ServiceLine]) -> None:
    result = unitcalc.calculate(lines, rule="cms")
    by_pool = _units_by_discipline(result)
    pool_totals = 0
    for discipline in {pool_key(line) for line in lines}:
        alone = unitcalc.calculate(
            [line for line in lines if pool_key(line) == discipline], rule="cms"
        )
        assert by_pool.get(discipline) == dict(alone.units), f"pool {discipline}"
        pool_totals += alone.total_units
    assert result.total_units == pool_totals


@example(
    lines=[*_lines(CMS_EXAMPLES[2], "PT"), *_lines(CMS_EXAMPLES[2], "OT")],
)
@example(
    lines=[
        ServiceLine("97110", 10, discipline="PT"),
        ServiceLine("97140", 10, discipline="OT"),
        ServiceLine("97535", 10, discipline="SLP"),
        ServiceLine("97168", None, discipline="OT"),
    ],
)
@given(lines=ts.service_lines(with_untimed=True))
def test_cms_disciplines_pool_apart(lines: list[ServiceLine]) -> None:
    _check_pools_count_apart(lines)


@example(
    lines=[ServiceLine("97110", 10, discipline="PT"), ServiceLine("97140", 10, discipline="OT")]
)
@given(lines=ts.service_lines(with_untimed=True))
def test_day_pooling_ignores_disciplines(lines: list[ServiceLine]) -> None:
    pooled = unitcalc.calculate(lines, rule="cms", pooling="day")
    stripped = unitcalc.calculate([ServiceLine(line.code, line.minutes) for line in lines])
    assert dict(pooled.units) == dict(stripped.units)
    assert pooled.total_units == stripped.total_units
    assert allocation_set(pooled) == allocation_set(stripped)


@example(
    lines=[
        ServiceLine("97110", 20, discipline="PT"),
        ServiceLine("97112", 20, discipline="PT"),
        ServiceLine("97110", 20, discipline="OT"),
        ServiceLine("97112", 20, discipline="OT"),
    ],
)
@given(lines=ts.service_lines())
def test_tie_count_matches_the_listed_allocations(lines: list[ServiceLine]) -> None:
    # Tie.allocations counts every compliant allocation, the chosen one included;
    # alternatives lists the other ones. Untruncated, the two must agree.
    result = unitcalc.calculate(lines, rule="cms", max_alternatives=10_000)
    assert not result.alternatives_truncated
    listed = 1 + len(result.alternatives)
    assert (result.tie.allocations if result.tie is not None else 1) == listed


# --------------------------------------------------------------------------------------
# 97129 with its add-on 97130: one service
# --------------------------------------------------------------------------------------


@example(visit={"97129": 7, "97130": 1}, rule="cms")
@example(visit={"97129": 0, "97130": 7}, rule="ama")
@example(visit={"97130": 38}, rule="cms")
@example(visit={"97129": 720, "97130": 720}, rule="ama")
@given(visit=ts.cognitive_family_visits(), rule=ts.rules)
def test_cognitive_family_counts_as_one_service(visit: dict[str, int], rule: str) -> None:
    result = unitcalc.calculate(visit, rule=rule)
    together = table_units(sum(visit.values()))
    assert set(result.units) == set(ts.COGNITIVE_FAMILY)
    assert result.units[ts.COGNITIVE_PRIMARY] + result.units[ts.COGNITIVE_ADDON] == together
    assert result.units[ts.COGNITIVE_PRIMARY] == min(1, together)


@example(lines=[ServiceLine("97130", 8, discipline="OT")])
@example(
    lines=[ServiceLine("97129", 8, discipline="SLP"), ServiceLine("97110", 8, discipline="PT")]
)
@given(lines=ts.cognitive_family_lines)
def test_cognitive_family_lines_carry_their_pool(lines: list[ServiceLine]) -> None:
    _check_pools_count_apart(lines)


# --------------------------------------------------------------------------------------
# Alternatives and their truncation
# --------------------------------------------------------------------------------------


@settings(max_examples=200)
@example(visit=CMS_EXAMPLES[1], limit=0)
@example(visit=CMS_EXAMPLES[1], limit=1)
@example(visit=CMS_EXAMPLES[4], limit=1)
@example(visit=CMS_EXAMPLES[4], limit=2)
@given(visit=ts.tied_visits() | ts.visits(), limit=st.integers(min_value=0, max_value=3))
def test_alternatives_truncate_at_the_limit(visit: dict[str, int], limit: int) -> None:
    codes = list(visit)
    compliant = compliant_allocations(list(visit.values()))
    result = unitcalc.calculate(visit, rule="cms", max_alternatives=limit)
    alternatives = [as_vector(alt, codes) for alt in result.alternatives]
    assert len(alternatives) <= limit
    assert result.alternatives_truncated == (len(compliant) - 1 > limit)
    assert len(set(alternatives)) == len(alternatives)
    assert as_vector(result.units, codes) not in alternatives
    assert set(alternatives) <= compliant
    if result.tie is not None:
        assert result.tie.allocations == len(compliant)


# --------------------------------------------------------------------------------------
# JSON shape
# --------------------------------------------------------------------------------------

RESULT_KEYS = {
    "rule",
    "total_timed_minutes",
    "total_untimed_minutes",
    "total_units",
    "units",
    "lines",
    "tie",
    "alternatives",
    "alternatives_truncated",
    "explanation",
    "warnings",
    "payer",
    "removed",
    "edits",
}


@example(lines=_lines(CMS_EXAMPLES[1]), rule="cms")
@given(lines=ts.service_lines(with_untimed=True), rule=ts.rules)
def test_to_dict_round_trips_through_json(lines: list[ServiceLine], rule: str) -> None:
    result = unitcalc.calculate(lines, rule=rule)
    shape = result.to_dict()
    assert set(shape) == RESULT_KEYS
    assert json.loads(json.dumps(shape)) == shape
    assert shape["rule"] == rule
    assert shape["units"] == dict(result.units)
    assert shape["total_units"] == result.total_units
    assert shape["alternatives"] == [dict(alt) for alt in result.alternatives]
