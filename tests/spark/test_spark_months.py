"""Remote therapeutic monitoring on Spark: a patient's months are in one partition (the
lines are hashed by patient), so the audit and the batch count of months give what the
local engine gives, device supplies counted across the months included."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest

from unitcalc.engine.monthly import MonthOptions
from unitcalc.files import Options, run_groups
from unitcalc.files.write_audit import AuditWriter
from unitcalc.files.write_batch import BatchWriter

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

HEADER = ["patient_id", "date_of_service", "code", "minutes", "days_of_data", "billed_units"]


def month_rows(seed: int, patients: int = 30) -> list[list[str]]:
    """Patients' months of RTM (management, device supplies, set-up) beside their days,
    from 2025-11 to 2026-04, with rows that cannot be counted among them."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    for patient in range(patients):
        for month in ("2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04"):
            if rng.random() < 0.3:
                continue
            for _ in range(rng.randint(1, 4)):
                day = f"{month}-{rng.randint(1, 28):02d}"
                code = rng.choice(["98979", "98980", "98981", "98977", "98985", "98975", "97110"])
                minutes = str(rng.randint(0, 40)) if code in ("98979", "98980", "98981") else ""
                days = str(rng.randint(0, 30)) if code in ("98977", "98985") else ""
                if code == "97110":
                    minutes = str(rng.randint(8, 40))
                rows.append([f"P{patient:03d}", day, code, minutes, days, str(rng.randint(0, 2))])
    rows[3:3] = [
        ["P900", "2026-03-02", "98977", "", "", "1"],
        ["P901", "2026-03-02", "98980", "x", "", "1"],
        ["P902", "2025-12-02", "98985", "", "5", "1"],
    ]
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def collected(frame: DataFrame) -> pl.DataFrame:
    return pl.DataFrame(pl.from_arrow(frame.toArrow()))


def in_order(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns)


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(tmp_path_factory.mktemp("months") / "visits.csv", month_rows(seed=21))


@pytest.mark.parametrize(
    "month",
    [MonthOptions(), MonthOptions(further_blocks="midpoint", set_up="patient")],
    ids=["defaults", "options"],
)
@pytest.mark.parametrize("show_all", [False, True], ids=["findings", "all-groups"])
def test_months_audit_as_the_local_engine(
    spark: SparkSession, path: Path, show_all: bool, month: MonthOptions
) -> None:
    from unitcalc.spark import audit, read

    options = Options(need_billed=True, only_findings=not show_all, month=month)
    writer = AuditWriter("parquet", show_all=show_all)
    summary = run_groups(path, options, writer.consume)
    assert summary.layout is not None
    expected = writer.frame(summary.layout)
    result = audit(read(spark, path), show_all=show_all, month=month, partitions=3)
    found = collected(result.findings)
    assert in_order(found).equals(in_order(expected))
    local = {k: v for k, v in summary.to_dict().items() if k != "input"}
    assert {k: v for k, v in result.summary().to_dict().items() if k != "input"} == local
    # The file holds what the test says: months of every status, device supplies held
    # by the month before, rows that cannot be counted.
    assert set(expected.get_column("rule").to_list()) >= {"month"}
    assert {"over", "under", "invalid"} <= set(summary.counts)


@pytest.mark.parametrize("per_row", [False, True], ids=["claim-lines", "per-row"])
def test_months_batch_as_the_local_engine(spark: SparkSession, path: Path, per_row: bool) -> None:
    from unitcalc.spark import batch, read

    writer = BatchWriter("parquet", per_row=per_row)
    summary = run_groups(path, Options(), writer.consume)
    assert summary.layout is not None
    expected = writer.frame(summary.layout)
    result = batch(read(spark, path), per_row=per_row, partitions=3)
    assert in_order(collected(result.rows)).equals(in_order(expected))
