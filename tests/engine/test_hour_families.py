"""Families whose first unit is an hour and whose add-on is 30 or 15 minutes (92605 +
92618, 92607 + 92608, 92626 + 92627), the hourly codes 96105 and 96125, and caregiver
training in direct care (G0541 + G0542): counted under both rules by the existing add-on
machinery (``TimedItem.further_unit_minutes``), in the one-visit engine and the file
engine alike.

Sources of the worked examples:
- Visit Recall, "CPT 92627" (code table key ``visitrecall-92627``): a 90-minute
  evaluation is billed as 92626 plus 92627 x2 [S].
- ASHA, "Medicare CPT Coding Rules for Speech-Language Pathology Services"
  (``asha-slp-coding-rules``): a timed code is billed once the face-to-face time is at
  least 51% of the time its descriptor designates: 31 of 60 minutes, 16 of 30, 8 of 15.
  The boundary cases below are DERIVED from that rule, unit by unit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from unitcalc import calculate, iter_findings

RULES = ["cms", "ama"]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(
    ("primary", "minutes", "units"),
    [
        # 60 + 15: the published example, then DERIVED boundaries.
        pytest.param("92626", 90, {"92626": 1, "92627": 2}, id="92626-90min-source"),
        pytest.param("92626", 30, {"92626": 0, "92627": 0}, id="92626-30min-none"),
        pytest.param("92626", 31, {"92626": 1, "92627": 0}, id="92626-31min-first-hour"),
        pytest.param("92626", 67, {"92626": 1, "92627": 0}, id="92626-67min-7-more"),
        pytest.param("92626", 68, {"92626": 1, "92627": 1}, id="92626-68min-8-more"),
        # 60 + 30, DERIVED: a further unit once 16 of its 30 minutes have passed.
        pytest.param("92607", 75, {"92607": 1, "92608": 0}, id="92607-75min-15-more"),
        pytest.param("92607", 76, {"92607": 1, "92608": 1}, id="92607-76min-16-more"),
        pytest.param("92607", 105, {"92607": 1, "92608": 1}, id="92607-105min-45-more"),
        pytest.param("92607", 106, {"92607": 1, "92608": 2}, id="92607-106min-46-more"),
        pytest.param("92605", 106, {"92605": 1, "92618": 2}, id="92605-106min-46-more"),
        # 30 + 15, DERIVED as for 97550 + 97551.
        pytest.param("G0541", 15, {"G0541": 0, "G0542": 0}, id="G0541-15min-none"),
        pytest.param("G0541", 38, {"G0541": 1, "G0542": 1}, id="G0541-38min-8-more"),
    ],
)
def test_a_family_counts_its_first_hour_then_its_add_on_units(
    rule: str, primary: str, minutes: int, units: dict[str, int]
) -> None:
    date = "2026-03-02" if primary.startswith("G054") else None
    result = calculate({primary: minutes}, rule, date_of_service=date)
    assert result.units == units


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(
    ("code", "minutes", "units"),
    [
        pytest.param("96105", 30, 0, id="96105-30min"),
        pytest.param("96105", 31, 1, id="96105-31min"),
        pytest.param("96125", 90, 1, id="96125-90min"),
        pytest.param("96125", 91, 2, id="96125-91min"),
    ],
)
def test_an_hourly_code_counts_by_the_midpoint_of_the_hour(
    rule: str, code: str, minutes: int, units: int
) -> None:
    assert calculate({code: minutes}, rule).units == {code: units}


def test_a_family_beside_15_minute_codes_keeps_its_own_count_under_cms() -> None:
    # The 15-minute code pools alone (8-22 min: 1 unit); the family counts on its own.
    result = calculate({"97110": 20, "92626": 68}, "cms")
    assert result.units == {"97110": 1, "92626": 1, "92627": 1}


@pytest.mark.parametrize("rule", RULES)
def test_the_file_engine_agrees_with_the_one_visit_engine(tmp_path: Path, rule: str) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,discipline,billed_units\n"
        "P1,2026-03-02,92626,90,,1\n"
        "P1,2026-03-02,92627,,,2\n"
        "P2,2026-03-02,92607,76,SLP,1\n"
        "P2,2026-03-02,92608,,SLP,2\n"
        "P3,2026-03-02,G0541,38,OT,1\n"
        "P3,2026-03-02,G0542,,OT,1\n",
        encoding="utf-8",
    )
    findings = {finding.group: finding for finding in iter_findings(path, rule)}
    assert findings["P1 / 2026-03-02"].status == "ok"
    over = findings["P2 / 2026-03-02"]
    assert over.status == "over"
    assert over.allowed == {"92607": 1, "92608": 1}
    assert findings["P3 / 2026-03-02"].status == "ok"
