"""``unitcalc audit`` output: the summary, then the findings, as a table for a terminal
or a file, CSV, JSON, Parquet or an Excel workbook; with ``keep_findings`` the findings
are also kept as table rows, for the HTML report (:mod:`.report`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from ..engine.audit import STATUSES
from .cells import CsvRows, safe_row
from .episode_texts import episode_table_rows, episodes_text
from .evaluate import Group
from .findings_table import AMOUNT_COLUMNS, EDITS, audit_columns, finding_row, kx_rows
from .layout import Layout
from .render import Rendering, finding_csv, finding_json
from .spool import Spool, spool_frame, write_parquet
from .summary import Summary
from .texts import finding_text, pattern_text, payment_text, provider_text, summary_text
from .workbook import BookRows, write_xlsx
from .workbook_sheets import LINE_COLUMNS, line_rows, units_rows

if TYPE_CHECKING:
    import polars as pl

AuditFormat = Literal["table", "csv", "json", "parquet", "xlsx"]

AUDIT_SCHEMA_VERSION = 1
"""The ``schema_version`` of ``audit --format json``, the document's first key; its JSON
Schema ships as :func:`audit_output_schema` (generated from
:class:`unitcalc.core.shapes.AuditDocument`). It grows when a key is removed or changes
meaning; new keys may appear within a version."""


def audit_output_schema() -> Path:
    """The packaged JSON Schema of ``unitcalc audit --format json``.

    >>> json.loads(audit_output_schema().read_text())["properties"]["schema_version"]["const"]
    1
    """
    return Path(__file__).parents[1] / "schemas" / "audit-output.schema.json"


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
        self.spool = Spool()
        self.findings = 0
        self.key_columns: Sequence[str] = ()
        self.key_roles: Sequence[str] = ()
        self.kept: list[dict[str, Any]] | None = [] if keep_findings else None
        """The findings as table rows (:func:`audit_columns`), with their totals."""
        self._layout: Layout | None = None
        self._columns: list[str] = []
        self._csv = CsvRows(self.spool.file)
        self._units = Spool() if output_format == "xlsx" else None
        """The workbook's units by code, one row per finding and code."""
        self._lines = Spool() if output_format == "xlsx" else None
        """The workbook's claim lines: the input lines of the groups written."""
        self._units_csv = CsvRows(self._units.file) if self._units else None
        self._ok_lines: list[pl.DataFrame] = []
        self._lines_csv = CsvRows(self._lines.file) if self._lines else None

    def reset(self) -> None:
        self.spool.reset()
        for spool in (self._units, self._lines):
            if spool is not None:
                spool.reset()
        self.findings = 0
        if self.kept is not None:
            self.kept.clear()

    @property
    def rendering(self) -> Rendering | None:
        """The form in which this writer takes the findings the columns word as text
        (``Options.rendered``): the JSON and CSV outputs, and the CSV spooled for
        Parquet, when nothing else is kept of a finding (no report). With dollars, the
        columns write only what they price too (``Options.column_pricer``)."""
        if self.kept is not None or self.summary_only or self.show_all:
            return None
        forms: dict[str, Rendering] = {"json": "json", "csv": "csv", "parquet": "spool"}
        if self.terminal_cap is None:  # a terminal's findings are counted as written
            forms["table"] = "text"
        return forms.get(self.format)

    def consume(self, group: Group) -> None:
        if group.rendered is not None:
            self._layout_of(group.layout)
            texts = group.rendered.texts
            if self.format == "json":
                self.spool.file.write(("," if self.findings else "") + ",".join(texts))
            else:
                self.spool.file.write("".join(texts))
            self.findings += len(texts)
            return
        finding = group.finding
        assert finding is not None
        if self.summary_only:
            return
        if not finding.flagged and not self.show_all:
            if self._lines_csv is not None:  # the workbook lists every input line
                for line in line_rows(finding, group.billed_lines):
                    self._lines_csv.writerow(line)
            return
        self._layout_of(group.layout)
        self.findings += 1
        row = finding_row(group, finding, self.key_roles, amounts=self.amounts)
        if self.kept is not None:
            kept = dict(zip(self._columns, row, strict=False))
            kept["billed_total"] = sum(finding.billed.values())
            kept["allowed_total"] = sum(finding.allowed.values())
            kept[EDITS] = finding.edits
            self.kept.append(kept)
        if self.format == "json":
            text = finding_json(finding, group.key_fields, group.provider_names, group.payer_name)
            self.spool.file.write(("," if self.findings > 1 else "") + text)
        elif self.format == "csv":
            self.spool.file.write(finding_csv(row, safe=True))
        elif self.format in ("parquet", "xlsx"):
            self.spool.file.write(finding_csv(row, safe=False))
            if self._units_csv is not None and self._lines_csv is not None:
                for units in units_rows(finding):
                    self._units_csv.writerow(units)
                for line in line_rows(finding, group.billed_lines):
                    self._lines_csv.writerow(line)
        else:
            self.spool.file.write(finding_text(finding))
            if self.terminal_cap is not None and len(self._block_ends) < self.terminal_cap:
                self._block_ends.append(self.spool.file.tell())

    def claim_lines(self, frame: pl.DataFrame) -> None:
        """Input lines of groups settled ok (:func:`.workbook_sheets.ok_line_frame`), for
        the workbook's Claim lines sheet, in line order with the findings' lines."""
        self._ok_lines.append(frame)

    def _layout_of(self, layout: Layout) -> None:
        """The key's columns of the findings from here on."""
        if layout is not self._layout:
            self._layout = layout
            self.key_columns = layout.key_columns
            self.key_roles = layout.key_roles
            self._columns = audit_columns(self.key_roles, amounts=self.amounts)

    def finish(self, out: IO[str], summary: Summary) -> None:
        summary.counts = {status: summary.counts.get(status, 0) for status in STATUSES}
        if not self.key_roles and summary.layout is not None:
            self.key_roles = summary.layout.key_roles
        columns = audit_columns(self.key_roles, amounts=self.amounts)
        if self.format == "json":
            version = json.dumps(AUDIT_SCHEMA_VERSION)
            out.write(f'{{"schema_version": {version}, "summary": ')
            out.write(json.dumps(summary.to_dict()) + ', "findings": [')
            self.spool.copy_to(out)
            out.write("]}\n")
        elif self.format == "csv":
            CsvRows(out).writerow(columns)
            self.spool.copy_to(out)
            writer = CsvRows(out)
            for row in self._summary_rows(summary):
                writer.writerow(safe_row(row))
        elif self.format == "parquet":
            self.spool.file.seek(0, io.SEEK_END)
            for row in self._summary_rows(summary):
                self._csv.writerow(row)
            write_parquet(
                self.spool,
                columns,
                out,
                integers=["difference"],
                decimals=AMOUNT_COLUMNS if self.amounts else (),
                manifest=summary.manifest,
            )
        elif self.format == "xlsx":
            assert self._units is not None
            assert self._lines is not None
            book = BookRows(
                self._spooled(self.spool), self._spooled(self._units), self._claim_rows()
            )
            write_xlsx(out, summary, columns, book)
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
            out.write(pattern_text(summary))
            out.write(payment_text(summary))
            out.write(episodes_text(summary))
        else:
            out.write(summary_text(summary))
            if summary.providers:
                out.write(provider_text(summary))
            out.write(pattern_text(summary))
            out.write(payment_text(summary))
            out.write(episodes_text(summary))
            if self.findings:
                out.write("\nFindings:\n")
            self.spool.copy_to(out)

    def _summary_rows(self, summary: Summary) -> list[list[Any]]:
        """The findings table's rows decided from the summary: the KX threshold's, then
        the episodes' and visit times' (:mod:`.episode_texts`)."""
        rows = kx_rows(summary, self.key_roles, amounts=self.amounts)
        return rows + episode_table_rows(summary, self.key_roles, amounts=self.amounts)

    def frame(self, layout: Layout) -> pl.DataFrame:
        """The findings written so far as the Parquet output holds them (``layout``: the
        input's, for the key columns when no finding came)."""
        roles = self.key_roles if self._layout is not None else layout.key_roles
        return spool_frame(self.spool, audit_columns(roles), integers=["difference"])

    def _claim_rows(self) -> Iterator[list[str]]:
        """The Claim lines sheet's rows: the findings' lines (spooled), with the lines of
        the groups settled ok when they were handed on, in line order."""
        assert self._lines is not None
        if not self._ok_lines:
            return self._spooled(self._lines)
        import polars as pl

        spooled = spool_frame(self._lines, LINE_COLUMNS, integers=[])
        text = [frame.cast(pl.String) for frame in self._ok_lines]
        merged = pl.concat([spooled, *text]).sort(
            pl.col("line").cast(pl.Int64), maintain_order=True
        )
        return ([cell or "" for cell in row] for row in merged.iter_rows())

    @staticmethod
    def _spooled(spool: Spool) -> Iterator[list[str]]:
        spool.file.seek(0)
        yield from csv.reader(spool.file)

    def close(self) -> None:
        self.spool.close()
        for spool in (self._units, self._lines):
            if spool is not None:
                spool.close()
