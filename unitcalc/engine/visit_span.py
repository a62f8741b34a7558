"""Time in and out: a visit's documented minutes against the time it lasted.

The minutes of every line of a visit (a counted group), timed and untimed, are treatment
time; they cannot exceed the visit's span, from its start to its end, nor the total
treatment time the record states. Ch. 15 220.3 asks the treatment note for the total
timed code treatment minutes and the total treatment time (timed and untimed); Pub.
100-04 Ch. 5 20.2 counts untimed minutes into "total treatment time". The web page's
"minutes fit the span" check reads one visit the same way.

A visit's span: the sum over its distinct (start, end) pairs of end minus start (a visit
written as two sittings, or one start and end repeated on every line). An end before
its start gives a negative span: every minute is past it. Its total treatment time: the
largest value written on its lines. Lines without start, end or total leave them out;
a visit with neither is not checked here (:func:`missing` names it when the payer asks).

Two forms side by side: :func:`visit_excess` reads one visit's lines (scalar);
:func:`span_frame` every visit's in columns (polars); ``tests/engine/test_visit_span.py``
holds them equal.

References:
    CMS Pub. 100-02 Ch. 15 section 220.3 (treatment note: total timed code treatment
    minutes and total treatment time); CMS Pub. 100-04 Ch. 5 section 20.2 (untimed
    minutes in total treatment time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

VisitLine = tuple[int, int | None, int | None, int | None, int | None]
"""A line: its number, minutes, start and end (minutes after midnight), total time."""


def visit_excess(lines: Sequence[VisitLine]) -> dict[str, Any] | None:
    """The visit's documented minutes, span and total treatment time when the minutes
    exceed the span or the total; None when they fit or there is neither.

    >>> visit_excess([(2, 40, 480, 510, None), (3, 15, 480, 510, None)])
    {'lines': [2, 3], 'minutes': 55, 'span': 30, 'total': None}
    >>> visit_excess([(2, 40, 480, 540, 45)]) is None
    True
    """
    minutes = sum(line[1] or 0 for line in lines)
    pairs = {(start, end) for _, _, start, end, _ in lines if start is not None and end is not None}
    span = sum(end - start for start, end in pairs) if pairs else None
    totals = [line[4] for line in lines if line[4] is not None]
    total = max(totals) if totals else None
    over = (span is not None and minutes > span) or (total is not None and minutes > total)
    if not over:
        return None
    return {
        "lines": sorted(line[0] for line in lines),
        "minutes": minutes,
        "span": span,
        "total": total,
    }


def span_frame(
    rows: pl.DataFrame, *, group: str, line: str, minutes: str, start: str, end: str, total: str
) -> pl.DataFrame:
    """The columnar form of :func:`visit_excess` over many visits (``group`` names each):
    one row per visit whose minutes exceed its span or total (group, lines, minutes,
    span, total), in order of group."""
    import polars as pl

    both = pl.col(start).is_not_null() & pl.col(end).is_not_null()
    pairs = (
        rows.filter(both)
        .select(group, start, end)
        .unique()
        .group_by(group)
        .agg((pl.col(end) - pl.col(start)).sum().alias("span"))
    )
    visits = rows.group_by(group).agg(
        pl.col(line).sort().alias("lines"),
        pl.col(minutes).fill_null(0).sum().alias("minutes"),
        pl.col(total).max().alias("total"),
    )
    joined = visits.join(pairs, on=group, how="left")
    over = (pl.col("minutes") > pl.col("span")).fill_null(False) | (
        pl.col("minutes") > pl.col("total")
    ).fill_null(False)
    return joined.filter(over).select(group, "lines", "minutes", "span", "total").sort(group)
