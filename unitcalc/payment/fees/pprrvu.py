"""The CMS national relative value file (PPRRVU) and its GPCI file.

The PPRRVU file has one row per code and modifier: the relative values, the indicators
and the conversion factor; the GPCI file one row per payment locality. Both open with
notice lines; the PPRRVU header is split over several rows (``WORK`` above ``RVU``,
``CONV`` above ``FACTOR``), joined here column by column, and its columns are found by
name, so that columns added in a later year do not shift them. The DESCRIPTION column is
never read (CPT descriptors are the AMA's copyright).

References:
    CMS, the Physician Fee Schedule "RVU" release (PPRRVU and GPCI files).
    CMS, Annual Physician Fee Schedule Payment Amount File, CY 2026 record layout (the
    multiple procedure indicator 5: the therapy reduction).
    CY PFS final rule, Addendum A (the status codes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from ...core.errors import FeeFileError
from ...core.sidefiles import SideRow
from .money import read_amount
from .rows import fee_rows
from .schedule import Gpci, Rvu
from .setting import FEE_COLUMN, Setting


def _normal(cell: str) -> str:
    return re.sub(r"[^A-Z0-9]+", " ", cell.upper()).strip()


def pprrvu_header(rows: Sequence[SideRow]) -> tuple[int, list[str]] | None:
    """Where the PPRRVU header ends, and its column names: the files open with notice
    lines, then a header split over several rows (``WORK`` above ``RVU``, ``CONV``
    above ``FACTOR``), the last one starting with HCPCS. The rows are joined column by
    column. The place is the header row's index among the rows."""
    for index, row in enumerate(rows[:40]):
        if not row.cells or _normal(row.cells[0]) != "HCPCS":
            continue
        start = index
        while start > 0 and _header_part(rows[start - 1]):
            start -= 1
        width = max(len(rows[at].cells) for at in range(start, index + 1))
        names = [
            _normal(" ".join(rows[at].cell(column) for at in range(start, index + 1)))
            for column in range(width)
        ]
        if "WORK RVU" in names and "CONV FACTOR" in names:
            return index, names
    return None


def _header_part(row: SideRow) -> bool:
    """A row of the split header above the HCPCS row: no code first, many names."""
    return not row.cell(0) and sum(map(bool, row.cells)) > 5


_PPRRVU_COLUMNS = {
    "code": ("HCPCS",),
    "modifier": ("MOD",),
    "work": ("WORK RVU",),
    "non-facility": ("NON FAC PE RVU", "NON FACILITY PE RVU"),
    "facility": ("FACILITY PE RVU", "FAC PE RVU"),
    "malpractice": ("MP RVU",),
    "mppr": ("MULT PROC",),
    "conversion_factor": ("CONV FACTOR",),
}


def read_pprrvu(
    rows: Sequence[SideRow], header: tuple[int, list[str]], shown: str, setting: Setting
) -> dict[tuple[str, str], Rvu]:
    """The relative values of each code and modifier, with the PE RVU of the
    ``setting``'s fee amount (non-facility or facility), from the rows below the
    ``header`` (:func:`pprrvu_header`); rows that start with no code (notes, a second
    header) are skipped."""
    header_at, names = header
    header_line = rows[header_at].line
    where: dict[str, int] = {}
    for role, choices in _PPRRVU_COLUMNS.items():
        found = next((names.index(choice) for choice in choices if choice in names), None)
        if found is None:
            raise FeeFileError(
                f"{shown}, line {header_line}: the PPRRVU header has no {choices[0]!r} "
                "column; give the CSV file of the CMS RVU release as downloaded",
                path=shown,
                line=header_line,
                field=choices[0],
            )
        where[role] = found
    status_at = names.index("STATUS CODE") if "STATUS CODE" in names else None
    rvus: dict[tuple[str, str], Rvu] = {}
    for row in rows[header_at + 1 :]:
        if not any(row.cells):
            continue
        code = row.cell(where["code"]).upper()
        if not re.fullmatch(r"[0-9A-Z]{5}", code):
            continue  # a note or a second header line, not a code row
        modifier = row.cell(where["modifier"]).upper()

        def number(role: str, *, row: SideRow = row) -> Decimal:
            return read_amount(
                row.cell(where[role]), shown, row.line, _PPRRVU_COLUMNS[role][0], blank=True
            )

        rvus[(code, modifier)] = Rvu(
            number("work"),
            number(FEE_COLUMN[setting]),
            number("malpractice"),
            number("conversion_factor"),
            # MULT PROC 5: "Subject to 50% of the practice expense component for certain
            # therapy services (effective for services April 1, 2013 and after)" (CMS
            # PFALL record layout, CY 2026, the same indicator as the RVU file's).
            row.cell(where["mppr"]) == "5",
            (row.cell(status_at).upper() or "A") if status_at is not None else "A",
        )
    if not rvus:
        raise FeeFileError(f"{shown}: the PPRRVU file has no code rows", path=shown)
    return rvus


def load_gpci(path: str | Path) -> dict[str, Gpci]:
    """The GPCI file of the CMS RVU release: the header row names the contractor
    (MAC), the locality number and the PW, PE and MP GPCIs. Localities are keyed
    ``MAC-LOCALITY`` (``01112-05``)."""
    shown = str(path)
    rows = fee_rows(Path(path), shown)
    for index, row in enumerate(rows[:40]):
        names = [_normal(cell) for cell in row.cells]

        def find(word: str, names: list[str] = names) -> int | None:
            return next((i for i, name in enumerate(names) if word in name), None)

        mac, number = find("CONTRACTOR"), find("LOCALITY NUMBER")
        work, pe, mp = find("PW GPCI"), find("PE GPCI"), find("MP GPCI")
        if None in (mac, number, work, pe, mp):
            continue
        assert mac is not None
        assert number is not None
        assert work is not None
        assert pe is not None
        assert mp is not None
        gpcis: dict[str, Gpci] = {}
        for values in rows[index + 1 :]:
            if not values.cell(number) or not values.cell(mac).isdigit():
                continue
            key = f"{values.cell(mac)}-{values.cell(number).zfill(2)}"
            gpcis[key] = Gpci(
                key,
                read_amount(values.cell(work), shown, values.line, "PW GPCI"),
                read_amount(values.cell(pe), shown, values.line, "PE GPCI"),
                read_amount(values.cell(mp), shown, values.line, "MP GPCI"),
            )
        if not gpcis:
            raise FeeFileError(f"{shown}: the GPCI file has no locality rows", path=shown)
        return gpcis
    raise FeeFileError(
        f"{shown} is not a GPCI file: no header row names the contractor, the locality "
        "number and the PW, PE and MP GPCIs",
        path=shown,
        field="gpci",
    )
