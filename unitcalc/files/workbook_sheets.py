"""The workbook's sheets as typed rows: the values the engine parsed (counts, units,
amounts, dates of service, the run's time) as numbers and dates, everything else as the
text it was. No openpyxl here: :mod:`.workbook` writes these rows and formats them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..engine.audit import Finding
from .findings_table import AMOUNT_COLUMNS
from .summary import Summary

if TYPE_CHECKING:
    import polars as pl

UNITS_COLUMNS = ("group", "status", "code", "billed units", "allowed units")
"""The "Units by code" sheet: one row per finding and code."""
LINE_COLUMNS = (
    "line", "group", "status", "code", "billed units", "group billed units",
    "group allowed units",
)  # fmt: skip
"""The "Claim lines" sheet: one row per input line, with its group's status and units."""
AMOUNT_SHEET_COLUMNS = (
    "by", "name", "groups", "billed", "allowed", "difference", "not comparable",
)  # fmt: skip
"""The "Amounts" sheet (with a fee file): one row per status, provider and payer."""
MONEY_ITEMS = frozenset(
    {"billed amount", "allowed amount", "amount difference", "billed not comparable"}
)
"""Summary items that hold dollars."""
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def units_rows(finding: Finding) -> Iterator[list[Any]]:
    """A finding's billed and allowed units, one row per code (codes in the order the
    finding names them; a code one side does not name is blank there)."""
    for code in dict.fromkeys([*finding.billed, *finding.allowed]):
        yield [
            finding.group,
            finding.status,
            code,
            finding.billed.get(code),
            finding.allowed.get(code),
        ]


def line_rows(
    finding: Finding, lines: Iterable[tuple[int, str | None, int | None]]
) -> Iterator[list[Any]]:
    """The group's input lines (line, code, units billed on it), each with the group's
    status and the group's billed and allowed units for the line's code."""
    for line, code, billed in lines:
        yield [
            line,
            finding.group,
            finding.status,
            code,
            billed,
            None if code is None else finding.billed.get(code),
            None if code is None else finding.allowed.get(code),
        ]


def ok_line_frame(
    rows: pl.DataFrame, *, group: str, line: str, code: str, billed: str, keys: Sequence[str]
) -> pl.DataFrame:
    """The columnar form of :func:`line_rows` for groups found ok (their allowed units
    are those billed, code by code): each of ``rows`` (with its ``group``, ``line``,
    ``code``, ``billed`` units and the key's columns ``keys``) as a row of
    :data:`LINE_COLUMNS`."""
    import polars as pl

    per_code = pl.col(billed).fill_null(0).sum().over(group, code)
    return rows.select(
        pl.col(line).alias("line"),
        pl.concat_str(*keys, separator=" / ").alias("group"),
        pl.lit("ok").alias("status"),
        pl.col(code).alias("code"),
        pl.col(billed).alias("billed units"),
        per_code.alias("group billed units"),
        per_code.alias("group allowed units"),
    )


def integers(row: Sequence[str], *at: int) -> list[Any]:
    """A spooled CSV row with the cells at ``at`` read back as the integers they were
    (blank as empty)."""
    return [
        (int(cell) if cell else None) if index in at else cell for index, cell in enumerate(row)
    ]


def typed_finding(columns: Sequence[str], row: Sequence[str]) -> list[Any]:
    """A spooled findings row with the engine's numbers and dates as such: the units'
    difference an integer, the dollars numbers, the date of service a date."""
    return [_typed(name, cell) for name, cell in zip(columns, row, strict=False)]


def _typed(name: str, cell: str) -> Any:
    if not cell:
        return cell
    if name == "difference":
        return int(cell)
    if name in AMOUNT_COLUMNS:
        return float(cell)
    if name == "date_of_service":
        return as_date(cell)
    return cell


def as_date(text: Any) -> Any:
    """A day as the engine writes it (YYYY-MM-DD) as a date; anything else stays as it
    is."""
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        return text
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def amount_rows(summary: Summary) -> list[list[Any]]:
    """The dollars by status, provider and payer (none without a fee file)."""
    payment = summary.payment
    if payment is None:
        return []
    return [
        [kind, name, sums["groups"], sums["billed"], sums["allowed"], sums["difference"],
         sums.get("not_comparable", 0)]
        for kind in ("status", "provider", "payer")
        for name, sums in payment[f"by_{kind}"].items()
    ]  # fmt: skip


def payment_items(summary: Summary) -> list[tuple[str, Any]]:
    """The payment summary as items of the summary sheet, amounts as numbers (none
    without a fee file); the sums by status, provider and payer are their own sheet."""
    payment = summary.payment
    if payment is None:
        return []
    apart = payment.get("not_comparable", {})
    return [
        ("fees", payment["fees"]),
        ("fee file", payment["fee_file"]),
        ("billed amount", payment["billed"]),
        ("allowed amount", payment["allowed"]),
        ("amount difference", payment["difference"]),
        *(
            (("groups not comparable", apart["groups"]),
             ("billed not comparable", apart["billed"]))
            if apart.get("groups")
            else ()
        ),
        ("lines past the KX threshold without KX", payment["kx"]["missing_kx_lines"]),
        ("patients past the review threshold", payment["kx"]["review_patients"]),
        *(("note", note) for note in payment["notes"]),
    ]  # fmt: skip


def manifest_rows(manifest: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """The run manifest as key/value rows, nested settings as ``options.format``; the
    run's time a date and time (in UTC, as Excel holds no time zone)."""
    rows: list[tuple[str, Any]] = []
    for name, value in (manifest or {}).items():
        if isinstance(value, Mapping):
            rows.extend((f"{name}.{key}", _plain(item)) for key, item in value.items())
        elif name == "run_at" and isinstance(value, str):
            rows.append((name, _moment(value)))
        else:
            rows.append((name, _plain(value)))
    return rows


def _moment(text: str) -> dt.datetime | str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return value


def provider_amounts(summary: Summary) -> Mapping[str, Mapping[str, Any]]:
    """The dollars by provider (empty without a fee file)."""
    payment = summary.payment
    return {} if payment is None else payment["by_provider"]
