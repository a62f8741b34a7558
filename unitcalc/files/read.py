"""The careful reader: a CSV or JSON Lines file, record by record, into records with
their physical line numbers, each record it cannot use with the line and the reason.

It reads every file the columnar reader (:mod:`.columnar`) does not take whole: another
encoding than UTF-8, a broken quote, a ragged row, JSON Lines. Nothing is dropped: a
record that cannot be used is kept with its error, a blank line is counted.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from ..core.bounded import MAX_LINE_BYTES, too_long
from ..core.encodings import Source, open_source, text_encoding
from ..core.errors import FileProblem, Mention, message_of
from ..core.jsontext import JsonProblem, load_json
from ..core.text import count_of
from .options import InputFormat

if TYPE_CHECKING:
    import polars as pl


@attrs.frozen
class Record:
    """One data record as read: its physical lines, raw values by column, or an error
    saying why it could not be read."""

    line: int
    end_line: int
    values: Mapping[str, Any]
    error: str | None = None


LINE, END, ERROR = "__line", "__end", "__error"
"""The columns every frame of records carries beside the input's own: a record's
first and last physical line and its error (:class:`Record`'s ``line``, ``end_line``
and ``error``), whichever reader read it."""


class Lines:
    """Decoded physical lines of a file, numbered from 1, with a clear error for a byte
    the encoding cannot decode."""

    def __init__(self, source: Source, encoding: str, *, display: str) -> None:
        name = text_encoding(encoding, display=display)
        self.source = source
        self.display = display
        self.encoding = encoding
        self.number = 0
        self.blank = 0
        """Lines that hold no record (blank, or only empty cells), skipped."""
        self.last = ""
        """The text of the line read last."""
        self.first = ""
        """The text of the first line read since :meth:`mark`."""
        self._marked = False
        self._handle: IO[bytes] = open_source(source)
        self._text: io.TextIOWrapper | None = None
        self.size = (
            len(source) if isinstance(source, bytes) else os.fstat(self._handle.fileno()).st_size
        )
        self._utf8 = name == "utf-8"
        # UTF-16 and UTF-32 cannot be split into lines on raw newline bytes.
        self._wide = name.startswith(("utf-16", "utf-32"))

    def __iter__(self) -> Iterator[str]:
        if self._wide:
            yield from self._wide_lines()
            return
        decode = codecs.getdecoder(self.encoding)
        limit = MAX_LINE_BYTES
        for raw in iter(lambda: self._handle.readline(limit + 1), b""):
            self.number += 1
            if len(raw) > limit:
                raise self._too_long()
            if self.number == 1 and raw.startswith(codecs.BOM_UTF8):
                if not self._utf8:
                    raise FileProblem(
                        message_of(
                            f"{self.display}: the file starts with a UTF-8 byte-order mark, so "
                            f"it is UTF-8, not {self.encoding}; leave out ",
                            Mention("encoding", owner="Options"),
                        ),
                        path=self.display,
                        line=1,
                        argument="encoding",
                    )
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                self.last = decode(raw)[0]
            except UnicodeDecodeError as exc:
                raise self._undecodable(raw[exc.start]) from None
            if self._marked:
                self.first, self._marked = self.last, False
            yield self.last

    def _wide_lines(self) -> Iterator[str]:
        stream = io.TextIOWrapper(self._handle, encoding=self.encoding, newline="")
        self._text = stream
        limit = MAX_LINE_BYTES // 2  # characters of two bytes or more
        try:
            for text in iter(lambda: stream.readline(limit + 1), ""):
                self.number += 1
                if len(text) > limit:
                    raise self._too_long()
                self.last = text
                if self._marked:
                    self.first, self._marked = text, False
                yield text
        except UnicodeDecodeError:
            # The wrapper decodes in blocks, so its line count runs ahead: find the
            # line of the bad bytes from the start of the file (an error path only).
            data = self.source.read_bytes() if isinstance(self.source, Path) else self.source
            try:
                data.decode(self.encoding)
            except UnicodeDecodeError as exc:
                before = data[: exc.start].decode(self.encoding, errors="replace")
                self.number = before.count("\n")
                raise self._undecodable(data[exc.start]) from None
            raise

    def _too_long(self) -> FileProblem:
        return FileProblem(
            too_long(self.display, self.number, MAX_LINE_BYTES),
            path=self.display,
            line=self.number,
        )

    def _undecodable(self, byte: int) -> FileProblem:
        line = self.number + (1 if self._wide else 0)
        return FileProblem(
            message_of(
                f"{self.display}, line {line}: byte 0x{byte:02x} cannot be decoded as "
                f"{self.encoding}; if the file was saved in another encoding, give it with ",
                Mention("encoding", owner="Options"),
                " (e.g. ",
                Mention("encoding", "cp1252", owner="Options"),
                ")",
            ),
            path=self.display,
            line=line,
            argument="encoding",
        )

    def mark(self) -> None:
        """Remember the next line read (the first line of the next record)."""
        self._marked = True

    def position(self) -> int:
        return self._handle.tell()

    def close(self) -> None:
        if self._text is not None:
            self._text.close()  # closes the file under it too
        self._handle.close()


def read_records(
    lines: Lines, input_format: InputFormat, *, delimiter: str = ","
) -> tuple[tuple[str, ...], Iterator[Record]]:
    """The file's columns (original names, in order) and its records."""
    if input_format == "jsonl":
        return _jsonl_records(lines)
    return _csv_records(lines, delimiter)


def _csv_records(lines: Lines, delimiter: str) -> tuple[tuple[str, ...], Iterator[Record]]:
    stream = iter(lines)
    header: list[str] = []
    try:
        for fields in csv.reader(stream, delimiter=delimiter):
            if any(field.strip() for field in fields):
                header = fields
                break
    except csv.Error as exc:
        hint = (
            "; the lines seem to end with a carriage return only (old Mac format): save the "
            "file with LF or CRLF line ends"
            if "new-line character" in str(exc)
            else ""
        )
        raise FileProblem(
            f"{lines.display}, line {lines.number}: the header cannot be read as CSV{hint}",
            path=lines.display,
            line=lines.number,
        ) from None
    if not header:
        raise FileProblem(f"{lines.display}: the file is empty (no header row)", path=lines.display)
    if header[0].lstrip().startswith(("{", "[")):
        raise FileProblem(
            message_of(
                f"{lines.display}: this looks like JSON, not CSV; for one JSON object a line use ",
                Mention("input_format", "jsonl", owner="Options"),
            ),
            path=lines.display,
            line=lines.number,
            argument="input_format",
        )
    columns = tuple(name.strip() or f"column {index}" for index, name in enumerate(header, start=1))
    header_line = lines.number

    def records() -> Iterator[Record]:
        reader = csv.reader(stream, delimiter=delimiter)
        last = header_line
        while True:
            lines.mark()
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start = last + 1
                yield Record(
                    start,
                    lines.number,
                    _first_fields(columns, lines.first, delimiter),
                    _csv_error(exc, start, lines.number),
                )
                last = lines.number
                reader = csv.reader(stream, delimiter=delimiter)
                continue
            start, last = last + 1, lines.number
            if not any(field.strip() for field in fields):
                lines.blank += 1  # a blank line, or a row of empty cells, is no record
                continue
            record = csv_record(columns, start, last, fields, delimiter)
            if record.error is None and fields and fields[-1].endswith(("\n", "\r")):
                # Only a quote left open at the end of the file swallows the last line
                # break (any other quoted break would have a line after it).
                record = attrs.evolve(
                    record,
                    error=f"a quote opened on line {start} is never closed: the file ends "
                    "inside it; close the quote or remove it",
                )
            yield record

    return columns, records()


def _first_fields(columns: Sequence[str], text: str, delimiter: str) -> dict[str, str]:
    """What can still be read of a line the CSV parser gave up on: its fields split
    plainly at the delimiter, so that the row's group (whose key usually comes first)
    is marked invalid rather than split."""
    return dict(zip(columns, (f.strip().strip('"') for f in text.split(delimiter)), strict=False))


def _csv_error(exc: csv.Error, start: int, end: int) -> str:
    """The reason a CSV record from line ``start`` to line ``end`` cannot be read."""
    text = str(exc)
    if "new-line character" in text:
        return (
            f"line {start} has a carriage return inside an unquoted field; quote the field "
            "or remove the character"
        )
    if "field larger than field limit" in text:
        swallowed = max(end - start, 0)
        return (
            f"a field from line {start} is longer than {csv.field_size_limit()} characters; "
            f"a quote opened on line {start} is probably never closed: it swallowed "
            f"{count_of(swallowed, 'line')} after it (to line {end}), not audited; close "
            "the quote or remove it"
        )
    return f"unreadable CSV from line {start} ({text})"


def csv_record(
    columns: Sequence[str], start: int, end: int, fields: list[str], delimiter: str
) -> Record:
    """A CSV row as a record, with the reason it cannot be used as read, if any."""
    problem = _broken_record(fields, len(columns), start, end, delimiter)
    return Record(start, end, dict(zip(columns, fields, strict=False)), problem)


def line_error(text: str, width: int, delimiter: str) -> str | None:
    """Why one physical line of a CSV file (``text``, without its line break), read as a
    record on its own, cannot be used with a header of ``width`` fields, as
    :func:`csv_record` says it (a quote left open takes the line break in, as here), or
    None: for readers that split a file into lines first (:mod:`unitcalc.spark`). A
    short row with no quote left open is None: the columnar reader (:mod:`.columnar`)
    reads its missing fields as empty text."""
    fields = next(csv.reader([text + "\n"], delimiter=delimiter), [])
    if len(fields) < width and not (fields and fields[-1].endswith("\n")):
        return None
    return _broken_record(fields, width, 1, 1, delimiter)


def _broken_record(
    fields: Sequence[str], width: int, start: int, end: int, delimiter: str
) -> str | None:
    """Why a record cannot be used as read, or None. A quoted field running over lines
    that themselves look like rows is an unclosed quote, even when the field count
    happens to come out right."""
    if end > start:
        for field in fields:
            continuation = field.split("\n")[1:]
            if any(line.count(delimiter) >= max(1, width - 2) for line in continuation):
                swallowed = f"line {end}" if end == start + 1 else f"lines {start + 1}-{end}"
                return (
                    f"a quote opened on line {start} is never closed: the record swallowed "
                    f"{swallowed} ({end - start} line{'s' * (end - start != 1)}); close the "
                    "quote or remove it"
                )
    if len(fields) != width:
        return (
            f"wrong number of fields: expected {width} as in the header, found {len(fields)}; "
            "check for an unquoted delimiter"
        )
    return None


def _jsonl_records(lines: Lines) -> tuple[tuple[str, ...], Iterator[Record]]:
    stream = iter(lines)
    pending: list[Record] = []
    first: Record | None = None
    for text in stream:
        if not text.strip():
            lines.blank += 1
            continue
        if not pending and text.lstrip().startswith("["):
            raise FileProblem(
                f"{lines.display}, line {lines.number}: this is a JSON array; JSON Lines "
                "holds one object a line",
                path=lines.display,
                line=lines.number,
            )
        if not pending and text.strip() == "{":
            raise FileProblem(
                f"{lines.display}, line {lines.number}: this is one JSON object written over "
                "several lines; JSON Lines holds one whole object on each line (write each "
                "service line's object on one line)",
                path=lines.display,
                line=lines.number,
            )
        record = _json_record(lines.number, text)
        pending.append(record)
        if record.error is None:
            first = record
            break
    if not pending:
        raise FileProblem(f"{lines.display}: the file is empty (no records)", path=lines.display)
    columns = tuple(first.values) if first is not None else ()

    def records() -> Iterator[Record]:
        yield from pending
        for text in stream:
            if text.strip():
                yield _json_record(lines.number, text)
            else:
                lines.blank += 1

    return columns, records()


class AnyCase(dict[str, Any]):
    """A JSON Lines record's values under their own keys (carried through as written),
    found whatever the letter case: ``values.get("code")`` finds ``"Code"``."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self._names = {key.strip().lower(): key for key in self}

    def _name(self, key: str) -> str:
        if not super().__contains__(key):
            return self._names.get(key.strip().lower(), key)
        return key

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(self._name(key))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._name(key) if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(self._name(key), default)

    def copy(self) -> AnyCase:
        return AnyCase(self)


def _json_record(number: int, text: str) -> Record:
    """A JSON Lines record, or one refused whole with the reason (its text kept, see
    :data:`UNREADABLE`)."""
    try:
        value = load_json(text)
    except json.JSONDecodeError as exc:
        return _refused(number, text, f"not valid JSON ({exc.msg}, column {exc.colno})")
    except JsonProblem as exc:
        return _refused(number, text, str(exc))
    except RecursionError:
        return _refused(number, text, "JSON nested too deeply")
    if not isinstance(value, dict):
        return _refused(number, text, "a JSON Lines record must be an object {...}")
    if "\\ud" in text.lower() and _lone_surrogate(value):
        return _refused(
            number,
            text,
            "the record holds a lone surrogate escape (such as \\ud800), half of a "
            "character and no text; write the character whole",
        )
    # Keys are matched whatever their letter case, record by record; two keys that differ
    # only in case would leave one of them unread, so the record is refused.
    lowered: dict[str, str] = {}
    for key in value:
        name = str(key).strip().lower()
        if name in lowered:
            return _refused(
                number,
                text,
                f"the keys {lowered[name]!r} and {key!r} differ only in letter case; keep one",
            )
        lowered[name] = str(key)
    return Record(number, number, AnyCase({str(k): v for k, v in value.items()}))


UNREADABLE = "unreadable_record"
"""The key under which a JSON Lines record refused whole (not JSON, a key twice ...) keeps
its line's text, as it was, for the per-row output: nothing of it is lost."""


def _refused(number: int, text: str, why: str) -> Record:
    return Record(number, number, {UNREADABLE: text.rstrip("\r\n")}, why)


def _lone_surrogate(value: object) -> bool:
    """Whether a JSON value holds half of a character (an escape such as ``\\ud800`` with
    no other half), which no text file can hold."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def records_frame(records: Sequence[Record]) -> pl.DataFrame:
    """Records the careful reader gave, as a frame of their line numbers and errors; their
    values stay with the records (JSON values keep their types)."""
    import polars as pl

    return pl.DataFrame(
        {
            LINE: [record.line for record in records],
            END: [record.end_line for record in records],
            ERROR: [record.error for record in records],
        },
        schema={LINE: pl.Int64, END: pl.Int64, ERROR: pl.String},
    )
