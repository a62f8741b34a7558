"""Patterns across groups in an audit (docs/audit.md, Patterns across groups): patients
with therapy in every month of a year and codes billed under two claims, in the JSON,
the table, the workbook and the report, whichever reader and however many parts; and
``--checks``, which chooses the checks made and says which ran."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from unitcalc.cli import main
from unitcalc.files import Summary
from unitcalc.files.options import Options
from unitcalc.files.run import run_groups

HEADER = "patient_id,date_of_service,code,minutes,billed_units,provider,claim_id\n"
YEAR = "".join(f"P1,2026-{month:02}-05,97110,30,2,ann,C{month}\n" for month in range(1, 13))
ELEVEN = "".join(f"P3,2026-{month:02}-07,97110,30,2,ann,D{month}\n" for month in range(1, 12))
TWICE = (
    "P2,2026-03-02,97110,15,1,bob,X1\n"
    "P2,2026-03-02,97110,15,1,bob,X2\n"  # the same code under a second claim
    "P2,2026-03-02,97140,15,1,bob,X1\n"
    "P2,2026-03-03,97140,15,1,bob,X3\n"
    "P2,2026-03-03,97140,15,1,bob,X3\n"  # twice in one claim: its group's warning
    "P2,2026-03-03,97140,0,0,bob,X4\n"  # no unit billed under X4: not billed twice
)
EXPECTED_MONTHS = [{"patient": "P1", "year": 2026, "months": 12, "dates_of_service": 12}]
EXPECTED_TWICE = [
    {"patient": "P2", "date_of_service": "2026-03-02", "code": "97110", "claims": ["X1", "X2"]}
]


def audit(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", *arguments])
    return result.exit_code, result.output


def summary_of(path: Path, *arguments: str) -> dict[str, object]:
    code, out = audit(str(path), "--format", "json", *arguments)
    assert code in (0, 1), out
    summary: dict[str, object] = json.loads(out)["summary"]
    return summary


def test_every_month_and_two_claims_in_each_output(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "claims.csv"
    path.write_text(HEADER + YEAR + ELEVEN + TWICE, encoding="utf-8")
    summary = summary_of(path)
    assert summary["patients_every_month"] == EXPECTED_MONTHS  # P3's eleven months: not
    assert summary["duplicate_claim_lines"] == EXPECTED_TWICE
    assert summary["checks"]["patterns"] == "ran"  # every check with its data, said
    _, table = audit(str(path))
    assert "Patients with therapy in every month of a year (OIG OEI-04-09-00540" in table
    assert "P1           2026        12       12" in table
    assert "P2         2026-03-02  97110   X1, X2" in table
    book_path = tmp_path / "audit.xlsx"
    audit(str(path), "--format", "xlsx", "--output", str(book_path))
    book = load_workbook(book_path)
    assert list(book["Every month"].values) == [
        ("patient", "year", "months", "dates_of_service"),
        ("P1", 2026, 12, 12),
    ]
    assert list(book["Duplicate claims"].values) == [
        ("patient", "date_of_service", "code", "claims"),
        ("P2", "2026-03-02", "97110", "X1, X2"),
    ]
    report = tmp_path / "report.html"
    audit(str(path), "--report", str(report))
    html = report.read_text(encoding="utf-8")
    assert "Codes billed under two or more claims" in html
    assert "<td>X1, X2</td>" in html


def test_nothing_qualifying_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + ELEVEN + TWICE.replace(",X2\n", ",X1\n"), encoding="utf-8")
    summary = summary_of(path)
    assert "patients_every_month" not in summary
    assert "duplicate_claim_lines" not in summary
    _, table = audit(str(path))
    assert "every month" not in table
    assert "two or more claims" not in table


def test_without_a_patient_day_key_or_claim_column(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    no_claims = "".join(line.rsplit(",", 1)[0] + "\n" for line in (YEAR + TWICE).splitlines())
    path.write_text(HEADER.rsplit(",", 1)[0] + "\n" + no_claims, encoding="utf-8")
    summary = summary_of(path)
    assert summary["patients_every_month"] == EXPECTED_MONTHS
    assert "duplicate_claim_lines" not in summary
    # Grouped by the claim alone: no patient-day, no pattern.
    path.write_text(HEADER + YEAR + TWICE, encoding="utf-8")
    summary = summary_of(path, "--group-by", "claim_id")
    assert "patients_every_month" not in summary
    assert "duplicate_claim_lines" not in summary


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_parts_and_readers_agree(tmp_path: Path, suffix: str) -> None:
    rows = (HEADER + YEAR + ELEVEN + TWICE).splitlines()
    # Many patients, so that a small part size splits the file; two of them qualify.
    extra = [f"Q{n},2026-04-0{n % 9 + 1},97140,20,1,cy,K{n}" for n in range(400)]
    lines = [rows[0], *rows[1:], *extra]
    path = tmp_path / f"claims{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:  # JSON Lines: the careful reader, records rather than columns
        names = rows[0].split(",")
        records = [dict(zip(names, line.split(","), strict=True)) for line in lines[1:]]
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    options = Options(need_billed=True, only_findings=True)
    whole = run_groups(path, options, lambda group: None)
    parts = run_groups(path, options, lambda group: None, partition_bytes=2000)
    for summary in (whole, parts):
        assert summary.pattern_dict() == {
            "patients_every_month": EXPECTED_MONTHS,
            "duplicate_claim_lines": EXPECTED_TWICE,
        }
    # A summary sent between processes (Spark's partitions) keeps them.
    again = Summary.from_dict(whole.to_dict(whole=True))
    assert again.pattern_dict() == whole.pattern_dict()
    assert (again + Summary()).pattern_dict() == whole.pattern_dict()


def test_checks_says_which_ran_and_why_the_others_did_not(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + YEAR + TWICE, encoding="utf-8")
    summary = summary_of(path, "--checks", "units,ptp,patterns,episodes")
    assert summary["checks"] == {
        "units": "ran",
        "ptp": "skipped, no --ptp file",
        "modifiers": "skipped, not chosen",
        "kx": "skipped, not chosen",
        "episodes": "ran",
        "patterns": "ran",
    }
    assert summary["duplicate_claim_lines"] == EXPECTED_TWICE
    assert summary["manifest"]["options"]["checks"] == "episodes,patterns,ptp,units"  # type: ignore[index]
    _, table = audit(str(path), "--checks", "units")
    assert "Checks: units ran; ptp skipped, not chosen;" in table
    assert "patterns skipped, not chosen." in table
    summary = summary_of(path, "--checks", "units")
    assert "patients_every_month" not in summary
    assert "duplicate_claim_lines" not in summary
    assert "days_over_8_hours" not in summary["providers"][0]  # type: ignore[index]


def test_patterns_without_a_claim_column_say_so(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("patient_id,date_of_service,code,minutes,billed_units\n"
                    "P1,2026-03-02,97110,30,2\n", encoding="utf-8")  # fmt: skip
    checks = summary_of(path, "--checks", "patterns,modifiers,kx")["checks"]
    assert checks["patterns"] == (  # type: ignore[index]
        "ran (duplicate claims not checked: no claim or visit id column)"
    )
    assert checks["modifiers"] == "skipped, no modifiers column"  # type: ignore[index]
    assert checks["kx"] == "skipped, no --fees"  # type: ignore[index]


def test_a_check_not_chosen_is_not_run(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,assistant_minutes,discipline,billed_units,"
        "modifiers\nP2,2026-03-02,97110,30,,PT,2,GP;CQ\n",
        encoding="utf-8",
    )
    code, out = audit(str(path), "--format", "json")
    assert code == 1
    assert "where none is due" in json.loads(out)["findings"][0]["edits"][0]
    code, out = audit(str(path), "--format", "json", "--checks", "units")
    assert code == 0, out  # the modifiers were not checked
    assert json.loads(out)["summary"]["checks"]["modifiers"] == "skipped, not chosen"


@pytest.mark.parametrize("given", ["units,bogus", ",", "PTP ,  Units"])
def test_check_names(tmp_path: Path, given: str) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + TWICE, encoding="utf-8")
    code, out = audit(str(path), "--checks", given)
    if given == "PTP ,  Units":  # names are read as the summary writes them
        assert code in (0, 1), out
        return
    assert code == 2
    assert "Invalid value for '--checks'" in out
    assert "give a comma list of units, ptp, modifiers, kx, episodes, patterns" in out
    assert "Traceback" not in out


def test_kx_not_chosen_is_not_followed(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    days = [f"2026-{month:02}-{day:02}" for month in range(1, 7) for day in (3, 10, 17, 24)]
    path.write_text(
        "patient_id,date_of_service,code,minutes,discipline,billed_units\n"
        + "".join(f"P1,{day},97110,60,PT,4\n" for day in days),
        encoding="utf-8",
    )
    fees = tmp_path / "fees.csv"
    fees.write_text("code,amount\n97110,40.00\n", encoding="utf-8")
    followed = summary_of(path, "--fees", str(fees))["payment"]
    assert followed["kx"]["missing_kx_lines"] > 0  # type: ignore[index]
    left = summary_of(path, "--fees", str(fees), "--checks", "units")
    assert left["payment"]["kx"]["findings"] == []  # type: ignore[index]
    assert left["payment"]["kx"]["missing_kx_lines"] == 0  # type: ignore[index]
    assert left["checks"]["kx"] == "skipped, not chosen"  # type: ignore[index]


def test_a_provider_at_the_bottom_of_the_band(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units,provider\n"
        "P1,2026-03-02,97110,9,1,ann\nP2,2026-03-02,97110,10,1,ann\n"
        "P3,2026-03-02,97110,30,2,bob\n",
        encoding="utf-8",
    )
    rows = {row["provider"]: row for row in summary_of(path)["providers"]}  # type: ignore[attr-defined]
    assert (rows["ann"]["minutes_per_unit"], rows["ann"]["bottom_of_band"]) == (9.5, True)
    assert rows["bob"]["bottom_of_band"] is False
    _, table = audit(str(path))
    assert "review, bottom of band" in table
    assert "bottom of band: under 11.5 minutes a unit" in table
    rows = summary_of(path, "--checks", "units")["providers"]  # type: ignore[assignment]
    assert all("bottom_of_band" not in row for row in rows)  # type: ignore[attr-defined]


TIMES = "patient_id,date_of_service,code,minutes,billed_units,provider,{},{}\n"
TIMED_ROWS = (
    "P1,2026-03-02,97110,30,2,ann,09:00,09:30\n"
    "P1,2026-03-02,97140,15,1,ann,09:00,09:30\n"  # one session of P1: one span
    "P2,2026-03-02,97110,30,2,ann,09:20,09:50\n"  # P2 starts before P1 has ended
    "P3,2026-03-02,97110,30,2,ann,09:50,10:20\n"  # as P2 ends: no overlap
    "P4,2026-03-02,97110,30,2,bob,09:00,09:30\n"  # another provider
    "P5,2026-03-02,97110,30,2,ann,9am,10:20\n"  # unreadable: not checked, named
    "P6,2026-03-02,97110,30,2,ann,10:30,10:00\n"  # ends before it starts: named
    "P7,2026-03-02,97110,30,2,ann,,\n"  # no times: nothing to check
)
EXPECTED_OVERLAPS = [{"provider": "ann", "date_of_service": "2026-03-02", "overlaps": 1}]


def test_overlaps_read_the_visit_times_of_the_time_in_and_out_check(tmp_path: Path) -> None:
    # visit_start and visit_end are also the time in and out check's columns, which
    # refuses a time it cannot read (exit 2, naming the line and the field).
    path = tmp_path / "visits.csv"
    readable = "".join(line + "\n" for line in TIMED_ROWS.splitlines() if "9am" not in line
                       and "10:30,10:00" not in line)  # fmt: skip
    path.write_text(TIMES.format("visit_start", "visit_end") + readable, encoding="utf-8")
    assert summary_of(path)["overlapping_patients"] == EXPECTED_OVERLAPS
    path.write_text(TIMES.format("visit_start", "visit_end") + TIMED_ROWS, encoding="utf-8")
    code, out = audit(str(path))
    assert code == 2
    assert "line 7: visit_start '9am' is not a time of day" in out


@pytest.mark.parametrize("names", [("start_time", "end_time"), ("Time In", "Time Out")])
def test_overlapping_patients_of_one_provider(tmp_path: Path, names: tuple[str, str]) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "visits.csv"
    path.write_text(TIMES.format(*names) + TIMED_ROWS, encoding="utf-8")
    summary = summary_of(path)
    assert summary["overlapping_patients"] == EXPECTED_OVERLAPS
    assert summary["overlap_unchecked_lines"] == [7, 8]
    _, table = audit(str(path))
    assert "ann         2026-03-02           1" in table
    assert "2 lines with a start or end time that is not HH:MM (24-hour)" in table
    book_path = tmp_path / "audit.xlsx"
    audit(str(path), "--format", "xlsx", "--output", str(book_path))
    assert list(load_workbook(book_path)["Overlaps"].values)[1] == ("ann", "2026-03-02", 1)
    # No provider column: the check is not made.
    plain = "".join(",".join(line.split(",")[:5] + line.split(",")[6:]) + "\n"
                    for line in TIMED_ROWS.splitlines())  # fmt: skip
    header = TIMES.format(*names).replace(",provider", "")
    path.write_text(header + plain, encoding="utf-8")
    assert "overlapping_patients" not in summary_of(path)


def test_a_providers_day_across_parts(tmp_path: Path) -> None:
    # ann sees 139 patients one after the other, and Z1 among them: the file is split by
    # patient into parts, so the two overlapping patients are in different parts.
    rows = [f"Q{n:03},2026-03-02,97110,10,1,ann,{n // 6:02}:{n % 6 * 10:02},"
            f"{(n + 1) // 6:02}:{(n + 1) % 6 * 10:02}" for n in range(139)]  # fmt: skip
    rows.append("Z1,2026-03-02,97110,10,1,ann,01:05,01:15")
    path = tmp_path / "visits.csv"
    path.write_text(TIMES.format("start_time", "end_time") + "\n".join(rows) + "\n",
                    encoding="utf-8")  # fmt: skip
    options = Options(need_billed=True, only_findings=True)
    whole = run_groups(path, options, lambda group: None)
    parts = run_groups(path, options, lambda group: None, partition_bytes=1500)
    # Z1 (01:05-01:15) starts inside Q006 (01:00-01:10), and Q007 (01:10-01:20) starts
    # inside Z1: two spans start before another patient's has ended.
    expected = [{"provider": "ann", "date_of_service": "2026-03-02", "overlaps": 2}]
    assert whole.pattern_dict()["overlapping_patients"] == expected
    assert parts.pattern_dict()["overlapping_patients"] == expected
    again = Summary.from_dict(parts.to_dict(whole=True))
    assert again.pattern_dict()["overlapping_patients"] == expected
