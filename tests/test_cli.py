"""CLI wiring with CliRunner: each command's happy path, each exit code, the error text.
The arithmetic is tested against the library, not here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import unitcalc
from unitcalc.cli import main, parse_service


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


class TestCalc:
    def test_table(self) -> None:
        result = run("calc", "97110=33", "97140=7")
        assert result.exit_code == 0
        assert "Total: 3 units (40 timed minutes)" in result.stdout
        assert "97140   manual therapy" in result.stdout
        assert "Why:" not in result.stdout

    def test_explain(self) -> None:
        result = run("calc", "97110=33", "97140=7", "--explain")
        assert result.exit_code == 0
        assert "1 unit remains and goes to 97140, the largest leftover" in result.stdout

    def test_json_matches_the_library(self) -> None:
        result = run("calc", "97110=33", "97140=7", "--format", "json")
        assert result.exit_code == 0
        expected = unitcalc.calculate({"97110": 33, "97140": 7}).to_dict()
        assert json.loads(result.stdout) == {"schema_version": 1, **expected}

    def test_rule_option(self) -> None:
        result = run("calc", "97110=33", "97140=7", "--rule", "ama", "--format", "json")
        assert json.loads(result.stdout)["units"] == {"97110": 2, "97140": 0}

    def test_tie_is_shown_with_alternatives(self) -> None:
        result = run("calc", "97112=20", "97110=20")
        assert result.exit_code == 0
        assert "Tie: 97112, 97110 have 5 min left each and compete for 1 unit" in result.stdout
        assert "also compliant: 97112 x1, 97110 x2" in result.stdout

    def test_truncated_alternatives_are_counted(self) -> None:
        codes = ["97110", "97112", "97116", "97140", "97530"]
        result = run("calc", *(f"{c}=7" for c in codes), "--max-alternatives", "2")
        assert result.exit_code == 0
        assert result.stdout.count("also compliant") == 2
        assert "10 compliant allocations in all" in result.stdout

    def test_prefer(self) -> None:
        result = run("calc", "97112=20", "97110=20", "--prefer", "97110", "--format", "json")
        assert json.loads(result.stdout)["units"] == {"97112": 1, "97110": 2}

    def test_disciplines_and_untimed_tokens(self) -> None:
        result = run("calc", "97110-GP=10", "97530-OT=10", "97161", "--format", "json")
        data = json.loads(result.stdout)
        assert data["units"] == {"97110": 1, "97530": 1, "97161": 1}
        # 97161 names no discipline: a PT evaluation, it joins the PT pool.
        assert [line.get("discipline") for line in data["lines"]] == ["PT", "OT", "PT"]

    def test_pool_by_day(self) -> None:
        result = run("calc", "97110-PT=10", "97530-OT=10", "--pool-by", "day", "--format", "json")
        assert json.loads(result.stdout)["total_units"] == 1

    def test_json_input_from_stdin(self) -> None:
        document = {
            "rule": "ama",
            "services": [
                {"code": "97110", "minutes": 33},
                {"code": "97140", "minutes": 7, "discipline": "PT"},
            ],
        }
        result = run("calc", "--input", "-", "--format", "json", stdin=json.dumps(document))
        assert result.exit_code == 0
        data = json.loads(result.stdout)
        assert (data["rule"], data["total_units"]) == ("ama", 2)

    def test_rule_option_wins_over_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "visit.json"
        path.write_text(
            json.dumps(
                {
                    "rule": "ama",
                    "services": [{"code": "97110", "minutes": 8}, {"code": "97140", "minutes": 7}],
                }
            )
        )
        result = run("calc", "--input", str(path), "--rule", "cms", "--format", "json")
        assert json.loads(result.stdout)["total_units"] == 1

    def test_define_and_codes_file(self, tmp_path: Path) -> None:
        result = run("calc", "0999T=16", "--define", "0999T=timed/30", "--format", "json")
        assert json.loads(result.stdout)["units"] == {"0999T": 1}
        path = tmp_path / "codes.toml"
        path.write_text(
            '[codes."97150"]\nlabel = "timed group"\nkind = "timed"\nunit_minutes = 15\n'
        )
        result = run("calc", "97150=23", "--codes", str(path), "--format", "json")
        assert json.loads(result.stdout)["units"] == {"97150": 2}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calc", "97110=3.5"], "Error: '97110=3.5': 97110: minutes '3.5' has a fraction"),
        (["calc", "97110=-3"], "Error: '97110=-3': 97110: minutes '-3' is negative"),
        (["calc", "97110=abc"], "Error: '97110=abc': 97110: minutes 'abc' is not a number"),
        (["calc", "97110="], "Error: '97110=': minutes are missing"),
        (["calc", "97110"], "Error: 97110 is a timed code and its minutes are missing"),
        (["calc", "97111=10"], "Error: 97111 is not in the code table. Did you mean 97110, 97112"),
        (["calc", "97001"], "Error: 97001 was deleted on 2017-01-01; its replacements are 97161, 97162, 97163"),
        (["calc", "9711=10"], "Error: '9711=10': '9711' is not a CPT/HCPCS code"),
        (["calc", "97110-XX=10"], "Error: '97110-XX=10': discipline 'XX' is not PT, OT or SLP"),
        (["calc", "97110-=10"], "Error: '97110-=10': the discipline is missing"),
        (["calc", "97110=10", "--prefer", "xyz"], "Error: tie preference: 'xyz' is not a CPT/HCPCS code"),
        (["calc", "97110=10", "--define", "97110=timed/²"], "Error: --define '97110=timed/²'"),
        (["calc", "97110=10", "--rule", "eights"], "Error: Invalid value for '--rule'"),
        (["calc"], "Error: give at least one service"),
        (["calc", "97110=10", "--define", "97999"], "Error: --define '97999'"),
        (["calc", "97110=10", "--codes", "/nonexistent/codes.toml"], "Error: cannot read code table"),
        (["calc", "--input", "-"], "Error: <stdin>: not valid JSON"),
        (["codes", "--kind", "sometimes"], "Error: Invalid value for '--kind'"),
        (["nosuch"], "Error: No such command 'nosuch'"),
    ],
    ids=["fraction", "negative", "text", "empty", "timed-no-minutes", "unknown", "deleted",
         "short-code", "discipline", "empty-discipline", "prefer", "define-digit", "rule",
         "no-services", "define", "codes-file", "json", "kind", "command"],
)  # fmt: skip
def test_input_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = run(*args, stdin="not json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            '{"services": [{"code": "97110", "minutes": 7.5}]}',
            "services[0].minutes: 97110: minutes 7.5",
        ),
        ('{"services": [{"code": "97110", "mins": 7}]}', "services[0]: unknown key 'mins'"),
        ('{"services": [{"minutes": 7}]}', "services[0]: expected an object"),
        ('{"visits": []}', "expected an object"),
        ('{"services": [], "colour": 1}', "unknown key 'colour'"),
        ('{"rule": 5, "services": []}', "rule must be text"),
        ('{"rule": "bogus", "services": []}', "<stdin>: rule: unknown rule 'bogus'"),
        ('{"services": [{"code": "97110"}]}', "<stdin>: services[0]: 97110 is a timed code"),
        (
            '{"services": [{"code": "97112", "minutes": 5}, {"code": "97001"}]}',
            "<stdin>: services[1]: 97001 was deleted",
        ),
        ("[" * 100000, "nested too deeply"),
    ],
)
def test_json_input_errors_name_the_field(document: str, message: str) -> None:
    result = run("calc", "--input", "-", stdin=document)
    assert result.exit_code == 2
    assert message in result.stderr


def test_codes_lists_and_filters() -> None:
    result = run("codes")
    assert result.exit_code == 0
    assert "97110" in result.stdout
    assert "97001" in result.stdout
    deleted = run("codes", "--kind", "deleted")
    assert "97001" in deleted.stdout
    assert "97110" not in deleted.stdout
    # A terminal wide enough keeps each note on one line.
    wide = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["codes", "--kind", "deleted"])
    assert "deleted 2017-01-01, use 97161, 97162, 97163; counted untimed" in wide.stdout
    timed = json.loads(run("codes", "--kind", "timed", "--format", "json").stdout)
    assert {entry["kind"] for entry in timed} == {"timed"}
    assert all(entry["sources"] for entry in timed)
    untimed = run("codes", "--kind", "untimed").stdout
    assert "97161" in untimed
    assert "97110" not in untimed


def test_rules_lists_the_registry() -> None:
    result = run("rules")
    assert result.exit_code == 0
    words = " ".join(result.stdout.split())  # long lines wrap to the terminal
    for rule in unitcalc.RULES.values():
        assert f"{rule.name} (also: " in result.stdout
        assert rule.source in words
    data = json.loads(run("rules", "--format", "json").stdout)
    assert [entry["name"] for entry in data] == list(unitcalc.RULES)


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"unitcalc, version {unitcalc.__version__}"


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("calc", "codes", "rules"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("token", "code", "minutes", "discipline"),
    [("97110=33", "97110", 33, None), ("97110-GP=33", "97110", 33, "PT"), ("97161", "97161", None, None),
     ("g0283-pt=20", "G0283", 20, "PT"), ("0999T=5", "0999T", 5, None)],
)  # fmt: skip
def test_parse_service(token: str, code: str, minutes: int | None, discipline: str | None) -> None:
    line = parse_service(token)
    assert (line.code, line.minutes, line.discipline) == (code, minutes, discipline)
