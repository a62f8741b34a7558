"""The columnar reader: a plain UTF-8 CSV file handed to polars' multi-threaded parser,
then proved complete; a Parquet file read by polars. Every value is read as text, so
that one checker reads every format.

The proof: every physical line after the header is exactly one record (no blank lines,
no quoted line breaks, no short rows), so a record's line number is its index plus the
header's line. Any file that does not pass (another encoding, a broken quote, a ragged
row) is read by the careful reader (:mod:`.read`), which names the line and the reason
of each record it cannot use. Nothing is dropped either way.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..core.bounded import LineRun, too_long
from ..core.encodings import Source, open_source
from ..core.errors import FileProblem
from ..core.text import stripped_column
from .read import END, ERROR, LINE

if TYPE_CHECKING:
    import polars as pl


COLUMNAR_COLUMNS = 1000
"""Most columns a CSV file may have to be read in columns: :func:`complete` checks every
column, and a plan over 60,000 of them held 1 GB; a wider file is read by the careful
reader, which carries a row's values without a cost per column."""


class CsvShape(NamedTuple):
    """What a pass over a plain CSV file's bytes tells: its columns, its physical lines
    (the header's among them) and whether a quote stands anywhere after the header."""

    columns: tuple[str, ...]
    physical: int
    quoted: bool


def csv_lines(source: Source, delimiter: str, *, display: str = "the file") -> CsvShape | None:
    """A plain CSV file's shape, read as bytes; None when the header, the line ends or a
    row's number of fields need the careful reader. Without quotes every delimiter
    separates two fields, so the file's count of them proves that every line has the
    header's fields (polars fills a short row with empty text, which would be a value
    invented). A line longer than :data:`.MAX_LINE_BYTES` is refused, naming it."""
    run = LineRun()
    with open_source(source) as handle:
        first = handle.readline(run.limit + 1)
        if len(first) > run.limit:
            raise FileProblem(too_long(display, 1, run.limit), path=display, line=1)
        if first.startswith(codecs.BOM_UTF8):
            first = first[len(codecs.BOM_UTF8) :]
        skip = len(codecs.BOM_UTF8) if handle.tell() > len(first) else 0
        try:
            header_text = first.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if not header_text.strip() or '"' in header_text or "\r" in header_text.rstrip("\r\n"):
            return None
        header = next(csv.reader([header_text], delimiter=delimiter), [])
        columns = tuple(
            name.strip() or f"column {index}" for index, name in enumerate(header, start=1)
        )
        if len({name.lower() for name in columns}) != len(columns):
            return None  # the careful reader names the repeated column
        if len(columns) > COLUMNAR_COLUMNS:
            return None  # checked column by column, a plan too large: read row by row
        handle.seek(skip)
        physical = 0
        carriage = crlf = quotes = delimiters = 0
        separator = delimiter.encode("utf-8")
        tail = b""
        for block in iter(lambda: handle.read(1 << 22), b""):
            quotes += block.count(b'"')
            delimiters += block.count(separator)
            long_line = run.feed(block)
            if long_line is not None:
                raise FileProblem(
                    too_long(display, long_line, run.limit), path=display, line=long_line
                )
            physical = run.lines  # the line breaks LineRun.feed counted
            returns = block.count(b"\r")
            carriage += returns
            crlf += (tail == b"\r" and block.startswith(b"\n")) + (
                block.count(b"\r\n") if returns else 0
            )
            tail = block[-1:]
        if tail and tail != b"\n":
            physical += 1  # the last line has no line break
    if carriage != crlf:
        return None  # a carriage return alone: the careful reader says where
    if not quotes and delimiters != physical * (len(columns) - 1):
        return None  # a short or a long row: the careful reader names it
    return CsvShape(columns, physical, quotes > 0)


def complete(frame: pl.LazyFrame | pl.DataFrame, shape: CsvShape) -> bool:
    """True when polars read every record whole: one record a physical line after the
    header (a quoted line break would make more lines than records), no short row (it
    leaves nulls, or empty text, which in a file with quotes only the careful reader
    tells apart from a field written empty: such a file whose last column has an empty
    cell is read by it), no row of blank cells (no record), no quote left open at the
    end."""
    return whole([reading(frame, shape)], shape)


class Reading(NamedTuple):
    """What :func:`complete` reads of some of a file's records (:func:`reading`)."""

    rows: int
    flawed: bool
    """A short row, or a row of blank cells."""
    last: int
    """The highest line number (-1: no record)."""
    still_open: bool
    """That line's record holds a line break: a quote left open at the end."""


def reading(frame: pl.LazyFrame | pl.DataFrame, shape: CsvShape) -> Reading:
    """The facts :func:`complete` weighs, of some of the file's records (a chunk of
    the large-file split, read as it is parsed: :func:`whole` weighs them all)."""
    import polars as pl

    columns, _, quoted = shape
    text = [pl.col(name) for name in columns]
    last = text[-1]
    lazy = frame.lazy()
    stats = lazy.select(
        pl.len().alias("rows"),
        pl.sum_horizontal(name.null_count() for name in text).alias("nulls"),
        pl.col(LINE).max().alias("last"),
        ((last == "").any() & quoted).alias("short"),
    )
    # A blank row's first cell is blank: its other cells are read only on such rows.
    blank = lazy.filter(stripped_column(text[0]) == "").select(
        pl.all_horizontal(stripped_column(name) == "" for name in text).any()
    )
    # The last record (the one with the highest line number, wherever it stands).
    final = lazy.filter(pl.col(LINE) == pl.col(LINE).max()).select(
        pl.any_horizontal(name.str.contains("[\r\n]") for name in text).any()
    )
    counted, blanks, ending = pl.collect_all([stats, blank, final])
    rows, nulls, highest, short = counted.row(0)
    blank_row, still_open = blanks.item(), ending.item()
    flawed = bool(nulls or blank_row or short)
    return Reading(rows, flawed, -1 if highest is None else highest, bool(still_open))


def whole(readings: Sequence[Reading], shape: CsvShape) -> bool:
    """:func:`complete` of a file read in pieces, from each piece's :func:`reading`."""
    rows = sum(piece.rows for piece in readings)
    final = max(readings, key=lambda piece: piece.last, default=None)
    still_open = final is not None and final.still_open
    flawed = any(piece.flawed for piece in readings)
    return rows + 1 == shape.physical and not flawed and not still_open


def csv_frame(
    source: Source, delimiter: str, *, display: str
) -> tuple[tuple[str, ...], pl.DataFrame] | None:
    """The file's columns and its records as a frame of raw text, read by polars; None
    when the file needs the careful reader (see the module's docstring)."""
    import polars as pl

    shape = csv_lines(source, delimiter, display=display)
    if shape is None:
        return None
    columns = shape.columns
    try:
        frame = pl.read_csv(
            source if isinstance(source, Path) else io.BytesIO(source),
            raise_if_empty=False,
            **polars_csv(delimiter, columns),
        )
    except (pl.exceptions.PolarsError, UnicodeDecodeError, OSError, ValueError):
        return None
    if frame.width != len(columns) + 1 or not complete(frame, shape):
        return None
    return columns, with_lines(frame)


def polars_csv(delimiter: str, columns: Sequence[str]) -> dict[str, Any]:
    """How polars reads a plain CSV file: every value as text (empty text kept), the
    header's names, and each record's line number (the header is line 1)."""
    return {
        "separator": delimiter,
        "infer_schema": False,
        "new_columns": list(columns),
        "empty_string_is_null": False,
        "encoding": "utf8",
        "row_index_name": LINE,
        "row_index_offset": 2,
    }


def with_lines(frame: pl.DataFrame) -> pl.DataFrame:
    """A frame of single-line records with the reader's columns: its end line and no
    reading error."""
    import polars as pl

    return frame.with_columns(pl.col(LINE).cast(pl.Int64)).with_columns(
        pl.col(LINE).alias(END), pl.lit(None, dtype=pl.String).alias(ERROR)
    )


def parquet_frame(source: Source, *, display: str) -> tuple[tuple[str, ...], pl.DataFrame]:
    """A Parquet file's columns and rows as raw text (numbers and dates written as text,
    so that one checker reads every format); a row's "line" is its row number."""
    import polars as pl

    try:
        frame = pl.read_parquet(source if isinstance(source, Path) else io.BytesIO(source))
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise FileProblem(f"{display}: cannot be read as Parquet ({exc})", path=display) from None
    columns = tuple(frame.columns)
    if len({name.lower() for name in columns}) != len(columns):
        raise FileProblem(
            f"{display}: two columns differ only in letter case; rename one", path=display
        )
    binary = [name for name, dtype in frame.schema.items() if dtype == pl.Binary]
    if binary:
        raise binary_column(display, binary[0])
    return columns, with_lines(as_text(frame).with_row_index(LINE, offset=1))


def binary_column(display: str, name: str) -> FileProblem:
    """The refusal of a column of binary data (bytes have no text to carry through)."""
    return FileProblem(
        f"{display}: column {name!r} holds binary data, which unitcalc cannot carry "
        "through as text; leave it out or convert it to text",
        path=display,
    )


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column of ``frame`` as text, as one checker reads every format: numbers,
    dates and booleans written as polars writes them, nested values (structs, lists) as
    JSON with their field names, other types cast where they can be (null where not)."""
    import polars as pl

    text = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if dtype == pl.String:
            text.append(column)
        elif dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean:
            text.append(column.cast(pl.String))
        elif dtype.is_nested():
            text.append(column.map_elements(_json_text, return_dtype=pl.String, skip_nulls=True))
        else:
            text.append(column.cast(pl.String, strict=False))
    return frame.select(text)


def _json_text(value: object) -> str:
    """A nested value (a struct's dict, a list: polars hands a list as a Series) as JSON
    text, its field names kept."""
    return json.dumps(value, default=_plain, ensure_ascii=False)


def _plain(value: Any) -> Any:
    """What JSON cannot write directly: a Series as its list, anything else as text."""
    return value.to_list() if hasattr(value, "to_list") else str(value)
