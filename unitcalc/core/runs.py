"""Runs of equal keys in a frame sorted by them: where each run begins, as a polars
expression (the columnar engine numbers its days and accrues its totals with it instead
of a window over the keys' texts), and a run's sums read at its edges: running sums and
fills, the forms of ``sum().over(key)`` and ``cum_sum().over(key)`` that need no
grouping on a sorted frame (a window costs about as much again)."""

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


def key_ends(names: Sequence[str]) -> pl.Expr:
    """Whether a row's key (``names``) differs from the row after it: true on the last
    row of each run of equal keys, the frame's last row included (:func:`key_changed`
    read backwards).

    >>> import polars as pl
    >>> frame = pl.DataFrame({"a": ["x", "x", "y", None, None], "b": [1, 1, 1, 1, 2]})
    >>> frame.select(key_ends(["a", "b"])).to_series().to_list()
    [False, True, True, True, True]
    """
    import polars as pl

    ends = pl.any_horizontal(*(pl.col(name).ne_missing(pl.col(name).shift(-1)) for name in names))
    return ends.fill_null(True)


def run_total(values: pl.Expr, first: pl.Expr, last: pl.Expr) -> pl.Expr:
    """``values`` (no null) summed over each run, on every row of the run: the running
    sum at its last row less that before its first (``first`` and ``last`` mark them).

    >>> import polars as pl
    >>> frame = pl.DataFrame({"k": [1, 1, 2, 3, 3, 3], "v": [2, 3, 4, 1, 1, 5]})
    >>> total = run_total(pl.col("v"), key_changed(["k"]), key_ends(["k"]))
    >>> frame.select(total).to_series().to_list()
    [5, 5, 4, 7, 7, 7]
    """
    import polars as pl

    running = values.cum_sum()
    end = pl.when(last).then(running).backward_fill()
    return end - pl.when(first).then(running - values).forward_fill()


def run_cum_sum(values: pl.Expr, first: pl.Expr) -> pl.Expr:
    """The running sum of ``values`` (no null) within each run (``first`` marks its first
    row).

    >>> import polars as pl
    >>> frame = pl.DataFrame({"k": [1, 1, 2, 3, 3, 3], "v": [2, 3, 4, 1, 1, 5]})
    >>> frame.select(run_cum_sum(pl.col("v"), key_changed(["k"]))).to_series().to_list()
    [2, 5, 4, 1, 2, 7]
    """
    import polars as pl

    running = values.cum_sum()
    return running - pl.when(first).then(running - values).forward_fill()
