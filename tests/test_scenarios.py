"""Worked examples from the CMS manual and RULES.md, kept as data with their sources."""

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
