"""Episodes of care in both forms: one patient's facts read one by one
(patient_findings) and every patient's in columns (episode_frame), held equal; and each
check on the examples of its source (Ch. 15 220.1.3 B, 220.3 C and D)."""

from __future__ import annotations

import datetime

import attrs
import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.engine.episode_facts import FACT_SCHEMA, Fact, code_kind
from unitcalc.engine.episodes import episode_frame, frame_rows, patient_findings, word

START = datetime.date(2026, 3, 2)


def day(offset: int) -> str:
    return (START + datetime.timedelta(days=offset)).isoformat()


def frame(facts: list[Fact]) -> pl.DataFrame:
    schema = {name: getattr(pl, dtype) for name, dtype in FACT_SCHEMA.items()}
    return pl.DataFrame([attrs.asdict(fact) for fact in facts], schema=schema)


def both(facts: list[Fact], **options: int | None) -> list[dict[str, object]]:
    """The findings of both forms, asserted equal."""
    scalar = []
    for patient in sorted({fact.patient for fact in facts}):
        own = [fact for fact in facts if fact.patient == patient]
        scalar += patient_findings(own, **options)  # type: ignore[arg-type]
    columnar = frame_rows(episode_frame(frame(facts), **options))  # type: ignore[arg-type]
    assert columnar == scalar
    return scalar


facts_strategy = st.lists(
    st.builds(
        Fact,
        patient=st.sampled_from(("p1", "p2")),
        discipline=st.sampled_from(("PT", "SLP", None)),
        date=st.integers(0, 40).map(day),
        kind=st.sampled_from(("evaluation", "re-evaluation", "treatment", "treatment")),
        poc_start=st.none() | st.integers(-5, 10).map(day),
        certified_through=st.none() | st.integers(20, 120).map(day),
        progress=st.none() | st.integers(0, 40).map(day),
        line=st.integers(1, 10_000),
    ),
    max_size=40,
    unique_by=lambda fact: fact.line,
)


@given(facts_strategy, st.sampled_from((None, 3, 10)))
@example(
    [
        Fact("p1", "PT", day(n), "re-evaluation" if n % 4 == 0 else "treatment", line=n + 1)
        for n in range(13)
    ],
    3,
)
def test_both_forms_agree(facts: list[Fact], progress_days: int | None) -> None:
    both(facts, progress_days=progress_days)


def test_evaluation_codes() -> None:
    assert [code_kind(c) for c in ("97161", "97164", "97168", "92523", "97110")] == [
        "evaluation", "re-evaluation", "re-evaluation", "evaluation", "treatment",
    ]  # fmt: skip


def test_treatment_before_the_first_evaluation() -> None:
    facts = [
        Fact("p1", "PT", day(0), "treatment", line=2),
        Fact("p1", "PT", day(1), "treatment", line=3),
        Fact("p1", "PT", day(2), "evaluation", line=4),
        Fact("p1", "PT", day(3), "treatment", line=5),
        # Another discipline's plan: OT's evaluation says nothing of PT, and a patient with
        # no evaluation in the file began before it.
        Fact("p1", "OT", day(0), "treatment", line=6),
        Fact("p2", "PT", day(0), "treatment", line=7),
    ]
    found = both(facts)
    assert [(f["patient"], f["discipline"], f["kind"], f["dates"], f["lines"]) for f in found] == [
        ("p1", "PT", "treatment_before_evaluation", [day(0), day(1)], [2, 3])
    ]
    assert (
        word(found[0]) == f"treatment on {day(0)}, {day(1)} before the first evaluation in the file"
    )


def test_a_line_without_discipline_joins_the_patients_only_one() -> None:
    facts = [
        Fact("p1", None, day(0), "treatment", line=2),
        Fact("p1", "PT", day(1), "evaluation", line=3),
        # Two disciplines named: the line cannot be placed, and is read in an episode of
        # its own (no evaluation in it), its plan still read.
        Fact("p2", None, day(0), "treatment", day(1), day(30), line=4),
        Fact("p2", "PT", day(1), "evaluation", line=5),
        Fact("p2", "OT", day(1), "evaluation", line=6),
    ]
    assert [(f["patient"], f["discipline"], f["kind"], f["lines"]) for f in both(facts)] == [
        ("p1", "PT", "treatment_before_evaluation", [2]),
        ("p2", "(none)", "outside_plan", [4]),
    ]


@pytest.mark.parametrize(
    ("through", "found"),
    [(90, False), (91, True), (89, False)],
    ids=["90-days-after", "91-days-after", "89-days-after"],
)
def test_plan_longer_than_90_days(through: int, found: bool) -> None:
    # 220.1.3 B: the initial certification covers the plan's duration or 90 calendar days
    # from the initial treatment, whichever is less (the first day counted or not is
    # unstated: the lenient reading).
    facts = [Fact("p1", "PT", day(0), "evaluation", day(0), day(through), line=2)]
    kinds = [f["kind"] for f in both(facts)]
    assert kinds == (["plan_over_90_days"] if found else [])
    if found:
        assert word(both(facts)[0]).startswith(f"plan of care {day(0)} to {day(through)} runs 91")
    assert [f["kind"] for f in both(facts, plan_days=89)] == (
        ["plan_over_90_days"] * (through > 89)
    )


def test_a_day_outside_the_plan() -> None:
    facts = [
        Fact("p1", "PT", day(0), "evaluation", day(1), day(30), line=2),  # evaluation: before
        Fact("p1", "PT", day(1), "treatment", day(1), day(30), line=3),
        Fact("p1", "PT", day(31), "treatment", day(1), day(30), line=4),
        Fact("p1", "PT", day(32), "re-evaluation", None, day(30), line=5),
    ]
    found = both(facts)
    assert [(f["kind"], f["dates"], f["lines"]) for f in found] == [
        ("outside_plan", [day(31), day(32)], [4, 5])
    ]


def test_progress_report_every_10_treatment_days() -> None:
    # 220.3 D: at least once every 10 treatment days, the first period beginning on the
    # episode's first day whatever its service (an evaluation here: day 1).
    eleven = [Fact("p1", "PT", day(0), "evaluation", line=1)] + [
        Fact("p1", "PT", day(n), "treatment", line=n + 1) for n in range(1, 11)
    ]
    found = both(eleven)
    assert [(f["kind"], f["dates"], f["lines"]) for f in found] == [
        ("progress_overdue", [day(10)], [11])
    ]
    assert "within 10 treatment days" in word(found[0])
    assert both(eleven[:10]) == []  # the 10th day is still in time
    # A report written on the 10th day closes the period: the 11th day opens the next.
    reported = [*eleven[:9], attrs.evolve(eleven[9], progress=day(9)), eleven[10]]
    assert both(reported) == []
    # Without the column the check does not run.
    assert both(eleven, progress_days=None) == []
    # Days before any evaluation, report or re-evaluation in the file are not counted.
    assert both(eleven[1:]) == []


def test_reevaluations_on_a_schedule_are_a_pattern_to_review() -> None:
    facts = [
        Fact("p1", "PT", day(n), "re-evaluation" if n in (3, 8, 13) else "treatment", line=n + 1)
        for n in range(14)
    ]
    found = both(facts, progress_days=None)
    assert [(f["kind"], f["count"], f["every"], f["lines"]) for f in found] == [
        ("reevaluation_pattern", 3, "5 days of service", [4, 9, 14])
    ]
    assert word(found[0]).startswith("pattern to review: 3 re-evaluations, one every 5 days")
    # Irregular: no pattern.
    moved = [attrs.evolve(f, kind="treatment") if f.line == 9 else f for f in facts]
    moved[6] = attrs.evolve(moved[6], kind="re-evaluation")
    assert both(moved, progress_days=None) == []


def test_slp_evaluation_after_the_first_is_a_reevaluation() -> None:
    # 220.3 C: CPT defines no SLP re-evaluation code; the evaluation code is used.
    facts = [
        Fact("p1", "SLP", day(n), "evaluation" if n in (0, 4, 8, 12) else "treatment", line=n + 1)
        for n in range(13)
    ]
    found = both(facts, progress_days=None)
    assert [(f["kind"], f["count"], f["dates"]) for f in found] == [
        ("reevaluation_pattern", 3, [day(4), day(8), day(12)])
    ]
