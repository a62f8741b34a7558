"""A visit file read and checked: its layout, every record parsed into the engine's
columns (:mod:`.check`), and how to get a record back for the groups the one-visit engine
evaluates.

The file is read by the columnar reader when it can (plain UTF-8 CSV, Parquet) and by the
careful reader otherwise (:mod:`.read`); its encoding and delimiter are the ones given,
or detected.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from ..core.bounded import copy_bounded, read_bounded
from ..core.encodings import (
    Source,
    detect_encoding,
    marked_encoding,
    not_text,
    open_source,
    text_encoding,
)
from ..core.errors import FileProblem
from .check import check_frame
from .columnar import csv_frame, parquet_frame
from .detect import detect_delimiter, detect_format
from .layout import Layout
from .options import InputFormat, Options
from .read import END, LINE, Lines, Record, read_records, records_frame

if TYPE_CHECKING:
    import polars as pl


@attrs.frozen(eq=False)
class Loaded:
    """A file read and checked: its layout, the parsed rows, and how to get a row's
    record back (for the groups the scalar engine evaluates)."""

    layout: Layout
    parsed: pl.DataFrame
    raw: pl.DataFrame | None
    records: Mapping[int, Record]
    options: Options | None = None
    """The options the file was read with (its encoding and delimiter settled)."""
    detected: tuple[str, ...] = ()
    """What was detected rather than given or the default (``encoding``, ``delimiter``)."""
    blank_lines: int = 0
    """Lines skipped for holding no record (blank, or only empty cells)."""
    display: str = ""
    """The file's name as messages show it."""

    def parsed_rows(self, lines: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The parsed columns of these lines, by line."""
        import polars as pl

        chosen = pl.DataFrame({LINE: list(lines)}, schema={LINE: pl.Int64})
        rows = self.parsed.join(chosen, on=LINE, how="semi")
        return {row[LINE]: row for row in rows.iter_rows(named=True)}

    def record_rows(self, lines: Sequence[int]) -> dict[int, Record]:
        """The records of these lines, by line."""
        if self.raw is None:
            return {line: self.records[line] for line in lines}
        import polars as pl

        columns = list(self.layout.columns)
        chosen = pl.DataFrame({LINE: list(lines)}, schema={LINE: pl.Int64})
        wanted = self.raw.join(chosen, on=LINE, how="semi").select(LINE, END, *columns)
        return {
            values[0]: Record(values[0], values[1], dict(zip(columns, values[2:], strict=True)))
            for values in wanted.iter_rows()
        }


@contextlib.contextmanager
def readable(source: Source, display: str) -> Iterator[Source]:
    """The source as the readers take it: a path that is no regular file (standard
    input, a named pipe, a process substitution) copied, line lengths checked, to an
    unnamed temporary file that is gone when the run ends (:func:`.copy_bounded`), so
    that it is read as a file on disk is, in parts when large."""
    if isinstance(source, bytes) or _regular(source, display):
        yield source
        return
    try:
        stream = source.open("rb")
    except OSError as exc:
        raise FileProblem(f"cannot read {display}: {exc.strerror or exc}", path=display) from None
    with stream:
        copy, path = copy_bounded(stream, display=display, problem=_line_problem(display))
    with copy:
        yield path


def stream_readable(stream: IO[bytes], display: str) -> contextlib.AbstractContextManager[Path]:
    """An open stream (the command line's standard input) as :func:`readable` copies a
    pipe: a path that reads it, for the length of the ``with``."""
    copy, path = copy_bounded(stream, display=display, problem=_line_problem(display))

    @contextlib.contextmanager
    def held() -> Iterator[Path]:
        with copy:
            yield path

    return held()


def _line_problem(display: str) -> Callable[[str, int | None], FileProblem]:
    def problem(message: str, line: int | None) -> FileProblem:
        return FileProblem(message, path=display, line=line)

    return problem


def _regular(source: Path, display: str) -> bool:
    """Whether ``source`` is a regular file; a directory, a missing file or a symbolic
    link loop is refused, naming it."""
    try:
        os.stat(source)
    except OSError as exc:
        why = (
            "a symbolic link loop (the link points back to itself)"
            if exc.errno == errno.ELOOP
            else exc.strerror or str(exc)
        )
        raise FileProblem(f"cannot read {display}: {why}", path=display) from None
    if source.is_dir():
        raise FileProblem(f"cannot read {display}: Is a directory", path=display)
    if not source.is_file():
        return False
    try:  # said here, as the input's problem, not by whichever reader opens it first
        os.close(os.open(source, os.O_RDONLY))
    except OSError as exc:
        raise FileProblem(f"cannot read {display}: {exc.strerror or exc}", path=display) from None
    return True


def _read_whole(source: Path, display: str) -> bytes:
    """A pipe given to :func:`resolve` outside :func:`readable`, read into memory (its
    lines' lengths checked)."""
    try:
        with source.open("rb") as stream:
            return read_bounded(
                stream,
                display=display,
                max_bytes=sys.maxsize,
                what="a visit file",
                problem=_line_problem(display),
            )
    except OSError as exc:
        raise FileProblem(f"cannot read {display}: {exc.strerror or exc}", path=display) from None


def load(source: Source, options: Options, *, display: str) -> Loaded:
    """Read and check a visit file, given by its path or its bytes (see
    :mod:`unitcalc.files.read`). A path that is no regular file (a named pipe, a process
    substitution) is copied first (:func:`readable`)."""
    with readable(source, display) as readable_source:
        return _load(readable_source, options, display=display)


def _load(source: Source, options: Options, *, display: str) -> Loaded:
    source, options, detected, input_format = resolve(source, options, display=display)
    encoding = options.encoding
    assert encoding is not None
    assert options.delimiter is not None
    utf8 = encoding == "utf-8"
    fast = None
    if input_format == "parquet":
        fast = parquet_frame(source, display=display)
    elif input_format == "csv" and utf8:
        fast = csv_frame(source, options.delimiter, display=display)
    if fast is not None:
        columns, raw = fast
        layout = Layout.of(columns, options, display=display, open_ended=False)
        parsed = check_frame(raw, layout, options, display=display)
        return Loaded(layout, parsed, raw, {}, options, detected, display=display)
    try:
        lines = Lines(source, encoding, display=display)
    except OSError as exc:
        raise FileProblem(f"cannot read {display}: {exc.strerror or exc}", path=display) from None
    try:
        columns, records = read_records(lines, input_format, delimiter=options.delimiter)
        layout = Layout.of(columns, options, display=display, open_ended=input_format == "jsonl")
        kept = list(records)
    finally:
        lines.close()
    parsed = check_frame(records_frame(kept), layout, options, records=kept, display=display)
    records_by_line = {record.line: record for record in kept}
    return Loaded(
        layout, parsed, None, records_by_line, options, detected, lines.blank, display=display
    )


def resolve(
    source: Source, options: Options, *, display: str
) -> tuple[Source, Options, tuple[str, ...], InputFormat]:
    """The source as it will be read (a pipe's bytes, when not copied by
    :func:`readable`), the options with its encoding and
    delimiter settled (given, or detected), what was detected, and its format."""

    input_format: InputFormat = detect_format(Path(display), options.input_format)
    if isinstance(source, Path) and not _regular(source, display):
        source = _read_whole(source, display)
    if input_format != "parquet":
        with open_source(source) as handle:
            head = handle.read(4096)
        why = not_text(head, display=display, given_encoding=options.encoding is not None)
        if why is not None:
            raise FileProblem(why, path=display)
    detected: list[str] = []
    if input_format == "parquet":
        options = attrs.evolve(options, encoding=options.encoding or "utf-8")
    elif options.encoding is None:
        guessed, guess = detect_encoding(source)
        options = attrs.evolve(options, encoding=guessed)
        if guess:
            detected.append("encoding")
    encoding = text_encoding(options.encoding or "utf-8", display=display)
    if encoding == "utf-8":
        with open_source(source) as handle:
            marked = marked_encoding(handle.read(4))
        if marked in ("utf-16", "utf-32"):
            # The byte-order mark says UTF-16 or UTF-32, whatever the default says.
            options = attrs.evolve(options, encoding=marked)
            encoding = marked
    if options.delimiter is None:
        delimiter = detect_delimiter(source, encoding) if input_format == "csv" else ","
        if delimiter != ",":
            detected.append("delimiter")
        options = attrs.evolve(options, delimiter=delimiter)
    return source, options, tuple(detected), input_format
