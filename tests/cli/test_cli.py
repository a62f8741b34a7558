"""CLI wiring with CliRunner: each command's happy path, each exit code, the error text.
The arithmetic is tested against the library, not here."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import unitcalc
from tests.conftest import run
from unitcalc.cli import main
from unitcalc.cli.calc_command import parse_service
from unitcalc.files.output import atomic_output


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
        (["calc", "97110=10", "--prefer", "xyz"], "Error: --prefer xyz: 'xyz' is not a CPT/HCPCS code"),
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
        (
            '{"services": [{"minutes": 7}]}',
            '<stdin>: services[0].code: missing; give the code as text, e.g. "code": "97110"',
        ),
        (
            '{"visits": []}',
            '<stdin>: services: missing; give the services as {"services": [{"code": "97110", "minutes": 33}, ...]}',
        ),
        ("[1]", "<stdin>: the document is refused: expected an object; give the services as"),
        ('{"services": [], "colour": 1}', "unknown key 'colour'"),
        (
            '{"rule": 5, "services": []}',
            "<stdin>: rule: 5 is refused: input should be a valid string; give a rule's name",
        ),
        ('{"rule": "bogus", "services": []}', "<stdin>: rule: unknown rule 'bogus'"),
        ('{"services": [{"code": "97110"}]}', "<stdin>: services[0]: 97110 is a timed code"),
        (
            '{"services": [{"code": "97112", "minutes": 5}, {"code": "97001"}]}',
            "<stdin>: services[1]: 97001 was deleted",
        ),
        ("[" * 100000, "nested too deeply"),
        (
            '{"services": [{"code": "97110", "minutes": 8, "minutes": 38}]}',
            "<stdin>: services[0]: the key 'minutes' appears twice in one object; keep one",
        ),
        (
            '{"services": [], "services": [{"code": "97110", "minutes": 38}]}',
            "<stdin>: the key 'services' appears twice in one object; keep one",
        ),
        (
            '{"services": [{"code": "97110", "minutes": 3' + "0" * 5000 + "}]}",
            "<stdin>: services[0].minutes: a number of more than 4,300 digits is no value here",
        ),
    ],
)
def test_json_input_errors_name_the_field(document: str, message: str) -> None:
    result = run("calc", "--input", "-", stdin=document)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize("where", ["minutes", "json-minutes"])
def test_zero_padded_minutes_past_pythons_digit_limit_are_read(where: str) -> None:
    # 5,000 zeros before 33 is still 33 minutes (a traceback before: Python converts
    # at most 4,300 digits); a number that long of any other digit is refused.
    padded = "0" * 5000 + "33"
    if where == "minutes":
        result = run("calc", f"97110={padded}", "--format", "json")
    else:
        document = f'{{"services": [{{"code": "97110", "minutes": "{padded}"}}]}}'
        result = run("calc", "--input", "-", "--format", "json", stdin=document)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["lines"][0]["minutes"] == 33
    refused = run("calc", "97110=" + "9" * 5000)
    assert refused.exit_code == 2
    assert "is more than the 1440 minutes in a day" in refused.stderr


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


PAYERS = Path(__file__).resolve().parents[2] / "docs" / "payers.toml"


def calc_json(*args: str) -> dict[str, Any]:
    result = run("calc", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


class TestRedefinedCodes:
    def test_a_packaged_code_keeps_its_label_and_says_it_was_redefined(self) -> None:
        result = run("calc", "97150=23", "--define", "97150=timed")
        assert result.exit_code == 0
        assert "97150   group therapy (redefined: timed/15)" in result.stdout
        assert "Total: 2 units (23 timed minutes)" in result.stdout

    def test_an_add_on_redefined_as_timed_keeps_its_primary(self) -> None:
        data = calc_json("97130=20", "--define", "97130=timed/15")
        assert data["units"] == {"97129": 1, "97130": 0}

    def test_an_add_on_redefined_as_untimed_stands_alone(self) -> None:
        data = calc_json("97130=20", "--define", "97130=untimed")
        assert data["units"] == {"97130": 1}
        assert data["lines"][0]["label"] == (
            "cognitive function intervention, each added 15 min (redefined: untimed)"
        )


def test_the_total_counts_untimed_minutes_apart() -> None:
    result = run("calc", "97110=33", "97161=45")
    assert result.exit_code == 0
    assert "97161   PT evaluation, low complexity (untimed)" in result.stdout
    assert "Total: 3 units (33 timed minutes, 45 untimed)" in result.stdout


def test_ties_in_two_disciplines_are_shown_apart() -> None:
    result = run("calc", "97110-GP=23", "97112-GP=23", "97110-GO=23", "97112-GO=23")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(line.startswith("Tie in PT: 97110, 97112 have 8 min left each") for line in lines)
    assert any(line.startswith("Tie in OT: 97110, 97112 have 8 min left each") for line in lines)
    # Per code, 97110 x2/x3/x4 are the distinct outcomes of the two independent choices.
    assert (
        "  The choices in each discipline are independent: 3 compliant allocations in all." in lines
    )
    assert "also compliant" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["batch", "{csv}", "--delimiter", ";;"], "Error: --delimiter ';;': give one character, e.g. ';'"),
        (["audit", "{csv}", "--delimiter", ""], "Error: --delimiter '': give one character, e.g. ';'"),
        (["calc", "--input", "{json}"], "Error: {json}: byte 41 is not UTF-8; save the JSON as UTF-8"),
        (["calc", "97110=33", "--payer", "acme"], "Error: --payer needs --payers FILE, the file of payer profiles"),
        (["calc", "97110=33", "--payers", str(PAYERS), "--payer", "gamma"], f"Error: no payer profile 'gamma' in {PAYERS}; it has "),
    ],
    ids=["two-character-delimiter", "empty-delimiter", "json-not-utf8", "payer-without-file",
         "unknown-payer"],
)  # fmt: skip
def test_option_and_input_errors_exit_2_with_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    visits = tmp_path / "v.csv"
    visits.write_text("visit_id,code,minutes,billed_units\nV1,97110,33,2\n", encoding="utf-8")
    document = tmp_path / "in.json"
    document.write_bytes(b'{"services": [{"code": "97110", "x": "caf\xe9"}]}')
    names = {"csv": str(visits), "json": str(document)}
    result = run(*(arg.format(**names) for arg in args))
    assert result.exit_code == 2
    assert result.stderr.startswith(message.format(**names))
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


SCATTERED = (
    "visit_id,code,minutes,billed_units\n"
    "V1,97110,10,1\nV2,97110,20,1\nV1,97112,10,1\n"
    "V3,97110,8,1\nV3,97110,8,1\nV2,97110,1,0\nV3,97140,8,1\n"
)


class TestScatteredFiles:
    def test_audit_says_the_file_was_scattered_and_gives_line_ranges(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        path.write_text(SCATTERED, encoding="utf-8")
        result = run("audit", str(path))
        assert result.exit_code == 1
        assert result.stdout.startswith(
            "Audit of 7 rows in 3 groups; 0 rows could not be used (the groups' rows were "
            "scattered through the file; each group counted whole).\n"
        )
        assert "\n[over] V1 (lines 2, 4)\n" in result.stdout
        assert "\n[over] V3 (lines 5-6, 8)\n" in result.stdout
        assert "note: lines 5 and 6 are identical; both are counted" in result.stdout
        assert "V2" not in result.stdout  # ok groups are not listed

    def test_batch_writes_each_claim_line_once(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        path.write_text(SCATTERED, encoding="utf-8")
        result = run("batch", str(path))
        assert result.exit_code == 0
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [(r["visit_id"], r["code"], r["minutes"], r["units"]) for r in rows] == [
            ("V1", "97110", "10", "1"),
            ("V1", "97112", "10", "0"),
            ("V2", "97110", "21", "1"),
            ("V3", "97110", "16", "1"),
            ("V3", "97140", "8", "1"),
        ]


class TestBatchReport:
    def test_an_invalid_group_keeps_its_claim_lines_without_a_discipline_column(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "v.csv"
        path.write_text("visit_id,code,minutes\nV1,97110,33\nV1,xx,7\n", encoding="utf-8")
        result = run("batch", str(path))
        assert result.exit_code == 1
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [(r["code"], r["discipline"], r["minutes"], r["units"], r["status"]) for r in rows] == [
            ("97110", "", "33", "", "invalid"),
            ("xx", "", "7", "", "invalid"),
        ]  # fmt: skip
        assert rows[0]["message"] == (
            "line 3: 'xx' is not a CPT/HCPCS code: codes have 5 characters, such as 97110 or G0283"
        )

    def test_json_values_are_written_as_json_in_csv_cells(self, tmp_path: Path) -> None:
        path = tmp_path / "v.jsonl"
        records = [
            {"visit_id": "V1", "code": "97110", "minutes": 33, "flags": ["a", 1], "reviewed": True},
            {"visit_id": "V1", "code": "97140", "minutes": 7, "reviewed": False, "meta": {"k": 1}},
        ]  # fmt: skip
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        result = run("batch", str(path))
        assert result.exit_code == 0
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [(r["flags"], r["reviewed"], r["other_fields"]) for r in rows] == [
            ('["a", 1]', "true", ""),
            ("", "false", '{"meta": {"k": 1}}'),
        ]

    def test_per_row_says_the_primary_of_an_add_on_family_on_the_input_row(
        self, tmp_path: Path
    ) -> None:
        # Every output row is an input row: 97129, counted for the family but not a line
        # of the input, is said on the 97130 row, not written as a row of its own.
        path = tmp_path / "v.csv"
        path.write_text("visit_id,code,minutes\nV1,97130,20\n", encoding="utf-8")
        result = run("batch", str(path), "--per-row")
        assert result.exit_code == 0
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [(r["visit_id"], r["code"], r["minutes"], r["units"]) for r in rows] == [
            ("V1", "97130", "20", "0"),
        ]
        assert rows[0]["message"] == (
            "97129 x1 counted too, as part of this add-on family; it is not a line of the "
            "input (bill it on its own claim line)"
        )


def test_an_interrupted_report_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"

    def write_half_a_report() -> None:
        with atomic_output(target) as out:
            out.write("half a report")
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        write_half_a_report()
    assert list(tmp_path.iterdir()) == []


class TestServe:
    def test_serve_starts_uvicorn_with_the_profiles(self, monkeypatch: pytest.MonkeyPatch) -> None:
        uvicorn = pytest.importorskip("uvicorn")
        from fastapi.testclient import TestClient

        started: dict[str, Any] = {}

        def fake_run(app: Any, **options: Any) -> None:
            started.update(options, app=app)

        monkeypatch.setattr(uvicorn, "run", fake_run)
        result = run(
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            "8123",
            "--payers",
            str(PAYERS),
            "--workers",
            "1",
        )
        assert result.exit_code == 0
        assert result.stderr == "unitcalc: open http://0.0.0.0:8123/ in a browser; Ctrl+C stops\n"
        assert (started["host"], started["port"]) == ("0.0.0.0", 8123)
        assert started["http"] == "unitcalc.web.server:HeaderTimeoutProtocol"
        client = TestClient(started["app"], base_url="http://127.0.0.1:8123")
        names = {p["name"] for p in client.get("/api/payers").json()}
        assert "anthem-example" in names

    def test_serve_runs_a_worker_per_core_from_the_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        uvicorn = pytest.importorskip("uvicorn")
        from fastapi.testclient import TestClient

        from unitcalc.web.server import ENV_HOSTS, ENV_PAYERS, app_from_environment

        started: dict[str, Any] = {}

        def fake_run(app: Any, **options: Any) -> None:
            started.update(options, app=app)

        monkeypatch.setattr(uvicorn, "run", fake_run)
        monkeypatch.setattr("os.cpu_count", lambda: 3)
        # Set first, so that monkeypatch puts back what was there before serve.
        monkeypatch.setenv(ENV_PAYERS, "")
        monkeypatch.setenv(ENV_HOSTS, "")
        result = run("serve", "--payers", str(PAYERS), "--allow-host", "desk.example")
        assert result.exit_code == 0, result.output
        assert started["app"] == "unitcalc.web.server:app_from_environment"
        assert (started["factory"], started["workers"]) == (True, 3)
        app = app_from_environment()  # what each worker builds
        client = TestClient(app, base_url="http://desk.example:8000")
        assert "anthem-example" in {p["name"] for p in client.get("/api/payers").json()}
        other = TestClient(app, base_url="http://elsewhere.example:8000")
        assert other.get("/api/payers").status_code == 400

    def test_serve_without_fastapi_says_what_to_install(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        pytest.importorskip("uvicorn")
        monkeypatch.setitem(sys.modules, "fastapi", None)  # as if it were not installed
        result = run("serve")
        assert result.exit_code == 2
        assert "(fastapi is missing)" in result.stderr

    def test_serve_without_the_web_extra_says_what_to_install(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn raises ImportError
        result = run("serve")
        assert result.exit_code == 2
        assert result.stderr == (
            "Error: unitcalc serve needs the web extra (uvicorn is missing): "
            "pip install 'unitcalc[web]'\n"
        )


def test_parquet_is_not_written_to_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    import click

    from unitcalc.cli.file_commands import _binary_to_terminal

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    with pytest.raises(click.UsageError, match="--format parquet writes binary data"):
        _binary_to_terminal("parquet", None)
    _binary_to_terminal("parquet", Path("out.parquet"))  # to a file: fine
    _binary_to_terminal("csv", None)  # text: fine


def test_a_bad_tie_preference_is_refused_before_a_file_is_read() -> None:
    from tests.conftest import run

    result = run("audit", "docs/examples/visits.csv", "--prefer", "97110,9")
    assert result.exit_code == 2
    assert "--prefer 97110,9: '9' is not a CPT/HCPCS code" in result.output
