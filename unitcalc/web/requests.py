"""What the API's requests may hold, and how their fields become the library's values.

The pydantic models give the OpenAPI document its request schemas and refuse what is
not even the right type (a boolean for minutes, an unknown key, a list too long); a
day's visit is :class:`~unitcalc.core.inputs.CalculateRequest`, the one model that
``unitcalc calc --input`` reads its JSON with too. The field checks below then turn each
value into the library's own (a rule's name, a payer profile, a date, a
:class:`~unitcalc.core.model.ServiceLine`, whole billed units), and each refusal, the
library's included, is a :class:`~unitcalc.web.errors.Problem` naming the request's
field, such as ``services[0].minutes``.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from ..core.disciplines import normalize_discipline
from ..core.errors import ArgumentValue, UnitcalcError, UnknownCodeError, python_spelling
from ..core.inputs import CalculateRequest as CalculateRequest
from ..core.inputs import Minutes, MonthBlocks, MonthService, Service, SetUpScope
from ..core.inputs import MonthRequest as MonthRequest
from ..core.model import ServiceLine
from ..core.values import parse_date_of_service, parse_units
from ..engine.month_count import MonthLine
from ..engine.payers import PayerProfile
from ..engine.payers import select as select_profile
from ..rules import get_rule
from .errors import Problem, refuse_long_number

MAX_GROUPS = 500
"""Most groups one audit request may carry; files go through `unitcalc audit`."""


class BilledService(Service):
    billed_units: StrictInt | StrictFloat | StrictStr = Field(examples=[2])
    days_of_data: Minutes = Field(
        default=None,
        description="A month's group only: a device supply's days of data in its 30-day "
        "period (98976-98978, 98984-98986).",
    )
    date_of_service: str | None = Field(
        default=None,
        max_length=10,
        description="A month's group only: the line's date (default: the month's first day).",
    )


class AuditGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group: str = Field(max_length=200, examples=["P1 / 2026-11-02"])
    date_of_service: str | None = Field(default=None, max_length=10, examples=["2026-11-02"])
    month: str | None = Field(
        default=None,
        max_length=7,
        examples=["2026-03"],
        description="YYYY-MM: a patient's month of remote therapeutic monitoring, audited "
        "by the month (instead of a day and its date_of_service)",
    )
    services: list[BilledService] = Field(max_length=200)


class AuditRequest(BaseModel):
    """Groups (patient days, or patients' months of remote therapeutic monitoring) with
    the units billed on each service."""

    model_config = ConfigDict(extra="forbid")
    rule: str | None = Field(default=None, max_length=40)
    payer: str | None = Field(default=None, max_length=100)
    pool_by: Literal["discipline", "day"] | None = None
    rtm_blocks: MonthBlocks = "full"
    rtm_set_up: SetUpScope = "month"
    groups: list[AuditGroup] = Field(max_length=MAX_GROUPS)


def parse_month_line(service: MonthService | BilledService, where: str) -> MonthLine:
    """A month's service as the library's :class:`~unitcalc.MonthLine`."""
    refuse_long_number(service.minutes, f"{where}.minutes", "minutes")
    refuse_long_number(service.days_of_data, f"{where}.days_of_data", "days_of_data")
    try:
        return MonthLine(
            service.code,
            service.minutes,  # type: ignore[arg-type]  # MonthLine parses text and floats
            days_of_data=service.days_of_data,
            date_of_service=service.date_of_service,
        )
    except UnitcalcError as exc:
        field = getattr(exc, "field", "code")
        raise Problem(f"{where}.{field}", str(exc)) from exc


def day_only(service: BilledService, where: str) -> None:
    """A month's fields given on a day's service: refused, naming the field."""
    for name in ("days_of_data", "date_of_service"):
        if getattr(service, name) is not None:
            raise Problem(
                f"{where}.{name}",
                f"{name} is for a month's group (give the group's month); a day's services "
                "share the group's date_of_service",
            )


def rule_and_payer(
    rule: str | None,
    payer: str | None,
    profiles: dict[str, PayerProfile],
    profiles_path: str,
) -> tuple[str | None, PayerProfile | None]:
    """The rule's name (None: the default) and the payer profile a request names, from
    the profiles this server was started with (read from ``profiles_path``)."""
    if not payer:
        return rule_name(rule), None
    try:
        where = profiles_path or "this server (start it with --payers FILE)"
        return rule_name(rule), select_profile(profiles, payer, path=where)
    except UnitcalcError as exc:
        raise Problem("payer", str(exc)) from exc


def rule_name(rule: str | None) -> str | None:
    if rule is None or not rule.strip():
        return None
    try:
        return get_rule(rule).name
    except UnitcalcError as exc:
        raise Problem("rule", str(exc)) from exc


def parse_date(value: str | None, where: str) -> datetime.date | None:
    try:
        return parse_date_of_service(value)
    except UnitcalcError as exc:
        raise Problem(where, str(exc)) from exc


def parse_default_discipline(value: str | None) -> str | None:
    try:
        return normalize_discipline(value)
    except UnitcalcError as exc:
        raise Problem("default_discipline", str(exc)) from exc


def parse_line(service: Service, where: str) -> ServiceLine:
    refuse_long_number(service.minutes, f"{where}.minutes", "minutes")
    refuse_long_number(service.assistant_minutes, f"{where}.assistant_minutes", "minutes")
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


def parse_billed_units(value: int | float | str, where: str) -> int:
    refuse_long_number(value, where, "billed_units")
    try:
        return parse_units(value, code=None)
    except UnitcalcError as exc:
        raise Problem(where, str(exc)) from exc


def located(exc: UnitcalcError, services: list[Any], where: str) -> Problem:
    """An engine error, pinned to the first service of the code it names."""
    code = getattr(exc, "code", None)
    field = getattr(exc, "field", None)
    for i, service in enumerate(services):
        try:
            normalized = ServiceLine(service.code).code
        except UnitcalcError:
            continue
        if normalized == code:
            fields = {
                "minutes",
                "discipline",
                "code",
                "assistant_minutes",
                "days_of_data",
                "date_of_service",
            }
            suffix = f".{field}" if field in fields else ""
            return Problem(f"{where}[{i}]{suffix}", exc.worded(api_spelling), _unknown(exc))
    return Problem(field or where, exc.worded(api_spelling), _unknown(exc))


def _unknown(exc: UnitcalcError) -> dict[str, Any] | None:
    """For a code the table lacks: the code and the table's nearest codes, for a page
    to offer them."""
    if type(exc) is not UnknownCodeError:  # not a deleted code, nor one not yet in force
        return None
    return {"unknown_code": exc.code, "suggestions": list(exc.suggestions)}


_FIELDS = {
    ("calculate", "pooling"): "pool_by",
    ("calculate", "default_discipline"): "default_discipline",
    ("calculate_month", "month"): "month",
}
"""The request field for each Python argument an engine message may name."""


def api_spelling(
    argument: str, value: ArgumentValue = None, *, owner: str, given: bool = False
) -> str:
    """An argument as a request gives it: ``"pool_by": "day"``; what only the server's
    administrator can change (the code table) as the option that changes it."""
    if (owner, argument) == ("define_code", "spec"):
        return f"an administrator starts the server with unitcalc serve --define {value}"
    if (owner, argument) == ("CodeTable.load", "path"):
        return "unitcalc serve --codes"
    field = _FIELDS.get((owner, argument))
    if field is None:
        return python_spelling(argument, value, owner=owner)
    if owner == "calculate_month":
        return f'POST /api/month with "{field}": {json.dumps(value)}'
    return f'"{field}"' if value is None else f'"{field}": {json.dumps(value)}'
