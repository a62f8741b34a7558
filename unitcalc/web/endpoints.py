"""The API's endpoints and the page.

``POST /api/calculate`` takes the input and gives the output of ``unitcalc calc --format
json``; ``POST /api/month`` those of ``unitcalc calc --month --format json`` (a patient's
month of remote therapeutic monitoring); ``POST /api/audit`` a small batch of groups
(days, or months with ``month``) with billed units, answered as ``unitcalc audit
--format json --all``; ``GET /api/codes``, ``/api/rules`` and
``/api/payers`` list the code table, the counting rules and the payer profiles this
server was started with; ``GET /`` is the page. Each endpoint turns the request's fields
into library values (:mod:`unitcalc.web.requests`), calls the library, and answers with
its ``to_dict``, in the shapes of :mod:`unitcalc.web.responses`.

What a server answers from (its code table, payer profiles and page) is a
:class:`ServerData` in the application's state. Endpoints are coroutines, and
:func:`add_endpoints` puts them on the application itself: a request's work takes well
under a millisecond (docs/performance.md), and a worker thread, a dependency or an
included router each cost a measurable share of it.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from ..core import dicts
from ..core.assistant import AssistantOptions
from ..core.codeinfo import KINDS
from ..core.codes import CodeTable
from ..core.errors import UnitcalcError
from ..engine.audit import Finding, audit
from ..engine.count import calculate
from ..engine.month_count import audit_month, calculate_month
from ..engine.monthly import MonthOptions
from ..engine.payers import PayerProfile
from ..rules import RULES
from . import responses
from .errors import ERRORS, Problem
from .requests import (
    AuditGroup,
    AuditRequest,
    CalculateRequest,
    MonthRequest,
    api_spelling,
    day_only,
    located,
    parse_billed_units,
    parse_date,
    parse_default_discipline,
    parse_line,
    parse_month_line,
    rule_and_payer,
)

if TYPE_CHECKING:
    from ..rules import RuleName


@attrs.frozen
class ServerData:
    """What one server answers from: its code table, the payer profiles it was started
    with (and the file they were read from, named when a request's payer is not there),
    and the page, read once (a file response reads the file in worker threads, which
    took 180 ms a request under load: docs/performance.md)."""

    codes: CodeTable
    profiles: dict[str, PayerProfile]
    profiles_path: str
    page: bytes

    def rule_and_payer(
        self, rule: str | None, payer: str | None
    ) -> tuple[str | None, PayerProfile | None]:
        return rule_and_payer(rule, payer, self.profiles, self.profiles_path)


def server_data(request: Request) -> ServerData:
    """The :class:`ServerData` of the application answering ``request``."""
    data: ServerData = request.app.state.server_data
    return data


def add_endpoints(app: FastAPI) -> None:
    """The endpoints, in the order of the OpenAPI document, and the page. Each
    ``operation_id`` is the method name a client generator makes of it."""
    app.add_api_route(
        "/api/calculate",
        calculate_endpoint,
        operation_id="calculate",
        methods=["POST"],
        summary="Units for one patient's day",
        response_model=responses.CalculateResponse,
        responses=ERRORS,
    )
    app.add_api_route(
        "/api/audit",
        audit_endpoint,
        operation_id="audit",
        methods=["POST"],
        summary="Billed units checked, group by group",
        response_model=responses.AuditResponse,
        responses=ERRORS,
    )
    app.add_api_route(
        "/api/month",
        month_endpoint,
        operation_id="calculateMonth",
        methods=["POST"],
        summary="Units for one patient's month of remote therapeutic monitoring",
        response_model=responses.MonthResponse,
        responses=ERRORS,
    )
    app.add_api_route(
        "/api/codes",
        codes_endpoint,
        operation_id="listCodes",
        methods=["GET"],
        summary="The code table",
        response_model=list[responses.Code],
        responses={422: ERRORS[422]},
    )
    app.add_api_route(
        "/api/rules",
        rules_endpoint,
        operation_id="listRules",
        methods=["GET"],
        summary="The counting rules",
        response_model=list[responses.Rule],
    )
    app.add_api_route(
        "/api/payers",
        payers_endpoint,
        operation_id="listPayers",
        methods=["GET"],
        summary="The payer profiles this server was started with",
        response_model=list[responses.Payer],
    )
    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)


async def calculate_endpoint(request: Request, body: CalculateRequest) -> dicts.Result:
    """The same input and output as ``unitcalc calc --format json``."""
    data = server_data(request)
    rule, payer = data.rule_and_payer(body.rule, body.payer)
    date_of_service = parse_date(body.date_of_service, "date_of_service")
    default_discipline = parse_default_discipline(body.default_discipline)
    lines = [parse_line(service, f"services[{i}]") for i, service in enumerate(body.services)]
    try:
        result = calculate(
            lines,
            rule=cast("RuleName | None", rule),  # as sent: get_rule names the rules
            payer=payer,
            tie_preference=body.prefer or None,
            pooling=body.pool_by,
            codes=data.codes,
            # The core never reads the clock: today is this face's default.
            date_of_service=date_of_service or datetime.date.today(),
            default_discipline=default_discipline,
            assistant_options=AssistantOptions(
                split_two_final_units=body.assistant_two_units, de_minimis=body.de_minimis
            ),
        )
    except UnitcalcError as exc:
        raise located(exc, body.services, "services") from exc
    return result.to_dict()


async def month_endpoint(request: Request, body: MonthRequest) -> dicts.MonthResult:
    """The same input and output as ``unitcalc calc --month --format json``."""
    data = server_data(request)
    lines = [parse_month_line(service, f"services[{i}]") for i, service in enumerate(body.services)]
    options = MonthOptions(further_blocks=body.rtm_blocks, set_up=body.rtm_set_up)
    try:
        result = calculate_month(lines, body.month, codes=data.codes, options=options)
    except UnitcalcError as exc:
        if getattr(exc, "field", None) == "month":
            raise Problem("month", exc.worded(api_spelling)) from exc
        raise located(exc, body.services, "services") from exc
    return result.to_dict()


async def audit_endpoint(request: Request, body: AuditRequest) -> dict[str, Any]:
    """Each group's finding, as in ``unitcalc audit --format json --all``; a group with
    a ``month`` is a patient's month of remote therapeutic monitoring."""
    data = server_data(request)
    rule, payer = data.rule_and_payer(body.rule, body.payer)
    findings = []
    counts: dicts.AuditCounts = {"ok": 0, "over": 0, "under": 0, "misallocated": 0, "invalid": 0}
    options = MonthOptions(further_blocks=body.rtm_blocks, set_up=body.rtm_set_up)
    for g, group in enumerate(body.groups):
        where = f"groups[{g}]"
        if group.month is not None:
            finding = _month_finding(group, where, data.codes, options)
            counts[finding.status] += 1
            findings.append(finding.to_dict())
            continue
        for i, service in enumerate(group.services):
            day_only(service, f"{where}.services[{i}]")
        lines = [
            parse_line(service, f"{where}.services[{i}]")
            for i, service in enumerate(group.services)
        ]
        billed: dict[str, object] = {}
        for i, (service, line) in enumerate(zip(group.services, lines, strict=True)):
            key = f"{line.code}-{line.discipline}" if line.discipline else line.code
            units = parse_billed_units(service.billed_units, f"{where}.services[{i}].billed_units")
            billed[key] = int(billed.get(key, 0)) + units  # type: ignore[call-overload]
        try:
            finding = audit(
                lines,
                billed,
                rule=cast("RuleName | None", rule),
                payer=payer,
                group=group.group,
                pooling=body.pool_by,
                codes=data.codes,
                date_of_service=parse_date(group.date_of_service, f"{where}.date_of_service"),
            )
        except UnitcalcError as exc:
            raise located(exc, group.services, f"{where}.services") from exc
        counts[finding.status] += 1
        findings.append(finding.to_dict())
    return {"summary": {"counts": counts, "groups": len(findings)}, "findings": findings}


def _month_finding(
    group: AuditGroup, where: str, codes: CodeTable, options: MonthOptions
) -> Finding:
    """A patient's month audited alone (the months before it are not in the request)."""
    if group.date_of_service is not None:
        raise Problem(
            f"{where}.date_of_service",
            "a month's group has its month; give each service its own date_of_service",
        )
    lines = [
        parse_month_line(service, f"{where}.services[{i}]")
        for i, service in enumerate(group.services)
    ]
    billed: dict[str, object] = {}
    for i, (service, line) in enumerate(zip(group.services, lines, strict=True)):
        units = parse_billed_units(service.billed_units, f"{where}.services[{i}].billed_units")
        billed[line.code] = int(billed.get(line.code, 0)) + units  # type: ignore[call-overload]
    try:
        return audit_month(
            lines, billed, group.month or "", group=group.group, codes=codes, options=options
        )
    except UnitcalcError as exc:
        if getattr(exc, "field", None) == "month":
            raise Problem(f"{where}.month", exc.worded(api_spelling)) from exc
        raise located(exc, group.services, f"{where}.services") from exc


# No docstrings on the endpoints below: the OpenAPI document would show them.
async def codes_endpoint(
    request: Request,
    kind: Literal["timed", "untimed", "monthly", "deleted", "unlisted", "all"] = "all",
) -> list[dicts.Code]:
    wanted = KINDS if kind == "all" else (kind,)
    table = server_data(request).codes
    return [
        info.to_dict() for info in sorted(table, key=lambda info: info.code) if info.kind in wanted
    ]


async def rules_endpoint() -> list[dicts.Rule]:
    return [rule.to_dict() for rule in RULES.values()]


async def payers_endpoint(request: Request) -> list[dicts.Payer]:
    return [
        {"name": p.name, "label": p.label, "rule": p.rule, "source": p.source}
        for p in server_data(request).profiles.values()
    ]


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(server_data(request).page)
