"""Runs of equal keys in a frame sorted by them: where each run begins, as a polars
expression (the columnar engine numbers its days and accrues its totals with it instead
of a window over the keys' texts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


def key_changed(names: Sequence[str]) -> pl.Expr:
    """Whether a row's key (``names``) differs from the row before it: true on the first
    row of each run of equal keys, the frame's first row included.

    >>> import polars as pl
    >>> frame = pl.DataFrame({"a": ["x", "x", "y", None, None], "b": [1, 1, 1, 1, 2]})
    >>> frame.select(key_changed(["a", "b"])).to_series().to_list()
    [True, False, True, True, True]
    """
    import polars as pl

    changed = pl.any_horizontal(*(pl.col(name).ne_missing(pl.col(name).shift(1)) for name in names))
    return changed.fill_null(True)
