"""Issue 25, item 3 and 4: a run that writes files says what it wrote (path and size)
and its headline counts on stderr, and counts are written with thousands apart."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from unitcalc.cli import main
from unitcalc.core.text import count_of

EHR = Path(__file__).resolve().parents[2] / "docs" / "examples" / "ehr_export.csv"


def test_audit_to_files_says_each_file_and_the_counts(tmp_path: Path) -> None:
    book, report = tmp_path / "a.xlsx", tmp_path / "r.html"
    result = CliRunner().invoke(
        main,
        ["audit", str(EHR), "--format", "xlsx", "--output", str(book), "--report", str(report)],
    )
    assert result.exit_code == 1  # findings
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"Wrote {book} ({book.stat().st_size:,} bytes)."
    assert lines[1] == f"Wrote {report} ({report.stat().st_size:,} bytes)."
    assert (
        lines[2] == "Audit of 6 rows in 3 groups: 1 ok, 1 over, 1 under, 0 misallocated, 0 invalid."
    )


def test_batch_to_a_file_says_the_file_and_the_counts(tmp_path: Path) -> None:
    out = tmp_path / "b.csv"
    result = CliRunner().invoke(main, ["batch", str(EHR), "--output", str(out)])
    assert result.exit_code == 0
    assert f"Wrote {out} ({out.stat().st_size:,} bytes).\n" in result.stderr
    assert "Counted 6 rows in 3 groups; 0 rows could not be used.\n" in result.stderr


def test_output_to_standard_output_says_nothing_more() -> None:
    result = CliRunner().invoke(main, ["audit", str(EHR), "--format", "json"])
    assert "Wrote" not in result.stderr


def test_counts_have_thousands_apart() -> None:
    assert count_of(20_000, "row") == "20,000 rows"
    assert count_of(1, "row") == "1 row"
    assert count_of(999, "group") == "999 groups"


def test_the_headline_counts_the_kx_threshold_findings(tmp_path: Path) -> None:
    """Exit 1 with every group ok: the headline says the KX threshold findings why."""
    examples = EHR.parent
    out = tmp_path / "a.json"
    result = CliRunner().invoke(
        main,
        ["audit", str(examples / "kx_early.csv"), "--fees", str(examples / "fees.csv"),
         "--format", "json", "--output", str(out)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Audit of 3 rows in 2 groups: 2 ok, 0 over, 0 under, 0 misallocated, 0 invalid; "
        "3 KX threshold findings."
    )


def test_kx_first_day_is_an_option_of_the_audit(tmp_path: Path) -> None:
    """Issue 24: whose first date of service KX is looked for on is UNCONFIRMED, so the
    audit takes it as an option; without --fees it is refused (no threshold is followed)."""
    examples = EHR.parent
    priced = ["audit", str(examples / "kx_early.csv"), "--fees", str(examples / "fees.csv")]
    json_of = ["--format", "json"]

    def kinds(*options: str) -> list[str]:
        result = CliRunner().invoke(main, [*priced, *json_of, *options])
        findings = json.loads(result.stdout)["summary"]["payment"]["kx"]["findings"]
        return sorted(finding["kind"] for finding in findings)

    assert kinds() == ["kx-below", "kx-below", "kx-first-day"]
    assert kinds("--kx-first-day", "bucket") == ["kx-below", "kx-below", "kx-first-day"]
    assert kinds("--kx-first-day", "off") == ["kx-below", "kx-below"]
    refused = CliRunner().invoke(
        main, ["audit", str(examples / "kx_early.csv"), "--kx-first-day", "off"]
    )
    assert refused.exit_code == 2
    assert "--kx-first-day prices findings: give --fees FILE too" in refused.stderr
