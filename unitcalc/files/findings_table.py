"""The findings table: its columns and a row for each finding, as the CSV, Parquet and
workbook outputs and the report write it, and the KX threshold's findings (their own
columns, and rows of the findings table for the outputs that hold only that table).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..engine.audit import Finding
from .summary import Summary

if TYPE_CHECKING:
    from .evaluate import Group

AUDIT_CSV_COLUMNS = (
    "group", "status", "rule", "billed", "allowed", "difference", "lines", "message", "edits",
)  # fmt: skip
"""The findings' first columns, as before key, provider and payer columns were added
(scripts that read columns by position keep working)."""
AUDIT_PARTY_COLUMNS = ("provider", "payer")
AMOUNT_COLUMNS = ("billed_amount", "allowed_amount", "amount_difference")
"""With a fee file (``--fees``), the findings' last columns: dollars (docs/payment.md)."""

EDITS = "edit_list"
"""A finding kept for the report: its edits, each apart (the table's ``edits`` cell joins
them, and an edit's words may hold the joining "; ")."""

KX_COLUMNS = (
    "kind", "patient", "year", "bucket", "date_of_service", "line", "group", "accrued",
    "threshold", "message",
)  # fmt: skip
"""The columns of the KX threshold findings (spreadsheet sheet)."""


def audit_columns(key_roles: Sequence[str], *, amounts: bool = False) -> list[str]:
    """The findings table's columns: :data:`AUDIT_CSV_COLUMNS`, then the group's key
    apart (``patient_id``, ``date_of_service``), then provider and payer, then with
    ``amounts`` the dollars (:data:`AMOUNT_COLUMNS`)."""
    taken = set(AUDIT_CSV_COLUMNS) | set(AUDIT_PARTY_COLUMNS) | set(AMOUNT_COLUMNS)
    keys = [name if name not in taken else f"key_{name}" for name in key_roles]
    extra = AMOUNT_COLUMNS if amounts else ()
    return [*AUDIT_CSV_COLUMNS, *keys, *AUDIT_PARTY_COLUMNS, *extra]


def finding_row(
    group: Group, finding: Finding, key_roles: Sequence[str], *, amounts: bool
) -> list[Any]:
    """A finding as a row of the findings table (:func:`audit_columns`)."""
    key = list(group.key or ())
    key += [""] * (len(key_roles) - len(key))
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
            if amounts
            else ()
        ),
    ]  # fmt: skip


def _units(units: Mapping[str, int]) -> str:
    return " ".join(f"{code}x{count}" for code, count in units.items())


def _dollars(amount: Decimal | None) -> Decimal | str:
    """An amount for a findings cell: a number (never quoted as if it were a formula),
    blank when there is none."""
    return "" if amount is None else amount.quantize(Decimal("0.01"))


def kx_rows(summary: Summary, key_roles: Sequence[str], *, amounts: bool) -> list[list[Any]]:
    """The KX threshold findings as rows of the findings table (status ``missing-kx``,
    ``review``, ``kx-below`` or ``kx-first-day``, the line, the message; the key's
    patient and date), for the outputs that hold only that table (CSV, Parquet)."""
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
