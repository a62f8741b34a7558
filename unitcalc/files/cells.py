"""Spreadsheet safety: a text cell a spreadsheet would read as a formula is written with
a single quote before it, in every CSV file and workbook unitcalc writes ("CSV
injection", OWASP). A number is no formula, whatever its sign: ``-45.00`` is written as
it is. Only what is written changes, never what is counted.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

_FORMULA_FIRST = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A number as text: a spreadsheet reads it as a number, never as a formula."""


def _formula(text: str) -> bool:
    return text[:1] in _FORMULA_FIRST and _NUMBER.fullmatch(text) is None


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return first, and no number) with a single quote before it; other
    values as they are. Only what is written changes, never what is counted.

    >>> spreadsheet_safe("=HYPERLINK(1)"), spreadsheet_safe("-"), spreadsheet_safe(-2)
    ("'=HYPERLINK(1)", "'-", -2)
    >>> spreadsheet_safe("-45.00"), spreadsheet_safe("+1"), spreadsheet_safe("-1+2")
    ('-45.00', '+1', "'-1+2")
    """
    if isinstance(value, str) and _formula(value):
        return "'" + value
    return value


def safe_column(text: pl.Expr) -> pl.Expr:
    """The columnar form of :func:`spreadsheet_safe`, over a text column."""
    import polars as pl

    formula = text.str.contains(r"^[=+\-@\t\r]") & ~text.str.contains(
        r"^(?:" + _NUMBER.pattern + r")$"
    )
    return pl.when(formula).then(pl.lit("'") + text).otherwise(text)


def safe_row(cells: Sequence[Any]) -> list[Any]:
    """:func:`spreadsheet_safe` over a row (written once a finding or claim line, so kept
    inline)."""
    return [
        "'" + cell if type(cell) is str and cell[:1] in _FORMULA_FIRST and _formula(cell) else cell
        for cell in cells
    ]


class CsvRows:
    """CSV rows as RFC 4180 writes them, each ending in ``\n``: a cell holding a comma,
    a quote or a line break is quoted, a carriage return too (the csv module quotes only
    the characters of its own line ending, and a bare carriage return left unquoted would
    end the row for the next reader). A row holding one is written with every cell
    quoted; the values read back as they were written."""

    def __init__(self, out: IO[str]) -> None:
        self._minimal = csv.writer(out, lineterminator="\n")
        self._quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, row: Sequence[Any]) -> None:
        if any(type(cell) is str and "\r" in cell for cell in row):
            self._quoted.writerow(row)
        else:
            self._minimal.writerow(row)
