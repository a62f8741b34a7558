"""``--checks`` on Spark gives what the local engine gives: the same checks run, the same
``checks`` report, the same findings, patterns and episodes (docs/scale.md). The file
trips every pattern and episode check, and its providers' patients are spread over
the partitions, so that a provider's day (its minutes, its patients' spans) is added up
from several partitions' summaries."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import run

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PTP_SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "ptp_sample.txt"
HEADER = [
    "patient_id", "date_of_service", "code", "minutes", "billed_units", "provider",
    "claim_id", "discipline", "modifiers", "payer", "poc_start", "certified_through",
    "progress_report", "visit_start", "visit_end", "start_time", "end_time",
]  # fmt: skip
PAYERS = """\
[payers.timed-example]
label = "A payer asking for visit times (made up for the tests)"
rule = "cms"
requires_visit_times = true
source = "made up for unitcalc's tests"
"""


def line(patient: str, date: str, code: str, minutes: int, units: int, **more: str) -> str:
    cells = {
        "patient_id": patient, "date_of_service": date, "code": code,
        "minutes": str(minutes), "billed_units": str(units), "discipline": "PT",
        "modifiers": "GP", "provider": "fay", "claim_id": f"K-{patient}-{date}",
    } | more  # fmt: skip
    return ",".join(cells.get(name, "") for name in HEADER)


def episode_lines() -> list[str]:
    """E1: treatment before its evaluation and outside its plan, a plan of 119 days, 12
    treatment days without a progress report, three re-evaluations a week apart."""
    plan = {"poc_start": "2026-03-04", "certified_through": "2026-07-01"}
    rows = [line("E1", "2026-03-02", "97110", 30, 2, **plan)]
    rows.append(line("E1", "2026-03-04", "97161", 45, 1, **plan))
    rows += [line("E1", f"2026-03-{day:02}", "97110", 30, 2, **plan) for day in range(5, 17)]
    rows += [line("E1", f"2026-04-{day:02}", "97164", 30, 1, **plan) for day in (1, 8, 15)]
    rows.append(line("E1", "2026-07-10", "97110", 30, 2, **plan))
    return rows


def pattern_lines() -> list[str]:
    """Every month (P1), a code under two claims (P2), ann's overlapping patients (O1,
    O3) and an unreadable time (P5), cy's day of 9 hours over nine patients, dee at the
    bottom of the band, a visit longer than its times (V1), a visit without times for a
    payer asking for them (V2), a PTP pair (M1) and two discipline modifiers on a line (M2)."""
    rows = [line("P1", f"2026-{month:02}-05", "97110", 30, 2) for month in range(1, 13)]
    rows += [line("P2", "2026-03-02", "97110", 15, 1, claim_id=claim) for claim in ("X1", "X2")]
    ann = {"provider": "ann"}
    rows.append(line("O1", "2026-03-02", "97110", 30, 2, start_time="09:00", end_time="09:30",
                     **ann))  # fmt: skip
    rows.append(line("O3", "2026-03-02", "97110", 30, 2, start_time="09:20", end_time="09:50",
                     **ann))  # fmt: skip
    rows.append(line("P5", "2026-03-02", "97110", 30, 2, start_time="9am", end_time="10:20",
                     **ann))  # fmt: skip
    rows += [line(f"C{n}", "2026-03-10", "97110", 60, 4, provider="cy") for n in range(9)]
    rows += [line(f"D{n}", "2026-03-11", "97110", 9, 1, provider="dee") for n in range(2)]
    rows.append(line("V1", "2026-03-12", "97110", 45, 3, visit_start="08:00", visit_end="08:30"))
    rows.append(line("V2", "2026-03-12", "97110", 30, 2, payer="timed-example"))
    rows.append(line("M1", "2026-03-13", "97530", 30, 2))
    rows.append(line("M1", "2026-03-13", "97150", 20, 1))
    rows.append(line("M2", "2026-03-13", "97110", 30, 2, modifiers="GP;GO"))
    return rows


def claims(seed: int = 24) -> str:
    """The tripping lines among 60 ordinary patients, shuffled."""
    rng = random.Random(seed)
    rows = [*episode_lines(), *pattern_lines()]
    for patient in range(60):
        for day in rng.sample(range(1, 28), 2):
            minutes = rng.randint(8, 50)
            rows.append(line(f"F{patient}", f"2026-05-{day:02}", "97140", minutes,
                             (minutes + 7) // 15, provider=rng.choice(("ann", "cy", "fay"))))  # fmt: skip
    rng.shuffle(rows)
    return ",".join(HEADER) + "\n" + "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("checks")
    (folder / "claims.csv").write_text(claims(), encoding="utf-8")
    (folder / "payers.toml").write_text(PAYERS, encoding="utf-8")
    return folder


def audits(folder: Path, name: str, *args: str) -> dict[str, dict[str, Any]]:
    """The JSON audit of the claims by each engine, the manifest apart (it names the
    engine)."""
    found = {}
    for engine in ("local", "spark"):
        output = folder / f"{name}-{engine}.json"
        result = run(
            "audit", str(folder / "claims.csv"), "--payers", str(folder / "payers.toml"),
            "--ptp", str(PTP_SAMPLE), "--format", "json", "--output", str(output),
            "--engine", engine, "--master", "local[2]", *args,
        )  # fmt: skip
        assert result.exit_code == 1, result.output
        data = json.loads(output.read_text(encoding="utf-8"))
        data["summary"].pop("manifest")
        found[engine] = data
    return found
