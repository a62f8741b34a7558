"""``to_dict()`` returns TypedDicts (:mod:`unitcalc.core.dicts`): a script that reads a key
the shape lacks fails under mypy, and what the library gives is exactly the shape (no
key more, none missing), checked by pydantic against the same TypedDict."""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from pydantic import TypeAdapter, ValidationError

import unitcalc
from tests.property import strategies
from unitcalc.core import dicts
from unitcalc.core.codes import CodeTable
from unitcalc.engine.audit import audit
from unitcalc.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
DAY = datetime.date(2026, 3, 2)


def mypy_on(tmp_path: Path, text: str) -> tuple[str, int]:
    from mypy import api

    snippet = tmp_path / "script.py"
    snippet.write_text(text)
    limit = sys.getrecursionlimit()
    try:
        out, _, status = api.run(
            [str(snippet), "--strict", "--cache-dir", str(ROOT / ".mypy_cache")]
        )
    finally:  # mypy raises the interpreter's recursion limit, which later tests rely on
        sys.setrecursionlimit(limit)
    return out, status


def test_reading_a_key_a_result_lacks_fails_under_mypy(tmp_path: Path) -> None:
    out, status = mypy_on(
        tmp_path,
        "from unitcalc import calculate\n"
        'result = calculate({"97110": 33}).to_dict()\n'
        'units: int = result["total_units"]\n'
        'code: str = result["lines"][0]["code"]\n'
        'print(units, code, result["total_unit"])\n'
        'print(result["lines"][0]["cod"])\n',
    )
    assert status == 1, out
    assert 'script.py:5: error: TypedDict "Result" has no key "total_unit"' in out
    assert 'script.py:6: error: TypedDict "Line" has no key "cod"' in out
    assert "script.py:3" not in out
    assert "script.py:4" not in out


def test_reading_a_key_a_finding_lacks_fails_under_mypy(tmp_path: Path) -> None:
    out, status = mypy_on(
        tmp_path,
        "from unitcalc import audit\n"
        'finding = audit({"97110": 33}, {"97110": 3}).to_dict()\n'
        'difference: int = finding["difference"]\n'
        'print(difference, finding["diference"])\n'
        'units: str = finding["difference"]\n',
    )
    assert status == 1, out
    assert 'script.py:4: error: TypedDict "Finding" has no key "diference"' in out
    assert "script.py:5: error: Incompatible types in assignment" in out
    assert "script.py:3" not in out


def test_a_right_script_passes_mypy(tmp_path: Path) -> None:
    out, status = mypy_on(
        tmp_path,
        "from unitcalc import audit, calculate\n"
        'result = calculate({"97110": 33}, rule="ama").to_dict()\n'
        'line = result["lines"][0]\n'
        'print(result["total_units"], line["units"], line.get("discipline"))\n'
        'finding = audit({"97110": 33}, {"97110": 3}).to_dict()\n'
        'print(finding["status"] == "over", finding.get("billed_amount"))\n',
    )
    assert status == 0, out


RESULT = TypeAdapter(dicts.Result)
FINDING = TypeAdapter(dicts.Finding)


@settings(max_examples=60, deadline=None)
@given(lines=strategies.service_lines(with_untimed=True), rule=strategies.rules)
def test_any_day_is_its_typed_dict(lines: list[unitcalc.ServiceLine], rule: str) -> None:
    result = unitcalc.calculate(lines, rule=rule, date_of_service=DAY).to_dict()
    assert RESULT.validate_python(result) == result


@settings(max_examples=40, deadline=None)
@given(lines=strategies.assisted_lines())
def test_any_assisted_day_is_its_typed_dict(lines: list[unitcalc.ServiceLine]) -> None:
    result = unitcalc.calculate(lines, date_of_service=DAY).to_dict()
    assert RESULT.validate_python(result) == result


@pytest.mark.parametrize(
    ("billed", "amounts"),
    [({"97110": 3}, False), ({"97110": 2}, False), ({"97110": 3}, True)],
    ids=["over", "ok", "with-dollars"],
)
def test_a_finding_is_its_typed_dict(billed: dict[str, int], amounts: bool) -> None:
    finding = audit({"97110": 33}, billed, group="P1")
    if amounts:
        import attrs

        finding = attrs.evolve(
            finding, billed_amount=90.5, allowed_amount=60, amount_difference=30.5
        )
    data = finding.to_dict()
    assert FINDING.validate_python(data) == data
    assert ("billed_amount" in data) is amounts


def test_every_code_and_rule_is_its_typed_dict() -> None:
    codes = TypeAdapter(list[dicts.Code])
    entries = [info.to_dict() for info in CodeTable.default()]
    assert codes.validate_python(entries) == entries
    rules = TypeAdapter(list[dicts.Rule])
    described = [rule.to_dict() for rule in RULES.values()]
    assert rules.validate_python(described) == described


def test_a_key_the_shape_lacks_is_refused() -> None:
    # extra="forbid" in each shape's pydantic configuration: a key added to a to_dict and
    # not to its TypedDict fails here (and in the API's answers) instead of vanishing.
    result: dict[str, Any] = dict(unitcalc.calculate({"97110": 33}).to_dict())
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        RESULT.validate_python({**result, "total_unit": 2})
    del result["warnings"]
    with pytest.raises(ValidationError, match="warnings"):
        RESULT.validate_python(result)


def test_a_typed_dict_is_plain_json() -> None:
    # A TypedDict is a dict at run time: json writes it as it is.
    result = unitcalc.calculate({"97110": 33, "97140": 7}).to_dict()
    assert json.loads(json.dumps(result)) == result
