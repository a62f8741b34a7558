"""The HTTP API: each endpoint, each error status, and the same answers as the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from unitcalc.cli import main
from unitcalc.engine.payers import load_profiles
from unitcalc.web.app import create_app

PAYERS = Path(__file__).resolve().parents[2] / "docs" / "payers.toml"


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app(profiles=load_profiles(PAYERS), profiles_path=str(PAYERS), max_body=4096)
    return TestClient(app, base_url="http://127.0.0.1:8000")


def test_calculate_is_the_cli_json(client: TestClient) -> None:
    body = {
        "rule": "cms",
        "services": [{"code": "97110", "minutes": 33}, {"code": "97140", "minutes": 7}],
    }
    response = client.post("/api/calculate", json=body)
    assert response.status_code == 200
    cli = CliRunner().invoke(
        main, ["calc", "--input", "-", "--format", "json"], input=json.dumps(body)
    )
    assert response.json() == {
        k: v for k, v in json.loads(cli.stdout).items() if k != "schema_version"
    }
    assert response.json()["units"] == {"97110": 2, "97140": 1}


def test_calculate_with_a_tie_and_options(client: TestClient) -> None:
    body = {
        "services": [{"code": "97112", "minutes": 20}, {"code": "97110", "minutes": 20}],
        "prefer": ["97110"],
    }
    data = client.post("/api/calculate", json=body).json()
    assert data["units"] == {"97112": 1, "97110": 2}
    assert sorted(data["tie"]["groups"][0]["codes"]) == ["97110", "97112"]
    lines = [
        {"code": "97110", "minutes": 10, "discipline": "GP"},
        {"code": "97530", "minutes": 10, "discipline": "GO"},
    ]
    assert (
        client.post("/api/calculate", json={"services": lines, "pool_by": "day"}).json()[
            "total_units"
        ]
        == 1
    )


def test_calculate_with_a_payer(client: TestClient) -> None:
    body = {"payer": "anthem-example", "services": [
        {"code": "97110", "minutes": 40}, {"code": "97140", "minutes": 30}, {"code": "97530", "minutes": 20}]}  # fmt: skip
    data = client.post("/api/calculate", json=body).json()
    assert (data["payer"], data["total_units"], data["removed"]) == (
        "anthem-example",
        4,
        {"97140": 1, "97530": 1},
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"services": [{"code": "97110", "minutes": 7.5}]}, "services[0].minutes", "has a fraction"),
        ({"services": [{"code": "97110", "minutes": -1}]}, "services[0].minutes", "is negative"),
        ({"services": [{"code": "97110", "minutes": [1]}]}, "services[0].minutes", "input should be"),
        ({"services": [{"code": "97110", "minutes": True}]}, "services[0].minutes", "input should be"),
        ({"services": [{"code": "97112", "minutes": 5}, {"code": "97001"}]}, "services[1]", "97001 was deleted"),
        ({"services": [{"code": "97111", "minutes": 5}]}, "services[0]", "Did you mean 97110"),
        ({"services": [{"code": "97110"}]}, "services[0].minutes", "minutes are missing"),
        ({"services": [{"code": "97110", "minutes": 5, "discipline": "XX"}]}, "services[0].discipline", "not PT, OT or SLP"),
        ({"services": [{"code": "9711", "minutes": 5}]}, "services[0].code", "is not a CPT/HCPCS code"),
        ({"services": [{"code": "97110", "minutes": 5, "colour": 1}]}, "services[0].colour", "Extra inputs"),
        ({"rule": "eights", "services": []}, "rule", "unknown rule 'eights'"),
        ({"payer": "acme", "services": []}, "payer", "no payer profile 'acme'"),
        ({"pool_by": "week", "services": []}, "pool_by", "input should be"),
        ({}, "services", "Field required"),
    ],
    ids=["fraction", "negative", "list", "boolean", "deleted", "unknown", "no-minutes", "discipline", "code",
         "extra-key", "rule", "payer", "pool", "no-services"],
)  # fmt: skip
def test_invalid_input_is_422_naming_the_field(
    client: TestClient, body: dict[str, object], field: str, message: str
) -> None:
    response = client.post("/api/calculate", json=body)
    assert response.status_code == 422
    data = response.json()
    assert data["field"] == field
    assert data["detail"].startswith(f"{field}: ")
    assert message.lower() in data["detail"].lower()


def test_not_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/calculate", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "body: the request body is not valid JSON",
        "field": "body",
    }


def test_large_bodies_are_413(client: TestClient) -> None:
    services = [{"code": "97110", "minutes": 1}] * 200
    response = client.post("/api/calculate", json={"services": services})
    assert response.status_code == 413
    assert "larger than 4096 bytes" in response.json()["detail"]

    def chunks():  # no Content-Length: the limit still holds
        yield b'{"services": ['
        for _ in range(300):
            yield b'{"code": "97110", "minutes": 1},'
        yield b'{"code": "97110", "minutes": 1}]}'

    assert (
        client.post(
            "/api/calculate", content=chunks(), headers={"content-type": "application/json"}
        ).status_code
        == 413
    )


def test_audit(client: TestClient) -> None:
    body = {"groups": [
        {"group": "A", "services": [{"code": "97110", "minutes": 33, "billed_units": 2}, {"code": "97140", "minutes": 7, "billed_units": 1}]},
        {"group": "B", "services": [{"code": "97110", "minutes": 33, "billed_units": 3}, {"code": "97140", "minutes": 7, "billed_units": 0}]},
        {"group": "C", "services": [{"code": "97112", "minutes": 20, "billed_units": 1}, {"code": "97110", "minutes": 20, "billed_units": "2"}]},
    ]}  # fmt: skip
    response = client.post("/api/audit", json=body)
    assert response.status_code == 200
    data = response.json()
    assert data["summary"]["counts"] == {
        "ok": 2,
        "over": 0,
        "under": 0,
        "misallocated": 1,
        "invalid": 0,
    }
    assert [f["status"] for f in data["findings"]] == ["ok", "misallocated", "ok"]
    assert data["findings"][1]["allowed"] == {"97110": 2, "97140": 1}


@pytest.mark.parametrize(
    ("services", "field"),
    [
        (
            [{"code": "97110", "minutes": 33, "billed_units": -1}],
            "groups[0].services[0].billed_units",
        ),
        ([{"code": "97110", "minutes": 3.5, "billed_units": 1}], "groups[0].services[0].minutes"),
        ([{"code": "97110", "minutes": 3}], "groups[0].services[0].billed_units"),
    ],
)
def test_audit_errors_name_the_field(
    client: TestClient, services: list[object], field: str
) -> None:
    response = client.post("/api/audit", json={"groups": [{"group": "A", "services": services}]})
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_codes_rules_payers(client: TestClient) -> None:
    codes = {c["code"]: c for c in client.get("/api/codes").json()}
    addon = codes["97130"]
    assert (addon["kind"], addon["unit_minutes"], addon["addon_of"]) == ("timed", 15, "97129")
    assert addon["label"] == "cognitive function intervention, each added 15 min"
    assert addon["sources"]
    assert all(c["kind"] == "deleted" for c in client.get("/api/codes?kind=deleted").json())
    assert client.get("/api/codes?kind=nope").status_code == 422
    assert [r["name"] for r in client.get("/api/rules").json()] == ["cms", "ama", "commercial-15"]
    assert {p["name"] for p in client.get("/api/payers").json()} >= {"medicare", "anthem-example"}


def test_openapi_and_page(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/api/calculate", "/api/audit", "/api/codes", "/api/rules", "/api/payers"} <= set(
        schema["paths"]
    )
    page = client.get("/")
    assert page.status_code == 200
    assert '<label for="rule">Rule</label>' in page.text
    assert "/static/app.js" in page.text
    assert "http" not in page.text.split("<body>")[0].replace("http-equiv", "")  # no CDN in <head>
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200


def test_serve_needs_nothing_unusual(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--port", "70000"])
    assert result.exit_code == 2
    assert "--port" in result.stderr


def test_calculate_takes_a_date_of_service(client: TestClient) -> None:
    body = {"date_of_service": "2016-06-01", "services": [{"code": "97001"}]}
    response = client.post("/api/calculate", json=body)
    assert response.status_code == 200
    assert response.json()["units"] == {"97001": 1}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"date_of_service": "2016-06-01", "services": [{"code": "97161"}]}, "services[0]",
         "97161 is valid from 2017-01-01, not on 2016-06-01"),
        ({"date_of_service": "1/6/16", "services": [{"code": "97110", "minutes": 8}]},
         "date_of_service", "is not a date written YYYY-MM-DD"),
        ({"default_discipline": "XX", "services": [{"code": "97110", "minutes": 8}]},
         "default_discipline", "discipline 'XX' is not PT, OT or SLP"),
        ({"services": [{"code": "98980", "minutes": 20}]}, "services[0].code", "is a monthly code"),
    ],
    ids=["outside-window", "bad-date", "bad-default-discipline", "monthly"],
)  # fmt: skip
def test_dated_input_errors_name_the_field(
    client: TestClient, body: dict[str, object], field: str, message: str
) -> None:
    response = client.post("/api/calculate", json=body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert message in response.json()["detail"]


def test_calculate_default_discipline(client: TestClient) -> None:
    body = {
        "default_discipline": "PT",
        "services": [
            {"code": "97110", "minutes": 33, "discipline": "PT"},
            {"code": "97530", "minutes": 10, "discipline": "OT"},
            {"code": "97140", "minutes": 7},
        ],
    }
    assert client.post("/api/calculate", json=body).json()["total_units"] == 4


def test_audit_groups_take_a_date_of_service(client: TestClient) -> None:
    body = {
        "groups": [
            {
                "group": "P1 / 2016-06-01",
                "date_of_service": "2016-06-01",
                "services": [{"code": "97001", "billed_units": 1}],
            }
        ]
    }
    response = client.post("/api/audit", json=body)
    assert response.status_code == 200
    assert response.json()["findings"][0]["status"] == "ok"


def test_codes_endpoint_lists_monthly_codes_and_windows(client: TestClient) -> None:
    monthly = client.get("/api/codes?kind=monthly").json()
    assert monthly
    assert all(c["kind"] == "monthly" for c in monthly)
    evaluation = next(c for c in client.get("/api/codes").json() if c["code"] == "97161")
    assert evaluation["valid_from"] == "2017-01-01"


def test_an_engine_error_names_the_request_field_not_a_flag(client: TestClient) -> None:
    services = [
        {"code": "97110", "minutes": 33, "discipline": "PT"},
        {"code": "97530", "minutes": 10, "discipline": "OT"},
        {"code": "97140", "minutes": 7},
    ]
    answer = client.post("/api/calculate", json={"services": services})
    assert answer.status_code == 422
    text = json.dumps(answer.json())
    assert 'or pool the whole day (\\"pool_by\\": \\"day\\")' in text
    assert "--pool-by" not in text
