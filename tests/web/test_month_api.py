"""The HTTP API's months of remote therapeutic monitoring: POST /api/month answers as
``unitcalc calc --month --format json``, and a month's group of POST /api/audit as the
library's ``audit_month``, with each refusal naming its field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import unitcalc
from unitcalc.cli import main
from unitcalc.web.app import create_app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(max_body=8192), base_url="http://127.0.0.1:8000")


MONTH = {
    "month": "2026-03",
    "services": [
        {"code": "98980", "minutes": 25, "date_of_service": "2026-03-02"},
        {"code": "98981", "minutes": 20, "date_of_service": "2026-03-16"},
        {"code": "98977", "days_of_data": 20, "date_of_service": "2026-03-09"},
        {"code": "98985", "days_of_data": 8, "date_of_service": "2026-03-30"},
        {"code": "98975", "date_of_service": "2026-03-02"},
    ],
}


def test_month_is_the_cli_json(client: TestClient) -> None:
    response = client.post("/api/month", json=MONTH)
    assert response.status_code == 200, response.text
    cli = CliRunner().invoke(
        main, ["calc", "--input", "-", "--format", "json"], input=json.dumps(MONTH)
    )
    assert cli.exit_code == 0, cli.output
    expected = {k: v for k, v in json.loads(cli.stdout).items() if k != "schema_version"}
    assert response.json() == expected
    assert response.json()["units"] == {
        "98980": 1, "98981": 1, "98977": 1, "98985": 0, "98975": 1,
    }  # fmt: skip


def test_month_options(client: TestClient) -> None:
    body = {"month": "2026-03", "services": [{"code": "98980", "minutes": 31}]}
    assert client.post("/api/month", json=body).json()["units"] == {"98980": 1}
    midpoint = client.post("/api/month", json=body | {"rtm_blocks": "midpoint"}).json()
    assert midpoint["units"] == {"98980": 1, "98981": 1}
    assert client.post("/api/month", json=body | {"rtm_blocks": "half"}).status_code == 422


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"month": "2026-13", "services": [{"code": "98980", "minutes": 20}]}, "month",
         "write YYYY-MM"),
        ({"month": "2026-03", "services": [{"code": "98977"}]}, "services[0].days_of_data",
         "give its days_of_data"),
        ({"month": "2026-03", "services": [{"code": "98977", "days_of_data": -1}]},
         "services[0].days_of_data", "is negative"),
        ({"month": "2025-12", "services": [{"code": "98979", "minutes": 12}]}, "services[0]",
         "98979 is valid from 2026-01-01"),
        ({"month": "2026-03", "services": [{"code": "98980", "date_of_service": "2026-04-01"}]},
         "services[0].date_of_service", "is not in 2026-03"),
        ({"month": "2026-03", "services": [{"code": "97110", "minutes": 30}]}, "services[0].code",
         "counted by the day"),
    ],
    ids=["bad-month", "no-days", "negative-days", "98979-in-2025", "date-outside", "daily-code"],
)  # fmt: skip
def test_month_refusals_name_the_field(
    client: TestClient, body: dict[str, Any], field: str, words: str
) -> None:
    response = client.post("/api/month", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert words in response.json()["detail"]


def test_audit_a_month_beside_a_day(client: TestClient) -> None:
    month_services = [
        {"code": "98980", "minutes": 25, "billed_units": 1},
        {"code": "98979", "billed_units": 1},
    ]
    body = {
        "groups": [
            {"group": "P1 / 2026-03", "month": "2026-03", "services": month_services},
            {"group": "P1 / 2026-03-02", "date_of_service": "2026-03-02",
             "services": [{"code": "97110", "minutes": 33, "billed_units": 2}]},
        ]
    }  # fmt: skip
    response = client.post("/api/audit", json=body)
    assert response.status_code == 200, response.text
    month, day = response.json()["findings"]
    expected = unitcalc.audit_month(
        [unitcalc.MonthLine("98980", 25), unitcalc.MonthLine("98979")],
        {"98980": 1, "98979": 1},
        "2026-03",
        group="P1 / 2026-03",
    )
    assert month == expected.to_dict()
    assert (month["status"], month["rule"]) == ("over", "month")
    assert (day["status"], day["rule"]) == ("ok", "cms")
    assert response.json()["summary"]["counts"]["over"] == 1


@pytest.mark.parametrize(
    ("group", "field"),
    [
        ({"group": "A", "date_of_service": "2026-03-02",
          "services": [{"code": "97110", "minutes": 30, "billed_units": 2, "days_of_data": 3}]},
         "groups[0].services[0].days_of_data"),
        ({"group": "A", "month": "2026-03", "date_of_service": "2026-03-02",
          "services": [{"code": "98980", "minutes": 30, "billed_units": 1}]},
         "groups[0].date_of_service"),
        ({"group": "A", "month": "2026-03",
          "services": [{"code": "98977", "billed_units": 1}]},
         "groups[0].services[0].days_of_data"),
        ({"group": "A", "month": "March",
          "services": [{"code": "98980", "minutes": 30, "billed_units": 1}]},
         "groups[0].month"),
    ],
    ids=["days-on-a-day", "date-on-a-month", "device-without-days", "bad-month"],
)  # fmt: skip
def test_audit_month_refusals_name_the_field(
    client: TestClient, group: dict[str, Any], field: str
) -> None:
    response = client.post("/api/audit", json={"groups": [group]})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_a_monthly_code_on_a_day_points_to_the_month_endpoint(client: TestClient) -> None:
    response = client.post("/api/calculate", json={"services": [{"code": "98980", "minutes": 20}]})
    assert response.status_code == 422
    assert 'POST /api/month with "month": "YYYY-MM"' in response.json()["detail"]


def test_codes_show_how_monthly_codes_count(client: TestClient) -> None:
    codes = {c["code"]: c for c in client.get("/api/codes?kind=monthly").json()}
    assert codes["98981"]["month"] == {
        "role": "management", "minutes": 20, "after": "98980", "system": None, "days": None,
        "period_days": None,
    }  # fmt: skip
    assert codes["98985"]["month"]["days"] == [2, 15]
    assert codes["98978"]["valid_from"] == "2023-01-01"
