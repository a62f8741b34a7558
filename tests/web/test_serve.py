"""`unitcalc serve` refuses an address it cannot listen on with exit 2 (an input error)
and a message that says what to do, before it starts anything."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from unitcalc.cli import main


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_busy_port_exits_2_with_a_clear_message(busy_port: int) -> None:
    result = CliRunner().invoke(main, ["serve", "--port", str(busy_port)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: port {busy_port} on 127.0.0.1 is in use by another program; choose another "
        f"port with --port, e.g. --port {busy_port + 1}\n"
    )


def test_an_address_of_another_machine_exits_2() -> None:
    # 192.0.2.1 is a documentation address (RFC 5737): never this machine's; the check
    # only binds, it sends nothing.
    result = CliRunner().invoke(main, ["serve", "--host", "192.0.2.1", "--port", "8000"])
    assert result.exit_code == 2
    assert "cannot listen on 192.0.2.1:8000" in result.stderr


def test_a_host_name_that_cannot_be_one_exits_2() -> None:
    # A label over 63 characters fails before any name lookup: nothing leaves the machine.
    host = "a" * 64 + ".example"
    result = CliRunner().invoke(main, ["serve", "--host", host, "--port", "8000"])
    assert result.exit_code == 2
    assert f"--host {host}: not an address of this machine" in result.stderr


def test_a_port_taken_after_the_check_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def taken(*_: Any, **__: Any) -> None:
        raise SystemExit(3)  # what uvicorn does when it cannot bind

    monkeypatch.setattr(uvicorn, "run", taken)
    result = CliRunner().invoke(main, ["serve", "--port", "0"])
    assert result.exit_code == 2
    assert "the server could not start on 127.0.0.1:0; choose another port" in result.stderr


def test_other_server_exits_pass_through(monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(*_: Any, **__: Any) -> None:
        raise SystemExit(0)

    monkeypatch.setattr(uvicorn, "run", stopped)
    assert CliRunner().invoke(main, ["serve", "--port", "0"]).exit_code == 0


def test_codes_and_define_extend_the_servers_code_table(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Issue 25, item 5: the code table the page and the API count by takes --codes and
    --define, in one process and in each worker process (from the environment)."""
    from fastapi.testclient import TestClient

    from unitcalc.web import server

    for name in (server.ENV_PAYERS, server.ENV_HOSTS, server.ENV_CODES, server.ENV_DEFINE):
        monkeypatch.setenv(name, "")  # restored after the test: serve sets them
    served: dict[str, Any] = {}

    def run(app: Any, **options: Any) -> None:
        served["app"] = app

    monkeypatch.setattr(uvicorn, "run", run)
    table = tmp_path / "codes.toml"
    table.write_text(
        '[codes.0999T]\nkind = "timed"\nunit_minutes = 15\nlabel = "a clinic code"\nsource = "ours"\n'
    )

    def serve(workers: str) -> None:
        options = ["--codes", str(table), "--define", "97999=timed"]
        result = CliRunner().invoke(main, ["serve", "--port", "0", "--workers", workers, *options])
        assert result.exit_code == 0, result.output

    serve("1")
    client = TestClient(served["app"], base_url="http://127.0.0.1")
    body = {"services": [{"code": "97999", "minutes": 20}, {"code": "0999T", "minutes": 8}]}
    assert client.post("/api/calculate", json=body).json()["units"] == {"97999": 1, "0999T": 1}

    serve("2")
    assert served["app"] == "unitcalc.web.server:app_from_environment"
    client = TestClient(server.app_from_environment(), base_url="http://127.0.0.1")
    assert client.post("/api/calculate", json=body).json()["units"] == {"97999": 1, "0999T": 1}


def test_an_unknown_code_over_http_names_the_servers_options() -> None:
    from fastapi.testclient import TestClient

    from unitcalc.web.app import create_app

    client = TestClient(create_app(), base_url="http://127.0.0.1")
    answer = client.post("/api/calculate", json={"services": [{"code": "97999", "minutes": 20}]})
    assert answer.status_code == 422
    data = answer.json()
    assert data["unknown_code"] == "97999"
    assert data["suggestions"] == ["97799", "97139", "97129"]
    assert "unitcalc serve --define 97999=timed" in data["detail"]
    assert "unitcalc serve --codes" in data["detail"]
    assert "define_code" not in data["detail"]
    assert "CodeTable.load" not in data["detail"]
