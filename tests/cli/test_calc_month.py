"""``unitcalc calc --month``: a patient's month of remote therapeutic monitoring from the
command line or a JSON file, as a table or as JSON that validates against its packaged
schema, with the library's answer; and every refusal in one line, exit code 2."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import unitcalc
from tests.conftest import run
from unitcalc.cli.calc_month import MONTH_SCHEMA_VERSION, month_output_schema, parse_month_service

SCHEMA = json.loads(month_output_schema().read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def month_json(*args: str, stdin: str | None = None) -> dict[str, Any]:
    result = run("calc", *args, "--format", "json", stdin=stdin)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_the_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["schema_version"]["const"] == MONTH_SCHEMA_VERSION


def test_a_month_from_the_command_line() -> None:
    document = month_json(
        "--month", "2026-03", "98980=25@2026-03-02", "98981=20", "98977=20d@2026-03-09",
        "98985=8d@2026-03-30", "98975",
    )  # fmt: skip
    VALIDATOR.validate(document)
    lines = [
        unitcalc.MonthLine("98980", 25, date_of_service="2026-03-02"),
        unitcalc.MonthLine("98981", 20),
        unitcalc.MonthLine("98977", days_of_data=20, date_of_service="2026-03-09"),
        unitcalc.MonthLine("98985", days_of_data=8, date_of_service="2026-03-30"),
        unitcalc.MonthLine("98975"),
    ]
    expected = unitcalc.calculate_month(lines, month="2026-03").to_dict()
    assert document == {"schema_version": MONTH_SCHEMA_VERSION, **expected}
    assert document["units"] == {"98980": 1, "98981": 1, "98977": 1, "98985": 0, "98975": 1}


def test_a_month_as_a_table_explains_itself() -> None:
    result = run("calc", "--month", "2026-03", "98980=15", "--explain")
    assert result.exit_code == 0, result.output
    assert "Month: 2026-03" in result.stdout
    assert "98979   (from the month's count)" in result.stdout
    assert "Total: 1 unit (15 management minutes)" in result.stdout
    assert "98979 once, for the first 10 minutes." in result.stdout


def test_a_month_from_an_input_file() -> None:
    document = {
        "month": "2026-03",
        "services": [{"code": "98980", "minutes": 45}, {"code": "98977", "days_of_data": 16}],
    }
    got = month_json("--input", "-", stdin=json.dumps(document))
    VALIDATOR.validate(got)
    assert got["units"] == {"98980": 1, "98977": 1, "98981": 1}


def test_options_reach_the_count() -> None:
    assert month_json("--month", "2026-03", "98980=31")["units"] == {"98980": 1}
    midpoint = month_json("--month", "2026-03", "98980=31", "--rtm-blocks", "midpoint")
    assert midpoint["units"] == {"98980": 1, "98981": 1}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["98980=20"], "is a monthly code"),
        (["98980=20"], "count it for its month with --month YYYY-MM"),
        (["--month", "2026-03", "98980=25", "--rule", "ama"], "--rule does not apply to a month"),
        (["--month", "2026-03", "98980=25", "--date", "2026-03-02"], "--date does not apply"),
        (["--month", "2026-3x", "98980=25"], "--month: month '2026-3x' is not a month"),
        (["--month", "2026-03"], "give at least one service"),
        (["--month", "2026-03", "98977=20"], "98977=20d for 20 days"),
        (["--month", "2026-03", "98980="], "a value is missing after '='"),
        (["--month", "2026-03", "98980=2x"], "'98980=2x': 98980: minutes '2x'"),
        (["--month", "2026-03", "98980=20@2026-04-01"], "2026-04-01 is not in 2026-03"),
        (["--month", "2025-12", "98979=12"], "98979 is valid from 2026-01-01"),
        (["--month", "2026-03", "97110=30"], "counted by the day, not by the month"),
    ],
    ids=["monthly-on-a-day", "points-to-month", "rule", "date", "bad-month", "no-service",
         "device-without-d", "empty-value", "bad-minutes", "date-outside", "98979-2025",
         "daily-code"],
)  # fmt: skip
def test_refusals_say_why_in_one_line(args: list[str], words: str) -> None:
    result = run("calc", *args)
    assert result.exit_code == 2
    assert words in result.output
    assert result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_input_file_errors_name_the_entry() -> None:
    bad = {"month": "2026-03", "services": [{"code": "98977", "days": 20}]}
    result = run("calc", "--input", "-", stdin=json.dumps(bad))
    assert result.exit_code == 2
    assert "services[0]: unknown key 'days'" in result.output
    worse = {"month": "2026-03", "services": [{"code": "98977", "days_of_data": "x"}]}
    result = run("calc", "--input", "-", stdin=json.dumps(worse))
    assert "services[0].days_of_data:" in result.output


tokens = st.one_of(
    st.sampled_from(["98979", "98980", "98981"]).flatmap(
        lambda code: st.integers(0, 90).map(lambda m: f"{code}={m}")
    ),
    st.sampled_from(["98976", "98977", "98978", "98984", "98985", "98986"]).flatmap(
        lambda code: st.tuples(st.integers(0, 30), st.integers(1, 31)).map(
            lambda pair: f"{code}={pair[0]}d@2026-03-{pair[1]:02d}"
        )
    ),
    st.just("98975"),
)


@settings(max_examples=60)
@given(st.lists(tokens, min_size=1, max_size=6), st.sampled_from(["2025-03", "2026-03"]))
def test_any_month_validates_and_is_the_librarys(parts: list[str], month: str) -> None:
    if month == "2025-03":
        new = ("98979", "98984", "98985", "98986")  # valid from 2026-01-01
        parts = [p.replace("2026-03", "2025-03") for p in parts if not p.startswith(new)]
        if not parts:
            parts = ["98980=20"]
    document = month_json("--month", month, *parts)
    VALIDATOR.validate(document)
    lines = [parse_month_service(part) for part in parts]
    assert document["units"] == dict(unitcalc.calculate_month(lines, month).units)


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"month": "2026-03", "services": [], "rule": "cms"}, "unknown key 'rule'; expected month"),
        ({"month": 202603, "services": [{"code": "98980"}]}, 'month: 202603 is refused: input should be a valid string; give the month as YYYY-MM, e.g. "month": "2026-03"'),
        ({"month": "2026-03", "services": ["98980"]}, 'services[0]: "98980" is refused: expected an object; give the services as {"month": "2026-03", "services": [{"code": "98980"'),
        ({"month": None, "services": [{"code": "98980", "minutes": 20}]}, "give the month with --month"),
    ],
    ids=["unknown-key", "month-not-text", "service-not-object", "no-month"],
)  # fmt: skip
def test_a_bad_month_document_says_what_is_wrong(document: dict[str, Any], words: str) -> None:
    result = run("calc", "--input", "-", stdin=json.dumps(document))
    assert result.exit_code == 2
    assert words in result.output


@pytest.mark.parametrize("token", ["=20", "98980=20@"], ids=["no-code", "empty-date"])
def test_a_bad_token_says_how_to_write_one(token: str) -> None:
    result = run("calc", "--month", "2026-03", token)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ")


def test_the_library_renders_a_month_without_a_width() -> None:
    from unitcalc.cli.calc_month import render_month

    month = unitcalc.calculate_month({"98975": None}, "2026-03")
    text = render_month(month, explain=True)
    assert text.splitlines()[0].startswith("Month: 2026-03")
    assert "once per episode of care" in text
