"""A code defined in one entry, as the command line's ``--define`` gives it
(``CODE=timed``, ``CODE=timed/30`` or ``CODE=untimed``): a user's code for a run."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from .codeinfo import CodeInfo, normalize_code
from .errors import CodeTableError, Mention, message_of
from .text import echo
from .values import MAX_MINUTES

if TYPE_CHECKING:
    from .codes import CodeTable


def define_code(spec: str) -> CodeInfo:
    """Build a user entry from ``spec``, ``CODE=KIND[/MINUTES]`` (the CLI's ``--define``).

    >>> define_code("0999T=timed/30")
    CodeInfo(code='0999T', label='user-defined timed code', kind='timed', unit_minutes=30, ...)
    >>> define_code("97999=untimed").kind
    'untimed'
    """

    given = Mention("spec", spec, owner="define_code", given=True)
    code_part, sep, kind_part = spec.partition("=")
    if not sep:
        raise CodeTableError(
            message_of(given, ": write CODE=timed, CODE=timed/30 or CODE=untimed"),
            path="define_code",
            key=spec,
            argument="spec",
        )
    code = normalize_code(code_part)
    kind, slash, minutes = kind_part.strip().lower().partition("/")
    if kind == "timed":
        unit = 15
        if slash:
            if not re.fullmatch(r"0*[0-9]{1,4}", minutes) or not 0 < int(minutes) <= MAX_MINUTES:
                raise CodeTableError(
                    message_of(
                        given,
                        f": unit length {echo(minutes)} must be a whole number of minutes "
                        f"from 1 to {MAX_MINUTES}, e.g. timed/15",
                    ),
                    path="define_code",
                    key=code,
                    argument="spec",
                )
            unit = int(minutes)
        return CodeInfo(
            code=code,
            label="user-defined timed code",
            kind="timed",
            unit_minutes=unit,
            sources=("user definition",),
        )
    if kind == "untimed" and not slash:
        return CodeInfo(
            code=code,
            label="user-defined untimed code",
            kind="untimed",
            sources=("user definition",),
        )
    raise CodeTableError(
        message_of(given, ": the kind must be timed, timed/MINUTES or untimed"),
        path="define_code",
        key=code,
        argument="spec",
    )


def extended_table(path: Path | None, definitions: Sequence[str]) -> CodeTable:
    """The code table a run counts by: the packaged one, or the user's file laid over
    it (``--codes``), then each ``--define`` entry. Redefining a packaged code keeps its
    label, and its add-on link when the new definition is still timed."""
    from .codes import CodeTable

    table = CodeTable.load(path) if path else CodeTable.default()
    for spec in definitions:
        info = define_code(spec)
        known = table.codes.get(info.code)
        if known is not None:
            unit = f"/{info.unit_minutes}" if info.unit_minutes else ""
            info = attrs.evolve(
                info,
                label=f"{known.label} (redefined: {info.kind}{unit})",
                addon_of=known.addon_of if info.timed else None,
            )
        table = table.with_codes(info)
    return table
