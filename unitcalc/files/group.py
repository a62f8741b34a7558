"""Grouping checked rows into patient days (or visits, or the columns the user names).

A group is identified by the line of its first row, so ids are unique and sort in file
order. Rows whose key is missing or no date stand alone. Rows of one group need not be
next to each other: the key is found wherever it is, and the summary only notes that
the file's groups were scattered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .read import END, LINE

if TYPE_CHECKING:
    import polars as pl

GROUP = "__group"


def assign_groups(parsed: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """``parsed`` with the :data:`GROUP` column: the first line of the row's group."""
    import polars as pl

    keyed = (
        pl.all_horizontal(pl.col(name).is_not_null() for name in keys) if keys else pl.lit(False)
    )
    first = pl.col(LINE).min().over(list(keys)) if keys else pl.col(LINE)
    return parsed.with_columns(pl.when(keyed).then(first).otherwise(pl.col(LINE)).alias(GROUP))


def scattered(grouped: pl.DataFrame, keys: Sequence[str], *, by_rows: bool = False) -> bool:
    """True when some group's rows are not next to each other in the file: the lines
    from its first row to its last hold more than its rows. With ``by_rows`` (``grouped``
    holds the whole file, in file order, as the careful reader read it) the rows are
    counted instead of the lines, so that a blank line between two rows of a group,
    which is no record, does not part them."""
    import polars as pl

    if not keys:
        return False
    if by_rows:
        grouped = grouped.with_row_index("__at")
    keyed = grouped.filter(pl.all_horizontal(pl.col(name).is_not_null() for name in keys))
    if keyed.height == 0:
        return False
    first, last = (pl.col("__at"), pl.col("__at")) if by_rows else (pl.col(LINE), pl.col(END))
    size = pl.len() if by_rows else (pl.col(END) - pl.col(LINE) + 1).sum()
    spans = keyed.group_by(GROUP).agg(
        (last.max() - first.min() + 1).alias("span"), size.alias("lines")
    )
    return bool(spans.select((pl.col("span") != pl.col("lines")).any()).item())
