"""Reading a Parquet or CSV file (or a folder of them) into a DataFrame, each row
numbered with the line number the local engine gives it, before anything is
repartitioned: the findings name the same lines whichever engine counted them. A row's
number is its place in its files (:func:`_number_by_file`), or in a DataFrame's order
(:func:`number_in_order`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import FileProblem
from ..core.text import STRIP_PATTERN
from ..files.detect import detect_format
from ..files.options import InputFormat
from ..files.read import ERROR, LINE, line_error

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

LINE_COLUMN = LINE
"""The column of line numbers :func:`read` adds, and :func:`unitcalc.spark.audit` and
:func:`unitcalc.spark.batch` use when a DataFrame has it."""
ERROR_COLUMN = ERROR
"""The column :func:`read` adds to a CSV file's rows: why a line cannot be used as a
record, as the local reader says it (null for the others); :func:`unitcalc.spark.audit`
and :func:`unitcalc.spark.batch` count such a row invalid with its reason."""
CSV_READING = (
    "Spark read this CSV file one record a line: a carriage return alone ends a line "
    "there (the local engine keeps it in the line and reports the row), so the lines "
    "after one are numbered one more; a short row is read with its missing fields empty "
    "(the local engine reports the row); a quoted line break or a blank line is also read "
    "differently (docs/scale.md)"
)
"""The note a Spark run's manifest carries (``reading``) when it read CSV."""
_RAW = "__raw"
"""The column Spark puts a line in when its fields do not match the header."""


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
    skips them, so the lines after one would be numbered one short); its rows also have
    :data:`ERROR_COLUMN`, why a line cannot be used (null for the others)."""
    return read_with_counts(spark, path, input_format=input_format, delimiter=delimiter)[0]


def read_with_counts(
    spark: SparkSession, path: str | Path, *, input_format: InputFormat | None, delimiter: str
) -> tuple[DataFrame, int, int]:
    """:func:`read`, how many records were read and how many CSV rows of empty cells were
    left out: such a row is no record, as the local reader has it (numbered, so that the
    lines after it keep their numbers, then left out; a blank line Spark's reader skips
    unseen)."""
    input_format = input_format or format_of(Path(str(path)))
    if input_format == "jsonl":
        raise FileProblem(
            f"{path}: the Spark engine reads Parquet and CSV; give a Parquet or CSV file "
            "(or use the local engine for JSON Lines)",
            path=str(path),
        )
    if Path(str(path)).is_dir():
        data_files(Path(str(path)))  # an empty folder is said so, whatever the format
    if input_format == "csv":
        frame = _csv_frame(spark, str(path), delimiter)
        empty: Column | None = _all_empty(frame)
    else:
        frame = spark.read.format(input_format).load(str(path))
        empty = None
    first = 2 if input_format == "csv" else 1
    numbered, lines, blank = _number_by_file(frame, first, empty=empty)
    return numbered, lines - blank, blank


def _csv_frame(spark: SparkSession, path: str, delimiter: str) -> DataFrame:
    """A CSV file's (or folder's) values as text, its header's names as the local reader
    takes them, and :data:`ERROR_COLUMN`: why a line cannot be used as a record (a quote
    left open, more or fewer fields than the header), as the local reader says it."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    reader = spark.read.options(
        header="true",
        inferSchema="false",
        sep=delimiter,
        quote='"',
        escape='"',
        multiLine="false",
        encoding="UTF-8",
        emptyValue="",
    )
    header = reader.csv(path).columns  # the first line only
    if not header:
        what = "folder's files are" if Path(path).is_dir() else "file is"
        raise FileProblem(f"{path}: the {what} empty (no header row)", path=path)
    # A line whose fields do not match the header is kept whole in this column by Spark.
    schema = StructType(
        [StructField(name, StringType()) for name in header] + [StructField(_RAW, StringType())]
    )
    frame = (
        reader.options(mode="PERMISSIVE", columnNameOfCorruptRecord=_RAW).schema(schema).csv(path)
    )
    # Header names as the local reader takes them: stripped, a blank one (which Spark
    # names _c0, _c1 ...) numbered from 1.
    named = [
        (name.strip() if name != f"_c{index - 1}" else "") or f"column {index}"
        for index, name in enumerate(header, start=1)
    ]
    width = len(header)

    # Without type hints: Spark would take them for a pandas UDF's and warn.
    reason = F.udf(
        lambda text: None if text is None else line_error(text, width, delimiter), StringType()
    )
    # Empty fields are empty text, as the local reader keeps them (Spark reads an
    # unquoted one as null, which only a Parquet file holds).
    return frame.select(
        *(
            F.coalesce(F.col(f"`{name}`"), F.lit("")).alias(new)
            for name, new in zip(header, named, strict=True)
        ),
        reason(F.col(_RAW)).alias(ERROR_COLUMN),
    )


def stripped(column: Column) -> Column:
    """Spark's form of ``str.strip()`` (:func:`unitcalc.core.text.stripped_column` is
    polars'): Spark's ``trim`` strips spaces only."""
    from pyspark.sql import functions as F

    return F.regexp_replace(column, STRIP_PATTERN, "")


def _all_empty(frame: DataFrame) -> Column:
    """True for a row whose every cell is empty or white space (as ``str.strip()`` strips
    it: the local reader's blank row)."""
    from functools import reduce

    from pyspark.sql import functions as F

    names = [name for name in frame.columns if name != ERROR_COLUMN]
    cells = [stripped(F.col(f"`{name}`")) == F.lit("") for name in names]
    return reduce(lambda left, right: left & right, cells)


def data_files(folder: Path) -> list[Path]:
    """A folder's data files (not hidden, nor Spark's ``_SUCCESS`` markers), in path
    order; a folder without one is refused, saying so."""
    names = sorted(
        child for child in folder.rglob("*") if child.is_file() and child.name[:1] not in "._"
    )
    if not names:
        raise FileProblem(f"{folder}: the folder holds no data file", path=str(folder))
    return names


def format_of(path: Path) -> InputFormat:
    """A file's format by its name; a folder's by its first data file's."""
    if path.is_dir():
        path = data_files(path)[0]
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


def number_in_order(frame: DataFrame, first: int) -> tuple[DataFrame, int]:
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
