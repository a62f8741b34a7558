"""A visit's time in or out, ``HH:MM`` on a 24-hour clock (``08:05``, ``8:05``, ``17:40``),
as minutes after midnight: the scalar form (:func:`parse_clock`) and the columnar form
(:func:`clock_column`) side by side, held equal by ``tests/core/test_clock.py``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .text import stripped_column

if TYPE_CHECKING:
    import polars as pl

_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def parse_clock(text: str) -> int | None:
    """Minutes after midnight, or None for text that is no ``HH:MM`` time.

    >>> parse_clock("8:05"), parse_clock("17:40"), parse_clock("24:00"), parse_clock("8.05")
    (485, 1060, None, None)
    """
    found = _CLOCK.fullmatch(text.strip())
    if found is None:
        return None
    return int(found.group(1)) * 60 + int(found.group(2))


def clock_column(text: pl.Expr) -> pl.Expr:
    """The columnar form of :func:`parse_clock` (null for text that is no time)."""
    import polars as pl

    parts = stripped_column(text).str.extract_groups(f"^(?:{_CLOCK.pattern})$")
    hours = parts.struct.field("1").cast(pl.Int64)
    minutes = parts.struct.field("2").cast(pl.Int64)
    return hours * 60 + minutes
