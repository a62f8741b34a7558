"""The facts episodes of care are read from, and what every episode check shares: the
evaluation codes, the limits, a finding's shape in both forms. The checks are in
:mod:`.episodes` (the evaluation and the plan) and :mod:`.episode_periods` (progress
report periods and re-evaluations); their sources are in :mod:`.episodes`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import polars as pl

PLAN_DAYS = 90
"""Ch. 15 220.1.3 B: an initial certification covers at most 90 calendar days."""

PROGRESS_DAYS = 10
"""Ch. 15 220.3 D: a progress report at least once every 10 treatment days."""

PATTERN_MIN = 3
"""Re-evaluations needed before their spacing is a pattern (two gaps): unitcalc's own
choice, not a billing fact."""

EVALUATIONS: Mapping[str, tuple[str, str]] = {
    # code -> (discipline, kind). PT 97161-97163 and re-evaluation 97164, OT 97165-97167
    # and re-evaluation 97168 (CY 2017 PFS final rule, 81 FR 80170; codes.toml sources
    # fr-pfs-cy2017, cms-cr10176-always); SLP evaluations 92521-92524 (codes.toml sources
    # asha-2013-slp-evals, cms-cr10176-always: GN only).
    "97161": ("PT", "evaluation"),
    "97162": ("PT", "evaluation"),
    "97163": ("PT", "evaluation"),
    "97164": ("PT", "re-evaluation"),
    "97165": ("OT", "evaluation"),
    "97166": ("OT", "evaluation"),
    "97167": ("OT", "evaluation"),
    "97168": ("OT", "re-evaluation"),
    "92521": ("SLP", "evaluation"),
    "92522": ("SLP", "evaluation"),
    "92523": ("SLP", "evaluation"),
    "92524": ("SLP", "evaluation"),
}
"""The evaluation and re-evaluation codes; every other therapy code is treatment."""

NO_DISCIPLINE = "(none)"
"""The discipline of the episode of lines whose discipline cannot be told."""

NO_REEVALUATION_CODE = frozenset({"SLP"})
"""Disciplines CPT gives no re-evaluation code (Ch. 15 220.3 C)."""

KINDS = (
    "treatment_before_evaluation",
    "plan_over_90_days",
    "outside_plan",
    "progress_overdue",
    "reevaluation_pattern",
)
"""The finding kinds, in the order findings of one patient and discipline are listed."""

FACT_SCHEMA = {
    "patient": "String",
    "discipline": "String",
    "date": "String",
    "kind": "String",
    "poc_start": "String",
    "certified_through": "String",
    "progress": "String",
    "line": "Int64",
}
"""The facts' columns (polars dtype names): dates as ``YYYY-MM-DD`` text, ``kind`` one
of ``evaluation``, ``re-evaluation``, ``treatment``; ``progress`` the date of a progress
report the line records (null for none)."""


@attrs.frozen
class Fact:
    """One service line as the episodes read it."""

    patient: str
    discipline: str | None
    date: str
    kind: str
    poc_start: str | None = None
    certified_through: str | None = None
    progress: str | None = None
    line: int = 0


def code_kind(code: str) -> str:
    """``evaluation``, ``re-evaluation`` or ``treatment``.

    >>> code_kind("97164"), code_kind("92521"), code_kind("97110")
    ('re-evaluation', 'evaluation', 'treatment')
    """
    return EVALUATIONS.get(code, ("", "treatment"))[1]


def finding(kind: str, facts: Iterable[Fact], **numbers: Any) -> dict[str, Any]:
    chosen = list(facts)
    return {
        "kind": kind,
        "dates": sorted({fact.date for fact in chosen}),
        "lines": sorted(fact.line for fact in chosen),
        **{"plan_start": None, "plan_through": None, "count": None, "every": None},
        **numbers,
    }


def days_between(start: str, end: str) -> int:
    return (datetime.date.fromisoformat(end) - datetime.date.fromisoformat(start)).days


def gathered(chosen: pl.LazyFrame, keys: list[str], kind: str) -> pl.LazyFrame:
    import polars as pl

    return chosen.group_by(keys).agg(
        pl.lit(kind).alias("kind"), pl.col("date").alias("dates"), pl.col("line").alias("lines")
    )
