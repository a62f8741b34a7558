"""Unlisted codes (97039, 97139, 97799) through every face: refused by the lookup with
the code and how to declare it (``--define`` on the command line, ``define_code`` in
Python and the HTTP API), counted once declared; and ``unitcalc codes`` listing the
codes of issue 21 with their designation, dates and sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import unitcalc
from tests.conftest import run
from unitcalc.web.app import create_app

REFUSAL = "97139 (unlisted therapeutic procedure) is an unlisted code"


def test_python_refuses_an_unlisted_code_naming_define_code() -> None:
    with pytest.raises(unitcalc.UnlistedCodeError) as caught:
        unitcalc.calculate({"97139": 20, "97110": 20})
    assert str(caught.value).startswith(REFUSAL)
    assert "define_code(spec='97139=timed')" in str(caught.value)
    table = unitcalc.CodeTable.default().with_codes(unitcalc.define_code("97139=timed"))
    assert unitcalc.calculate({"97139": 20, "97110": 20}, codes=table).total_units == 3


def test_calc_refuses_an_unlisted_code_naming_define() -> None:
    result = run("calc", "97039=20")
    assert result.exit_code == 2
    assert "97039 (unlisted modality) is an unlisted code" in result.stderr
    assert "--define 97039=timed" in result.stderr
    assert "--codes file" in result.stderr
    declared = run("calc", "97039=20", "--define", "97039=untimed")
    assert declared.exit_code == 0, declared.output
    assert "Total: 1 unit" in declared.stdout


def test_audit_finds_the_row_invalid_until_declared(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,discipline,billed_units\n"
        "P1,2026-03-02,97799,20,PT,2\n"
        "P1,2026-03-02,97110,20,PT,1\n",
        encoding="utf-8",
    )
    refused = run("audit", str(path))
    assert refused.exit_code == 1
    assert "[invalid] P1 / 2026-03-02" in refused.stdout
    assert "line 2: 97799 (unlisted physical medicine service) is an unlisted code" in (
        refused.stdout
    )
    assert "--define 97799=timed" in refused.stdout
    declared = run("audit", str(path), "--define", "97799=timed")
    assert declared.exit_code == 0, declared.output
    [finding] = unitcalc.iter_findings(path)
    assert finding.status == "invalid"
    assert "97799 (unlisted physical medicine service) is an unlisted code" in finding.message


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(), base_url="http://localhost:8000")


def test_the_api_refuses_an_unlisted_code_and_lists_the_kind(client: TestClient) -> None:
    response = client.post("/api/calculate", json={"services": [{"code": "97139", "minutes": 20}]})
    assert response.status_code == 422
    assert response.json()["field"] == "services[0].code"
    assert REFUSAL in response.json()["detail"]
    assert "unitcalc serve --define 97139=timed" in response.json()["detail"]  # the server's words
    listed = client.get("/api/codes?kind=unlisted").json()
    assert [entry["code"] for entry in listed] == ["97039", "97139", "97799"]
    assert all(entry["declare_hint"] for entry in listed)
    g0541 = next(e for e in client.get("/api/codes").json() if e["code"] == "G0541")
    assert g0541["therapy_list"] == "sometimes"
    assert g0541["therapy_list_sources"]
    assert g0541["valid_from"] == "2025-01-01"


def test_codes_lists_new_codes_with_dates_designation_and_sources() -> None:
    table = run("codes", "--kind", "timed", "--sources").stdout
    g0541 = next(line for line in table.splitlines() if line.startswith("G0541"))
    assert "from 2025-01-01" in g0541
    assert "Sources:" in table
    assert "Healthicity, 'New HCPCS Codes for Caregiver Training'" in " ".join(table.split())
    untimed = " ".join(run("codes", "--kind", "untimed").stdout.split())
    assert "always therapy (CMS therapy code list)" in untimed
    unlisted = run("codes", "--kind", "unlisted").stdout
    assert "declare how your payer counts the procedure" in " ".join(unlisted.split())
    entries = json.loads(run("codes", "--format", "json").stdout)
    by_code = {entry["code"]: entry for entry in entries}
    assert by_code["G0237"]["therapy_list"] == "not-therapy"
    assert by_code["92627"]["addon_of"] == "92626"
