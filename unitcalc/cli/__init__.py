"""The ``unitcalc`` command line: parse, call the library, render.

A command line travels in three steps, and each command's module keeps them apart:

1. Parse. click reads the arguments into Python values with the options each command
   declares. What the commands share (the flags as library messages name them, the
   input error, the code-table options) is in :mod:`.shared`; how to count (the rule,
   the payer profile, the MUE table, the tie preference, the code table, the assistant
   modifiers' options) is read and loaded in :mod:`.counting`; how a visit file is read
   is in :mod:`.file_options`.
2. Call the library. ``calc`` (:mod:`.calc_command`) counts one day with
   :func:`unitcalc.engine.count.calculate`; ``batch`` and ``audit``
   (:mod:`.file_commands`) hand a file to :mod:`unitcalc.files` (:mod:`.file_run`) or
   to Spark (:mod:`.spark_run`); ``sample`` and ``extrapolate`` (:mod:`.sample_commands`)
   draw a random sample of a file's units and extrapolate its reviewed overpayments
   (:mod:`unitcalc.files.sample`, :mod:`unitcalc.payment.estimate`); ``codes`` and
   ``rules`` (:mod:`.table_commands`) read the code table and the rule registry;
   ``serve`` (:mod:`.serve_command`) starts the web application. No arithmetic and no
   rule knowledge lives here.
3. Render. The answer goes to standard output (or ``--output``) as a table for people,
   or JSON, CSV, Parquet for scripts. A library error comes back up to
   :class:`UnitcalcGroup`, which says it in one line, with the command line's flags,
   and exits with its code.

Each command's module is imported when the command is run (or its help shown), and the
file commands' machinery inside the commands that use it, so that ``unitcalc calc``
starts quickly.

Exit codes (mapped in one place, :class:`UnitcalcGroup`, except the findings exit):
    0  success
    1  batch: some group could not be counted; audit: some group is not ok
    2  usage or input error, a file that cannot be read, or output that cannot be
       written (a full disk): one line on stderr naming the bad token, line or column
       and the fix
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any

import click

from ..core.errors import UnitcalcError
from .calc_command import JSON_SCHEMA_VERSION, calc_output_schema
from .shared import InputError, _drop_standard_output, _said

__all__ = ["JSON_SCHEMA_VERSION", "calc_output_schema", "main"]

COMMANDS = {
    "calc": "calc_command",
    "batch": "file_commands",
    "audit": "file_commands",
    "codes": "table_commands",
    "rules": "table_commands",
    "sample": "sample_commands",
    "extrapolate": "sample_commands",
    "serve": "serve_command",
}
"""Each command and the module that holds it."""


class _Commands(MutableMapping[str, click.Command]):
    """The group's commands, each imported from its module when first asked for."""

    def __init__(self) -> None:
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            module = importlib.import_module(f"{__name__}.{COMMANDS[name]}")
            self._loaded[name] = getattr(module, name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMANDS, *self._loaded]))

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self._loaded))


def _width() -> int | None:
    """The help's width: the terminal's, or 80 where a terminal reports no columns
    (click would otherwise wrap every word on a line of its own)."""
    import shutil

    columns = shutil.get_terminal_size().columns
    return None if columns > 0 else 80


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


@click.group(
    cls=UnitcalcGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "terminal_width": _width()},
)
@click.version_option(package_name="unitcalc", prog_name="unitcalc")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Billable units for timed therapy codes (97110, 97112, 97140, 97530 ...) under the
    Medicare 8-minute rule (cms), the AMA per-code midpoint rule (ama) or a contract's
    round-up rule (commercial-15).

    Exit codes: 0 success; 1 batch: a group could not be counted, audit: a group is
    not ok; 2 bad usage or input (one line on stderr).

    Settings retyped each run (--rule, --payers, --payer, --mue, --fees, --gpci,
    --locality, --codes) may come from a unitcalc.toml in the working folder or the
    user's configuration folder, or from UNITCALC_RULE, UNITCALC_PAYERS ...; the command
    line wins over the environment, which wins over the file.
    """
    if ctx.invoked_subcommand is None:  # bare unitcalc: the help, and success
        click.echo(ctx.get_help())
        ctx.exit(0)
    import os
    from pathlib import Path

    from . import config

    found = config.find(os.environ, Path.cwd())
    if found is not None:
        ctx.meta["unitcalc.config"] = found
        given = config.load(found)
        ctx.default_map = dict.fromkeys(COMMANDS, given)


main.commands = _Commands()
