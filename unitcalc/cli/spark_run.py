"""``audit --engine spark``: the audit of a file or a folder counted on Apache Spark
(:mod:`unitcalc.spark`), written through the same writers, manifest and report as a run
on this machine. What Spark cannot do (standard input, ``--strict``, an encoding other
than UTF-8, pricing) is refused before Spark starts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..files.episode_texts import episode_table_rows
from .file_run import _check_extras, _extras, _manifest
from .shared import InputError

if TYPE_CHECKING:
    from ..files import Options, Summary
    from ..files.write_audit import AuditWriter


def _run_spark(
    file: str,
    options: Options,
    writer: AuditWriter,
    output: Path | None,
    *,
    master: str,
    bom: bool,
    report: Path | None,
    settings: dict[str, Any],
    manifest_path: Path | None,
    priced: bool,
) -> Summary:
    """``audit --engine spark``: the same outputs as the local engine, the findings
    counted on Spark (:mod:`unitcalc.spark`); ``--format parquet`` writes a folder.
    ``priced``: the audit prices its findings, which only the local engine does."""
    from ..core.errors import OutputProblem
    from ..engine.audit import STATUSES
    from ..files.output import atomic_output, check_output

    _refuse_what_spark_cannot_do(file, options, priced=priced)
    given = Path(file) if Path(file).is_file() else None
    folder = None
    if writer.format == "parquet":
        if output is None:
            raise click.UsageError(
                "--engine spark --format parquet writes a folder of Parquet files: give "
                "--output FOLDER"
            )
        if output.exists():
            raise OutputProblem(
                f"--output {output} already exists: give a new folder for the findings' files"
            )
        folder, output = output, None
    else:
        output = check_output(output, input_path=given)
    _check_extras(output or folder, given, stdin=False, report=report, manifest_path=manifest_path)
    from ..spark import audit_path, available, session
    from ..spark.lines import CSV_READING

    available()
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession

    running = SparkSession.getActiveSession()
    spark = session(master, app="unitcalc audit")
    try:
        result, summary = audit_path(
            spark, file, options, show_all=writer.show_all, detail=folder is None
        )
        summary.manifest = _manifest(Path(file), file, summary, options, settings)
        if summary.delimiter is not None:  # read as CSV: how Spark's reading differs
            summary.manifest["reading"] = CSV_READING
        if folder is not None:
            result.findings.write.parquet(str(folder))
            _append_episodes(spark, result.findings.schema, summary, folder)
            summary.counts = {status: summary.counts.get(status, 0) for status in STATUSES}
            with atomic_output(folder / "_unitcalc_summary.json") as out:
                json.dump(summary.to_dict(), out, indent=2)
                out.write("\n")
        else:
            for group in result.groups():
                writer.consume(group)
            with atomic_output(output, bom=bom) as out:
                writer.finish(out, summary)
        _extras(writer, summary, file, report=report, manifest_path=manifest_path)
    except (PySparkException, Py4JError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        said = str(exc).partition("FileProblem: ")[2].splitlines()
        if said:  # a value a partition could not read (docs/audit.md, "Episodes of care")
            raise InputError(f"{file}, {said[0].removeprefix(', ')}") from exc
        raise InputError(f"Spark could not finish the audit of {file}: {first}") from exc
    finally:
        writer.close()
        if running is None:
            spark.stop()
    return summary


def _append_episodes(spark: Any, schema: Any, summary: Summary, folder: Path) -> None:
    """The episode and visit time findings as rows of the findings table, one more file
    of the folder (as the local engine's Parquet adds them after the groups')."""
    from pyspark.sql.types import StringType

    assert summary.layout is not None
    rows = episode_table_rows(summary, summary.layout.key_roles, amounts=False)
    if rows:
        kinds = [isinstance(field.dataType, StringType) for field in schema.fields]
        typed = [
            tuple(
                cell if text or cell != "" else None for cell, text in zip(row, kinds, strict=True)
            )
            for row in rows
        ]
        spark.createDataFrame(typed, schema=schema).write.mode("append").parquet(str(folder))


def _refuse_what_spark_cannot_do(file: str, options: Options, *, priced: bool) -> None:
    """Usage errors, before Spark starts, for what only the local engine does: pricing,
    standard input, ``--strict`` and encodings other than UTF-8."""
    if priced:
        raise click.UsageError(
            "pricing (--fees, or a payer profile's fees) runs on the local engine only: "
            "leave out --engine spark to price the findings"
        )
    if file == "-":
        raise click.UsageError("--engine spark reads a file or a folder, not standard input")
    if options.strict:
        raise click.UsageError(
            "--strict stops at the first unusable row, which Spark cannot do: leave it out "
            "(such rows are counted invalid) or use --engine local"
        )
    if options.encoding is not None and options.encoding.lower() not in ("utf-8", "utf8"):
        raise click.UsageError(
            f"--encoding {options.encoding}: the Spark engine reads UTF-8 only; convert the "
            "file or use --engine local"
        )
