"""The spool: rows written to a temporary file while the visit file is read, so a run
whose groups turn out to be scattered can start over, and the summary (known only at
the end) can come first; and the spooled rows as a polars frame, for the Parquet
outputs.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from array import array
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl


class Spool:
    """Body rows kept in a temporary file until the run is over. Rows written with
    :meth:`write_row` come out in the order of their input lines, whatever order they
    were written in (a group's rows together, groups by their first line)."""

    def __init__(self) -> None:
        # Closed by close(), once the rows are copied out.
        self.file: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115
            "w+", encoding="utf-8", newline=""
        )
        self._lines = array("q")
        """Each row's input line, its first byte in the file and its bytes, in the order
        written: read only when a row came before a row of an earlier line."""
        self._starts = array("q")
        self._sizes = array("q")
        self._at = 0
        self._in_order = True

    def reset(self) -> None:
        self.file.seek(0)
        self.file.truncate()
        self.__init_order()

    def __init_order(self) -> None:
        self._lines, self._starts, self._sizes = array("q"), array("q"), array("q")
        self._at, self._in_order = 0, True

    def write_row(self, text: str, line: int) -> None:
        """Write ``text``, the row of input line ``line``."""
        self.file.write(text)
        if self._lines and line < self._lines[-1]:
            self._in_order = False
        size = len(text.encode("utf-8"))
        self._lines.append(line)
        self._starts.append(self._at)
        self._sizes.append(size)
        self._at += size

    def in_line_order(self) -> None:
        """Put the rows written with :meth:`write_row` in the order of their lines, when
        they were not written so (rows of one line keep their order)."""
        if self._in_order:
            return
        order = sorted(range(len(self._lines)), key=self._lines.__getitem__)
        self.file.flush()
        raw = self.file.buffer  # type: ignore[attr-defined]
        ordered: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115
            "w+", encoding="utf-8", newline=""
        )
        for index in order:
            raw.seek(self._starts[index])
            ordered.write(raw.read(self._sizes[index]).decode("utf-8"))
        lines = array("q", (self._lines[index] for index in order))
        sizes = array("q", (self._sizes[index] for index in order))
        self.file.close()
        self.file = ordered
        self.__init_order()
        self._lines, self._sizes = lines, sizes  # the rows' places in the new file
        for size in sizes:
            self._starts.append(self._at)
            self._at += size

    def copy_to(self, out: IO[str]) -> None:
        self.in_line_order()
        self.file.seek(0)
        shutil.copyfileobj(self.file, out)

    def close(self) -> None:
        self.file.close()  # closing twice is harmless


def write_parquet(
    spool: Spool,
    columns: Sequence[str],
    out: IO[str],
    *,
    integers: Sequence[str],
    decimals: Sequence[str] = (),
    manifest: Mapping[str, Any] | None = None,
) -> None:
    """The spooled CSV rows written to ``out`` as one Parquet table: text columns, with
    ``integers`` (unit counts) as whole numbers, and the run manifest in the file's
    metadata (``unitcalc_manifest``)."""
    frame = spool_frame(spool, columns, integers=integers, decimals=decimals)
    out.flush()
    # The run manifest travels in the file's key-value metadata, as JSON.
    metadata = {"unitcalc_manifest": json.dumps(manifest)} if manifest is not None else None
    frame.write_parquet(out.buffer, metadata=metadata)  # type: ignore[attr-defined]


def spool_frame(
    spool: Spool,
    columns: Sequence[str],
    *,
    integers: Sequence[str],
    decimals: Sequence[str] = (),
) -> pl.DataFrame:
    """The spooled CSV rows as a polars frame: text columns, with ``integers`` (unit
    counts) as whole numbers and ``decimals`` (dollars) as numbers; what the Parquet
    outputs hold."""
    import polars as pl

    spool.in_line_order()
    spool.file.seek(0)
    frame = pl.read_csv(
        spool.file.read().encode("utf-8"),
        has_header=False,
        new_columns=list(columns),
        schema_overrides=dict.fromkeys(columns, pl.String),
        empty_string_is_null=False,
        raise_if_empty=False,
    )
    if frame.width == 0:
        frame = pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    return frame.with_columns(
        pl.col(name).cast(pl.Int64, strict=False) for name in integers if name in frame.columns
    ).with_columns(
        pl.col(name).cast(pl.Float64, strict=False) for name in decimals if name in frame.columns
    )
