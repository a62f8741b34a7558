"""The audit as one HTML file that opens offline: the summary, four charts (groups by
status, findings by provider, billed against allowed units, minutes per unit by
provider), the findings table and the run manifest.

Everything is inline: the style sheet, and the charts drawn by matplotlib as SVG, so
the file can be mailed or archived and read without a network or a server. matplotlib
is imported here only, when a report is asked for.
"""

from __future__ import annotations

import html
import io
from collections import Counter
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from ..core.errors import OutputProblem
from ..engine.audit import STATUSES
from .findings_table import KX_COLUMNS
from .summary import Summary
from .texts import summary_rows

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MAX_TABLE_ROWS = 5_000
"""Findings listed in the report's table; the spreadsheet or CSV output holds them all."""

_STATUS_COLOURS = {
    "ok": "#2e7d32",
    "over": "#c62828",
    "under": "#1565c0",
    "misallocated": "#ef6c00",
    "invalid": "#6d4c41",
}
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1a1a1a; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #f0f0f0; position: sticky; top: 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
          gap: 1rem; }
figure { margin: 0; border: 1px solid #ddd; padding: 0.5rem; }
figcaption { font-weight: 600; margin-bottom: 0.25rem; }
.note { color: #555; }
"""


DAY_COLUMNS = ("provider", "days_over_8_hours", "worst_day_minutes", "worst_day")
"""The columns of the providers' days over 8 hours."""

PATTERN_TABLES = (
    (
        "Patients with therapy in every month of a year (OIG OEI-04-09-00540)",
        "patients_every_month",
        ("patient", "year", "months", "dates_of_service"),
    ),
    (
        "Codes billed under two or more claims (CMS Pub. 100-04 Ch. 1 section 120)",
        "duplicate_claim_lines",
        ("patient", "date_of_service", "code", "claims"),
    ),
    (
        "A provider's patients overlapping in time",
        "overlapping_patients",
        ("provider", "date_of_service", "overlaps"),
    ),
)
"""The patterns across groups: a heading, the summary's key, the columns shown."""


def write_report(
    out: IO[str],
    summary: Summary,
    columns: Sequence[str],
    findings: Sequence[dict[str, Any]],
    *,
    title: str,
) -> None:
    """The report of an audit, written to ``out``: ``findings`` are the table rows the
    audit kept (with ``billed_total`` and ``allowed_total``)."""
    charts = [
        ("Groups by status", "chart-status", _status_chart(summary)),
        ("Findings by provider", "chart-provider", _provider_chart(findings)),
        ("Billed against allowed units", "chart-units", _units_chart(findings)),
        ("Timed minutes per billed unit, by provider", "chart-minutes", _minutes_chart(summary)),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Summary</h2>",
        _pairs(summary_rows(summary)),
        '<h2>Charts</h2><div class="charts">',
    ]
    for caption, ident, svg in charts:
        parts.append(
            f'<figure id="{ident}"><figcaption>{html.escape(caption)}</figcaption>{svg}</figure>'
        )
    parts.append("</div>")
    parts.append(f"<h2>Findings ({len(findings):,})</h2>")
    parts.append(_findings_table(columns, findings))
    long_days = [row for row in summary.provider_rows() if row.get("days_over_8_hours")]
    if long_days:
        # More than 480 timed minutes in a day across patients (OIG OEI-04-09-00540).
        parts.append("<h2>Providers' days over 8 hours (OIG OEI-04-09-00540)</h2>")
        parts.append(_findings_table(DAY_COLUMNS, long_days))
    patterns = summary.pattern_dict()
    for title, key, names in PATTERN_TABLES:
        found = patterns.get(key)
        if found:
            parts.append(f"<h2>{html.escape(title)} ({len(found):,})</h2>")
            shown = [
                {name: ", ".join(v) if isinstance(v := row[name], list) else v for name in names}
                for row in found
            ]
            parts.append(_findings_table(names, shown))
    kx = (summary.payment or {}).get("kx", {}).get("findings")
    if kx:
        parts.append(f"<h2>KX threshold ({len(kx):,})</h2>")
        parts.append(_findings_table(KX_COLUMNS, kx))
    parts.append("</body></html>\n")
    out.write("\n".join(parts))


def _pairs(rows: Sequence[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th scope='row'>{html.escape(label)}</th><td>{html.escape(str(value))}</td></tr>"
        for label, value in rows
    )
    return f'<table id="summary">{body}</table>'


def _findings_table(columns: Sequence[str], findings: Sequence[dict[str, Any]]) -> str:
    if not findings:
        return '<p class="note">No findings: every group is ok.</p>'
    head = "".join(f"<th>{html.escape(name)}</th>" for name in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row.get(name, '')))}</td>" for name in columns)
        + "</tr>"
        for row in findings[:MAX_TABLE_ROWS]
    )  # fmt: skip
    more = ""
    if len(findings) > MAX_TABLE_ROWS:
        more = (
            f'<p class="note">The first {MAX_TABLE_ROWS:,} findings are listed; write all '
            "of them with --format csv or xlsx.</p>"
        )
    return f'<table id="findings"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}'


# --- charts -------------------------------------------------------------------------------


def _svg(draw: Any, *, height: float = 3.2) -> str:
    """An SVG chart drawn by ``draw(axes)``, text kept as text, ids fixed from run to run."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise OutputProblem(
            "the HTML report's charts need matplotlib: pip install 'unitcalc[report]'"
        ) from None

    with matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "unitcalc", "font.size": 9}
    ):
        figure = Figure(figsize=(5.6, height), layout="constrained")
        draw(figure.add_subplot())
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # no XML prolog inside HTML


def _empty(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes)
    axes.set_axis_off()


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _status_chart(summary: Summary) -> str:
    def draw(axes: Axes) -> None:
        counts = [summary.counts.get(status, 0) for status in STATUSES]
        bars = axes.bar(STATUSES, counts, color=[_STATUS_COLOURS[s] for s in STATUSES])
        axes.bar_label(bars)
        axes.yaxis.set_major_locator(_integer_ticks())
        axes.set_ylabel("groups")
        axes.spines[["top", "right"]].set_visible(False)

    return _svg(draw)


def _provider_chart(findings: Sequence[dict[str, Any]]) -> str:
    flagged = [row for row in findings if row.get("status") != "ok"]

    def draw(axes: Axes) -> None:
        if not flagged:
            _empty(axes, "no findings")
            return
        providers = Counter(str(row.get("provider") or "(none)") for row in flagged)
        names = [name for name, _ in providers.most_common(15)][::-1]
        left = [0] * len(names)
        for status in STATUSES[1:]:
            counts = [
                sum(
                    1
                    for row in flagged
                    if str(row.get("provider") or "(none)") == name and row["status"] == status
                )
                for name in names
            ]
            if any(counts):
                axes.barh(names, counts, left=left, label=status, color=_STATUS_COLOURS[status])
                left = [a + b for a, b in zip(left, counts, strict=True)]
        axes.xaxis.set_major_locator(_integer_ticks())
        axes.set_xlabel("findings (groups not ok)")
        axes.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4)
        axes.spines[["top", "right"]].set_visible(False)

    return _svg(draw)


def _units_chart(findings: Sequence[dict[str, Any]]) -> str:
    def draw(axes: Axes) -> None:
        if not findings:
            _empty(axes, "no findings")
            return
        top = max(1, *(max(row["billed_total"], row["allowed_total"]) for row in findings))
        axes.plot([0, top], [0, top], color="#888", linewidth=1, label="billed = allowed")
        for status in STATUSES:
            chosen = [row for row in findings if row["status"] == status]
            if chosen:
                axes.scatter(
                    [row["allowed_total"] for row in chosen],
                    [row["billed_total"] for row in chosen],
                    label=status,
                    color=_STATUS_COLOURS[status],
                    alpha=0.7,
                    s=24,
                )
        axes.xaxis.set_major_locator(_integer_ticks())
        axes.yaxis.set_major_locator(_integer_ticks())
        axes.set_xlabel("units allowed by the rule")
        axes.set_ylabel("units billed")
        axes.legend(frameon=False, fontsize=8)
        axes.spines[["top", "right"]].set_visible(False)

    return _svg(draw)


def _minutes_chart(summary: Summary) -> str:
    rows = [row for row in summary.provider_rows() if row["minutes_per_unit"] is not None]

    def draw(axes: Axes) -> None:
        if not rows:
            _empty(axes, "no provider column, or no timed units billed")
            return
        shown = rows[:20][::-1]
        values = [row["minutes_per_unit"] for row in shown]
        colours = ["#c62828" if row["review"] else "#2e7d32" for row in shown]
        bars = axes.barh([row["provider"] for row in shown], values, color=colours)
        axes.bar_label(bars, fmt="%.2f", padding=2)
        axes.axvline(15, color="#555", linestyle="--", linewidth=1)
        # Room past the longest bar and the 15-minute line for the bars' labels.
        axes.set_xlim(0, max([*values, 15]) * 1.18)
        axes.set_xlabel("timed minutes per billed timed unit (under 15: review)")
        axes.spines[["top", "right"]].set_visible(False)

    return _svg(draw, height=max(2.4, 0.35 * min(len(rows), 20) + 1.2))
