"""Reading a reviewed sample for ``unitcalc extrapolate``: the draw (``draw.json``
written by ``unitcalc sample``) and the reviewer's findings in dollars.

The review is a CSV file with a header holding a ``unit`` column (the unit's number in
the frame, as ``frame.csv`` and ``draw.json`` give it) and an ``overpayment`` column
(dollars and cents, 0 where the review found none, negative for an underpayment); other
columns are left alone. A unit's rows add up, so a reviewer may write one row per
finding. Every drawn unit needs a row, and every row a drawn unit: nothing is left out
silently. The strata's sums are added in columns by
:func:`unitcalc.payment.estimate.stratum_totals_frame`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

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
    except (KeyError, TypeError, ValueError) as exc:
        raise FileProblem(
            f"{display}: not the draw.json that unitcalc sample writes (field {exc}): give "
            "the draw.json of the sample's folder",
            path=display,
        ) from None
    return DrawFile(frame_sizes, sample_sizes, drawn)


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
            for needed in ("unit", "overpayment"):
                if needed not in names:
                    raise FileProblem(
                        f"{display}, line 1: no column {needed!r}; the review needs the "
                        "columns unit and overpayment",
                        path=display,
                        line=1,
                    )
            unit_at, amount_at = names.index("unit"), names.index("overpayment")
            cents: dict[int, int] = {}
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                line = reader.line_num
                unit = _unit(cells, unit_at, line, display, drawn)
                cents[unit] = cents.get(unit, 0) + _cents(cells, amount_at, line, display)
            return cents
    except OSError as exc:
        raise FileProblem(f"cannot read {display}: {exc.strerror or exc}", path=display) from None
    except UnicodeDecodeError:
        raise FileProblem(f"{display}: not UTF-8 text: save it as UTF-8", path=display) from None


def _cell(cells: list[str], at: int) -> str:
    return cells[at].strip() if at < len(cells) else ""


def _unit(cells: list[str], at: int, line: int, display: str, drawn: DrawFile) -> int:
    text = _cell(cells, at)
    if not text.isdigit() or int(text) not in drawn.drawn:
        raise FileProblem(
            f"{display}, line {line}, column unit: {text!r} is no unit of the draw: write "
            "the unit's number as frame.csv and draw.json give it",
            path=display,
            line=line,
        )
    return int(text)


def _cents(cells: list[str], at: int, line: int, display: str) -> int:
    text = _cell(cells, at)
    amount: Any
    try:
        amount = Decimal(text.replace(",", "").replace("$", ""))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise FileProblem(
            f"{display}, line {line}, column overpayment: {text!r} is no dollar amount: "
            "write dollars and cents such as 125.40 (0 where the review found none)",
            path=display,
            line=line,
        )
    return int(amount * 100)
