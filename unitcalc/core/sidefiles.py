"""Side files: the small CSV files a run reads beside the visit file (fee files, the MUE
table, a patient's starting amounts), all read one way.

The encoding is found as a visit file's is (:func:`.encodings.detect_encoding`): a
byte-order mark says it (Excel's "Unicode text" is UTF-16 with one); bytes that are valid
UTF-8 are UTF-8; anything else is guessed from the bytes (an older export is usually
cp1252). The text is then split into rows of cells, each with the line it starts on, so
that a reader of one layout can name the line of any cell it refuses.

A file that cannot be read this way (a byte its encoding cannot decode, a quote never
closed) raises the caller's error class (:class:`.errors.FileProblem` unless it names
another, e.g. :class:`.errors.FeeFileError`), naming the file, the line and the fix.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

import attrs

from .bounded import read_bounded
from .encodings import Source, detect_encoding, not_text, text_encoding
from .errors import FileProblem, UnitcalcError


class Problem(Protocol):
    """An error class of a side file's reader: a message, the file and the line."""

    def __call__(self, message: str, *, path: str, line: int | None = None) -> UnitcalcError: ...


class SideRow(NamedTuple):
    """One CSV row of a side file: the line it starts on (from 1) and its cells as written
    (a blank line is a row of no cells)."""

    line: int
    cells: tuple[str, ...]

    def cell(self, index: int) -> str:
        """The cell at ``index``; empty past the row's end.

        >>> SideRow(3, ("97110", "30.00")).cell(2)
        ''
        """
        return self.cells[index] if index < len(self.cells) else ""


@attrs.frozen
class SideFile:
    """A side file's rows, and the encoding they were read in (``guessed``: from the
    bytes, not from a byte-order mark or valid UTF-8)."""

    path: str
    encoding: str
    guessed: bool
    rows: tuple[SideRow, ...]


def read_side_file(
    source: Source,
    *,
    display: str,
    problem: Problem = FileProblem,
    strip: bool = False,
    delimiter: str | None = ",",
) -> SideFile:
    r"""The rows of a side file (its path, or its bytes), ``display`` naming it in
    messages. A file that cannot be opened raises :class:`OSError`, for the caller to
    word as its own error. ``strip``: each cell without its surrounding white space.
    ``delimiter``: a comma, a tab (text as CMS publishes its edit files: no quoting), or
    ``None`` for a tab when the text's first 64 KiB hold one, else a comma.

    >>> side = read_side_file("code,amount\n97110,30.00\n".encode("utf-16"), display="f.csv")
    >>> side.encoding, side.rows[1]
    ('utf-16', SideRow(line=2, cells=('97110', '30.00')))
    """
    data = _read(source, display, problem) if isinstance(source, Path) else source
    why = not_text(data[:4096], display=display, given_encoding=False, side=True)
    if why is not None:
        raise problem(why, path=display)
    detected, guessed = detect_encoding(data)
    encoding = text_encoding(detected, display=display)
    text = _decoded(data, encoding, guessed, display, problem)
    if delimiter is None:
        delimiter = "\t" if "\t" in text[:65536] else ","
    rows = split_rows(text, display=display, problem=problem, strip=strip, delimiter=delimiter)
    return SideFile(display, encoding, guessed, rows)


MAX_SIDE_BYTES = 1 << 30
"""Largest side file read (1 GiB): CMS's national fee file is a few tens of megabytes."""


def _read(path: Path, display: str, problem: Problem) -> bytes:
    """A side file's bytes, refused past :data:`MAX_SIDE_BYTES` (said by its size before
    reading, or found while reading a pipe) or when a line is longer than
    :data:`.MAX_LINE_BYTES`."""

    def refuse(message: str, line: int | None) -> UnitcalcError:
        return problem(message, path=display, line=line)

    with path.open("rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > MAX_SIDE_BYTES:
            raise refuse(
                f"{display} holds more than {MAX_SIDE_BYTES:,} bytes; give the CSV file itself",
                None,
            )
        return read_bounded(
            stream,
            display=display,
            max_bytes=MAX_SIDE_BYTES,
            what="the CSV file itself",
            problem=refuse,
        )


def _decoded(data: bytes, encoding: str, guessed: bool, shown: str, problem: Problem) -> str:
    """The file's text, without a UTF-8 byte-order mark."""
    if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode(encoding, errors="replace")
        line = 1 + sum(1 for part in _lines(before) if part.endswith(("\n", "\r")))
        how = " (the encoding its bytes suggest)" if guessed else ""
        raise problem(
            f"{shown}, line {line}: byte 0x{data[exc.start]:02x} cannot be decoded as "
            f"{encoding}{how}; save the file as CSV UTF-8",
            path=shown,
            line=line,
        ) from None


def _lines(text: str) -> Iterator[str]:
    """The text's physical lines: a line ends at LF, CRLF or a lone CR."""
    return iter(io.StringIO(text, newline=""))


def split_rows(
    text: str,
    *,
    display: str,
    problem: Problem = FileProblem,
    strip: bool = False,
    delimiter: str = ",",
) -> tuple[SideRow, ...]:
    r"""The CSV rows of a side file's text, each with the line it starts on (``strip``:
    each cell without its surrounding white space). A tab ``delimiter`` reads text as
    CMS publishes its tab-delimited edit files: a quote is a character like any other.

    >>> split_rows('code,note\n97110,"two\nlines"\n\n97140,x\n', display="f.csv")[1:]
    (SideRow(line=2, cells=('97110', 'two\nlines')), SideRow(line=4, cells=()),
     SideRow(line=5, cells=('97140', 'x')))
    >>> split_rows('code,note\n97110,"never closed\n97140,x\n', display="f.csv")
    Traceback (most recent call last):
    ...
    unitcalc.core.errors.FileProblem: f.csv, line 2: a quote opened on this line is never
    closed: the file ends inside it; close the quote or remove it
    """
    quoted = delimiter != "\t"
    reader = csv.reader(
        _lines(text), delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE
    )
    rows: list[SideRow] = []
    start = 1
    cells: list[str] = []  # the last row's, as read
    try:
        for cells in reader:
            rows.append(SideRow(start, tuple(map(str.strip, cells) if strip else cells)))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise problem(_csv_problem(exc, display, start), path=display, line=start) from None
    if quoted and rows and _open_at_end(text, rows[-1].line, cells):
        line = rows[-1].line
        raise problem(
            f"{display}, line {line}: a quote opened on this line is never closed: the file "
            "ends inside it; close the quote or remove it",
            path=display,
            line=line,
        )
    return tuple(rows)


def _open_at_end(text: str, line: int, cells: Sequence[str]) -> bool:
    """Whether the last row (from ``line``, its ``cells`` as read) ends inside a quote:
    the lenient parser then takes the rest of the file into its last cell. Parsed again,
    strictly, only when the last cell could be such a rest (it ends the text, or holds
    its final line break)."""
    if not cells or (not cells[-1].endswith(("\n", "\r")) and text.endswith(("\n", "\r"))):
        return False
    tail = itertools.islice(_lines(text), line - 1, None)
    try:
        for _ in csv.reader(tail, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _csv_problem(exc: csv.Error, display: str, start: int) -> str:
    if "field larger than field limit" in str(exc):
        return (
            f"{display}, line {start}: a field from this line is longer than "
            f"{csv.field_size_limit()} characters: a quote opened on it is probably never "
            "closed; close the quote or remove it"
        )
    # Read leniently, line by line, no other error is known to arise.
    return f"{display}, line {start}: not CSV ({exc}); save the file as CSV"  # pragma: no cover
