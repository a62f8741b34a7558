"""The rows of a fee file: its text decoded and split into CSV cells, each stripped.

A byte-order mark says the encoding (Excel's "Unicode text" is UTF-16); else UTF-8, or
cp1252 for an older export. A fee CSV saved with semicolons is refused here, by name:
its amounts may use a decimal comma, unsafe to guess at.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from pathlib import Path

from ...core.errors import FeeFileError


def fee_rows(path: Path, shown: str) -> list[list[str]]:
    """The rows of the file at ``path`` (``shown`` in messages), each a list of cells."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeeFileError(
            f"cannot read the fee file {shown}: {exc.strerror or exc}", path=shown
        ) from None
    # A byte-order mark says the encoding (Excel's "Unicode text" is UTF-16); else
    # UTF-8, or cp1252 for an older export.
    boms = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
            (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip
    marked = next((name for bom, name in boms if data.startswith(bom)), None)
    for encoding in (marked,) if marked else ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FeeFileError(f"{shown} is not text in its byte-order mark's encoding", path=shown)
    first = next((line for line in text.splitlines() if line.strip()), "")
    # A header naming the code, split by another mark: a fee CSV saved with semicolons
    # (whose amounts may then use a decimal comma, unsafe to guess at).
    if "," not in first and "CODE" in first.upper() and any(mark in first for mark in ";\t|"):
        raise FeeFileError(
            f"{shown}, line 1: the fields are not separated by commas; save the fee file "
            "as CSV with commas (amounts with a decimal point, such as 31.47)",
            path=shown,
            line=1,
            field="header",
        )
    try:
        return [[value.strip() for value in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise FeeFileError(f"{shown}: not CSV ({exc})", path=shown) from None


def cell(row: Sequence[str], index: int) -> str:
    """The row's cell at ``index``; empty past the row's end."""
    return row[index] if index < len(row) else ""
