"""The spool: rows written to a temporary file while the visit file is read, so a run
whose groups turn out to be scattered can start over, and the summary (known only at
the end) can come first; and the spooled rows as a polars frame, for the Parquet
outputs.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl


class Spool:
    """Body rows kept in a temporary file until the run is over."""

    def __init__(self) -> None:
        # Closed by close(), once the rows are copied out.
        self.file: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115
            "w+", encoding="utf-8", newline=""
        )

    def reset(self) -> None:
        self.file.seek(0)
        self.file.truncate()

    def copy_to(self, out: IO[str]) -> None:
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
