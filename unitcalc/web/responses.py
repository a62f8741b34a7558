"""The shapes the HTTP API answers with, as pydantic models for the OpenAPI document.

The audit's finding and counts are the models of :mod:`unitcalc.core.shapes`, the
ones the audit's packaged JSON Schema is generated from. Each mirrors a ``to_dict`` of
the library (``Result``, ``Finding``, ``CodeInfo``,
``Rule``) key for key; ``extra="forbid"`` makes a key added there and not here fail the
API tests instead of vanishing from the answer. Keys that the library leaves out when
they do not apply (a line's ``discipline`` and ``assistant``, the result's
``assistant`` and ``date_of_service``) are optional here and stay absent in the answer
(the endpoints exclude unset fields).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..core.shapes import AuditCounts, Finding


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineAssistant(_Shape):
    """Which of one line's units take CQ or CO, and why."""

    with_modifier: int
    without_modifier: int
    modifier: Literal["CQ", "CO"] | None = Field(description="null before 2020-01-01")
    therapist_minutes: int
    assistant_minutes: int
    paid_percent: int
    reasons: list[str]


class Line(_Shape):
    """The units of one code in one discipline pool."""

    code: str
    label: str
    minutes: int | None = Field(description="null for an untimed code given without minutes")
    units: int
    timed: bool
    discipline: str | None = Field(default=None, description="present when given")
    assistant: LineAssistant | None = Field(
        default=None, description="present when assistant minutes were given"
    )


class TieGroup(_Shape):
    discipline: str | None
    codes: list[str]
    units: int
    leftover_minutes: int
    chosen: list[str]


class Tie(_Shape):
    """The allocation is not unique: each group's codes share its units."""

    groups: list[TieGroup]
    allocations: int


class AssistantTotals(_Shape):
    with_modifier: int
    without_modifier: int
    modifier: Literal["CQ", "CO"] | None
    paid_percent: int


class CalculateResponse(_Shape):
    """One patient's day counted: ``unitcalc calc --format json`` without its
    ``schema_version``."""

    rule: str
    total_timed_minutes: int
    total_untimed_minutes: int
    total_units: int
    units: dict[str, int]
    lines: list[Line]
    tie: Literal[False] | Tie = Field(description="false, or the tie")
    alternatives: list[dict[str, int]]
    alternatives_truncated: bool
    explanation: list[str]
    warnings: list[str]
    payer: str | None
    removed: dict[str, int]
    edits: list[str]
    assistant: dict[str, AssistantTotals] | None = Field(
        default=None, description="present when some service has assistant minutes"
    )
    date_of_service: str | None = Field(
        default=None, description="present with `assistant`: the date that dated CQ/CO"
    )


class AuditSummary(_Shape):
    counts: AuditCounts
    groups: int


class AuditResponse(_Shape):
    """Each group's finding: ``unitcalc audit --format json --all`` without its
    ``schema_version`` and with a summary of counts only."""

    summary: AuditSummary
    findings: list[Finding]


class MonthCounting(_Shape):
    """How a monthly code counts in its month (the code table's ``month`` table)."""

    role: Literal["set-up", "device", "management"]
    minutes: int | None = Field(description="management: the month's minutes its unit needs")
    after: str | None = Field(description="management: the code whose first block it follows")
    system: str | None = Field(description="device supply: what the device monitors")
    days: list[int] | None = Field(
        description="device supply: days of data it needs, [first, last]"
    )
    period_days: int | None = Field(description="device supply: the period's length in days")


class Code(_Shape):
    """One entry of the code table, as ``unitcalc codes --format json`` shows it."""

    code: str
    label: str
    kind: Literal["timed", "untimed", "monthly", "deleted", "unlisted"]
    unit_minutes: int | None
    addon_of: str | None
    disciplines: list[str]
    deleted_on: str | None
    replaced_by: list[str]
    sources: list[str]
    note: str | None
    rule_notes: dict[str, str]
    valid_from: str | None
    valid_to: str | None
    valid_sources: list[str]
    valid_kind: Literal["timed", "untimed"] | None
    monthly_counting: str | None
    therapy_list: Literal["always", "sometimes", "not-therapy"] | None
    therapy_list_sources: list[str]
    declare_hint: str | None
    month: MonthCounting | None = Field(description="monthly codes: how the code counts")


class MonthLine(_Shape):
    """How one line of a month counted."""

    code: str
    label: str
    role: Literal["set-up", "device", "management"]
    date_of_service: str
    minutes: int | None
    days_of_data: int | None
    counted_as: str | None = Field(
        description="device supply and set-up lines: the code the line counts as (null: "
        "not counted); management lines count together"
    )
    held_by: str | None = Field(
        description="a device supply not counted: the date of the supply counted before it "
        "whose 30-day period holds it"
    )


class MonthResponse(_Shape):
    """One patient's month of remote therapeutic monitoring counted: ``unitcalc calc
    --month --format json`` without its ``schema_version``."""

    month: str = Field(examples=["2026-03"])
    management_minutes: int
    total_units: int
    units: dict[str, int]
    lines: list[MonthLine]
    explanation: list[str]
    warnings: list[str]


class Rule(_Shape):
    name: str
    aliases: list[str]
    title: str
    summary: str
    source: str


class Payer(_Shape):
    name: str
    label: str
    rule: str | None
    source: str


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
