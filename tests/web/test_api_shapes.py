"""The OpenAPI document tells the truth: every answer is a typed model, and what the
server sends, 200, 422 and 413 alike, validates against the schema it documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from unitcalc.cli import main
from unitcalc.core.codes import CodeTable
from unitcalc.core.shapes import FileFinding, Finding
from unitcalc.engine.payers import load_profiles
from unitcalc.rules import RULES
from unitcalc.web.app import create_app

PAYERS = Path(__file__).resolve().parents[2] / "docs" / "payers.toml"
ENDPOINTS = [
    ("post", "/api/calculate"),
    ("post", "/api/audit"),
    ("get", "/api/codes"),
    ("get", "/api/rules"),
    ("get", "/api/payers"),
]


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app(profiles=load_profiles(PAYERS), profiles_path=str(PAYERS), max_body=4096)
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture(scope="module")
def openapi(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def schema_of(openapi: dict[str, Any], method: str, path: str, status: str) -> dict[str, Any]:
    response = openapi["paths"][path][method]["responses"][status]
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def check(openapi: dict[str, Any], method: str, path: str, response: Any) -> None:
    """The response's body validates against the schema documented for its status."""
    schema = schema_of(openapi, method, path, str(response.status_code))
    root = {**schema, "components": openapi["components"]}
    Draft202012Validator(root).validate(response.json())


def resolve(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        found: dict[str, Any] = openapi["components"]["schemas"][name]
        return found
    return schema


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=[p for _, p in ENDPOINTS])
def test_every_answer_is_a_typed_model(openapi: dict[str, Any], method: str, path: str) -> None:
    schema = schema_of(openapi, method, path, "200")
    if schema.get("type") == "array":
        schema = schema["items"]
    model = resolve(openapi, schema)
    assert model["type"] == "object"
    assert model["properties"], path
    assert model["additionalProperties"] is False
    assert model["required"]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS[:3], ids=[p for _, p in ENDPOINTS[:3]])
def test_the_documented_422_is_the_real_shape(
    openapi: dict[str, Any], method: str, path: str
) -> None:
    model = resolve(openapi, schema_of(openapi, method, path, "422"))
    assert model["title"] == "InvalidInput"
    assert set(model["required"]) == {"detail", "field"}
    assert "HTTPValidationError" not in openapi["components"]["schemas"]


CALCULATIONS = {
    "example-3": {
        "rule": "cms",
        "services": [{"code": "97110", "minutes": 33}, {"code": "97140", "minutes": 7}],
    },
    "tie": {"services": [{"code": "97112", "minutes": 20}, {"code": "97110", "minutes": 20}]},
    "disciplines": {
        "services": [
            {"code": "97110", "minutes": 10, "discipline": "GP"},
            {"code": "97530", "minutes": 10, "discipline": "GO"},
            {"code": "97161", "discipline": "PT"},
        ]
    },
    "assistant": {
        "date_of_service": "2026-03-02",
        "services": [
            {"code": "97110", "minutes": 13, "assistant_minutes": 23, "discipline": "PT"},
            {"code": "97140", "minutes": 30, "discipline": "PT"},
        ],
    },
    "payer-cap": {
        "payer": "anthem-example",
        "services": [{"code": "97110", "minutes": 60}, {"code": "97140", "minutes": 30}],
    },
    "deleted-2016": {
        "date_of_service": "2016-06-01",
        "services": [{"code": "97001"}, {"code": "97110", "minutes": 23}],
    },
}


@pytest.mark.parametrize("name", list(CALCULATIONS))
def test_calculate_answers_the_cli_json_and_its_schema(
    client: TestClient, openapi: dict[str, Any], name: str
) -> None:
    body = CALCULATIONS[name]
    response = client.post("/api/calculate", json=body)
    assert response.status_code == 200, response.text
    check(openapi, "post", "/api/calculate", response)
    # The same object as the command line (which adds its schema_version), key for key:
    # no key the model lacks is dropped, none that the library leaves out is added.
    args = ["calc", "--input", "-", "--format", "json"]
    if "payer" in body:
        args += ["--payers", str(PAYERS), "--payer", str(body["payer"])]
    cli_body = {k: v for k, v in body.items() if k != "payer"}
    cli = CliRunner().invoke(main, args, input=json.dumps(cli_body))
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.stdout)
    assert expected.pop("schema_version") == 1
    assert response.json() == expected


def test_audit_codes_rules_payers_answer_their_schemas(
    client: TestClient, openapi: dict[str, Any]
) -> None:
    audit = client.post(
        "/api/audit",
        json={
            "groups": [
                {
                    "group": "P1",
                    "services": [
                        {"code": "97110", "minutes": 33, "billed_units": 3},
                        {"code": "97140", "minutes": 7, "billed_units": 0},
                    ],
                },
                {
                    "group": "P2",
                    "services": [
                        {"code": "97110", "minutes": 33, "billed_units": 2},
                        {"code": "97140", "minutes": 7, "billed_units": 1},
                    ],
                },
            ]
        },
    )
    assert audit.status_code == 200
    check(openapi, "post", "/api/audit", audit)
    assert [f["status"] for f in audit.json()["findings"]] == ["misallocated", "ok"]

    codes = client.get("/api/codes")
    check(openapi, "get", "/api/codes", codes)
    table = sorted(CodeTable.default(), key=lambda info: info.code)
    assert codes.json() == [info.to_dict() for info in table]

    rules = client.get("/api/rules")
    check(openapi, "get", "/api/rules", rules)
    assert rules.json() == [rule.to_dict() for rule in RULES.values()]

    payers = client.get("/api/payers")
    check(openapi, "get", "/api/payers", payers)
    assert {p["name"] for p in payers.json()} == set(load_profiles(PAYERS))


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "post",
            "/api/calculate",
            {"services": [{"code": "97110", "minutes": "7.5"}]},
            "services[0].minutes",
        ),
        (
            "post",
            "/api/calculate",
            {"services": [{"code": "97110", "minutes": True}]},
            "services[0].minutes",
        ),
        ("post", "/api/calculate", {"services": [], "extra": 1}, "extra"),
        ("post", "/api/calculate", {}, "services"),
        (
            "post",
            "/api/calculate",
            {"rule": "nope", "services": [{"code": "97110", "minutes": 8}]},
            "rule",
        ),
        ("post", "/api/calculate", "not json", "body"),
        (
            "post",
            "/api/audit",
            {
                "groups": [
                    {
                        "group": "g",
                        "services": [{"code": "97110", "minutes": 8, "billed_units": -1}],
                    }
                ]
            },
            "groups[0].services[0].billed_units",
        ),
        ("get", "/api/codes?kind=sometimes", None, "query.kind"),
    ],
    ids=[
        "fraction",
        "boolean",
        "extra-field",
        "missing-field",
        "unknown-rule",
        "not-json",
        "negative-billed",
        "bad-kind",
    ],
)
def test_every_422_matches_the_documented_shape(
    client: TestClient, openapi: dict[str, Any], method: str, path: str, body: Any, field: str
) -> None:
    if method == "get":
        response = client.get(path)
    elif isinstance(body, str):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
    else:
        response = client.post(path, json=body)
    assert response.status_code == 422
    check(openapi, method, path.split("?")[0], response)
    assert response.json()["field"] == field


def test_the_413_matches_the_documented_shape(client: TestClient, openapi: dict[str, Any]) -> None:
    body = {"services": [{"code": "97110", "minutes": 8}] * 400}
    response = client.post("/api/calculate", json=body)
    assert response.status_code == 413
    check(openapi, "post", "/api/calculate", response)


def test_no_docs_page_that_needs_the_internet(client: TestClient) -> None:
    # The interactive pages load scripts from a CDN; they are off (docs/web.md).
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_each_operation_id_is_a_client_method_name(openapi: dict[str, Any]) -> None:
    ids = {
        (method, path): operation["operationId"]
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
    }
    assert ids == {
        ("post", "/api/calculate"): "calculate",
        ("post", "/api/audit"): "audit",
        ("post", "/api/month"): "calculateMonth",
        ("get", "/api/codes"): "listCodes",
        ("get", "/api/rules"): "listRules",
        ("get", "/api/payers"): "listPayers",
    }


def test_the_audit_answer_is_the_shipped_schema_s_finding(openapi: dict[str, Any]) -> None:
    """One definition: the API's finding is the audit document's, less the file's keys."""
    answer = openapi["components"]["schemas"]["Finding"]["properties"]
    assert list(answer) == list(Finding.__annotations__)
    assert set(Finding.__annotations__) < set(FileFinding.__annotations__)


def test_building_the_app_parses_no_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """The keys' docstrings are read once, as the shapes are imported, and no default
    is a builtin whose signature pydantic would parse: an app built, or its OpenAPI
    document made, while another thread parses (a traceback formatted in a server's
    thread) cannot meet CPython 3.11's parser half-way (``AST constructor recursion
    depth mismatch``), and the descriptions are still in the OpenAPI document."""
    import ast

    parsed: list[object] = []
    real = ast.parse

    def parse(*args: Any, **kwargs: Any) -> Any:
        parsed.append(args[0] if args else kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", parse)
    app = create_app()
    assert parsed == []
    document = TestClient(app, base_url="http://127.0.0.1").get("/openapi.json").json()
    assert parsed == []  # nor does the OpenAPI document, built at its first request
    result = document["components"]["schemas"]["CalculateResponse"]["properties"]
    assert result["tie"]["description"] == "false, or the tie"


def test_a_shape_without_source_has_no_key_descriptions() -> None:
    """Installed without its ``.py`` files (bytecode only), a shape's keys are
    undescribed, as pydantic leaves them, instead of the API failing to import."""
    from typing_extensions import TypedDict

    from unitcalc.core.dicts import key_docs

    namespace: dict[str, Any] = {"TypedDict": TypedDict}
    exec("class Made(TypedDict):\n    a: int\n    'the a'\n", namespace)
    assert key_docs(namespace["Made"]) == {}
