"""The unit table both sides of every band edge, CMS and AMA, and other unit lengths.

Expected values are written out as the CMS 20.2 table states them (0-7 = 0, 8-22 = 1,
23-37 = 2 ... "the pattern remains the same" past 2 hours), not computed by a formula.
"""

from __future__ import annotations

import pytest

import unitcalc
from unitcalc.rules import midpoint_units

# (minutes, units): each band's first and last minute, 0 through 12 units.
CMS_TABLE = [
    (0, 0), (7, 0),
    (8, 1), (22, 1),
    (23, 2), (37, 2),
    (38, 3), (52, 3),
    (53, 4), (67, 4),
    (68, 5), (82, 5),
    (83, 6), (97, 6),
    (98, 7), (112, 7),
    (113, 8), (127, 8),
    (128, 9), (142, 9),
    (143, 10), (157, 10),
    (158, 11), (172, 11),
    (173, 12), (187, 12),
    (1440, 96),
]  # fmt: skip


@pytest.mark.parametrize(
    ("minutes", "units"), CMS_TABLE, ids=[f"{m}min-{u}units" for m, u in CMS_TABLE]
)
@pytest.mark.parametrize("rule", ["cms", "ama"])
def test_single_code_band_edges(rule: str, minutes: int, units: int) -> None:
    result = unitcalc.calculate({"97110": minutes}, rule=rule)
    assert result.units["97110"] == units
    assert result.total_units == units


@pytest.mark.parametrize(
    ("minutes", "units"), CMS_TABLE, ids=[f"{m}min-{u}units" for m, u in CMS_TABLE]
)
def test_cms_total_split_over_codes(minutes: int, units: int) -> None:
    # The total comes from the sum, however it is split across two codes.
    first = minutes // 2
    result = unitcalc.calculate({"97110": first, "97530": minutes - first}, rule="cms")
    assert result.total_units == units
    assert result.total_timed_minutes == minutes


THIRTY = [(15, 0), (16, 1), (45, 1), (46, 2), (75, 2), (76, 3)]
SIXTY = [(30, 0), (31, 1), (90, 1), (91, 2), (150, 2), (151, 3)]


@pytest.mark.parametrize(
    ("unit", "minutes", "units"),
    [(30, m, u) for m, u in THIRTY] + [(60, m, u) for m, u in SIXTY],
    ids=[f"{m}of30-{u}" for m, u in THIRTY] + [f"{m}of60-{u}" for m, u in SIXTY],
)
@pytest.mark.parametrize("rule", ["ama", "cms"])
def test_other_unit_lengths_follow_their_midpoint(
    rule: str, unit: int, minutes: int, units: int
) -> None:
    table = unitcalc.CodeTable.default().with_codes(unitcalc.define_code(f"0999T=timed/{unit}"))
    result = unitcalc.calculate({"0999T": minutes, "97110": 0}, rule=rule, codes=table)
    assert result.units["0999T"] == units
    assert midpoint_units(minutes, unit) == units


def test_cms_counts_other_unit_lengths_apart_from_the_15_minute_pool() -> None:
    table = unitcalc.CodeTable.default().with_codes(unitcalc.define_code("0999T=timed/30"))
    result = unitcalc.calculate({"0999T": 20, "97110": 10}, rule="cms", codes=table)
    # 20 of 30 min = 1 unit on its own; 97110's 10 min = 1 unit in the 15-minute pool.
    assert dict(result.units) == {"0999T": 1, "97110": 1}
    assert any("counted on its own" in step for step in result.explanation)


@pytest.mark.parametrize(
    ("minutes_97129", "minutes_97130", "expected"),
    [
        (7, 0, {"97129": 0, "97130": 0}),
        (8, 0, {"97129": 1, "97130": 0}),
        (15, 7, {"97129": 1, "97130": 0}),
        (15, 8, {"97129": 1, "97130": 1}),
        (0, 40, {"97129": 1, "97130": 2}),
        (20, 25, {"97129": 1, "97130": 2}),
        (15, 60, {"97129": 1, "97130": 4}),
    ],
    ids=["7min-none", "8min-97129", "22min-97129", "23min-both", "97130-only-40", "45min", "75min"],
)
@pytest.mark.parametrize("rule", ["cms", "ama"])
def test_97129_97130_count_as_one_service(
    rule: str, minutes_97129: int, minutes_97130: int, expected: dict[str, int]
) -> None:
    services = {"97129": minutes_97129, "97130": minutes_97130}
    if minutes_97129 == 0:
        del services["97129"]
    result = unitcalc.calculate(services, rule=rule)
    assert {code: result.units[code] for code in expected} == expected
    assert set(result.units) == {"97129", "97130"}
