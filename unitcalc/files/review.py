"""Reading a reviewed sample for ``unitcalc extrapolate``: the draw (``draw.json``
written by ``unitcalc sample``) and the reviewer's findings in dollars.

The review is a CSV file with a header holding a ``unit`` column (the unit's number in
the frame, as ``frame.csv`` and ``draw.json`` give it) and an ``overpayment`` column
(dollars and cents, 0 where the review found none, negative for an underpayment); other
columns are left alone. The audit's own CSV of the sample (``unitcalc audit sample.csv
--fees FILE --all --format csv``) is a review too: its ``group`` column names the unit
as the frame does, and its ``amount_difference`` is the overpayment. A unit's rows add
up, so a reviewer may write one row per finding. Every drawn unit needs a row, and every
row a drawn unit: nothing is left out silently. The strata's sums are added in columns
by :func:`unitcalc.payment.estimate.stratum_totals_frame`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path

import attrs

from ..core.errors import FileProblem
from ..payment.estimate import StratumTotals, stratum_totals_frame
from .sample_write import DRAW_FORMAT


@attrs.frozen
class DrawFile:
    """What ``unitcalc extrapolate`` takes from draw.json."""

    frame_sizes: Mapping[str, int]
    sample_sizes: Mapping[str, int]
    drawn: Mapping[int, str]
    """Each drawn unit's number -> its stratum."""
    groups: Mapping[str, int] = attrs.field(factory=dict)
    """Each drawn unit's group, as the frame and the audit name it -> its number."""


def read_draw(path: Path) -> DrawFile:
    """draw.json, checked: its strata, and the units drawn from each."""
    display = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FileProblem(f"cannot read {display}: {exc.strerror or exc}", path=display) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileProblem(
            f"{display}: not the draw.json that unitcalc sample writes ({exc})", path=display
        ) from None
    try:
        if document["format"] != DRAW_FORMAT:
            raise ValueError(f"format {document['format']!r}")
        frame_sizes = {s["stratum"]: int(s["frame_size"]) for s in document["strata"]}
        sample_sizes = {s["stratum"]: int(s["sample_size"]) for s in document["strata"]}
        drawn = {int(u["unit"]): str(u["stratum"]) for u in document["drawn"]}
        groups = {str(u["group"]): int(u["unit"]) for u in document["drawn"]}
    except (KeyError, TypeError, ValueError) as exc:
        raise FileProblem(
            f"{display}: not the draw.json that unitcalc sample writes (field {exc}): give "
            "the draw.json of the sample's folder",
            path=display,
        ) from None
    return DrawFile(frame_sizes, sample_sizes, drawn, groups)


def read_review(path: Path, drawn: DrawFile) -> list[StratumTotals]:
    """The review's overpayments, added up by stratum, checked against the draw."""
    import polars as pl

    display = str(path)
    cents_by_unit = _review_cents(path, drawn)
    missing = [unit for unit in drawn.drawn if unit not in cents_by_unit]
    if missing:
        raise FileProblem(
            f"{display}: unit {missing[0]} was drawn but has no row "
            f"({len(missing)} such): add a row with overpayment 0 if the review found none",
            path=display,
        )
    reviewed = pl.DataFrame(
        {
            "stratum": [drawn.drawn[unit] for unit in cents_by_unit],
            "cents": list(cents_by_unit.values()),
        },
        schema={"stratum": pl.String, "cents": pl.Int64},
    )
    sizes = {name: size for name, size in drawn.frame_sizes.items() if drawn.sample_sizes[name]}
    return stratum_totals_frame(reviewed, sizes, stratum="stratum", cents="cents")


def _review_cents(path: Path, drawn: DrawFile) -> dict[int, int]:
    display = str(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise FileProblem(f"{display}: the file is empty", path=display)
            names = [name.strip().lower() for name in header]
            unit_name, amount_name = _columns(names, display)
            unit_at, amount_at = names.index(unit_name), names.index(amount_name)
            cents: dict[int, int] = {}
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                line = reader.line_num
                unit = _unit(cells, unit_at, line, display, drawn, by_group=unit_name == "group")
                amount = _cents(cells, amount_at, line, display, amount_name)
                cents[unit] = cents.get(unit, 0) + amount
            return cents
    except OSError as exc:
        raise FileProblem(f"cannot read {display}: {exc.strerror or exc}", path=display) from None
    except UnicodeDecodeError:
        raise FileProblem(f"{display}: not UTF-8 text: save it as UTF-8", path=display) from None


def _columns(names: list[str], display: str) -> tuple[str, str]:
    """The review's unit and amount columns: unit and overpayment, or the audit's group
    and amount_difference."""
    if "unit" in names and "overpayment" in names:
        return "unit", "overpayment"
    if "group" in names and "amount_difference" in names:
        return "group", "amount_difference"
    if "group" in names:
        raise FileProblem(
            f"{display}, line 1: an audit without amounts (no column amount_difference): "
            "audit the sample with --fees FILE --all --format csv",
            path=display,
            line=1,
        )
    raise FileProblem(
        f"{display}, line 1: no columns unit and overpayment; the review needs both (or "
        "is the CSV of unitcalc audit --fees FILE --all)",
        path=display,
        line=1,
    )


def _cell(cells: list[str], at: int) -> str:
    return cells[at].strip() if at < len(cells) else ""


def _unit(
    cells: list[str], at: int, line: int, display: str, drawn: DrawFile, *, by_group: bool
) -> int:
    text = _cell(cells, at)
    if by_group and text in drawn.groups:
        return drawn.groups[text]
    if not by_group and text.isdigit() and int(text) in drawn.drawn:
        return int(text)
    column, fix = (
        ("group", "audit the draw's sample.csv, with the same --group-by")
        if by_group
        else ("unit", "write the unit's number as frame.csv and draw.json give it")
    )
    raise FileProblem(
        f"{display}, line {line}, column {column}: {text!r} is no unit of the draw: {fix}",
        path=display,
        line=line,
    )


def _cents(cells: list[str], at: int, line: int, display: str, column: str) -> int:
    text = _cell(cells, at)
    try:
        amount = Decimal(text.replace(",", "").replace("$", ""))
        whole_cents = amount.is_finite() and amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        whole_cents = False
    if not whole_cents:
        raise FileProblem(
            f"{display}, line {line}, column {column}: {text!r} is no dollar amount: "
            "write dollars and cents such as 125.40 (0 where the review found none)",
            path=display,
            line=line,
        )
    return int(amount * 100)
