"""The shapes the HTTP API answers with, for the OpenAPI document.

Each answer is the ``to_dict()`` of the library (``Result``, ``Finding``, ``CodeInfo``,
``Rule``, ``MonthResult``), whose shape is a TypedDict of :mod:`unitcalc.core.dicts`:
one definition, which pydantic validates as it is. Its ``extra="forbid"`` makes a key
added to a ``to_dict`` and not to its TypedDict fail the API tests instead of vanishing
from the answer; keys that the library leaves out when they do not apply (a line's
``discipline`` and ``assistant``, the result's ``assistant`` and ``date_of_service``)
are ``NotRequired`` and stay absent in the answer. The audit's finding and counts are
those of the audit's packaged JSON Schema (:mod:`unitcalc.core.shapes`). What only the
API says (the audit answer's envelope, its errors) is a pydantic model here.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..core import dicts
from ..core.dicts import Code as Code
from ..core.dicts import Payer as Payer
from ..core.dicts import Rule as Rule
from ..core.shapes import AuditCounts, Finding, inherit_descriptions


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CalculateResponse(dicts.Result):
    """One patient's day counted: ``unitcalc calc --format json`` without its
    ``schema_version``."""


class MonthResponse(dicts.MonthResult):
    """One patient's month of remote therapeutic monitoring counted: ``unitcalc calc
    --month --format json`` without its ``schema_version``."""


# The answers' names in the OpenAPI document, as a client generator takes them.
inherit_descriptions(CalculateResponse, dicts.Result)
inherit_descriptions(MonthResponse, dicts.MonthResult)


class AuditSummary(_Shape):
    counts: AuditCounts
    groups: int


class AuditResponse(_Shape):
    """Each group's finding: ``unitcalc audit --format json --all`` without its
    ``schema_version`` and with a summary of counts only."""

    summary: AuditSummary
    findings: list[Finding]


class FieldError(_Shape):
    field: str = Field(examples=["services[0].minutes"])
    message: str


class InvalidInput(_Shape):
    """The answer to invalid input (status 422)."""

    detail: str = Field(
        examples=["services[0].minutes: 97110: minutes '7.5' has a fraction; give whole minutes"]
    )
    field: str = Field(
        description="the first field at fault, e.g. services[0].minutes, rule, or body "
        "for a body that is not JSON",
        examples=["services[0].minutes"],
    )
    errors: list[FieldError] | None = Field(
        default=None,
        description="every field at fault, when the request's shape is wrong (a missing, "
        "extra or mistyped field)",
    )
    unknown_code: str | None = Field(
        default=None,
        description="a code the server's code table lacks (its administrator adds codes "
        "with unitcalc serve --codes or --define)",
        examples=["97999"],
    )
    suggestions: list[str] | None = Field(
        default=None,
        description="with unknown_code: the table's nearest codes, closest first",
        examples=[["97799", "97139", "97129"]],
    )


class TooLarge(_Shape):
    """The answer to a request body over the limit (status 413)."""

    detail: str = Field(examples=["request body larger than 262144 bytes"])
