"""Spreadsheet safety: a text cell a spreadsheet would read as a formula is written with
a single quote before it, in every CSV file and workbook unitcalc writes ("CSV
injection", OWASP). Only what is written changes, never what is counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_FORMULA_FIRST = frozenset("=+-@\t\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return first) with a single quote before it; other values as
    they are. Only what is written changes, never what is counted.

    >>> spreadsheet_safe("=HYPERLINK(1)"), spreadsheet_safe("-"), spreadsheet_safe(-2)
    ("'=HYPERLINK(1)", "'-", -2)
    """
    if isinstance(value, str) and value[:1] in _FORMULA_FIRST:
        return "'" + value
    return value


def safe_row(cells: Sequence[Any]) -> list[Any]:
    """:func:`spreadsheet_safe` over a row (written once a finding or claim line, so kept
    inline)."""
    return [
        "'" + cell if type(cell) is str and cell[:1] in _FORMULA_FIRST else cell for cell in cells
    ]
