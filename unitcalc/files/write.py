"""Writing batch and audit results: CSV, JSON Lines, JSON and a plain-text report.

Rows are written to a temporary spool while the file is read, so a run whose groups
turn out to be scattered can start over, and the summary (known only at the end) can
come first. The final output goes to a temporary file beside the destination and is
moved into place at the end: an interrupted run never leaves a half-written report
under the final name.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from ..core.codes import CodeTable
from ..core.errors import OutputProblem, UnitcalcError
from ..core.model import Result
from ..core.text import count_of
from ..core.text import table as text_table
from ..engine.audit import STATUSES, Finding
from .check import Layout
from .evaluate import Group
from .leftovers import remove_stale, run_mark
from .summary import Summary

if TYPE_CHECKING:
    import polars as pl

BatchFormat = Literal["csv", "jsonl", "parquet"]
AuditFormat = Literal["table", "csv", "json", "parquet", "xlsx"]
COMPUTED = ("units", "tie", "status", "message", "edits")
AUDIT_CSV_COLUMNS = (
    "group", "status", "rule", "billed", "allowed", "difference", "lines", "message", "edits",
)  # fmt: skip
"""The findings' first columns, as before key, provider and payer columns were added
(scripts that read columns by position keep working)."""
AUDIT_PARTY_COLUMNS = ("provider", "payer")
AMOUNT_COLUMNS = ("billed_amount", "allowed_amount", "amount_difference")
"""With a fee file (``--fees``), the findings' last columns: dollars (docs/payment.md)."""
_ROLES = ("code", "minutes", "discipline")
OTHER_FIELDS = "other_fields"
_FORMULA_FIRST = frozenset("=+-@\t\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return first) with a single quote before it; other values as
    they are. Only what is written changes, never what is counted.

    >>> spreadsheet_safe("=HYPERLINK(1)"), spreadsheet_safe("-"), spreadsheet_safe(-2)
    ("'=HYPERLINK(1)", "'-", -2)
    """
    if isinstance(value, str) and value[:1] in _FORMULA_FIRST:
        return "'" + value
    return value


def safe_row(cells: Sequence[Any]) -> list[Any]:
    """:func:`spreadsheet_safe` over a row (written once a finding or claim line, so kept
    inline)."""
    return [
        "'" + cell if type(cell) is str and cell[:1] in _FORMULA_FIRST else cell for cell in cells
    ]


def audit_columns(key_roles: Sequence[str], *, amounts: bool = False) -> list[str]:
    """The findings table's columns: :data:`AUDIT_CSV_COLUMNS`, then the group's key
    apart (``patient_id``, ``date_of_service``), then provider and payer, then with
    ``amounts`` the dollars (:data:`AMOUNT_COLUMNS`)."""
    taken = set(AUDIT_CSV_COLUMNS) | set(AUDIT_PARTY_COLUMNS) | set(AMOUNT_COLUMNS)
    keys = [name if name not in taken else f"key_{name}" for name in key_roles]
    extra = AMOUNT_COLUMNS if amounts else ()
    return [*AUDIT_CSV_COLUMNS, *keys, *AUDIT_PARTY_COLUMNS, *extra]


def check_output(
    path: Path | None,
    *,
    input_path: Path | None = None,
    stdin: bool = False,
    option: str = "--output",
) -> Path | None:
    """Refuse, before any work, an output that cannot be written or that is the input
    (``stdin``: the input is standard input, compared by the file behind it). ``-``
    means standard output (None)."""
    if path is None or str(path) == "-":
        return None
    if stdin and path.exists():
        same = False
        with contextlib.suppress(OSError, ValueError):  # no file behind standard input
            given, output = os.fstat(sys.stdin.fileno()), os.stat(path)
            same = stat.S_ISREG(output.st_mode) and (given.st_dev, given.st_ino) == (
                output.st_dev,
                output.st_ino,
            )
        if same:
            raise OutputProblem(
                f"{option} {path} is the file on standard input; unitcalc never overwrites "
                "its input"
            )
    if path.is_dir():
        raise OutputProblem(f"{option} {path} is a folder; name a file")
    folder = path.resolve().parent
    if not folder.is_dir():
        raise OutputProblem(f"{option} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputProblem(f"{option} {path}: the folder {folder} cannot be written")
    same = input_path is not None and path.exists() and input_path.exists()
    if same and input_path is not None and os.path.samefile(path, input_path):
        raise OutputProblem(
            f"{option} {path} is the input file; unitcalc never overwrites its input"
        )
    return path


_PARTIAL = r"(?P<pid>[0-9]+)\.[a-z0-9_]+\.partial"
"""The rest of a half-written output's name: the run's process, a random part."""


@contextlib.contextmanager
def atomic_output(path: Path | None, *, bom: bool = False) -> Iterator[IO[str]]:
    """A text stream that becomes ``path`` only when the block ends without error;
    standard output when ``path`` is None. ``bom``: UTF-8 with a byte-order mark, which
    Excel needs to read a CSV file as UTF-8."""
    encoding = "utf-8-sig" if bom else "utf-8"
    if path is None:
        if bom:
            sys.stdout.write("\ufeff")
        yield sys.stdout
        sys.stdout.flush()
        return
    if path.exists() and not stat.S_ISREG(os.stat(path).st_mode):
        # A device, a pipe or a terminal (/dev/null, /dev/stdout): written through, never
        # replaced by a file.
        with path.open("w", encoding=encoding, newline="") as through:
            yield through
        return
    # A symbolic link is followed: the file it points to is written, the link stays.
    path = path.resolve()
    mode = stat.S_IMODE(os.stat(path).st_mode) if path.exists() else None
    folder = path.parent
    # A half-written copy a killed run left beside the output: removed, then made anew.
    remove_stale(folder, re.compile(re.escape(f".{path.name}.") + _PARTIAL))
    # Not a with-block: the file must outlive its handle to be moved into place.
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w",
        encoding=encoding,
        newline="",
        dir=folder,
        prefix=f".{path.name}.{run_mark()}.",
        suffix=".partial",
        delete=False,
    )
    try:
        with handle:
            yield handle
        # A temporary file is private (0600): a report written anew gets the usual
        # permissions, one rewritten keeps its own.
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise


def tie_text(result: Result) -> str:
    """One line describing a result's tie, empty when there is none."""
    if result.tie is None:
        return ""
    parts = [
        f"{'/'.join(group.codes)} compete for {group.units} unit{'s' * (group.units != 1)}"
        + (f" ({group.discipline})" if group.discipline else "")
        for group in result.tie.groups
    ]
    return f"{'; '.join(parts)}: {result.tie.allocations} compliant allocations"


class _Spool:
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


class BatchWriter:
    """``unitcalc batch`` output: a row per group and code (the claim line), or with
    ``per_row`` every input row with its units."""

    def __init__(self, output_format: BatchFormat, *, per_row: bool) -> None:
        self.format = output_format
        self.per_row = per_row
        self.spool = _Spool()
        self.columns: list[str] | None = None
        self.computed_names: list[str] = list(COMPUTED)
        self._csv = csv.writer(self.spool.file, lineterminator="\n")

    def reset(self) -> None:
        self.spool.reset()

    def _header(self, layout: Layout) -> list[str]:
        inputs = list(layout.columns)
        taken = {name.lower() for name in inputs}
        # JSON Lines records may bring any key in any record: the computed columns are
        # always set apart there, so that no input value is ever overwritten.
        apart = bool(taken & set(COMPUTED)) or layout.open_ended
        computed = [f"unitcalc_{name}" if apart else name for name in COMPUTED]
        self.computed_names = computed
        if self.per_row:
            columns = inputs + computed
        else:
            roles = {name.lower() for name in layout.key_columns} | set(_ROLES)
            roles |= {layout.known[role].lower() for role in _ROLES if role in layout.known}
            extras = [name for name in inputs if name.lower() not in roles]
            named = [
                c
                for c in ("code", "discipline", "minutes")
                if c not in {k.lower() for k in layout.key_columns}
            ]
            columns = [*layout.key_columns, *named, *computed, *extras]
        return [*columns, OTHER_FIELDS] if layout.open_ended else columns

    def consume(self, group: Group) -> None:
        if self.columns is None:
            self.columns = self._header(group.layout)
        for row in self._rows(group):
            self._write(row)

    def _write(self, row: dict[str, Any]) -> None:
        assert self.columns is not None
        if self.format == "jsonl":
            # JSON keeps every key, nested values as they were.
            self.spool.file.write(json.dumps(row, default=str) + "\n")
            return
        known = set(self.columns)
        other = {k: v for k, v in row.items() if k not in known}
        if other:
            row = {k: v for k, v in row.items() if k in known}
            row[OTHER_FIELDS] = json.dumps(other, default=str)
        cells = [_cell(row.get(column)) for column in self.columns]
        self._csv.writerow(safe_row(cells) if self.format == "csv" else cells)

    def _computed(
        self, units: int | None, tie: str, status: str, message: str, edits: str = ""
    ) -> dict[str, Any]:
        values = (units, tie, status, message, edits)
        return dict(zip(self.computed_names, values, strict=True))

    def _rows(self, group: Group) -> Iterator[dict[str, Any]]:
        evaluation = group.evaluation
        if evaluation is None:
            message = "; ".join(group.errors)
            for row in group.rows:
                values = _copy(row.record.values)
                if self.per_row:
                    yield values | self._computed(None, "", "invalid", message)
                else:
                    yield self._claim_line(
                        group,
                        values,
                        _value(group, values, "code"),
                        _value(group, values, "discipline"),
                        _value(group, values, "minutes"),
                    ) | self._computed(None, "", "invalid", message)
            return
        result = evaluation.result
        tie = tie_text(result)
        edits = "; ".join(result.edits)
        warnings = [note for note in result.warnings if note.kind != "edit"]

        def remarks(code: str) -> str:
            """The warnings about this line's code, and those about the whole visit."""
            return "; ".join(note.text for note in [*warnings, *group.notes] if note.about(code))

        pooled = evaluation.pooling == "discipline"
        billed_column = _column(group, "billed_units")
        if billed_column is not None and not any(
            billed_column in row.record.values for row in group.rows
        ):
            billed_column = None  # JSON Lines without the key: add none
        billed: dict[tuple[str, str | None], list[Any]] = {}
        remaining = {
            (line.code, line.discipline if pooled else None): line for line in result.lines
        }
        first_rows: dict[tuple[str, str | None], dict[str, Any]] = {}
        for row in group.rows:
            assert row.service is not None
            key = (row.service.code, row.service.discipline if pooled else None)
            values = _copy(row.record.values)
            first_rows.setdefault(key, values)
            if billed_column is not None:
                # A claim line bills what its rows billed together.
                billed.setdefault(key, []).append(values.get(billed_column))
            if self.per_row:
                line = remaining.pop(key, None)
                units = line.units if line is not None else 0
                yield values | self._computed(units, tie, "ok", remarks(row.service.code), edits)
        if self.per_row:
            for line in remaining.values():
                # An add-on family member the input did not list (97129 for 97130).
                values = dict(group.key_fields)
                values[_column(group, "code") or "code"] = line.code
                if line.discipline is not None and _column(group, "discipline"):
                    values[_column(group, "discipline") or "discipline"] = line.discipline
                note = f"not in the input: {line.code} is part of the add-on family counted here"
                yield values | self._computed(line.units, tie, "ok", note, edits)
            return
        for line in result.lines:
            key = (line.code, line.discipline if pooled else None)
            values = dict(first_rows.get(key) or group.key_fields)
            if billed_column is not None:
                values[billed_column] = _billed_sum(billed.get(key, []))
            yield self._claim_line(group, values, line.code, line.discipline, line.minutes) | (
                self._computed(line.units, tie, "ok", remarks(line.code), edits)
            )

    def _claim_line(
        self, group: Group, values: Mapping[str, Any], code: Any, discipline: Any, minutes: Any
    ) -> dict[str, Any]:
        known = group.layout.known
        roles = {c.lower() for c in group.layout.key_columns} | set(_ROLES)
        roles |= {known[role].lower() for role in _ROLES if role in known}
        out: dict[str, Any] = dict(group.key_fields)
        for name in group.layout.key_columns:
            out.setdefault(name, values.get(name))
        out.update({"code": code, "discipline": discipline, "minutes": minutes})
        out.update({k: v for k, v in values.items() if k.lower() not in roles})
        return out

    def finish(self, out: IO[str], summary: Summary) -> None:
        columns = self.columns
        if columns is None and summary.layout is not None:
            columns = self._header(summary.layout)  # a file of no rows still gets its header
        if self.format == "parquet":
            _parquet(
                self.spool,
                columns or [],
                out,
                integers=self.computed_names[:1],
                manifest=summary.manifest,
            )
            return
        if self.format == "csv" and columns is not None:
            csv.writer(out, lineterminator="\n").writerow(columns)
        self.spool.copy_to(out)

    def frame(self, layout: Layout) -> pl.DataFrame:
        """The rows written so far as the Parquet output holds them (``layout``: the
        input's, for the header when no group came)."""
        columns = self.columns if self.columns is not None else self._header(layout)
        return spool_frame(self.spool, columns, integers=self.computed_names[:1])

    def close(self) -> None:
        self.spool.close()


def _cell(value: Any) -> Any:
    """A CSV cell: nested JSON values and true/false/null written as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        return json.dumps(value)
    return value


def _billed_sum(values: list[Any]) -> Any:
    """A claim line's billed units: its rows' sum when every one is a whole number, else
    the rows' values as written, joined with '+', so nothing is silently rewritten."""
    from ..engine.audit import parse_units

    try:
        return sum(parse_units(value, code=None) for value in values)
    except UnitcalcError:
        return "+".join("" if value is None else str(value) for value in values)


def _copy(values: Mapping[str, Any]) -> dict[str, Any]:
    """A record's values to write: a JSON Lines record keeps finding its keys whatever
    their letter case."""
    copy = getattr(values, "copy", None)
    return copy() if callable(copy) else dict(values)


def _column(group: Group, role: str) -> str | None:
    return group.layout.known.get(role)


def _value(group: Group, values: Mapping[str, Any], role: str) -> Any:
    column = _column(group, role)
    return values.get(column) if column is not None else None


class AuditWriter:
    """``unitcalc audit`` output: the summary, then the findings (non-ok ones unless
    ``show_all``). With ``keep_findings`` the findings are also kept in memory, as
    table rows, for a report (:mod:`unitcalc.files.report`)."""

    def __init__(
        self,
        output_format: AuditFormat,
        *,
        show_all: bool,
        keep_findings: bool = False,
        summary_only: bool = False,
        terminal_cap: int | None = None,
        amounts: bool = False,
    ) -> None:
        self.format = output_format
        self.amounts = amounts
        """Findings carry dollar columns (a fee file was given)."""
        self.show_all = show_all
        self.summary_only = summary_only
        self.terminal_cap = terminal_cap
        """On a terminal (table format): show at most this many findings, then the
        summary last, so that it does not scroll away."""
        self._block_ends: list[int] = []
        self.spool = _Spool()
        self.findings = 0
        self.key_columns: Sequence[str] = ()
        self.key_roles: Sequence[str] = ()
        self.kept: list[dict[str, Any]] | None = [] if keep_findings else None
        """The findings as table rows (:func:`audit_columns`), with their totals."""
        self._layout: Layout | None = None
        self._columns: list[str] = []
        self._csv = csv.writer(self.spool.file, lineterminator="\n")

    def reset(self) -> None:
        self.spool.reset()
        self.findings = 0
        if self.kept is not None:
            self.kept.clear()

    def consume(self, group: Group) -> None:
        finding = group.finding
        assert finding is not None
        if (not finding.flagged and not self.show_all) or self.summary_only:
            return
        if group.layout is not self._layout:
            self._layout = group.layout
            self.key_columns = group.layout.key_columns
            self.key_roles = group.layout.key_roles
            self._columns = audit_columns(self.key_roles, amounts=self.amounts)
        self.findings += 1
        row = self._table_row(group, finding)
        if self.kept is not None:
            kept = dict(zip(self._columns, row, strict=False))
            kept["billed_total"] = sum(finding.billed.values())
            kept["allowed_total"] = sum(finding.allowed.values())
            self.kept.append(kept)
        if self.format == "json":
            data = finding.to_dict()
            data["key"] = group.key_fields
            data["provider"] = "; ".join(group.provider_names)
            data["payer"] = group.payer_name
            self.spool.file.write(("," if self.findings > 1 else "") + json.dumps(data))
        elif self.format == "csv":
            self._csv.writerow(safe_row(row))
        elif self.format in ("parquet", "xlsx"):
            self._csv.writerow(row)
        else:
            self.spool.file.write(_finding_block(finding))
            if self.terminal_cap is not None and len(self._block_ends) < self.terminal_cap:
                self._block_ends.append(self.spool.file.tell())

    def _table_row(self, group: Group, finding: Finding) -> list[Any]:
        key = list(group.key or ())
        key += [""] * (len(self.key_roles) - len(key))
        return [
            finding.group,
            finding.status,
            finding.rule or "",
            _units(finding.billed),
            _units(finding.allowed),
            finding.difference,
            " ".join(map(str, finding.lines)),
            finding.message,
            "; ".join(finding.edits),
            *key,
            "; ".join(group.provider_names),
            group.payer_name,
            *(
                (_dollars(finding.billed_amount), _dollars(finding.allowed_amount),
                 _dollars(finding.amount_difference))
                if self.amounts
                else ()
            ),
        ]  # fmt: skip

    def finish(self, out: IO[str], summary: Summary) -> None:
        summary.counts = {status: summary.counts.get(status, 0) for status in STATUSES}
        if not self.key_roles and summary.layout is not None:
            self.key_roles = summary.layout.key_roles
        columns = audit_columns(self.key_roles, amounts=self.amounts)
        if self.format == "json":
            out.write('{"summary": ' + json.dumps(summary.to_dict()) + ', "findings": [')
            self.spool.copy_to(out)
            out.write("]}\n")
        elif self.format == "csv":
            csv.writer(out, lineterminator="\n").writerow(columns)
            self.spool.copy_to(out)
            writer = csv.writer(out, lineterminator="\n")
            for row in kx_rows(summary, self.key_roles, amounts=self.amounts):
                writer.writerow(safe_row(row))
        elif self.format == "parquet":
            self.spool.file.seek(0, io.SEEK_END)
            for row in kx_rows(summary, self.key_roles, amounts=self.amounts):
                self._csv.writerow(row)
            _parquet(
                self.spool,
                columns,
                out,
                integers=["difference"],
                decimals=AMOUNT_COLUMNS if self.amounts else (),
                manifest=summary.manifest,
            )
        elif self.format == "xlsx":
            write_xlsx(out, summary, columns, self._spooled())
        elif self.terminal_cap is not None:
            # A terminal: the findings first (at most the cap), the summary last.
            if self.findings:
                out.write("Findings:\n")
                self.spool.file.seek(0)
                shown = min(self.findings, self.terminal_cap)
                out.write(self.spool.file.read(self._block_ends[shown - 1]))
                if self.findings > shown:
                    out.write(
                        f"\n... and {self.findings - shown:,} more findings: write them all "
                        "with --output FILE (or --format csv, json or xlsx)\n"
                    )
                out.write("\n")
            out.write(summary_text(summary))
            if summary.providers:
                out.write(provider_text(summary))
            out.write(payment_text(summary))
        else:
            out.write(summary_text(summary))
            if summary.providers:
                out.write(provider_text(summary))
            out.write(payment_text(summary))
            if self.findings:
                out.write("\nFindings:\n")
            self.spool.copy_to(out)

    def frame(self, layout: Layout) -> pl.DataFrame:
        """The findings written so far as the Parquet output holds them (``layout``: the
        input's, for the key columns when no finding came)."""
        roles = self.key_roles if self._layout is not None else layout.key_roles
        return spool_frame(self.spool, audit_columns(roles), integers=["difference"])

    def _spooled(self) -> Iterator[list[str]]:
        self.spool.file.seek(0)
        yield from csv.reader(self.spool.file)

    def close(self) -> None:
        self.spool.close()


def code_table_date(table: CodeTable) -> str | None:
    """The newest date in a code table (a code's start, end or deletion): how current
    the table is, for the run manifest."""
    dates = [
        day
        for info in table
        for day in (info.valid_from, info.valid_to, info.deleted_on)
        if day is not None
    ]
    return max(dates).isoformat() if dates else None


def summary_rows(summary: Summary) -> list[tuple[str, Any]]:
    """The summary as label/value pairs: the counts, how the file was read, and the
    run manifest (for the spreadsheet's and the report's summary)."""
    rows: list[tuple[str, Any]] = [
        ("rows read", summary.rows_read),
        *((("blank lines skipped", summary.blank_lines),) if summary.blank_lines else ()),
        ("rows that could not be used", summary.invalid_rows),
        ("groups", summary.groups),
        *((f"groups {status}", summary.counts.get(status, 0)) for status in STATUSES),
        ("groups tripping an edit", summary.edits),
    ]
    read = summary.input_dict()
    if read["encoding"] is not None:  # Parquet is not text: no encoding
        rows.append(("encoding", _detected(read["encoding"], "encoding", summary)))
    if read["delimiter"] is not None:
        rows.append(("delimiter", _detected(repr(read["delimiter"]), "delimiter", summary)))
    rows.extend((f"column {role}", header) for role, header in read["columns"].items())
    rows.extend(payment_rows(summary))
    for name, value in (summary.manifest or {}).items():
        if isinstance(value, dict):
            rows.extend((f"{name}: {k}", _plain(v)) for k, v in value.items())
        else:
            rows.append((name, _plain(value)))
    return rows


def _detected(value: Any, what: str, summary: Summary) -> str:
    return f"{value} (detected)" if what in summary.detected else str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return "" if value is None else value


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
        cells = safe_row(row)
        sheet.append(cells)
        for index, cell in enumerate(cells[: len(widths)]):
            widths[index] = max(widths[index], len(str(cell)) if cell is not None else 0)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(sheet.max_row, 1)}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 80)


def _parquet(
    spool: _Spool,
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
    spool: _Spool,
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


KX_COLUMNS = (
    "kind", "patient", "year", "bucket", "date_of_service", "line", "group", "accrued",
    "threshold", "message",
)  # fmt: skip
"""The columns of the KX threshold findings (spreadsheet sheet, report table)."""


def _dollars(amount: Decimal | None) -> Decimal | str:
    """An amount for a findings cell: a number (never quoted as if it were a formula),
    blank when there is none."""
    return "" if amount is None else amount.quantize(Decimal("0.01"))


def payment_rows(summary: Summary) -> list[tuple[str, Any]]:
    """The payment summary as label/value pairs (none without a fee file)."""
    payment = summary.payment
    if payment is None:
        return []
    rows: list[tuple[str, Any]] = [
        ("fees", payment["fees"]),
        ("fee file", payment["fee_file"]),
        ("billed amount", payment["billed"]),
        ("allowed amount", payment["allowed"]),
        ("amount difference", payment["difference"]),
    ]
    apart = payment.get("not_comparable", {})
    if apart.get("groups"):
        rows.append(("groups not comparable", _apart(apart["groups"], apart["billed"])))
    for kind in ("status", "provider", "payer"):
        for name, sums in payment[f"by_{kind}"].items():
            extra = ""
            if sums.get("not_comparable"):
                extra = f", {sums['not_comparable']} not comparable"
            rows.append(
                (
                    f"{kind} {name}",
                    f"billed {sums['billed']:.2f}, allowed {sums['allowed']:.2f}, "
                    f"difference {sums['difference']:.2f} "
                    f"({count_of(sums['groups'], 'group')}{extra})",
                )
            )
    rows.append(("lines past the KX threshold without KX", payment["kx"]["missing_kx_lines"]))
    rows.append(("patients past the review threshold", payment["kx"]["review_patients"]))
    rows.extend(("note", note) for note in payment["notes"])
    return rows


def kx_rows(summary: Summary, key_roles: Sequence[str], *, amounts: bool) -> list[list[Any]]:
    """The KX threshold findings as rows of the findings table (status ``missing-kx`` or
    ``review``, the line, the message; the key's patient and date), for the outputs
    that hold only that table (CSV, Parquet)."""
    payment = summary.payment
    if payment is None:
        return []
    rows = []
    for found in payment["kx"]["findings"]:
        key = {"patient_id": found["patient"], "date_of_service": found["date_of_service"]}
        row = [found["group"], found["kind"], "", "", "", "", str(found["line"])]
        row += [found["message"], "", *(key.get(role, "") for role in key_roles), "", ""]
        rows.append(row + (["", "", ""] if amounts else []))
    return rows


def dollars(amount: float | Decimal) -> str:
    """An amount as a billing person writes it: ``$1,250.00``, ``-$22.50``.

    >>> dollars(1250), dollars(-22.5)
    ('$1,250.00', '-$22.50')
    """
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def _apart(groups: int, billed: float) -> str:
    return (
        f"{count_of(groups, 'group')} not comparable (no allowed amount, or a code the fee "
        f"file lacks), billed {dollars(billed)} on the lines priced"
    )


def payment_text(summary: Summary) -> str:
    """The amounts by status, provider and payer, and the KX threshold findings (empty
    without a fee file)."""
    payment = summary.payment
    if payment is None:
        return ""
    parts = [
        f"\nAmounts (fees from {payment['fees']}): billed {dollars(payment['billed'])}, "
        f"allowed {dollars(payment['allowed'])}, difference {dollars(payment['difference'])}\n"
    ]
    apart = payment.get("not_comparable", {})
    if apart.get("groups"):
        parts.append(f"Not in these sums: {_apart(apart['groups'], apart['billed'])}\n")
    for kind in ("status", "provider", "payer"):
        sums_by_name = payment[f"by_{kind}"]
        if kind != "status" and list(sums_by_name) == ["(none)"]:
            continue  # no provider or payer column: the status table says it all
        headers = [kind, "groups", "billed $", "allowed $", "difference $"]
        rows = [
            [
                name,
                str(sums["groups"]),
                f"{sums['billed']:,.2f}",
                f"{sums['allowed']:,.2f}",
                f"{sums['difference']:,.2f}",
            ]
            for name, sums in sums_by_name.items()
        ]
        if apart.get("groups"):
            headers.append("not comparable")
            for row, sums in zip(rows, sums_by_name.values(), strict=True):
                row.append(str(sums.get("not_comparable", 0)))
        table = text_table(headers, rows, "l" + "r" * (len(headers) - 1))
        parts.append(f"{table}\n")
    kx = payment["kx"]
    parts.append(
        f"\nKX threshold: {count_of(kx['missing_kx_lines'], 'line')} past it without KX; "
        f"{count_of(kx['review_patients'], 'patient bucket')} past the review threshold.\n"
    )
    parts.extend(
        f"  [{f['kind']}] {f['patient']} {f['date_of_service']}: {f['message']}\n"
        for f in kx["findings"]
    )
    parts.extend(f"Note: {note}\n" for note in payment["notes"])
    return "".join(parts)


def _units(units: Mapping[str, int]) -> str:
    return " ".join(f"{code}x{count}" for code, count in units.items())


def summary_text(summary: Summary) -> str:
    rows = [[status, str(summary.counts.get(status, 0))] for status in STATUSES]
    order = ""
    if summary.order != "contiguous":
        order = " (the groups' rows were scattered through the file; each group counted whole)"
    if len(summary.date_formats) > 1:
        order += (
            "; dates of service are written both as YYYY-MM-DD and as MM/DD/YYYY (read as "
            "the same days)"
        )
    if summary.blank_lines:
        order += f"; {count_of(summary.blank_lines, 'blank line')} skipped (no record)"
    table = text_table(["status", "groups"], rows, "lr")
    unusable = count_of(summary.invalid_rows, "row")
    return (
        f"Audit of {count_of(summary.rows_read, 'row')} in {count_of(summary.groups, 'group')}; "
        f"{unusable} could not be used{order}.\n{reading_text(summary)}{table}\n"
        + (
            "Edits (MUE, NCCI, assistant modifiers) tripped in "
            f"{count_of(summary.edits, 'group')}.\n"
            if summary.edits
            else ""
        )
    )


def reading_text(summary: Summary) -> str:
    """A line saying how the file was read, when something was detected or a column was
    read under another name; empty for a plain UTF-8, comma-separated file with
    unitcalc's own column names."""
    read = summary.input_dict()
    if not summary.detected and not read["columns"]:
        return ""
    parts = []
    if read["encoding"] is not None:
        parts.append(f"encoding {_detected(read['encoding'], 'encoding', summary)}")
    if read["delimiter"] is not None:
        shown = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "bar"}
        delimiter = shown.get(read["delimiter"], repr(read["delimiter"]))
        parts.append(f"delimiter {_detected(delimiter, 'delimiter', summary)}")
    if read["columns"]:
        mapped = ", ".join(f"{role}={header}" for role, header in read["columns"].items())
        parts.append(f"columns {mapped}")
    return f"Read with {'; '.join(parts)}.\n"


def provider_text(summary: Summary) -> str:
    rows = [
        [
            row["provider"],
            str(row["timed_minutes"]),
            str(row["timed_units_billed"]),
            "" if row["minutes_per_unit"] is None else f"{row['minutes_per_unit']:.1f}",
            "review" if row["review"] else "",
        ]
        for row in summary.provider_rows()
    ]
    table = text_table(["provider", "timed min", "timed units", "min/unit", "flag"], rows, "lrrrl")
    return (
        "\nProviders (timed minutes per billed timed unit; under 15 is marked for review, "
        'CMS 20.2: "a consistent practice of billing less than 15 minutes for a unit"):\n'
        f"{table}\n"
    )


def _finding_block(finding: Finding) -> str:
    lines = _line_ranges(finding.lines)
    where = f"line{'s' * (len(finding.lines) != 1)} {lines}"
    text = f"\n[{finding.status}] {finding.group} ({where})\n  {finding.message}\n"
    text += "".join(f"  ! {edit}\n" for edit in finding.edits)
    if finding.billed_amount is not None:
        allowed, difference = finding.allowed_amount, finding.amount_difference
        text += (
            f"  amounts: billed {dollars(finding.billed_amount)}, allowed "
            f"{'-' if allowed is None else dollars(allowed)}, difference "
            f"{'-' if difference is None else dollars(difference)}\n"
        )
    text += "".join(f"  note: {warning}\n" for warning in finding.warnings)
    if finding.status not in {"ok", "invalid"}:
        text += "".join(f"    - {step}\n" for step in finding.explanation[1:])
    return text


def _line_ranges(lines: Sequence[int]) -> str:
    """``[2, 3, 4, 7]`` as ``2-4, 7``."""
    parts: list[str] = []
    start = previous = None
    for line in lines:
        if start is None:
            start = previous = line
        elif previous is not None and line == previous + 1:
            previous = line
        else:
            parts.append(f"{start}-{previous}" if start != previous else f"{start}")
            start = previous = line
    if start is not None:
        parts.append(f"{start}-{previous}" if start != previous else f"{start}")
    return ", ".join(parts)
