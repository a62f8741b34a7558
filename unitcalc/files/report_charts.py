"""The audit report's four charts, drawn by matplotlib as inline SVG (text kept as text,
ids fixed from run to run, so the same run gives the same file): groups by status,
findings by provider, billed against allowed units, and timed minutes per billed unit by
provider with the 15-minute line. matplotlib is imported here only, when a report is asked
for.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core.errors import OutputProblem
from ..engine.audit import STATUSES
from .summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

STATUS_COLOURS = {
    "ok": "#2e7d32",
    "over": "#c62828",
    "under": "#1565c0",
    "misallocated": "#ef6c00",
    "invalid": "#6d4c41",
}
"""A colour for each status, the same in every chart."""


def charts(summary: Summary, findings: Sequence[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """The report's charts, each as caption, element id and SVG text."""
    return [
        ("Groups by status", "chart-status", _status_chart(summary)),
        ("Findings by provider", "chart-provider", _provider_chart(findings)),
        ("Billed against allowed units", "chart-units", _units_chart(findings)),
        ("Timed minutes per billed unit, by provider", "chart-minutes", _minutes_chart(summary)),
    ]


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
        bars = axes.bar(STATUSES, counts, color=[STATUS_COLOURS[s] for s in STATUSES])
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
                axes.barh(names, counts, left=left, label=status, color=STATUS_COLOURS[status])
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
                    color=STATUS_COLOURS[status],
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
