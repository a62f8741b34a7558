"""Progress report periods and re-evaluation patterns in both forms: one patient and
discipline's facts (progress_overdue, reevaluation_pattern) and every one's in columns
(progress_frame, pattern_frame), held equal."""

from __future__ import annotations

import datetime

import attrs
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from unitcalc.engine.episode_facts import FACT_SCHEMA, Fact
from unitcalc.engine.episode_periods import (
    pattern_frame,
    progress_frame,
    progress_overdue,
    reevaluation_pattern,
)

EPISODE = ["patient", "discipline"]


def day(offset: int) -> str:
    return (datetime.date(2026, 3, 2) + datetime.timedelta(days=offset)).isoformat()


facts_strategy = st.lists(
    st.builds(
        Fact,
        patient=st.sampled_from(("p1", "p2")),
        discipline=st.sampled_from(("PT", "OT")),
        date=st.integers(0, 30).map(day),
        kind=st.sampled_from(("evaluation", "re-evaluation", "treatment", "treatment")),
        progress=st.none() | st.integers(0, 30).map(day),
        line=st.integers(1, 10_000),
    ),
    max_size=40,
    unique_by=lambda fact: fact.line,
)


def scalar(facts: list[Fact], check: object) -> dict[tuple[str, str], dict[str, object]]:
    out = {}
    for key in sorted({(fact.patient, fact.discipline or "") for fact in facts}):
        own = [fact for fact in facts if (fact.patient, fact.discipline) == key]
        found = check(own)  # type: ignore[operator]
        if found is not None:
            out[key] = found
    return out


def columnar(frame: pl.DataFrame) -> dict[tuple[str, str], dict[str, object]]:
    out = {}
    for row in frame.iter_rows(named=True):
        key = (row.pop("patient"), row.pop("discipline"))
        row["dates"] = sorted(set(row["dates"]))
        row["lines"] = sorted(row["lines"])
        out[key] = row
    return out


@given(facts_strategy, st.sampled_from((2, 3, 10)))
def test_progress_periods_in_both_forms(facts: list[Fact], limit: int) -> None:
    schema = {name: getattr(pl, dtype) for name, dtype in FACT_SCHEMA.items()}
    frame = pl.DataFrame([attrs.asdict(fact) for fact in facts], schema=schema)
    expected = scalar(facts, lambda own: progress_overdue(own, limit))
    got = columnar(progress_frame(frame, EPISODE, limit))
    assert got == {
        key: {k: v for k, v in row.items() if k in got.get(key, {})}
        for key, row in expected.items()
    }
    assert all(row["kind"] == "progress_overdue" for row in got.values())


@given(facts_strategy)
def test_reevaluation_patterns_in_both_forms(facts: list[Fact]) -> None:
    schema = {name: getattr(pl, dtype) for name, dtype in FACT_SCHEMA.items()}
    frame = pl.DataFrame([attrs.asdict(fact) for fact in facts], schema=schema)
    expected = scalar(facts, reevaluation_pattern)
    got = columnar(pattern_frame(frame, EPISODE))
    assert got == {
        key: {k: v for k, v in row.items() if k in got.get(key, {})}
        for key, row in expected.items()
    }
