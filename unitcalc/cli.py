"""The ``unitcalc`` command line: parse, call the library, render.

Exit codes (one place, :class:`UnitcalcGroup`):
    0  success
    2  usage or input error: a one-line message on stderr naming the bad token
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from tabulate import tabulate

from . import __version__
from .codes import KINDS, CodeInfo, CodeTable, define_code, iter_kind
from .engine import DEFAULT_MAX_ALTERNATIVES, POOLINGS, Pooling, calculate
from .errors import InvalidServiceError, UnitcalcError
from .model import Result, ServiceLine
from .rules import RULES, get_rule, rule_names

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INPUT = 2


class InputError(click.ClickException):
    """Bad input: printed as one line, exit code 2 (like a usage error)."""

    exit_code = EXIT_INPUT


class UnitcalcGroup(click.Group):
    """Maps library errors to exit codes in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UnitcalcError as exc:
            raise InputError(str(exc)) from exc
        except click.UsageError as exc:
            # One line, like every other input error: the message and where to look.
            command = exc.ctx.command_path if exc.ctx else "unitcalc"
            raise InputError(f"{exc.format_message()} (see '{command} --help')") from exc


@click.group(cls=UnitcalcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unitcalc")
def main() -> None:
    """Billable units for timed therapy codes (97110, 97112, 97140, 97530 ...) under the
    Medicare 8-minute rule (cms) or the AMA per-code midpoint rule (ama).

    Exit codes: 0 success; 2 bad usage or input (one line on stderr).
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


def _code_table(codes_file: Path | None, definitions: Sequence[str]) -> CodeTable:
    table = CodeTable.load(codes_file) if codes_file else CodeTable.default()
    if definitions:
        table = table.with_codes(*(define_code(spec) for spec in definitions))
    return table


def parse_service(token: str) -> ServiceLine:
    """A command-line service: ``CODE[-DISCIPLINE][=MINUTES]``, e.g. ``97110=33``,
    ``97110-GP=33``, ``97161`` or ``97161-PT=45``."""
    left, sep, minutes = token.partition("=")
    code, dash, discipline = left.partition("-")
    if sep and not minutes.strip():
        raise InvalidServiceError(
            f"{token!r}: minutes are missing after '='; write CODE=MINUTES such as 97110=33",
            code=code,
            field="minutes",
            value=minutes,
        )
    try:
        return ServiceLine(code, minutes if sep else None, discipline=discipline if dash else None)  # type: ignore[arg-type]
    except InvalidServiceError as exc:
        raise InvalidServiceError(
            f"{token!r}: {exc}", code=exc.code, field=exc.field, value=exc.value
        ) from exc


def _services_from_json(stream_name: str, text: str) -> tuple[str | None, list[ServiceLine]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{stream_name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(document, dict) or not isinstance(document.get("services"), list):
        raise InputError(
            f'{stream_name}: expected an object {{"services": [{{"code": "97110", '
            '"minutes": 33}, ...]}'
        )
    unknown = sorted(set(document) - {"rule", "services"})
    if unknown:
        raise InputError(f"{stream_name}: unknown key {unknown[0]!r}; expected rule and services")
    rule = document.get("rule")
    if rule is not None and not isinstance(rule, str):
        raise InputError(f'{stream_name}: rule must be text such as "cms"')
    lines = []
    for index, entry in enumerate(document["services"]):
        where = f"{stream_name}: services[{index}]"
        if not isinstance(entry, dict) or "code" not in entry:
            raise InputError(f'{where}: expected an object with "code" and "minutes"')
        extra = sorted(set(entry) - {"code", "minutes", "discipline"})
        if extra:
            raise InputError(
                f"{where}: unknown key {extra[0]!r}; expected code, minutes, discipline"
            )
        try:
            lines.append(
                ServiceLine(entry["code"], entry.get("minutes"), discipline=entry.get("discipline"))
            )
        except InvalidServiceError as exc:
            raise InputError(f"{where}.{exc.field}: {exc}") from exc
    return rule, lines


@main.command()
@click.argument("services", nargs=-1, metavar="[CODE[-DISC][=MIN]]...")
@click.option(
    "--rule",
    type=click.Choice(rule_names(), case_sensitive=False),
    help="Counting rule (default cms). 'unitcalc rules' describes each.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.option("--explain", is_flag=True, help="Show the step-by-step reasoning under the table.")
@click.option(
    "--input",
    "input_file",
    type=click.File("r", encoding="utf-8"),
    help='Read services as JSON ({"rule": ..., "services": [...]}) from a file, or - for stdin.',
)
@click.option(
    "--pool-by",
    type=click.Choice(POOLINGS),
    default="discipline",
    show_default=True,
    help="Pool timed minutes per discipline (PT, OT, SLP apart) or for the whole day.",
)
@click.option(
    "--prefer",
    metavar="CODE,CODE...",
    default="",
    help="Tie preference: codes to favour, first first, when leftovers tie.",
)
@click.option(
    "--max-alternatives",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_ALTERNATIVES,
    show_default=True,
    help="How many alternative allocations of a tie to list.",
)
@_table_options
def calc(
    services: tuple[str, ...],
    rule: str | None,
    output_format: str,
    explain: bool,
    input_file: Any,
    pool_by: Pooling,
    prefer: str,
    max_alternatives: int,
    codes_file: Path | None,
    definitions: tuple[str, ...],
) -> None:
    """Units for one patient's day.

    Give services as CODE=MINUTES (97110=33), untimed codes as CODE or CODE=MINUTES
    (97161), and a discipline as CODE-DISC=MINUTES with PT, OT, SLP or GP, GO, GN
    (97110-GP=33). Lines of the same code add up.

    \b
    Examples:
      unitcalc calc 97110=33 97140=7
      unitcalc calc 97112=20 97110=20 --explain
      unitcalc calc 97110=33 97140=7 --rule ama --format json
    """
    lines = [parse_service(token) for token in services]
    file_rule = None
    if input_file is not None:
        file_rule, from_file = _services_from_json(input_file.name, input_file.read())
        lines.extend(from_file)
    if not lines:
        raise click.UsageError("give at least one service, e.g. unitcalc calc 97110=33 97140=7")
    result = calculate(
        lines,
        rule=rule or file_rule or "cms",
        tie_preference=[code for code in prefer.split(",") if code.strip()],
        pooling=pool_by,
        codes=_code_table(codes_file, definitions),
        max_alternatives=max_alternatives,
    )
    if output_format == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(render_result(result, explain=explain))


def render_result(result: Result, *, explain: bool) -> str:
    """The human-readable form of a result."""
    rule = get_rule(result.rule)
    with_discipline = any(line.discipline for line in result.lines)
    headers = ["code", "label", *(["discipline"] if with_discipline else []), "minutes", "units"]
    rows = [
        [
            line.code,
            line.label if line.timed else f"{line.label} (untimed)",
            *([line.discipline or ""] if with_discipline else []),
            "" if line.minutes is None else str(line.minutes),
            str(line.units),
        ]
        for line in result.lines
    ]
    numbers = ("right", "right")
    table = tabulate(
        rows,
        headers=headers,
        disable_numparse=True,
        colalign=("left",) * (len(headers) - 2) + numbers,
    )
    out = [f"Rule: {rule.name} ({rule.title})", table]
    out.append(f"Total: {result.total_units} units ({result.total_timed_minutes} timed minutes)")
    if result.tie:
        for group in result.tie.groups:
            where = f" in {group.discipline}" if group.discipline else ""
            out.append(
                f"Tie{where}: {', '.join(group.codes)} have {group.leftover_minutes} min left "
                f"each and share {group.units} unit{'s' * (group.units != 1)}; unitcalc chose "
                f"{', '.join(group.chosen)}. Any choice is compliant (CMS 20.2, Example 2)."
            )
        for alternative in result.alternatives:
            shown = ", ".join(f"{code} x{units}" for code, units in alternative.items() if units)
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
    return "\n".join(out)


@main.command()
@click.option(
    "--kind",
    type=click.Choice([*KINDS, "all"]),
    default="all",
    show_default=True,
    help="Show only timed, untimed or deleted codes.",
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
    """List the code table: timed, untimed and deleted codes."""
    table = _code_table(codes_file, definitions)
    entries = list(iter_kind(table, KINDS if kind == "all" else [kind]))  # type: ignore[list-item]
    if output_format == "json":
        click.echo(json.dumps([_code_dict(info) for info in entries], indent=2))
        return
    rows = [
        [
            info.code,
            info.kind,
            str(info.unit_minutes or ""),
            info.label,
            _relation(info),
        ]
        for info in entries
    ]
    click.echo(
        tabulate(
            rows,
            headers=["code", "kind", "unit min", "label", "notes"],
            disable_numparse=True,
            colalign=("left", "left", "right", "left", "left"),
        )
    )


def _relation(info: CodeInfo) -> str:
    if info.deleted and info.deleted_on:
        return f"deleted {info.deleted_on.isoformat()}, use {', '.join(info.replaced_by)}"
    if info.addon_of:
        return f"add-on of {info.addon_of}"
    return ""


def _code_dict(info: CodeInfo) -> dict[str, Any]:
    return {
        "code": info.code,
        "label": info.label,
        "kind": info.kind,
        "unit_minutes": info.unit_minutes,
        "addon_of": info.addon_of,
        "disciplines": list(info.disciplines),
        "deleted_on": info.deleted_on.isoformat() if info.deleted_on else None,
        "replaced_by": list(info.replaced_by),
        "sources": list(info.sources),
        "note": info.note,
    }


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
    entries = [
        {
            "name": rule.name,
            "aliases": list(rule.aliases),
            "title": rule.title,
            "summary": rule.summary,
            "source": rule.source,
        }
        for rule in RULES.values()
    ]
    if output_format == "json":
        click.echo(json.dumps(entries, indent=2))
        return
    for entry in entries:
        aliases = f" (also: {', '.join(entry['aliases'])})" if entry["aliases"] else ""
        click.echo(f"{entry['name']}{aliases}: {entry['title']}")
        click.echo(f"    {entry['summary']}")
        click.echo(f"    Source: {entry['source']}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
