"""Parquet in and out, and the file engine kept away from `unitcalc calc`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from unitcalc.cli import main

VISITS = (
    "patient_id,date_of_service,code,minutes,discipline,billed_units\n"
    "P1,2026-01-05,97110,33,PT,3\n"
    "P1,2026-01-05,97140,7,PT,1\n"
    "P2,2026-01-05,97110,20,PT,1\n"
)


def test_a_parquet_file_with_typed_columns_is_audited_like_its_csv(tmp_path: Path) -> None:
    csv_path = tmp_path / "visits.csv"
    csv_path.write_text(VISITS, encoding="utf-8")
    parquet_path = tmp_path / "visits.parquet"
    pl.read_csv(csv_path, try_parse_dates=True).write_parquet(parquet_path)
    assert pl.read_parquet(parquet_path).schema["minutes"] == pl.Int64
    from_csv = CliRunner().invoke(main, ["audit", str(csv_path), "--format", "csv"])
    from_parquet = CliRunner().invoke(main, ["audit", str(parquet_path), "--format", "csv"])
    assert from_csv.exit_code == from_parquet.exit_code == 1
    # A Parquet row's "line" is its row number: one less than the CSV's, which has a header.
    assert from_csv.stdout.splitlines()[1].startswith("P1 / 2026-01-05,over,cms,")
    assert from_parquet.stdout.splitlines()[1].startswith("P1 / 2026-01-05,over,cms,")
    assert ",2 3," in from_csv.stdout
    assert ",1 2," in from_parquet.stdout


def test_audit_and_batch_write_parquet(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(VISITS, encoding="utf-8")
    findings = tmp_path / "findings.parquet"
    result = CliRunner().invoke(
        main, ["audit", str(path), "--format", "parquet", "--output", str(findings)]
    )
    assert result.exit_code == 1
    frame = pl.read_parquet(findings)
    assert frame.get_column("group").to_list() == ["P1 / 2026-01-05"]
    assert frame.get_column("difference").to_list() == [1]
    claims = tmp_path / "claims.parquet"
    result = CliRunner().invoke(
        main, ["batch", str(path), "--format", "parquet", "--output", str(claims)]
    )
    assert result.exit_code == 0
    lines = pl.read_parquet(claims)
    assert lines.select("code", "units").rows() == [("97110", 2), ("97140", 1), ("97110", 1)]


def test_calc_does_not_load_the_file_engine() -> None:
    code = (
        "import sys; from unitcalc.cli import main\n"
        "try:\n    main(['calc', '97110=33', '97140=7'])\nexcept SystemExit:\n    pass\n"
        "print('polars' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "False"


def test_the_summary_of_a_parquet_file_names_no_encoding() -> None:
    # Parquet is not text: the workbook's and Spark's summary rows leave the encoding out
    # rather than showing "None".
    from unitcalc.files.summary import Summary
    from unitcalc.files.texts import summary_rows

    parquet = dict(summary_rows(Summary()))
    text = dict(summary_rows(Summary(encoding="utf-8")))
    assert "encoding" not in parquet
    assert text["encoding"] == "utf-8"
