"""The CMS NCCI procedure-to-procedure (PTP) edits, read from the user's copy of the
practitioner PTP edit file: unitcalc ships no PTP pairs.

Each edit pairs a column 1 code with a column 2 code: billed for one patient on one date
of service by one provider, the column 2 code is denied unless an NCCI PTP-associated
modifier is reported (modifier indicator 1), or denied whatever the modifier (indicator
0); indicator 9 means the edit does not apply (it was deleted). An edit is in force from
its effective date up to, not including, its deletion date (``*``: none).

The file is read as CMS publishes it: tab-delimited text whose header row (after any
notice lines) names ``Column 1``, ``Column 2``, ``*=in existence prior to 1996``,
``Effective Date``, ``Deletion Date *=no data``, ``Modifier 0=not allowed 1=allowed
9=not applicable`` and ``PTP Edit Rationale``; dates are written ``YYYYMMDD``. The same
columns saved as CSV, or as an Excel workbook (``.xlsx``, with the ``report`` extra's
openpyxl), read the same way.

References:
    CMS, "Medicare NCCI Procedure to Procedure (PTP) Edits" (cms.gov): column one and
    column two codes, the denial of the column two code unless an NCCI PTP-associated
    modifier is also reported; the quarterly practitioner PTP edit files.
    NCCI Policy Manual for Medicare Services, Chapter I (modifiers and modifier
    indicators); CMS MLN1783722, "Proper Use of Modifiers 59, XE, XP, XS & XU".
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .codeinfo import normalize_code
from .errors import InvalidServiceError, PtpTableError
from .frozen import frozen
from .sidefiles import SideRow, read_side_file, split_rows
from .text import echo

if TYPE_CHECKING:
    import polars as pl

INDICATORS = {0: "not allowed", 1: "allowed", 9: "not applicable"}
"""The modifier indicators of the PTP file and what its header says of each."""


@attrs.frozen
class PtpEdit:
    """One PTP edit: ``column2`` is not paid with ``column1`` on one date of service
    (``modifier`` 1: unless an NCCI PTP-associated modifier is reported; 0: whatever the
    modifier; 9: the edit does not apply), from ``effective`` up to ``deletion``."""

    column1: str
    column2: str
    effective: datetime.date
    deletion: datetime.date | None
    modifier: int
    rationale: str = ""

    def in_force(self, on: datetime.date | None) -> bool:
        """Whether the edit applies on ``on`` (``None``: no date of service, the edits
        the file holds without a deletion date). Indicator 9 never applies.

        >>> edit = PtpEdit("97530", "97150", datetime.date(2020, 1, 1), None, 1)
        >>> edit.in_force(datetime.date(2019, 12, 31)), edit.in_force(datetime.date(2020, 1, 1))
        (False, True)
        """
        if self.modifier == 9:
            return False
        if on is None:
            return self.deletion is None
        return self.effective <= on and (self.deletion is None or on < self.deletion)


@attrs.frozen(eq=False)
class PtpTable:
    """PTP edits by (column 1, column 2) pair, as read from the CMS practitioner file."""

    edits: Mapping[tuple[str, str], tuple[PtpEdit, ...]] = attrs.field(converter=frozen)
    source: str = ""

    @classmethod
    def of(cls, edits: Iterable[PtpEdit], *, source: str = "") -> PtpTable:
        """A table of ``edits`` (tests, scripts)."""
        pairs: dict[tuple[str, str], tuple[PtpEdit, ...]] = {}
        for edit in edits:
            key = (edit.column1, edit.column2)
            pairs[key] = (*pairs.get(key, ()), edit)
        return cls(pairs, source)

    @classmethod
    def load_all(cls, paths: Iterable[str | Path]) -> PtpTable:
        """The edits of several files as one table: CMS publishes the practitioner
        edits in several parts."""
        tables = [cls.load(path) for path in paths]
        edits = (edit for table in tables for pair in table.edits.values() for edit in pair)
        return cls.of(edits, source="; ".join(table.source for table in tables))

    @classmethod
    def load(cls, path: str | Path) -> PtpTable:
        """Read the CMS practitioner PTP edit file: tab-delimited text as published, the
        same columns as CSV, or an ``.xlsx`` workbook (its first sheet)."""
        path = Path(path)
        try:
            with path.open("rb") as stream:
                head = stream.read(4)
            if head == b"PK\x03\x04" or path.suffix.lower() == ".xlsx":
                return cls.from_rows(_xlsx_rows(path), source=str(path), rows_are="row")
            side = read_side_file(
                path, display=f"PTP edit file {path}", problem=_problem(path), delimiter=None
            )
        except OSError as exc:
            raise PtpTableError(
                f"cannot read PTP edit file {path}: {exc.strerror or exc}", path=str(path)
            ) from exc
        return cls.from_rows(side.rows, source=str(path))

    @classmethod
    def parse(cls, text: str, *, source: str) -> PtpTable:
        """The table in ``text``, tab-delimited (a tab in its first 64 KiB) or CSV."""
        delimiter = "\t" if "\t" in text[:65536] else ","
        rows = split_rows(text, display=source, problem=_problem(source), delimiter=delimiter)
        return cls.from_rows(rows, source=source)

    @classmethod
    def from_rows(cls, rows: Iterable[SideRow], *, source: str, rows_are: str = "line") -> PtpTable:
        """The table in the rows of a side file (:mod:`.sidefiles`); ``rows_are`` names
        a row's number in messages (``line`` of a text file, ``row`` of a sheet)."""
        columns: dict[str, int] | None = None
        edits: list[PtpEdit] = []
        for number, row in rows:
            if columns is None:
                columns = _header(row)
                continue
            if not any(cell.strip() for cell in row):
                continue
            edit = _edit(SideRow(number, tuple(row)), columns, f"{source}, {rows_are} {number}")
            if edit is not None:
                edits.append(edit)
        if columns is None:
            raise PtpTableError(
                f"{source}: no header row naming 'Column 1', 'Column 2', 'Effective Date', "
                "'Deletion Date' and 'Modifier' was found; is this the CMS practitioner PTP "
                "edit file (tab-delimited text as published, or its columns as CSV or xlsx)?",
                path=source,
            )
        return cls.of(edits, source=source)

    def in_force(self, column1: str, column2: str, on: datetime.date | None) -> PtpEdit | None:
        """The edit of the pair in force on ``on``; an indicator 0 edit before a 1."""
        found = [edit for edit in self.edits.get((column1, column2), ()) if edit.in_force(on)]
        return min(found, key=lambda edit: edit.modifier) if found else None

    def frame(self) -> pl.DataFrame:
        """The edits that may apply (indicator 0 or 1), one row each, in columns."""
        import polars as pl

        applying = [edit for pair in self.edits.values() for edit in pair if edit.modifier != 9]
        return pl.DataFrame(
            {
                "__c1": [edit.column1 for edit in applying],
                "__c2": [edit.column2 for edit in applying],
                "__effective": [edit.effective for edit in applying],
                "__deletion": [edit.deletion for edit in applying],
                "__indicator": [edit.modifier for edit in applying],
            },
            schema={
                "__c1": pl.String,
                "__c2": pl.String,
                "__effective": pl.Date,
                "__deletion": pl.Date,
                "__indicator": pl.Int64,
            },
        )


_FIELDS = {
    "column1": "Column 1",
    "column2": "Column 2",
    "effective": "Effective Date",
    "deletion": "Deletion Date",
    "modifier": "Modifier",
}


def _header(row: Sequence[str]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        name = " ".join(cell.split()).lower()
        if re.fullmatch(r"column ?1\b.*", name):
            found.setdefault("column1", index)
        elif re.fullmatch(r"column ?2\b.*", name):
            found.setdefault("column2", index)
        elif name.startswith("effective date"):
            found.setdefault("effective", index)
        elif name.startswith("deletion date"):
            found.setdefault("deletion", index)
        elif name.startswith("modifier"):
            found.setdefault("modifier", index)
        elif "rationale" in name:
            found.setdefault("rationale", index)
    return found if set(_FIELDS) <= set(found) else None


def _edit(row: SideRow, columns: Mapping[str, int], where: str) -> PtpEdit | None:
    """One data row's edit; ``None`` for a note under the table (no column 2 code)."""
    cells = {name: row.cell(index).strip() for name, index in columns.items()}

    def refuse(field: str, message: str) -> PtpTableError:
        return PtpTableError(
            f"{where}: {_FIELDS.get(field, field)} {message}",
            path=where.rpartition(", ")[0],
            line=row.line,
            field=_FIELDS.get(field, field),
        )

    if not any(cells[field] for field in ("column2", "effective", "deletion", "modifier")):
        return None  # a note below the table, in its first cell
    codes = []
    for field in ("column1", "column2"):
        try:
            codes.append(normalize_code(cells[field]))
        except InvalidServiceError:
            raise refuse(
                field,
                f"{echo(cells[field])} is not a CPT/HCPCS code; give the file as CMS publishes it",
            ) from None
    effective = _date(cells["effective"])
    if effective is None:
        raise refuse(
            "effective",
            f"{echo(cells['effective'])} is not a date as CMS writes it (YYYYMMDD, e.g. 20200101)",
        )
    deletion = None
    if cells["deletion"] not in ("", "*"):
        deletion = _date(cells["deletion"])
        if deletion is None:
            raise refuse(
                "deletion",
                f"{echo(cells['deletion'])} is not a date as CMS writes it (YYYYMMDD) "
                "nor * (no deletion)",
            )
    indicator = cells["modifier"]
    if indicator not in ("0", "1", "9"):
        raise refuse("modifier", f"indicator {echo(indicator)} is not 0, 1 or 9")
    rationale = row.cell(columns["rationale"]).strip() if "rationale" in columns else ""
    return PtpEdit(codes[0], codes[1], effective, deletion, int(indicator), rationale)


def _date(text: str) -> datetime.date | None:
    """A PTP file's date: ``YYYYMMDD`` as CMS writes it (``YYYY-MM-DD`` as a re-saved
    file may); ``None`` when it is neither."""
    try:
        if re.fullmatch(r"[0-9]{8}", text):
            return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return datetime.date.fromisoformat(text)
    except ValueError:
        return None
    return None


def _xlsx_rows(path: Path) -> tuple[SideRow, ...]:
    """The rows of a workbook's first sheet, each cell as the text file would hold it
    (a date as ``YYYYMMDD``, a whole number without a decimal point)."""
    try:
        from openpyxl import load_workbook
    except ImportError:
        raise PtpTableError(
            f"PTP edit file {path} is a workbook (.xlsx): reading it needs openpyxl: "
            "pip install 'unitcalc[report]', or give the tab-delimited text file",
            path=str(path),
        ) from None
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except OSError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a file it cannot read
        raise PtpTableError(
            f"PTP edit file {path}: not a workbook openpyxl can read ({type(exc).__name__}); "
            "save it again as .xlsx, or give the tab-delimited text file",
            path=str(path),
        ) from None
    try:
        sheet = book.worksheets[0]
        return tuple(
            SideRow(number, tuple(_cell(value) for value in values))
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
    finally:
        book.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y%m%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _problem(path: str | Path) -> Any:
    """The side-file reader's error, as a PTP file's error naming the file's path."""

    def problem(message: str, *, path: str, line: int | None = None) -> PtpTableError:
        del path  # the reader names the file as shown; the error holds its path
        return PtpTableError(message, path=str(table), line=line)

    table = path
    return problem
