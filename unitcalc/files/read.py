"""Reading visit files: CSV, JSON Lines and Parquet into records with their physical
line numbers, or into one polars frame of raw text when the file allows it.

Two readers give the same records. The *columnar* reader hands a plain UTF-8 CSV to
polars' multi-threaded parser, then proves the result complete: every physical line
after the header is exactly one record (no blank lines, no quoted line breaks, no
short rows), so a record's line number is its index plus the header's line. Any file
that does not pass (another encoding, a broken quote, a ragged row, JSON Lines) is read
by the *careful* reader, record by record, which names the line and the reason of each
record it cannot use. Nothing is dropped either way.
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

from ..core.encodings import SAMPLE_BYTES, Source, open_source, text_encoding
from ..core.errors import FileProblem, Mention, message_of
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
        for raw in self._handle:
            self.number += 1
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
        try:
            for text in stream:
                self.number += 1
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


DELIMITERS = ",;\t|"


def detect_delimiter(source: Source, encoding: str) -> str:
    r"""The CSV delimiter of a file, read by :class:`csv.Sniffer` from its first lines:
    one of comma, semicolon, tab or bar; a comma when the lines do not show one.

    >>> detect_delimiter(b"patient_id;date_of_service;code;minutes\nP1;2026-03-02;97110;38\n",
    ...                  "utf-8")
    ';'
    """
    with open_source(source) as handle:
        sample = handle.read(SAMPLE_BYTES)
    text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = text.splitlines()[:20]
    if len(lines) > 1 and not text.endswith(("\n", "\r")) and len(sample) == SAMPLE_BYTES:
        lines = lines[:-1]  # cut by the sample
    header = lines[0] if lines else ""
    if "," in header and not any(mark in header for mark in DELIMITERS[1:]):
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        # Rows the sniffer finds uneven (a ragged row): the header's delimiter, if any.
        counts = {mark: header.count(mark) for mark in DELIMITERS}
        best = max(counts, key=lambda mark: counts[mark])
        return best if counts[best] else ","


def detect_format(path: Path, given: InputFormat | None) -> InputFormat:
    """The input's format: as given, else from the file name's suffix (CSV otherwise)."""
    if given is not None:
        return given
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    return "jsonl" if suffix in {".jsonl", ".ndjson", ".json"} else "csv"


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


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise _DuplicateKey(repeated[0])
    return dict(pairs)


def _json_record(number: int, text: str) -> Record:
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        return Record(number, number, {}, f"not valid JSON ({exc.msg}, column {exc.colno})")
    except _DuplicateKey as exc:
        return Record(
            number, number, {}, f"the key {exc.args[0]!r} appears twice in one record; keep one"
        )
    except RecursionError:
        return Record(number, number, {}, "JSON nested too deeply")
    except ValueError:  # a number of more than 4,300 digits
        return Record(number, number, {}, "a number in this record has thousands of digits")
    if not isinstance(value, dict):
        return Record(number, number, {}, "a JSON Lines record must be an object {...}")
    # Keys are matched whatever their letter case, record by record; two keys that differ
    # only in case would leave one of them unread, so the record is refused.
    lowered: dict[str, str] = {}
    for key in value:
        name = str(key).strip().lower()
        if name in lowered:
            return Record(
                number,
                number,
                {},
                f"the keys {lowered[name]!r} and {key!r} differ only in letter case; keep one",
            )
        lowered[name] = str(key)
    return Record(number, number, AnyCase({str(k): v for k, v in value.items()}))


# --- the columnar reader ---------------------------------------------------------------


LINE, END, ERROR = "__line", "__end", "__error"
"""The columns every frame of records carries beside the input's own."""


def csv_lines(source: Source, delimiter: str) -> tuple[tuple[str, ...], int] | None:
    """A plain CSV file's columns and its number of physical lines, read as bytes; None
    when the header or the line ends need the careful reader."""
    with open_source(source) as handle:
        first = handle.readline()
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
        handle.seek(skip)
        physical = 0
        carriage = crlf = 0
        tail = b""
        for block in iter(lambda: handle.read(1 << 22), b""):
            physical += block.count(b"\n")
            carriage += block.count(b"\r")
            crlf += (tail + block).count(b"\r\n") - tail.count(b"\r\n")
            tail = block[-1:]
        if tail and tail != b"\n":
            physical += 1  # the last line has no line break
    if carriage != crlf:
        return None  # a carriage return alone: the careful reader says where
    return columns, physical


def complete(frame: pl.LazyFrame | pl.DataFrame, columns: Sequence[str], physical: int) -> bool:
    """True when polars read every record whole: one record a physical line after the
    header (a quoted line break would make more lines than records), no short row (it
    leaves nulls), no row of blank cells (no record), no quote left open at the end."""
    import polars as pl

    text = [pl.col(name) for name in columns]
    stats = frame.lazy().select(
        pl.len().alias("rows"),
        pl.sum_horizontal(name.null_count() for name in text).alias("nulls"),
        pl.all_horizontal(name.str.strip_chars() == "" for name in text).any().alias("blank"),
        # The last record (the one with the highest line number, wherever it stands).
        pl.any_horizontal(name.str.contains("[\r\n]") for name in text)
        .get(pl.col(LINE).arg_max())
        .alias("open"),
    )
    rows, nulls, blank, still_open = stats.collect(engine="streaming").row(0)
    return rows + 1 == physical and not nulls and not blank and not still_open


def csv_frame(
    source: Source, delimiter: str, *, display: str
) -> tuple[tuple[str, ...], pl.DataFrame] | None:
    """The file's columns and its records as a frame of raw text, read by polars; None
    when the file needs the careful reader (see the module's docstring)."""
    import polars as pl

    shape = csv_lines(source, delimiter)
    if shape is None:
        return None
    columns, physical = shape
    try:
        frame = pl.read_csv(
            source if isinstance(source, Path) else io.BytesIO(source),
            raise_if_empty=False,
            **_polars_csv(delimiter, columns),
        )
    except (pl.exceptions.PolarsError, UnicodeDecodeError, OSError, ValueError):
        return None
    if frame.width != len(columns) + 1 or not complete(frame, columns, physical):
        return None
    return columns, with_lines(frame)


def _polars_csv(delimiter: str, columns: Sequence[str]) -> dict[str, Any]:
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


CHUNK_BYTES = 16 << 20
"""How much of a large CSV file is parsed at a time while it is split into parts: the
split holds one chunk in memory, whatever the file's size."""


def csv_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[int, bytes]]:
    """A CSV file's records after the header, in chunks of whole lines: each chunk with
    the line number of its first line (the header is line 1)."""
    with path.open("rb") as handle:
        handle.readline()  # the header (its byte-order mark with it)
        line, tail = 2, b""
        for block in iter(lambda: handle.read(chunk_bytes), b""):
            data = tail + block
            cut = data.rfind(b"\n") + 1
            data, tail = data[:cut], data[cut:]
            if data:
                yield line, data
                line += data.count(b"\n")
        if tail:
            yield line, tail


def csv_parts(
    path: Path,
    delimiter: str,
    shape: tuple[tuple[str, ...], int],
    key: str,
    *,
    folder: Path,
    parts: int,
) -> list[list[Path]] | None:
    """A large plain CSV file (its columns and physical lines in ``shape``, from
    :func:`csv_lines`) split into ``parts`` by the hash of its ``key`` column (stripped),
    parsed by polars a chunk at a time and written to ``folder`` as Arrow files: each
    part's files; None when the file needs the careful reader."""
    import polars as pl

    columns, physical = shape
    options = _polars_csv(delimiter, columns)
    try:
        for number, (line, data) in enumerate(csv_chunks(path, CHUNK_BYTES)):
            frame = pl.read_csv(data, has_header=False, **{**options, "row_index_offset": line})
            if frame.width != len(columns) + 1:
                return None
            frame = frame.with_columns(__part=pl.col(key).str.strip_chars().hash() % parts)
            for (part,), rows in frame.partition_by(
                "__part", as_dict=True, include_key=False
            ).items():
                (folder / str(part)).mkdir(exist_ok=True)
                rows.write_ipc(folder / str(part) / f"{number:08d}.ipc")
        files = sorted(folder.rglob("*.ipc"))
        # Proven complete on the parts (Arrow, read without parsing), not on a second
        # reading of the CSV file; no part is counted before.
        if not files or not complete(pl.scan_ipc(files), columns, physical):
            return None
    except (pl.exceptions.PolarsError, UnicodeDecodeError, OSError, ValueError):
        return None
    by_part: dict[Path, list[Path]] = {}
    for file in files:
        by_part.setdefault(file.parent, []).append(file)
    return list(by_part.values())


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
    frame = as_text(frame).with_row_index(LINE, offset=1)
    frame = frame.with_columns(pl.col(LINE).cast(pl.Int64)).with_columns(
        pl.col(LINE).alias(END), pl.lit(None, dtype=pl.String).alias(ERROR)
    )
    return columns, frame


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column of ``frame`` as text, as one checker reads every format: numbers,
    dates and booleans written as polars writes them, other types cast where they can be
    (null where not)."""
    import polars as pl

    text = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if dtype == pl.String:
            text.append(column)
        elif dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean:
            text.append(column.cast(pl.String))
        else:
            text.append(column.cast(pl.String, strict=False))
    return frame.select(text)


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
