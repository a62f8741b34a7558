"""Commercial 15-minute rounding up: every started unit counts (a payer contract term).

References:
    Secondary sources only (practice-management systems offering it as a contract
    option); use it only where a contract says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.text import count_of
from .base import PoolAllocation, Rule, TimedItem, columnar_untied

if TYPE_CHECKING:
    import polars as pl


class RoundUpRule(Rule):
    """Commercial 15-minute rounding up: every started unit counts."""

    name = "commercial-15"
    aliases = ("round-up", "commercial")
    title = "Commercial 15-minute rounding up"
    summary = (
        "Commercial rounding up: each code on its own, every started unit counts (1-15 "
        "minutes = 1 unit, 16-30 = 2); a payer contract term, not the 8-minute rule"
    )
    source = (
        "Payer contract term offered by some practice-management systems (unitcalc domain "
        "reference, section 5, secondary sources); use it only where a contract says so"
    )
    pools_minutes = False

    def allocate(self, items: Sequence[TimedItem], *, pool: str | None) -> PoolAllocation:
        units: list[int] = []
        steps: list[str] = []
        for item in items:
            if item.uniform:
                count = -(-item.minutes // item.unit_minutes)
            else:
                # A family: the first unit once started, then every started add-on unit.
                further = item.further_unit_minutes or item.unit_minutes
                rest = max(0, item.minutes - item.unit_minutes)
                count = (1 if item.minutes > 0 else 0) + -(-rest // further)
            units.append(count)
            steps.append(
                f"{item.name}: {item.minutes} min = {count_of(count, 'unit')} (every started "
                f"{item.unit_minutes}-minute unit counts under this contract term)"
            )
        chosen = tuple(units)
        return PoolAllocation(chosen, (), 0, chosen, 0, tuple(steps), ())

    def columnar(self, items: pl.LazyFrame) -> pl.LazyFrame:
        import polars as pl

        minutes, unit = pl.col("minutes"), pl.col("unit_minutes")
        return columnar_untied(items, (minutes + unit - 1) // unit)
