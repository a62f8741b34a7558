"""Episodes of care and time in and out on Spark give what the local engine gives: each
partition holds every row of its patients, decides their episodes, and sends the
findings whole with its summary."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import run

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

HEADER = "patient_id,date_of_service,code,minutes,billed_units,poc_start,certified_through"
HEADER += ",progress_report,visit_start,visit_end\n"


def visits(count: int) -> str:
    """Patients with evaluations, treatment, plans and times; rows shuffled."""
    rng = random.Random(24)
    rows = []
    for patient in range(count):
        start = rng.randint(1, 9)
        plan = f"2026-03-0{start},2026-0{rng.choice((5, 6, 7))}-01"
        for day in range(1, 28):
            code = "97161" if day == start else rng.choice(("97110", "97140", "97164"))
            report = rng.choice(("", "", "", "yes"))
            until = rng.choice(("08:30", "08:45", "09:00"))
            rows.append(
                f"P{patient},2026-03-{day:02d},{code},{rng.randint(8, 45)},"
                f"{rng.randint(1, 3)},{plan},{report},08:00,{until}"
            )
    rng.shuffle(rows)
    return HEADER + "\n".join(rows) + "\n"


def test_spark_episodes_are_the_local_engines(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    path = tmp_path / "visits.csv"
    path.write_text(visits(12), encoding="utf-8")
    found = {}
    for engine in ("local", "spark"):
        output = tmp_path / f"{engine}.json"
        result = run(
            "audit", str(path), "--format", "json", "--output", str(output),
            "--engine", engine, "--master", "local[2]",
        )  # fmt: skip
        assert result.exit_code == 1, result.output
        found[engine] = json.loads(output.read_text(encoding="utf-8"))["summary"]
    assert found["local"]["episodes"]
    kinds = {row["kind"] for row in found["local"]["episodes"]}
    assert {"treatment_before_evaluation", "plan_over_90_days", "minutes_exceed_visit"} <= kinds
    assert found["spark"]["checks"] == found["local"]["checks"]
    assert found["spark"]["episodes"] == found["local"]["episodes"]


def test_spark_names_an_unreadable_plan_date(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(HEADER + "p1,2026-03-02,97110,30,2,March 3,,,,\n", encoding="utf-8")
    output = tmp_path / "audit.json"
    result = run(
        "audit", str(path), "--output", str(output), "--engine", "spark", "--master", "local[2]"
    )  # fmt: skip
    assert result.exit_code == 2
    assert "visits.csv, line 2: poc_start 'March 3' is not a date" in result.output
    assert not output.exists()
