"""What the commands share: the flags' spelling in library messages, the input error
(exit code 2), standard output that cannot be written, and the code-table options.

A library message names a Python argument (``columns``, ``pooling``); on the command line
the user gave a flag (``--columns``, ``--pool-by``): :func:`cli_spelling` says it as given.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..core.errors import ArgumentValue, UnitcalcError, python_spelling
from ..core.text import echo, wrap
from .config import envvar

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INPUT = 2


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
    ("calculate_month", "month"): "--month",
    ("define_code", "spec"): "--define",
    ("CodeTable.load", "path"): "--codes",
    ("load_fees", "locality"): "--locality",
    ("load_fees", "gpci"): "--gpci FILE",
    ("load_fees", "setting"): "--fee-setting",
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
        return f"{flag} {echo(value)}" if given else f"{flag} {value}"
    if isinstance(value, tuple):
        return f"{flag} {','.join(value)}"
    return f"{flag} {','.join(f'{key}={item}' for key, item in value.items())}"


def _said(exc: UnitcalcError) -> str:
    """A library error's message with its arguments named by their flags."""
    return exc.worded(cli_spelling)


class InputError(click.ClickException):
    """Bad input: printed as one line, exit code 2 (like a usage error)."""

    exit_code = EXIT_INPUT


def _drop_standard_output() -> None:
    """What standard output still holds cannot be written: drop it, so that flushing it
    at exit does not fail again with a traceback."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


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
        envvar=envvar("codes"),
        show_envvar=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="A TOML code table of your own, laid over the packaged one.",
    )(function)


def _wrap_note(text: str, width: int) -> str:
    """A note line wrapped to ``width``, its continuation lines indented under its text
    (past a list's ``- `` or ``1. `` marker)."""
    body = text.lstrip(" ")
    indent = text[: len(text) - len(body)]
    marker = re.match(r"- |\d+\. ", body)
    hang = indent + " " * (len(marker.group()) if marker else 2)
    return wrap(body, width, indent=indent, hang=hang)
