"""What an audit or a batch count on Spark gives back: the partitions' rows as a
DataFrame, their summaries added up into the whole input's, and for the writers that
need each finding whole (text, JSON, workbook) the findings as the file engine's groups,
brought to the driver one partition at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs

from ..engine.audit import Finding
from ..files.checks import chosen_summary
from ..files.evaluate import Group
from ..files.summary import Summary
from ..files.texts import summary_rows
from .partitions import DETAIL, SUMMARY, Plan

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@attrs.define(eq=False)
class Counted:
    """The partitions' output, kept (persisted) so that the summary and the rows are
    counted once."""

    parts: DataFrame
    plan: Plan
    _summary: Summary | None = None

    def summary(self) -> Summary:
        """The whole input's summary (runs the job the first time): the partitions'
        summaries added up."""
        if self._summary is None:
            from pyspark.sql import functions as F

            texts = self.parts.where(F.col(SUMMARY).isNotNull()).select(SUMMARY).collect()
            layout = self.plan.layout
            total = Summary(layout=layout)
            for (text,) in texts:
                total += Summary.from_dict(json.loads(text), layout=layout)
            # The checks run and skipped, as the local engine says them of the whole run.
            self._summary = chosen_summary(total, self.plan.options)
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

        rows = self.parts.where(F.col(SUMMARY).isNull())
        return rows.select(*(F.col(f"`{name}`") for name in self.plan.columns))


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


@attrs.define(eq=False)
class AuditResult(Counted):
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
        rows = self.parts.where(F.col(SUMMARY).isNull()).orderBy(first).select(DETAIL)
        for (text,) in rows.toLocalIterator():
            data = json.loads(text)
            key = tuple(data["key"]) if data["key"] is not None else None
            yield Group(
                key,
                self.plan.layout,
                (),
                None,
                (),
                finding=Finding.from_dict(data["finding"]),
                providers=tuple(data["providers"]),
                payer=data["payer"],
            )


@attrs.define(eq=False)
class BatchResult(Counted):
    """A batch count on Spark: :attr:`rows` (a DataFrame, the columns of ``unitcalc
    batch``'s Parquet output) and :meth:`summary`."""

    @property
    def rows(self) -> DataFrame:
        """A row per group and code (the claim line), or per input row with ``per_row``."""
        return self._rows()
