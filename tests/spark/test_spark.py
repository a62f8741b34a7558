"""The audit and batch count on Spark give what the local engine gives for the same file:
the same findings (order aside), the same summary, the same line numbers. The files are
generated with bad rows, groups scattered through the file, mixed date formats and
several payers."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest

from tests.conftest import run
from unitcalc.engine.payers import load_profiles
from unitcalc.files import Options, run_groups
from unitcalc.files.write_audit import AuditWriter
from unitcalc.files.write_batch import BatchWriter

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

PAYERS = Path(__file__).resolve().parents[2] / "docs" / "payers.toml"
HEADER = [
    "patient_id", "date_of_service", "code", "minutes", "discipline", "billed_units",
    "provider", "payer",
]  # fmt: skip
CODES = ["97110", "97112", "97140", "97530", "97116", "97161", "97010", "97129", "97130"]


def visit_rows(seed: int, patients: int = 40) -> list[list[str]]:
    """Patient-days of 1 to 4 lines, then the odd rows a real export has: unreadable
    values, unknown and deleted codes, an unknown payer, a blank patient, a day of more
    minutes than a day holds, a row entered twice, rows of one day far apart, and one
    day written in both date formats."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    for patient in range(patients):
        for day in rng.sample(range(1, 20), rng.randint(1, 3)):
            iso = f"2026-03-{day:02d}"
            payer = rng.choice(["", "medicare", "anthem-example", "cigna-example"])
            provider = rng.choice(["prov1", "prov2", " prov3", ""])
            for _ in range(rng.randint(1, 4)):
                minutes = rng.randint(0, 60)
                billed = max(0, (minutes + 7) // 15 + rng.choice([0, 0, 0, 1, -1]))
                date = iso if rng.random() < 0.8 else f"03/{day:02d}/2026"
                rows.append(
                    [
                        f"P{patient:03d}",
                        date,
                        rng.choice(CODES),
                        str(minutes),
                        rng.choice(["PT", "OT", "", "GP"]),
                        str(billed),
                        provider,
                        payer,
                    ]
                )
    odd = [
        ["P900", "2026-03-02", "97110", "abc", "PT", "2", "prov1", ""],
        ["P900", "2026-03-02", "99999", "20", "PT", "1", "prov1", ""],
        ["P901", "2026-03-02", "97001", "30", "PT", "1", "prov2", ""],
        ["P902", "2026-03-02", "97110", "30", "PT", "2", "prov2", "acme"],
        ["", "2026-03-02", "97110", "30", "PT", "2", "prov2", ""],
        ["P903", "2026-13-40", "97110", "30", "PT", "2", "prov1", ""],
        ["P904", "2026-03-05", "97110", "900", "PT", "60", "prov1", ""],
        ["P904", "2026-03-05", "97140", "900", "PT", "60", "prov1", ""],
        ["P905", "2026-03-05", "97110", "33", "PT", "3", "prov2", "medicare"],
        ["P905", "2026-03-05", "97110", "33", "PT", "3", "prov2", "medicare"],
        ["P906", "2026-03-06", "97110", "20", "PT", "1", "prov1", "medicare"],
        ["P906", "2026-03-06", "97112", "20", "PT", "x", "prov1", "anthem-example"],
    ]
    rows[5:5] = odd
    # Some lines of early days moved to the end: their days are scattered.
    moved = [rows.pop(index) for index in (40, 30, 20, 3)]
    return rows + moved


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_parquet(path: Path, rows: list[list[str]]) -> Path:
    """The rows as Parquet, billed units as whole numbers (null where the text is not
    one), in row groups of 25 rows, so that Spark reads the file in several pieces."""
    frame = pl.DataFrame(rows, schema=HEADER, orient="row").with_columns(
        pl.col("billed_units").cast(pl.Int64, strict=False)
    )
    frame.write_parquet(path, row_group_size=25)
    return path


def local_audit(path: Path, *, show_all: bool) -> tuple[pl.DataFrame, dict[str, Any]]:
    options = Options(
        need_billed=True,
        only_findings=not show_all,
        profiles=load_profiles(PAYERS),
        profiles_path=str(PAYERS),
    )
    writer = AuditWriter("parquet", show_all=show_all)
    summary = run_groups(path, options, writer.consume)
    assert summary.layout is not None
    return writer.frame(summary.layout), summary.to_dict()


def in_order(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns)


def collected(frame: DataFrame) -> pl.DataFrame:
    return pl.DataFrame(pl.from_arrow(frame.toArrow()))


def without_input(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary but how the file was read (the API is given a DataFrame, not a file)."""
    return {name: value for name, value in summary.items() if name != "input"}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("visits")
    rows = visit_rows(seed=13)
    return {
        "csv": write_csv(folder / "visits.csv", rows),
        "parquet": write_parquet(folder / "visits.parquet", rows),
    }


@pytest.mark.parametrize("show_all", [False, True], ids=["findings", "all-groups"])
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_audit_equals_the_local_engine(
    spark: SparkSession, files: dict[str, Path], kind: str, show_all: bool
) -> None:
    from unitcalc.spark import audit, read

    expected, summary = local_audit(files[kind], show_all=show_all)
    result = audit(read(spark, files[kind]), payers=PAYERS, show_all=show_all, partitions=3)
    found = collected(result.findings)
    assert found.schema == expected.schema
    assert in_order(found).equals(in_order(expected))
    assert without_input(result.summary().to_dict()) == without_input(summary)
    # The file is what the test says it is: every kind of row the issue names.
    assert summary["order"] == "scattered"
    assert summary["invalid_rows"] >= 6
    assert summary["date_formats"] == ["iso", "us"]
    assert {"over", "under", "invalid", "misallocated"} <= set(summary["counts"])
    assert set(expected.get_column("payer")) >= {"medicare", "anthem-example", "cigna-example"}


@pytest.mark.parametrize("per_row", [False, True], ids=["claim-lines", "per-row"])
def test_batch_equals_the_local_engine(
    spark: SparkSession, files: dict[str, Path], per_row: bool
) -> None:
    from unitcalc.spark import batch, read

    options = Options(profiles=load_profiles(PAYERS), profiles_path=str(PAYERS))
    writer = BatchWriter("parquet", per_row=per_row)
    summary = run_groups(files["csv"], options, writer.consume)
    assert summary.layout is not None
    expected = writer.frame(summary.layout)
    result = batch(read(spark, files["csv"]), payers=PAYERS, per_row=per_row, partitions=3)
    found = collected(result.rows)
    assert found.schema == expected.schema
    assert in_order(found).equals(in_order(expected))
    assert without_input(result.summary().to_dict()) == without_input(summary.to_dict())


def test_lines_of_a_file_read_in_many_pieces_are_the_files_lines(
    spark: SparkSession, tmp_path: Path
) -> None:
    from unitcalc.spark import LINE_COLUMN, read

    rows = visit_rows(seed=5, patients=200)
    path = write_csv(tmp_path / "big.csv", rows)
    frame = read(spark, path)
    assert frame.rdd.getNumPartitions() > 3  # 8 KiB splits (conftest)
    numbered = {(row[LINE_COLUMN], tuple(row[name] for name in HEADER)) for row in frame.collect()}
    assert numbered == {(line, tuple(row)) for line, row in enumerate(rows, start=2)}


def test_a_folder_numbers_its_files_in_path_order(spark: SparkSession, tmp_path: Path) -> None:
    from unitcalc.spark import LINE_COLUMN, read

    rows = visit_rows(seed=7, patients=10)
    folder = tmp_path / "lake"
    folder.mkdir()
    write_parquet(folder / "part-2.parquet", rows[20:])
    write_parquet(folder / "part-1.parquet", rows[:20])
    frame = read(spark, folder).orderBy(LINE_COLUMN)
    assert [row["patient_id"] for row in frame.collect()] == [row[0] for row in rows]
    assert [row[LINE_COLUMN] for row in frame.collect()] == list(range(1, len(rows) + 1))


def test_a_dataframe_without_line_numbers_is_numbered_in_its_order(spark: SparkSession) -> None:
    from unitcalc.spark import audit

    rows = [
        ("P1", "2026-03-02", "97110", "33", "PT", "3"),
        ("P1", "2026-03-02", "97140", "7", "PT", "0"),
        ("P2", "2026-03-02", "97110", "20", "PT", "1"),
    ]
    frame = spark.createDataFrame(
        rows,
        "patient_id string, date_of_service string, code string, minutes string, "
        "discipline string, billed_units string",
    ).coalesce(1)
    result = audit(frame, show_all=True)
    found = {row["group"]: (row["status"], row["lines"]) for row in result.findings.collect()}
    assert found == {"P1 / 2026-03-02": ("misallocated", "1 2"), "P2 / 2026-03-02": ("ok", "3")}
    assert result.summary().rows_read == 3
    items = dict(result.summary_frame().collect())
    assert items["rows read"] == "3"
    assert items["groups misallocated"] == "1"
    result.unpersist()
    assert not result.parts.is_cached


def test_an_unknown_payer_is_refused_before_any_work(spark: SparkSession) -> None:
    from unitcalc.core.errors import PayerProfileError
    from unitcalc.spark import audit

    frame = spark.createDataFrame([("P1", "2026-03-02", "97110", "33", "3")]).toDF(
        "patient_id", "date_of_service", "code", "minutes", "billed_units"
    )
    with pytest.raises(PayerProfileError, match="acme"):
        audit(frame, payer="acme", payers=PAYERS)


def test_a_frame_without_a_code_column_names_it(spark: SparkSession) -> None:
    from unitcalc.core.errors import FileProblem
    from unitcalc.spark import audit

    frame = spark.createDataFrame([("P1", "2026-03-02", "33", "3")]).toDF(
        "patient_id", "date_of_service", "minutes", "billed_units"
    )
    with pytest.raises(FileProblem, match="code"):
        audit(frame)


# --- the command line --------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["csv", "table", "json"])
def test_cli_spark_writes_what_the_local_engine_writes(
    spark: SparkSession,
    files: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    output_format: str,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    outputs = {}
    for engine in ("local", "spark"):
        output = tmp_path / f"{engine}.out"
        result = run(
            "audit", str(files["csv"]), "--payers", str(PAYERS), "--format", output_format,
            "--output", str(output), "--engine", engine, "--master", "local[2]",
        )  # fmt: skip
        assert result.exit_code == 1, result.output  # some groups are not ok
        outputs[engine] = output.read_text(encoding="utf-8")
    if output_format == "json":
        local, spark_run = (json.loads(outputs[engine]) for engine in ("local", "spark"))
        for data in (local, spark_run):
            data["summary"].pop("manifest")  # it names the engine given
        assert spark_run == local
    else:
        assert outputs["spark"] == outputs["local"]


def test_cli_spark_writes_a_parquet_folder(
    spark: SparkSession, files: dict[str, Path], tmp_path: Path
) -> None:
    local = tmp_path / "local.parquet"
    folder = tmp_path / "findings"
    common = ["--payers", str(PAYERS), "--format", "parquet"]
    assert run("audit", str(files["parquet"]), *common, "--output", str(local)).exit_code == 1
    result = run(
        "audit", str(files["parquet"]), *common, "--output", str(folder), "--engine", "spark"
    )
    assert result.exit_code == 1, result.output
    found = pl.read_parquet(folder / "*.parquet")
    assert in_order(found).equals(in_order(pl.read_parquet(local)))
    summary = json.loads((folder / "_unitcalc_summary.json").read_text(encoding="utf-8"))
    _, expected = local_audit(files["parquet"], show_all=False)
    assert summary["counts"] == {
        status: expected["counts"].get(status, 0)
        for status in ("ok", "over", "under", "misallocated", "invalid")
    }
    assert summary["rows_read"] == expected["rows_read"]
    assert summary["manifest"]["options"]["engine"] == "spark"


def test_cli_spark_detects_the_delimiter_as_the_local_engine(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Patient ID;DOS;CPT;Minutes;Units\nP1;2026-03-02;97110;33;3\nP1;2026-03-02;97140;7;0\n",
        encoding="utf-8",
    )
    local = run("audit", str(path))
    spark_run = run("audit", str(path), "--engine", "spark", "--master", "local[2]")
    assert spark_run.exit_code == local.exit_code == 1
    assert spark_run.output == local.output
    assert "delimiter semicolon (detected)" in spark_run.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-"], "not standard input"),
        (["{csv}", "--strict"], "--strict stops at the first unusable row"),
        (["{csv}", "--encoding", "cp1252"], "reads UTF-8 only"),
        (["{csv}", "--format", "parquet"], "give --output FOLDER"),
        (["{csv}", "--format", "parquet", "--output", "{csv}"], "already exists"),
        (["{csv}", "--input-format", "jsonl"], "reads Parquet and CSV"),
        (["{csv}", "--fees", "{fees}"], "pricing (--fees, or a payer profile's fees) runs on"),
    ],
    ids=["stdin", "strict", "encoding", "parquet-without-output", "output-exists", "jsonl", "fees"],
)
def test_cli_spark_refuses_what_it_cannot_do(
    spark: SparkSession, files: dict[str, Path], args: list[str], message: str
) -> None:
    fees = files["csv"].parent / "fees.csv"
    fees.write_text("code,amount\n97110,30.00\n", encoding="utf-8")
    given = [arg.format(csv=files["csv"], fees=fees) for arg in args]
    result = run("audit", *given, "--engine", "spark", "--master", "local[2]")
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_spark_names_what_to_install(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util
    import shutil

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a)
    )
    result = run("audit", str(files["csv"]), "--engine", "spark")
    assert result.exit_code == 2
    assert "needs pyspark: pip install 'unitcalc[spark]'" in result.output
    monkeypatch.setattr(importlib.util, "find_spec", real)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    result = run("audit", str(files["csv"]), "--engine", "spark")
    assert result.exit_code == 2
    assert "needs Java 17 or newer" in result.output
    assert "apt-get install openjdk-17-jre-headless" in result.output


def test_the_local_audit_loads_no_spark(files: dict[str, Path]) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from unitcalc.cli import main\n"
        f"try:\n    main(['audit', {str(files['csv'])!r}, '--summary-only'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pyspark', 'pyarrow', 'py4j'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_a_partition_returns_its_findings_then_its_summary(files: dict[str, Path]) -> None:
    """What each executor runs, called here (coverage does not follow Spark's workers)."""
    import pyarrow as pa

    from unitcalc.files.findings_table import audit_columns
    from unitcalc.files.layout import Layout
    from unitcalc.files.read import LINE
    from unitcalc.spark.partitions import Plan as _Plan
    from unitcalc.spark.partitions import count_part as _count_part

    options = Options(need_billed=True, only_findings=True)
    frame = pl.read_csv(files["csv"], infer_schema=False).with_row_index(LINE, offset=2)
    frame = frame.drop("payer")
    layout = Layout.of(tuple(frame.columns[1:]), options, display="t", open_ended=False)
    plan = _Plan(
        layout,
        options,
        "audit",
        tuple(audit_columns(layout.key_roles)),
        ("difference",),
        detail=True,
    )
    batches = (
        frame.with_columns(pl.col(LINE).cast(pl.Int64)).to_arrow().to_batches(max_chunksize=50)
    )
    out = pa.Table.from_batches(list(_count_part(plan, iter(batches))))
    rows = out.to_pylist()
    assert all(row["__summary"] is None for row in rows[:-1])
    summary = json.loads(rows[-1]["__summary"])
    assert summary["rows_read"] == frame.height
    assert len(rows) - 1 == summary["groups"] - summary["counts"]["ok"] + sum(
        1 for row in rows[:-1] if row["status"] == "ok"
    )
    detail = json.loads(rows[0]["__finding"])
    assert detail["finding"]["group"] == rows[0]["group"]
    empty = list(_count_part(plan, iter([])))
    assert len(empty) == 1
    assert json.loads(empty[0].to_pylist()[0]["__summary"])["rows_read"] == 0


def test_groups_need_an_audit_with_detail(spark: SparkSession) -> None:
    from unitcalc.spark import audit

    frame = spark.createDataFrame([("P1", "2026-03-02", "97110", "33", "3")]).toDF(
        "patient_id", "date_of_service", "code", "minutes", "billed_units"
    )
    with pytest.raises(ValueError, match="detail=True"):
        next(audit(frame).groups())


def test_cli_spark_refuses_a_file_that_is_not_utf8(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        "patient_id,date_of_service,code,minutes,billed_units,provider\n"
        "P1,2026-03-02,97110,33,2,Jos\xe9\n".encode("cp1252")
    )
    result = run("audit", str(path), "--engine", "spark", "--master", "local[2]")
    assert result.exit_code == 2
    assert "reads UTF-8 CSV files; this one is cp1252" in result.output


def test_an_empty_folder_says_so(spark: SparkSession, tmp_path: Path) -> None:
    (tmp_path / "lake").mkdir()
    result = run("audit", str(tmp_path / "lake"), "--engine", "spark", "--master", "local[2]")
    assert result.exit_code == 2
    assert "the folder holds no data file" in result.output


def test_spark_that_cannot_start_is_said_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyspark.errors import PySparkRuntimeError
    from pyspark.sql import SparkSession

    from unitcalc.spark import SparkUnavailable, session

    def no_gateway(self: object) -> None:
        raise PySparkRuntimeError(errorClass="JAVA_GATEWAY_EXITED", messageParameters={})

    monkeypatch.setattr(SparkSession.Builder, "getOrCreate", no_gateway)
    with pytest.raises(SparkUnavailable, match=r"Spark could not start on local\[1\]: .*Java 17"):
        session("local[1]")


def test_cli_spark_a_path_spark_cannot_read_is_one_line(
    spark: SparkSession, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.parquet"
    result = run("audit", str(missing), "--engine", "spark", "--master", "local[2]")
    assert result.exit_code == 2
    assert f"Spark could not finish the audit of {missing}:" in result.output
    assert "PATH_NOT_FOUND" in result.output
    assert "Traceback" not in result.output


def test_cli_spark_audits_a_parquet_folder_as_its_files_one_after_the_other(
    spark: SparkSession, tmp_path: Path
) -> None:
    rows = visit_rows(seed=21, patients=30)
    folder = tmp_path / "lake"
    folder.mkdir()
    write_parquet(folder / "part-1.parquet", rows[:70])
    write_parquet(folder / "part-2.parquet", rows[70:])
    whole = write_parquet(tmp_path / "whole.parquet", rows)
    common = ["--payers", str(PAYERS), "--format", "csv", "--all"]
    local = run("audit", str(whole), *common)
    spark_run = run("audit", str(folder), *common, "--engine", "spark", "--master", "local[2]")
    assert spark_run.exit_code == local.exit_code == 1
    assert spark_run.output == local.output
    assert len(spark_run.output.splitlines()) > 50


def test_cli_spark_reads_headers_as_the_local_engine(spark: SparkSession, tmp_path: Path) -> None:
    """Names with spaces around them, a blank name (the local reader calls it "column 6"),
    an empty value, a quoted value with the delimiter in it."""
    path = tmp_path / "export.csv"
    path.write_text(
        " patient_id ,date_of_service,code,minutes,billed_units,,provider\n"
        'P1,2026-03-02,97110,33,2,,"Smith, J"\n'
        "P1,2026-03-02,97140,7,1,x,\n",
        encoding="utf-8",
    )
    local = run("audit", str(path), "--all", "--format", "json")
    spark_run = run(
        "audit", str(path), "--all", "--format", "json", "--engine", "spark", "--master", "local[2]"
    )
    assert spark_run.exit_code == local.exit_code
    local_data, spark_data = json.loads(local.output), json.loads(spark_run.output)
    for data in (local_data, spark_data):
        data["summary"].pop("manifest")
    assert spark_data == local_data
    assert local_data["findings"][0]["provider"] == "Smith, J"


def test_cli_spark_leaves_out_rows_of_empty_cells_as_the_local_engine(
    spark: SparkSession, tmp_path: Path
) -> None:
    # A row of empty cells is no record: left out, counted in blank_lines, and the lines
    # after it keep their numbers, on Spark as here.
    path = tmp_path / "v.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units\n"
        "P1,2026-01-05,97110,33,3\n"
        ",,,,\n"
        " , ,,,\n"
        "\t,\x1c,\x1f,,\n"  # white space as str.strip() strips it (Spark's trim does not)
        "P2,2026-01-05,97110,20,2\n",
        encoding="utf-8",
    )
    summaries = {}
    for engine in ("local", "spark"):
        result = run("audit", str(path), "--format", "json", "--engine", engine,
                     "--master", "local[2]")  # fmt: skip
        assert result.exit_code == 1, result.output
        data = json.loads(result.stdout)
        data["summary"].pop("manifest")
        summaries[engine] = data
    assert summaries["spark"] == summaries["local"]
    assert summaries["local"]["summary"]["blank_lines"] == 3
    assert [f["lines"] for f in summaries["local"]["findings"]] == [[2], [6]]


def test_cli_spark_keeps_a_patient_written_with_separators_in_one_partition(
    spark: SparkSession, tmp_path: Path
) -> None:
    # A patient written once with U+001C before it is the same patient (str.strip()):
    # its day is one group locally, so Spark must hash both rows into one partition.
    rows = "".join(
        f"P{n},2026-01-05,97110,10,1\n\x1cP{n},2026-01-05,97140,10,1\n" for n in range(20)
    )
    path = tmp_path / "v.csv"
    path.write_text("patient_id,date_of_service,code,minutes,billed_units\n" + rows)
    summaries = {}
    for engine in ("local", "spark"):
        result = run("audit", str(path), "--format", "json", "--engine", engine,
                     "--master", "local[2]")  # fmt: skip
        data = json.loads(result.stdout)
        data["summary"].pop("manifest")
        summaries[engine] = data
    assert summaries["spark"] == summaries["local"]
    assert summaries["local"]["summary"]["groups"] == 20


PTP_SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "ptp_sample.txt"
PTP_VISITS = (
    "patient_id,date_of_service,code,minutes,discipline,billed_units,modifiers,provider\n"
    "P1,2026-03-02,97530,30,PT,2,GP,dr a\n"
    "P1,2026-03-02,97150,20,PT,1,GP,dr a\n"
    "P2,2026-03-02,97530,30,PT,2,GP;XU,dr a\n"
    "P2,2026-03-02,97150,20,PT,1,GP,dr a\n"
    "P3,2026-03-02,97110,30,PT,2,GP,dr b\n"
    "P3,2026-03-02,97530,15,PT,1,GP;59,dr b\n"
)


def test_ptp_pairs_on_spark_are_the_local_engines(spark: SparkSession, tmp_path: Path) -> None:
    from unitcalc.core.ptp import PtpTable
    from unitcalc.spark import audit, read

    path = tmp_path / "visits.csv"
    path.write_text(PTP_VISITS, encoding="utf-8")
    table = PtpTable.load(PTP_SAMPLE)
    options = Options.of(need_billed=True, only_findings=True, ptp=table, ptp_modifier_on="column2")
    writer = AuditWriter("parquet", show_all=False)
    summary = run_groups(path, options, writer.consume)
    assert summary.layout is not None
    expected = writer.frame(summary.layout)
    result = audit(read(spark, path), ptp=PTP_SAMPLE, ptp_modifier_on="column2", partitions=2)
    found = collected(result.findings)
    assert in_order(found).equals(in_order(expected))
    edits = dict(zip(found.get_column("group"), found.get_column("edits"), strict=True))
    assert sorted(edits) == ["P1 / 2026-03-02", "P2 / 2026-03-02", "P3 / 2026-03-02"]
    assert edits["P3 / 2026-03-02"].endswith("(indicator 0; modifier used: 59 on 97530)")


def test_discipline_modifiers_on_spark_are_the_local_engines(
    spark: SparkSession, tmp_path: Path
) -> None:
    from unitcalc.spark import audit, read

    path = tmp_path / "visits.csv"
    path.write_text((PAYERS.parent / "examples" / "modifier_visits.csv").read_text(), "utf-8")
    options = Options.of(need_billed=True, only_findings=True)
    writer = AuditWriter("parquet", show_all=False)
    summary = run_groups(path, options, writer.consume)
    assert summary.layout is not None
    expected = writer.frame(summary.layout)
    found = collected(audit(read(spark, path), partitions=2).findings)
    assert in_order(found).equals(in_order(expected))
    edits = dict(zip(found.get_column("group"), found.get_column("edits"), strict=True))
    assert sorted(edits) == [f"M{n} / 2026-03-02" for n in (2, 3, 4, 5)]
    assert edits["M3 / 2026-03-02"].startswith("Therapy modifier: 97165-OT billed with GP")
