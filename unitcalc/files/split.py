"""The large-file split: a plain CSV file too large to parse at once, split into parts
by the hash of its key column (a patient day's rows all in one part), parsed by polars
a chunk of whole lines at a time and written as Arrow files. The parts are proved
complete as the columnar reader (:mod:`.columnar`) proves a whole file, a chunk at a time
as it is parsed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..core.text import stripped_column
from .columnar import CsvShape, Reading, polars_csv, reading, whole

if TYPE_CHECKING:
    import polars as pl

    from .layout import Layout


def holds_patients(layout: Layout) -> bool:
    """Each part of the file (a part of the split, or the whole file) holds its
    patients' every row: the key's first column, whose hash splits the file, is the
    patient's."""
    return tuple(layout.key_roles[:1]) == ("patient_id",)


CHUNK_BYTES = 16 << 20
"""How much of a large CSV file is parsed at a time while it is split into parts: the
split holds two to three chunks in memory (one read, one parsed, one written),
whatever the file's size."""


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
    files: each part's files; None when the file needs the careful reader. The next
    chunk is parsed in a thread while this one's parts are written (polars leaves the
    interpreter free): two to three chunks are held at a time."""
    from concurrent.futures import Future, ThreadPoolExecutor

    import polars as pl

    readings: list[Reading] = []
    split = _ChunkSplit(delimiter, shape, key, parts)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="unitcalc-split") as pool:
            pending: Future[_Chunk | None] | None = None
            for number, (line, data) in enumerate(csv_chunks(path, CHUNK_BYTES)):
                parsing = pool.submit(split, number, line, data)
                if pending is not None and not _written(pending.result(), folder, readings):
                    return None
                pending = parsing
            if pending is not None and not _written(pending.result(), folder, readings):
                return None
        files = sorted(folder.rglob("*.ipc"))
        if not files or not whole(readings, shape):  # no part is counted before
            return None
    except (pl.exceptions.PolarsError, UnicodeDecodeError, OSError, ValueError):
        return None
    by_part: dict[Path, list[Path]] = {}
    for file in files:
        by_part.setdefault(file.parent, []).append(file)
    return list(by_part.values())


class _Chunk(NamedTuple):
    """A chunk of the file parsed: its number, what proves it complete, and its rows
    by part."""

    number: int
    reading: Reading
    rows: dict[int, pl.DataFrame]


class _ChunkSplit:
    """Parses a chunk of whole lines (:func:`csv_chunks`) and splits its rows by part:
    None when a row has another number of fields than the header."""

    def __init__(self, delimiter: str, shape: CsvShape, key: str, parts: int) -> None:
        self.options = polars_csv(delimiter, shape.columns)
        self.shape, self.key, self.parts = shape, key, parts

    def __call__(self, number: int, line: int, data: bytes) -> _Chunk | None:
        import polars as pl

        options = {**self.options, "row_index_offset": line}
        frame = pl.read_csv(data, has_header=False, **options)
        if frame.width != len(self.shape.columns) + 1:
            return None
        # Proven complete as it is parsed, not on a second reading.
        proof = reading(frame, self.shape)
        # Stripped as str.strip() strips: a patient's rows, however their key is
        # spaced, in one part (as the KX accrual reads the patient).
        frame = frame.with_columns(__part=stripped_column(pl.col(self.key)).hash() % self.parts)
        by_part = frame.partition_by("__part", as_dict=True, include_key=False)
        return _Chunk(number, proof, {int(part): rows for (part,), rows in by_part.items()})


def _written(chunk: _Chunk | None, folder: Path, readings: list[Reading]) -> bool:
    """A parsed chunk's parts written to ``folder`` (a folder a part) and its proof
    kept in ``readings``; False when the chunk could not be parsed whole."""
    if chunk is None:
        return False
    readings.append(chunk.reading)
    for part, rows in chunk.rows.items():
        (folder / str(part)).mkdir(exist_ok=True)
        rows.write_ipc(folder / str(part) / f"{chunk.number:08d}.ipc")
    return True
