"""The local server's defences: security headers, the names it answers to, time limits
on slow clients, Allow on 405, and numbers too long to convert."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from unitcalc.web.app import create_app
from unitcalc.web.server import HeaderTimeoutProtocol, uvicorn_options

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(max_body=4096), base_url="http://127.0.0.1:8000")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/api/rules", 200),
        ("GET", "/static/app.js", 200),
        ("GET", "/openapi.json", 200),
        ("POST", "/api/calculate", 422),
        ("GET", "/nowhere", 404),
        ("PUT", "/api/rules", 405),
    ],
    ids=["page", "api", "static", "openapi", "invalid", "not-found", "wrong-method"],
)
def test_every_answer_has_the_security_headers(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == status
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_the_api_docs_page_may_load_its_cdn_scripts(client: TestClient) -> None:
    csp = client.get("/docs").headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in csp
    assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000", "127.8.9.10"],
)
def test_loopback_names_are_served(host: str) -> None:
    client = TestClient(create_app())
    assert client.get("/api/rules", headers={"host": host}).status_code == 200


@pytest.mark.parametrize(
    "host",
    ["attacker.example", "attacker.example:8000", "127.0.0.1.attacker.example", "10.0.0.5", ""],
    ids=["name", "name-port", "lookalike", "lan-address", "empty"],
)
def test_foreign_host_is_refused(host: str) -> None:
    client = TestClient(create_app())
    response = client.get("/api/rules", headers={"host": host})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("host: ")
    assert "--allow-host" in response.json()["detail"]
    assert response.headers["x-frame-options"] == "DENY"


def test_names_given_to_serve_are_served() -> None:
    client = TestClient(create_app(allowed_hosts=["192.168.1.20", "Desk.Example", "fe80::1"]))
    for host in ("192.168.1.20:8000", "desk.example", "[fe80::1]:8000"):
        assert client.get("/api/rules", headers={"host": host}).status_code == 200
    assert client.get("/api/rules", headers={"host": "other.example"}).status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/rules", "GET"),
        ("GET", "/api/calculate", "POST"),
        ("DELETE", "/api/audit", "POST"),
        ("POST", "/", "GET"),
        ("POST", "/static/app.js", "GET, HEAD"),
    ],
)
def test_405_says_which_methods_are_allowed(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow


HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/calculate", f'{{"services": [{{"code": "97110", "minutes": "{HUGE}"}}]}}', "services[0].minutes"),
        ("/api/calculate", f'{{"services": [{{"code": "97110", "minutes": {HUGE}}}]}}', "services[0].minutes"),
        ("/api/calculate", f'{{"services": [{{"code": "97110", "minutes": 20, "discipline": "PT", "assistant_minutes": {HUGE}}}]}}', "services[0].assistant_minutes"),
        ("/api/audit", f'{{"groups": [{{"group": "A", "services": [{{"code": "97110", "minutes": {HUGE}, "billed_units": 1}}]}}]}}', "groups[0].services[0].minutes"),
        ("/api/audit", f'{{"groups": [{{"group": "A", "services": [{{"code": "97110", "minutes": 30, "billed_units": "{HUGE}"}}]}}]}}', "groups[0].services[0].billed_units"),
        ("/api/audit", f'{{"groups": [{{"group": "A", "services": [{{"code": "97110", "minutes": 30, "billed_units": {HUGE}}}]}}]}}', "groups[0].services[0].billed_units"),
    ],
    ids=["minutes-text", "minutes-number", "assistant-minutes", "audit-minutes", "units-text", "units-number"],
)  # fmt: skip
def test_numbers_too_long_to_convert_are_422_naming_the_field(
    path: str, body: str, field: str
) -> None:
    client = TestClient(create_app(), base_url="http://127.0.0.1")
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    data = response.json()
    assert data["field"] == field
    name = field.rsplit(".", 1)[1]
    assert data["detail"] == (
        f"{field}: {name.replace('assistant_', '')} is longer than 40 characters; "
        f"give a whole number such as {'2' if name == 'billed_units' else '15'}"
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/calculate", '{"services": [{"code": "97110", "minutes": 8, "minutes": 38}]}', "services[0].minutes"),
        ("/api/calculate", '{"rule": "cms", "rule": "ama", "services": []}', "rule"),
        ("/api/audit", '{"groups": [{"group": "A", "group": "B", "services": []}]}', "groups[0].group"),
    ],
    ids=["minutes", "rule", "audit-group"],
)  # fmt: skip
def test_a_key_given_twice_is_422_naming_it(path: str, body: str, field: str) -> None:
    # JSON readers keep the last of two equal keys: 38 minutes would be counted silently.
    client = TestClient(create_app(), base_url="http://127.0.0.1")
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    name = field.rsplit(".", 1)[-1]
    assert response.json() == {
        "detail": f"{field}: the key '{name}' appears twice in one object; keep one",
        "field": field,
    }


@pytest.mark.parametrize(
    "body", [b"[" * 100_000, b'{"services": [' + b"9" * 5000], ids=["nested-deep", "cut-short"]
)
def test_bodies_that_cannot_be_parsed_stay_422(body: bytes) -> None:
    client = TestClient(create_app(), base_url="http://127.0.0.1")
    response = client.post(
        "/api/calculate", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body"


@pytest.mark.parametrize(
    ("units", "message"),
    [("-1", "is negative"), ("1.5", "is not a whole number"), ('"x"', "is not a whole number")],
)
def test_billed_units_errors_are_the_librarys_message(
    client: TestClient, units: str, message: str
) -> None:
    body = f'{{"groups": [{{"group": "A", "services": [{{"code": "97110", "minutes": 30, "billed_units": {units}}}]}}]}}'  # fmt: skip
    response = client.post("/api/audit", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    field = "groups[0].services[0].billed_units"
    assert response.json()["field"] == field
    assert response.json()["detail"].startswith(f"{field}: service: billed_units ")
    assert message in response.json()["detail"]


def test_a_body_that_does_not_arrive_in_time_is_408() -> None:
    app = create_app(body_timeout=0.05)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(5)  # a client that stopped sending
        return {"type": "http.request", "body": b"", "more_body": False}  # pragma: no cover

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/calculate",
        "raw_path": b"/api/calculate",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    started = time.monotonic()
    asyncio.run(app(scope, receive, send))
    assert time.monotonic() - started < 2
    assert sent[0]["status"] == 408
    headers = dict(sent[0]["headers"])
    assert headers[b"connection"] == b"close"
    assert headers[b"x-frame-options"] == b"DENY"
    assert b"did not arrive within 0.05 seconds" in sent[1]["body"]


class QuickTimeout(HeaderTimeoutProtocol):
    header_timeout = 0.3


@contextmanager
def serving() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    options = uvicorn_options("127.0.0.1", port) | {"http": QuickTimeout}
    server = uvicorn.Server(uvicorn.Config(create_app(), **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:  # pragma: no cover
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def read_all(conn: socket.socket) -> bytes:
    conn.settimeout(5)
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data


def read_response(conn: socket.socket) -> bytes:
    """One whole response on a kept-alive connection (its head and its body)."""
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
        ).split(b":")[1]
    )
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


REQUEST = b"GET /api/rules HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serving() as port:
        yield port


def test_slow_headers_are_408_and_the_connection_closes(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"GET /api/rules HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        started = time.monotonic()
        answer = read_all(conn)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert 0.2 < time.monotonic() - started < 3


def test_a_silent_connection_is_closed(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        assert read_all(conn).startswith(b"HTTP/1.1 408 ")


def test_kept_alive_connection_serves_then_times_out_the_next_slow_request(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(REQUEST)
        first = read_response(conn)
        assert first.startswith(b"HTTP/1.1 200 ")
        assert b"x-frame-options: DENY" in first
        conn.sendall(REQUEST)  # a prompt second request on the same connection
        assert read_response(conn).startswith(b"HTTP/1.1 200 ")
        time.sleep(0.5)  # past the header limit, but idle: keep-alive is uvicorn's
        conn.sendall(b"GET /api/rules HTTP/1.1\r\n")  # then a slow request
        assert read_all(conn).startswith(b"HTTP/1.1 408 ")


def test_a_foreign_host_is_refused_over_http(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"GET /api/rules HTTP/1.1\r\nHost: attacker.example\r\n\r\n")
        assert read_response(conn).startswith(b"HTTP/1.1 400 ")


@pytest.mark.parametrize("value", ["0", "1", '"true"', "null"])
def test_assistant_two_units_takes_only_true_or_false(value: str) -> None:
    client = TestClient(create_app(), base_url="http://127.0.0.1")
    body = f'{{"services": [{{"code": "97110", "minutes": 33}}], "assistant_two_units": {value}}}'
    response = client.post(
        "/api/calculate", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "assistant_two_units"
    assert "valid boolean" in response.json()["detail"]


def test_the_openapi_document_states_the_shape_of_a_code() -> None:
    import re

    client = TestClient(create_app(), base_url="http://127.0.0.1")
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("Service", "BilledService"):
        pattern = schemas[name]["properties"]["code"]["pattern"]
        for code in ("97110", "0552T", "g0283", " 97110 "):
            assert re.match(pattern, code), (name, code)
        for code in ("9711", "971100", "97-10", "GG283"):
            assert not re.match(pattern, code), (name, code)


def test_headers_past_the_limit_are_431(client: TestClient) -> None:
    response = client.post(
        "/api/calculate",
        content=b'{"services": [{"code": "97110", "minutes": 33}]}',
        headers={"content-type": "application/json", "x-filler": "a" * 20_000},
    )
    assert response.status_code == 431
    assert response.json()["detail"].startswith("headers: the request's headers hold more than")
    assert response.headers["x-frame-options"] == "DENY"
    small = client.post(
        "/api/calculate",
        content=b'{"services": [{"code": "97110", "minutes": 33}]}',
        headers={"content-type": "application/json", "x-filler": "a" * 8_000},
    )
    assert small.status_code == 200
