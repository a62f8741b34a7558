"""The rows of a fee file: read as every side file is (:mod:`unitcalc.core.sidefiles`:
the encoding from a byte-order mark, valid UTF-8, or guessed), each cell stripped.

A fee CSV saved with semicolons is refused here, by name: its amounts may use a decimal
comma, unsafe to guess at.
"""

from __future__ import annotations

from pathlib import Path

from ...core.errors import FeeFileError
from ...core.sidefiles import SideRow, read_side_file


def fee_rows(path: Path, shown: str) -> tuple[SideRow, ...]:
    """The rows of the file at ``path`` (``shown`` in messages), their cells stripped."""
    try:
        rows = read_side_file(path, display=shown, problem=FeeFileError, strip=True).rows
    except OSError as exc:
        raise FeeFileError(
            f"cannot read the fee file {shown}: {exc.strerror or exc}", path=shown
        ) from None
    first = next((row.cells for row in rows if len(row.cells) > 1 or any(row.cells)), ())
    # A header naming the code, split by another mark: a fee CSV saved with semicolons
    # (whose amounts may then use a decimal comma, unsafe to guess at).
    if (
        len(first) == 1
        and "," not in first[0]
        and "CODE" in first[0].upper()
        and any(mark in first[0] for mark in ";\t|")
    ):
        raise FeeFileError(
            f"{shown}, line 1: the fields are not separated by commas; save the fee file "
            "as CSV with commas (amounts with a decimal point, such as 31.47)",
            path=shown,
            line=1,
            field="header",
        )
    return rows
