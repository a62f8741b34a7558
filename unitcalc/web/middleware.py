"""The two middlewares every request passes before the application sees it.

The host guard runs first: a request whose ``Host`` is not a loopback name (or one of
the names the server was started with, ``unitcalc serve --allow-host``) is answered
400, so a page on another site cannot reach this server through a DNS name rebound to
127.0.0.1; and every answer, the guard's own included, carries a Content-Security-Policy,
X-Content-Type-Options, X-Frame-Options and Referrer-Policy. The body limit then reads
the request's body whole before the application runs: over ``max_body`` bytes (said in
Content-Length or only sent) is answered 413, a body not received within
``body_timeout`` seconds 408, and a JSON body holding a key twice in one object or a
number too long to convert 422, naming the field.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from .errors import json_problem

MAX_BODY = 256 * 1024
"""Largest request body accepted, in bytes (a day's visit is a few hundred)."""
MAX_HEADER_BYTES = 16 * 1024
"""Largest total of a request's header names and values, in bytes: a browser's and a
script's are under a few kilobytes; past it the answer is 431."""
BODY_TIMEOUT = 30.0
"""Seconds a client has to send a request's whole body before it is answered 408."""
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
"""Names always accepted in ``Host`` (any 127.x.x.x address is loopback too)."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


SECURITY_HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        b"frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
"""Sent with every answer: the page loads only its own files and may not be framed."""

_DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
    b"worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    b"frame-ancestors 'none'"
)
"""FastAPI's interactive API pages (/docs, /redoc) load their scripts from a CDN."""


def host_names(extra: Iterable[str]) -> frozenset[str]:
    """Names as a ``Host`` header gives them (lower case, IPv6 in brackets)."""
    names = set(LOOPBACK_HOSTS)
    for name in extra:
        name = name.strip().lower()
        if ":" in name and not name.startswith("["):
            name = f"[{name}]"
        if name:
            names.add(name)
    return frozenset(names)


def _host_allowed(value: bytes, names: frozenset[str]) -> bool:
    """Whether a ``Host`` header (with or without a port) names this server."""
    host = value.decode("latin-1").strip().lower()
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    elif ":" in host:
        host = host.rsplit(":", 1)[0]
    if host in names:
        return True
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


class HostGuard:
    """Refuses a request whose ``Host`` is not one of this server's names (400), and adds
    the security headers to every answer."""

    def __init__(self, app: Any, allowed_hosts: frozenset[str]) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.seen: dict[bytes, bool] = {}

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((value for name, value in scope["headers"] if name == b"host"), b"")
        allowed = self.seen.get(host)
        if allowed is None:
            allowed = _host_allowed(host, self.allowed_hosts)
            if len(self.seen) < 64:  # the few names clients use, not every one tried
                self.seen[host] = allowed
        path = scope["path"]
        csp = _DOCS_CSP if path in ("/docs", "/redoc", "/docs/oauth2-redirect") else None

        async def guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, csp if csp and name == b"content-security-policy" else value)
                    for name, value in SECURITY_HEADERS
                ]
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        size = sum(len(name) + len(value) for name, value in scope["headers"])
        if size > MAX_HEADER_BYTES:
            await _answer(
                guarded,
                431,
                f"headers: the request's headers hold more than {MAX_HEADER_BYTES:,} bytes",
                close=True,
            )
            return
        if not allowed:
            shown = host.decode("latin-1")[:100]
            await _answer(
                guarded,
                400,
                f"host: {shown!r} is not a name of this server; "
                "start it with --allow-host NAME to serve that name",
            )
            return
        await self.app(scope, receive, guarded)


class BodyLimit:
    """Answers 413 to a request whose body is larger than ``max_body`` bytes, whether
    it says so in Content-Length or only sends it, and 408 to one whose body has not
    arrived within ``body_timeout`` seconds."""

    def __init__(self, app: Any, max_body: int, body_timeout: float) -> None:
        self.app = app
        self.max_body = max_body
        self.body_timeout = body_timeout

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _too_large(send, self.max_body)
            return
        # Read the body first, at most one byte past the limit, then hand it on.
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        break
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body:
                        await _too_large(send, self.max_body)
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await _answer(
                send,
                408,
                f"body: the request body did not arrive within {self.body_timeout:g} seconds",
                close=True,
            )
            return
        body = b"".join(chunks)
        refused = json_problem(body) if body else None
        if refused is not None:
            await _answer(send, 422, f"{refused.field}: {refused.message}", field=refused.field)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Callable[[Message], Awaitable[None]], limit: int) -> None:
    await _answer(send, 413, f"request body larger than {limit} bytes")


async def _answer(
    send: Callable[[Message], Awaitable[None]],
    status: int,
    detail: str,
    *,
    close: bool = False,
    field: str | None = None,
) -> None:
    """A JSON error answer sent from a middleware, before the application runs."""
    answer = {"detail": detail} if field is None else {"detail": detail, "field": field}
    body = json.dumps(answer).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:  # the rest of the request may still be coming: do not wait for it
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
