"""``unitcalc calc --format json`` against its packaged JSON Schema: every output
validates, carries ``schema_version``, and the schema rejects what the output never
holds."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from jsonschema import Draft202012Validator

import unitcalc
from tests.property import strategies
from unitcalc.cli import JSON_SCHEMA_VERSION, calc_output_schema, main

SCHEMA = json.loads(calc_output_schema().read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
PAYERS = "docs/payers.toml"


def test_the_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["schema_version"]["const"] == JSON_SCHEMA_VERSION


def calc_json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["calc", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["97110=33", "97140=7"], id="cms-example-3"),
        pytest.param(["97112=20", "97110=20"], id="tie"),
        pytest.param(["97110-GP=10", "97530-GO=10", "97161-PT"], id="disciplines-untimed"),
        pytest.param(["97110-GP=20", "97112-GP=20", "97530-GO=20", "97535-GO=20"], id="two-ties"),
        pytest.param(["97110=33", "97140=7", "--rule", "ama"], id="ama"),
        pytest.param(["97110-GP=13+23", "97140-GP=30", "--date", "2026-03-02"], id="assistant"),
        pytest.param(["97110-GP=13+23", "--date", "2019-06-01"], id="assistant-before-cq"),
        pytest.param(
            ["97110-OT=8+30", "97110-PT=0+30", "--date", "2026-03-02"],
            id="assistant-two-disciplines",
        ),
        pytest.param(["97001", "97110=23", "--date", "2016-06-01"], id="deleted-code-2016"),
        pytest.param(
            ["97110=60", "97140=30", "--payers", PAYERS, "--payer", "anthem-example"],
            id="payer-cap",
        ),
        pytest.param(["97110=0"], id="zero-minutes"),
    ],
)
def test_calc_json_validates_against_the_schema(args: list[str]) -> None:
    document = calc_json(*args)
    assert document["schema_version"] == JSON_SCHEMA_VERSION
    assert next(iter(document)) == "schema_version"
    VALIDATOR.validate(document)


@settings(max_examples=60, deadline=None)
@given(lines=strategies.service_lines(with_untimed=True), rule=strategies.rules)
def test_any_day_validates(lines: list[unitcalc.ServiceLine], rule: str) -> None:
    # calc prints exactly this object (held by the test below).
    result = unitcalc.calculate(lines, rule=rule, date_of_service=datetime.date(2026, 3, 2))
    VALIDATOR.validate({"schema_version": JSON_SCHEMA_VERSION, **result.to_dict()})


@settings(max_examples=60, deadline=None)
@given(lines=strategies.assisted_lines())
def test_any_assisted_day_validates(lines: list[unitcalc.ServiceLine]) -> None:
    result = unitcalc.calculate(lines, date_of_service=datetime.date(2026, 3, 2))
    VALIDATOR.validate({"schema_version": JSON_SCHEMA_VERSION, **result.to_dict()})


def test_calc_prints_the_result_with_its_schema_version() -> None:
    result = unitcalc.calculate({"97110": 33, "97140": 7}, date_of_service=datetime.date.today())
    assert calc_json("97110=33", "97140=7") == {"schema_version": 1, **result.to_dict()}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        pytest.param(lambda d: d.pop("schema_version"), "schema_version", id="no-version"),
        pytest.param(lambda d: d.update(schema_version=2), "schema_version", id="other-version"),
        pytest.param(lambda d: d.update(total_units=-1), "total_units", id="negative-units"),
        pytest.param(lambda d: d.update(tie=True), "tie", id="tie-true"),
        pytest.param(lambda d: d.update(surprise=1), "surprise", id="unknown-key"),
        pytest.param(lambda d: d["lines"][0].update(units="2"), "units", id="units-as-text"),
        pytest.param(lambda d: d["units"].update({"9711": 1}), "9711", id="bad-code"),
    ],
)
def test_the_schema_rejects_what_calc_never_prints(change: Any, where: str) -> None:
    document = calc_json("97110=33", "97140=7")
    change(document)
    errors = list(VALIDATOR.iter_errors(document))
    assert errors
    assert any(where in str(error.message) + str(list(error.absolute_path)) for error in errors)
