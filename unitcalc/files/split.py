"""The large-file split: a plain CSV file too large to parse at once, split into parts
by the hash of its key column (a patient day's rows all in one part), parsed by polars
a chunk of whole lines at a time and written as Arrow files. The parts are proved
complete as the columnar reader (:mod:`.columnar`) proves a whole file, a chunk at a time
as it is parsed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.text import stripped_column
from .columnar import CsvShape, polars_csv, reading, whole

if TYPE_CHECKING:
    from .layout import Layout


def holds_patients(layout: Layout) -> bool:
    """Each part of the file (a part of the split, or the whole file) holds its
    patients' every row: the key's first column, whose hash splits the file, is the
    patient's."""
    return tuple(layout.key_roles[:1]) == ("patient_id",)


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
    shape: CsvShape,
    key: str,
    *,
    folder: Path,
    parts: int,
) -> list[list[Path]] | None:
    """A large plain CSV file (its columns and physical lines in ``shape``, from
    :func:`.columnar.csv_lines`) split into ``parts`` by the hash of its ``key`` column
    (stripped), parsed by polars a chunk at a time and written to ``folder`` as Arrow
    files: each part's files; None when the file needs the careful reader."""
    import polars as pl

    columns = shape.columns
    options = polars_csv(delimiter, columns)
    readings = []
    try:
        for number, (line, data) in enumerate(csv_chunks(path, CHUNK_BYTES)):
            frame = pl.read_csv(data, has_header=False, **{**options, "row_index_offset": line})
            if frame.width != len(columns) + 1:
                return None
            # Proven complete as it is parsed, not on a second reading.
            readings.append(reading(frame, shape))
            # Stripped as str.strip() strips: a patient's rows, however their key is
            # spaced, in one part (as the KX accrual reads the patient).
            part = stripped_column(pl.col(key)).hash() % parts
            frame = frame.with_columns(__part=part)
            for (part,), rows in frame.partition_by(
                "__part", as_dict=True, include_key=False
            ).items():
                (folder / str(part)).mkdir(exist_ok=True)
                rows.write_ipc(folder / str(part) / f"{number:08d}.ipc")
        files = sorted(folder.rglob("*.ipc"))
        if not files or not whole(readings, shape):  # no part is counted before
            return None
    except (pl.exceptions.PolarsError, UnicodeDecodeError, OSError, ValueError):
        return None
    by_part: dict[Path, list[Path]] = {}
    for file in files:
        by_part.setdefault(file.parent, []).append(file)
    return list(by_part.values())
