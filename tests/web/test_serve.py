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
