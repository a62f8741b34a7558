"""Pools and the day's limits: one visit's lines gathered into pools (pool_lines, which
raises at the first line past a day's limit) and many groups' rows in columns
(pool_column, day_limit_problems) give the same pools and the same problems."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc import CodeTable, InvalidServiceError, ServiceLine
from unitcalc.engine.pools import (
    POOL_LABELS,
    POOLS_PER_GROUP,
    day_limit_problems,
    pool_column,
    pool_label,
    pool_lines,
)

TABLE = CodeTable.default()
CODES = ("97110", "97140", "97530", "97161", "97150")
"""Timed and untimed codes, none of an add-on family."""

lines = st.lists(
    st.builds(
        ServiceLine,
        st.sampled_from(CODES),
        st.integers(min_value=0, max_value=900),
        discipline=st.sampled_from((None, "PT", "OT", "SLP")),
    ),
    min_size=1,
    max_size=6,
)


def scalar(visit: list[ServiceLine], pooling: str) -> tuple[list[str | None], str | None]:
    """Each line's pool, and the day's problem (or None)."""
    try:
        pools = pool_lines(visit, TABLE, pooling)  # type: ignore[arg-type]
    except InvalidServiceError as exc:
        return [], f"{exc.code}: {exc}"
    where = {}
    for key, pool in pools.items():
        for code, entry in pool.codes.items():
            for discipline in entry.disciplines:
                where[(code, discipline)] = key
    return [where[(line.code, line.discipline)] for line in visit], None


def columnar(visit: list[ServiceLine], pooling: str) -> tuple[list[str | None], str | None]:
    # The rows in another order than their lines: the limits are taken in line order.
    frame = pl.DataFrame(
        {
            "group": [7] * len(visit),
            "line": list(range(len(visit))),
            "code": [line.code for line in visit],
            "minutes": [line.minutes for line in visit],
            "discipline": [line.discipline for line in visit],
            "timed": [TABLE.codes[line.code].timed for line in visit],
        },
        schema={
            "group": pl.Int64,
            "line": pl.Int64,
            "code": pl.String,
            "minutes": pl.Int64,
            "discipline": pl.String,
            "timed": pl.Boolean,
        },
    )
    problems = day_limit_problems(
        frame.reverse(), group="group", line="line", code="code", minutes="minutes", timed="timed"
    )
    if problems.height:
        code, problem = problems.select("__long_code", "__problem").row(0)
        return [], f"{code}: {problem}"
    pools = frame.select(
        pool_column(pl.col("group"), pl.col("discipline"), pl.lit(pooling))
    ).to_series()
    assert all(pool // POOLS_PER_GROUP == 7 for pool in pools)
    return [pool_label(pool) for pool in pools], None


@example([ServiceLine("97110", 800), ServiceLine("97140", 700)], "discipline")
@example([ServiceLine("97110", 800), ServiceLine("97110", 700)], "day")
@example([ServiceLine("97161", 800), ServiceLine("97161", 700)], "day")
# The line that passes the day's timed minutes is the second (97035), whatever the order
# of the codes in the code table.
@example([ServiceLine("97110", 800), ServiceLine("97035", 800)], "discipline")
@given(lines, st.sampled_from(("discipline", "day")))
def test_pools_and_day_limits_in_both_forms(visit: list[ServiceLine], pooling: str) -> None:
    assert columnar(visit, pooling) == scalar(visit, pooling)


@pytest.mark.parametrize(
    ("minutes", "problem"),
    [
        ((800, 641), "97110: 1441 minutes in one day is more than the 1440 minutes"),
        ((800, 640), None),
    ],
)
def test_a_code_past_a_day(minutes: tuple[int, int], problem: str | None) -> None:
    visit = [ServiceLine("97110", m) for m in minutes]
    _, found = scalar(visit, "discipline")
    assert (found is None) == (problem is None)
    if problem:
        assert problem in str(found)


def test_pool_labels() -> None:
    assert POOL_LABELS == (None, "PT", "OT", "SLP")
