"""``unitcalc calc --input`` reads a visit by the model ``POST /api/calculate`` validates
with (:class:`unitcalc.core.inputs.CalculateRequest`): what the API refuses, the command
line refuses, naming the file and the field; what the API takes, the command line takes
and counts the same; and a visit given on the command line loads no pydantic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import run
from unitcalc.core import inputs
from unitcalc.engine.payers import load_profiles
from unitcalc.web import requests
from unitcalc.web.app import create_app

PAYERS = Path(__file__).resolve().parents[2] / "docs" / "payers.toml"


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app(profiles=load_profiles(PAYERS), profiles_path=str(PAYERS))
    return TestClient(app, base_url="http://127.0.0.1")


def test_the_api_and_the_command_line_share_one_model() -> None:
    assert requests.CalculateRequest is inputs.CalculateRequest


SERVICE = {"code": "97110", "minutes": 33}


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        ({"services": [SERVICE], "colour": 1}, "", "visit.json: unknown key 'colour'; expected rule, payer,"),
        (
            {"services": [{**SERVICE, "units": 2}]},
            "services[0]",
            "unknown key 'units'; expected code, minutes, discipline, assistant_minutes",
        ),
        (
            {"services": [{"code": "97110", "minutes": True}]},
            "services[0].minutes",
            "true is refused: input should be a valid integer or a valid number or a valid "
            'string; give whole minutes, e.g. "minutes": 33',
        ),
        ({"services": [{"minutes": 7}]}, "services[0].code", "missing; give the code as text"),
        ({"rules": "cms", "services": [SERVICE]}, "", "unknown key 'rules'"),
        ({"services": "97110=33"}, "services", '"97110=33" is refused: input should be a valid list'),
        ({"services": [SERVICE], "pool_by": "week"}, "pool_by", "\"week\" is refused: input should be 'discipline' or 'day'"),
        ({"services": [SERVICE], "assistant_two_units": "no"}, "assistant_two_units", "give true or false"),
        ({"services": [SERVICE], "prefer": "97110"}, "prefer", "input should be a valid list"),
        ({"services": [SERVICE], "de_minimis": "some"}, "de_minimis", "give \"more-than\" or \"at-least\""),
        ({"services": [{**SERVICE, "discipline": "physical therapy"}]}, "services[0].discipline", "at most 10 characters"),
        ({"services": [SERVICE] * 201}, "services", "services: list should have at most 200 items"),
        ({}, "services", "missing; give the services as"),
    ],
    ids=["extra-key", "extra-service-key", "boolean-minutes", "no-code", "misspelt-key",
         "services-text", "pool-by", "two-units-text", "prefer-text", "de-minimis",
         "long-discipline", "too-many-services", "no-services"],
)  # fmt: skip
def test_the_command_line_refuses_what_the_api_refuses(
    client: TestClient, tmp_path: Path, document: dict[str, Any], field: str, words: str
) -> None:
    _refused_alike(client, tmp_path / "visit.json", "/api/calculate", document, field, words)


def _refused_alike(
    client: TestClient, path: Path, endpoint: str, document: dict[str, Any], field: str, words: str
) -> None:
    """The API refuses ``document`` naming ``field``; ``calc --input`` refuses it too, in
    one line naming the file, the field and ``words``."""
    answer = client.post(endpoint, json=document)
    assert answer.status_code == 422
    # The API names an unknown key itself, the command line the object that holds it.
    assert answer.json()["field"].startswith(field)
    path.write_text(json.dumps(document))
    result = run("calc", "--input", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    where = f"{path}: {field}: " if field else f"{path}: "
    assert result.stderr.startswith(f"Error: {where}"), result.stderr
    assert words in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


VISITS = {
    "pool-by-day": {
        "pool_by": "day",
        "services": [
            {"code": "97110", "minutes": 10, "discipline": "PT"},
            {"code": "97530", "minutes": 10, "discipline": "OT"},
        ],
    },
    "prefer": {"prefer": ["97110"], "services": [{"code": "97112", "minutes": 20}, {"code": "97110", "minutes": 20}]},
    "default-discipline": {
        "default_discipline": "OT",
        "services": [{"code": "97530", "minutes": 20}, {"code": "97110", "minutes": 25, "discipline": "PT"}],
    },
    "two-units": {
        "date_of_service": "2026-03-02",
        "assistant_two_units": False,
        "services": [{"code": "97110", "minutes": 12, "assistant_minutes": 12, "discipline": "PT"}],
    },
    "de-minimis": {
        "date_of_service": "2026-03-02",
        "de_minimis": "at-least",
        "services": [{"code": "97150", "minutes": 27, "assistant_minutes": 3, "discipline": "PT"}],
    },
    "payer": {"payer": "anthem-example", "services": [{"code": "97110", "minutes": 60}, {"code": "97140", "minutes": 30}]},
}  # fmt: skip


@pytest.mark.parametrize("name", list(VISITS))
def test_the_command_line_counts_what_the_api_counts(
    client: TestClient, tmp_path: Path, name: str
) -> None:
    document = VISITS[name]
    answer = client.post("/api/calculate", json=document)
    assert answer.status_code == 200, answer.text
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(document))
    result = run("calc", "--input", str(path), "--payers", str(PAYERS), "--format", "json")
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed.pop("schema_version") == 1
    assert printed == answer.json()
    # The document's keys change the count: without them, the day counts otherwise.
    plain = {k: v for k, v in document.items() if k in ("services", "date_of_service")}
    assert client.post("/api/calculate", json=plain).json() != printed


def test_an_option_on_the_command_line_wins_over_the_document(tmp_path: Path) -> None:
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(VISITS["pool-by-day"]))
    by_day = run("calc", "--input", str(path), "--format", "json")
    apart = run("calc", "--input", str(path), "--pool-by", "discipline", "--format", "json")
    assert json.loads(by_day.stdout)["total_units"] == 1
    assert json.loads(apart.stdout)["total_units"] == 2
    for name, option, services in [
        ("two-units", "--assistant-two-units", "97110-PT=12+12"),
        ("de-minimis", "--de-minimis=more-than", "97150-PT=27+3"),
    ]:
        path.write_text(json.dumps(VISITS[name]))
        document = json.loads(run("calc", "--input", str(path), "--format", "json").stdout)
        given = run("calc", "--input", str(path), option, "--format", "json")
        plain = run("calc", services, "--date", "2026-03-02", "--format", "json")
        assert json.loads(given.stdout) == json.loads(plain.stdout)
        assert document != json.loads(plain.stdout)


def test_a_payer_in_the_document_needs_the_profiles_file(tmp_path: Path) -> None:
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(VISITS["payer"]))
    result = run("calc", "--input", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"Error: {path}: payer: the payer profile 'anthem-example' is read from a file of "
        "payer profiles; give it with --payers FILE"
    )
    path.write_text(json.dumps({**VISITS["payer"], "payer": "nobody"}))
    result = run("calc", "--input", str(path), "--payers", str(PAYERS))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}: payer: ")
    assert "nobody" in result.stderr


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"prefer": ["97x"], "services": [SERVICE]}, "prefer[0]: '97x' is not a CPT/HCPCS code"),
        ({"default_discipline": "XX", "services": [SERVICE]}, "default_discipline: discipline 'XX' is not PT, OT or SLP"),
        ({"date_of_service": "2026-13-01", "services": [SERVICE]}, "date_of_service: "),
    ],
    ids=["prefer", "default-discipline", "date"],
)  # fmt: skip
def test_a_value_the_library_refuses_is_named_by_its_field(
    tmp_path: Path, document: dict[str, Any], words: str
) -> None:
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(document))
    result = run("calc", "--input", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}: {words}"), result.stderr


def loaded(*args: str, stdin: str = "") -> list[str]:
    """Which of pydantic and fastapi ``unitcalc ARGS`` imports, in a fresh interpreter."""
    code = (
        "import sys; from click.testing import CliRunner; from unitcalc.cli import main; "
        f"result = CliRunner().invoke(main, {list(args)!r}, input={stdin!r}); "
        "assert result.exit_code == 0, result.output; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'fastapi'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found: list[str] = json.loads(out.stdout.replace("'", '"'))
    return found


def test_a_visit_on_the_command_line_loads_no_pydantic() -> None:
    assert loaded("calc", "97110=33") == []
    assert loaded("calc", "97110=33", "--format", "json") == []
    # The JSON input is read by the model: then, and only then, pydantic is loaded.
    assert loaded("calc", "--input", "-", stdin=json.dumps({"services": [SERVICE]})) == ["pydantic"]


def test_the_month_models_are_the_apis_too() -> None:
    assert requests.MonthRequest is inputs.MonthRequest


MONTH = {"month": "2026-03", "services": [{"code": "98980", "minutes": 45}]}


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        ({**MONTH, "rule": "cms"}, "", "unknown key 'rule'; expected month, services, rtm_blocks, rtm_set_up"),
        ({**MONTH, "services": [{"code": "98977", "days_of_data": True}]}, "services[0].days_of_data", "true is refused"),
        ({**MONTH, "rtm_blocks": "half"}, "rtm_blocks", 'give "full" or "midpoint"'),
        ({"month": "2026-03", "services": [{"minutes": 45}]}, "services[0].code", 'missing; give the code as text, e.g. "code": "98980"'),
    ],
    ids=["extra-key", "boolean-days", "rtm-blocks", "no-code"],
)  # fmt: skip
def test_the_command_line_refuses_the_month_the_api_refuses(
    client: TestClient, tmp_path: Path, document: dict[str, Any], field: str, words: str
) -> None:
    _refused_alike(client, tmp_path / "month.json", "/api/month", document, field, words)


def test_the_command_line_counts_the_month_the_api_counts(client: TestClient) -> None:
    document = {
        "month": "2026-03",
        "rtm_blocks": "midpoint",
        "services": [{"code": "98980", "minutes": 20}, {"code": "98981", "minutes": 11}],
    }
    answer = client.post("/api/month", json=document)
    assert answer.status_code == 200, answer.text
    result = run("calc", "--input", "-", "--format", "json", stdin=json.dumps(document))
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed.pop("schema_version") == 1
    assert printed == answer.json()
    # rtm_blocks counted: by full blocks, the 11 minutes of 98981 bill nothing.
    full = client.post("/api/month", json={**document, "rtm_blocks": "full"}).json()
    assert full["total_units"] < printed["total_units"]
    # --rtm-blocks on the command line wins over the document's.
    given = run(
        "calc", "--input", "-", "--rtm-blocks", "full", "--format", "json",
        stdin=json.dumps(document),
    )  # fmt: skip
    assert json.loads(given.stdout)["total_units"] == full["total_units"]


def test_month_on_the_command_line_reads_the_documents_services() -> None:
    # A document without its month, the month given by --month: its services are
    # counted (they were left out before, and the month had no service).
    document = {"services": [{"code": "98980", "minutes": 45}]}
    result = run("calc", "--month", "2026-03", "--input", "-", "--format", "json",
                 stdin=json.dumps(document))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["units"] == {"98980": 1, "98981": 1}
