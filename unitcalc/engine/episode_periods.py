"""Progress report periods and re-evaluations, in both forms: the scalar form reads one
patient and discipline's facts (:func:`progress_overdue`, :func:`reevaluation_pattern`),
the columnar form every one's (:func:`progress_frame`, :func:`pattern_frame`);
``tests/engine/test_episode_periods.py`` holds each pair equal.

References:
    CMS Pub. 100-02, Medicare Benefit Policy Manual, Chapter 15, section 220.3 C
    (re-evaluation: a professional judgment about continued care) and D ("The minimum
    progress report period shall be at least once every 10 treatment days"; the first
    period begins on the first day of the episode, whatever its service); read as the
    copy at old.bansdoc.gov.bd/eBook/42 page 200. How they are read: :mod:`.episodes`.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from .episode_facts import PATTERN_MIN, Fact, days_between, finding, gathered

if TYPE_CHECKING:
    import polars as pl


def progress_overdue(facts: list[Fact], limit: int) -> dict[str, Any] | None:
    """Walk the days in order: an evaluation opens a period on its day; a progress report
    or re-evaluation closes the period it falls in; the period's day ``limit + 1`` is
    named."""
    service = {fact.date for fact in facts}
    opens = {fact.date for fact in facts if fact.kind == "evaluation"}
    closes = {fact.date for fact in facts if fact.kind == "re-evaluation"}
    closes |= {fact.progress for fact in facts if fact.progress is not None}
    counted: int | None = None
    late: set[str] = set()
    for day in sorted(service | closes):
        if day in opens:
            counted = 0
        if day in service and counted is not None:
            counted += 1
            if counted == limit + 1:
                late.add(day)
        if day in closes:
            counted = 0
    if not late:
        return None
    return finding("progress_overdue", (f for f in facts if f.date in late), count=limit)


def reevaluation_pattern(facts: list[Fact]) -> dict[str, Any] | None:
    service = sorted({fact.date for fact in facts})
    again = sorted({fact.date for fact in facts if fact.kind == "re-evaluation"})
    if len(again) < PATTERN_MIN:
        return None
    reached = [sum(day <= date for day in service) for date in again]
    by_visits = {later - earlier for earlier, later in itertools.pairwise(reached)}
    by_days = {days_between(a, b) for a, b in itertools.pairwise(again)}
    if len(by_visits) == 1:
        every = f"{by_visits.pop()} days of service"
    elif len(by_days) == 1:
        every = f"{by_days.pop()} calendar days"
    else:
        return None
    chosen = (fact for fact in facts if fact.kind == "re-evaluation")
    return finding("reevaluation_pattern", chosen, count=len(again), every=every)


def _days(facts: pl.LazyFrame, episode: list[str]) -> pl.LazyFrame:
    """One row per patient, discipline and day (of service or of a progress report),
    in date order: whether it is a day of service, opens or closes a period."""
    import polars as pl

    served = facts.group_by([*episode, "date"]).agg(
        pl.lit(True).alias("service"),
        (pl.col("kind") == "evaluation").any().alias("opens"),
        (pl.col("kind") == "re-evaluation").any().alias("closes"),
    )
    reports = (
        facts.filter(pl.col("progress").is_not_null())
        .select(*episode, pl.col("progress").alias("date"))
        .unique()
        .with_columns(pl.lit(True).alias("reported"))
    )
    days = served.join(reports, on=[*episode, "date"], how="full", coalesce=True)
    return days.with_columns(
        pl.col("service").fill_null(False),
        pl.col("opens").fill_null(False),
        (pl.col("closes").fill_null(False) | pl.col("reported").fill_null(False)).alias("closes"),
    ).sort(*episode, "date")


def progress_frame(facts: pl.LazyFrame, episode: list[str], limit: int) -> pl.LazyFrame:
    import polars as pl

    days = _days(facts, episode)
    opened = pl.col("opens").cast(pl.Int64)
    closed = pl.col("closes").cast(pl.Int64)
    # A period's number: the openings up to this day and the closings before it. Days
    # before the first opening or closing are in period 0, not counted.
    period = (opened.cum_sum() + closed.cum_sum() - closed).over(episode).alias("period")
    days = days.with_columns(period)
    number = pl.col("service").cast(pl.Int64).cum_sum().over([*episode, "period"])
    late = days.filter((pl.col("period") > 0) & pl.col("service") & (number == limit + 1)).select(
        *episode, "date"
    )
    chosen = facts.join(late, on=[*episode, "date"], how="semi")
    return gathered(chosen, episode, "progress_overdue").with_columns(
        pl.lit(limit, dtype=pl.Int64).alias("count")
    )


def pattern_frame(facts: pl.LazyFrame, episode: list[str]) -> pl.LazyFrame:
    import polars as pl

    # Only the episodes with enough re-evaluations for a pattern are read further.
    again_days = pl.col("date").filter(pl.col("kind") == "re-evaluation").n_unique()
    enough = facts.group_by(episode).agg(again_days.alias("__again"))
    enough = enough.filter(pl.col("__again") >= PATTERN_MIN).select(episode)
    facts = facts.join(enough, on=episode, how="semi")
    days = _days(facts, episode).filter(pl.col("service"))
    reached = days.with_columns(pl.col("service").cast(pl.Int64).cum_sum().over(episode).alias("n"))
    again = (
        facts.filter(pl.col("kind") == "re-evaluation")
        .select(*episode, "date")
        .unique()
        .join(reached.select(*episode, "date", "n"), on=[*episode, "date"])
        .sort(*episode, "date")
        .with_columns(
            pl.col("n").diff().over(episode).alias("by_visits"),
            pl.col("date")
            .str.to_date("%Y-%m-%d")
            .diff()
            .dt.total_days()
            .over(episode)
            .alias("by_days"),
        )
    )
    spacing = again.group_by(episode).agg(
        pl.len().alias("count"),
        pl.col("by_visits").drop_nulls().unique().alias("visits"),
        pl.col("by_days").drop_nulls().unique().alias("days"),
    )
    every = (
        pl.when(pl.col("visits").list.len() == 1)
        .then(pl.col("visits").list.first().cast(pl.String) + " days of service")
        .when(pl.col("days").list.len() == 1)
        .then(pl.col("days").list.first().cast(pl.String) + " calendar days")
    )
    pattern = (
        spacing.filter(pl.col("count") >= PATTERN_MIN)
        .with_columns(every.alias("every"))
        .filter(pl.col("every").is_not_null())
        .select(*episode, "count", "every")
    )
    chosen = facts.filter(pl.col("kind") == "re-evaluation").join(pattern, on=episode)
    return gathered(chosen, [*episode, "count", "every"], "reevaluation_pattern")
