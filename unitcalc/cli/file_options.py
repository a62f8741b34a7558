"""How ``batch`` and ``audit`` read a visit file: their shared options (the file, its
format, encoding, delimiter and columns, the grouping, the counting options) and the
:class:`unitcalc.files.Options` made of them. Nothing of the files package is loaded
before a file command runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from ..engine.settings import Pooling
from .counting import (
    _code_table,
    _counting,
    _counting_options,
    _month,
    _month_options,
    _prefer,
    _rule_option,
)
from .shared import F, _table_options, cli_spelling

if TYPE_CHECKING:
    from ..engine.ptp import ModifierPlacement
    from ..files import InputFormat, Options
    from ..rules import RuleName


def _manifest_option(function: F) -> F:
    return click.option(
        "--manifest",
        "manifest_path",
        type=click.Path(path_type=Path),
        help="Also write the run manifest (input file and SHA-256, rows read, version, "
        "code-table date, rule, payer, options, time) as JSON, for outputs without room "
        "for it (CSV, JSON Lines, the table).",
    )(function)


def _checks_option(function: F) -> F:
    """``--checks``: which of the audit's checks to make."""
    from ..files.checks import CHECKS

    return click.option(
        "--checks",
        "checks",
        metavar="LIST",
        callback=_chosen_checks,
        help=f"The checks to make, a comma list of {','.join(CHECKS)} (units always runs); "
        "the summary says which ran and which were skipped, and why. Default: every check "
        "whose data is present.",
    )(function)


def _chosen_checks(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """The checks named by ``--checks``, or None when not given."""
    from ..core.errors import FileProblem
    from ..files.checks import CHECKS, chosen_checks

    if value is None:
        return None
    try:
        return chosen_checks(value)
    except FileProblem:
        raise click.BadParameter(
            f"{value!r}: give a comma list of {', '.join(CHECKS)}, e.g. --checks units,patterns"
        ) from None


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
                "else visit_id; with a billing provider column, who bills too).",
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
            _month_options,
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
    ptp_files: Sequence[Path],
    ptp_modifier_on: ModifierPlacement | None,
    rtm_blocks: str | None,
    rtm_set_up: str | None,
    codes_file: Path | None,
    definitions: Sequence[str],
    need_billed: bool,
    checks: frozenset[str] | None = None,
) -> Options:
    from ..files import Options, group_columns

    counting = _counting(payers_file, payer, mue_file, ptp_files)
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
    return Options.of(
        delimiter=delimiter,
        columns=columns,
        rule=cast("RuleName | None", rule),  # as typed: get_rule names the rules
        payer=counting.payer.name if counting.payer else None,
        profiles=counting.profiles,
        profiles_path=counting.profiles_path,
        mue=counting.mue,
        ptp=counting.ptp,
        ptp_modifier_on=ptp_modifier_on or "either",
        group_by=group_columns(group_by.split(",")) if group_by else (),
        input_format=input_format,
        encoding=encoding,
        pooling=pool_by,
        tie_preference=preference,
        codes=_code_table(codes_file, definitions),
        month=_month(rtm_blocks, rtm_set_up),
        strict=strict,
        need_billed=need_billed,
        checks=checks,
        spelling=cli_spelling,
    )
