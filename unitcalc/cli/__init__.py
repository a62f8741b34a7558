"""The ``unitcalc`` command line: parse, call the library, render.

The file commands' machinery is imported inside the commands that use it, so that
``unitcalc calc`` starts quickly.

Exit codes (mapped in one place, :class:`UnitcalcGroup`, except the findings exit):
    0  success
    1  batch: some group could not be counted; audit: some group is not ok
    2  usage or input error, a file that cannot be read, or output that cannot be
       written (a full disk): one line on stderr naming the bad token, line or column
       and the fix
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.util
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs
import click

from ..core.codes import KINDS, CodeInfo, CodeTable, define_code, iter_kind, normalize_code
from ..core.disciplines import normalize_discipline
from ..core.errors import ArgumentValue, InvalidServiceError, UnitcalcError, python_spelling
from ..core.model import Result, ServiceLine, parse_date_of_service
from ..core.text import count_of, output_width, wrap
from ..core.text import table as text_table
from ..engine.count import DEFAULT_MAX_ALTERNATIVES, POOLINGS, Pooling, calculate
from ..rules import RULES, get_rule, rule_names

if TYPE_CHECKING:
    from ..core.assistant import AssistantOptions, AssistantSplit, DeMinimis
    from ..core.mue import MueTable
    from ..engine.payers import PayerProfile
    from ..files import InputFormat, Options, Summary
    from ..files.price import Pricer
    from ..files.write import AuditFormat, AuditWriter, BatchFormat, BatchWriter
    from ..payment.fees import FeeSchedule

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INPUT = 2

JSON_SCHEMA_VERSION = 1
"""The ``schema_version`` of ``calc --format json``; its JSON Schema ships in the package
as ``unitcalc/schemas/calc-output.schema.json`` (see :func:`calc_output_schema`)."""


_FLAGS: dict[tuple[str, str], str] = {
    ("Options", "encoding"): "--encoding",
    ("Options", "delimiter"): "--delimiter",
    ("Options", "columns"): "--columns",
    ("Options", "group_by"): "--group-by",
    ("Options", "input_format"): "--input-format",
    ("Options", "profiles"): "--payers FILE",
    ("Options", "pooling"): "--pool-by",
    ("calculate", "pooling"): "--pool-by",
    ("calculate", "default_discipline"): "--default-discipline",
    ("define_code", "spec"): "--define",
    ("CodeTable.load", "path"): "--codes",
    ("load_fees", "locality"): "--locality",
    ("load_fees", "gpci"): "--gpci FILE",
}
"""The command line's flag for each Python argument a library message may name."""


def cli_spelling(
    argument: str, value: ArgumentValue = None, *, owner: str, given: bool = False
) -> str:
    """An argument as the command line gives it: ``--encoding cp1252``,
    ``--columns code=CPT``, ``--group-by claim_id``; a value the user gave is quoted, so
    that its spaces and odd characters show (``--define '97999'``).

    >>> cli_spelling("columns", {"code": "CPT"}, owner="Options")
    '--columns code=CPT'
    """
    flag = _FLAGS.get((owner, argument))
    if flag is None:  # an argument without a flag: say it as Python does
        return python_spelling(argument, value, owner=owner)
    if value is None:
        return flag
    if isinstance(value, str):
        return f"{flag} {value!r}" if given else f"{flag} {value}"
    if isinstance(value, tuple):
        return f"{flag} {','.join(value)}"
    return f"{flag} {','.join(f'{key}={item}' for key, item in value.items())}"


def _said(exc: UnitcalcError) -> str:
    """A library error's message with its arguments named by their flags."""
    return exc.worded(cli_spelling)


class InputError(click.ClickException):
    """Bad input: printed as one line, exit code 2 (like a usage error)."""

    exit_code = EXIT_INPUT


class UnitcalcGroup(click.Group):
    """Maps library errors to exit codes in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UnitcalcError as exc:
            raise InputError(_said(exc)) from exc
        except click.UsageError as exc:
            # One line, like every other input error: the message and where to look.
            command = exc.ctx.command_path if exc.ctx else "unitcalc"
            raise InputError(f"{exc.format_message()} (see '{command} --help')") from exc
        except BrokenPipeError:
            # The reader of standard output went away (| head): stop quietly.
            _drop_standard_output()
            raise SystemExit(1) from None
        except OSError as exc:
            # Standard output on a full disk (> /dev/full), say: one line, no traceback.
            with contextlib.suppress(OSError):
                sys.stdout.flush()  # what can still be written is
            _drop_standard_output()
            where = f" ({exc.filename})" if exc.filename else ""
            raise InputError(f"cannot finish the command: {exc.strerror or exc}{where}") from exc


def _drop_standard_output() -> None:
    """What standard output still holds cannot be written: drop it, so that flushing it
    at exit does not fail again with a traceback."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@click.group(cls=UnitcalcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="unitcalc", prog_name="unitcalc")
def main() -> None:
    """Billable units for timed therapy codes (97110, 97112, 97140, 97530 ...) under the
    Medicare 8-minute rule (cms), the AMA per-code midpoint rule (ama) or a contract's
    round-up rule (commercial-15).

    Exit codes: 0 success; 1 batch: a group could not be counted, audit: a group is
    not ok; 2 bad usage or input (one line on stderr).
    """


def _table_options(function: F) -> F:
    """--codes and --define: extend or override the code table."""
    function = click.option(
        "--define",
        "definitions",
        multiple=True,
        metavar="CODE=KIND",
        help="Declare or override one code: CODE=timed, CODE=timed/30 (30-minute units) "
        "or CODE=untimed. Repeatable.",
    )(function)
    return click.option(
        "--codes",
        "codes_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="A TOML code table of your own, laid over the packaged one.",
    )(function)


def _counting_options(function: F) -> F:
    """--pool-by, --prefer, --payers, --payer and --mue, shared by calc, batch and audit."""
    function = click.option(
        "--mue",
        "mue_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The CMS practitioner MUE table (CSV as published) to check units against.",
    )(function)
    function = click.option(
        "--payer",
        metavar="NAME",
        help="The payer profile (from --payers) to count by: its rule, caps and minimums.",
    )(function)
    function = click.option(
        "--payers",
        "payers_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="A TOML file of payer profiles (see docs/payers.md).",
    )(function)
    function = click.option(
        "--prefer",
        metavar="CODE,CODE...",
        default=None,
        help="Tie preference: codes to favour, first first, when leftovers tie "
        "(default: the payer profile's, if any).",
    )(function)
    return click.option(
        "--pool-by",
        type=click.Choice(POOLINGS),
        default=None,
        help="Pool timed minutes per discipline (PT, OT, SLP apart; the default) or for the "
        "whole day.",
    )(function)


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class _Counting:
    """The counting options as given on the command line, loaded."""

    payer: PayerProfile | None
    profiles: dict[str, PayerProfile]
    profiles_path: str
    mue: MueTable | None


def _counting(payers_file: Path | None, payer: str | None, mue_file: Path | None) -> _Counting:
    profiles: dict[str, PayerProfile] = {}
    selected = None
    if payers_file:
        from ..engine.payers import load_profiles  # loaded only when profiles are used

        profiles = load_profiles(payers_file)
    if payer:
        from ..engine.payers import select as select_profile

        if not payers_file:
            raise click.UsageError("--payer needs --payers FILE, the file of payer profiles")
        selected = select_profile(profiles, payer, path=str(payers_file))
    mue = None
    if mue_file:
        from ..core.mue import MueTable

        mue = MueTable.load(mue_file)
    return _Counting(selected, profiles, str(payers_file or ""), mue)


def _rule_option(function: F) -> F:
    return click.option(
        "--rule",
        type=click.Choice(rule_names(), case_sensitive=False),
        help="Counting rule (default cms). 'unitcalc rules' describes each.",
    )(function)


def _prefer(text: str | None) -> list[str] | None:
    """The codes of ``--prefer``, each checked for a code's shape (a file run would
    otherwise meet a bad one only at a tie, or never)."""
    if text is None:
        return None
    codes = [code for code in text.split(",") if code.strip()]
    for code in codes:
        try:
            normalize_code(code)
        except InvalidServiceError as exc:
            raise click.UsageError(f"--prefer {text}: {exc}") from None
    return codes


def _code_table(codes_file: Path | None, definitions: Sequence[str]) -> CodeTable:
    table = CodeTable.load(codes_file) if codes_file else CodeTable.default()
    for spec in definitions:
        info = define_code(spec)
        known = table.codes.get(info.code)
        if known is not None:
            # Redefining a packaged code keeps its label, and its add-on link when the
            # new definition is still timed.
            unit = f"/{info.unit_minutes}" if info.unit_minutes else ""
            info = attrs.evolve(
                info,
                label=f"{known.label} (redefined: {info.kind}{unit})",
                addon_of=known.addon_of if info.timed else None,
            )
        table = table.with_codes(info)
    return table


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


def _read_json_input(stream: Any) -> tuple[str, str]:
    label = getattr(stream, "name", "-")
    name = "<stdin>" if label in {"-", "<stdin>"} else str(label)
    try:
        return name, stream.read()
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: byte {exc.start} is not UTF-8; save the JSON as UTF-8") from None


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class _JsonInput:
    """What ``calc --input`` read: the rule, the date of service and the lines."""

    rule: str | None
    date_of_service: datetime.date | None
    lines: list[ServiceLine]


def _services_from_json(stream_name: str, text: str) -> _JsonInput:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{stream_name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except RecursionError:
        raise InputError(f"{stream_name}: JSON nested too deeply") from None
    if not isinstance(document, dict) or not isinstance(document.get("services"), list):
        raise InputError(
            f'{stream_name}: expected an object {{"services": [{{"code": "97110", '
            '"minutes": 33}, ...]}'
        )
    unknown = sorted(set(document) - {"rule", "services", "date_of_service"})
    if unknown:
        raise InputError(
            f"{stream_name}: unknown key {unknown[0]!r}; expected rule, date_of_service "
            "and services"
        )
    try:
        date_of_service = parse_date_of_service(document.get("date_of_service"))
    except UnitcalcError as exc:
        raise InputError(f"{stream_name}: date_of_service: {_said(exc)}") from exc
    rule = document.get("rule")
    if rule is not None:
        if not isinstance(rule, str):
            raise InputError(f'{stream_name}: rule must be text such as "cms"')
        try:
            rule = get_rule(rule).name
        except UnitcalcError as exc:
            raise InputError(f"{stream_name}: rule: {_said(exc)}") from exc
    lines = []
    for index, entry in enumerate(document["services"]):
        where = f"{stream_name}: services[{index}]"
        if not isinstance(entry, dict) or "code" not in entry:
            raise InputError(f'{where}: expected an object with "code" and "minutes"')
        extra = sorted(set(entry) - {"code", "minutes", "discipline", "assistant_minutes"})
        if extra:
            raise InputError(
                f"{where}: unknown key {extra[0]!r}; expected code, minutes, discipline, "
                "assistant_minutes"
            )
        try:
            lines.append(
                ServiceLine(
                    entry["code"],
                    entry.get("minutes"),
                    discipline=entry.get("discipline"),
                    assistant_minutes=entry.get("assistant_minutes"),
                )
            )
        except InvalidServiceError as exc:
            raise InputError(f"{where}.{exc.field}: {_said(exc)}") from exc
    return _JsonInput(rule, date_of_service, lines)


@main.command()
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
@_table_options
def calc(
    services: tuple[str, ...],
    rule: str | None,
    output_format: str,
    explain: bool,
    input_file: Any,
    date_text: str | None,
    default_discipline: str | None,
    pool_by: Pooling | None,
    prefer: str | None,
    payers_file: Path | None,
    payer: str | None,
    mue_file: Path | None,
    max_alternatives: int,
    assistant_two_units: bool,
    de_minimis: DeMinimis,
    codes_file: Path | None,
    definitions: tuple[str, ...],
) -> None:
    """Units for one patient's day.

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
    """
    lines = [parse_service(token) for token in services]
    file_rule = None
    file_date = None
    from_file: list[ServiceLine] = []
    name = ""
    if input_file is not None:
        name, text = _read_json_input(input_file)
        document = _services_from_json(name, text)
        file_rule, file_date, from_file = document.rule, document.date_of_service, document.lines
        lines.extend(from_file)
    try:
        given_date = parse_date_of_service(date_text)
        fallback = normalize_discipline(default_discipline)
    except UnitcalcError as exc:
        option = (
            "--date" if getattr(exc, "field", "") == "date_of_service" else "--default-discipline"
        )
        raise click.UsageError(f"{option}: {_said(exc)}") from exc
    # The default date belongs to the command line, not the core: today.
    date_of_service = given_date or file_date or datetime.date.today()
    if not lines:
        raise click.UsageError("give at least one service, e.g. unitcalc calc 97110=33 97140=7")
    counting = _counting(payers_file, payer, mue_file)
    try:
        result = calculate(
            lines,
            rule=rule or (file_rule if counting.payer is None else None),
            payer=counting.payer,
            tie_preference=_prefer(prefer),
            pooling=pool_by,
            codes=_code_table(codes_file, definitions),
            max_alternatives=max_alternatives,
            mue=counting.mue,
            date_of_service=date_of_service,
            default_discipline=fallback,
            assistant_options=_assistant_options(assistant_two_units, de_minimis),
        )
    except UnitcalcError as exc:
        code = getattr(exc, "code", None)
        indices = [i for i, line in enumerate(from_file) if line.code == code]
        if indices and not any(line.code == code for line in lines[: len(lines) - len(from_file)]):
            raise InputError(f"{name}: services[{indices[0]}]: {_said(exc)}") from exc
        raise
    if output_format == "json":
        click.echo(
            json.dumps({"schema_version": JSON_SCHEMA_VERSION, **result.to_dict()}, indent=2)
        )
    else:
        click.echo(render_result(result, explain=explain, width=output_width()))


def calc_output_schema() -> Path:
    """The packaged JSON Schema of ``unitcalc calc --format json``.

    >>> json.loads(calc_output_schema().read_text())["properties"]["schema_version"]
    {'const': 1, 'description': 'The version of this shape.'}
    """
    return Path(__file__).parents[1] / "schemas" / "calc-output.schema.json"


def _assistant_options(two_units: bool, de_minimis: DeMinimis) -> AssistantOptions | None:
    """The assistant options, or None for the defaults (then nothing more is loaded)."""
    if two_units and de_minimis == "more-than":
        return None
    from ..core.assistant import AssistantOptions

    return AssistantOptions(split_two_final_units=two_units, de_minimis=de_minimis)


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


def _wrap_note(text: str, width: int) -> str:
    """A note line wrapped to ``width``, its continuation lines indented under its text
    (past a list's ``- `` or ``1. `` marker)."""
    body = text.lstrip(" ")
    indent = text[: len(text) - len(body)]
    marker = re.match(r"- |\d+\. ", body)
    hang = indent + " " * (len(marker.group()) if marker else 2)
    return wrap(body, width, indent=indent, hang=hang)


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


TERMINAL_FINDINGS = 50
"""Findings shown on a terminal before the note saying how to get them all."""


def _progress() -> Callable[[int, int, int], None] | None:
    """A progress bar with its ETA on stderr while a file is counted, only on a
    terminal; it reaches 100% when the run is done."""
    if not sys.stderr.isatty():
        return None
    bar: Any = None

    def show(rows: int, position: int, size: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(
                length=max(size, 1), label="Counting", file=sys.stderr, show_eta=True
            )
        bar.update(max(0, min(position, size) - bar.pos))
        if position >= size:
            bar.render_finish()

    return show


def _manifest_option(function: F) -> F:
    return click.option(
        "--manifest",
        "manifest_path",
        type=click.Path(path_type=Path),
        help="Also write the run manifest (input file and SHA-256, rows read, version, "
        "code-table date, rule, payer, options, time) as JSON, for outputs without room "
        "for it (CSV, JSON Lines, the table).",
    )(function)


def _excel_bom_option(function: F) -> F:
    return click.option(
        "--excel-bom",
        is_flag=True,
        help="Start a CSV output with a UTF-8 byte-order mark, so that Excel reads its "
        "accents right.",
    )(function)


def _file_options(function: F) -> F:
    """Options of the commands that read visit files."""
    for decorator in reversed(
        [
            click.argument("file", metavar="FILE|-"),
            _rule_option,
            click.option(
                "--group-by",
                metavar="COLUMN,COLUMN...",
                default="",
                help="Columns that identify a group (default: patient_id + date_of_service, "
                "else visit_id).",
            ),
            click.option(
                "--input-format",
                type=click.Choice(["csv", "jsonl", "parquet"]),
                help="Input format (default: by file name; .jsonl/.ndjson is JSON Lines, "
                ".parquet is Parquet).",
            ),
            click.option(
                "--encoding",
                default=None,
                help="Text encoding of the input (default: detected; UTF-8 unless the bytes "
                "say otherwise, a byte-order mark is accepted).",
            ),
            click.option(
                "--delimiter",
                default=None,
                help="CSV field delimiter, e.g. ';' or a tab ($'\\t') (default: detected "
                "from the first lines: comma, semicolon, tab or bar).",
            ),
            click.option(
                "--columns",
                "column_map",
                metavar="ROLE=HEADER,...",
                default="",
                help="Which header plays which role, e.g. code=CPT,date_of_service=DOS "
                "(default: the role's own name, else a built-in alias such as CPT, HCPCS, "
                "DOS, Units, MRN, Rendering Provider).",
            ),
            click.option(
                "--output",
                type=click.Path(path_type=Path),
                help="Write here (atomically) instead of to standard output ('-').",
            ),
            click.option(
                "--strict", is_flag=True, help="Stop with exit 2 at the first row that is unusable."
            ),
            _counting_options,
            _table_options,
        ]
    ):
        function = decorator(function)
    return function


def _options(
    *,
    rule: str | None,
    group_by: str,
    input_format: InputFormat | None,
    encoding: str | None,
    delimiter: str | None,
    column_map: str,
    strict: bool,
    pool_by: Pooling | None,
    prefer: str | None,
    payers_file: Path | None,
    payer: str | None,
    mue_file: Path | None,
    codes_file: Path | None,
    definitions: Sequence[str],
    need_billed: bool,
) -> Options:
    from ..files import Options, group_columns

    counting = _counting(payers_file, payer, mue_file)
    preference = _prefer(prefer)
    if delimiter is not None and len(delimiter) != 1:
        raise click.UsageError(f"--delimiter {delimiter!r}: give one character, e.g. ';'")
    if delimiter is not None and (delimiter in "\"'\\ \r\n" or delimiter.isalnum()):
        raise click.UsageError(
            f"--delimiter {delimiter!r} cannot separate fields (it quotes, escapes, is a "
            "space or a line break, or is part of values): give e.g. ';', '|' or a tab"
        )
    columns: dict[str, str] = {}
    for part in filter(None, (part.strip() for part in column_map.split(","))):
        role, sign, header = part.partition("=")
        if not sign or not role.strip() or not header.strip():
            raise click.UsageError(
                f"--columns {part!r}: write ROLE=HEADER, e.g. code=CPT,date_of_service=DOS"
            )
        columns[role.strip().lower()] = header.strip()
    return Options(
        delimiter=delimiter,
        columns=columns,
        rule=get_rule(rule).name if rule else None,
        payer=counting.payer.name if counting.payer else None,
        profiles=counting.profiles,
        profiles_path=counting.profiles_path,
        mue=counting.mue,
        group_by=group_columns(group_by.split(",")) if group_by else (),
        input_format=input_format,
        encoding=encoding,
        pooling=pool_by,
        tie_preference=tuple(preference) if preference is not None else None,
        codes=_code_table(codes_file, definitions),
        strict=strict,
        need_billed=need_billed,
        spelling=cli_spelling,
    )


@contextlib.contextmanager
def _input_path(file: str) -> Iterator[tuple[Path | bytes, str]]:
    """The input as a path, or standard input ('-') as its bytes, read once into memory:
    no copy of patient data is left on disk, whatever ends the run."""
    if file != "-":
        yield Path(file), file
        return
    yield sys.stdin.buffer.read(), "<stdin>"


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _run(
    file: str,
    options: Options,
    writer: BatchWriter | AuditWriter,
    output: Path | None,
    *,
    bom: bool = False,
    report: Path | None = None,
    settings: dict[str, Any] | None = None,
    manifest_path: Path | None = None,
    pricer: Pricer | None = None,
) -> Summary:
    from ..files import run_groups
    from ..files.write import atomic_output, check_output

    progress = _progress()
    # SIGTERM ends the run as an error does: a half-written report is removed.
    signal.signal(signal.SIGTERM, _terminated)
    with contextlib.closing(writer):
        output = check_output(
            output, input_path=None if file == "-" else Path(file), stdin=file == "-"
        )
        given = None if file == "-" else Path(file)
        _check_extras(output, given, stdin=file == "-", report=report, manifest_path=manifest_path)
        try:
            with _input_path(file) as (path, display):
                summary = run_groups(
                    path,
                    options,
                    writer.consume if pricer is None else pricer.wrap(writer.consume),
                    reset=writer.reset,
                    on_progress=progress,
                    display=display,
                )
                if pricer is not None:
                    pricer.finish(summary)
                summary.manifest = _manifest(path, display, summary, options, settings or {})
            with atomic_output(output, bom=bom) as out:
                writer.finish(out, summary)
            _extras(writer, summary, display, report=report, manifest_path=manifest_path)
        except BrokenPipeError:
            # The reader of standard output went away (| head): stop quietly, as other
            # tools do; flushing at exit would only fail again.
            _drop_standard_output()
            raise SystemExit(1) from None
        except OSError as exc:
            # A full disk, a folder gone: said in one line, never a traceback.
            where = f" ({exc.filename})" if exc.filename else ""
            raise InputError(f"cannot finish the run: {exc.strerror or exc}{where}") from exc
    return summary


def _extras(
    writer: BatchWriter | AuditWriter,
    summary: Summary,
    display: str,
    *,
    report: Path | None,
    manifest_path: Path | None,
) -> None:
    """The run's other outputs, once the main one is written: --manifest and --report."""
    from ..files.write import atomic_output

    if manifest_path is not None:
        with atomic_output(manifest_path) as out:
            assert summary.manifest is not None
            json.dump(summary.manifest | {"read": summary.input_dict()}, out, indent=2)
            out.write("\n")
    if report is not None:
        from ..files.report import write_report
        from ..files.write import AuditWriter, audit_columns

        assert isinstance(writer, AuditWriter)
        assert writer.kept is not None
        with atomic_output(report) as out:
            write_report(
                out,
                summary,
                audit_columns(writer.key_roles, amounts=writer.amounts),
                writer.kept,
                title=f"unitcalc audit of {Path(display).name}",
            )


def _check_extras(
    output: Path | None,
    given: Path | None,
    *,
    stdin: bool,
    report: Path | None,
    manifest_path: Path | None,
) -> None:
    """Refuse, before any work, a --report or --manifest that cannot be written."""
    from ..files.write import check_output

    for option, other in [("--report", report), ("--manifest", manifest_path)]:
        if other is None:
            continue
        check_output(other, input_path=given, stdin=stdin, option=option)
        if output is not None and other.resolve() == output.resolve():
            raise click.UsageError(f"{option} {other} is also --output; give another file")


def _run_spark(
    file: str,
    options: Options,
    writer: AuditWriter,
    output: Path | None,
    *,
    master: str,
    bom: bool,
    report: Path | None,
    settings: dict[str, Any],
    manifest_path: Path | None,
) -> Summary:
    """``audit --engine spark``: the same outputs as the local engine, the findings
    counted on Spark (:mod:`unitcalc.spark`); ``--format parquet`` writes a folder."""
    from ..core.errors import OutputProblem
    from ..engine.audit import STATUSES
    from ..files.write import atomic_output, check_output

    if file == "-":
        raise click.UsageError("--engine spark reads a file or a folder, not standard input")
    if options.strict:
        raise click.UsageError(
            "--strict stops at the first unusable row, which Spark cannot do: leave it out "
            "(such rows are counted invalid) or use --engine local"
        )
    if options.encoding is not None and options.encoding.lower() not in ("utf-8", "utf8"):
        raise click.UsageError(
            f"--encoding {options.encoding}: the Spark engine reads UTF-8 only; convert the "
            "file or use --engine local"
        )
    given = Path(file) if Path(file).is_file() else None
    folder = None
    if writer.format == "parquet":
        if output is None:
            raise click.UsageError(
                "--engine spark --format parquet writes a folder of Parquet files: give "
                "--output FOLDER"
            )
        if output.exists():
            raise OutputProblem(
                f"--output {output} already exists: give a new folder for the findings' files"
            )
        folder, output = output, None
    else:
        output = check_output(output, input_path=given)
    _check_extras(output or folder, given, stdin=False, report=report, manifest_path=manifest_path)
    from ..spark import audit_path, available, session

    available()
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession

    running = SparkSession.getActiveSession()
    spark = session(master, app="unitcalc audit")
    try:
        result, summary = audit_path(
            spark, file, options, show_all=writer.show_all, detail=folder is None
        )
        summary.manifest = _manifest(Path(file), file, summary, options, settings)
        if folder is not None:
            result.findings.write.parquet(str(folder))
            summary.counts = {status: summary.counts.get(status, 0) for status in STATUSES}
            with atomic_output(folder / "_unitcalc_summary.json") as out:
                json.dump(summary.to_dict(), out, indent=2)
                out.write("\n")
        else:
            for group in result.groups():
                writer.consume(group)
            with atomic_output(output, bom=bom) as out:
                writer.finish(out, summary)
        _extras(writer, summary, file, report=report, manifest_path=manifest_path)
    except (PySparkException, Py4JError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"Spark could not finish the audit of {file}: {first}") from exc
    finally:
        writer.close()
        if running is None:
            spark.stop()
    return summary


def _manifest(
    source: Path | bytes,
    display: str,
    summary: Summary,
    options: Options,
    settings: dict[str, Any],
) -> dict[str, Any]:
    """How the run was made: the input (name, SHA-256), rows read, unitcalc's version,
    the code table's newest date, the rule, the payer, the options given, the time.
    ``SOURCE_DATE_EPOCH`` fixes the time, for reproducible outputs."""
    import hashlib
    import os

    from .. import __version__
    from ..core.codes import CodeTable
    from ..files.write import code_table_date

    digest = hashlib.sha256()
    if isinstance(source, bytes):
        digest.update(source)
    elif source.is_file():
        with source.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    # A named pipe was read once and is gone: it has no checksum to give.
    sha256 = digest.hexdigest() if isinstance(source, bytes) or source.is_file() else None
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    now = (
        datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)
        if epoch.isdigit()
        else datetime.datetime.now(datetime.UTC)
    )
    table = options.codes if options.codes is not None else CodeTable.default()
    given = {
        name: (str(value) if isinstance(value, Path) else value)
        for name, value in settings.items()
        if value not in (None, "", (), False)
    }
    return {
        "input": Path(display).name if display != "<stdin>" else display,
        "input_sha256": sha256,
        "rows_read": summary.rows_read,
        "unitcalc_version": __version__,
        "code_table_date": code_table_date(table),
        "rule": options.rule or "cms",
        "payer": options.payer,
        "options": given,
        "run_at": now.isoformat(timespec="seconds"),
    }


@main.command()
@_file_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default="csv",
    show_default=True,
    help="Output format.",
)
@_excel_bom_option
@_manifest_option
@click.option(
    "--per-row",
    is_flag=True,
    help="Write every input row back with a units column (a code's units on its first row "
    "in the group), instead of one row per group and code.",
)
@click.pass_context
def batch(
    ctx: click.Context,
    /,
    file: str,
    output: Path | None,
    output_format: BatchFormat,
    per_row: bool,
    excel_bom: bool,
    manifest_path: Path | None,
    **reading: Any,
) -> None:
    """Units for every group of a visit file (CSV or JSON Lines).

    One output row per group and code (the claim line), or with --per-row every input
    row with its units. Exit codes: 0 every group counted; 1 some groups could not be
    counted (status invalid, with the reason); 2 the run could not be done.
    """
    from ..files.write import BatchWriter

    options = _options(need_billed=False, **reading)
    _binary_to_terminal(output_format, output)
    settings = {
        "format": output_format,
        "output": output,
        "per_row": per_row,
        "excel_bom": excel_bom,
        "manifest": manifest_path,
        **reading,
    }
    summary = _run(
        file,
        options,
        BatchWriter(output_format, per_row=per_row),
        output,
        bom=excel_bom and output_format == "csv",
        settings=settings,
        manifest_path=manifest_path,
    )
    from ..files.write import reading_text

    note = reading_text(summary)
    if note:
        # batch has no summary of its own: how the file was read goes to stderr.
        click.echo(note.rstrip("\n"), err=True)
    if summary.counts.get("invalid"):
        ctx.exit(1)


@main.command()
@_file_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json", "parquet", "xlsx"]),
    default="table",
    show_default=True,
    help="A report for people, CSV of the findings, JSON with summary and findings, a "
    "Parquet table of the findings, or an Excel workbook (summary, findings, providers) "
    "(give --output for parquet and xlsx).",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    help="Also write one self-contained HTML file (opens offline): summary, charts, the "
    "findings and the run manifest.",
)
@_excel_bom_option
@_manifest_option
@click.option("--all", "show_all", is_flag=True, help="List ok groups too (with the reasoning).")
@click.option(
    "--explain", is_flag=True, help="Give each finding the step-by-step reasoning of its count."
)
@click.option("--summary-only", is_flag=True, help="Write the summary only, without the findings.")
@click.option(
    "--fees",
    "fees_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Price the findings: the CMS PPRRVU or PFALL file as downloaded, or a CSV "
    "code,amount[,modifier] (see docs/payment.md). Adds dollars and the KX threshold.",
)
@click.option(
    "--gpci",
    "gpci_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With a PPRRVU --fees file: the GPCI file of the same release (locality amounts; "
    "without it, national amounts).",
)
@click.option(
    "--locality",
    metavar="MAC-NN",
    help="The payment locality for rows without a locality column, e.g. 01112-05 (or 05 "
    "when one contractor uses it).",
)
@click.option(
    "--fee-setting",
    type=click.Choice(["non-facility", "facility"]),
    default="non-facility",
    show_default=True,
    help="Which amounts of the fee file to use.",
)
@click.option(
    "--kx-start",
    "kx_start_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A CSV patient_id,year,pt_slp,ot of amounts already incurred that year elsewhere "
    "(counted toward the KX threshold).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="Count here, or on Apache Spark (pip install 'unitcalc[spark]', Java 17+): FILE is "
    "then a Parquet or CSV file or folder, and --format parquet writes a folder.",
)
@click.option(
    "--master",
    default="local[*]",
    show_default=True,
    help="With --engine spark: the Spark master URL (local[N], spark://HOST:PORT, yarn ...).",
)
@click.pass_context
def audit(
    ctx: click.Context,
    /,
    file: str,
    output: Path | None,
    output_format: AuditFormat,
    show_all: bool,
    explain: bool,
    summary_only: bool,
    engine: str,
    master: str,
    report: Path | None,
    excel_bom: bool,
    manifest_path: Path | None,
    fees_file: Path | None,
    gpci_file: Path | None,
    locality: str | None,
    fee_setting: Literal["non-facility", "facility"],
    kx_start_file: Path | None,
    **reading: Any,
) -> None:
    """Check billed units (column billed_units) against the rule, group by group.

    Statuses: ok, over, under, misallocated (right total, wrong codes), invalid (could
    not be evaluated). With --fees each finding carries dollars and lines past the KX
    threshold without KX are listed. Exit codes: 0 every group ok; 1 some group is not
    ok, or a KX threshold finding; 2 the run could not be done.
    """
    from ..files.write import AuditWriter

    options = _options(need_billed=True, **reading)
    pricer = _pricer(fees_file, gpci_file, locality, fee_setting, kx_start_file, options)
    if pricer is not None:
        pricer.explanations = explain or show_all
    # Pricing sees every group (ok ones too: their dollars count): those settled ok in
    # columns are handed to it with their rows (price_columns), not evaluated one by one.
    # The writer still lists only the findings unless --all.
    options = attrs.evolve(
        options, only_findings=not show_all, explain=explain, price_columns=pricer is not None
    )
    if output_format == "xlsx" and output is None:
        raise click.UsageError("--format xlsx writes a workbook: give --output FILE.xlsx")
    _binary_to_terminal(output_format, output)
    settings = {
        "format": output_format,
        "all": show_all,
        "explain": explain,
        "output": output,
        "report": report,
        "excel_bom": excel_bom,
        "manifest": manifest_path,
        **reading,
    }
    # On a terminal the findings are capped and the summary comes last, where it stays
    # in sight; a file or a pipe gets everything, the summary first.
    terminal = output is None and output_format == "table" and sys.stdout.isatty()
    writer = AuditWriter(
        output_format,
        show_all=show_all,
        keep_findings=report is not None,
        summary_only=summary_only,
        terminal_cap=TERMINAL_FINDINGS if terminal else None,
        amounts=pricer is not None,
    )
    if engine == "spark":
        if pricer is not None:
            raise click.UsageError(
                "pricing (--fees, or a payer profile's fees) runs on the local engine only: "
                "leave out --engine spark to price the findings"
            )
        settings |= {"engine": engine, "master": master}
        summary = _run_spark(
            file,
            options,
            writer,
            output,
            master=master,
            bom=excel_bom and output_format == "csv",
            report=report,
            settings=settings,
            manifest_path=manifest_path,
        )
    else:
        summary = _run(
            file,
            options,
            writer,
            output,
            bom=excel_bom and output_format == "csv",
            report=report,
            settings=settings,
            manifest_path=manifest_path,
            pricer=pricer,
        )
    kx = summary.payment["kx"]["findings"] if summary.payment else []
    if (
        summary.edits
        or kx
        or any(count for status, count in summary.counts.items() if status != "ok")
    ):
        ctx.exit(1)


def _binary_to_terminal(output_format: str, output: Path | None) -> None:
    """Refuse to write Parquet (binary) to a terminal."""
    if output_format == "parquet" and output is None and sys.stdout.isatty():
        raise click.UsageError(
            "--format parquet writes binary data: give --output FILE.parquet (or redirect "
            "standard output to a file)"
        )


def _pricer(
    fees_file: Path | None,
    gpci_file: Path | None,
    locality: str | None,
    setting: Literal["non-facility", "facility"],
    kx_start_file: Path | None,
    options: Options,
) -> Pricer | None:
    """The audit's pricing, when --fees or a payer profile names a fee file."""
    given = {"--gpci": gpci_file, "--locality": locality, "--kx-start": kx_start_file}
    from ..files.price import Pricer, profile_schedules
    from ..files.starting import load_starting
    from ..payment.fees import load_fees

    def load(path: str | Path) -> FeeSchedule:
        return load_fees(path, gpci=gpci_file, locality=locality, setting=setting)

    schedules = profile_schedules(options.profiles, load)
    if fees_file is None and not schedules:
        unused = [name for name, value in given.items() if value is not None]
        if unused:
            raise click.UsageError(f"{unused[0]} prices findings: give --fees FILE too")
        return None
    return Pricer(
        load(fees_file) if fees_file is not None else None,
        starting=load_starting(kx_start_file) if kx_start_file is not None else {},
        schedules=schedules,
    )


@main.command()
@click.option(
    "--kind",
    type=click.Choice([*KINDS, "all"]),
    default="all",
    show_default=True,
    help="Show only timed, untimed, monthly or deleted codes.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@_table_options
def codes(
    kind: str, output_format: str, codes_file: Path | None, definitions: tuple[str, ...]
) -> None:
    """List the code table: timed, untimed, monthly and deleted codes, with the window in
    which each is valid."""
    table = _code_table(codes_file, definitions)
    entries = list(iter_kind(table, KINDS if kind == "all" else [kind]))  # type: ignore[list-item]
    if output_format == "json":
        click.echo(json.dumps([info.to_dict() for info in entries], indent=2))
        return
    rows = [
        [
            info.code,
            info.kind,
            str(info.unit_minutes or ""),
            info.label,
            info.window,
            _relation(info),
        ]
        for info in entries
    ]
    click.echo(
        text_table(
            ["code", "kind", "unit min", "label", "valid", "notes"],
            rows,
            "llrlll",
            width=output_width(),
            wrap_columns=[3, 4, 5],
        )
    )


def _relation(info: CodeInfo) -> str:
    parts = []
    if info.deleted and info.deleted_on:
        parts.append(f"deleted {info.deleted_on.isoformat()}, use {', '.join(info.replaced_by)}")
        if info.valid_kind:
            parts.append(f"counted {info.valid_kind} while valid")
    if info.monthly_counting:
        parts.append(f"monthly: {info.monthly_counting}")
    if info.addon_of:
        parts.append(f"add-on of {info.addon_of}")
    if info.note:
        parts.append(info.note)
    return "; ".join(parts)


@main.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
def rules(output_format: str) -> None:
    """List the counting rules with a description and source."""
    if output_format == "json":
        click.echo(json.dumps([rule.to_dict() for rule in RULES.values()], indent=2))
        return
    width = output_width()
    for rule in RULES.values():
        aliases = f" (also: {', '.join(rule.aliases)})" if rule.aliases else ""
        click.echo(wrap(f"{rule.name}{aliases}: {rule.title}", width, hang="    "))
        click.echo(wrap(rule.summary, width, indent="    ", hang="    "))
        click.echo(wrap(f"Source: {rule.source}", width, indent="    ", hang="      "))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port."
)
@click.option(
    "--payers",
    "payers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Payer profiles the page and the API may use (see docs/payers.md).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes serving requests.  [default: one per core]",
)
@click.option(
    "--allow-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Another name clients reach the server by (its Host header); loopback names "
    "and --host are always allowed. Repeatable.",
)
def serve(
    host: str,
    port: int,
    payers_file: Path | None,
    workers: int | None,
    allowed_hosts: tuple[str, ...],
) -> None:
    """Start the front-desk page and the HTTP API (needs: pip install 'unitcalc[web]').

    The page and the API listen on this machine only (127.0.0.1) unless --host says
    otherwise, and answer only requests addressed to a loopback name, --host or an
    --allow-host name. An address it cannot listen on (a port in use) exits 2.
    """
    try:
        import uvicorn

        from ..web.server import ENV_HOSTS, ENV_PAYERS, FACTORY, uvicorn_options

        # Found, not imported: with several workers only they load the application.
        if importlib.util.find_spec("fastapi") is None:
            raise ModuleNotFoundError(name="fastapi")
    except ImportError as exc:
        raise InputError(
            f"unitcalc serve needs the web extra ({exc.name} is missing): "
            "pip install 'unitcalc[web]'"
        ) from exc
    from ..engine.payers import load_profiles

    profiles = load_profiles(payers_file) if payers_file else {}  # errors show here, once
    names = [host, *allowed_hosts]
    workers = workers or os.cpu_count() or 1
    options = uvicorn_options(host, port)
    _check_address(host, port)
    click.echo(f"unitcalc: open http://{host}:{port}/ in a browser; Ctrl+C stops", err=True)
    try:
        if workers == 1:
            from ..web.app import create_app

            app = create_app(
                profiles=profiles, profiles_path=str(payers_file or ""), allowed_hosts=names
            )
            uvicorn.run(app, **options)
            return
        # Each worker process builds its own application from these.
        os.environ[ENV_PAYERS] = str(payers_file.resolve()) if payers_file else ""
        os.environ[ENV_HOSTS] = ",".join(names)
        uvicorn.run(FACTORY, factory=True, workers=workers, **options)
    except SystemExit as exc:
        # uvicorn exits 3 when it cannot start (the port taken since the check above).
        if exc.code == 3:
            raise InputError(
                f"the server could not start on {host}:{port}{_port_hint(port)}"
            ) from None
        raise


def _port_hint(port: int) -> str:
    return f"; choose another port with --port, e.g. --port {port + 1 if port < 65535 else 8000}"


def _check_address(host: str, port: int) -> None:
    """An input error (exit 2) when the server could not listen on ``host:port``: the
    port is taken, reserved, or the address is not this machine's."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"--host {host}: not an address of this machine ({exc})") from None
    with socket.socket(family, kind, proto) as probe:
        # As the server will: an old connection in TIME_WAIT does not block the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                problem = f"port {port} on {host} is in use by another program"
            elif exc.errno == errno.EACCES:
                problem = f"port {port} needs administrator rights (ports below 1024 do)"
            else:
                problem = f"cannot listen on {host}:{port} ({exc.strerror})"
            raise InputError(f"{problem}{_port_hint(port)}") from None
