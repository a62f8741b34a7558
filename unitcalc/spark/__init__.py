"""The file audit and batch count on Apache Spark, where claim lines too many for one
machine are kept (``pip install 'unitcalc[spark]'``, pyspark 4).

There is no second implementation of the rules here. Spark hashes the service lines by
patient (the first column of the group key, stripped) into partitions, so that each
partition holds every row of its patients and so every patient-day whole, whatever the
date format; the file engine (:func:`unitcalc.files.evaluate.run_frame`, the polars
engine of ``unitcalc audit``) counts each partition through Arrow (``mapInArrow``) and
the writers of the file commands write its rows. Each partition also returns its
summary, and the summaries add up to the file's: rows read, rows that could not be used,
groups by status, edits, providers' minutes and units, date formats, and whether some
group's rows were scattered (a group is whole in one partition, so this is decided as
the local engine decides it).

Line numbers are those the local engine gives the same file: :func:`read` numbers each
row by its place in the file (Parquet from 1, CSV from 2, the header being line 1)
before anything is repartitioned. A DataFrame from elsewhere may bring its own numbers
in a ``__line`` column (:data:`LINE_COLUMN`); otherwise its rows are numbered in the
DataFrame's order from 1. For example (docs/scale.md has more)::

    result = audit(read(spark, "claims/"), rule="cms", payers="payers.toml")
    result.findings.write.parquet("findings/")
    print(result.summary().counts)
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..core.codes import CodeTable
from ..core.errors import FileProblem, UnitcalcError
from ..core.model import Note
from ..core.mue import MueTable
from ..engine.audit import Finding
from ..engine.count import Pooling
from ..engine.payers import PayerProfile, load_profiles
from ..files.check import Layout, payer_profile
from ..files.columnar import as_text
from ..files.detect import detect_format
from ..files.evaluate import Group, group_columns, resolve, run_frame
from ..files.findings_table import audit_columns
from ..files.options import InputFormat, Options
from ..files.read import LINE
from ..files.summary import Summary
from ..files.texts import summary_rows
from ..files.write_audit import AuditWriter
from ..files.write_batch import BatchWriter
from ..rules import Rule, get_rule

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = [
    "LINE_COLUMN",
    "AuditResult",
    "BatchResult",
    "SparkUnavailable",
    "audit",
    "batch",
    "read",
    "session",
]

LINE_COLUMN = LINE
"""The column of line numbers :func:`read` adds, and :func:`audit` and :func:`batch`
use when a DataFrame has it."""
_SUMMARY = "__summary"
_DETAIL = "__finding"
_STRIP = r"(?U)^\s+|\s+$"
"""Surrounding white space, as polars' ``strip_chars`` removes it from a key."""


class SparkUnavailable(UnitcalcError, RuntimeError):
    """pyspark, pyarrow, pandas or Java is missing, or Spark cannot start: the message
    says what to install or check."""


def available() -> None:
    """Raise :class:`SparkUnavailable`, saying what to install, unless pyspark, pyarrow,
    pandas and a Java runtime are all at hand."""
    import importlib.util
    import os

    needed = ("pyspark", "pyarrow", "pandas")  # pyspark's mapInArrow needs pandas too
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise SparkUnavailable(
            f"the Spark engine needs {' and '.join(missing)}: pip install 'unitcalc[spark]'"
        )
    home = os.environ.get("JAVA_HOME", "")
    if not (home and Path(home, "bin", "java").exists()) and shutil.which("java") is None:
        raise SparkUnavailable(
            "the Spark engine needs Java 17 or newer: install a Java runtime (on Debian, "
            "apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )


def session(master: str = "local[*]", *, app: str = "unitcalc") -> SparkSession:
    """A Spark session on ``master`` (the running one, if any), with Arrow on."""
    available()
    import os
    import sys

    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # The command line's output is the report: no stage progress bar over it.
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith("local"):
        # Local workers run this Python, where unitcalc is installed, not the first
        # python3 on the PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.errors import PySparkException

    try:
        spark = builder.getOrCreate()
    except PySparkException as exc:  # no JVM came up (an old Java, a bad master URL)
        raise SparkUnavailable(
            f"Spark could not start on {master}: {str(exc).strip().splitlines()[0]} "
            "(Spark 4 needs Java 17 or newer)"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# --- reading ---------------------------------------------------------------------------


def read(
    spark: SparkSession,
    path: str | Path,
    *,
    input_format: InputFormat | None = None,
    delimiter: str = ",",
) -> DataFrame:
    """A Parquet or CSV file, or a folder of them, as a DataFrame of the file's columns
    (CSV values as text) and :data:`LINE_COLUMN`, the line number the local engine gives
    each row: its place in the file, from 1 for Parquet and from 2 for CSV (the header
    is line 1). A folder's files count on from one to the next, in the order of their
    paths. A CSV file must hold one record a line, without blank lines (Spark's reader
    skips them, so the lines after one would be numbered one short)."""
    return _read(spark, path, input_format=input_format, delimiter=delimiter)[0]


def _read(
    spark: SparkSession, path: str | Path, *, input_format: InputFormat | None, delimiter: str
) -> tuple[DataFrame, int, int]:
    """:func:`read`, how many records were read and how many CSV rows of empty cells were
    left out: such a row is no record, as the local reader has it (numbered, so that the
    lines after it keep their numbers, then left out; a blank line Spark's reader skips
    unseen)."""
    from pyspark.sql import functions as F

    input_format = input_format or _format_of(Path(str(path)))
    if input_format == "jsonl":
        raise FileProblem(
            f"{path}: the Spark engine reads Parquet and CSV; give a Parquet or CSV file "
            "(or use the local engine for JSON Lines)",
            path=str(path),
        )
    reader = spark.read
    if input_format == "csv":
        reader = reader.options(
            header="true",
            inferSchema="false",
            sep=delimiter,
            quote='"',
            escape='"',
            multiLine="false",
            encoding="UTF-8",
            emptyValue="",
        )
    frame = reader.format(input_format).load(str(path))
    if input_format == "csv":
        # Header names as the local reader takes them: stripped, a blank one (which
        # Spark names _c0, _c1 ...) numbered from 1.
        named = [
            (name.strip() if name != f"_c{index - 1}" else "") or f"column {index}"
            for index, name in enumerate(frame.columns, start=1)
        ]
        # Empty fields are empty text, as the local reader keeps them (Spark reads an
        # unquoted one as null, which only a Parquet file holds).
        frame = frame.toDF(*named).select(
            *(F.coalesce(F.col(f"`{name}`"), F.lit("")).alias(name) for name in named)
        )
    first = 2 if input_format == "csv" else 1
    empty = _all_empty(frame) if input_format == "csv" else None
    numbered, lines, blank = _number_by_file(frame, first, empty=empty)
    return numbered, lines - blank, blank


def _all_empty(frame: DataFrame) -> Column:
    """True for a row whose every cell is empty or white space."""
    from functools import reduce

    from pyspark.sql import functions as F

    cells = [F.trim(F.col(f"`{name}`")) == F.lit("") for name in frame.columns]
    return reduce(lambda left, right: left & right, cells)


def _format_of(path: Path) -> InputFormat:
    """A file's format by its name; a folder's by its first data file's."""
    if path.is_dir():
        names = sorted(
            child for child in path.rglob("*") if child.is_file() and child.name[:1] not in "._"
        )
        if not names:
            raise FileProblem(f"{path}: the folder holds no data file", path=str(path))
        path = names[0]
    return detect_format(path, None)


def _number_by_file(
    frame: DataFrame, first: int, *, empty: Column | None = None
) -> tuple[DataFrame, int, int]:
    """``frame`` (read from files) with each row's place in its files, counted from
    ``first``: files in path order, rows in file order. Each task reads whole splits
    of a file in order, so a row's place in its split is its id less the split's first
    id; the splits' sizes, few and small, are added up on the driver."""
    from pyspark.sql import functions as F

    tagged = frame.select(
        "*",
        F.col("_metadata.file_path").alias("__file"),
        F.col("_metadata.file_block_start").alias("__block"),
        F.monotonically_increasing_id().alias("__id"),
        *((empty.alias("__empty"),) if empty is not None else ()),
    )
    return _number(frame, tagged, ["__file", "__block"], first)


def _number_in_order(frame: DataFrame, first: int) -> tuple[DataFrame, int]:
    """``frame`` with its rows numbered in its order (partition by partition), from
    ``first``."""
    from pyspark.sql import functions as F

    tagged = frame.select(
        "*",
        F.spark_partition_id().alias("__part"),
        F.monotonically_increasing_id().alias("__id"),
    )
    numbered, lines, _ = _number(frame, tagged, ["__part"], first)
    return numbered, lines


def _number(
    frame: DataFrame, tagged: DataFrame, pieces: list[str], first: int
) -> tuple[DataFrame, int, int]:
    """``frame`` numbered (see :func:`_number_by_file`), its number of rows, and how
    many of them ``tagged`` marks ``__empty`` (counted in the same pass, and left out of
    the rows returned)."""
    from pyspark.sql import functions as F

    empty = (
        F.sum(F.col("__empty").cast("long"))
        if "__empty" in tagged.columns
        else F.lit(0).cast("long")
    )
    sizes = (
        tagged.groupBy(*pieces)
        .agg(
            F.min("__id").alias("__start"),
            F.count("*").alias("__rows"),
            empty.alias("__empty_rows"),
        )
        .collect()
    )
    blank = sum(int(row["__empty_rows"] or 0) for row in sizes)
    bases = []
    line = first
    for row in sorted(sizes, key=lambda row: tuple(row[name] for name in pieces)):
        bases.append((*(row[name] for name in pieces), line - row["__start"]))
        line += row["__rows"]
    schema = tagged.select(*pieces).schema.add("__base", "long")
    base_frame = frame.sparkSession.createDataFrame(bases, schema)
    joined = tagged.join(F.broadcast(base_frame), pieces)
    if "__empty" in tagged.columns:  # numbered with the others, then left out
        joined = joined.where(~F.col("__empty"))
    numbered = joined.select(
        *(F.col(f"`{name}`") for name in frame.columns),
        (F.col("__id") + F.col("__base")).alias(LINE_COLUMN),
    )
    return numbered, line - first, blank


# --- counting --------------------------------------------------------------------------


@attrs.frozen(eq=False)
class _Plan:
    """What each partition is asked: sent to the executors with the function."""

    layout: Layout
    options: Options
    kind: Literal["audit", "batch"]
    columns: tuple[str, ...]
    """The output columns, as the file command's Parquet output has them."""
    integers: tuple[str, ...]
    show_all: bool = False
    per_row: bool = False
    detail: bool = False
    """Each finding also as JSON (for the outputs that need all of it: text, JSON)."""

    @property
    def output(self) -> tuple[str, ...]:
        extra = (_DETAIL,) if self.kind == "audit" else ()
        return (*self.columns, *extra, _SUMMARY)


def _count_part(plan: _Plan, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """One partition counted by the file engine: its output rows, then its summary."""
    import polars as pl
    import pyarrow as pa

    target = pa.schema(
        [(name, pa.int64() if name in plan.integers else pa.string()) for name in plan.output]
    )
    collected = [batch for batch in batches if batch.num_rows]
    writer: AuditWriter | BatchWriter
    if plan.kind == "audit":
        writer = AuditWriter("parquet", show_all=plan.show_all)
    else:
        writer = BatchWriter("parquet", per_row=plan.per_row)
    details: list[str] = []

    def consume(group: Group) -> None:
        writer.consume(group)
        finding = group.finding
        if plan.detail and finding is not None and (plan.show_all or finding.flagged):
            details.append(
                json.dumps(
                    {
                        # Notes whole (kind, codes, text): the writers read their codes.
                        "finding": finding.to_dict()
                        | {"warnings": [note.to_dict() for note in finding.warnings]},
                        "key": list(group.key) if group.key is not None else None,
                        "providers": list(group.provider_names),
                        "payer": group.payer_name,
                    }
                )
            )

    try:
        summary = Summary(layout=plan.layout)
        if collected:
            frame = pl.DataFrame(pl.from_arrow(pa.Table.from_batches(collected)))
            raw = as_text(frame.drop(LINE)).with_columns(
                frame.get_column(LINE).cast(pl.Int64).alias(LINE)
            )
            summary = run_frame(raw, plan.layout, plan.options, consume)
        rows = writer.frame(plan.layout)
    finally:
        writer.close()
    if plan.kind == "audit":
        rows = rows.with_columns(
            pl.Series(_DETAIL, details if plan.detail else [None] * rows.height, pl.String)
        )
    rows = rows.with_columns(pl.lit(None, dtype=pl.String).alias(_SUMMARY))
    table = rows.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(target)
    yield from table.to_batches()
    yield pa.RecordBatch.from_pylist([{_SUMMARY: _summary_json(summary)}], schema=target)


def _summary_json(summary: Summary) -> str:
    return json.dumps(
        {
            "rows_read": summary.rows_read,
            "invalid_rows": summary.invalid_rows,
            "groups": summary.groups,
            "counts": summary.counts,
            "order": summary.order,
            "edits": summary.edits,
            "providers": summary.providers,
            "date_formats": list(summary.date_formats),
        }
    )


def _merged(parts: Sequence[str], layout: Layout) -> Summary:
    """The partitions' summaries added up: the whole input's."""
    total = Summary(layout=layout)
    for text in parts:
        part = json.loads(text)
        total.rows_read += part["rows_read"]
        total.invalid_rows += part["invalid_rows"]
        total.groups += part["groups"]
        total.edits += part["edits"]
        for status, count in part["counts"].items():
            total.counts[status] = total.counts.get(status, 0) + count
        if part["order"] != "contiguous":
            total.order = part["order"]
        for provider, (minutes, units) in part["providers"].items():
            entry = total.providers.setdefault(provider, [0, 0])
            entry[0] += minutes
            entry[1] += units
        total.date_formats = tuple(sorted({*total.date_formats, *part["date_formats"]}))
    return total


@attrs.define(eq=False)
class _Counted:
    """The partitions' output, kept (persisted) so that the summary and the rows are
    counted once."""

    parts: DataFrame
    plan: _Plan
    _summary: Summary | None = None

    def summary(self) -> Summary:
        """The whole input's summary (runs the job the first time)."""
        if self._summary is None:
            from pyspark.sql import functions as F

            texts = self.parts.where(F.col(_SUMMARY).isNotNull()).select(_SUMMARY).collect()
            self._summary = _merged([row[0] for row in texts], self.plan.layout)
        return self._summary

    def summary_frame(self) -> DataFrame:
        """The summary as a DataFrame of ``item`` and ``value`` (text), the rows of the
        audit workbook's summary sheet."""
        summary = self.summary()
        rows = [(item, _text(value)) for item, value in summary_rows(summary)]
        return self.parts.sparkSession.createDataFrame(rows, "item string, value string")

    def unpersist(self) -> None:
        """Free the partitions' output Spark keeps (in memory and on disk) between the
        summary and the rows, once both were read."""
        self.parts.unpersist()

    def _rows(self) -> DataFrame:
        from pyspark.sql import functions as F

        rows = self.parts.where(F.col(_SUMMARY).isNull())
        return rows.select(*(F.col(f"`{name}`") for name in self.plan.columns))


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


@attrs.define(eq=False)
class AuditResult(_Counted):
    """An audit on Spark: :attr:`findings` (a DataFrame, the columns of the file audit's
    CSV and Parquet findings), :meth:`summary` (the local :class:`~unitcalc.files.Summary`,
    added up from the partitions) and :meth:`summary_frame`."""

    @property
    def findings(self) -> DataFrame:
        """The findings written by ``unitcalc audit`` (those not ok or tripping an edit,
        every group's with ``show_all``), as its Parquet output has them."""
        return self._rows()

    def groups(self) -> Iterator[Group]:
        """The findings as groups, in file order of their first lines, brought to the
        driver one partition at a time: for the file writers (text, JSON, workbook)."""
        from pyspark.sql import functions as F

        if not self.plan.detail:
            raise ValueError("groups() needs an audit made with detail=True")
        first = F.split(F.col("lines"), " ").getItem(0).cast("long")
        rows = self.parts.where(F.col(_SUMMARY).isNull()).orderBy(first).select(_DETAIL)
        for (text,) in rows.toLocalIterator():
            data = json.loads(text)
            found = data["finding"]
            for name in ("lines", "explanation", "errors", "edits"):
                found[name] = tuple(found[name])
            found["warnings"] = tuple(Note(**note) for note in found["warnings"])
            key = tuple(data["key"]) if data["key"] is not None else None
            yield Group(
                key,
                self.plan.layout,
                (),
                None,
                (),
                finding=Finding(**found),
                providers=tuple(data["providers"]),
                payer=data["payer"],
            )


@attrs.define(eq=False)
class BatchResult(_Counted):
    """A batch count on Spark: :attr:`rows` (a DataFrame, the columns of ``unitcalc
    batch``'s Parquet output) and :meth:`summary`."""

    @property
    def rows(self) -> DataFrame:
        """A row per group and code (the claim line), or per input row with ``per_row``."""
        return self._rows()


def options_of(
    *,
    need_billed: bool,
    rule: str | Rule | None = None,
    payer: str | None = None,
    payers: Mapping[str, PayerProfile] | str | Path | None = None,
    codes: CodeTable | None = None,
    mue: MueTable | str | Path | None = None,
    pooling: Pooling | None = None,
    tie_preference: Sequence[str] | None = None,
    group_by: Sequence[str] = (),
    columns: Mapping[str, str] | None = None,
) -> Options:
    """The file engine's options from the API's arguments (paths loaded)."""
    profiles_path = "the payer profiles given"
    if isinstance(payers, str | Path):
        profiles_path = str(payers)
        payers = load_profiles(payers)
    if isinstance(mue, str | Path):
        mue = MueTable.load(mue)
    options = Options(
        rule=get_rule(rule).name if rule is not None else None,
        payer=payer,
        profiles=dict(payers or {}),
        profiles_path=profiles_path,
        mue=mue,
        codes=codes,
        pooling=pooling,
        tie_preference=tuple(tie_preference) if tie_preference is not None else None,
        group_by=group_columns(group_by),
        columns=dict(columns or {}),
        need_billed=need_billed,
    )
    if payer is not None:
        selected = payer_profile(payer, options)  # an unknown payer fails here
        options = attrs.evolve(options, payer=selected.name if selected else None)
    return options


def audit(
    frame: DataFrame,
    *,
    rule: str | Rule | None = None,
    payer: str | None = None,
    payers: Mapping[str, PayerProfile] | str | Path | None = None,
    codes: CodeTable | None = None,
    mue: MueTable | str | Path | None = None,
    pooling: Pooling | None = None,
    tie_preference: Sequence[str] | None = None,
    group_by: Sequence[str] = (),
    columns: Mapping[str, str] | None = None,
    show_all: bool = False,
    partitions: int | None = None,
) -> AuditResult:
    """Audit the service lines of ``frame`` (the columns of a visit file) as ``unitcalc
    audit`` does, with the same arguments as :func:`unitcalc.files.iter_findings`;
    ``payers`` and ``mue`` may be paths. The findings are those of ``unitcalc audit``
    (with ``show_all``, every group's), in no particular order. ``partitions``: how many
    the lines are hashed into (default: see :func:`default_partitions`)."""
    options = options_of(
        need_billed=True,
        rule=rule,
        payer=payer,
        payers=payers,
        codes=codes,
        mue=mue,
        pooling=pooling,
        tie_preference=tie_preference,
        group_by=group_by,
        columns=columns,
    )
    options = attrs.evolve(options, only_findings=not show_all)
    return audit_with(frame, options, show_all=show_all, partitions=partitions)


def audit_with(
    frame: DataFrame,
    options: Options,
    *,
    show_all: bool = False,
    detail: bool = False,
    partitions: int | None = None,
    display: str = "the DataFrame",
) -> AuditResult:
    """:func:`audit` with the file engine's :class:`~unitcalc.files.Options` (as the
    command line builds them); ``detail`` keeps each finding whole, for
    :meth:`AuditResult.groups`."""
    options = attrs.evolve(options, need_billed=True, strict=False)
    layout = _layout(frame, options, display)
    plan = _Plan(
        layout,
        options,
        "audit",
        tuple(audit_columns(layout.key_roles)),
        ("difference",),
        show_all=show_all,
        detail=detail,
    )
    return AuditResult(_counted(frame, plan, partitions), plan)


def batch(
    frame: DataFrame,
    *,
    per_row: bool = False,
    rule: str | Rule | None = None,
    payer: str | None = None,
    payers: Mapping[str, PayerProfile] | str | Path | None = None,
    codes: CodeTable | None = None,
    mue: MueTable | str | Path | None = None,
    pooling: Pooling | None = None,
    tie_preference: Sequence[str] | None = None,
    group_by: Sequence[str] = (),
    columns: Mapping[str, str] | None = None,
    partitions: int | None = None,
) -> BatchResult:
    """Units for every group of ``frame`` as ``unitcalc batch`` counts them: its rows
    (a row per group and code, or with ``per_row`` every input row) in no particular
    order, and the summary."""
    options = options_of(
        need_billed=False,
        rule=rule,
        payer=payer,
        payers=payers,
        codes=codes,
        mue=mue,
        pooling=pooling,
        tie_preference=tie_preference,
        group_by=group_by,
        columns=columns,
    )
    layout = _layout(frame, options, "the DataFrame")
    empty = BatchWriter("parquet", per_row=per_row)
    try:
        header = empty.frame(layout)
    finally:
        empty.close()
    plan = _Plan(
        layout,
        options,
        "batch",
        tuple(header.columns),
        tuple(empty.computed_names[:1]),
        per_row=per_row,
    )
    return BatchResult(_counted(frame, plan, partitions), plan)


def _layout(frame: DataFrame, options: Options, display: str) -> Layout:
    names = tuple(name for name in frame.columns if name != LINE_COLUMN)
    return Layout.of(names, options, display=display, open_ended=False)


LINES_PER_PARTITION = 500_000
"""The lines a partition is given by default: about 6 seconds of one core and 1 GB of
the Python worker's memory for the file engine (docs/scale.md has the measures)."""


def default_partitions(frame: DataFrame, lines: int | None = None) -> int:
    """How many partitions the lines are hashed into: one for each
    :data:`LINES_PER_PARTITION` lines (``lines``, else counted: one quick pass over the
    input), and at least the cluster's cores, so that all take part."""
    import math

    spark = frame.sparkSession
    if lines is None:
        lines = frame.count()
    return max(math.ceil(lines / LINES_PER_PARTITION), spark.sparkContext.defaultParallelism)


def _counted(frame: DataFrame, plan: _Plan, partitions: int | None) -> DataFrame:
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    names = [name for name in frame.columns if name != LINE_COLUMN]
    lines = None
    if LINE_COLUMN not in frame.columns:
        frame, lines = _number_in_order(frame, 1)
    count = partitions or default_partitions(frame, lines)
    frame = frame.select(*(F.col(f"`{name}`") for name in names), F.col(LINE_COLUMN).cast("long"))
    keys = plan.layout.key_columns
    if keys:
        patient = F.regexp_replace(F.col(f"`{keys[0]}`").cast("string"), _STRIP, "")
        frame = frame.repartition(count, patient)
    else:
        frame = frame.repartition(count)
    schema = StructType(
        [
            StructField(name, LongType() if name in plan.integers else StringType(), True)
            for name in plan.output
        ]
    )

    def count_part(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return iter(_count_part(plan, batches))

    return frame.mapInArrow(count_part, schema).persist()


# --- the command line ------------------------------------------------------------------


def audit_path(
    spark: SparkSession,
    path: str,
    options: Options,
    *,
    show_all: bool,
    detail: bool,
    partitions: int | None = None,
) -> tuple[AuditResult, Summary]:
    """``unitcalc audit --engine spark PATH``: the audit of a Parquet or CSV file or
    folder, and its summary with how the file was read (its encoding, delimiter and
    what was detected, as the local engine says them). A local CSV file's (or a
    folder's first file's) delimiter is detected unless given; it must be UTF-8."""
    local = Path(path)
    input_format = options.input_format or _format_of(local)
    delimiter = options.delimiter or ","
    detected: tuple[str, ...] = ()
    settled = options
    sample = local
    if local.is_dir():
        sample = min(
            child for child in local.rglob("*") if child.is_file() and child.name[:1] not in "._"
        )
    if input_format == "csv" and sample.is_file():
        given = attrs.evolve(options, input_format="csv")
        _, settled, detected, _ = resolve(sample, given, display=path)
        if settled.encoding not in ("utf-8", "utf-8-sig"):
            raise FileProblem(
                f"{path}: the Spark engine reads UTF-8 CSV files; this one is "
                f"{settled.encoding}: convert it, or use the local engine",
                path=path,
            )
        delimiter = settled.delimiter or ","
    frame, lines, blank = _read(spark, path, input_format=input_format, delimiter=delimiter)
    result = audit_with(
        frame,
        options,
        show_all=show_all,
        detail=detail,
        partitions=partitions or default_partitions(frame, lines),
        display=path,
    )
    summary = result.summary()
    summary.blank_lines = blank
    if input_format == "csv":
        summary.encoding = settled.encoding
        summary.delimiter = delimiter
        summary.detected = detected
    return result, summary
