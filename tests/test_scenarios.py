"""Worked examples from the CMS manual and the payer publications, kept as data with their sources."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

import unitcalc

SCENARIOS = tomllib.loads(
    (Path(__file__).parent / "scenarios" / "worked_examples.toml").read_text(encoding="utf-8")
)["scenario"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_worked_example(scenario: dict[str, Any]) -> None:
    assert scenario["source"], "every scenario cites its source"
    result = unitcalc.calculate(
        scenario["services"],
        rule=scenario["rule"],
        date_of_service=scenario.get("date_of_service"),
    )
    assert result.total_units == scenario["total_units"]
    every = [dict(result.units), *(dict(a) for a in result.alternatives)]
    if "compliant" in scenario:
        assert sorted(every, key=sorted_items) == sorted(scenario["compliant"], key=sorted_items)
        assert result.tie is not None
        assert result.tie.allocations == len(scenario["compliant"])
    else:
        assert dict(result.units) == scenario["units"]
        assert result.tie is None
        assert result.alternatives == ()


def sorted_items(allocation: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(allocation.items())


ASSISTANT_SCENARIOS = tomllib.loads(
    (Path(__file__).parent / "scenarios" / "assistant_examples.toml").read_text(encoding="utf-8")
)["scenario"]


@pytest.mark.parametrize(
    "scenario", ASSISTANT_SCENARIOS, ids=[s["id"] for s in ASSISTANT_SCENARIOS]
)
def test_assistant_example(scenario: dict[str, Any]) -> None:
    assert scenario["source"], "every scenario cites its source"
    assert scenario["derived"] == ("DERIVED" in scenario["source"]), "DERIVED cases say so"
    lines = [unitcalc.ServiceLine(**service) for service in scenario["services"]]
    result = unitcalc.calculate(lines, date_of_service=scenario["date_of_service"])
    assert dict(result.units) == scenario["units"]
    # The modifier never changes the units: the same minutes, all the therapist's.
    plain = [
        unitcalc.ServiceLine(
            line.code,
            (line.minutes or 0) + (line.assistant_minutes or 0),
            discipline=line.discipline,
        )
        for line in lines
    ]
    assert dict(unitcalc.calculate(plain).units) == scenario["units"]
    got = {
        code: {
            "with_modifier": split.with_modifier,
            "without_modifier": split.without_modifier,
            "modifier": split.modifier or "",
            "paid_percent": split.paid_percent,
        }
        for code, split in result.assistant.items()
    }
    assert got == scenario["assistant"]
