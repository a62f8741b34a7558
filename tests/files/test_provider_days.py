"""A provider's days of more than 8 hours (480 timed minutes across patients, OIG
OEI-04-09-00540) in the audit's table, JSON and workbook, across the parts of a large
file, and left out without a date of service."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from unitcalc.cli import main
from unitcalc.files import Summary

from .parts import split_and_whole

HEADER = "patient_id,date_of_service,code,minutes,billed_units,provider\n"
# ann: 3 patients on 2026-03-02, 495 minutes (one group over: the scalar path);
# bob: 3 patients, 480 minutes, 8 hours and not more.
DAY = (
    "P1,2026-03-02,97110,165,11,ann\n"
    "P2,2026-03-02,97110,165,11,ann\n"
    "P3,2026-03-02,97110,165,12,ann\n"
    "P4,2026-03-02,97110,160,11,bob\n"
    "P5,2026-03-02,97110,160,11,bob\n"
    "P6,2026-03-02,97110,160,11,bob\n"
    "P1,2026-03-03,97110,60,4,ann\n"
)


def audit(path: Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", str(path), *options])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.stdout


def test_a_provider_day_over_480_minutes_is_counted(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "claims.csv"
    path.write_text(HEADER + DAY, encoding="utf-8")
    _, out = audit(path, "--format", "json")
    rows = {row["provider"]: row for row in json.loads(out)["summary"]["providers"]}
    assert (rows["ann"]["days_over_8_hours"], rows["ann"]["worst_day_minutes"]) == (1, 495)
    assert rows["ann"]["worst_day"] == "2026-03-02"
    assert (rows["bob"]["days_over_8_hours"], rows["bob"]["worst_day_minutes"]) == (0, 480)
    _, table = audit(path)
    assert "OIG OEI-04-09-00540" in table
    ann = next(line for line in table.splitlines() if line.startswith("ann "))
    bob = next(line for line in table.splitlines() if line.startswith("bob "))
    assert "  1  495 on 2026-03-02" in ann
    assert "  0  480 on 2026-03-02" in bob
    out_path = tmp_path / "audit.xlsx"
    audit(path, "--format", "xlsx", "--output", str(out_path))
    sheet = list(load_workbook(out_path)["Providers"].iter_rows(values_only=True))
    header = sheet[0]
    at = header.index("days over 8 hours")
    assert header[at : at + 3] == ("days over 8 hours", "worst day minutes", "worst day")
    got = {row[0]: row[at : at + 3] for row in sheet[1:]}
    assert got == {"ann": (1, 495, "2026-03-02"), "bob": (0, 480, "2026-03-02")}
    report = tmp_path / "report.html"
    audit(path, "--report", str(report))
    html = report.read_text(encoding="utf-8")
    assert "days over 8 hours (OIG OEI-04-09-00540)" in html
    long_days = html.split("days over 8 hours (OIG OEI-04-09-00540)</h2>")[1]
    assert "<td>ann</td><td>1</td><td>495</td><td>2026-03-02</td>" in long_days
    assert "<td>bob</td>" not in long_days.split("</table>")[0]


def test_a_provider_day_is_added_up_across_parts(tmp_path: Path) -> None:
    # Many patients, so that the file is split by patient: ann's three patients of one
    # day fall in different parts, and the day is decided on the whole run's minutes.
    filler = "".join(f"Q{i},2026-03-0{1 + i % 5},97110,30,2,zed\n" for i in range(400))
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + filler + DAY, encoding="utf-8")
    split, whole, parts = split_and_whole(path)
    assert parts > 1
    assert split.provider_rows() == whole.provider_rows()
    rows = {row["provider"]: row for row in split.provider_rows()}
    assert (rows["ann"]["days_over_8_hours"], rows["ann"]["worst_day_minutes"]) == (1, 495)
    assert rows["bob"]["days_over_8_hours"] == 0
    # A part's summary travels whole (between processes) with its days.
    again = Summary.from_dict(split.to_dict(whole=True))
    assert again.provider_rows() == split.provider_rows()


def test_without_a_date_of_service_there_are_no_days(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "visit_id,code,minutes,billed_units,provider\n"
        + "".join(f"V{i},97110,165,11,ann\n" for i in range(3)),
        encoding="utf-8",
    )
    _, out = audit(path, "--format", "json")
    (row,) = json.loads(out)["summary"]["providers"]
    assert row["timed_minutes"] == 495
    assert "days_over_8_hours" not in row
    _, table = audit(path)
    assert "days >8h" not in table
    assert "OEI-04-09-00540" not in table


def test_two_parts_days_add_up_before_the_day_is_decided() -> None:
    first, second = Summary(), Summary()
    first.tally("ann", 300, 20, "2026-03-02")
    second.tally("ann", 195, 13, "2026-03-02")
    assert first.provider_rows()[0]["days_over_8_hours"] == 0
    assert second.provider_rows()[0]["days_over_8_hours"] == 0
    (row,) = (first + second).provider_rows()
    assert (row["days_over_8_hours"], row["worst_day_minutes"]) == (1, 495)
