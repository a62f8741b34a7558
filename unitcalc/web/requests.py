"""What the API's requests may hold, and how their fields become the library's values.

The pydantic models give the OpenAPI document its request schemas and refuse what is
not even the right type (a boolean for minutes, an unknown key, a list too long); the
field checks below then turn each value into the library's own (a rule's name, a payer
profile, a date, a :class:`~unitcalc.core.model.ServiceLine`, whole billed units), and
each refusal, the library's included, is a :class:`~unitcalc.web.errors.Problem` naming
the request's field, such as ``services[0].minutes``.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from ..core.disciplines import normalize_discipline
from ..core.errors import ArgumentValue, UnitcalcError, python_spelling
from ..core.model import ServiceLine
from ..core.values import parse_date_of_service, parse_units
from ..engine.payers import PayerProfile
from ..engine.payers import select as select_profile
from ..rules import get_rule
from .errors import Problem, refuse_long_number

MAX_GROUPS = 500
"""Most groups one audit request may carry; files go through `unitcalc audit`."""

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
            fields = {"minutes", "discipline", "code", "assistant_minutes"}
            suffix = f".{field}" if field in fields else ""
            return Problem(f"{where}[{i}]{suffix}", exc.worded(_api_spelling))
    return Problem(field or where, exc.worded(_api_spelling))


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
