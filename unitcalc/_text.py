"""Small wording helpers shared by the explanations."""

from __future__ import annotations

from collections.abc import Sequence


def count_of(count: int, noun: str) -> str:
    """``count_of(1, "unit")`` is ``'1 unit'``; ``count_of(2, "full unit")`` is
    ``'2 full units'``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> str:
    """A plain text table: a header, a rule of dashes, the rows; columns two spaces
    apart, each ``l`` (left) or ``r`` (right) aligned as ``align`` says.

    >>> print(table(["code", "units"], [["97110", "2"], ["97140", "1"]], "lr"))
    code      units
    ------  -------
    97110         2
    97140         1
    """
    widths = [
        max([len(header) + 2, *(len(row[i]) for row in rows)]) for i, header in enumerate(headers)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if side == "r" else cell.ljust(width)
            for cell, width, side in zip(cells, widths, align, strict=True)
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
