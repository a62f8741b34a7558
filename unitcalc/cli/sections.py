"""``--help`` with its options in sections (input, counting, output ...): a command of
many options lists them by what they are for, with click's own help formatter.

>>> import click
>>> @click.command(cls=SectionedCommand, sections=(("Output", ("out",)),))
... @click.option("--out")
... @click.option("--rule")
... def run(out: str, rule: str) -> None: ...
>>> print(run.get_help(click.Context(run)).split("Output:")[1].split()[0])
--out
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

Sections = Sequence[tuple[str, Sequence[str]]]
"""Each section's title and the names of its options, in the order shown."""


class SectionedCommand(click.Command):
    """A command whose help lists its options section by section (``sections``); an
    option no section names is listed last, under "Other options"."""

    def __init__(self, *args: Any, sections: Sections = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = sections

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        records = {
            param.name: record
            for param in self.get_params(ctx)
            if (record := param.get_help_record(ctx)) is not None
        }
        for title, names in self.sections:
            rows = [records.pop(name) for name in names if name in records]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
        if records:
            with formatter.section("Other options"):
                formatter.write_dl(list(records.values()))
