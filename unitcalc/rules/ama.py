"""The AMA/CPT per-code midpoint rule.

References:
    CPT time rule, "a unit of time is attained when the mid-point is passed", as
    published by payers (Premera "Billing for Time", 2019; Blue Cross of Idaho PAP228).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .base import PoolAllocation, Rule, TimedItem, _per_code, columnar_midpoint, columnar_untied

if TYPE_CHECKING:
    import polars as pl


class AmaRule(Rule):
    """The AMA/CPT per-code midpoint rule."""

    name = "ama"
    aliases = ("cpt", "midpoint", "per-code")
    title = "AMA/CPT per-code midpoint rule"
    summary = (
        "AMA/CPT midpoint rule: count each code on its own; a unit is attained when its "
        "midpoint is passed (8 of 15 minutes), with no pooling of leftovers"
    )
    source = (
        "CPT time rule as published by payers: Premera 'Billing for Time' (2019), "
        "Blue Cross of Idaho policy PAP228"
    )
    pools_minutes = False

    def allocate(self, items: Sequence[TimedItem], *, pool: str | None) -> PoolAllocation:
        units, steps, warnings = _per_code(items, why="CPT midpoint rule")
        chosen = tuple(units)
        return PoolAllocation(chosen, (), 0, chosen, 0, tuple(steps), tuple(warnings))

    def columnar(self, items: pl.LazyFrame) -> pl.LazyFrame:
        import polars as pl

        return columnar_untied(items, columnar_midpoint(pl.col("minutes"), pl.col("unit_minutes")))
