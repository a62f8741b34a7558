"""The raw values the fee pricer reads, for the groups settled in columns, one list per
column and a slice per group (:mod:`.word` hands them on with each group)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .check import BILLED, CODE, DISCIPLINE, PAYER
from .evaluate import Priced, PriceRow, price_columns
from .load import Loaded
from .options import Options
from .read import LINE

if TYPE_CHECKING:
    import polars as pl

    from .spans import Spans


class PriceSpans:
    """The raw values the fee pricer reads (:func:`price_columns`) for the rows of
    ``rows`` (sorted by group and line, as ``spans``), one list per column."""

    def __init__(self, rows: pl.DataFrame, spans: Spans, loaded: Loaded, options: Options) -> None:
        self.spans = spans
        self.profiles = options.profiles
        wanted = price_columns(loaded.layout)
        lines = rows.get_column(LINE)
        self.values: list[Mapping[str, Any]]
        if loaded.raw is not None:
            present = [name for name in wanted if name in loaded.raw.columns]
            picked = (
                rows.select(LINE)
                .join(loaded.raw.select(LINE, *present), on=LINE, how="left", maintain_order="left")
                .select(present)
            )
            lists = [picked.get_column(name).to_list() for name in present]
            self.values = (
                [dict(zip(present, each, strict=True)) for each in zip(*lists, strict=True)]
                if present
                else [{} for _ in range(rows.height)]
            )
        else:
            records = loaded.records
            self.values = [
                {name: values[name] for name in wanted if name in values}
                for values in (records[line].values for line in lines.to_list())
            ]

    def of(
        self, group_id: int, group_rows: Mapping[str, Sequence[Any]], *, settled_ok: bool
    ) -> Priced:
        """The group's rows for the pricer; ``settled_ok``: with the units allowed per
        code, those billed (a group settled ok is allowed what it bills)."""
        start, stop = self.spans.spans[group_id]
        payer = group_rows[PAYER][0]
        rows = tuple(
            PriceRow(line, code, billed, discipline, values)
            for line, code, billed, discipline, values in zip(
                group_rows[LINE],
                group_rows[CODE],
                group_rows[BILLED],
                group_rows[DISCIPLINE],
                self.values[start:stop],
                strict=True,
            )
            if billed is not None  # as the scalar pricer: a row billing nothing is left out
        )
        allowed: dict[str, int] | None = None
        if settled_ok:
            allowed = {}
            for row in rows:
                allowed[row.code] = allowed.get(row.code, 0) + row.billed
        return Priced(rows, self.values[start], self.profiles[payer] if payer else None, allowed)
