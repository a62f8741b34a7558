"""Small wording and layout helpers shared by the explanations and the command line."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

DEFAULT_WIDTH = 100
"""Columns of output that goes to a file or a pipe (no terminal to measure), unless
COLUMNS says otherwise: wide enough for the tables, narrow enough to print."""

MIN_WRAP = 15
"""A wrapped column is never narrower than this, however narrow the terminal."""


WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""The characters Python's ``str.strip()`` strips (``str.isspace()``; none is above
U+3000), written out rather than found among 12,289 characters at every start
(``tests/core/test_text.py`` holds it to them)."""


STRIP_PATTERN = "^[{0}]+|[{0}]+$".format("".join(f"\\u{ord(c):04x}" for c in WHITESPACE))
"""``str.strip()`` as a regular expression whose matches are removed (Spark's
``regexp_replace``): Java's ``\\s`` lacks the separators U+001C to U+001F, as polars' does."""


def stripped_column(text: pl.Expr) -> pl.Expr:
    """The columnar form of ``str.strip()``: polars' own whitespace lacks the
    separators U+001C to U+001F, which Python strips."""
    return text.str.strip_chars(WHITESPACE)


def count_of(count: int, noun: str) -> str:
    """``count_of(1, "unit")`` is ``'1 unit'``; ``count_of(2, "full unit")`` is
    ``'2 full units'``; thousands apart: ``count_of(20000, "row")`` is ``'20,000 rows'``."""
    return f"{count} {noun}" if count == 1 else f"{count:,} {noun}s"


def count_of_column(count: pl.Expr, noun: str) -> pl.Expr:
    """The columnar form of :func:`count_of` for counts below a thousand (no thousands
    to set apart): ``count`` and ``noun``, plural unless the count is 1."""
    import polars as pl

    plural = pl.when(count != 1).then(pl.lit("s")).otherwise(pl.lit(""))
    return pl.concat_str(count.cast(pl.String), pl.lit(f" {noun}"), plural)


def output_width(environ: Mapping[str, str] | None = None) -> int:
    """The width to lay text out in: ``COLUMNS`` when set, else the terminal's width
    when standard output is one, else :data:`DEFAULT_WIDTH`.

    >>> output_width({"COLUMNS": "80"})
    80
    >>> output_width({"COLUMNS": "wide"}) >= 20
    True
    """
    environ = os.environ if environ is None else environ
    columns = environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) >= 20:
        return int(columns)
    try:
        if sys.stdout.isatty():
            return max(20, os.get_terminal_size(sys.stdout.fileno()).columns)
    except (AttributeError, OSError, ValueError):  # pragma: no cover - no real terminal
        pass
    return DEFAULT_WIDTH


def wrap(text: str, width: int, *, indent: str = "", hang: str = "") -> str:
    """``text`` wrapped to ``width`` columns, the first line led by ``indent`` and the
    rest by ``hang`` (never breaking a code or a word).

    >>> print(wrap("97140 bills 1 unit for 7 min", 16, indent="  - ", hang="    "))
      - 97140 bills
        1 unit for 7
        min
    """
    return textwrap.fill(
        text,
        width=max(width, len(hang) + MIN_WRAP),
        initial_indent=indent,
        subsequent_indent=hang,
        break_long_words=False,
        break_on_hyphens=False,
    )


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    align: str,
    *,
    width: int | None = None,
    wrap_columns: Sequence[int] = (),
) -> str:
    """A plain text table (tabulate's ``simple`` format): a header, a rule of dashes, the
    rows; columns two spaces apart, each ``l`` (left) or ``r`` (right) aligned as
    ``align`` says. With ``width``, the columns numbered in ``wrap_columns`` wrap so
    that every line fits in ``width`` columns, when the other columns leave room.

    >>> print(table(["code", "units"], [["97110", "2"], ["97140", "1"]], "lr"))
    code      units
    ------  -------
    97110         2
    97140         1
    >>> print(table(["code", "notes"], [["97001", "deleted 2017-01-01, use 97161"]], "ll",
    ...             width=24, wrap_columns=[1]))
    code    notes
    ------  ---------------
    97001   deleted
            2017-01-01, use
            97161
    """
    # Loaded here, not at start-up: `unitcalc calc --format json` and the errors print
    # no table.
    from tabulate import tabulate

    widths = [
        max([len(header) + 2, *(len(row[i]) for row in rows)]) for i, header in enumerate(headers)
    ]
    cells = [list(row) for row in rows]
    if width is not None and wrap_columns and sum(widths) + 2 * (len(widths) - 1) > width:
        fixed = sum(w for i, w in enumerate(widths) if i not in wrap_columns)
        room = width - fixed - 2 * (len(widths) - 1)
        # Water-filling: a column narrower than an equal share keeps its width, the
        # others share what is left equally; what a wrapped column leaves unused goes
        # to the wider ones.
        left = sorted(wrap_columns, key=lambda i: widths[i])
        while left:
            column = left.pop(0)
            limit = min(widths[column], max(MIN_WRAP, room // (len(left) + 1)))
            for row in cells:
                row[column] = "\n".join(_lines(row[column], limit)) or row[column]
            room -= max(
                [len(headers[column]) + 2]
                + [len(line) for row in cells for line in row[column].splitlines()]
            )
    text = tabulate(
        cells,
        headers=list(headers),
        tablefmt="simple",
        colalign=["right" if side == "r" else "left" for side in align],
        disable_numparse=True,
    )
    return "\n".join(line.rstrip() for line in text.splitlines())


def _lines(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns, never breaking a hyphenated term
    (``self-care``), and a word only when it is longer than a line."""
    return textwrap.wrap(text, width, break_on_hyphens=False)


def format_column(template: str, **values: pl.Expr) -> pl.Expr:
    """A sentence written once as a ``str.format`` template with named fields, filled
    from columns (polars): the columnar form of ``template.format(**values)``. Messages
    that both engines write are kept as one template and filled either way.

    >>> import polars as pl
    >>> frame = pl.DataFrame({"code": ["97110"], "minutes": [1500]})
    >>> frame.select(
    ...     format_column("{code}: {minutes} min", code=pl.col("code"), minutes=pl.col("minutes"))
    ... ).item()
    '97110: 1500 min'
    """
    import string

    import polars as pl

    parts: list[pl.Expr] = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        if literal:
            parts.append(pl.lit(literal))
        if field is not None:
            if spec or conversion:
                raise ValueError(f"field {{{field}}} of a column template takes no format spec")
            parts.append(values[field].cast(pl.String))
    return pl.concat_str(parts)


ECHO_LIMIT = 40
"""The most characters of a value a message shows: a value of thousands of characters
(a cell of junk) would otherwise be copied into every message about it."""


def echo(value: object, limit: int = ECHO_LIMIT) -> str:
    """A value as a message shows it (its ``repr``), cut to ``limit`` characters.

    >>> echo("97110"), echo("x" * 100)
    ("'97110'", "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'")
    """
    shown = repr(value)
    if len(shown) <= limit:
        return shown
    return shown[: limit - 4] + "..." + shown[-1]
