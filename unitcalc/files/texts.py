"""An audit in words: the summary as text for a terminal (counts, how the file was
read, providers' minutes per unit, amounts and the KX threshold), a finding's block, and
the summary as label/value rows for the workbook and the report, with the run manifest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..core.codes import CodeTable
from ..core.text import count_of
from ..core.text import table as text_table
from ..engine.audit import STATUSES, Finding
from .options import KEY_COLUMNS_DAY
from .summary import Summary

if TYPE_CHECKING:
    import polars as pl


def summary_text(summary: Summary) -> str:
    """The summary for a terminal: rows and groups, how the file was read, the groups
    by status and the edits tripped."""
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
    plain_key = summary.layout is None or summary.layout.key_roles == KEY_COLUMNS_DAY
    if not summary.detected and not read["columns"] and plain_key:
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
    if not plain_key:
        parts.append(f"groups by {', '.join(read['key'])}")
    return f"Read with {'; '.join(parts)}.\n"


def provider_text(summary: Summary) -> str:
    """The providers' timed minutes per billed timed unit, those under 15 marked; when a
    provider has a day of more than 8 hours (a date of service in the key), each one's
    days over 8 hours and worst day."""
    provided = summary.provider_rows()
    by_day = any(row.get("days_over_8_hours") for row in provided)
    rows = [
        [
            row["provider"],
            str(row["timed_minutes"]),
            str(row["timed_units_billed"]),
            "" if row["minutes_per_unit"] is None else f"{row['minutes_per_unit']:.2f}",
            *(_day_cells(row) if by_day else ()),
            ("review" if row["review"] else "")
            + (", bottom of band" * bool(row.get("bottom_of_band"))),
        ]
        for row in provided
    ]
    header = ["provider", "timed min", "timed units", "min/unit"]
    if by_day:
        header += ["days >8h", "worst day"]
    table = text_table([*header, "flag"], rows, "lrrr" + "rl" * by_day + "l")
    note = (
        "; days >8h: days of more than 480 timed minutes across patients, OIG "
        'OEI-04-09-00540: "paid for more than 8 hours of outpatient therapy provided in a '
        'single day"'
        if by_day
        else ""
    )
    if any(row.get("bottom_of_band") for row in provided):
        note += (
            "; bottom of band: under 11.5 minutes a unit, the least a compliant day of two "
            "units or more averages (UNCONFIRMED as a threshold)"
        )
    return (
        "\nProviders (timed minutes per billed timed unit; under 15 is marked for review, "
        f'CMS 20.2: "a consistent practice of billing less than 15 minutes for a unit"{note}):\n'
        f"{table}\n"
    )


def pattern_text(summary: Summary) -> str:
    """The patterns across groups, each only when some row qualifies: patients with
    therapy in every month of a year, and a code billed under two or more claims."""
    parts = []
    patterns = summary.pattern_dict()
    if summary.checks is not None:
        ran = "; ".join(f"{name} {state}" for name, state in summary.checks.items())
        parts.append(f"\nChecks: {ran}.\n")
    if summary.every_month:
        rows = [
            [row["patient"], str(row["year"]), str(row["months"]), str(row["dates_of_service"])]
            for row in patterns["patients_every_month"]
        ]
        parts.append(
            "\nPatients with therapy in every month of a year (OIG OEI-04-09-00540: "
            '"therapy services provided throughout the year"):\n'
            + text_table(["patient", "year", "months", "dates"], rows, "lrrr")
            + "\n"
        )
    if summary.claim_duplicates:
        rows = [
            [row["patient"], row["date_of_service"], row["code"], ", ".join(row["claims"])]
            for row in patterns["duplicate_claim_lines"]
        ]
        parts.append(
            "\nA code billed for one patient and day under two or more claims (CMS Pub. "
            "100-04 Ch. 1 section 120, duplicate claims):\n"
            + text_table(["patient", "date", "code", "claims"], rows, "llll")
            + "\n"
        )
    if patterns.get("overlapping_patients"):
        rows = [
            [row["provider"], row["date_of_service"], str(row["overlaps"])]
            for row in patterns["overlapping_patients"]
        ]
        parts.append(
            "\nA provider's patients overlapping in time on one day (start and end times; "
            "overlaps: spans starting before another patient's had ended):\n"
            + text_table(["provider", "date", "overlaps"], rows, "llr")
            + "\n"
        )
    if summary.unchecked_times:
        lines = patterns["overlap_unchecked_lines"]
        shown = ", ".join(map(str, lines[:10])) + (" ..." if len(lines) > 10 else "")
        parts.append(
            f"{count_of(len(lines), 'line')} with a start or end time that is not HH:MM "
            f"(24-hour), or ending before it starts, not checked for overlaps: {shown}\n"
        )
    return "".join(parts)


def _day_cells(row: Mapping[str, Any]) -> tuple[str, str]:
    """A provider's days over 8 hours and its worst day (minutes on date)."""
    worst = row.get("worst_day")
    shown = f"{row['worst_day_minutes']} on {worst}" if worst is not None else ""
    return str(row.get("days_over_8_hours", 0)), shown


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
    other_way = ""  # KX the other way, said only when found
    if kx.get("kx_below_lines"):
        other_way += f"; {count_of(kx['kx_below_lines'], 'line')} with KX below it"
    if kx.get("kx_first_day_patients"):
        count = count_of(kx["kx_first_day_patients"], "patient")
        other_way += f"; {count} with KX on their first date of service of a year"
    parts.append(
        f"\nKX threshold: {count_of(kx['missing_kx_lines'], 'line')} past it without KX; "
        f"{count_of(kx['review_patients'], 'patient bucket')} past the review threshold"
        f"{other_way}.\n"
    )
    parts.extend(
        f"  [{f['kind']}] {f['patient']} {f['date_of_service']}: {f['message']}\n"
        for f in kx["findings"]
    )
    parts.extend(f"Note: {note}\n" for note in payment["notes"])
    return "".join(parts)


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


def finding_text(finding: Finding) -> str:
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


def finding_text_column(
    frame: pl.LazyFrame, keep: Sequence[str] = (), *, amounts: bool = False
) -> pl.LazyFrame:
    """The columnar form of :func:`finding_text`, for findings with no edit or
    explanation (those the columns word): one block per row of ``frame``, from its
    ``status``, ``group``, ``message``, ``lines`` and ``warnings``, and with
    ``amounts`` its dollars (``billed_amount``, ``allowed_amount``,
    ``amount_difference``, in cents), as ``text`` (beside the columns ``keep``)."""
    import polars as pl

    from .amount_texts import text_amount_column

    line = pl.col("lines")
    follows = line == line.shift(1).over("__at") + 1
    runs = (
        frame.select("lines")
        .with_row_index("__at")
        .explode("lines")
        .with_columns(__run=(~follows).fill_null(True).cum_sum().over("__at"))
        .group_by("__at", "__run", maintain_order=True)
        .agg(line.first().alias("__first"), line.last().alias("__last"))
    )
    first, last = pl.col("__first").cast(pl.String), pl.col("__last").cast(pl.String)
    span = pl.when(first == last).then(first).otherwise(pl.concat_str(first, pl.lit("-"), last))
    ranges = runs.group_by("__at", maintain_order=True).agg(span.str.join(", ").alias("__ranges"))
    several = pl.when(pl.col("lines").list.len() != 1).then(pl.lit("s")).otherwise(pl.lit(""))
    notes = pl.col("warnings").list.eval(
        pl.concat_str(pl.lit("  note: "), pl.element(), pl.lit("\n"))
    )
    dollars = pl.lit("")
    if amounts:
        dollars = pl.concat_str(
            pl.lit("  amounts: billed "), text_amount_column(pl.col("billed_amount")),
            pl.lit(", allowed "), text_amount_column(pl.col("allowed_amount")),
            pl.lit(", difference "), text_amount_column(pl.col("amount_difference")), pl.lit("\n"),
        )  # fmt: skip
    text = pl.concat_str(
        pl.lit("\n["), pl.col("status"), pl.lit("] "), pl.col("group"), pl.lit(" (line"),
        several, pl.lit(" "), pl.col("__ranges"), pl.lit(")\n  "), pl.col("message"),
        pl.lit("\n"), dollars, notes.list.join(""),
    )  # fmt: skip
    return (
        frame.with_row_index("__at")
        .join(ranges, on="__at", how="left", maintain_order="left")
        .select(*keep, text.alias("text"))
    )


# --- the summary as rows (the workbook's summary sheet, the report) -------------------


def summary_rows(summary: Summary) -> list[tuple[str, Any]]:
    """The summary as label/value pairs: the counts, how the file was read, the
    amounts and the run manifest (for the report's summary)."""
    rows = count_rows(summary)
    rows.extend(payment_rows(summary))
    for name, value in (summary.manifest or {}).items():
        if isinstance(value, dict):
            rows.extend((f"{name}: {k}", _plain(v)) for k, v in value.items())
        else:
            rows.append((name, _plain(value)))
    return rows


def count_rows(summary: Summary) -> list[tuple[str, Any]]:
    """The counts and how the file was read, as label/value pairs (the workbook's
    summary sheet; the report's summary begins with them)."""
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
    if read["key"]:
        rows.append(("groups by", ", ".join(read["key"])))
    return rows


def _detected(value: Any, what: str, summary: Summary) -> str:
    return f"{value} (detected)" if what in summary.detected else str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return "" if value is None else value


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
    if payment["kx"].get("kx_below_lines"):
        rows.append(("lines with KX below the KX threshold", payment["kx"]["kx_below_lines"]))
    if payment["kx"].get("kx_first_day_patients"):
        count = payment["kx"]["kx_first_day_patients"]
        rows.append(("patients with KX on their first date of service", count))
    rows.extend(("note", note) for note in payment["notes"])
    return rows


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
