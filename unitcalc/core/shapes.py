"""The shapes scripts read: ``unitcalc audit --format json`` and each record of ``unitcalc
batch --format jsonl``, as pydantic models, one definition for three uses.

A finding and the counts are the TypedDicts the library's ``to_dict()`` returns
(:mod:`.dicts`), which pydantic validates as they are; the documents around them are
pydantic models. The HTTP API answers ``POST /api/audit`` with :class:`Finding` and
:class:`AuditCounts` (:mod:`unitcalc.web.responses`); the JSON Schemas shipped in
``unitcalc/schemas/`` (``audit-output.schema.json``, ``batch-record.schema.json``) are
generated from :class:`AuditDocument` and :class:`BatchRecord` by :func:`write_schemas`
(``python -m unitcalc.core.shapes``), and a test holds the shipped files equal to what the
models give, and the commands' output valid under them. The models sit in the core, so
that the API takes them without importing the file engine. This module is imported by
the API, the tests and the generator only, never on a command's way, so the commands do
not start slower for pydantic. The writers (:mod:`unitcalc.files.write_audit`,
:mod:`unitcalc.files.write_batch`) hold the same ``schema_version``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

# The finding's shapes are the library's (one definition), named here for the documents.
from .dicts import PYDANTIC_CONFIG, SHAPES, key_docs
from .dicts import AuditCounts as AuditCounts
from .dicts import FileFinding as FileFinding
from .dicts import Finding as Finding
from .dicts import described as described_keys

SCHEMAS = Path(__file__).parents[1] / "schemas"
"""The folder of the packaged JSON Schemas."""


class Shape(BaseModel):
    """A key the library adds and the model lacks fails validation instead of vanishing."""

    model_config = ConfigDict(extra="forbid")


def inherit_descriptions(shape: type, *bases: type) -> None:
    """Give the TypedDict ``shape`` the descriptions of the keys it inherits from
    ``bases``: pydantic reads a key's docstring from the class that declares it only."""
    key_docs(shape)  # read now, by the thread importing
    described: dict[str, str] = {}
    for base in bases:
        for name, field in TypeAdapter(base).json_schema()["properties"].items():
            if "description" in field:
                described[name] = field["description"]

    def describe(schema: dict[str, Any], cls: type) -> None:
        described_keys(schema, cls, described)

    config = {**PYDANTIC_CONFIG, "json_schema_extra": describe}
    setattr(shape, "__pydantic_config__", config)  # noqa: B010


for _shape in SHAPES:  # read here, once, by the thread importing: see key_docs
    key_docs(_shape)
inherit_descriptions(FileFinding, Finding)


class ProviderRow(Shape):
    """One provider's timed minutes per billed timed unit."""

    provider: str
    timed_minutes: int
    timed_units_billed: int
    minutes_per_unit: float | None = Field(description="cut to two decimals; null for no unit")
    review: bool = Field(description="true for an average under 15 minutes a unit")
    days_over_8_hours: int | None = Field(
        default=None,
        description="with a date of service in the key only: days of more than 480 timed "
        "minutes across patients (OIG OEI-04-09-00540)",
    )
    worst_day_minutes: int | None = Field(
        default=None, description="with a date of service: the provider's most minutes in a day"
    )
    worst_day: str | None = Field(default=None, description="with a date of service: that day")
    bottom_of_band: bool | None = Field(
        default=None,
        description="only when some provider's average is under 11.5 minutes a unit (the "
        "bottom of the 8-22 minute band of one unit; UNCONFIRMED threshold): whether this "
        "one's is",
    )


class EveryMonthRow(Shape):
    """A patient with therapy in every month of a year (OIG OEI-04-09-00540)."""

    patient: str
    year: int
    months: int = Field(description="calendar months of the year with a date of service")
    dates_of_service: int = Field(description="the patient's dates of service that year")


class DuplicateClaimRow(Shape):
    """A patient's code on one date of service billed under two or more claims."""

    patient: str
    date_of_service: str
    code: str
    claims: list[str] = Field(description="the claim (visit) ids, sorted")


class OverlapRow(Shape):
    """A provider's day whose patients overlap in time."""

    provider: str
    date_of_service: str
    overlaps: int = Field(description="spans starting before another patient's had ended")


class EpisodeFinding(Shape):
    """An episode of care's or a visit's time finding (docs/audit.md, "Episodes of care",
    "Time in and out")."""

    patient: str = Field(description="the patient; for a visit's time, the group's key")
    discipline: str | None = Field(description="PT, OT or SLP; null for a visit's time")
    kind: Literal[
        "treatment_before_evaluation",
        "plan_over_90_days",
        "outside_plan",
        "progress_overdue",
        "reevaluation_pattern",
        "minutes_exceed_visit",
        "visit_times_missing",
    ]
    dates: list[str] = Field(description="the dates of service concerned, YYYY-MM-DD")
    lines: list[int] = Field(description="the input lines concerned")
    message: str
    billed_amount: float | None = Field(
        default=None, description="with --fees: the dollars billed on the lines concerned"
    )


class InputReading(Shape):
    """How the file was read."""

    encoding: str | None = Field(description="null for Parquet")
    delimiter: str | None = Field(description="CSV only")
    detected: list[str] = Field(description="which of the two were detected, not given")
    columns: dict[str, str] = Field(description="role to header, for roles read under another name")
    key: list[str] = Field(description="the columns whose values make a group")


class Manifest(BaseModel):
    """The run; a settings file or the environment adds the settings it gave."""

    model_config = ConfigDict(extra="allow")
    input: str
    input_sha256: str | None
    rows_read: int
    unitcalc_version: str
    code_table_date: str | None
    rule: str
    payer: str | None
    options: dict[str, Any] = Field(description="the options given")
    run_at: str = Field(description="UTC, ISO 8601; SOURCE_DATE_EPOCH fixes it")


class AuditSummary(Shape):
    """The run added up (docs/reference/json.md, ``summary``)."""

    counts: AuditCounts
    rows_read: int
    groups: int
    invalid_rows: int
    order: Literal["contiguous", "scattered"]
    edits: int = Field(description="groups whose billed units trip an MUE or NCCI edit")
    blank_lines: int | None = Field(default=None, description="only when the file has some")
    date_formats: list[Literal["iso", "us"]] | None = Field(
        default=None, description="only when the file writes dates both ways"
    )
    providers: list[ProviderRow] | None = Field(
        default=None, description="only with a provider column"
    )
    patients_every_month: list[EveryMonthRow] | None = Field(
        default=None, description="only when a patient had therapy in every month of a year"
    )
    duplicate_claim_lines: list[DuplicateClaimRow] | None = Field(
        default=None,
        description="with a claim (visit) id column, only when a code is "
        "billed for one patient and day under two or more claims",
    )
    overlapping_patients: list[OverlapRow] | None = Field(
        default=None,
        description="with start and end times and a provider column, only when some "
        "provider's patients overlap in time on a day",
    )
    overlap_unchecked_lines: list[int] | None = Field(
        default=None, description="lines whose times could not be used for the overlaps"
    )
    checks: dict[str, str] | None = Field(
        default=None,
        description="which checks ran, and which were skipped and why; then, with a "
        "plan-of-care, progress-report or visit-time column, or an episode finding, the "
        "episodes' own",
    )
    episodes: list[EpisodeFinding] | None = Field(
        default=None,
        description="with a plan-of-care, progress-report or visit-time column, or an episode "
        "finding: the episodes of care and visit time findings",
    )
    input: InputReading
    payment: dict[str, Any] | None = Field(
        default=None, description="with --fees only: dollars (docs/payment.md)"
    )
    manifest: Manifest | None = Field(default=None, description="the run's manifest")


class AuditDocument(Shape):
    """``unitcalc audit --format json``: one object. ``schema_version`` changes when a key
    is removed or changes meaning; new keys may appear within a version."""

    schema_version: Literal[1] = Field(description="the version of this shape")
    summary: AuditSummary
    findings: list[FileFinding]


class BatchRecord(BaseModel):
    """One record of ``unitcalc batch --format jsonl``: a claim line (or with
    ``--per-row`` an input row) with its computed keys, beside the input's other keys.
    When the input has keys of these names, and for every JSON Lines input, the computed
    keys are set apart: :data:`BatchRecordApart`."""

    model_config = ConfigDict(extra="allow")
    schema_version: Literal[1] = Field(description="the version of this shape")
    units: int | None = Field(description="null in a group that could not be counted")
    tie: str = Field(description="empty, or the codes that compete for units")
    status: Literal["ok", "invalid"]
    message: str = Field(description="the count's warnings, or why the group is invalid")
    edits: str = Field(description="the MUE and NCCI edits tripped, empty if none")


APART = "unitcalc_"
"""The prefix of the computed keys set apart."""

_apart_fields: dict[str, Any] = {
    APART + name: (field.annotation, field) for name, field in BatchRecord.model_fields.items()
}
BatchRecordApart: type[BaseModel] = create_model(
    "BatchRecordApart",
    __config__=ConfigDict(extra="allow"),
    __doc__="A batch record whose computed keys are set apart, ``unitcalc_units`` ..., "
    "because the input has keys of their names or is JSON Lines. An output fed back in "
    "numbers them (``unitcalc_units_2``): such records are outside this schema.",
    **_apart_fields,
)
""":class:`BatchRecord` with each key ``unitcalc_`` before it: one definition for both."""


def schema_of(shape: Any, name: str, title: str) -> dict[str, Any]:
    """``shape``'s JSON Schema (draft 2020-12) with its ``$schema``, ``$id`` and title."""
    schema = TypeAdapter(shape).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"unitcalc/{name}",
        **schema,
        "title": title,
    }


GENERATED: dict[str, tuple[Any, str]] = {
    "audit-output.schema.json": (AuditDocument, "unitcalc audit --format json"),
    "batch-record.schema.json": (
        BatchRecord | BatchRecordApart,
        "A record of unitcalc batch --format jsonl",
    ),
}
"""Each shipped schema file's shape and title."""


def schema_text(name: str) -> str:
    """The text of the shipped schema file ``name``, as the models give it."""
    shape, title = GENERATED[name]
    return json.dumps(schema_of(shape, name, title), indent=2) + "\n"


def write_schemas(folder: Path = SCHEMAS) -> list[Path]:
    """Write each generated schema file into ``folder``; the paths written."""
    written = []
    for name in GENERATED:
        path = folder / name
        path.write_text(schema_text(name), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    for written in write_schemas():
        print(written)
