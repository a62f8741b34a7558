"""The episodes of care and visit time findings in words: a count line and the findings
for a terminal (:func:`episodes_text`), and rows for the workbook's "Episodes" sheet and
the report's section (:func:`episode_rows`). Nothing is said for a file without their
optional columns and without such a finding (:meth:`.Summary.checks_dict`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..core.text import count_of
from .summary import Summary

EPISODE_COLUMNS = ("patient", "discipline", "kind", "dates", "lines", "message")
"""The columns of the "Episodes" sheet and of the report's section."""

SHOWN = 20
"""The most findings a terminal lists; the JSON, workbook and report hold them all."""


def episode_rows(summary: Summary) -> list[dict[str, Any]] | None:
    """The findings as table rows (dates and lines as text), or None when nothing is to
    be said."""
    found = summary.episodes()
    if summary.checks_dict(found) is None:
        return None
    return [
        {
            **row,
            "discipline": row["discipline"] or "",
            "dates": ", ".join(row["dates"]),
            "lines": ", ".join(str(line) for line in row["lines"]),
        }
        for row in found
    ]


def checks_text(summary: Summary) -> str:
    """``episodes: ran; plan of care: skipped (no poc_start ...)``, or empty."""
    ran = summary.checks_dict(summary.episodes())
    return "; ".join(f"{name}: {said}" for name, said in (ran or {}).items())


def episodes_text(summary: Summary) -> str:
    """A line saying which checks ran, a count line by kind, and the findings (at most
    :data:`SHOWN`); empty when nothing is to be said."""
    found = summary.episodes()
    ran = summary.checks_dict(found)
    if ran is None:
        return ""
    kinds = Counter(row["kind"] for row in found)
    by_kind = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
    lines = [
        f"Episode checks: {checks_text(summary)}.",
        f"Episodes of care and visit times: {count_of(len(found), 'finding')}"
        + (f" ({by_kind})" if by_kind else "")
        + (":" if found else "."),
    ]
    for row in found[:SHOWN]:
        who = row["patient"] + (f" {row['discipline']}" if row["discipline"] else "")
        shown = ", ".join(str(line) for line in row["lines"][:10])
        more = ", ..." if len(row["lines"]) > 10 else ""
        lines.append(f"  [{row['kind']}] {who} (lines {shown}{more}): {row['message']}")
    if len(found) > SHOWN:
        lines.append(
            f"  ... and {len(found) - SHOWN:,} more: write them all with --format json or xlsx"
        )
    return "\n".join(lines) + "\n"


def episode_table_rows(
    summary: Summary, key_roles: Sequence[str], *, amounts: bool
) -> list[list[Any]]:
    """The episode and visit time findings as rows of the findings table, after the
    groups' (status: the finding's kind; the patient and first date in the key columns),
    for the outputs that hold only that table (CSV, Parquet); none when nothing is to be
    said."""
    found = summary.episodes()
    if summary.checks_dict(found) is None:
        return []
    rows = []
    for row in found:
        visit = row["discipline"] is None
        group = row["patient"] if visit else f"{row['patient']} {row['discipline']}"
        key = {} if visit else {"patient_id": row["patient"], "date_of_service": row["dates"][0]}
        lines = " ".join(str(line) for line in row["lines"])
        cells = [group, row["kind"], "", "", "", "", lines, row["message"], ""]
        cells += [*(key.get(role, "") for role in key_roles), "", ""]
        rows.append(cells + (["", "", ""] if amounts else []))
    return rows
