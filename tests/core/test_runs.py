"""core/runs: a run's edges and its sums read at them, held equal to polars' windows over
the key (the forms they replace on a frame sorted by its key)."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.core.runs import key_changed, key_ends, run_cum_sum, run_total

rows = st.lists(st.tuples(st.integers(0, 4), st.integers(-3, 9)), max_size=30).map(
    lambda pairs: sorted(pairs, key=lambda pair: pair[0])  # sorted by key, values as drawn
)


@example([(0, 5)])  # one row: its run's first and last
@example([(1, 2), (1, -2), (3, 0)])  # a run summing to 0, then a run of one
@given(rows)
def test_run_sums_are_the_windows_over_the_key(pairs: list[tuple[int, int]]) -> None:
    frame = pl.DataFrame(pairs, schema={"k": pl.Int64, "v": pl.Int64}, orient="row")
    first, last = key_changed(["k"]), key_ends(["k"])
    got = frame.select(
        first=first,
        last=last,
        total=run_total(pl.col("v"), first, last),
        running=run_cum_sum(pl.col("v"), first),
    )
    place = pl.int_range(pl.len()).over("k")
    expected = frame.select(
        first=place == 0,
        last=place == pl.len().over("k") - 1,
        total=pl.col("v").sum().over("k"),
        running=pl.col("v").cum_sum().over("k"),
    )
    assert got.equals(expected)
