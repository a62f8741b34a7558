"""How `unitcalc serve` runs the application: uvicorn's options, one process per core,
and a time limit on a request's headers.

Worker processes cannot be handed an application object, so with more than one worker
each builds its own through :func:`app_from_environment`, from the payer profiles file,
the code table's file and definitions and the host names that ``unitcalc serve`` puts in
the environment.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

try:  # httptools parses HTTP in C; without it uvicorn's pure-Python parser does
    import httptools  # noqa: F401
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Protocol
except ImportError:  # pragma: no cover - the web extra installs httptools
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Protocol  # type: ignore[assignment]

if TYPE_CHECKING:
    from fastapi import FastAPI

HEADER_TIMEOUT = 10.0
"""Seconds a client has, from connecting (or, on a kept-alive connection, from the first
byte of its next request), to send a request's headers; between requests uvicorn's
keep-alive limit applies."""
ENV_PAYERS = "UNITCALC_SERVE_PAYERS"
ENV_HOSTS = "UNITCALC_SERVE_HOSTS"
ENV_CODES = "UNITCALC_SERVE_CODES"
ENV_DEFINE = "UNITCALC_SERVE_DEFINE"
FACTORY = "unitcalc.web.server:app_from_environment"
PROTOCOL = "unitcalc.web.server:HeaderTimeoutProtocol"

_TIMED_OUT = b'{"detail": "the request headers did not arrive in time"}'


class HeaderTimeoutProtocol(_Protocol):
    """uvicorn's HTTP protocol, answering 408 and closing a connection whose request
    headers are not complete ``header_timeout`` seconds after it began waiting for them
    (uvicorn itself only limits the wait between requests, not a slow request)."""

    header_timeout = HEADER_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._cycle_waited_after: object = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = cast(asyncio.Transport, _OneWritePerTurn(transport, self.loop))
        self._start_header_timer()

    def data_received(self, data: bytes) -> None:
        if self._header_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._start_header_timer()  # the first bytes of the next request
        super().data_received(data)
        if self._header_timer is not None and self.cycle is not self._cycle_waited_after:
            self._stop_header_timer()  # the headers are in: a new request began

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _start_header_timer(self) -> None:
        self._cycle_waited_after = self.cycle
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        self.transport.write(
            b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TIMED_OUT), _TIMED_OUT)
        )
        self.transport.close()


class _OneWritePerTurn:
    """A transport that joins the writes of one turn of the event loop into one: uvicorn
    writes an answer's head and body separately, and each write to a socket is a
    system call that cost about a tenth of a request's time."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def app_from_environment() -> FastAPI:
    """The application of one worker process, configured by ``unitcalc serve``."""
    from ..core.definitions import extended_table
    from ..engine.payers import load_profiles
    from .app import create_app

    payers = os.environ.get(ENV_PAYERS, "")
    hosts = [name for name in os.environ.get(ENV_HOSTS, "").split(",") if name]
    profiles = load_profiles(Path(payers)) if payers else {}
    codes_file = os.environ.get(ENV_CODES, "")
    definitions = [spec for spec in os.environ.get(ENV_DEFINE, "").split("\n") if spec]
    codes = extended_table(Path(codes_file) if codes_file else None, definitions)
    return create_app(profiles=profiles, profiles_path=payers, codes=codes, allowed_hosts=hosts)


def uvicorn_options(host: str, port: int) -> dict[str, Any]:
    """uvicorn's settings for `unitcalc serve`."""
    return {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        # Served directly, not behind a proxy: X-Forwarded-* headers are not trusted.
        "proxy_headers": False,
        "server_header": False,
        "http": PROTOCOL,
        "timeout_keep_alive": 5,
    }
