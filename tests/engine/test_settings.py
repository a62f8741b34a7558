"""How to count, resolved once: the rule in force (given, else the payer's, else the
default), the pooling and the tie preference, for one visit (Counting) and for a file's
rows in columns (terms_columns)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unitcalc.core.errors import InvalidServiceError, PayerProfileError
from unitcalc.engine.payers import PayerProfile
from unitcalc.engine.settings import Counting, Settings, terms_columns
from unitcalc.rules import DEFAULT_RULE

payers = st.none() | st.builds(
    PayerProfile,
    st.just("p"),
    rule=st.sampled_from(("cms", "ama", "commercial-15")),
    pooling=st.sampled_from((None, "discipline", "day")),
    tie_preference=st.sampled_from(((), ("97140",))),
)


def test_defaults() -> None:
    counting = Counting.of()
    assert (counting.rule.name, counting.pooling, dict(counting.preference)) == (
        DEFAULT_RULE,
        "discipline",
        {},
    )


def test_a_payer_supplies_what_is_not_given() -> None:
    payer = PayerProfile("p", rule="ama", pooling="day", tie_preference=("97140", "97110"))
    counting = Counting.of(payer=payer)
    assert (counting.rule.name, counting.pooling, dict(counting.preference)) == (
        "ama",
        "day",
        {"97140": 0, "97110": 1},
    )
    given_ = Counting.of(payer=payer, pooling="discipline", tie_preference=["97110"])
    assert (given_.pooling, dict(given_.preference)) == ("discipline", {"97110": 0})
    with pytest.raises(PayerProfileError, match="conflicts with payer profile 'p'"):
        Counting.of("cms", payer=payer)


def test_a_row_under_other_terms_keeps_what_was_given() -> None:
    settings = Settings(pooling="day", tie_preference=("97530",))
    payer = PayerProfile("p", rule="ama", pooling="discipline", tie_preference=("97140",))
    row = settings.resolve(payer=payer)
    assert (row.rule.name, row.pooling, dict(row.preference)) == ("ama", "day", {"97530": 0})
    assert settings.resolve(rule="ama").rule.name == "ama"  # a row's own rule


def test_a_tie_preference_is_checked_on_the_day() -> None:
    # 97001 was valid to 2016-12-31: a preference for it is fine that day, refused later.
    settings = Settings(tie_preference=("97001",))
    assert dict(settings.resolve(date_of_service="2016-06-01").preference) == {"97001": 0}
    with pytest.raises(InvalidServiceError, match="tie preference: 97001 was deleted"):
        settings.resolve(date_of_service="2026-06-01")


@given(
    st.lists(st.tuples(st.sampled_from((None, "cms", "ama")), payers), min_size=1, max_size=6),
    st.sampled_from((None, "discipline", "day")),
)
def test_terms_in_both_forms(
    rows: list[tuple[str | None, PayerProfile | None]], pooling: str | None
) -> None:
    settings = Settings(pooling=pooling)  # type: ignore[arg-type]
    expected = []
    kept = []
    for rule, payer in rows:
        try:
            counting = settings.resolve(rule=rule, payer=payer)
        except PayerProfileError:
            continue  # a conflict: the columns leave it to the one-visit engine
        kept.append((rule, payer))
        expected.append((counting.rule.name, counting.pooling))
    frame = pl.DataFrame(
        {
            "rule": [rule for rule, _ in kept],
            "payer_rule": [payer.rule if payer else None for _, payer in kept],
            "payer_pooling": [payer.pooling if payer else None for _, payer in kept],
        },
        schema={"rule": pl.String, "payer_rule": pl.String, "payer_pooling": pl.String},
    )
    rule, in_force = terms_columns(
        pl.col("rule"),
        pl.col("payer_rule"),
        pl.col("payer_pooling"),
        pooling=pooling,  # type: ignore[arg-type]
    )
    got = frame.select(rule.alias("rule"), in_force.alias("pooling")).rows()
    assert got == expected
