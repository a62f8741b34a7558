"""``unitcalc calc``: one patient's day, from the command line or a JSON file.

A service is read from its token (:func:`parse_service`, ``97110-GP=13+23``) or from the
JSON of ``--input``, counted by :func:`unitcalc.engine.count.calculate`, and shown as a
table for people (:func:`render_result`) or as JSON for scripts, whose shape
:func:`calc_output_schema` describes.
"""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from ..core.disciplines import normalize_discipline
from ..core.errors import InvalidServiceError, UnitcalcError
from ..core.model import Result, ServiceLine
from ..core.text import count_of, output_width
from ..core.text import table as text_table
from ..core.values import parse_date_of_service
from ..engine.count import calculate
from ..engine.settings import DEFAULT_MAX_ALTERNATIVES, Pooling
from ..rules import get_rule
from .calc_input import Visit, json_document, month_document, read_json_input, visit_from_json
from .counting import (
    _assistant_options,
    _code_table,
    _counting_options,
    _month_options,
    _prefer,
    _rule_option,
)
from .shared import InputError, _said, _table_options, _wrap_note

if TYPE_CHECKING:
    from ..core.assistant import AssistantSplit, DeMinimis
    from ..engine.ptp import ModifierPlacement
    from ..rules import RuleName

JSON_SCHEMA_VERSION = 1
"""The ``schema_version`` of ``calc --format json``; its JSON Schema ships in the package
as ``unitcalc/schemas/calc-output.schema.json`` (see :func:`calc_output_schema`)."""


def parse_service(token: str) -> ServiceLine:
    """A command-line service: ``CODE[-DISCIPLINE][=MINUTES[+ASSISTANT]]``, e.g.
    ``97110=33``, ``97110-GP=33``, ``97161``, ``97161-PT=45`` or ``97110-GP=13+23`` (the
    therapist's 13 minutes and the assistant's own 23)."""
    left, sep, minutes = token.partition("=")
    code, dash, discipline = left.partition("-")
    minutes, plus, assistant = minutes.partition("+")
    if plus and (not minutes.strip() or not assistant.strip() or "+" in assistant):
        raise InvalidServiceError(
            f"{token!r}: write the therapist's and the assistant's minutes as "
            f"{code}-GP=THERAPIST+ASSISTANT, e.g. {code}-GP=13+23 (0+23 when the assistant "
            "furnished it all)",
            code=code,
            field="assistant_minutes",
            value=assistant,
        )
    if sep and not minutes.strip():
        raise InvalidServiceError(
            f"{token!r}: minutes are missing after '='; write CODE=MINUTES such as 97110=33",
            code=code,
            field="minutes",
            value=minutes,
        )
    if dash and not discipline.strip():
        raise InvalidServiceError(
            f"{token!r}: the discipline is missing after '-'; write e.g. {code}-GP=...",
            code=code,
            field="discipline",
            value=discipline,
        )
    try:
        return ServiceLine(
            code,
            minutes if sep else None,  # type: ignore[arg-type]  # ServiceLine parses text
            discipline=discipline if dash else None,
            assistant_minutes=assistant if plus else None,  # type: ignore[arg-type]
        )
    except InvalidServiceError as exc:
        inner = exc  # the except clause unbinds exc; the message words it later
        raise InvalidServiceError(
            lambda spell: f"{token!r}: {inner.worded(spell)}",
            code=exc.code,
            field=exc.field,
            value=exc.value,
            argument=exc.argument,
        ) from exc


@click.command()
@click.argument("services", nargs=-1, metavar="[CODE[-DISC][=MIN]]...")
@_rule_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, or JSON for scripts.",
)
@click.option("--explain", is_flag=True, help="Show the step-by-step reasoning under the table.")
@click.option(
    "--input",
    "input_file",
    type=click.File("r", encoding="utf-8-sig"),
    metavar="FILE|-",
    help='Read services as JSON ({"rule": ..., "date_of_service": "YYYY-MM-DD", '
    '"services": [...]}) from a file, or - for stdin.',
)
@click.option(
    "--date",
    "date_text",
    metavar="YYYY-MM-DD",
    help="Date of service: codes are checked against the code set in force that day, and "
    "it dates the assistant modifiers CQ/CO (none before 2020, 85% from 2022). Default: "
    "the input's date_of_service, else today.",
)
@click.option(
    "--month",
    "month_text",
    metavar="YYYY-MM",
    help="Count one patient's month of remote therapeutic monitoring (98975-98986) "
    "instead of a day: services as CODE=MINUTES (management), CODE=DAYSd (device supply "
    "days of data) or CODE, each with an optional @YYYY-MM-DD.",
)
@click.option(
    "--default-discipline",
    metavar="PT|OT|SLP",
    help="Discipline of every line that names none. Without it, such lines join the "
    "day's only named discipline, and are an error when the day names two or more.",
)
@_counting_options
@click.option(
    "--max-alternatives",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_ALTERNATIVES,
    show_default=True,
    help="How many alternative allocations of a tie to list.",
)
@click.option(
    "--assistant-two-units/--no-assistant-two-units",
    default=True,
    show_default=True,
    help="Two units left, therapist and assistant 9-14 min each: one unit with CQ/CO and "
    "one without (the proposed rule's text; its finalisation is unconfirmed).",
)
@click.option(
    "--de-minimis",
    # unitcalc.core.assistant.DE_MINIMIS, spelled here so that calc does not load the module.
    type=click.Choice(["more-than", "at-least"]),
    default="more-than",
    show_default=True,
    help="The 10% test for CQ/CO: more than 10% (CMS) or 10% or more.",
)
@_month_options
@_table_options
def calc(
    services: tuple[str, ...],
    rule: str | None,
    output_format: str,
    explain: bool,
    input_file: Any,
    date_text: str | None,
    month_text: str | None,
    default_discipline: str | None,
    pool_by: Pooling | None,
    prefer: str | None,
    payers_file: Path | None,
    payer: str | None,
    mue_file: Path | None,
    ptp_files: tuple[Path, ...],
    ptp_modifier_on: ModifierPlacement | None,
    max_alternatives: int,
    assistant_two_units: bool,
    de_minimis: DeMinimis,
    rtm_blocks: str | None,
    rtm_set_up: str | None,
    codes_file: Path | None,
    definitions: tuple[str, ...],
) -> None:
    """Units for one patient's day, or with --month a patient's month of RTM.

    Give services as CODE=MINUTES (97110=33), untimed codes as CODE or CODE=MINUTES
    (97161), and a discipline as CODE-DISC=MINUTES with PT, OT, SLP or GP, GO, GN
    (97110-GP=33). Lines of the same code add up. A line without a discipline joins the
    day's only named discipline; with two or more named, give --default-discipline.
    Minutes a PT or OT assistant furnished on their own follow a +: 97110-GP=13+23 is
    the therapist's 13 minutes and the assistant's 23 (36 in all); the units that take
    CQ or CO are shown.

    \b
    Examples:
      unitcalc calc 97110=33 97140=7
      unitcalc calc 97112=20 97110=20 --explain
      unitcalc calc 97110=33 97140=7 --rule ama --format json
      unitcalc calc 97001 97110=23 --date 2016-06-01
      unitcalc calc 97110-GP=13+23 97140-GP=30 --date 2026-03-02
      unitcalc calc --month 2026-03 98980=45 98977=20d
    """
    name, text = read_json_input(input_file) if input_file is not None else ("", None)
    document = json_document(name, text) if text is not None else None
    month_input = month_document(document)
    if month_text is not None or month_input is not None:
        from .calc_month import calc_month, refuse_day_options

        day_options = (rule, date_text, default_discipline, pool_by, prefer, payers_file)
        refuse_day_options(*day_options, payer=payer, mue=mue_file, ptp=ptp_files or None)
        table, rtm = _code_table(codes_file, definitions), (rtm_blocks, rtm_set_up)
        calc_month(month_text, services, (name, document), table, rtm, output_format, explain)
        return
    given = [parse_service(token) for token in services]
    day = visit_from_json(name, document) if text is not None else Visit()  # options win
    given_date, fallback = _date_and_discipline(date_text, default_discipline)
    # The default date belongs to the command line, not the core: today.
    date_of_service = given_date or day.date_of_service or datetime.date.today()
    if not (lines := given + day.lines):
        raise click.UsageError("give at least one service, e.g. unitcalc calc 97110=33 97140=7")
    counting = day.counting(payers_file, payer, mue_file, ptp_files)
    with _said_at_file_line(name, day.lines, given):
        result = calculate(
            lines,
            rule=cast("RuleName | None", rule or (day.rule if counting.payer is None else None)),
            payer=counting.payer,
            tie_preference=_prefer(prefer) if prefer is not None else day.prefer,
            pooling=pool_by or day.pool_by,
            codes=_code_table(codes_file, definitions),
            max_alternatives=max_alternatives,
            mue=counting.mue,
            ptp=counting.ptp,
            ptp_modifier_on=ptp_modifier_on or "either",
            date_of_service=date_of_service,
            default_discipline=fallback or day.default_discipline,
            assistant_options=_assistant_options(*day.assistant(assistant_two_units, de_minimis)),
        )
    _show(result, output_format, explain=explain)


def _show(result: Result, output_format: str, *, explain: bool) -> None:
    if output_format == "json":
        document = {"schema_version": JSON_SCHEMA_VERSION, **result.to_dict()}
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(render_result(result, explain=explain, width=output_width()))


def _date_and_discipline(
    date_text: str | None, default_discipline: str | None
) -> tuple[datetime.date | None, str | None]:
    """``--date`` and ``--default-discipline`` read, a bad one named by its flag."""
    try:
        return parse_date_of_service(date_text), normalize_discipline(default_discipline)
    except UnitcalcError as exc:
        option = (
            "--date" if getattr(exc, "field", "") == "date_of_service" else "--default-discipline"
        )
        raise click.UsageError(f"{option}: {_said(exc)}") from exc


@contextlib.contextmanager
def _said_at_file_line(
    name: str, from_file: list[ServiceLine], given: list[ServiceLine]
) -> Iterator[None]:
    """An error about a code that only the ``--input`` file gives names its line there
    (``visit.json: services[2]: ...``)."""
    try:
        yield
    except UnitcalcError as exc:
        code = getattr(exc, "code", None)
        indices = [i for i, line in enumerate(from_file) if line.code == code]
        if indices and not any(line.code == code for line in given):
            raise InputError(f"{name}: services[{indices[0]}]: {_said(exc)}") from exc
        raise


def calc_output_schema() -> Path:
    """The packaged JSON Schema of ``unitcalc calc --format json``.

    >>> json.loads(calc_output_schema().read_text())["properties"]["schema_version"]
    {'const': 1, 'description': 'The version of this shape.'}
    """
    return Path(__file__).parents[1] / "schemas" / "calc-output.schema.json"


def render_result(result: Result, *, explain: bool, width: int | None = None) -> str:
    """The human-readable form of a result; with ``width``, the table's labels and the
    notes under it wrap to that many columns."""
    rule = get_rule(result.rule)
    with_discipline = any(line.discipline for line in result.lines)
    with_assistant = bool(result.assistant)
    headers = [
        "code",
        "label",
        *(["discipline"] if with_discipline else []),
        "minutes",
        "units",
        *(["assistant"] if with_assistant else []),
    ]
    rows = [
        [
            line.code,
            line.label if line.timed else f"{line.label} (untimed)",
            *([line.discipline or ""] if with_discipline else []),
            "" if line.minutes is None else str(line.minutes),
            str(line.units),
            *([_assistant_cell(line.assistant)] if with_assistant else []),
        ]
        for line in result.lines
    ]
    aligns = "l" * (len(headers) - 2 - with_assistant) + "rr" + "l" * with_assistant
    wrapped = [1, len(headers) - 1] if with_assistant else [1]  # label and assistant
    table = text_table(headers, rows, aligns, width=width, wrap_columns=wrapped)
    payer = f"; payer profile {result.payer}" if result.payer else ""
    out = [f"Rule: {rule.name} ({rule.title}){payer}", table]
    minutes = f"{result.total_timed_minutes} timed minutes"
    if result.total_untimed_minutes:
        minutes += f", {result.total_untimed_minutes} untimed"
    out.append(f"Total: {count_of(result.total_units, 'unit')} ({minutes})")
    if result.assistant:
        out.append(_assistant_note(result))
    if result.removed:
        removed = ", ".join(f"{code} x{units}" for code, units in result.removed.items())
        out.append(f"Removed by the payer's cap: {removed}")
    if result.tie:
        for group in result.tie.groups:
            where = f" in {group.discipline}" if group.discipline else ""
            out.append(
                f"Tie{where}: {', '.join(group.codes)} have {group.leftover_minutes} min left "
                f"each and compete for {count_of(group.units, 'unit')}; unitcalc chose "
                f"{', '.join(group.chosen)}. Any choice is compliant (CMS 20.2)."
            )
        if len(result.tie.groups) > 1:
            out.append(
                f"  The choices in each discipline are independent: "
                f"{result.tie.allocations} compliant allocations in all."
            )
        else:
            for alternative in result.alternatives:
                shown = ", ".join(f"{c} x{u}" for c, u in alternative.items() if u)
                out.append(f"  also compliant: {shown}")
            if result.alternatives_truncated:
                out.append(
                    f"  ... {result.tie.allocations} compliant allocations in all; "
                    "raise --max-alternatives to list more"
                )
    if result.warnings:
        out.append("Warnings:")
        out.extend(f"  - {warning}" for warning in result.warnings)
    if explain:
        out.append("Why:")
        out.extend(f"  {n}. {step}" for n, step in enumerate(result.explanation, start=1))
    if width is None:
        return "\n".join(out)
    return "\n".join(part if part is table else _wrap_note(part, width) for part in out)


def _assistant_cell(split: AssistantSplit | None) -> str:
    """``13+23 min: CQ x1, x1 without`` beside a line with assistant minutes."""
    if split is None:
        return ""
    minutes = f"{split.therapist_minutes}+{split.assistant_minutes} min"
    if split.modifier is None:
        return f"{minutes}: no modifier"
    parts = []
    if split.with_modifier:
        parts.append(f"{split.modifier} x{split.with_modifier}")
    if split.without_modifier:
        parts.append(f"x{split.without_modifier} without")
    return f"{minutes}: {', '.join(parts) or 'no units'}"


def _assistant_note(result: Result) -> str:
    """What the assistant column means, with the payment of its units."""
    day = result.date_of_service.isoformat() if result.date_of_service else "today"
    splits = list(result.assistant.values())
    if all(split.modifier is None for split in splits):
        return f"Assistant: minutes given as therapist+assistant; no CQ/CO before 2020 ({day})."
    percents = sorted({split.paid_percent for split in splits})
    paid = " or ".join(f"{p}%" for p in percents)
    return (
        "Assistant: minutes given as therapist+assistant; units with CQ (PT assistant) or "
        f"CO (OT assistant) are paid at {paid} on {day} (42 USC 1395m(v)). --explain "
        "gives the reason for each unit."
    )
