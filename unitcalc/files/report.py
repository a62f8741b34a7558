"""The audit as a document: one HTML file that opens offline and prints, or the same
document as PDF. Its order is a reader's: a first page with the run's headline (rows,
groups, findings and dollars by status, the rule, the payer, the input's SHA-256), the
charts, findings by provider, every table the summary holds (amounts by provider and
payer, providers' minutes per unit, KX threshold findings, and any table a later check
adds), the findings by kind, the findings, and the run's details and manifest last.

The page is built from a Jinja2 template shipped in the package
(``unitcalc/templates/report.html.j2``) with autoescaping on, so a value from the input
(a patient id, a provider's name) is shown as text, never read as markup. Its print
style sheet (``@page``, page breaks, table headers repeated on each page, columns that fit
US Letter and A4 in landscape) serves a browser's "Save as PDF" and WeasyPrint alike.

Jinja2, WeasyPrint (``--report x.pdf``) and matplotlib (:mod:`.report_charts`) are
imported only when a report is asked for; a missing one is named with its extra.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from ..core.errors import OutputProblem
from ..engine.audit import STATUSES
from .findings_table import AMOUNT_COLUMNS, EDITS
from .report_charts import charts
from .summary import Summary
from .texts import summary_rows

if TYPE_CHECKING:
    from jinja2 import Template

MAX_TABLE_ROWS = 5_000
"""Findings listed in the report's table; the spreadsheet or CSV output holds them all."""

DAY_COLUMNS = ("provider", "days_over_8_hours", "worst_day_minutes", "worst_day")
"""The columns of the providers' days over 8 hours."""

PAPERS = ("letter", "a4")
"""The page sizes the print style sheet is made for, in landscape; the first is the
default (the US Letter of Medicare billing offices). Both hold every column."""

MESSAGE_COLUMNS = ("message", "edits")
"""The findings' sentences: printed in a full-width row under the finding's numbers, so
that the numbers' columns (the dollars among them) fit a landscape page."""

_TITLES = {
    "providers": "Providers: timed minutes per billed timed unit",
    "payment.by_provider": "Amounts by provider",
    "payment.by_payer": "Amounts by payer",
    "payment.kx.findings": "KX threshold",
    "episodes": "Episodes of care and visit times",
    "patients_every_month": "Patients with therapy in every month of a year (OIG OEI-04-09-00540)",
    "duplicate_claim_lines": (
        "Codes billed under two or more claims (CMS Pub. 100-04 Ch. 1 section 120)"
    ),
    "overlapping_patients": "A provider's patients overlapping in time",
}
"""Headings of the summary's tables; a table without one is headed by its path."""

_SHOWN_ELSEWHERE = frozenset({"payment.by_status"})
"""Summary tables the headline already shows."""


def write_report(
    out: IO[str],
    summary: Summary,
    columns: Sequence[str],
    findings: Sequence[dict[str, Any]],
    *,
    title: str,
    pdf: bool = False,
    paper: str = PAPERS[0],
) -> None:
    """The report of an audit, written to ``out``: ``findings`` are the table rows the
    audit kept (with ``billed_total`` and ``allowed_total``). ``pdf``: the same document
    as PDF (WeasyPrint), written to the binary file under ``out``."""
    page = render_report(summary, columns, findings, title=title, paper=paper)
    if not pdf:
        out.write(page)
        return
    document = html_to_pdf(page)
    out.flush()
    out.buffer.write(document)  # type: ignore[attr-defined]


def render_report(
    summary: Summary,
    columns: Sequence[str],
    findings: Sequence[dict[str, Any]],
    *,
    title: str,
    paper: str = PAPERS[0],
) -> str:
    """The report as HTML text, from the packaged template."""
    if paper not in PAPERS:
        raise OutputProblem(f"the report's paper {paper!r} is not one of {', '.join(PAPERS)}")
    long_days = [row for row in summary.provider_rows() if row.get("days_over_8_hours")]
    numbers = [name for name in columns if name not in MESSAGE_COLUMNS]
    context = {
        "title": title,
        "paper": paper,
        "headline": headline(summary),
        "by_status": status_table(summary),
        "charts": charts(summary, findings),
        "by_provider": provider_table(findings),
        "by_kind": kind_table(summary, findings),
        "tables": summary_tables(summary),
        "long_days": table(DAY_COLUMNS, long_days),
        "findings_count": len(findings),
        "findings": table(numbers, findings[:MAX_TABLE_ROWS]),
        "widths": column_widths(numbers, findings[:MAX_TABLE_ROWS]),
        "messages": [
            [(name, cell(row.get(name, ""))) for name in MESSAGE_COLUMNS if name in columns]
            for row in findings[:MAX_TABLE_ROWS]
        ],
        "money": set(AMOUNT_COLUMNS),
        "max_rows": MAX_TABLE_ROWS,
        "details": [(label, cell(value)) for label, value in summary_rows(summary)],
    }
    return _template().render(context)


def _template() -> Template:
    try:
        import jinja2
    except ImportError:
        raise OutputProblem("the report needs Jinja2: pip install 'unitcalc[report]'") from None
    from importlib.resources import files

    text = (files("unitcalc") / "templates" / "report.html.j2").read_text(encoding="utf-8")
    environment = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.from_string(text)


def html_to_pdf(page: str) -> bytes:
    """The report's HTML as PDF, by WeasyPrint (which lays out CSS for print, the page
    size and breaks of the style sheet included, and draws the inline SVG charts)."""
    try:
        import weasyprint
    except (ImportError, OSError):
        # OSError: WeasyPrint installed, but the system's Pango library is missing.
        raise OutputProblem(
            "a PDF report needs WeasyPrint (and the system's Pango library): pip install "
            "'unitcalc[report]'; on Debian also apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0"
        ) from None
    document: bytes = weasyprint.HTML(string=page).write_pdf()
    return document


def cell(value: Any) -> str:
    """A value as the report shows it: dollars (a ``Decimal`` of two places) and counts
    as the summary and the findings give them, floats with two decimals as the table
    output shows them, lists joined, nothing for None, anything else as ``str`` gives it."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(map(cell, value))
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {cell(item)}" for key, item in value.items())
    return str(value)


def table(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A table for the template: its columns and each row's cells, as text."""
    return {
        "columns": list(columns),
        "rows": [[cell(row.get(name, "")) for name in columns] for row in rows],
    }


def column_widths(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[float]:
    """Each column's share of the findings table's width, in percent: its longest word
    (header parts split at underscores, cells at spaces; the first 200 rows looked at),
    between 3 and 18 characters. Printed, the table is laid out with these widths
    (``table-layout: fixed``): WeasyPrint lays out a long table many times faster than
    when it sizes the columns from every cell."""
    weights = []
    for name in columns:
        words = [len(part) + 1 for part in name.split("_")]
        words += [len(word) for row in rows[:200] for word in cell(row.get(name)).split()]
        weights.append(min(max([3, *words]), 18))
    total = sum(weights)
    return [round(100 * weight / total, 2) for weight in weights]


def headline(summary: Summary) -> list[tuple[str, str]]:
    """The first page's facts: the input and its SHA-256, the rule, the payer, the run's
    time, then rows, groups and findings, and with a fee file the dollars."""
    manifest = summary.manifest or {}
    flagged = sum(summary.counts.get(status, 0) for status in STATUSES[1:])
    rows: list[tuple[str, Any]] = [
        ("input", manifest.get("input")),
        ("input SHA-256", manifest.get("input_sha256") or "none (read once from a pipe)"),
        ("rule", manifest.get("rule")),
        ("payer", manifest.get("payer") or "none given"),
        ("run at", manifest.get("run_at")),
        ("unitcalc", manifest.get("unitcalc_version")),
        ("rows read", summary.rows_read),
        ("rows that could not be used", summary.invalid_rows),
        ("groups", summary.groups),
        ("groups with findings (not ok)", flagged),
        ("groups tripping an edit", summary.edits),
    ]
    payment = summary.payment
    if payment is not None:
        rows += [
            ("billed amount", payment["billed"]),
            ("allowed amount", payment["allowed"]),
            ("amount difference", payment["difference"]),
        ]
    return [(label, cell(value)) for label, value in rows]


def status_table(summary: Summary) -> dict[str, Any]:
    """Groups by status, with a fee file each status's dollars (the summary's own sums)."""
    by_status = (summary.payment or {}).get("by_status", {})
    columns = ["status", "groups"]
    if summary.payment is not None:
        columns += ["billed", "allowed", "difference", "not_comparable"]
    rows = [
        {"status": status, **by_status.get(status, {}), "groups": summary.counts.get(status, 0)}
        for status in STATUSES
    ]
    return table(columns, rows)


def provider_table(findings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The findings (groups not ok) counted by provider and status, most first."""
    counts: Counter[tuple[str, str]] = Counter()
    totals: Counter[str] = Counter()
    for row in findings:
        if row.get("status") == "ok":
            continue
        name = str(row.get("provider") or "(none)")
        counts[name, str(row.get("status"))] += 1
        totals[name] += 1
    statuses = [s for s in STATUSES[1:] if any(counts[name, s] for name in totals)]
    rows = [
        {"provider": name, "findings": total, **{s: counts[name, s] for s in statuses}}
        for name, total in sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    ]
    return table(["provider", "findings", *statuses], rows)


def kind_table(summary: Summary, findings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The findings by kind, a family at a time (most first within it): the groups not ok
    by status, the groups by the family of edit they trip (``NCCI PTP``, ``NCCI``,
    ``MUE``, ``Modifier``), the KX threshold's findings, the episodes of care and visit
    time findings, and the patterns across groups. With a fee file, the dollars of the
    groups of each status and edit family (a group once in each family it trips); the
    other families' findings are not groups and carry none."""
    families: list[Counter[str]] = [Counter(), Counter(), Counter(), Counter(), Counter()]
    dollars: dict[str, list[Decimal | None]] = {}
    for row in findings:
        kinds = [f"group {row.get('status')}"] if row.get("status") != "ok" else []
        families[0].update(kinds)
        edits = sorted({edit_family(text) for text in row.get(EDITS, ())})
        families[1].update(f"edit: {family}" for family in edits)
        for kind in [*kinds, *(f"edit: {family}" for family in edits)]:
            sums = dollars.setdefault(kind, [None] * len(AMOUNT_COLUMNS))
            for index, name in enumerate(AMOUNT_COLUMNS):
                value = row.get(name)
                if isinstance(value, Decimal):  # blank: no amount (a code unpriced)
                    sums[index] = (sums[index] or Decimal(0)) + value
    kx = (summary.payment or {}).get("kx", {}).get("findings") or []
    families[2].update(f"KX threshold: {row.get('kind')}" for row in kx)
    families[3].update(f"episodes: {row['kind']}" for row in summary.episodes())
    for name, rows in summary.pattern_dict().items():
        if name != "overlap_unchecked_lines":
            families[4][f"pattern: {name.replace('_', ' ')}"] = len(rows)
    priced = summary.payment is not None
    rows = [
        {
            "kind": kind,
            "findings": count,
            **dict(zip(AMOUNT_COLUMNS, dollars.get(kind, ()), strict=False)),
        }
        for family in families
        for kind, count in sorted(family.items(), key=lambda item: (-item[1], item[0]))
    ]
    return table(["kind", "findings", *(AMOUNT_COLUMNS if priced else ())], rows)


def edit_family(text: str) -> str:
    """The family of an edit's text, the code it begins with (``MUE: ...``: ``MUE``).

    >>> edit_family("NCCI PTP: 97530 with 97150 ..."), edit_family("a note")
    ('NCCI PTP', 'edit')
    """
    family, colon, _ = text.partition(":")
    return family if colon and family else "edit"


def summary_tables(summary: Summary) -> list[dict[str, Any]]:
    """Every table in the summary's JSON form, in its order: a list of records, or a
    mapping of names to records (its names the first column); each with a heading."""
    found: list[dict[str, Any]] = []
    data = summary.to_dict()
    for name in ("manifest", "input", "counts"):
        data.pop(name, None)
    _collect(data, "", found)
    return found


def _collect(data: Mapping[str, Any], path: str, found: list[dict[str, Any]]) -> None:
    for name, value in data.items():
        where = f"{path}.{name}" if path else name
        records = _records(name, value)
        if records is not None:
            if where not in _SHOWN_ELSEWHERE and records["rows"]:
                title = _TITLES.get(where, where.replace(".", ": ").replace("_", " "))
                found.append({"title": title, "id": where.replace(".", "-"), **records})
        elif isinstance(value, Mapping):
            _collect(value, where, found)


def _records(name: str, value: Any) -> dict[str, Any] | None:
    """A table of ``value`` when it is one (records whose values are plain, not nested
    tables), else None."""
    if isinstance(value, list) and value and all(map(_is_record, value)):
        columns = list(dict.fromkeys(key for row in value for key in row))
        return table(columns, value)
    if isinstance(value, Mapping) and value and all(map(_is_record, value.values())):
        first = name.removeprefix("by_")
        rows = [{first: key, **row} for key, row in value.items()]
        columns = list(dict.fromkeys(key for row in rows for key in row))
        return table(columns, rows)
    return None


def _is_record(row: Any) -> bool:
    """A mapping of plain values (a list of plain values counts as one)."""
    return isinstance(row, Mapping) and not any(
        isinstance(item, Mapping)
        or (isinstance(item, list) and any(isinstance(part, Mapping) for part in item))
        for item in row.values()
    )
