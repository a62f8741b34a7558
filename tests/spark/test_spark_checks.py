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
    """The JSON audit of the claims by each engine and its exit code, the manifest apart
    (it names the engine)."""
    found = {}
    for engine in ("local", "spark"):
        output = folder / f"{name}-{engine}.json"
        result = run(
            "audit", str(folder / "claims.csv"), "--payers", str(folder / "payers.toml"),
            "--ptp", str(PTP_SAMPLE), "--format", "json", "--output", str(output),
            "--engine", engine, "--master", "local[2]", *args,
        )  # fmt: skip
        assert result.exit_code in (0, 1), result.output
        data = json.loads(output.read_text(encoding="utf-8"))
        data["summary"].pop("manifest")
        found[engine] = data | {"exit_code": result.exit_code}
    return found


def test_the_providers_patients_are_in_different_partitions(spark: SparkSession) -> None:
    # The file's premise: the lines are hashed into as many partitions as the command
    # line gives a small file (the session's cores), and ann's overlapping patients,
    # cy's and dee's patients are not all in one: their days are added up across them.
    from pyspark.sql import functions as F

    from unitcalc.spark import default_partitions

    names = ["O1", "O3", "D0", "D1", *(f"C{n}" for n in range(9))]
    frame = spark.createDataFrame([(name,) for name in names], "patient_id string")
    count = default_partitions(frame, len(names))
    hashed = frame.repartition(count, F.col("patient_id"))
    part = dict(hashed.select("patient_id", F.spark_partition_id()).collect())
    assert part["O1"] != part["O3"]
    assert part["D0"] != part["D1"]
    assert len({part[f"C{n}"] for n in range(9)}) > 1


EVERY_CHECK = "units,ptp,modifiers,kx,episodes,patterns"
MONTHS = {"patient": "P1", "year": 2026, "months": 12, "dates_of_service": 12}
TWICE = {"patient": "P2", "date_of_service": "2026-03-02", "code": "97110", "claims": ["X1", "X2"]}
OVERLAP = {"provider": "ann", "date_of_service": "2026-03-02", "overlaps": 1}
PATTERNS = {
    "patients_every_month": [MONTHS],
    "duplicate_claim_lines": [TWICE],
    "overlapping_patients": [OVERLAP],
}


@pytest.mark.parametrize("checks", [EVERY_CHECK, "units", "patterns,ptp"])
def test_checks_on_spark_are_the_local_engines(
    spark: SparkSession, folder: Path, monkeypatch: pytest.MonkeyPatch, checks: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    found = audits(folder, f"checks-{checks}", "--checks", checks)
    assert found["spark"] == found["local"]
    summary = found["local"]["summary"]
    runs = {"units", *checks.split(",")}
    for name, rows in PATTERNS.items():
        assert summary.get(name) == (rows if "patterns" in runs else None)
    assert ("overlap_unchecked_lines" in summary) == ("patterns" in runs)
    providers = {row["provider"]: row for row in summary["providers"]}
    if "patterns" in runs:
        assert providers["cy"]["days_over_8_hours"] == 1
        assert providers["dee"]["bottom_of_band"] is True
    else:
        assert "days_over_8_hours" not in providers["cy"]
        assert "bottom_of_band" not in providers["dee"]
    kinds = {row["kind"] for row in summary.get("episodes", ())}
    every_kind = {
        "treatment_before_evaluation", "plan_over_90_days", "outside_plan", "progress_overdue",
        "reevaluation_pattern", "minutes_exceed_visit", "visit_times_missing",
    }  # fmt: skip
    assert kinds == (every_kind if "episodes" in runs else set())
    edits = [edit for finding in found["local"]["findings"] for edit in finding["edits"]]
    assert any(edit.startswith("NCCI PTP") for edit in edits) == ("ptp" in runs)
    assert any(edit.startswith("Therapy modifier") for edit in edits) == ("modifiers" in runs)
    ran = {name for name in EVERY_CHECK.split(",") if summary["checks"][name] == "ran"}
    assert ran == runs - {"kx"}  # kx needs --fees, which Spark refuses: skipped by both


def test_episodes_with_the_patient_second_in_the_key_are_the_local_engines(
    spark: SparkSession, folder: Path
) -> None:
    # Keyed by the date first, the lines are still hashed by the patient: a patient's
    # episodes are decided whole in one partition.
    given = ("--group-by", "date_of_service,patient_id", "--checks", "units,episodes")
    tables = {}
    for engine in ("local", "spark"):
        result = run(
            "audit", str(folder / "claims.csv"), "--payers", str(folder / "payers.toml"),
            *given, "--engine", engine, "--master", "local[2]",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        tables[engine] = result.stdout
    assert tables["spark"] == tables["local"]
    assert "Checks: units ran; ptp skipped, not chosen;" in tables["local"]
    counted = "7 findings (minutes_exceed_visit 1, outside_plan 1, plan_over_90_days 1"
    assert counted in tables["local"]


def test_a_parquet_folder_with_checks_is_the_local_engines(
    spark: SparkSession, folder: Path, tmp_path: Path
) -> None:
    import polars as pl

    common = ["--payers", str(folder / "payers.toml"), "--checks", "units,episodes"]
    local, findings = tmp_path / "local.json", tmp_path / "findings"
    claims = str(folder / "claims.csv")
    result = run("audit", claims, *common, "--format", "json", "--output", str(local))
    assert result.exit_code == 0, result.output
    result = run(
        "audit", claims, *common, "--format", "parquet", "--output", str(tmp_path / "l.pq")
    )
    assert result.exit_code == 0, result.output
    result = run(
        "audit", claims, *common, "--format", "parquet", "--output", str(findings),
        "--engine", "spark", "--master", "local[2]",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    expected = json.loads(local.read_text(encoding="utf-8"))["summary"]
    summary = json.loads((findings / "_unitcalc_summary.json").read_text(encoding="utf-8"))
    for data in (expected, summary):
        data.pop("manifest")
    assert summary == expected
    assert summary["checks"]["patterns"] == "skipped, not chosen"
    rows = pl.read_parquet(findings / "*.parquet")
    local_rows = pl.read_parquet(tmp_path / "l.pq")
    assert rows.sort(rows.columns).equals(local_rows.sort(local_rows.columns))
    assert local_rows.height == 7  # the episode and visit time findings
