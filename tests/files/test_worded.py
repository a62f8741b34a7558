"""The notes of the findings the columns word (:mod:`unitcalc.files.worded`): a code's
note under its rule and the rules' warnings, put together in columns, are those the
one-visit wording gives (``_Wording._notes`` in :mod:`unitcalc.files.word`), in the same
order, on generated files and on a day of every kind of note."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.conftest import run
from unitcalc.files import worded

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import generate

HEADER = "patient_id,date_of_service,code,minutes,discipline,billed_units,rule\n"


def _findings(path: Path, output: Path) -> list[dict[str, Any]]:
    result = run("audit", str(path), "--format", "json", "--output", str(output))
    assert result.exit_code == 1, result.output
    return list(json.loads(output.read_text(encoding="utf-8"))["findings"])


def _both(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    by_columns = _findings(path, tmp_path / "columns.json")
    with monkeypatch.context() as patched:
        # Every group that may have a note is asked for its notes one by one.
        patched.setattr(worded, "_other_notes", lambda: pl.lit(True))
        one_by_one = _findings(path, tmp_path / "one.json")
    assert by_columns == one_by_one
    return by_columns


@pytest.mark.parametrize("profile", ["findings", "findings-scattered"])
def test_generated_notes_are_worded_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: str
) -> None:
    path = tmp_path / "visits.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(generate.HEADER)
        writer.writerows(generate.table(6000, 5, 0.3, 0.0, profile, False))
    found = _both(path, tmp_path, monkeypatch)
    warnings = [text for finding in found for text in finding["warnings"]]
    assert any(text.startswith("97010: ") for text in warnings)
    assert any(text.startswith("97014: ") for text in warnings)
    assert any("fewer than 8" in text for text in warnings)


def test_a_code_note_comes_before_the_rules_warnings_pool_by_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two pools (PT, OT), each with a noted code; a rule's warning (7 minutes billed a
    # unit) in the OT pool; an untimed code without minutes (worded one by one); a day
    # under the AMA rule with a noted code (no AMA note: none).
    path = tmp_path / "visits.csv"
    path.write_text(
        HEADER
        + "P1,2026-01-05,97110,20,PT,2,cms\n"
        + "P1,2026-01-05,97014,10,PT,1,cms\n"
        + "P1,2026-01-05,97530,7,OT,1,cms\n"
        + "P1,2026-01-05,97010,10,OT,1,cms\n"
        + "P2,2026-01-05,97010,0,PT,1,cms\n"
        + "P2,2026-01-05,97110,40,PT,1,cms\n"
        + "P3,2026-01-05,97010,10,PT,1,ama\n"
        + "P3,2026-01-05,97110,40,PT,1,ama\n",
        encoding="utf-8",
    )
    found = {
        finding["group"]: finding["warnings"] for finding in _both(path, tmp_path, monkeypatch)
    }
    first = found["P1 / 2026-01-05"]
    assert [text.split(":")[0] for text in first[:2]] == ["97014", "97010"]
    assert "fewer than 8" in first[2]
    assert any("0 minutes were documented" in text for text in found["P2 / 2026-01-05"])
