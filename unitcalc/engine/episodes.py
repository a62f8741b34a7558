"""Episodes of care: a patient's dated services under one discipline (PT, OT, SLP are
separate plans of care) read across the whole file, and what an auditor asks of them.

Each service line is a *fact*: the patient, the discipline, the date of service, what the
code is (an evaluation, a re-evaluation, or treatment), the plan of care the line states
(``poc_start``, ``certified_through``) and the date of a progress report it records. The
findings, one row per patient, discipline and kind:

- ``treatment_before_evaluation``: treatment days before the first evaluation of that
  patient and discipline in the file (an evaluation later in the file shows the episode
  began there; a patient with no evaluation in the file began before it, and is not named).
- ``plan_over_90_days``: a plan whose ``certified_through`` is more than
  :data:`PLAN_DAYS` days after its ``poc_start``. Ch. 15 220.1.3 B: the duration of the
  initial plan is that of the plan or "90 calendar days from the date of the initial
  treatment, whichever is less". Whether the 90 days count the first day is not stated:
  this takes the lenient reading (a plan ending on day 91 counted from day 1 passes);
  UNCONFIRMED, and ``plan_days`` is a parameter.
- ``outside_plan``: a treatment or re-evaluation day before the plan's ``poc_start`` or
  after its ``certified_through`` (the line's own plan columns). Initial evaluations are
  left out: the plan is written from them.
- ``progress_overdue``: more than :data:`PROGRESS_DAYS` treatment days in one progress
  report period. Ch. 15 220.3 D: "The minimum progress report period shall be at least
  once every 10 treatment days. The day beginning the first reporting period is the first
  day of the episode of treatment regardless of whether the service provided on that day
  is an evaluation, re-evaluation or treatment." Read here: a period begins on an
  evaluation's day (that day is day 1) or on the first day of service after a progress
  report or re-evaluation; its 11th day of service is named. That a re-evaluation closes a
  period as a progress report does is UNCONFIRMED (ch. 15 220.3 C describes it as judging
  progress toward the goals). Days before the first evaluation, report or re-evaluation in
  the file are not counted: their period began before the file.
- ``reevaluation_pattern``: :data:`PATTERN_MIN` or more re-evaluations of one patient and
  discipline, all the same number of days of service apart, or all the same number of
  calendar days apart. A pattern to review, not a verdict: Ch. 15 220.3 C describes a
  re-evaluation as a professional judgment about continued care (progress toward current
  goals), which a fixed schedule does not show. The measure is unitcalc's own.

Codes: :data:`EVALUATIONS`. CPT defines no re-evaluation code for speech-language
pathology ("use the evaluation code", Ch. 15 220.3 C): an SLP evaluation after the first
one in the file is read as a re-evaluation (:data:`NO_REEVALUATION_CODE`).

A line without a discipline (no discipline column, a code of several disciplines, no
GP/GO/GN) joins its patient's only discipline in the file; with two or none, it is read
in an episode of its own, discipline :data:`NO_DISCIPLINE` (no evaluation is in it, so no
treatment is named for coming before one; its plan and progress reports are read).

Two forms side by side: :func:`patient_findings` reads one patient's facts (the scalar
form, explainable); :func:`episode_frame` reads every patient's in columns (polars);
``tests/engine/test_episodes.py`` holds them equal. The facts, codes and limits are in
:mod:`.episode_facts`; the progress report periods and re-evaluation patterns, each in
both forms, in :mod:`.episode_periods`. :func:`word` gives a finding's message.

References:
    CMS Pub. 100-02, Medicare Benefit Policy Manual, Chapter 15, section 220.1.3 B
    (duration of the initial certification, at most 90 calendar days) and section 220.3
    C (re-evaluation; no SLP re-evaluation code) and D (progress report at least once
    every 10 treatment days), read as the copy at old.bansdoc.gov.bd/eBook/42 pages
    181, 200.
    CMS, CY 2025 Physician Fee Schedule final rule, CMS-1807-F, 89 FR 97710, 97912-97918
    (for dates of service from 1 January 2025 a signed order or referral and the plan's
    transmission within 30 days meet the initial certification's signature requirement;
    as summarised by Noridian JE, "Outpatient Therapy Certification Plan of Care", and
    APTA): the plan's dates are still what this module reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .episode_facts import (
    KINDS,
    NO_DISCIPLINE,
    NO_REEVALUATION_CODE,
    PLAN_DAYS,
    PROGRESS_DAYS,
    Fact,
    days_between,
    finding,
    gathered,
)
from .episode_periods import pattern_frame, progress_frame, progress_overdue, reevaluation_pattern

if TYPE_CHECKING:
    import polars as pl


# --- the scalar form -------------------------------------------------------------------


def patient_findings(
    facts: Sequence[Fact],
    *,
    plan_days: int = PLAN_DAYS,
    progress_days: int | None = PROGRESS_DAYS,
) -> list[dict[str, Any]]:
    """One patient's findings from its facts (any order), as :func:`episode_frame` gives
    them; ``progress_days=None`` skips the progress report check (no column for it)."""
    named = {fact.discipline for fact in facts if fact.discipline is not None}
    only = next(iter(named)) if len(named) == 1 else NO_DISCIPLINE
    by_discipline: dict[str, list[Fact]] = {}
    for fact in facts:
        by_discipline.setdefault(fact.discipline or only, []).append(fact)
    out: list[dict[str, Any]] = []
    for discipline, own in sorted(by_discipline.items()):
        own = _relabelled(own, discipline)
        found = [
            _before_evaluation(own),
            *_long_plans(own, plan_days),
            _outside_plan(own),
            progress_overdue(own, progress_days) if progress_days is not None else None,
            reevaluation_pattern(own),
        ]
        for row in found:
            if row is not None:
                out.append({"patient": own[0].patient, "discipline": discipline, **row})
    return sorted(out, key=_order)


def _relabelled(facts: list[Fact], discipline: str) -> list[Fact]:
    """An SLP evaluation after the first one's day is a re-evaluation."""
    if discipline not in NO_REEVALUATION_CODE:
        return facts
    days = [fact.date for fact in facts if fact.kind == "evaluation"]
    first = min(days, default=None)
    return [
        attrs.evolve(fact, kind="re-evaluation")
        if fact.kind == "evaluation" and first is not None and fact.date > first
        else fact
        for fact in facts
    ]


def _before_evaluation(facts: list[Fact]) -> dict[str, Any] | None:
    first = min((fact.date for fact in facts if fact.kind == "evaluation"), default=None)
    early = [f for f in facts if f.kind == "treatment" and first is not None and f.date < first]
    return finding("treatment_before_evaluation", early) if early else None


def _long_plans(facts: list[Fact], plan_days: int) -> list[dict[str, Any]]:
    plans: dict[tuple[str, str], list[Fact]] = {}
    for fact in facts:
        if fact.poc_start is not None and fact.certified_through is not None:
            plans.setdefault((fact.poc_start, fact.certified_through), []).append(fact)
    out = []
    for (start, through), carrying in sorted(plans.items()):
        days = days_between(start, through)
        if days > plan_days:
            out.append(
                finding(
                    "plan_over_90_days",
                    carrying,
                    plan_start=start,
                    plan_through=through,
                    count=days,
                )
            )
    return out


def _outside_plan(facts: list[Fact]) -> dict[str, Any] | None:
    outside = [
        fact
        for fact in facts
        if fact.kind != "evaluation"
        and (
            (fact.poc_start is not None and fact.date < fact.poc_start)
            or (fact.certified_through is not None and fact.date > fact.certified_through)
        )
    ]
    return finding("outside_plan", outside) if outside else None


def _order(row: Mapping[str, Any]) -> tuple[Any, ...]:
    plan = (row["plan_start"] or "", row["plan_through"] or "")
    return (row["patient"], row["discipline"], KINDS.index(row["kind"]), plan, row["dates"])


def word(row: Mapping[str, Any]) -> str:
    """A finding's message, for a biller.

    >>> word({"kind": "outside_plan", "dates": ["2026-03-20", "2026-03-23"]})
    "service on 2026-03-20, 2026-03-23 outside the plan of care's dates"
    """
    kind, dates = row["kind"], ", ".join(row["dates"])
    if kind == "treatment_before_evaluation":
        return f"treatment on {dates} before the first evaluation in the file"
    if kind == "plan_over_90_days":
        return (
            f"plan of care {row['plan_start']} to {row['plan_through']} runs {row['count']} "
            "days, more than the 90 calendar days of a certification (Ch. 15 220.1.3 B)"
        )
    if kind == "outside_plan":
        return f"service on {dates} outside the plan of care's dates"
    if kind == "progress_overdue":
        return (
            f"no progress report, re-evaluation or evaluation within {row['count']} "
            f"treatment days: {dates} is past them (Ch. 15 220.3 D)"
        )
    return (
        f"pattern to review: {row['count']} re-evaluations, one every {row['every']} "
        f"({dates}); a re-evaluation follows a change in status, not a schedule"
    )


# --- the columnar form -----------------------------------------------------------------


def episode_frame(
    facts: pl.DataFrame,
    *,
    plan_days: int = PLAN_DAYS,
    progress_days: int | None = PROGRESS_DAYS,
) -> pl.DataFrame:
    """The columnar form of :func:`patient_findings` over every patient's facts
    (:data:`FACT_SCHEMA`): one row per finding, the same columns, in the same order.
    One lazy plan on the in-memory engine, the facts made once and read by every
    check: on a few facts it takes half the time of the eager steps, and less on many."""
    return _episode_plan(facts.lazy(), plan_days, progress_days).collect(engine="in-memory")


def _episode_plan(facts: pl.LazyFrame, plan_days: int, progress_days: int | None) -> pl.LazyFrame:
    import polars as pl

    named = pl.col("discipline").drop_nulls()
    only = (
        pl.when(named.n_unique().over("patient") == 1)
        .then(named.first().over("patient"))
        .otherwise(pl.lit(NO_DISCIPLINE))
    )
    facts = facts.with_columns(
        pl.when(pl.col("discipline").is_null()).then(only).otherwise(pl.col("discipline"))
    )
    episode = ["patient", "discipline"]
    first_eval = pl.col("date").filter(pl.col("kind") == "evaluation").min().over(episode)
    facts = facts.with_columns(
        pl.when(
            (pl.col("kind") == "evaluation")
            & pl.col("discipline").is_in(list(NO_REEVALUATION_CODE))
            & (pl.col("date") > first_eval)
        )
        .then(pl.lit("re-evaluation"))
        .otherwise(pl.col("kind"))
        .alias("kind")
    )
    facts = facts.collect(engine="in-memory").lazy()  # read by every check below: made once
    parts = [
        _before_evaluation_frame(facts, episode),
        _long_plans_frame(facts, episode, plan_days),
        _outside_plan_frame(facts, episode),
        pattern_frame(facts, episode),
    ]
    if progress_days is not None:
        parts.append(progress_frame(facts, episode, progress_days))
    found = pl.concat([_shaped(part) for part in parts], how="vertical")
    order = pl.col("kind").replace_strict(list(KINDS), list(range(len(KINDS))))
    plan = [pl.col("plan_start").fill_null(""), pl.col("plan_through").fill_null("")]
    return found.sort(*episode, order, *plan, pl.col("dates").list.first()).select(_COLUMNS)


_COLUMNS = [
    "patient", "discipline", "kind", "dates", "lines",
    "plan_start", "plan_through", "count", "every",
]  # fmt: skip


def _shaped(found: pl.LazyFrame) -> pl.LazyFrame:
    import polars as pl

    defaults = {
        "plan_start": pl.String,
        "plan_through": pl.String,
        "count": pl.Int64,
        "every": pl.String,
    }
    found = found.with_columns(
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in defaults.items()
        if name not in found.collect_schema().names()
    )
    return found.with_columns(
        pl.col("dates").list.unique().list.sort(),
        pl.col("lines").list.sort(),
        pl.col("count").cast(pl.Int64),
    ).select(_COLUMNS)


def _before_evaluation_frame(facts: pl.LazyFrame, episode: list[str]) -> pl.LazyFrame:
    import polars as pl

    first = pl.col("date").filter(pl.col("kind") == "evaluation").min().over(episode)
    early = facts.filter((pl.col("kind") == "treatment") & (pl.col("date") < first))
    return gathered(early, episode, "treatment_before_evaluation")


def _long_plans_frame(facts: pl.LazyFrame, episode: list[str], plan_days: int) -> pl.LazyFrame:
    import polars as pl

    span = (
        pl.col("certified_through").str.to_date("%Y-%m-%d")
        - pl.col("poc_start").str.to_date("%Y-%m-%d")
    ).dt.total_days()
    long = facts.filter(
        pl.col("poc_start").is_not_null() & pl.col("certified_through").is_not_null()
    ).filter(span > plan_days)
    plan = [*episode, "poc_start", "certified_through"]
    return gathered(
        long.with_columns(span.alias("count")), [*plan, "count"], "plan_over_90_days"
    ).rename({"poc_start": "plan_start", "certified_through": "plan_through"})


def _outside_plan_frame(facts: pl.LazyFrame, episode: list[str]) -> pl.LazyFrame:
    import polars as pl

    outside = (pl.col("date") < pl.col("poc_start")).fill_null(False) | (
        pl.col("date") > pl.col("certified_through")
    ).fill_null(False)
    chosen = facts.filter((pl.col("kind") != "evaluation") & outside)
    return gathered(chosen, episode, "outside_plan")


def frame_rows(found: pl.DataFrame) -> list[dict[str, Any]]:
    """The columnar findings as the scalar form gives them."""
    return [dict(row) for row in found.iter_rows(named=True)]
