"""Edge inputs of ``unitcalc audit --engine spark`` (issue 22, item 13): each gives the
local engine's answer, or one line starting ``Error:`` and exit 2, never a traceback or
a JVM stack; what Spark reads differently (a carriage return alone in a CSV line) is
named in the run's manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import Result

from tests.conftest import run

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

HEADER = "patient_id,date_of_service,code,minutes,billed_units\n"
SPARK = ("--engine", "spark", "--master", "local[2]")


def one_error_line(result: Result) -> str:
    """The run's only line on standard error, which must be an ``Error:`` line."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    assert "at org.apache" not in result.output
    return lines[0]


def both(path: Path, *args: str) -> dict[str, Result]:
    return {
        "local": run("audit", str(path), *args),
        "spark": run("audit", str(path), *args, *SPARK),
    }


def without_manifest(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    data["summary"].pop("manifest")  # it names the engine given
    return data


def test_an_empty_csv_file_is_refused_as_locally(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    results = both(path)
    message = one_error_line(results["spark"])
    assert message == one_error_line(results["local"])
    assert message == f"Error: {path}: the file is empty (no header row)"


def test_a_folder_of_empty_csv_files_is_refused(spark: SparkSession, tmp_path: Path) -> None:
    folder = tmp_path / "lake"
    folder.mkdir()
    (folder / "a.csv").write_bytes(b"")
    result = run("audit", str(folder), *SPARK)
    assert one_error_line(result) == (
        f"Error: {folder}: the folder's files are empty (no header row)"
    )


@pytest.mark.parametrize("input_format", ["csv", "parquet"])
def test_an_empty_folder_with_its_format_given_says_so(
    spark: SparkSession, tmp_path: Path, input_format: str
) -> None:
    folder = tmp_path / "lake"
    folder.mkdir()
    (folder / "_SUCCESS").write_bytes(b"")  # not a data file
    result = run("audit", str(folder), "--input-format", input_format, *SPARK)
    assert one_error_line(result) == f"Error: {folder}: the folder holds no data file"


def test_a_header_only_csv_file_counts_nothing_as_locally(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "header.csv"
    path.write_text(HEADER, encoding="utf-8")
    results = both(path, "--format", "json")
    assert results["spark"].exit_code == results["local"].exit_code == 0
    assert without_manifest(results["spark"]) == without_manifest(results["local"])
    assert without_manifest(results["local"])["summary"]["rows_read"] == 0


def visits(extra: pa.Array) -> pa.Table:
    return pa.table(
        {
            "patient_id": ["P1", "P2"],
            "date_of_service": ["2026-01-05", "2026-01-05"],
            "code": ["97110", "97110"],
            "minutes": ["33", "20"],
            "billed_units": ["3", "2"],
            "provider": extra,
        }
    )


@pytest.mark.parametrize(
    "extra",
    [
        pa.array([["a", "b"], None], type=pa.list_(pa.string())),
        pa.array([{"city": "X", "zip": 1}, None]),
        pa.array([[("a", 1)], None], type=pa.map_(pa.string(), pa.int64())),
    ],
    ids=["list", "struct", "map"],
)
def test_nested_parquet_columns_are_carried_as_json_text_as_locally(
    spark: SparkSession, tmp_path: Path, extra: pa.Array
) -> None:
    path = tmp_path / "nested.parquet"
    pq.write_table(visits(extra), path)
    results = both(path, "--all", "--format", "csv")
    assert results["spark"].exit_code == results["local"].exit_code == 1
    assert results["spark"].stdout == results["local"].stdout
    assert results["local"].stdout.count('"') > 2  # the JSON text, quoted


@pytest.mark.parametrize("binary", [pa.binary(), pa.large_binary()])
def test_a_binary_parquet_column_is_refused_by_name_as_locally(
    spark: SparkSession, tmp_path: Path, binary: pa.DataType
) -> None:
    path = tmp_path / "blob.parquet"
    pq.write_table(visits(pa.array([b"\x00\x01", None], type=binary)), path)
    results = both(path)
    message = one_error_line(results["spark"])
    assert message == one_error_line(results["local"])
    assert "column 'provider' holds binary data" in message


def test_a_binary_column_of_a_dataframe_is_refused_by_name(spark: SparkSession) -> None:
    from unitcalc.core.errors import FileProblem
    from unitcalc.spark import audit

    frame = spark.createDataFrame(
        [("P1", "2026-03-02", "97110", "33", "3", bytearray(b"\x00"))],
        "patient_id string, date_of_service string, code string, minutes string, "
        "billed_units string, scan binary",
    )
    with pytest.raises(FileProblem, match="the DataFrame: column 'scan' holds binary data"):
        audit(frame)


def test_broken_csv_lines_are_invalid_rows_with_the_local_reason(
    spark: SparkSession, tmp_path: Path
) -> None:
    """A row with a field too many, and a quote left open on the last line (one field:
    the rest of the line inside the quote)."""
    path = tmp_path / "v.csv"
    path.write_text(
        HEADER + "P1,2026-01-05,97110,33,3\n"
        "P4,2026-01-05,97110,33,3,9\n"
        "P5,2026-01-06,97110,33,3\n"
        '"P9,2026-01-05,97110\n',
        encoding="utf-8",
    )
    results = both(path, "--format", "json", "--all")
    assert results["spark"].exit_code == results["local"].exit_code == 1
    local, on_spark = without_manifest(results["local"]), without_manifest(results["spark"])
    assert on_spark == local
    errors = {tuple(f["lines"]): f["errors"] for f in local["findings"] if f["errors"]}
    assert errors == {
        (3,): ["line 3: wrong number of fields: expected 5 as in the header, found 6; "
               "check for an unquoted delimiter"],
        (5,): ["line 5: wrong number of fields: expected 5 as in the header, found 1; "
               "check for an unquoted delimiter"],
    }  # fmt: skip


def test_a_semicolon_file_s_broken_line_counts_its_fields_by_its_delimiter(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER.replace(",", ";") + "P1;2026-01-05;97110;33;3;x\n", encoding="utf-8")
    results = both(path, "--format", "json")
    assert without_manifest(results["spark"]) == without_manifest(results["local"])
    assert "found 6" in results["spark"].stdout


def test_a_short_row_is_read_differently_and_the_manifest_says_so(
    spark: SparkSession, tmp_path: Path
) -> None:
    """Locally a short row is reported (never filled with invented empty values); Spark
    reads its missing fields as empty, and its manifest names the difference."""
    path = tmp_path / "v.csv"
    path.write_text(HEADER + "P1,2026-01-05,97110,33\n", encoding="utf-8")
    results = both(path, "--format", "json")
    local = json.loads(results["local"].stdout)
    on_spark = json.loads(results["spark"].stdout)
    assert local["findings"][0]["errors"] == [
        "line 2: wrong number of fields: expected 5 as in the header, found 4; check for "
        "an unquoted delimiter"
    ]
    assert on_spark["findings"][0]["errors"] == [
        "line 2: 97110: billed_units '' is empty; write 0 if no unit was billed"
    ]
    assert (
        "a short row is read with its missing fields empty"
        in (on_spark["summary"]["manifest"]["reading"])
    )


def test_a_lone_carriage_return_is_named_in_the_manifest(
    spark: SparkSession, tmp_path: Path
) -> None:
    """Spark ends a line at a carriage return alone (the local reader keeps it in the
    line and reports the row): the difference is named in the run's manifest."""
    path = tmp_path / "v.csv"
    path.write_bytes(
        b"patient_id,date_of_service,code,minutes,billed_units,provider\n"
        b"P1,2026-01-05,97110,33,3,cr\rhere\n"
        b"P2,2026-01-05,97110,20,2,x\n"
    )
    results = both(path, "--format", "json", "--all")
    local = json.loads(results["local"].stdout)
    on_spark = json.loads(results["spark"].stdout)
    assert "reading" not in local["summary"]["manifest"]
    assert "a carriage return alone ends a line" in on_spark["summary"]["manifest"]["reading"]
    assert [f["lines"] for f in local["findings"]] == [[2], [3]]
    assert [f["lines"] for f in on_spark["findings"]] == [[2], [3], [4]]  # as named


def test_a_parquet_run_carries_no_csv_note(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "v.parquet"
    pq.write_table(visits(pa.array(["a", "b"])), path)
    result = run("audit", str(path), "--format", "json", *SPARK)
    assert "reading" not in json.loads(result.stdout)["summary"]["manifest"]


def test_billing_providers_group_as_locally(spark: SparkSession, tmp_path: Path) -> None:
    """Issue 21: a billing provider column joins the key on Spark as it does locally."""
    path = tmp_path / "claims.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units,Billing NPI\n"
        "P1,2026-01-05,97161,,1,1111111111\nP1,2026-01-05,97110,20,1,1111111111\n"
        "P1,2026-01-05,97161,,1,2222222222\nP1,2026-01-05,97110,20,1,2222222222\n"
    )
    results = both(path, "--format", "json", "--all")
    local, spark_run = (without_manifest(results[name]) for name in ("local", "spark"))
    assert local["summary"]["counts"]["ok"] == 2
    assert local["summary"]["input"]["key"] == ["patient_id", "date_of_service", "Billing NPI"]
    assert spark_run["summary"]["counts"] == local["summary"]["counts"]
    assert sorted(f["group"] for f in spark_run["findings"]) == sorted(
        f["group"] for f in local["findings"]
    )
