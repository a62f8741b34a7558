"""The rules' registry: names and aliases, and a rule named in a file's column parsed in
both forms (get_rule for one value, rule_column for a column)."""

from __future__ import annotations

import typing
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unitcalc import UnknownRuleError
from unitcalc.rules import DEFAULT_RULE, RULES, RuleName, get_rule, rule_column, rule_names


def test_the_default_rule_is_registered() -> None:
    assert DEFAULT_RULE in RULES


@given(st.lists(st.sampled_from([*rule_names(), "", "CMS", " ama", "medicaid"]), max_size=12))
def test_a_rule_column_agrees_with_get_rule(texts: list[str]) -> None:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    value, plain = rule_column(pl.col("text"))
    for text, (got, is_plain) in zip(
        texts, frame.select(value.alias("value"), plain.alias("plain")).rows(), strict=True
    ):
        if is_plain and text:
            assert got == get_rule(text).name
        if text in rule_names() or not text:
            assert is_plain
        if not is_plain and text.strip().lower() in rule_names():
            assert get_rule(text).name in RULES  # the scalar form reads any letter case
        elif not is_plain:
            with pytest.raises(UnknownRuleError, match="unknown rule"):
                get_rule(text)


pool_items = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 3), st.booleans()), min_size=1, max_size=5
)


@given(st.sampled_from(sorted(RULES)), st.lists(pool_items, max_size=6))
def test_may_warn_in_columns_agrees_with_may_warn(
    name: str, pools: list[list[tuple[int, int, bool]]]
) -> None:
    rule = RULES[name]
    rows = [(pool, *item) for pool, items in enumerate(pools) for item in items]
    frame = pl.DataFrame(
        rows, schema={"pool": pl.Int64, "minutes": pl.Int64, "units": pl.Int64, "tied": pl.Boolean},
        orient="row",
    )  # fmt: skip
    flag = rule.may_warn_columns(pl.col("minutes"), pl.col("units"), pl.col("tied"))
    found = dict(frame.group_by("pool").agg(flag.any()).iter_rows())
    for pool, items in enumerate(pools):
        minutes, units, tied = zip(*items, strict=True)
        assert found[pool] == rule.may_warn(minutes, units, tied=any(tied))


def test_the_rule_names_for_type_checkers_are_the_registrys() -> None:
    assert sorted(typing.get_args(RuleName)) == sorted(rule_names())


def test_a_rule_name_that_is_none_fails_under_mypy(tmp_path: Path) -> None:
    from mypy import api

    snippet = tmp_path / "script.py"
    snippet.write_text(
        "from unitcalc import calculate\n"
        'calculate({"97110": 33}, rule="cms")\n'
        'calculate({"97110": 33}, rule="medicaid")\n'
    )
    root = Path(__file__).resolve().parents[2]
    out, _, status = api.run([str(snippet), "--cache-dir", str(root / ".mypy_cache")])
    assert status == 1, out
    assert "script.py:3: error" in out
    assert 'Argument "rule" to "calculate"' in out
    assert "medicaid" in out
    assert "script.py:2" not in out
