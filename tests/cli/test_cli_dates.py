"""calc's date of service, default discipline and the codes listing's windows, through
CliRunner. The counting itself is tested in tests/test_dates.py."""

from __future__ import annotations

import datetime
import json

import pytest

from tests.conftest import run


def test_date_counts_a_2016_visit() -> None:
    result = run("calc", "97001", "97110=23", "--date", "2016-06-01", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["units"] == {"97001": 1, "97110": 2}


def test_default_date_is_today_chosen_by_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    class Frozen(datetime.date):
        @classmethod
        def today(cls) -> Frozen:
            return cls(2016, 6, 1)

    monkeypatch.setattr("unitcalc.cli.calc_command.datetime.date", Frozen)
    assert run("calc", "97001").exit_code == 0
    refused = run("calc", "97161")
    assert refused.exit_code == 2
    assert "97161 is valid from 2017-01-01, not on 2016-06-01" in refused.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "06/01/2016"], "Error: --date: date of service '06/01/2016' is not a date"),
        (["--default-discipline", "XX"], "Error: --default-discipline: discipline 'XX' is not"),
    ],
    ids=["bad-date", "bad-discipline"],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    result = run("calc", "97110=23", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)


def test_json_date_of_service_is_used_and_the_option_wins() -> None:
    document = json.dumps({"date_of_service": "2016-06-01", "services": [{"code": "97001"}]})
    assert run("calc", "--input", "-", stdin=document).exit_code == 0
    overridden = run("calc", "--input", "-", "--date", "2017-06-01", stdin=document)
    assert overridden.exit_code == 2
    assert "97001 was deleted on 2017-01-01" in overridden.stderr


def test_json_bad_date_names_the_key() -> None:
    document = json.dumps(
        {"date_of_service": "June", "services": [{"code": "97110", "minutes": 8}]}
    )
    result = run("calc", "--input", "-", stdin=document)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: <stdin>: date_of_service: date of service 'June'")


def test_json_blank_discipline_joins_the_named_one() -> None:
    document = json.dumps(
        {
            "services": [
                {"code": "97110", "minutes": 33, "discipline": "PT"},
                {"code": "97140", "minutes": 7},
            ]
        }
    )
    result = run("calc", "--input", "-", "--format", "json", stdin=document)
    assert json.loads(result.stdout)["total_units"] == 3


def test_two_disciplines_and_a_blank_line_name_the_option() -> None:
    result = run("calc", "97110-GP=33", "97530-GO=10", "97140=7")
    assert result.exit_code == 2
    assert "--default-discipline" in result.stderr
    decided = run("calc", "97110-GP=33", "97530-GO=10", "97140=7", "--default-discipline", "PT")
    assert decided.exit_code == 0
    assert "Total: 4 units" in decided.stdout


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["calc", "97110=5"], "No timed unit: 5 timed min in all (97110 5), fewer than 8"),
        (["calc", "97161=0"], "97161 is untimed and bills 1 unit, but 0 minutes"),
        (["calc", "97550=38"], "97550: UNCONFIRMED"),
    ],
    ids=["5min", "untimed-0min", "caregiver-training"],
)
def test_warnings_show_without_explain(args: list[str], shown: str) -> None:
    result = run(*args)
    assert result.exit_code == 0
    assert "Warnings:" in result.stdout
    assert shown in result.stdout
    assert "Why:" not in result.stdout


def test_monthly_code_gets_its_own_message() -> None:
    result = run("calc", "98977")
    assert result.exit_code == 2
    assert "98977 (RTM device supply, musculoskeletal, 16-30 days) is a monthly code" in (
        result.stderr
    )


def test_codes_lists_windows_and_monthly_kind() -> None:
    listed = json.loads(run("codes", "--kind", "monthly", "--format", "json").stdout)
    assert {entry["code"] for entry in listed} >= {"98975", "98980", "98986"}
    assert all(entry["monthly_counting"] for entry in listed)
    table = run("codes", "--kind", "untimed").stdout
    assert "from 2017-01-01" in table
