"""``unitcalc codes`` and ``unitcalc rules``: the code table (with ``--codes`` and
``--define`` laid over it) and the counting rules' registry, as a table or as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..core.codeinfo import KINDS, CodeInfo
from ..core.codes import iter_kind
from ..core.text import output_width, wrap
from ..core.text import table as text_table
from ..rules import RULES
from .counting import _code_table
from .shared import _table_options


@click.command()
@click.option(
    "--kind",
    type=click.Choice([*KINDS, "all"]),
    default="all",
    show_default=True,
    help="Show only timed, untimed, monthly, deleted or unlisted codes.",
)
@click.option(
    "--sources",
    "show_sources",
    is_flag=True,
    help="Number each code's sources (of the code, its dates and its therapy-list "
    "designation) and list them under the table.",
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
    kind: str,
    show_sources: bool,
    output_format: str,
    codes_file: Path | None,
    definitions: tuple[str, ...],
) -> None:
    """List the code table: timed, untimed, monthly, deleted and unlisted codes, with the
    window in which each is valid and its designation on CMS's therapy code list."""
    table = _code_table(codes_file, definitions)
    entries = list(iter_kind(table, KINDS if kind == "all" else [kind]))  # type: ignore[list-item]
    if output_format == "json":
        click.echo(json.dumps([info.to_dict() for info in entries], indent=2))
        return
    numbers = _source_numbers(entries) if show_sources else {}
    rows = [
        [
            info.code,
            info.kind,
            str(info.unit_minutes or ""),
            info.label,
            info.window,
            _relation(info),
            *([", ".join(str(n) for n in _cited(info, numbers))] if show_sources else []),
        ]
        for info in entries
    ]
    headers = ["code", "kind", "unit min", "label", "valid", "notes"]
    width = output_width()
    click.echo(
        text_table(
            headers + (["sources"] if show_sources else []),
            rows,
            "llrllll" if show_sources else "llrlll",
            width=width,
            wrap_columns=[3, 4, 5, 6] if show_sources else [3, 4, 5],
        )
    )
    if show_sources:
        click.echo("\nSources:")
        for source, number in numbers.items():
            click.echo(wrap(f"{number}. {source}", width, hang=" " * (len(str(number)) + 2)))


_THERAPY_LIST_WORDS = {
    "always": "always therapy (CMS therapy code list)",
    "sometimes": "sometimes therapy (CMS therapy code list)",
    "not-therapy": "billed without a therapy modifier (CMS therapy code list)",
}


def _relation(info: CodeInfo) -> str:
    parts = []
    if info.deleted and info.deleted_on:
        parts.append(f"deleted {info.deleted_on.isoformat()}, use {', '.join(info.replaced_by)}")
        if info.valid_kind:
            parts.append(f"counted {info.valid_kind} while valid")
    if info.monthly_counting:
        parts.append(f"monthly: {info.monthly_counting}")
    if info.declare_hint:
        parts.append(f"declare {info.declare_hint} with --define")
    if info.addon_of:
        parts.append(f"add-on of {info.addon_of}")
    if info.therapy_list:
        parts.append(_THERAPY_LIST_WORDS[info.therapy_list])
    if info.note:
        parts.append(info.note)
    return "; ".join(parts)


def _all_cited(info: CodeInfo) -> tuple[str, ...]:
    return (*info.sources, *info.valid_sources, *info.therapy_list_sources)


def _source_numbers(entries: list[CodeInfo]) -> dict[str, int]:
    """Each source cited by the entries, numbered in order of first citation."""
    cited = dict.fromkeys(source for info in entries for source in _all_cited(info))
    return {source: number for number, source in enumerate(cited, start=1)}


def _cited(info: CodeInfo, numbers: dict[str, int]) -> list[int]:
    return sorted({numbers[source] for source in _all_cited(info)})


@click.command()
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
