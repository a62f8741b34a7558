"""The visit a script sends: one patient's day of services, as ``unitcalc calc --input``
reads it from JSON and ``POST /api/calculate`` takes it, one pydantic model for both.

:class:`CalculateRequest` (with its :class:`Service` entries) refuses what is not even the
right shape: an unknown key, a value of the wrong type (a boolean for minutes), a list too
long. The faces then turn each value into the library's own (a rule's name, a date, a
:class:`~unitcalc.core.model.ServiceLine`), which refuses the rest with its own message.
The HTTP API answers a refusal with 422 (:mod:`unitcalc.web.errors`); the command line
with one line naming the file, the field and the fix (:func:`read_visit`).

pydantic is imported here, so this module is imported by the API, by ``calc --input``
and by the tests only, never on the way of ``unitcalc calc 97110=33``.

>>> read_visit({"services": [{"code": "97110", "minutes": 33, "units": 2}]})
Traceback (most recent call last):
...
unitcalc.core.inputs.InputProblem: services[0]: unknown key 'units'; expected code, minutes, ...
"""

from __future__ import annotations

import json
from typing import Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from .jsontext import field_path

# Strict: JSON true is not 1 minute, as the library refuses booleans too.
Minutes = StrictInt | StrictFloat | StrictStr | None

CODE_SHAPE = r"^\s*(?:[0-9]{4}[0-9A-Za-z]|[A-Za-z][0-9]{4})\s*$"
"""A code as the library reads it (:func:`unitcalc.core.codeinfo.normalize_code`): five
digits (97110), four digits and a letter (0552T), or a letter and four digits (G0283),
any letter case, white space around it dropped. Stated in the OpenAPI document; a code
of another shape is refused by the library with its own message."""


def code_field(example: str) -> Any:
    """A service's ``code``: its shape stated, its refusal left to the library."""
    return Field(
        max_length=20,
        examples=[example],
        description="A CPT or HCPCS code: 97110, 0552T or G0283 (letter case and white "
        "space around it do not matter).",
        json_schema_extra={"pattern": CODE_SHAPE},
    )


class Service(BaseModel):
    """One documented service."""

    model_config = ConfigDict(extra="forbid")
    code: str = code_field("97110")
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
    # A function of ours, not ``list``: pydantic reads a builtin's signature by parsing
    # its text (inspect), and CPython 3.11's parser is not safe beside another thread's
    # parse (see core/dicts.key_docs).
    prefer: list[str] = Field(default_factory=lambda: [], max_length=50)
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
    assistant_two_units: StrictBool = Field(
        default=True,
        description="Two units left, therapist and assistant 9-14 min each: one unit "
        "with CQ/CO and one without (the proposed rule's text; unconfirmed).",
    )
    de_minimis: Literal["more-than", "at-least"] = "more-than"


MonthBlocks = Literal["full", "midpoint"]
SetUpScope = Literal["month", "patient"]


class MonthService(BaseModel):
    """One line of a month of remote therapeutic monitoring."""

    model_config = ConfigDict(extra="forbid")
    code: str = code_field("98980")
    minutes: Minutes = Field(
        default=None, examples=[25], description="management minutes (98979, 98980, 98981)"
    )
    days_of_data: Minutes = Field(
        default=None,
        examples=[20],
        description="a device supply's days of data in its 30-day period",
    )
    date_of_service: str | None = Field(
        default=None,
        max_length=10,
        examples=["2026-03-09"],
        description="YYYY-MM-DD within the month (default: the month's first day)",
    )


class MonthRequest(BaseModel):
    """One patient's month of remote therapeutic monitoring, as ``unitcalc calc --month
    --input`` reads it (``--month`` gives the month when the document does not)."""

    model_config = ConfigDict(extra="forbid")
    month: str = Field(max_length=7, examples=["2026-03"])
    services: list[MonthService] = Field(max_length=200)
    rtm_blocks: MonthBlocks = Field(
        default="full",
        description="98981 per full 20 minutes, or once more than half of a block has "
        "passed (the midpoint reading, UNCONFIRMED)",
    )
    rtm_set_up: SetUpScope = Field(
        default="month",
        description="98975 counted once a month, or once for the patient (UNCONFIRMED)",
    )


class InputProblem(ValueError):
    """A document the model refuses: the first field at fault (``services[2].minutes``,
    empty for the document itself) and what to do about it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


FIXES = {
    "services": 'give the services as {"services": [{"code": "97110", "minutes": 33}, ...]}',
    "code": 'give the code as text, e.g. "code": "97110"',
    "minutes": 'give whole minutes, e.g. "minutes": 33',
    "assistant_minutes": 'give the assistant\'s own whole minutes, e.g. "assistant_minutes": 23',
    "discipline": 'give PT, OT or SLP (or GP, GO, GN), e.g. "discipline": "PT"',
    "default_discipline": 'give PT, OT or SLP, e.g. "default_discipline": "PT"',
    "rule": 'give a rule\'s name, e.g. "rule": "cms" (unitcalc rules lists them)',
    "payer": "give the name of a payer profile of the --payers file",
    "pool_by": 'give "discipline" or "day"',
    "prefer": 'give a list of codes, e.g. "prefer": ["97110"]',
    "date_of_service": 'give YYYY-MM-DD, e.g. "date_of_service": "2026-11-02"',
    "assistant_two_units": "give true or false",
    "de_minimis": 'give "more-than" or "at-least"',
}
"""What to do about each field, said after what is wrong with it."""


MONTH_FIXES = {
    **FIXES,
    "services": 'give the services as {"month": "2026-03", "services": [{"code": "98980", '
    '"minutes": 45}, ...]}',
    "code": 'give the code as text, e.g. "code": "98980"',
    "minutes": 'give whole management minutes, e.g. "minutes": 45',
    "days_of_data": 'give a device supply\'s whole days of data, e.g. "days_of_data": 20',
    "date_of_service": 'give YYYY-MM-DD within the month, e.g. "date_of_service": "2026-03-09"',
    "month": 'give the month as YYYY-MM, e.g. "month": "2026-03", or give the month with --month',
    "rtm_blocks": 'give "full" or "midpoint"',
    "rtm_set_up": 'give "month" or "patient"',
}
"""What to do about each field of a month's document."""


def read_visit(document: object) -> CalculateRequest:
    """``document`` (JSON read by :func:`~unitcalc.core.jsontext.load_json`) as a visit;
    :class:`InputProblem` naming the first field at fault and the fix."""
    try:
        return CalculateRequest.model_validate(document)
    except ValidationError as exc:
        raise problem_of(CalculateRequest, exc.errors(), FIXES) from None


def read_month(document: object) -> MonthRequest:
    """``document`` as a patient's month of remote therapeutic monitoring;
    :class:`InputProblem` naming the first field at fault and the fix."""
    try:
        return MonthRequest.model_validate(document)
    except ValidationError as exc:
        raise problem_of(MonthRequest, exc.errors(), MONTH_FIXES) from None


def problem_of(model: type[BaseModel], errors: list[Any], fixes: dict[str, str]) -> InputProblem:
    """The first field at fault among pydantic's ``errors`` from validating ``model``,
    and what to do about it (``fixes``, by field). The errors of one field (one for each
    type a field may take) are said together, as the HTTP API says them."""
    if not errors:  # pragma: no cover - pydantic raises with at least one error
        return InputProblem("", "invalid document")
    first = errors[0]
    where = tuple(first["loc"])
    if first["type"] == "extra_forbidden":
        parent, key = where[:-1], where[-1]
        expected = ", ".join(_keys(model, parent))
        return InputProblem(field_path(parent), f"unknown key {key!r}; expected {expected}")
    field = _field(where)
    leaf = next((part for part in reversed(_fields(where)) if isinstance(part, str)), "")
    fix = fixes.get(leaf, "")
    if first["type"] == "missing":
        return InputProblem(field, f"missing; {fix}" if fix else "missing")
    if first["type"] == "model_type":  # not an object where one belongs
        reason = "expected an object"
    else:
        said = [e["msg"] for e in errors if _field(tuple(e["loc"])) == field]
        reason = " or ".join(dict.fromkeys(m.removeprefix("Input should be ") for m in said))
        reason = f"input should be {reason}" if len(said) > 1 else said[0]
    reason = reason[0].lower() + reason[1:]
    value = first.get("input")
    if not where:
        message = f"the document is refused: {reason}"
    elif isinstance(value, list | dict):  # a list too long, an object for text: said by kind
        message = reason
    else:
        message = f"{_shown(value)} is refused: {reason}"
    return InputProblem(field, f"{message}; {fix or fixes['services']}")


_TYPE_TAGS = frozenset({"int", "float", "str", "bool", "none", "list", "dict"})
"""Names pydantic adds to a location for each member of a union: not fields."""


def _fields(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(part for part in loc if part not in _TYPE_TAGS)


def _field(loc: tuple[Any, ...]) -> str:
    return field_path(_fields(loc))


def _keys(model: type[BaseModel], where: tuple[Any, ...]) -> list[str]:
    """The keys an object at ``where`` in ``model``'s document may hold."""
    for part in where:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        inner = next(iter(get_args(annotation)), annotation)
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):  # pragma: no cover
            break
        model = inner
    return list(model.model_fields)


def _shown(value: object) -> str:
    """A refused value as JSON writes it, cut short."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):  # pragma: no cover - the document came from JSON
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
