"""Dates of service in files (issue 11): each row's date chooses the code set, a line
without a discipline joins the day's one named discipline, and rows with a code the day
cannot count are among the rows that could not be used."""

from __future__ import annotations

from pathlib import Path

from unitcalc import iter_findings
from unitcalc.files import Group, Options, run_groups

HEADER = "patient_id,date_of_service,code,minutes,discipline,billed_units\n"


def findings(tmp_path: Path, rows: str) -> dict[str, tuple[str, str]]:
    path = tmp_path / "visits.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return {f.group: (f.status, f.message) for f in iter_findings(path)}


def test_a_2016_visit_counts_97001_as_untimed(tmp_path: Path) -> None:
    found = findings(tmp_path, "P1,2016-05-02,97001,45,PT,1\nP1,2016-05-02,97110,23,PT,2\n")
    assert found["P1 / 2016-05-02"][0] == "ok"


def test_a_code_outside_its_window_names_the_window(tmp_path: Path) -> None:
    found = findings(tmp_path, "P2,2016-05-02,97161,45,PT,1\n")
    status, message = found["P2 / 2016-05-02"]
    assert status == "invalid"
    assert "97161 is valid from 2017-01-01, not on 2016-05-02" in message


def test_example_3_with_a_blank_discipline_on_97140(tmp_path: Path) -> None:
    # CMS Pub. 100-04 Ch. 5 section 20.2, Example 3: 33 + 7 minutes, 3 units.
    found = findings(tmp_path, "P3,2026-01-05,97110,33,PT,2\nP3,2026-01-05,97140,7,,1\n")
    assert found["P3 / 2026-01-05"][0] == "ok"


def test_unknown_and_deleted_codes_are_rows_that_could_not_be_used(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        HEADER + "P1,2026-01-05,97111,20,PT,1\nP2,2026-01-05,97001,45,PT,1\n"
        "P3,2026-01-05,97110,20,PT,1\n",
        encoding="utf-8",
    )

    def consume(group: Group) -> None:
        pass

    summary = run_groups(path, Options(need_billed=True, only_findings=True), consume)
    assert (summary.rows_read, summary.invalid_rows) == (3, 2)
