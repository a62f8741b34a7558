"""Assistant minutes through the faces: `unitcalc calc` (the short form, JSON input, the
date and the options) and the HTTP API. The split itself is tested in test_assistant."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import unitcalc
from tests.conftest import run
from unitcalc import ServiceLine
from unitcalc.cli import main
from unitcalc.cli.calc_command import parse_service
from unitcalc.core.errors import InvalidServiceError
from unitcalc.web.app import create_app


def test_short_form() -> None:
    line = parse_service("97110-GP=13+23")
    assert (line.minutes, line.assistant_minutes, line.discipline) == (13, 23, "PT")


@pytest.mark.parametrize(
    ("token", "message"),
    [
        pytest.param("97110-GP=+23", "THERAPIST\\+ASSISTANT", id="no-therapist"),
        pytest.param("97110-GP=13+", "THERAPIST\\+ASSISTANT", id="no-assistant"),
        pytest.param("97110-GP=1+2+3", "THERAPIST\\+ASSISTANT", id="three"),
        pytest.param("97110=13+23", "need the discipline", id="no-discipline"),
        pytest.param("92507-SLP=13+23", "SLP has no assistant modifier", id="slp"),
        pytest.param("97110-GP=13+2.5", "assistant minutes '2.5' has a fraction", id="fraction"),
    ],
)
def test_short_form_errors(token: str, message: str) -> None:
    with pytest.raises(InvalidServiceError, match=message):
        parse_service(token)


def test_calc_table_shows_the_split() -> None:
    result = run("calc", "97110-GP=13+23", "97140-GP=30", "--date", "2026-03-02")
    assert result.exit_code == 0, result.output
    assert "13+23 min: CQ x1, x1 without" in result.stdout
    assert "paid at 85% on 2026-03-02" in result.stdout
    explained = run("calc", "97110-GP=13+23", "--date", "2026-03-02", "--explain")
    assert "97110 unit 2, the final unit: no CQ" in explained.stdout


def test_calc_before_2020_and_default_date() -> None:
    old = run("calc", "97110-GP=5+10", "--date", "2019-06-01")
    assert "5+10 min: no modifier" in old.stdout
    assert "no CQ/CO before 2020 (2019-06-01)" in old.stdout
    today = run("calc", "97110-GP=5+10", "--format", "json")
    data = json.loads(today.stdout)
    assert data["date_of_service"] == datetime.date.today().isoformat()
    assert data["assistant"]["97110"]["with_modifier"] == 1


def test_calc_2021_takes_cq_under_the_cy_2020_standard() -> None:
    # Issue 21: the therapist's 8 minutes of the final unit exempt it only from 2022-01-01.
    result = run("calc", "97110-GP=8+7", "--date", "2021-06-01", "--explain")
    assert result.exit_code == 0, result.output
    assert "8+7 min: CQ x1" in result.stdout
    assert "paid at 100% on 2021-06-01" in result.stdout
    assert "CY 2020 de minimis standard, per unit" in " ".join(result.stdout.split())
    later = run("calc", "97110-GP=8+7", "--date", "2022-01-01")
    assert "8+7 min: x1 without" in later.stdout


def test_the_file_audit_judges_each_date_by_its_standard(tmp_path: Path) -> None:
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "patient_id,date_of_service,code,minutes,assistant_minutes,discipline,billed_units,"
        "modifiers\n"
        "P1,2021-06-01,97110,8,7,PT,1,GP;CQ\n"  # right in 2021
        "P2,2021-06-01,97110,8,7,PT,1,GP\n"  # CQ missing in 2021
        "P3,2022-01-03,97110,8,7,PT,1,GP\n"  # right from 2022
        "P4,2022-01-03,97110,8,7,PT,1,GP;CQ\n",  # CQ not due from 2022
        encoding="utf-8",
    )
    edits = {finding.group: finding.edits for finding in unitcalc.iter_findings(visits)}
    assert edits.get("P1 / 2021-06-01", ()) == ()
    [missing] = edits["P2 / 2021-06-01"]
    assert "billed without CQ" in missing
    assert "due under the CY 2020 de minimis standard, per unit" in missing
    assert edits.get("P3 / 2022-01-03", ()) == ()
    [extra] = edits["P4 / 2022-01-03"]
    assert "billed with CQ where none is due" in extra
    assert "paid 15% too little" in extra


def test_calc_json_options() -> None:
    base = ["calc", "97110-GP=12+12", "--format", "json", "--date", "2026-03-02"]
    assert json.loads(run(*base).stdout)["assistant"]["97110"]["with_modifier"] == 1
    off = json.loads(run(*base, "--no-assistant-two-units").stdout)
    assert off["assistant"]["97110"]["with_modifier"] == 2
    assert off["units"] == {"97110": 2}
    untimed = ["calc", "97150-GP=27+3", "--format", "json", "--de-minimis", "at-least"]
    assert json.loads(run(*untimed).stdout)["assistant"]["97150"]["with_modifier"] == 1


def test_calc_json_input() -> None:
    document = {
        "date_of_service": "2021-05-04",
        "services": [
            {"code": "97110", "minutes": 13, "assistant_minutes": 23, "discipline": "PT"},
            {"code": "97140", "minutes": 30, "discipline": "PT"},
        ],
    }
    result = run("calc", "--input", "-", "--format", "json", stdin=json.dumps(document))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["units"] == {"97110": 2, "97140": 2}
    # 2021: the CY 2020 standard per unit. The assistant's full 15 minutes are one unit;
    # the final unit's 21 minutes hold the assistant's 8, more than 10%: CQ on both (the
    # therapist's 13 minutes exempt a final unit only from 2022-01-01).
    assert data["assistant"] == {
        "97110": {"with_modifier": 2, "without_modifier": 0, "modifier": "CQ", "paid_percent": 100}
    }


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"date_of_service": "May 4", "services": [{"code": "97110", "minutes": 8}]},
            "date_of_service: date of service 'May 4' is not a date",
        ),
        (
            {"services": [{"code": "97110", "minutes": 8, "assistant_minutes": 8}]},
            "services[0].assistant_minutes: 97110: assistant minutes need the discipline",
        ),
        ({"day": 1, "services": []}, "unknown key 'day'"),
    ],
)
def test_calc_json_input_errors(document: dict[str, object], message: str) -> None:
    result = run("calc", "--input", "-", stdin=json.dumps(document))
    assert result.exit_code == 2
    assert message in result.stderr


def test_calc_day_pooling_error_exits_2() -> None:
    result = run("calc", "97110-PT=0+15", "97110-OT=15+5", "--pool-by", "day")
    assert result.exit_code == 2
    assert "--pool-by discipline" in result.stderr


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), base_url="http://localhost:8000")


def test_api_assistant_minutes(client: TestClient) -> None:
    body = {
        "date_of_service": "2026-03-02",
        "services": [
            {"code": "97110", "minutes": 13, "assistant_minutes": 23, "discipline": "PT"},
            {"code": "97140", "minutes": 30, "discipline": "PT"},
        ],
    }
    response = client.post("/api/calculate", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["assistant"]["97110"]["with_modifier"] == 1
    assert data["lines"][0]["assistant"]["without_modifier"] == 1
    cli = run("calc", "--input", "-", "--format", "json", stdin=json.dumps(body))
    assert json.loads(cli.stdout) == {"schema_version": 1, **data}
    off = client.post("/api/calculate", json={**body, "assistant_two_units": False})
    assert off.json()["assistant"]["97110"]["with_modifier"] == 1  # rule 4 is not in play


def test_api_default_date_and_errors(client: TestClient) -> None:
    body = {"services": [{"code": "97110", "minutes": 5, "assistant_minutes": 10}]}
    response = client.post("/api/calculate", json=body)
    assert response.status_code == 422
    assert response.json()["field"] == "services[0].assistant_minutes"
    body["services"][0]["discipline"] = "OT"
    answer = client.post("/api/calculate", json=body).json()
    assert answer["date_of_service"] == datetime.date.today().isoformat()
    assert answer["assistant"]["97110"]["modifier"] == "CO"
    pooled = {
        "pool_by": "day",
        "date_of_service": "2026-03-02",
        "services": [
            {"code": "97110", "minutes": 0, "assistant_minutes": 15, "discipline": "PT"},
            {"code": "97110", "minutes": 15, "assistant_minutes": 5, "discipline": "OT"},
        ],
    }
    located = client.post("/api/calculate", json=pooled)
    assert located.status_code == 422
    assert located.json()["field"] == "services[0].assistant_minutes"


def test_names_spelled_apart_to_keep_calc_fast_agree() -> None:
    from unitcalc.core.assistant import DE_MINIMIS

    option = next(p for p in main.commands["calc"].params if p.name == "de_minimis")
    assert tuple(option.type.choices) == DE_MINIMIS  # type: ignore[attr-defined]


def test_calc_does_not_load_the_assistant_module_for_a_plain_visit() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; from unitcalc.cli import main; "
        "CliRunner().invoke(main, ['calc', '97110=33']); "
        "print('unitcalc.engine.assistant' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# A service with assistant minutes on its PT line and minutes on an OT line, the whole day
# pooled: it cannot take one modifier. The file engines refused it while calc and the API
# counted it, folding the OT minutes into a CQ split; every face now refuses it the same way.
POOLED_PT_OT = [("97110", 10, "PT", 20), ("97110", 15, "OT", None)]


def test_every_face_refuses_a_service_under_pt_and_ot_with_assistant_minutes(
    client: TestClient, tmp_path: Path
) -> None:
    lines = [
        ServiceLine(code, minutes, discipline=discipline, assistant_minutes=assistant)
        for code, minutes, discipline, assistant in POOLED_PT_OT
    ]
    with pytest.raises(InvalidServiceError, match="documented under OT and PT") as raised:
        unitcalc.calculate(lines, pooling="day", date_of_service="2026-03-02")
    assert raised.value.argument == "pooling"
    cli = run("calc", "97110-GP=10+20", "97110-GO=15", "--pool-by", "day", "--date", "2026-03-02")
    assert cli.exit_code == 2
    assert "--pool-by discipline" in cli.stderr
    body = {
        "pool_by": "day",
        "date_of_service": "2026-03-02",
        "services": [
            {"code": code, "minutes": minutes, "discipline": discipline}
            | ({"assistant_minutes": assistant} if assistant is not None else {})
            for code, minutes, discipline, assistant in POOLED_PT_OT
        ],
    }
    answer = client.post("/api/calculate", json=body)
    assert answer.status_code == 422
    assert "documented under OT and PT" in answer.json()["detail"]
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "patient_id,date_of_service,code,minutes,discipline,assistant_minutes,billed_units\n"
        "P1,2026-03-02,97110,10,PT,20,2\nP1,2026-03-02,97110,15,OT,,1\n",
        encoding="utf-8",
    )
    audit = run("audit", str(visits), "--pool-by", "day", "--format", "json")
    [finding] = json.loads(audit.stdout)["findings"]
    assert finding["status"] == "invalid"
    assert "documented under OT and PT" in finding["message"]
    # Counted apart, each discipline takes its own modifier.
    apart = unitcalc.calculate(lines, date_of_service="2026-03-02")
    assert {split.modifier for split in apart.assistant.values()} == {"CQ"}
