"""A visit file's remote therapeutic monitoring: rows of monthly codes grouped by patient
and calendar month beside the daily groups, counted in columns (unitcalc/files/months.py)
and held to the one-month engine (unitcalc/engine/month_count.py) month after month,
whichever reader reads the file and however it is split into parts."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import unitcalc
from tests.conftest import run
from unitcalc.core.errors import UnitcalcError
from unitcalc.core.months import month_of
from unitcalc.engine.month_count import MonthLine, calculate_month
from unitcalc.engine.month_result import MonthHistory, month_finding
from unitcalc.engine.monthly import MonthOptions
from unitcalc.files import Group, Options, run_groups
from unitcalc.files.write_batch import BatchWriter

HEADER = "patient_id,date_of_service,code,minutes,days_of_data,billed_units\n"
MANAGEMENT = ["98979", "98980", "98981"]
DEVICES = ["98976", "98977", "98978", "98984", "98985", "98986"]
TABLE = unitcalc.CodeTable.default()

Row = tuple[str, datetime.date, str, str, str, str]


@st.composite
def rows(draw: st.DrawFn) -> Row:
    """A row: patient, date, code, minutes, days of data, billed units (as written)."""
    code = draw(st.sampled_from([*MANAGEMENT, *DEVICES, "98975", "97110"]))
    day = draw(st.dates(datetime.date(2025, 11, 20), datetime.date(2026, 4, 10)))
    minutes = draw(st.sampled_from(["", "x"]) | st.integers(0, 45).map(str))
    if code in DEVICES:
        minutes = draw(st.sampled_from(["", "", "5"]))
    if code == "97110" and minutes in ("", "x"):
        minutes = "20"
    days = draw(st.just("") | st.integers(0, 32).map(str)) if code in DEVICES else ""
    billed = str(draw(st.integers(0, 2)))
    return draw(st.sampled_from(["P1", "P2"])), day, code, minutes, days, billed


files = st.lists(rows(), min_size=1, max_size=14)


def text_of(lines: Sequence[Row], *, odd: bool = False) -> str:
    """The file's text; ``odd``: every other row written otherwise (a US date, a code
    and days with spaces, days as 7.0), for the scalar checker."""

    def row(index: int, line: Row) -> str:
        p, d, c, m, days, b = line
        if odd and index % 2:
            date, code = f"{d.month}/{d.day}/{d.year}", f" {c}"
            days = f"{days}.0" if days else days
            return f"{p},{date},{code},{m},{days},{b}\n"
        return f"{p},{d.isoformat()},{c},{m},{days},{b}\n"

    return HEADER + "".join(row(index, line) for index, line in enumerate(lines))


def audit(
    path: Path, *, only_findings: bool = False, **options: Any
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The run's summary and every finding by group (those handed on)."""
    found: dict[str, dict[str, Any]] = {}

    def consume(group: Group) -> None:
        assert group.finding is not None
        found[group.finding.group] = group.finding.to_dict()

    summary = run_groups(
        path, Options.of(need_billed=True, only_findings=only_findings, **options), consume
    )
    return summary.to_dict(), found


def oracle(lines: Sequence[Row], options: MonthOptions) -> dict[str, dict[str, Any] | str]:
    """Each patient's months counted one after the other by the one-month engine, the
    history of each month carried to the next; an invalid month's status only."""
    months: dict[tuple[str, str], list[tuple[int, Row]]] = {}
    for number, row in enumerate(lines, start=2):
        if row[2] in (*MANAGEMENT, *DEVICES, "98975"):
            months.setdefault((row[0], month_of(row[1])), []).append((number, row))
    out: dict[str, dict[str, Any] | str] = {}
    for patient in sorted({p for p, _ in months}):
        history = MonthHistory()
        for month in sorted(m for p, m in months if p == patient):
            group = months[(patient, month)]
            name = f"{patient} / {month}"
            try:
                services = [
                    MonthLine(
                        row[2],
                        int(row[3]) if row[3] else None,
                        days_of_data=int(row[4]) if row[4] else None,
                        date_of_service=row[1],
                    )
                    for _, row in group
                ]
                result = calculate_month(services, month, options=options, history=history)
            except (UnitcalcError, ValueError):
                out[name] = "invalid"
                continue
            history = result.history
            billed: dict[str, int] = {}
            for _, row in group:
                billed[row[2]] = billed.get(row[2], 0) + int(row[5])
            lines_of = [number for number, _ in group]
            finding = month_finding(result, billed, group=name, lines=lines_of, codes=TABLE)
            out[name] = finding.to_dict()
    return out


def months_only(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any] | str]:
    return {
        name: finding if finding["status"] != "invalid" else "invalid"
        for name, finding in found.items()
        if finding["rule"] == "month"
    }


@example([("P1", datetime.date(2026, 3, 20), "98977", "", "20", "1"),
          ("P1", datetime.date(2026, 4, 10), "98985", "", "5", "1")], "full", "month")  # fmt: skip
@example([("P1", datetime.date(2026, 3, 2), "98980", "x", "", "1"),
          ("P1", datetime.date(2026, 3, 2), "97110", "20", "", "1")], "full", "month")  # fmt: skip
@example([("P2", datetime.date(2026, 1, 5), "98975", "", "", "1"),
          ("P2", datetime.date(2026, 2, 5), "98975", "", "", "1")], "full", "patient")  # fmt: skip
@settings(max_examples=150)
@given(files, st.sampled_from(["full", "midpoint"]), st.sampled_from(["month", "patient"]))
def test_file_months_are_the_one_month_engines(
    tmp_path_factory: pytest.TempPathFactory, lines: list[Row], blocks: str, set_up: str
) -> None:
    options = MonthOptions(further_blocks=blocks, set_up=set_up)  # type: ignore[arg-type]
    path = tmp_path_factory.mktemp("months") / "visits.csv"
    path.write_text(text_of(lines), encoding="utf-8")
    summary, found = audit(path, month=options)
    assert months_only(found) == oracle(lines, options)
    # The quick pass (only findings) hands on the same flagged months, and the same sums.
    quick_summary, quick = audit(path, only_findings=True, month=options)
    assert quick_summary == summary
    flagged = {n: f for n, f in months_only(found).items() if f == "invalid" or f["status"] != "ok"}
    assert months_only(quick) == flagged
    # The careful reader (any encoding but UTF-8) and the file in parts say the same, and
    # so do values written otherwise (the scalar checker's), but for the words of dates.
    assert audit(path, encoding="latin-1", month=options)[1] == found
    odd = path.with_name("odd.csv")
    odd.write_text(text_of(lines, odd=True), encoding="utf-8")
    assert months_only(audit(odd, month=options)[1]) == months_only(found)
    parts: dict[str, dict[str, Any]] = {}
    run_groups(
        path,
        Options.of(need_billed=True, month=options),
        lambda g: parts.__setitem__(g.finding.group, g.finding.to_dict()),  # type: ignore[union-attr]
        partition_bytes=200,
    )
    assert parts == found


def test_rtm_rows_leave_their_day(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        HEADER
        + "P1,2026-03-02,97110,33,,2\nP1,2026-03-02,98980,25,,1\n"
        + "P1,2026-03-09,98981,20,,1\nP1,2026-03-09,98977,,20,1\n",
        encoding="utf-8",
    )
    summary, found = audit(path)
    assert list(found) == ["P1 / 2026-03-02", "P1 / 2026-03"]
    day, month = found["P1 / 2026-03-02"], found["P1 / 2026-03"]
    assert (day["status"], day["lines"], day["rule"]) == ("ok", [2], "cms")
    assert (month["status"], month["lines"], month["rule"]) == ("ok", [3, 4, 5], "month")
    assert month["allowed"] == {"98980": 1, "98981": 1, "98977": 1}
    assert summary["groups"] == 2
    assert summary["rows_read"] == 4
    # Without the monthly rows the day is the same finding.
    alone = tmp_path / "alone.csv"
    alone.write_text(HEADER + "P1,2026-03-02,97110,33,,2\n", encoding="utf-8")
    assert audit(alone)[1]["P1 / 2026-03-02"] == day


def test_without_a_date_in_the_key_monthly_rows_are_refused_pointing_to_months(
    tmp_path: Path,
) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "visit_id,code,minutes,billed_units\nV1,98980,25,1\nV1,97110,30,2\n", encoding="utf-8"
    )
    [finding] = unitcalc.iter_findings(path)
    assert finding.status == "invalid"
    assert "is a monthly code" in finding.message


def test_batch_lists_a_months_codes(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        HEADER + "P2,2026-03-03,98980,15,,1\nP2,2026-03-20,98985,,8,1\n", encoding="utf-8"
    )
    claim = run("batch", str(path), "--format", "jsonl")
    assert claim.exit_code == 0, claim.output
    lines = [json.loads(line) for line in claim.stdout.splitlines()]
    assert [(r["code"], r["units"]) for r in lines] == [
        ("98980", 0),
        ("98985", 1),
        ("98979", 1),
    ]
    assert lines[0]["date_of_service"] == "2026-03"
    assert lines[0]["minutes"] == 15
    per_row = run("batch", str(path), "--per-row")
    assert per_row.exit_code == 0, per_row.output
    # Every input row and only input rows: the 98979 the month gives is said on the
    # month's first row.
    assert per_row.stdout.splitlines()[1:] == [
        "P2,2026-03-03,98980,15,,1,0,,ok,98979 x1: the month's count gives it; it is not a "
        "line of the input (bill it on its own claim line),",
        "P2,2026-03-20,98985,,8,1,1,,ok,,",
    ]


def test_a_batch_month_that_cannot_be_counted_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(HEADER + "P2,2026-03-03,98977,,,1\n", encoding="utf-8")
    writer = BatchWriter("csv", per_row=False)
    summary = run_groups(path, Options.of(), writer.consume)
    assert summary.counts["invalid"] == 1
    assert summary.invalid_rows == 1
    writer.close()


def test_audit_prints_a_months_finding(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        HEADER + "P1,2026-03-02,98980,25,,1\nP1,2026-03-02,98979,,,1\n", encoding="utf-8"
    )
    result = run("audit", str(path))
    assert result.exit_code == 1
    assert "[over] P1 / 2026-03 (lines 2-3)" in result.stdout
    assert "98979 and 98980 are billed in the same month" in result.stdout
