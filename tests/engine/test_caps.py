"""A payer's terms in both forms: minimum minutes (counted_minutes) and caps
(apply_caps) for one visit, and their columnar forms over many groups' items."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.engine.caps import apply_caps, cap_columns, counted_minutes, counted_minutes_column
from unitcalc.engine.payers import PayerProfile

caps = st.one_of(st.none(), st.integers(min_value=0, max_value=6))
payers = st.builds(
    PayerProfile,
    st.just("p"),
    daily_unit_cap=caps,
    visit_unit_cap=caps,
    cap_order=st.sampled_from(("claim", "largest")),
)
# A group: pools of items, each item's units; first lines are made distinct below.
groups = st.lists(
    st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=4),
    min_size=1,
    max_size=3,
)


@st.composite
def capped_groups(draw: st.DrawFn) -> tuple[list[list[int]], list[int]]:
    """A group's pools of units, and each item's first line: distinct, in any order
    across pools."""
    pools = draw(groups)
    count = sum(len(pool) for pool in pools)
    return pools, draw(st.permutations(range(10, 10 + count)))


@example(PayerProfile("p", daily_unit_cap=2), ([[2, 2]], [10, 11]))
@example(PayerProfile("p", visit_unit_cap=3, cap_order="largest"), ([[1, 3], [2]], [12, 10, 11]))
@given(payers, capped_groups())
def test_caps_in_both_forms(payer: PayerProfile, group: tuple[list[list[int]], list[int]]) -> None:
    pools, lines = group
    count = len(lines)
    firsts, at = [], 0
    for pool in pools:
        firsts.append(lines[at : at + len(pool)])
        at += len(pool)
    kept, _ = apply_caps(firsts, [tuple(pool) for pool in pools], payer)
    frame = pl.DataFrame(
        {
            "group": [1] * count,
            "pool": [p for p, pool in enumerate(pools) for _ in pool],
            "units": [units for pool in pools for units in pool],
            "first": [line for pool in firsts for line in pool],
            "daily": [payer.daily_unit_cap] * count,
            "visit": [payer.visit_unit_cap] * count,
            "largest": [payer.cap_order == "largest"] * count,
        },
        schema={
            "group": pl.Int64,
            "pool": pl.Int64,
            "units": pl.Int64,
            "first": pl.Int64,
            "daily": pl.Int64,
            "visit": pl.Int64,
            "largest": pl.Boolean,
        },
    )
    capped = cap_columns(
        frame,
        group="group",
        pool="pool",
        units="units",
        first="first",
        daily="daily",
        visit="visit",
        largest="largest",
    )
    got = dict(capped.select("first", "kept").iter_rows())
    assert [[got[line] for line in pool] for pool in firsts] == [list(pool) for pool in kept]


@given(
    st.lists(st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 30))), max_size=20)
)
def test_minimum_minutes_in_both_forms(rows: list[tuple[int, int | None]]) -> None:
    frame = pl.DataFrame(rows, schema={"minutes": pl.Int64, "minimum": pl.Int64}, orient="row")
    got = frame.select(counted_minutes_column(pl.col("minutes"), pl.col("minimum"))).to_series()
    expected = [
        counted_minutes("97110", minutes, {} if minimum is None else {"97110": minimum})
        for minutes, minimum in rows
    ]
    assert got.to_list() == expected
