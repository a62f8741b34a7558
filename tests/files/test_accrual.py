"""The KX accrual of a file split by patient, part by part (``KxLines.close_part``: each
part's lines accrued as the next part begins, only the findings kept), gives what the
accrual of the whole file gives: the same findings and notes, in the same order."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from unitcalc.files import Options, run_groups
from unitcalc.files.price import Pricer
from unitcalc.files.write_audit import AuditWriter
from unitcalc.payment.fees import load_fees

HEADER = (
    "patient_id,date_of_service,code,minutes,discipline,billed_units,modifiers,kx_prior_pt_slp\n"
)
FEES = "code,amount\n97110,30.00\n97112,33.00\n97140,28.00\n"


def visits(spaced: str = "") -> str:
    """Twelve patients, each starting near the threshold (two rows giving different
    ``kx_prior_pt_slp`` amounts: a note), then past it without KX and with it; their
    dates run backwards with the patient, so that no part's order is the dates'.
    ``spaced``: written before the patient on each second row (the KX accrual reads the
    patient stripped, as ``str.strip()`` strips)."""
    lines = []
    for number in range(12):
        patient = f"P{number:02}"
        day = 26 - 2 * number
        lines.append(f"{patient},2026-02-{day:02},97110,38,PT,3,GP,2300\n")
        lines.append(f"{spaced}{patient},2026-02-{day + 1:02},97112,30,PT,2,GP,2350\n")
        lines.append(f"{patient},2026-03-{day:02},97140,23,PT,2,GP,\n")
        lines.append(f"{patient},2026-03-{day + 1:02},97110,30,PT,2,GP KX,\n")
        lines.append(f"{patient},2025-12-{day:02},97110,15,PT,1,GP KX,\n")
    return HEADER + "".join(lines)


def audit(folder: Path, *, partition_bytes: int, spaced: str = "") -> tuple[dict[str, Any], Pricer]:
    path = folder / "visits.csv"
    path.write_text(visits(spaced), encoding="utf-8")
    (folder / "fees.csv").write_text(FEES, encoding="utf-8")
    pricer = Pricer(load_fees(folder / "fees.csv"), explanations=False)
    pricer.kx.close_lines = 0  # each part accrued as the next begins
    writer = AuditWriter("json", show_all=False, amounts=True)
    options = Options(
        need_billed=True,
        only_findings=True,
        price_columns=True,
        column_pricer=pricer,
        rendered=writer.rendering,
    )
    out = io.StringIO()
    with contextlib.closing(writer):
        summary = run_groups(
            path, options, pricer.wrap(writer.consume), partition_bytes=partition_bytes
        )
        pricer.finish(summary)
        writer.finish(out, summary)
    return dict(json.loads(out.getvalue())), pricer


def test_a_file_accrued_part_by_part_is_accrued_as_a_whole(tmp_path: Path) -> None:
    whole, one = audit(tmp_path, partition_bytes=8 << 20)
    parts, many = audit(tmp_path, partition_bytes=200)
    assert len(one.kx.closing) == 1
    # A small file is split in two (unitcalc.files.run.split_csv): both have some.
    closed = [future.result() for future in many.kx.closing]
    assert len(closed) == 2
    assert all(part.notes and part.findings for part in closed)
    kx = whole["summary"]["payment"]["kx"]
    assert kx["missing_kx_lines"] >= 12
    assert kx["kx_first_day_patients"] >= 1
    notes = whole["summary"]["payment"]["notes"]
    assert sum("differs between rows" in note for note in notes) == 12
    assert parts == whole


@pytest.mark.parametrize("spaced", [" ", "\x1c"], ids=["space", "separator"])
def test_a_patient_written_with_spaces_is_in_one_part(tmp_path: Path, spaced: str) -> None:
    # The split strips the patient as the accrual does: each patient's rows in one part.
    whole, _ = audit(tmp_path, partition_bytes=8 << 20, spaced=spaced)
    parts, _ = audit(tmp_path, partition_bytes=200, spaced=spaced)
    assert (
        sum("differs between rows" in note for note in whole["summary"]["payment"]["notes"]) == 12
    )
    assert parts == whole
