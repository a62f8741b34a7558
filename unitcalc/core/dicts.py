"""The shapes of ``to_dict()``, as TypedDicts: the one definition of each JSON object a
billing script reads from the library, the command line and the HTTP API.

``Result.to_dict()`` is a :class:`Result`, ``Finding.to_dict()`` a :class:`Finding`, a
code table entry's a :class:`Code` ..., so a script that reads a key the shape lacks
fails under mypy instead of at run time::

    result = calculate({"97110": 33}).to_dict()
    result["total_units"]   # int
    result["total_unit"]    # mypy: TypedDict "Result" has no key "total_unit"

A key the library leaves out when it does not apply (a line's ``discipline`` and
``assistant``, the result's ``assistant`` and ``date_of_service``, a finding's dollars)
is ``NotRequired``. The HTTP API answers with these shapes and the audit's packaged JSON
Schema is generated from them (:mod:`.shapes`, :mod:`unitcalc.web.responses`): pydantic
validates a TypedDict as it is, with the configuration each carries here as a plain
dict (``extra="forbid"``: a key the library adds and the shape lacks fails the tests
instead of vanishing) and each key's docstring as its description. This module imports
no pydantic, and the library's modules import it only for the type checker, so that no
command loads it on its way.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal, NotRequired

# pydantic reads TypedDicts from typing_extensions on Python < 3.12.
from typing_extensions import TypedDict

from .codeinfo import DayKind, Kind, TherapyList
from .months import MonthRole

AssistantModifier = Literal["CQ", "CO"]
"""The assistant modifiers: CQ (PT assistant) and CO (OT assistant)."""

Status = Literal["ok", "over", "under", "misallocated", "invalid"]
"""An audited group's status (:mod:`unitcalc.engine.compliance`)."""


class Note(TypedDict):
    """A warning whole: what it is about, the codes it names and its words."""

    kind: str
    codes: list[str]
    text: str


class LineAssistant(TypedDict):
    """Which of one line's units take CQ or CO, and why."""

    with_modifier: int
    without_modifier: int
    modifier: AssistantModifier | None
    """null before 2020-01-01"""
    therapist_minutes: int
    assistant_minutes: int
    paid_percent: int
    reasons: list[str]


class Line(TypedDict):
    """The units of one code in one discipline pool."""

    code: str
    label: str
    minutes: int | None
    """null for an untimed code given without minutes"""
    units: int
    timed: bool
    discipline: NotRequired[str]
    """present when given"""
    assistant: NotRequired[LineAssistant]
    """present when assistant minutes were given"""


class TieGroup(TypedDict):
    """Codes whose leftover minutes tie for the pool's remaining units."""

    discipline: str | None
    codes: list[str]
    units: int
    leftover_minutes: int
    chosen: list[str]


class Tie(TypedDict):
    """The allocation is not unique: each group's codes share its units."""

    groups: list[TieGroup]
    allocations: int


class AssistantTotals(TypedDict):
    """One code's units with and without its assistant modifier."""

    with_modifier: int
    without_modifier: int
    modifier: AssistantModifier | None
    paid_percent: int


class Result(TypedDict):
    """One patient's day counted: ``unitcalc calc --format json`` without its
    ``schema_version``."""

    rule: str
    total_timed_minutes: int
    total_untimed_minutes: int
    total_units: int
    units: dict[str, int]
    lines: list[Line]
    tie: Literal[False] | Tie
    """false, or the tie"""
    alternatives: list[dict[str, int]]
    alternatives_truncated: bool
    explanation: list[str]
    warnings: list[str]
    payer: str | None
    removed: dict[str, int]
    edits: list[str]
    assistant: NotRequired[dict[str, AssistantTotals]]
    """present when some service has assistant minutes"""
    date_of_service: NotRequired[str | None]
    """present with `assistant`: the date that dated CQ/CO"""


class Finding(TypedDict):
    """The audit of one group: ``Finding.to_dict()``."""

    group: str
    status: Status
    rule: str | None
    billed: dict[str, int]
    allowed: dict[str, int]
    difference: int
    """billed minus allowed units, in total"""
    message: str
    lines: list[int]
    explanation: list[str]
    errors: list[str]
    edits: list[str]
    warnings: list[str]
    billed_amount: NotRequired[float | None]
    """with --fees: dollars billed"""
    allowed_amount: NotRequired[float | None]
    """with --fees: dollars allowed"""
    amount_difference: NotRequired[float | None]
    """with --fees: billed minus allowed dollars"""


class FileFinding(Finding):
    """A finding as ``unitcalc audit --format json`` writes it: with the group's key,
    providers and payer, and its dollars with ``--fees``."""

    key: dict[str, Any]
    """the grouping columns and their values"""
    provider: str
    """the providers named on the group's rows, joined with '; '"""
    payer: str
    """the group's payer profile, or empty"""


class AuditCounts(TypedDict):
    """Status to number of groups."""

    ok: int
    over: int
    under: int
    misallocated: int
    invalid: int


class MonthCounting(TypedDict):
    """How a monthly code counts in its month (the code table's ``month`` table)."""

    role: MonthRole
    minutes: int | None
    """management: the month's minutes its unit needs"""
    after: str | None
    """management: the code whose first block it follows"""
    system: str | None
    """device supply: what the device monitors"""
    days: list[int] | None
    """device supply: days of data it needs, [first, last]"""
    period_days: int | None
    """device supply: the period's length in days"""


class Code(TypedDict):
    """One entry of the code table, as ``unitcalc codes --format json`` shows it."""

    code: str
    label: str
    kind: Kind
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
    valid_kind: DayKind | None
    monthly_counting: str | None
    therapy_list: TherapyList | None
    therapy_list_sources: list[str]
    declare_hint: str | None
    month: MonthCounting | None
    """monthly codes: how the code counts"""


class MonthLine(TypedDict):
    """How one line of a month counted."""

    code: str
    label: str
    role: MonthRole
    date_of_service: str
    minutes: int | None
    days_of_data: int | None
    counted_as: str | None
    """device supply and set-up lines: the code the line counts as (null: not counted); management lines count together"""  # noqa: E501 (one line: the description pydantic reads)
    held_by: str | None
    """a device supply not counted: the date of the supply counted before it whose 30-day period holds it"""  # noqa: E501


class MonthResult(TypedDict):
    """One patient's month of remote therapeutic monitoring counted: ``unitcalc calc
    --month --format json`` without its ``schema_version``."""

    month: str
    management_minutes: int
    total_units: int
    units: dict[str, int]
    lines: list[MonthLine]
    explanation: list[str]
    warnings: list[str]


class Rule(TypedDict):
    """A counting rule, as ``unitcalc rules --format json`` shows it."""

    name: str
    aliases: list[str]
    title: str
    summary: str
    source: str


class Payer(TypedDict):
    """A payer profile: its name, label, the rule it counts by and its source."""

    name: str
    label: str
    rule: str | None
    source: str


@functools.cache
def key_docs(shape: type) -> dict[str, str]:
    """The docstring under each key of the TypedDict ``shape``, as pydantic's
    ``use_attribute_docstrings`` reads them, read once per shape (cached). pydantic would
    parse the class's source at every schema it builds (every ``create_app()``), and
    CPython 3.11's parser is not safe while another thread parses (a traceback
    formatted in a server's thread): ``SystemError: AST constructor recursion depth
    mismatch`` (CPython gh-106905). :mod:`.shapes` reads them all as it is imported."""
    import ast
    import inspect
    import itertools
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(shape)))
    except (OSError, TypeError, SyntaxError):  # no source installed: no descriptions
        tree = ast.Module(body=[], type_ignores=[])
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for before, statement in itertools.pairwise(body):
        if (
            isinstance(before, ast.AnnAssign)
            and isinstance(before.target, ast.Name)
            and isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str)
        ):
            docs[before.target.id] = inspect.cleandoc(statement.value.value)
    return docs


def described(
    schema: dict[str, Any], shape: type, inherited: Mapping[str, str] | None = None
) -> None:
    """Give each key of a shape's JSON Schema its docstring (:func:`key_docs`), else its
    ``inherited`` description, where pydantic gave it none."""
    docs = {**(inherited or {}), **key_docs(shape)}
    for name, field in schema.get("properties", {}).items():
        if name in docs:
            field.setdefault("description", docs[name])


PYDANTIC_CONFIG = {"extra": "forbid", "json_schema_extra": described}
"""What pydantic reads from each shape (a ``ConfigDict``, itself a plain TypedDict)."""

SHAPES: tuple[type, ...] = (
    Note,
    LineAssistant,
    Line,
    TieGroup,
    Tie,
    AssistantTotals,
    Result,
    Finding,
    FileFinding,
    AuditCounts,
    MonthCounting,
    Code,
    MonthLine,
    MonthResult,
    Rule,
    Payer,
)

for _shape in SHAPES:
    # Set after the class: a TypedDict's body holds its keys only.
    setattr(_shape, "__pydantic_config__", PYDANTIC_CONFIG)  # noqa: B010
