"""Writing a draw (:mod:`.sample`) for the reviewer: one new folder holding

- ``frame.csv``: every unit of the frame: its number, stratum, group, lines, rows,
  amount, random number and, when drawn, its place in the draw;
- ``draw.json``: the seed, the generator, the file and its SHA-256, the unit, the strata
  (definition, frame size N_h, sample size n_h, amount) and the drawn units in order;
  ``unitcalc extrapolate --draw`` reads the strata from it;
- ``sample.csv``: the drawn units' rows of the file, every value as read, under the
  file's own header, in file order, so that ``unitcalc audit sample.csv`` audits exactly
  the sample with the same engine as the whole file.

The folder is written under a temporary name beside it and renamed into place at the
end: it appears whole or not at all, and a folder already there is never written into.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..core.encodings import source_sha256
from ..core.errors import OutputProblem
from .cells import safe_row
from .sample import GENERATOR

if TYPE_CHECKING:
    from .load import Loaded
    from .sample import Draw

DRAW_FORMAT = 1
"""The version of draw.json's layout."""


def write_draw(folder: Path, draw: Draw, loaded: Loaded, source: Path, display: str) -> None:
    """The frame, the draw and the sample's rows, written into the new ``folder``."""
    if folder.exists():
        raise OutputProblem(
            f"--output-dir {folder}: it exists already; name a new folder (a draw is never "
            "written over another)"
        )
    parent = folder.resolve().parent
    if not parent.is_dir():
        raise OutputProblem(f"--output-dir {folder}: its folder {parent} does not exist")
    partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
    try:
        with _text(partial / "frame.csv") as handle:
            _write_frame(handle, draw)
        with _text(partial / "draw.json") as handle:
            json.dump(draw_document(draw, source, display), handle, indent=2)
            handle.write("\n")
        with _text(partial / "sample.csv") as handle:
            _write_rows(handle, draw, loaded)
        os.rename(partial, folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _text(path: Path) -> IO[str]:
    return path.open("w", encoding="utf-8", newline="")


def _dollars(cents: int | None) -> str:
    return "" if cents is None else f"{Decimal(cents) / 100:.2f}"


def _write_frame(handle: IO[str], draw: Draw) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(
        ["unit", "stratum", "group", "lines", "rows", "amount", "random", "drawn_order"]
    )
    for unit in draw.units:
        writer.writerow(
            safe_row(
                [
                    unit.number,
                    unit.stratum,
                    unit.key,
                    ";".join(map(str, unit.lines)),
                    len(unit.lines),
                    _dollars(unit.amount_cents),
                    repr(unit.random),
                    "" if unit.order is None else unit.order,
                ]
            )
        )


def draw_document(draw: Draw, source: Path, display: str) -> dict[str, Any]:
    """draw.json: what a reviewer needs to repeat the draw and to extrapolate from it."""
    design = draw.design
    amounts: dict[str, int] = {}
    for unit in draw.units:
        amounts[unit.stratum] = amounts.get(unit.stratum, 0) + (unit.amount_cents or 0)
    return {
        "format": DRAW_FORMAT,
        "file": display,
        "sha256": source_sha256(source),
        "unit": " + ".join(draw.key_roles) or "row",
        "generator": GENERATOR,
        "seed": design.seed,
        "allocation": "given" if design.stratum_sizes else "proportional",
        "strata_definition": design.strata_definition,
        "amount_column": design.amount,
        "frame_size": len(draw.units),
        "sample_size": sum(draw.sample_sizes.values()),
        "strata": [
            {
                "stratum": name,
                "frame_size": size,
                "sample_size": draw.sample_sizes[name],
                "amount": _dollars(amounts[name]) if design.amount else None,
            }
            for name, size in draw.frame_sizes.items()
        ],
        "drawn": [
            {
                "unit": unit.number,
                "stratum": unit.stratum,
                "order": unit.order,
                "random": unit.random,
                "group": unit.key,
                "lines": list(unit.lines),
            }
            for unit in draw.sampled
        ],
    }


def _write_rows(handle: IO[str], draw: Draw, loaded: Loaded) -> None:
    lines = sorted(line for unit in draw.units if unit.order is not None for line in unit.lines)
    records = loaded.record_rows(lines)
    columns = list(loaded.layout.columns)
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(columns)
    for line in lines:
        values = records[line].values
        writer.writerow([_cell(values.get(column)) for column in columns])


def _cell(value: Any) -> str:
    """A value as read: text as it is; a JSON or Parquet number or flag as JSON writes it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)
