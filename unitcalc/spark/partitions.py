"""The lines hashed by patient into partitions, and each partition counted by the file
engine (:func:`unitcalc.files.evaluate.run_frame`, the polars engine of ``unitcalc
audit``) through Arrow (``mapInArrow``): no second implementation of the rules.

A partition holds every row of its patients (:func:`hashed_column`), so every
patient-day is whole in it, whatever the date format. Each partition returns the rows
the file command's writer gives (with each finding whole, for the outputs that need all
of it), then one row of its summary (:meth:`unitcalc.files.Summary.to_dict` with
``whole``), which the driver adds up.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

import attrs

from ..files.columnar import as_text
from ..files.evaluate import Group
from ..files.layout import Layout
from ..files.options import Options
from ..files.run import run_frame
from ..files.summary import Summary
from ..files.write_audit import AuditWriter
from ..files.write_batch import BatchWriter
from .lines import ERROR_COLUMN, LINE_COLUMN, number_in_order, stripped

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

SUMMARY = "__summary"
"""The column of a partition's last row: its summary, as JSON."""
DETAIL = "__finding"
"""The column of an audit's rows holding each finding whole, as JSON."""

LINES_PER_PARTITION = 500_000
"""The lines a partition is given by default: about 6 seconds of one core and 1 GB of
the Python worker's memory for the file engine (docs/scale.md has the measures)."""


@attrs.frozen(eq=False)
class Plan:
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
        extra = (DETAIL,) if self.kind == "audit" else ()
        return (*self.columns, *extra, SUMMARY)


def count_part(plan: Plan, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
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
                        "finding": finding.to_dict(whole=True),
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
            raw = as_text(frame.drop(LINE_COLUMN)).with_columns(
                frame.get_column(LINE_COLUMN).cast(pl.Int64).alias(LINE_COLUMN)
            )  # with ERROR_COLUMN, if any: text already
            summary = run_frame(raw, plan.layout, plan.options, consume)
        rows = writer.frame(plan.layout)
    finally:
        writer.close()
    if plan.kind == "audit":
        rows = rows.with_columns(
            pl.Series(DETAIL, details if plan.detail else [None] * rows.height, pl.String)
        )
    rows = rows.with_columns(pl.lit(None, dtype=pl.String).alias(SUMMARY))
    table = rows.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(target)
    yield from table.to_batches()
    whole = json.dumps(summary.to_dict(whole=True))
    yield pa.RecordBatch.from_pylist([{SUMMARY: whole}], schema=target)


def hashed_column(layout: Layout) -> str | None:
    """The column the lines are hashed by: the group key's patient (``patient_id``),
    wherever it stands in the key, else the key's first column (None without a key).
    Every row of a group shares its patient, so a group is whole in a partition either
    way; hashing by the patient also keeps whole what is decided per patient across
    groups (episodes of care, patterns, remote monitoring months) when the key begins
    with another column (``--group-by date_of_service,patient_id``).

    >>> from unitcalc.files.options import Options
    >>> columns = ("date_of_service", "patient_id", "code", "minutes", "billed_units")
    >>> given = Options(group_by=("date_of_service", "patient_id"))
    >>> hashed_column(Layout.of(columns, given, display="visits.csv", open_ended=False))
    'patient_id'
    """
    roles = layout.key_roles
    if "patient_id" in roles:
        return layout.key_columns[roles.index("patient_id")]
    return layout.key_columns[0] if layout.key_columns else None


def default_partitions(frame: DataFrame, lines: int | None = None) -> int:
    """How many partitions the lines are hashed into: one for each
    :data:`LINES_PER_PARTITION` lines (``lines``, else counted: one quick pass over the
    input), and at least the cluster's cores, so that all take part."""
    spark = frame.sparkSession
    if lines is None:
        lines = frame.count()
    return max(math.ceil(lines / LINES_PER_PARTITION), spark.sparkContext.defaultParallelism)


def counted(frame: DataFrame, plan: Plan, partitions: int | None) -> DataFrame:
    """``frame``'s lines (numbered in its order unless it has :data:`LINE_COLUMN`)
    hashed by patient into ``partitions`` (default: :func:`default_partitions`), each
    counted by :func:`count_part`: kept (persisted), so that the summary and the rows
    are counted once."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    names = [name for name in frame.columns if name not in (LINE_COLUMN, ERROR_COLUMN)]
    errors = [F.col(ERROR_COLUMN).cast("string")] if ERROR_COLUMN in frame.columns else []
    lines = None
    if LINE_COLUMN not in frame.columns:
        frame, lines = number_in_order(frame, 1)
    count = partitions or default_partitions(frame, lines)
    frame = frame.select(
        *(F.col(f"`{name}`") for name in names), F.col(LINE_COLUMN).cast("long"), *errors
    )
    hashed = hashed_column(plan.layout)
    if hashed is not None:
        patient = stripped(F.col(f"`{hashed}`").cast("string"))
        frame = frame.repartition(count, patient)
    else:
        frame = frame.repartition(count)
    schema = StructType(
        [
            StructField(name, LongType() if name in plan.integers else StringType(), True)
            for name in plan.output
        ]
    )

    def count_one(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return iter(count_part(plan, batches))

    return frame.mapInArrow(count_one, schema).persist()
