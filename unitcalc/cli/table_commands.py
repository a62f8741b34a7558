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
