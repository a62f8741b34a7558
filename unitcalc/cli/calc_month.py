"""``unitcalc calc --month``: one patient's month of remote therapeutic monitoring.

A service is read from its token (:func:`parse_month_service`: ``98980=45`` for
management minutes, ``98977=20d`` for days of data, ``98975`` for the set-up, each with
an optional ``@YYYY-MM-DD`` date) or from the JSON of ``--input`` (``{"month": ...,
"services": [...]}``), counted by :func:`unitcalc.engine.month_count.calculate_month`,
and shown as a table for people (:func:`render_month`) or as JSON for scripts, whose
shape :func:`month_output_schema` describes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..core.codes import CodeTable
from ..core.errors import InvalidServiceError, UnitcalcError
from ..core.text import count_of, output_width
from ..core.text import table as text_table
from ..engine.month_count import MonthLine, MonthOptions, MonthResult, calculate_month
from .counting import _month
from .shared import InputError, _said, _wrap_note

if TYPE_CHECKING:
    from ..core.inputs import MonthRequest

MONTH_SCHEMA_VERSION = 1
"""The ``schema_version`` of ``calc --month --format json``
(``unitcalc/schemas/calc-month-output.schema.json``)."""

_TOKEN = re.compile(r"^(?P<code>[^=@]+)(?:=(?P<value>[^@]*))?(?:@(?P<date>.*))?$")


def parse_month_service(token: str) -> MonthLine:
    """A command-line service of a month: ``CODE[=MINUTES|=DAYSd][@YYYY-MM-DD]``, e.g.
    ``98980=45`` (45 management minutes), ``98977=20d@2026-03-09`` (20 days of data in
    its 30-day period, the supply dated that day) or ``98975`` (the set-up).

    >>> line = parse_month_service("98977=20d@2026-03-09")
    >>> line.code, line.minutes, line.days_of_data, line.date_of_service.isoformat()
    ('98977', None, 20, '2026-03-09')
    """
    found = _TOKEN.match(token.strip())
    if found is None:
        raise InvalidServiceError(
            f"{token!r}: write CODE=MINUTES, CODE=DAYSd or CODE, each with an optional "
            "@YYYY-MM-DD, such as 98980=45 or 98977=20d",
            code=None,
            field="code",
            value=token,
        )
    code, value, date = found.group("code"), found.group("value"), found.group("date")
    if value is not None and not value.strip():
        raise InvalidServiceError(
            f"{token!r}: a value is missing after '='; write {code}=45 (minutes) or "
            f"{code}=20d (days of data)",
            code=code,
            field="minutes",
            value=value,
        )
    if date is not None and not date.strip():
        raise InvalidServiceError(
            f"{token!r}: the date is missing after '@'; write e.g. {code}@2026-03-09",
            code=code,
            field="date_of_service",
            value=date,
        )
    days = value[:-1] if value is not None and value.strip().lower().endswith("d") else None
    minutes = value if value is not None and days is None else None
    try:
        return MonthLine(code, minutes, days_of_data=days, date_of_service=date)  # type: ignore[arg-type]
    except InvalidServiceError as exc:
        inner = exc
        raise InvalidServiceError(
            lambda spell: f"{token!r}: {inner.worded(spell)}",
            code=exc.code,
            field=exc.field,
            value=exc.value,
            argument=exc.argument,
        ) from exc


def month_document(
    name: str, document: object, month_text: str | None
) -> tuple[MonthRequest, list[MonthLine]]:
    """A month's ``calc --input`` document validated by the API's model (``--month``
    gives its month when the document does not), and its services as lines."""
    from ..core.inputs import InputProblem, read_month  # pydantic: only with --input

    if month_text is not None and isinstance(document, dict) and document.get("month") is None:
        document = {**document, "month": month_text}
    try:
        request = read_month(document)
    except InputProblem as exc:
        raise InputError(f"{name}: {exc}") from None
    lines = []
    for index, service in enumerate(request.services):
        try:
            lines.append(
                MonthLine(
                    service.code,
                    service.minutes,  # type: ignore[arg-type]  # MonthLine parses text
                    days_of_data=service.days_of_data,
                    date_of_service=service.date_of_service,
                )
            )
        except InvalidServiceError as exc:
            raise InputError(f"{name}: services[{index}].{exc.field}: {_said(exc)}") from exc
    return request, lines


def calc_month(
    month_text: str | None,
    tokens: Sequence[str],
    document: tuple[str, object | None],
    codes: CodeTable,
    counting: tuple[str | None, str | None],
    output_format: str,
    explain: bool,
) -> None:
    """``calc --month``: the month's services from the command line's ``tokens`` and
    the ``--input`` document (its name and its JSON), counted by ``--rtm-blocks`` and
    ``--rtm-set-up`` (``counting``; the document's where they are not given) and written
    to standard output."""
    lines = [parse_month_service(token) for token in tokens]
    rtm_blocks, rtm_set_up = counting
    month, from_file = month_text, list[MonthLine]()
    if document[1] is not None:
        request, from_file = month_document(*document, month_text)
        month, given = month_text or request.month, request.model_fields_set
        rtm_blocks = rtm_blocks or (request.rtm_blocks if "rtm_blocks" in given else None)
        rtm_set_up = rtm_set_up or (request.rtm_set_up if "rtm_set_up" in given else None)
    run_month(
        month,
        lines + from_file,
        codes=codes,
        options=_month(rtm_blocks, rtm_set_up),
        output_format=output_format,
        explain=explain,
    )


def run_month(
    month: str | None,
    lines: list[MonthLine],
    *,
    codes: CodeTable,
    options: MonthOptions,
    output_format: str,
    explain: bool,
) -> None:
    """Count the month and write it to standard output."""
    if month is None:
        raise click.UsageError('give the month with --month YYYY-MM (or "month" in --input)')
    if not lines:
        raise click.UsageError(
            "give at least one service, e.g. unitcalc calc --month 2026-03 98980=45 98977=20d"
        )
    try:
        result = calculate_month(lines, month, codes=codes, options=options)
    except UnitcalcError as exc:
        field = getattr(exc, "field", None)
        if field == "month":
            raise click.UsageError(f"--month: {_said(exc)}") from exc
        if field == "days_of_data":
            code = getattr(exc, "code", None) or "CODE"
            hint = f' (on the command line {code}=20d for 20 days; in --input "days_of_data")'
            raise InputError(_said(exc) + hint) from exc
        raise
    if output_format == "json":
        document = {"schema_version": MONTH_SCHEMA_VERSION, **result.to_dict()}
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(render_month(result, explain=explain, width=output_width()))


def render_month(result: MonthResult, *, explain: bool, width: int | None = None) -> str:
    """The human-readable form of a month: a row per code, the total, the notes and,
    with ``explain``, the steps."""
    minutes: dict[str, int] = {}
    days: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for line in result.lines:
        labels.setdefault(line.code, line.label)
        if line.minutes is not None:
            minutes[line.code] = minutes.get(line.code, 0) + line.minutes
        if line.days_of_data is not None:
            days.setdefault(line.code, []).append(str(line.days_of_data))
    rows = [
        [
            code,
            labels.get(code, "(from the month's count)"),
            str(minutes[code]) if code in minutes else "",
            ", ".join(days.get(code, [])),
            str(units),
        ]
        for code, units in result.units.items()
    ]
    headers = ["code", "label", "minutes", "days of data", "units"]
    table = text_table(headers, rows, "llrrr", width=width, wrap_columns=[1])
    out = [
        f"Month: {result.month} (remote therapeutic monitoring: by the calendar month and "
        "30-day periods, never by a day's minutes)",
        table,
        f"Total: {count_of(result.total_units, 'unit')} "
        f"({result.management_minutes} management minutes)",
    ]
    if result.warnings:
        out.append("Warnings:")
        out.extend(f"  - {warning}" for warning in result.warnings)
    if explain:
        out.append("Why:")
        out.extend(f"  {n}. {step}" for n, step in enumerate(result.explanation, start=1))
    if width is None:
        return "\n".join(out)
    return "\n".join(part if part is table else _wrap_note(part, width) for part in out)


def month_output_schema() -> Path:
    """The packaged JSON Schema of ``unitcalc calc --month --format json``.

    >>> json.loads(month_output_schema().read_text())["properties"]["schema_version"]["const"]
    1
    """
    return Path(__file__).parents[1] / "schemas" / "calc-month-output.schema.json"


def refuse_day_options(
    rule: object = None,
    date: object = None,
    default_discipline: object = None,
    pool_by: object = None,
    prefer: object = None,
    payers: object = None,
    *,
    payer: object = None,
    mue: object = None,
    ptp: object = None,
) -> None:
    """A day's counting options given with a month: refused, naming the first."""
    given = {
        "rule": rule, "date": date, "default_discipline": default_discipline,
        "pool_by": pool_by, "prefer": prefer, "payers": payers, "payer": payer, "mue": mue,
        "ptp": ptp,
    }  # fmt: skip
    for name, value in given.items():
        if value is not None:
            flag = "--" + name.replace("_", "-")
            raise click.UsageError(
                f"{flag} does not apply to a month: remote therapeutic monitoring is counted "
                "by the calendar month and 30-day periods, never by a day's rule (give each "
                "service its date as CODE=...@YYYY-MM-DD)"
            )
