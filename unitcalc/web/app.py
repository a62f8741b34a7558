"""The HTTP API and the page, as a FastAPI application.

Endpoints: ``POST /api/calculate`` (the input and output of ``unitcalc calc --format
json``), ``POST /api/audit`` (a small batch of groups with billed units), ``GET
/api/codes``, ``GET /api/rules``, ``GET /api/payers``; the OpenAPI document at
``/openapi.json``; the page at ``/``. Invalid input is answered with 422 and a message
naming the field; request bodies over ``max_body`` bytes with 413, and bodies not
received within ``body_timeout`` seconds with 408.

Every answer carries a Content-Security-Policy, X-Content-Type-Options, X-Frame-Options
and Referrer-Policy; a request whose ``Host`` is not a loopback name (or one of
``allowed_hosts``) is answered 400, so a page on another site cannot reach this server
through a DNS name rebound to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

import unitcalc

from ..core.assistant import AssistantOptions
from ..core.codeinfo import KINDS
from ..core.codes import CodeTable
from ..core.disciplines import normalize_discipline
from ..core.errors import ArgumentValue, UnitcalcError, python_spelling
from ..core.model import ServiceLine, parse_date_of_service
from ..engine.audit import audit
from ..engine.count import calculate
from ..engine.payers import PayerProfile
from ..engine.payers import select as select_profile
from ..rules import RULES, get_rule
from . import responses

STATIC = Path(__file__).parent / "static"
MAX_BODY = 256 * 1024
"""Largest request body accepted, in bytes (a day's visit is a few hundred)."""
MAX_GROUPS = 500
"""Most groups one audit request may carry; files go through `unitcalc audit`."""
BODY_TIMEOUT = 30.0
"""Seconds a client has to send a request's whole body before it is answered 408."""
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
"""Names always accepted in ``Host`` (any 127.x.x.x address is loopback too)."""
MAX_NUMBER_TEXT = 40
"""Longest minutes or units taken: far past any real value, far short of Python's
4,300-digit limit on converting text to a number."""

# Strict: JSON true is not 1 minute, as the library refuses booleans too.
Minutes = StrictInt | StrictFloat | StrictStr | None


class Service(BaseModel):
    """One documented service."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=20, examples=["97110"])
    minutes: Minutes = Field(default=None, examples=[33])
    discipline: str | None = Field(default=None, max_length=10, examples=["PT"])
    assistant_minutes: Minutes = Field(
        default=None,
        examples=[23],
        description="Minutes a PT or OT assistant furnished on their own; `minutes` are "
        "then the therapist's and the code's minutes are the sum.",
    )


class CalculateRequest(BaseModel):
    """The services of one patient's day, as ``unitcalc calc --input`` reads them."""

    model_config = ConfigDict(extra="forbid")
    rule: str | None = Field(default=None, max_length=40, examples=["cms"])
    payer: str | None = Field(default=None, max_length=100)
    pool_by: Literal["discipline", "day"] | None = None
    prefer: list[str] = Field(default_factory=list, max_length=50)
    date_of_service: str | None = Field(
        default=None,
        max_length=10,
        examples=["2026-11-02"],
        description="YYYY-MM-DD: codes are checked against the code set in force that day, "
        "and it dates the assistant modifier rules (CQ/CO); default: today",
    )
    default_discipline: str | None = Field(
        default=None,
        max_length=10,
        description="Discipline of every service that names none (without it, such "
        "services join the day's only named discipline; two or more named is an error)",
    )
    services: list[Service] = Field(max_length=200)
    assistant_two_units: bool = Field(
        default=True,
        description="Two units left, therapist and assistant 9-14 min each: one unit "
        "with CQ/CO and one without (the proposed rule's text; unconfirmed).",
    )
    de_minimis: Literal["more-than", "at-least"] = "more-than"


class BilledService(Service):
    billed_units: StrictInt | StrictFloat | StrictStr = Field(examples=[2])


class AuditGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group: str = Field(max_length=200, examples=["P1 / 2026-11-02"])
    date_of_service: str | None = Field(default=None, max_length=10, examples=["2026-11-02"])
    services: list[BilledService] = Field(max_length=200)


class AuditRequest(BaseModel):
    """Groups (patient days) with the units billed on each service."""

    model_config = ConfigDict(extra="forbid")
    rule: str | None = Field(default=None, max_length=40)
    payer: str | None = Field(default=None, max_length=100)
    pool_by: Literal["discipline", "day"] | None = None
    groups: list[AuditGroup] = Field(max_length=MAX_GROUPS)


class Problem(Exception):
    """An input problem to answer with 422, naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def create_app(
    *,
    profiles: dict[str, PayerProfile] | None = None,
    profiles_path: str = "",
    codes: CodeTable | None = None,
    max_body: int = MAX_BODY,
    body_timeout: float = BODY_TIMEOUT,
    allowed_hosts: Iterable[str] = (),
) -> FastAPI:
    """The application; ``profiles`` are the payer profiles the page may choose from.

    ``allowed_hosts`` are the names (besides loopback ones) a request's ``Host`` may
    give, such as the address given to ``unitcalc serve --host``."""
    table = codes if codes is not None else CodeTable.default()
    profiles = dict(profiles or {})
    app = FastAPI(
        title="unitcalc",
        version=unitcalc.__version__,
        description="Billable units for timed therapy codes, with the reasoning shown.",
        # The interactive docs pages load their scripts from a CDN, blank without
        # internet access: off. /openapi.json describes the API (docs/web.md).
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(_BodyLimit, max_body=max_body, body_timeout=body_timeout)
    # Added last, so it runs first: a foreign Host is refused before anything else.
    app.add_middleware(_Guard, allowed_hosts=_host_names(allowed_hosts))

    @app.exception_handler(Problem)
    async def problem(_: Request, exc: Problem) -> JSONResponse:
        return JSONResponse(
            {"detail": f"{exc.field}: {exc.message}", "field": exc.field}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # a body that cannot be parsed is invalid input
            field = _long_number_field(await request.body())
            if field is not None:
                return await problem(request, _too_long(field))
            return JSONResponse(
                {"detail": "body: the request body is not valid JSON", "field": "body"},
                status_code=422,
            )
        # Keeps the headers the framework sets, such as Allow on a 405.
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        if first.get("type") == "json_invalid":  # located at a character offset: the body
            return JSONResponse(
                {"detail": "body: the request body is not valid JSON", "field": "body"},
                status_code=422,
            )
        field = _field(first.get("loc", ()))
        same = [e.get("msg", "") for e in errors if _field(e.get("loc", ())) == field]
        message = " or ".join(dict.fromkeys(m.removeprefix("Input should be ") for m in same))
        return JSONResponse(
            {
                "detail": f"{field}: input should be {message}"
                if len(same) > 1
                else f"{field}: {first.get('msg', 'invalid')}",
                "field": field,
                "errors": [
                    {"field": _field(e.get("loc", ())), "message": e.get("msg", "")} for e in errors
                ],
            },
            status_code=422,
        )

    def payer_of(name: str | None, rule: str | None) -> tuple[str | None, PayerProfile | None]:
        if not name:
            return _rule_name(rule), None
        try:
            where = profiles_path or "this server (start it with --payers FILE)"
            return _rule_name(rule), select_profile(profiles, name, path=where)
        except UnitcalcError as exc:
            raise Problem("payer", str(exc)) from exc

    @app.post(
        "/api/calculate",
        summary="Units for one patient's day",
        response_model=responses.CalculateResponse,
        response_model_exclude_unset=True,
        responses=_ERRORS,
    )
    async def calculate_endpoint(body: CalculateRequest) -> dict[str, Any]:
        """The same input and output as ``unitcalc calc --format json``."""
        rule, payer = payer_of(body.payer, body.rule)
        date_of_service = _date(body.date_of_service, "date_of_service")
        default_discipline = _discipline(body.default_discipline)
        lines = [_line(service, f"services[{i}]") for i, service in enumerate(body.services)]
        try:
            result = calculate(
                lines,
                rule=rule,
                payer=payer,
                tie_preference=body.prefer or None,
                pooling=body.pool_by,
                codes=table,
                # The core never reads the clock: today is this face's default.
                date_of_service=date_of_service or datetime.date.today(),
                default_discipline=default_discipline,
                assistant_options=AssistantOptions(
                    split_two_final_units=body.assistant_two_units, de_minimis=body.de_minimis
                ),
            )
        except UnitcalcError as exc:
            raise _located(exc, body.services, "services") from exc
        return result.to_dict()

    @app.post(
        "/api/audit",
        summary="Billed units checked, group by group",
        response_model=responses.AuditResponse,
        responses=_ERRORS,
    )
    async def audit_endpoint(body: AuditRequest) -> dict[str, Any]:
        """Each group's finding, as in ``unitcalc audit --format json --all``."""
        rule, payer = payer_of(body.payer, body.rule)
        findings = []
        counts = dict.fromkeys(("ok", "over", "under", "misallocated", "invalid"), 0)
        for g, group in enumerate(body.groups):
            where = f"groups[{g}]"
            lines = [
                _line(service, f"{where}.services[{i}]") for i, service in enumerate(group.services)
            ]
            billed: dict[str, object] = {}
            for i, (service, line) in enumerate(zip(group.services, lines, strict=True)):
                key = f"{line.code}-{line.discipline}" if line.discipline else line.code
                units = _whole_units(service.billed_units, f"{where}.services[{i}].billed_units")
                billed[key] = int(billed.get(key, 0)) + units  # type: ignore[call-overload]
            try:
                finding = audit(
                    lines,
                    billed,
                    rule=rule,
                    payer=payer,
                    group=group.group,
                    pooling=body.pool_by,
                    codes=table,
                    date_of_service=_date(group.date_of_service, f"{where}.date_of_service"),
                )
            except UnitcalcError as exc:
                raise _located(exc, group.services, f"{where}.services") from exc
            counts[finding.status] += 1
            findings.append(finding.to_dict())
        return {"summary": {"counts": counts, "groups": len(findings)}, "findings": findings}

    @app.get(
        "/api/codes",
        summary="The code table",
        response_model=list[responses.Code],
        responses={422: _ERRORS[422]},
    )
    async def codes_endpoint(
        kind: Literal["timed", "untimed", "monthly", "deleted", "all"] = "all",
    ) -> list[dict[str, Any]]:
        wanted = KINDS if kind == "all" else (kind,)
        return [
            info.to_dict()
            for info in sorted(table, key=lambda info: info.code)
            if info.kind in wanted
        ]

    @app.get("/api/rules", summary="The counting rules", response_model=list[responses.Rule])
    async def rules_endpoint() -> list[dict[str, Any]]:
        return [rule.to_dict() for rule in RULES.values()]

    @app.get(
        "/api/payers",
        summary="The payer profiles this server was started with",
        response_model=list[responses.Payer],
    )
    async def payers_endpoint() -> list[dict[str, Any]]:
        return [
            {"name": p.name, "label": p.label, "rule": p.rule, "source": p.source}
            for p in profiles.values()
        ]

    # Read once: a file response opens and reads the file in worker threads, which
    # took 180 ms a request under load (docs/performance.md).
    page_html = (STATIC / "index.html").read_bytes()

    @app.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(page_html)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": responses.InvalidInput, "description": "Invalid input, naming the field"},
    413: {"model": responses.TooLarge, "description": "Request body over the size limit"},
}
"""The error answers of the endpoints that take input, as the handlers give them."""


def _rule_name(rule: str | None) -> str | None:
    if rule is None or not rule.strip():
        return None
    try:
        return get_rule(rule).name
    except UnitcalcError as exc:
        raise Problem("rule", str(exc)) from exc


def _date(value: str | None, where: str) -> datetime.date | None:
    try:
        return parse_date_of_service(value)
    except UnitcalcError as exc:
        raise Problem(where, str(exc)) from exc


def _discipline(value: str | None) -> str | None:
    try:
        return normalize_discipline(value)
    except UnitcalcError as exc:
        raise Problem("default_discipline", str(exc)) from exc


def _line(service: Service, where: str) -> ServiceLine:
    _short(service.minutes, f"{where}.minutes", "minutes")
    _short(service.assistant_minutes, f"{where}.assistant_minutes", "minutes")
    try:
        return ServiceLine(
            service.code,
            service.minutes,  # type: ignore[arg-type]  # ServiceLine parses text and floats
            discipline=service.discipline,
            assistant_minutes=service.assistant_minutes,  # type: ignore[arg-type]
        )
    except UnitcalcError as exc:
        field = getattr(exc, "field", "code")
        raise Problem(f"{where}.{field}", str(exc)) from exc


_FIELDS = {
    ("calculate", "pooling"): "pool_by",
    ("calculate", "default_discipline"): "default_discipline",
}
"""The request field for each Python argument an engine message may name."""


def _api_spelling(
    argument: str, value: ArgumentValue = None, *, owner: str, given: bool = False
) -> str:
    """An argument as a request gives it: ``"pool_by": "day"``."""
    field = _FIELDS.get((owner, argument))
    if field is None:
        return python_spelling(argument, value, owner=owner)
    return f'"{field}"' if value is None else f'"{field}": {json.dumps(value)}'


def _located(exc: UnitcalcError, services: list[Any], where: str) -> Problem:
    """An engine error, pinned to the first service of the code it names."""
    code = getattr(exc, "code", None)
    field = getattr(exc, "field", None)
    for i, service in enumerate(services):
        try:
            normalized = ServiceLine(service.code).code
        except UnitcalcError:
            continue
        if normalized == code:
            fields = {"minutes", "discipline", "code", "assistant_minutes"}
            suffix = f".{field}" if field in fields else ""
            return Problem(f"{where}[{i}]{suffix}", exc.worded(_api_spelling))
    return Problem(field or where, exc.worded(_api_spelling))


def _short(value: object, where: str, what: str) -> None:
    """Refuses numbers too long to be minutes or units, before the library converts them
    (Python refuses to convert more than 4,300 digits, and that would be a 500)."""
    too_long = (isinstance(value, int) and abs(value) >= _TOO_MANY_DIGITS) or (
        isinstance(value, str) and len(value) > MAX_NUMBER_TEXT
    )
    if too_long:
        raise _too_long(where, what)


def _too_long(where: str, what: str | None = None) -> Problem:
    what = what or where.rsplit(".", 1)[-1].removeprefix("assistant_")
    example = "2" if what == "billed_units" else "15"
    return Problem(
        where,
        f"{what} is longer than {MAX_NUMBER_TEXT} characters; "
        f"give a whole number such as {example}",
    )


_TOO_MANY_DIGITS = 10**MAX_NUMBER_TEXT


class _LongNumber:
    """Stands for a JSON number too long for Python to convert."""


def _long_number_field(body: bytes) -> str | None:
    """Where a body that could not be parsed holds an integer of more digits than Python
    converts (4,300), as ``services[0].minutes``; None if it holds none."""
    marker = _LongNumber()

    def integer(text: str) -> object:
        return marker if len(text) > MAX_NUMBER_TEXT else int(text)

    try:
        data = json.loads(body, parse_int=integer)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
        return None
    todo: list[tuple[tuple[str | int, ...], object]] = [((), data)]
    while todo:
        loc, value = todo.pop()
        if value is marker:
            return _field(loc)
        if isinstance(value, dict):
            todo.extend(((*loc, key), item) for key, item in value.items())
        elif isinstance(value, list):
            todo.extend(((*loc, i), item) for i, item in enumerate(value))
    return None


def _whole_units(value: int | float | str, where: str) -> int:
    from ..engine.audit import parse_units

    _short(value, where, "billed_units")
    try:
        return parse_units(value, code=None)
    except UnitcalcError as exc:
        raise Problem(where, str(exc)) from exc


_TYPE_TAGS = frozenset({"int", "float", "str", "bool", "none", "list", "dict"})
"""Names pydantic adds to a location for each member of a union: not fields."""


def _field(loc: Any) -> str:
    """``("body", "services", 0, "minutes", "int")`` as ``services[0].minutes``."""
    parts = [part for part in loc if part != "body" and part not in _TYPE_TAGS]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


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


def _host_names(extra: Iterable[str]) -> frozenset[str]:
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


class _Guard:
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


class _BodyLimit:
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
    send: Callable[[Message], Awaitable[None]], status: int, detail: str, *, close: bool = False
) -> None:
    """A JSON error answer sent from a middleware, before the application runs."""
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:  # the rest of the request may still be coming: do not wait for it
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
