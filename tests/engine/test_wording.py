"""The finding's words: :func:`message` and its columnar form side by side."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from unitcalc.engine.wording import WORDED_UNITS, LineKey, message, message_columns

CODES = ("97110", "97112", "97140", "97530")
DISCIPLINES = (None, "PT", "OT", "SLP")
STATUSES = ("ok", "over", "under", "misallocated")

line_keys = st.tuples(st.sampled_from(CODES), st.sampled_from(DISCIPLINES))
groups = st.tuples(
    st.lists(
        st.tuples(line_keys, st.integers(0, 6), st.integers(0, 6)),
        max_size=5,
        unique_by=lambda line: line[0],
    ),
    st.sampled_from(STATUSES),
    st.sampled_from(("cms", "ama", "round_up")),
    st.integers(-1, WORDED_UNITS + 1),
    st.integers(-1, WORDED_UNITS + 1),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(groups, max_size=8))
@example([([(("97110", "PT"), 2, 1), (("97110", "OT"), 1, 2)], "misallocated", "cms", 3, 3, False)])
@example([([], "over", "cms", 1, 0, False)])
@example([([(("97530", None), 2, 2)], "ok", "cms", 2, 2, True)])
def test_the_columns_word_each_group_as_message_does(
    drawn: list[tuple[list[tuple[LineKey, int, int]], str, str, int, int, bool]],
) -> None:
    lines: dict[str, list[object]] = {
        "g": [], "code": [], "discipline": [], "billed": [], "allowed": []
    }  # fmt: skip
    for number, (members, *_) in enumerate(drawn):
        for (code, discipline), billed, allowed in members:
            for name, value in zip(lines, (number, code, discipline, billed, allowed), strict=True):
                lines[name].append(value)
    frame = pl.DataFrame(
        lines,
        schema={"g": pl.Int64, "code": pl.String, "discipline": pl.String,
                "billed": pl.Int64, "allowed": pl.Int64},
    )  # fmt: skip
    totals = pl.DataFrame(
        [(number, *rest) for number, (_, *rest) in enumerate(drawn)],
        schema={"g": pl.Int64, "status": pl.String, "rule": pl.String,
                "billed_total": pl.Int64, "allowed_total": pl.Int64, "tie": pl.Boolean},
        orient="row",
    )  # fmt: skip
    worded = dict(message_columns(frame.lazy(), totals.lazy(), group="g").collect().iter_rows())
    assert list(worded) == list(range(len(drawn)))
    for number, (members, status, rule, billed_total, allowed_total, tie) in enumerate(drawn):
        billed = {key: units for key, units, _ in members}
        allowed = {key: units for key, _, units in members}
        in_columns = 0 <= billed_total < WORDED_UNITS and 0 <= allowed_total < WORDED_UNITS
        expected = message(
            status,  # type: ignore[arg-type]
            rule, billed, allowed, billed_total, allowed_total, tie or None,
        ) if in_columns else None  # fmt: skip
        assert worded[number] == expected
