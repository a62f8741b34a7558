"""The CMS rule's warnings in both forms: :meth:`CmsRule.allocate` for one pool and
:meth:`CmsRule.warnings_columns` for many."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from unitcalc.engine.compliance import allocation_columns
from unitcalc.rules import RULES, TimedItem

CODES = ("97110", "97112", "97140", "97530", "97535")
pools = st.lists(
    st.lists(
        st.tuples(st.sampled_from(CODES), st.integers(0, 40), st.sampled_from((15, 15, 15, 30))),
        min_size=1,
        max_size=4,
        unique_by=lambda item: item[0],
    ),
    max_size=6,
)


def _columns(drawn: list[list[tuple[str, int, int]]], labels: list[str | None]) -> pl.DataFrame:
    rule = RULES["cms"]
    frame = pl.DataFrame(
        [(pool, *item) for pool, items in enumerate(drawn) for item in items],
        schema={"pool": pl.Int64, "name": pl.String, "minutes": pl.Int64, "unit_minutes": pl.Int64},
        orient="row",
    )  # fmt: skip
    frame = frame.with_row_index("order").with_columns(
        first=pl.col("order").cast(pl.Int64), preference=pl.lit(0), billed=pl.lit(0)
    )
    counted = rule.columnar(frame.lazy()).collect()
    counted = allocation_columns(counted, pool="pool").sort("order")
    with_labels = counted.with_columns(
        label=pl.col("pool").replace_strict(
            range(len(labels)), labels, return_dtype=pl.String, default=None
        )
    )
    found = rule.warnings_columns(with_labels.lazy())
    assert found is not None
    return found.collect()


@settings(max_examples=300, deadline=None)
@given(
    pools, st.lists(st.sampled_from((None, "PT", "OT", "no discipline")), min_size=6, max_size=6)
)
@example([[("97110", 7, 15), ("97140", 7, 15)]], [None] * 6)  # no timed unit
@example([[("97110", 33, 15), ("97140", 7, 15)]], ["PT", *[None] * 5])  # under eight
@example([[("97110", 8, 15), ("97140", 8, 15), ("97530", 9, 15)]], [None] * 6)  # no unit
@example([[("97110", 10, 15), ("97140", 10, 15), ("97530", 10, 15)]], [None] * 6)  # a tie
@example([[("97110", 23, 15), ("97140", 23, 15), ("97530", 8, 15)]], ["OT", *[None] * 5])
def test_warnings_in_columns_are_allocates(
    drawn: list[list[tuple[str, int, int]]], labels: list[str | None]
) -> None:
    rule = RULES["cms"]
    found = {row["pool"]: row for row in _columns(drawn, labels).iter_rows(named=True)}
    for pool, items in enumerate(drawn):
        timed = [
            TimedItem(name=code, minutes=minutes, unit_minutes=unit, rank=(0, -minutes, order))
            for order, (code, minutes, unit) in enumerate(items)
        ]
        allocation = rule.allocate(timed, pool=labels[pool])
        row = found[pool]
        assert row["worded"] == all(unit == 15 for _, _, unit in items)
        if row["worded"]:
            assert row["texts"] == [note.text for note in allocation.warnings]
            assert row["kinds"] == [note.kind for note in allocation.warnings]
            assert row["codes"] == ["+".join(note.codes) for note in allocation.warnings]
