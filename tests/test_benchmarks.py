"""The benchmark harness's own logic (benchmarks/ is not a package): the generator's
profiles and peers.py's agreement check. No timing here."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import run

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import generate
import peers

LINES = 3000


def rows(profile: str, *, seed: int = 1, by_code: bool = False) -> list[list[object]]:
    return list(generate.table(LINES, seed, 0.05, 0.0, profile, by_code))


def spans(table: list[list[object]]) -> list[int]:
    """For each patient-day of two rows or more, how far apart its first and last rows are."""
    where: dict[tuple[object, object], list[int]] = defaultdict(list)
    for index, row in enumerate(table):
        where[row[0], row[1]].append(index)
    return [max(at) - min(at) for at in where.values() if len(at) > 1]


@pytest.mark.parametrize("profile", generate.PROFILES)
def test_each_profile_is_deterministic_by_seed(profile: str) -> None:
    assert rows(profile) == rows(profile)
    assert rows(profile) != rows(profile, seed=2)


def test_findings_scattered_holds_the_findings_rows_spread_through_the_file() -> None:
    findings, scattered = rows("findings"), rows("findings-scattered")
    assert len(scattered) == LINES
    assert sorted(map(str, scattered)) == sorted(map(str, findings))
    assert max(spans(findings)) < 5
    far = spans(scattered)
    # Uniformly placed, two rows of a day lie a third of the file apart on average.
    assert sum(far) / len(far) > LINES / 5
    assert sum(span > LINES / 20 for span in far) > 0.8 * len(far)


def test_sorted_by_code_keeps_the_rows_in_file_order_within_a_code() -> None:
    scattered = rows("findings-scattered")
    by_code = rows("findings-scattered", by_code=True)
    assert [generate.code_of(row) for row in by_code] == sorted(
        generate.code_of(row) for row in scattered
    )
    assert by_code == sorted(scattered, key=generate.code_of)


def test_unitcalc_days_reads_the_json_report(tmp_path: Path) -> None:
    data = tmp_path / "visits.csv"
    data.write_text(
        "patient_id,date_of_service,code,minutes,billed_units\n"
        "P1,2026-01-02,97110,30,2\n"
        "P2,2026-01-02,97110,30,3\n"
        "P3,2026-01-03,97110,30,1\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.json"
    result = run("audit", str(data), "--format", "json", "--output", str(report))
    assert result.exit_code == 1, result.output
    assert peers.unitcalc_days(report) == {
        ("P2", "2026-01-02", "over"),
        ("P3", "2026-01-03", "under"),
    }


def test_agreement_is_the_set_of_days_not_ok(tmp_path: Path) -> None:
    output = tmp_path / "peer.csv"
    output.write_text(
        "patient_id,date_of_service,status\nP3,2026-01-03,under\nP2,2026-01-02,over\n",
        encoding="utf-8",
    )
    ours = {("P2", "2026-01-02", "over"), ("P3", "2026-01-03", "under")}
    theirs = peers.peer_days(output)
    assert theirs == ours
    assert peers.difference(ours, theirs, "duckdb") is None
    problem = peers.difference(ours, {("P2", "2026-01-02", "misallocated")}, "polars")
    assert problem is not None
    assert "1 days only in polars" in problem
    assert "2 only in unitcalc" in problem
    assert peers.status_counts(ours) == {"over": 1, "under": 1}
