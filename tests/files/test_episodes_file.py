"""Episodes of care and time in and out over a visit file: the findings in the JSON, the
terminal summary, the workbook and the report; the checks that ran or were skipped; a
patient's days in different parts of an unsorted file; an unreadable plan-of-care or
visit time value; and a file without the optional columns written as before."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from unitcalc.cli import main
from unitcalc.files.checks import CHECKS

from .parts import split_and_whole

HEADER = "patient_id,date_of_service,code,minutes,billed_units"
PLAN = ",poc_start,certified_through,progress_report,visit_start,visit_end\n"


def audit(path: Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", str(path), *options])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.stdout


def episodes(path: Path, *options: str) -> tuple[dict[str, str], list[dict[str, object]]]:
    summary = json.loads(audit(path, "--format", "json", *options)[1])["summary"]
    return summary.get("checks"), summary.get("episodes")


def test_episode_findings_in_every_output(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    rows = [
        "p1,2026-03-02,97110,30,2,,,,08:00,08:30",  # treatment before the evaluation
        "p1,2026-03-03,97161,45,1,2026-03-03,2026-06-15,,09:00,09:45",  # a 104-day plan
        "p1,2026-03-04,97110,38,3,2026-03-03,2026-06-15,,09:00,09:30",  # 48 min in 30
        "p1,2026-03-04,97140,10,1,2026-03-03,2026-06-15,,09:00,09:30",
    ]
    path = tmp_path / "visits.csv"
    path.write_text(HEADER + PLAN + "\n".join(rows) + "\n", encoding="utf-8")
    checks, found = episodes(path)
    assert checks == {
        # The run's checks (docs/audit.md, "Which checks run"), then the episodes' own.
        "units": "ran",
        "ptp": "skipped, no --ptp file",
        "modifiers": "skipped, no modifiers column",
        "kx": "skipped, no --fees",
        "episodes": "ran",
        "patterns": "ran (duplicate claims not checked: no claim or visit id column)",
        "plan of care": "ran",
        "progress reports": "ran",
        "visit times": "ran",
    }
    assert [(row["kind"], row["lines"]) for row in found] == [
        ("treatment_before_evaluation", [2]),
        ("plan_over_90_days", [3, 4, 5]),
        ("minutes_exceed_visit", [4, 5]),
    ]
    assert (found[2]["patient"], found[2]["dates"]) == ("p1 / 2026-03-04", ["2026-03-04"])
    assert found[2]["message"] == (
        "48 min of timed and untimed treatment is more than the visit's span of 30 min "
        "(visit_start to visit_end)"
    )
    _, table = audit(path)
    assert "Episode checks: episodes: ran; plan of care: ran;" in table
    assert "Episodes of care and visit times: 3 findings" in table
    book = tmp_path / "audit.xlsx"
    audit(path, "--format", "xlsx", "--output", str(book))
    sheet = list(load_workbook(book)["Episodes"].iter_rows(values_only=True))
    assert sheet[0] == ("patient", "discipline", "kind", "dates", "lines", "message")
    assert sheet[2][:5] == ("p1", "PT", "plan_over_90_days", "2026-03-03, 2026-03-04", "3, 4, 5")
    # CSV and Parquet: rows of the findings table after the groups', status the kind.
    _, csv_text = audit(path, "--format", "csv")
    assert csv_text.splitlines()[2] == (
        "p1 PT,treatment_before_evaluation,,,,,2,treatment on 2026-03-02 before the first "
        "evaluation in the file,,p1,2026-03-02,,"
    )
    table = tmp_path / "audit.parquet"
    audit(path, "--format", "parquet", "--output", str(table))
    statuses = pl.read_parquet(table).get_column("status").to_list()
    assert statuses == [
        "over", "treatment_before_evaluation", "plan_over_90_days", "minutes_exceed_visit",
    ]  # fmt: skip
    report = tmp_path / "report.html"
    audit(path, "--report", str(report))
    html = report.read_text(encoding="utf-8")
    assert "<h2>Episodes of care and visit times (3)</h2>" in html
    assert "<td>plan_over_90_days</td>" in html


def test_a_file_without_the_columns_has_no_episodes_section(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(HEADER + "\np1,2026-03-02,97161,45,1\np1,2026-03-03,97110,30,2\n")
    checks, found = episodes(path)
    assert found is None
    assert checks is not None
    assert checks["episodes"] == "ran"  # the run's checks say so, found nothing
    assert "plan of care" not in checks  # the episodes' own: only with a column or finding
    _, table = audit(path)
    assert "Checks: units ran;" in table
    assert "Episode checks:" not in table
    assert len(audit(path, "--format", "csv")[1].splitlines()) == 1  # the header: all ok
    # Without the columns, a finding still brings the section, with the checks skipped.
    path.write_text(HEADER + "\np1,2026-03-02,97110,30,2\np1,2026-03-03,97161,45,1\n")
    checks, found = episodes(path)
    assert {name: said for name, said in checks.items() if name not in CHECKS} == {
        "plan of care": "skipped (no poc_start or certified_through column)",
        "progress reports": "skipped (no progress_report column)",
        "visit times": "skipped (no visit_start and visit_end, or treatment_minutes, column)",
    }
    assert [row["kind"] for row in found] == ["treatment_before_evaluation"]


def test_progress_report_overdue_from_the_column(tmp_path: Path) -> None:
    # Ch. 15 220.3 D: at least once every 10 treatment days; the evaluation's day is day 1.
    def write(reports: dict[int, str]) -> list[dict[str, object]]:
        days = [
            f"p1,2026-03-{day:02d},{'97161' if day == 2 else '97110'},30,2,,,"
            f"{reports.get(day, '')},,"
            for day in range(2, 14)
        ]
        path = tmp_path / "visits.csv"
        path.write_text(HEADER + PLAN + "\n".join(days) + "\n", encoding="utf-8")
        return episodes(path)[1]

    found = write({})
    assert [(row["kind"], row["dates"]) for row in found] == [("progress_overdue", ["2026-03-12"])]
    # A report written on the 10th day (yes on its line) closes the period in time.
    assert write({11: "yes"}) == []
    # Or its date on any line.
    assert write({2: "03/11/2026"}) == []
    # A report on the 11th day is late.
    assert [row["kind"] for row in write({12: "yes"})] == ["progress_overdue"]


def test_a_patients_days_in_different_parts(tmp_path: Path) -> None:
    # Many patients, so that the file is split by patient; p1's evaluation comes last
    # in the file, after its treatment days: decided on the whole run.
    filler = "".join(f"Q{i},2026-03-0{1 + i % 5},97110,30,2\n" for i in range(400))
    body = "p1,2026-03-02,97110,30,2\n" + filler + "p1,2026-03-05,97161,45,1\n"
    path = tmp_path / "visits.csv"
    path.write_text(HEADER + "\n" + body, encoding="utf-8")
    split, whole, parts = split_and_whole(path)
    assert parts > 1
    assert split.episodes() == whole.episodes()
    assert [(row["patient"], row["kind"], row["lines"]) for row in split.episodes()] == [
        ("p1", "treatment_before_evaluation", [2])
    ]


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        ("poc_start", "March 3", "line 2: poc_start 'March 3' is not a date"),
        (
            "progress_report",
            "maybe",
            "line 2: progress_report 'maybe' is neither a date nor yes/no",
        ),
        ("visit_end,visit_start", "09:00,8am", "line 2: visit_start '8am' is not a time"),
        ("treatment_minutes", "half", "line 2: treatment_minutes 'half' is not a number"),
    ],
    ids=["plan-date", "progress", "time", "total"],
)
def test_an_unreadable_value_stops_the_run(
    tmp_path: Path, column: str, value: str, said: str
) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(f"{HEADER},{column}\np1,2026-03-02,97110,30,2,{value}\n", encoding="utf-8")
    out = tmp_path / "audit.json"
    result = CliRunner().invoke(main, ["audit", str(path), "--output", str(out)])
    assert result.exit_code == 2
    assert f"visits.csv, {said}" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_payer_asking_for_visit_times_names_the_lines(tmp_path: Path) -> None:
    profiles = tmp_path / "payers.toml"
    profiles.write_text("[payers.acme]\nrequires_visit_times = true\n[payers.other]\n")
    path = tmp_path / "visits.csv"
    path.write_text(
        HEADER + ",payer,treatment_minutes\n"
        "p1,2026-03-02,97110,30,2,acme,\n"
        "p1,2026-03-02,97140,15,1,acme,50\n"  # the visit's total on one line: the visit has it
        "p2,2026-03-02,97110,30,2,acme,\n"  # none: named
        "p3,2026-03-02,97110,30,2,other,\n"  # this payer does not ask
        "p4,2026-03-02,97110,46,3,other,45\n",  # 46 minutes in a 45-minute total
        encoding="utf-8",
    )
    _, found = episodes(path, "--payers", str(profiles))
    assert [(row["patient"], row["kind"], row["lines"]) for row in found] == [
        ("p2 / 2026-03-02", "visit_times_missing", [4]),
        ("p4 / 2026-03-02", "minutes_exceed_visit", [6]),
    ]


def test_batch_carries_the_columns_through_unread(tmp_path: Path) -> None:
    # Only the audit reads them: a count of units carries every value as it came.
    path = tmp_path / "visits.csv"
    path.write_text(f"{HEADER},poc_start\np1,2026-03-02,97110,30,2,March 3\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].endswith(",March 3")


def test_with_fees_each_finding_carries_the_dollars_of_its_lines(tmp_path: Path) -> None:
    # Line 2 is treatment before the evaluation of line 3: 97110 x2 at 30.00, the second
    # unit's practice expense halved (docs/examples/fees.csv: 12.00, MPPR): 54.00.
    fees = Path(__file__).parents[2] / "docs" / "examples" / "fees.csv"
    path = tmp_path / "visits.csv"
    path.write_text(HEADER + "\np1,2026-03-02,97110,30,2\np1,2026-03-05,97161,45,1\n")
    checks, found = episodes(path, "--fees", str(fees))
    assert checks is not None
    assert [(row["kind"], row["lines"], row["billed_amount"]) for row in found] == [
        ("treatment_before_evaluation", [2], 54.0)
    ]
    _, table = audit(path, "--fees", str(fees), "--format", "csv", "--all")
    [episode] = [row for row in table.splitlines() if "treatment_before_evaluation" in row]
    assert episode.endswith(",54.00,,")  # billed_amount; allowed and difference are a group's
    assert "billed_amount" not in json.dumps(episodes(path)[1])  # without fees: no dollars
