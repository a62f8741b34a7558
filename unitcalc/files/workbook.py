"""The audit as an Excel workbook: a summary sheet, the findings, the providers and
the KX threshold findings, each with a frozen header, filters and fitted widths.
openpyxl is imported here only, when a workbook is asked for.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from ..core.errors import OutputProblem
from ..engine.audit import STATUSES
from .cells import safe_row
from .findings_table import AMOUNT_COLUMNS, KX_COLUMNS
from .summary import Summary
from .texts import summary_rows


def write_xlsx(
    out: IO[str], summary: Summary, columns: Sequence[str], rows: Iterator[Sequence[Any]]
) -> None:
    """The audit as an Excel workbook: a summary sheet (counts, how the file was read,
    the run manifest), the findings and the providers, each with a frozen header,
    filters and fitted widths. Text a spreadsheet would take for a formula is quoted
    (:func:`spreadsheet_safe`)."""
    try:
        from openpyxl import Workbook
    except ImportError:
        raise OutputProblem(
            "a workbook (.xlsx) needs openpyxl: pip install 'unitcalc[report]'"
        ) from None

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Summary"
    _sheet(sheet, ["item", "value"], summary_rows(summary))
    findings = book.create_sheet("Findings")
    numbers = {"difference"}
    decimals = set(AMOUNT_COLUMNS)
    status_at, provider_at = columns.index("status"), columns.index("provider")
    flagged: dict[str, Counter[str]] = {}

    def counted(row: Sequence[Any]) -> list[Any]:
        if row[status_at] != "ok":
            for name in str(row[provider_at]).split("; ") if row[provider_at] else ["(none)"]:
                flagged.setdefault(name, Counter())[row[status_at]] += 1
        return [
            int(cell)
            if name in numbers and cell
            else float(cell)
            if name in decimals and cell
            else cell
            for name, cell in zip(columns, row, strict=False)
        ]

    _sheet(findings, columns, (counted(row) for row in rows))
    for index, name in enumerate(columns, start=1):
        if name in decimals:  # dollars with their cents: 160.50, not 160.5
            for (cell,) in findings.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "#,##0.00"
    minutes = {row["provider"]: row for row in summary.provider_rows()}
    not_ok = [status for status in STATUSES if status != "ok"]
    providers = book.create_sheet("Providers")
    _sheet(
        providers,
        ["provider", "timed minutes", "timed units billed", "minutes per unit", "review",
         "findings", *not_ok],
        (
            [
                name,
                *(
                    (row["timed_minutes"], row["timed_units_billed"], row["minutes_per_unit"],
                     "review" if row["review"] else "")
                    if (row := minutes.get(name)) is not None
                    else (None, None, None, "")
                ),
                sum(flagged.get(name, Counter()).values()),
                *(flagged.get(name, Counter())[status] for status in not_ok),
            ]
            for name in sorted(minutes.keys() | flagged.keys())
        ),
    )  # fmt: skip
    kx = (summary.payment or {}).get("kx", {}).get("findings")
    if kx:
        sheet = book.create_sheet("KX threshold")
        _sheet(sheet, KX_COLUMNS, ([finding[name] for name in KX_COLUMNS] for finding in kx))
    out.flush()
    book.save(out.buffer)  # type: ignore[attr-defined]


def _sheet(sheet: Any, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append(list(header))
    widths = [len(name) for name in header]
    for row in rows:
        cells = [_fitted(cell) for cell in safe_row(row)]
        sheet.append(cells)
        for index, cell in enumerate(cells[: len(widths)]):
            widths[index] = max(widths[index], len(str(cell)) if cell is not None else 0)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(sheet.max_row, 1)}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 80)


CELL_LIMIT = 32_767
"""The most characters a cell of an Excel workbook holds."""
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters a workbook cannot hold (tab and line breaks it can)."""


def _fitted(cell: Any) -> Any:
    """A text cell as a workbook can hold it: control characters written as ``\\x01``,
    text past a cell's limit cut, saying how much more there is (the CSV and JSON outputs
    carry it whole)."""
    if not isinstance(cell, str):
        return cell
    if _CONTROL.search(cell):
        cell = _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", cell)
    if len(cell) > CELL_LIMIT:
        more = len(cell) - CELL_LIMIT + 80
        cell = (
            cell[: CELL_LIMIT - 80] + f" ... ({more:,} characters more: see the CSV or JSON output)"
        )
    return cell
