"""The audit's comparison in both forms: unitcalc's pick, the closest compliant
allocation, compliance (exact, or under a cap) and the status, for one pool (closest,
fits, status) and for many in columns (allocation_columns, pool_columns,
status_column)."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.engine.compliance import (
    allocation_columns,
    closest,
    fits,
    pool_columns,
    status,
    status_column,
)
from unitcalc.rules import TimedItem, get_rule

CMS = get_rule("cms")


@st.composite
def pools(draw: st.DrawFn) -> tuple[list[TimedItem], list[int]]:
    """A pool's timed items (leftovers that often tie, a tie preference on some) and the
    units billed on each."""
    count = draw(st.integers(min_value=1, max_value=5))
    leftover = draw(st.integers(min_value=1, max_value=14))
    items = []
    for order in range(count):
        minutes = 15 * draw(st.integers(0, 3)) + draw(st.sampled_from((leftover, leftover, 3, 9)))
        rank = (draw(st.integers(0, 2)), -minutes, order)
        items.append(TimedItem(f"c{order}", minutes, 15, rank))
    billed = [draw(st.integers(min_value=0, max_value=5)) for _ in items]
    return items, billed


def columns(items: list[TimedItem], billed: list[int]) -> pl.DataFrame:
    allocation = CMS.allocate(items, pool=None)
    frame = pl.DataFrame(
        {
            "pool": [1] * len(items),
            "at": list(range(len(items))),
            "base": list(allocation.base),
            "tied": [i in allocation.tied for i in range(len(items))],
            "shared": [allocation.shared] * len(items),
            "billed": billed,
            "preference": [item.rank[0] for item in items],
            "minutes": [item.minutes for item in items],
            "first": [item.rank[2] for item in items],
            "timed": [True] * len(items),
        }
    )
    return allocation_columns(frame, pool="pool").sort("at")


@example(([TimedItem("a", 20, 15, (0, -20, 0)), TimedItem("b", 20, 15, (0, -20, 1))], [1, 2]))
@given(pools())
def test_closest_and_compliance_in_both_forms(pool: tuple[list[TimedItem], list[int]]) -> None:
    items, billed = pool
    allocation = CMS.allocate(items, pool=None)
    ranks = [item.rank for item in items]
    frame = columns(items, billed)
    assert frame["chosen"].to_list() == list(allocation.chosen)
    assert frame["closest"].to_list() == list(closest(allocation, billed, ranks))
    for capped in (False, True):
        compliant = pool_columns(frame, pool="pool", capped=pl.lit(capped)).item(0, "compliant")
        assert compliant == fits(allocation, billed, capped=capped)


@given(st.integers(-3, 3), st.booleans())
def test_status_in_both_forms(difference: int, compliant: bool) -> None:
    frame = pl.DataFrame({"difference": [difference], "compliant": [compliant]})
    got = frame.select(status_column(pl.col("difference"), pl.col("compliant"))).item()
    assert got == status(difference, compliant=compliant)


def test_the_closest_allocation_keeps_the_tied_units_billed() -> None:
    # Two codes tie for the last unit: billed on the second, it stays there.
    items = [TimedItem("97112", 20, 15, (1, -20, 0)), TimedItem("97110", 20, 15, (1, -20, 1))]
    allocation = CMS.allocate(items, pool=None)
    assert allocation.chosen == (2, 1)
    assert closest(allocation, [1, 2], [item.rank for item in items]) == (1, 2)
    assert closest(allocation, [0, 0], [item.rank for item in items]) == (2, 1)
