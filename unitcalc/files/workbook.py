"""The audit as an Excel workbook: a summary sheet, the amounts, the findings, their
units by code, their claim lines, the providers, the KX threshold findings and the run
manifest, each with a frozen header, filters and fitted widths. Counts, units and
dollars are number cells (dollars with a currency format), dates of service dates and
the run's time a date and time. openpyxl is imported here only, when a workbook is
asked for.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, NamedTuple

from ..core.errors import OutputProblem
from ..core.text import count_of
from ..engine.audit import STATUSES
from .cells import safe_row
from .episode_texts import EPISODE_COLUMNS, episode_rows
from .findings_table import AMOUNT_COLUMNS, KX_COLUMNS
from .summary import Summary
from .texts import count_rows
from .workbook_sheets import (
    AMOUNT_SHEET_COLUMNS,
    LINE_COLUMNS,
    MONEY_ITEMS,
    UNITS_COLUMNS,
    amount_rows,
    as_date,
    integers,
    manifest_rows,
    payment_items,
    provider_amounts,
    typed_finding,
)

CURRENCY = '"$"#,##0.00'
"""The number format of dollar cells: $1,250.00."""
DATE = "yyyy-mm-dd"
MOMENT = "yyyy-mm-dd hh:mm:ss"
MAX_ROWS = 1_048_576
"""The most rows a sheet of an Excel workbook holds."""


class BookRows(NamedTuple):
    """The spooled rows a workbook is written from (CSV rows, as text)."""

    findings: Iterator[list[str]]
    units: Iterator[list[str]]
    """One row per finding and code (:data:`.workbook_sheets.UNITS_COLUMNS`)."""
    lines: Iterator[list[str]]
    """One row per input line of a finding's group (:data:`.workbook_sheets.LINE_COLUMNS`)."""


def write_xlsx(out: IO[str], summary: Summary, columns: Sequence[str], rows: BookRows) -> None:
    """The audit as an Excel workbook (see the module's docstring). Text a spreadsheet
    would take for a formula is quoted (:func:`spreadsheet_safe`)."""
    try:
        from openpyxl import Workbook
    except ImportError:
        raise OutputProblem(
            "a workbook (.xlsx) needs openpyxl: pip install 'unitcalc[report]'"
        ) from None

    # Written row by row, never held whole: a sheet of a million lines in bounded memory.
    book = Workbook(write_only=True)
    items = [*count_rows(summary), *payment_items(summary)]
    _sheet(book.create_sheet("Summary"), ["item", "value"], items, money_items=MONEY_ITEMS)
    if summary.payment is not None:
        sheet = book.create_sheet("Amounts")
        _sheet(sheet, AMOUNT_SHEET_COLUMNS, amount_rows(summary), money=AMOUNT_SHEET_COLUMNS[3:6])
    status_at, provider_at = columns.index("status"), columns.index("provider")
    flagged: dict[str, Counter[str]] = {}

    def counted(row: Sequence[str]) -> list[Any]:
        if row[status_at] != "ok":
            for name in str(row[provider_at]).split("; ") if row[provider_at] else ["(none)"]:
                flagged.setdefault(name, Counter())[row[status_at]] += 1
        return typed_finding(columns, row)

    findings = (counted(row) for row in rows.findings)
    _sheet(book.create_sheet("Findings"), columns, findings, money=AMOUNT_COLUMNS)
    units = (integers(row, 3, 4) for row in rows.units)
    _sheet(book.create_sheet("Units by code"), UNITS_COLUMNS, units)
    lines = (integers(row, 0, 4, 5, 6) for row in rows.lines)
    _sheet(book.create_sheet("Claim lines"), LINE_COLUMNS, lines)
    _providers(book.create_sheet("Providers"), summary, flagged)
    episodes = episode_rows(summary)
    if episodes is not None:
        table = ([row[name] for name in EPISODE_COLUMNS] for row in episodes)
        _sheet(book.create_sheet("Episodes"), EPISODE_COLUMNS, table)
    kx = (summary.payment or {}).get("kx", {}).get("findings")
    if kx:
        sheet = book.create_sheet("KX threshold")
        found = (
            [as_date(finding[name]) if name == "date_of_service" else finding[name]
             for name in KX_COLUMNS]
            for finding in kx
        )  # fmt: skip
        _sheet(sheet, KX_COLUMNS, found, money=("accrued", "threshold"))
    _patterns(book, summary)
    _sheet(book.create_sheet("Manifest"), ["key", "value"], manifest_rows(summary.manifest))
    out.flush()
    book.save(out.buffer)  # type: ignore[attr-defined]


def _providers(sheet: Any, summary: Summary, flagged: Mapping[str, Counter[str]]) -> None:
    """Each provider's timed minutes per unit and findings by status; with a fee file,
    the dollars of the provider's groups; with a date of service, last, its days over
    8 hours."""
    minutes = {row["provider"]: row for row in summary.provider_rows()}
    dollars = provider_amounts(summary)
    money = ["billed", "allowed", "difference"] if summary.payment is not None else []
    not_ok = [status for status in STATUSES if status != "ok"]
    # With a date of service: days of more than 8 hours (OIG OEI-04-09-00540).
    days = any("days_over_8_hours" in row for row in minutes.values())
    by_day = ["days over 8 hours", "worst day minutes", "worst day"] if days else []
    _sheet(
        sheet,
        ["provider", "timed minutes", "timed units billed", "minutes per unit", "review",
         "findings", *not_ok, *money, *by_day],
        (
            [
                name,
                *(
                    (row["timed_minutes"], row["timed_units_billed"], row["minutes_per_unit"],
                     ("review" if row["review"] else "")
                     + (", bottom of band" if row.get("bottom_of_band") else ""))
                    if (row := minutes.get(name)) is not None
                    else (None, None, None, "")
                ),
                sum(flagged.get(name, Counter()).values()),
                *(flagged.get(name, Counter())[status] for status in not_ok),
                *((dollars.get(name) or {}).get(kind) for kind in money),
                *(
                    (row["days_over_8_hours"], row["worst_day_minutes"], row["worst_day"])
                    if by_day and (row := minutes.get(name)) is not None
                    else (None,) * len(by_day)
                ),
            ]
            for name in sorted(minutes.keys() | flagged.keys() | dollars.keys())
        ),
        money=money,
    )  # fmt: skip


def _patterns(book: Any, summary: Summary) -> None:
    """A sheet for each pattern across groups found, only when some row qualifies:
    patients with therapy in every month of a year (OIG OEI-04-09-00540), codes billed
    under two or more claims (CMS Pub. 100-04 Ch. 1 section 120)."""
    patterns = summary.pattern_dict()
    months = patterns.get("patients_every_month", [])
    if months:
        names = ["patient", "year", "months", "dates_of_service"]
        _sheet(book.create_sheet("Every month"), names, ([r[n] for n in names] for r in months))
    overlaps = patterns.get("overlapping_patients", [])
    if overlaps:
        names = ["provider", "date_of_service", "overlaps"]
        _sheet(book.create_sheet("Overlaps"), names, ([r[n] for n in names] for r in overlaps))
    doubled = patterns.get("duplicate_claim_lines", [])
    if doubled:
        names = ["patient", "date_of_service", "code"]
        _sheet(
            book.create_sheet("Duplicate claims"),
            [*names, "claims"],
            ([*(r[n] for n in names), ", ".join(r["claims"])] for r in doubled),
        )


FITTED_ROWS = 2_000
"""The rows a sheet's column widths are fitted to (a write-only sheet sets its widths
before its rows)."""


def _sheet(
    sheet: Any,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    money: Sequence[str] = (),
    money_items: frozenset[str] = frozenset(),
) -> None:
    """Rows under a bold, frozen header with filters, columns fitted to their widest
    cell (of the first :data:`FITTED_ROWS`); the ``money`` columns' numbers, and the
    numbers of rows whose first cell is one of ``money_items``, with a currency format,
    dates as dates. A sheet stops at Excel's limit of rows, its last row saying how many
    were left out."""
    import itertools

    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = iter(rows)
    first = [
        [_fitted(cell) for cell in safe_row(row)] for row in itertools.islice(rows, FITTED_ROWS)
    ]
    widths = [len(name) for name in header]
    for cells in first:
        for index, cell in enumerate(cells[: len(widths)]):
            widths[index] = max(widths[index], len(str(cell)) if cell is not None else 0)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 80)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_styled(WriteOnlyCell(sheet, value=name), font=bold) for name in header])
    dollars = {index for index, name in enumerate(header) if name in money}
    written = 1
    stream = itertools.chain(first, ([_fitted(cell) for cell in safe_row(row)] for row in rows))
    for cells in stream:
        if written == MAX_ROWS - 1:
            left = count_of(1 + sum(1 for _ in stream), "row")
            sheet.append([f"... {left} left out: a sheet holds {MAX_ROWS:,} rows "
                          "(the CSV, JSON and Parquet outputs hold them all)"])  # fmt: skip
            written += 1
            break
        money_row = bool(money_items) and bool(cells) and cells[0] in money_items
        sheet.append([_formatted(sheet, index, cell, dollars, money_row=money_row)
                      for index, cell in enumerate(cells)])  # fmt: skip
        written += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{written}"


def _formatted(sheet: Any, index: int, cell: Any, dollars: set[int], *, money_row: bool) -> Any:
    """A cell as written: a date or date and time with its format, a dollar number with
    the currency format, anything else as it is."""
    import datetime as dt

    from openpyxl.cell import WriteOnlyCell

    if isinstance(cell, dt.date):
        return _styled(WriteOnlyCell(sheet, value=cell),  # type: ignore[arg-type]
                       number_format=MOMENT if isinstance(cell, dt.datetime) else DATE)  # fmt: skip
    if (
        (index in dollars or money_row)
        and isinstance(cell, int | float)
        and not isinstance(cell, bool)
    ):
        return _styled(WriteOnlyCell(sheet, value=cell), number_format=CURRENCY)
    return cell


def _styled(cell: Any, *, font: Any = None, number_format: str | None = None) -> Any:
    if font is not None:
        cell.font = font
    if number_format is not None:
        cell.number_format = number_format
    return cell


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
