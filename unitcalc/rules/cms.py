"""The Medicare total-time ("8-minute") rule.

References:
    CMS Pub. 100-04, Medicare Claims Processing Manual, Chapter 5, section 20.2 (unit
    table, allocation by full 15-minute blocks then largest leftovers, Examples 1-5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.model import Note
from ..core.text import count_of
from .base import (
    PoolAllocation,
    Rule,
    TimedItem,
    _band,
    _names,
    _per_code,
    _remain,
    cms_extras,
    cms_total_units,
    columnar_midpoint,
)

if TYPE_CHECKING:
    import polars as pl


class CmsRule(Rule):
    """The Medicare total-time ("8-minute") rule with allocation among codes."""

    name = "cms"
    aliases = ("medicare", "cms-8-minute")
    title = "Medicare total-time rule"
    summary = (
        "Medicare 8-minute rule: add up the day's timed minutes, take units from the "
        "total, then allocate them among codes by full 15-minute blocks and largest leftovers"
    )
    source = "CMS Pub. 100-04, Medicare Claims Processing Manual, Ch. 5, section 20.2"
    pools_minutes = True

    def allocate(self, items: Sequence[TimedItem], *, pool: str | None) -> PoolAllocation:
        pooled = [i for i, item in enumerate(items) if item.unit_minutes == 15 and item.uniform]
        alone = [i for i in range(len(items)) if i not in pooled]
        base = [0] * len(items)
        steps: list[str] = []
        warnings: list[Note] = []
        if alone:
            alone_units, alone_steps, alone_warnings = _per_code(
                [items[i] for i in alone],
                why="counted on its own: the total-time table is for 15-minute codes",
            )
            for i, count in zip(alone, alone_units, strict=True):
                base[i] = count
            steps.extend(alone_steps)
            warnings.extend(alone_warnings)
        if not pooled:
            unique = tuple(base)
            return PoolAllocation(unique, (), 0, unique, 0, tuple(steps), tuple(warnings))

        total = sum(items[i].minutes for i in pooled)
        total_units = cms_total_units(total)
        parts = " + ".join(f"{items[i].name} {items[i].minutes}" for i in pooled)
        heading = f"Timed minutes ({pool})" if pool else "Timed minutes"
        steps.append(
            f"{heading}: {parts} = {total} min, in the {_band(total_units, 15)} "
            f"min band of the unit table = {count_of(total_units, 'unit')} (CMS 20.2)"
        )
        if total_units == 0:
            if total > 0:
                steps.append(
                    "Fewer than 8 timed minutes in all: no timed unit is billable (CMS 20.2)"
                )
                where = f" ({pool})" if pool else ""
                warnings.append(
                    Note(
                        f"No timed unit{where}: {total} timed min in all ({parts}), fewer "
                        "than 8 (CMS 20.2)",
                        kind="no-timed-unit",
                    )
                )
            unique = tuple(base)
            return PoolAllocation(unique, (), 0, unique, 0, tuple(steps), tuple(warnings))

        blocks = {i: items[i].minutes // 15 for i in pooled}
        leftover = {i: items[i].minutes % 15 for i in pooled}
        for i in pooled:
            base[i] = blocks[i]
        steps.append(
            "; ".join(
                f"{items[i].name}: {count_of(blocks[i], 'full unit')}, {leftover[i]} min left"
                for i in pooled
            )
        )
        full = sum(blocks.values())
        remaining = total_units - full
        tied: tuple[int, ...] = ()
        shared = 0
        cut = 0
        chosen = list(base)
        if remaining == 0:
            steps.append(
                f"Full 15-minute blocks account for the {count_of(total_units, 'unit')}; "
                "leftover minutes earn nothing more (CMS 20.2)"
            )
        else:
            # Each code keeps its full blocks; the rest go one each to the largest
            # leftovers. remaining never exceeds the number of codes with a leftover,
            # because (sum of leftovers + 7) // 15 <= number of leftovers.
            above_at, at_cut_at, need, cut = cms_extras([leftover[i] for i in pooled], remaining)
            above = [pooled[j] for j in above_at]
            at_cut = sorted((pooled[j] for j in at_cut_at), key=lambda i: items[i].rank)
            for i in above:
                base[i] += 1
                chosen[i] += 1
            lead = f"Full 15-minute blocks take {count_of(full, 'unit')}; " if full else ""
            if need == len(at_cut):
                for i in at_cut:
                    base[i] += 1
                    chosen[i] += 1
                winners = sorted(above + at_cut, key=lambda i: -leftover[i])
                goes = (
                    "1 unit remains and goes to"
                    if remaining == 1
                    else f"{remaining} units remain, one each to"
                )
                steps.append(
                    f"{lead}{goes} {_names(items, winners)}, the largest leftover"
                    f"{'s' * (remaining != 1)} (CMS 20.2)"
                )
            else:
                tied = tuple(at_cut)
                shared = need
                picked = at_cut[:need]
                for i in picked:
                    chosen[i] += 1
                given = (
                    f"{_names(items, above)} take{'s' * (len(above) == 1)} "
                    f"{count_of(len(above), 'unit')} for the larger "
                    f"leftover{'s' * (len(above) != 1)}; "
                    if above
                    else ""
                )
                last = "the last unit" if need == 1 else f"the last {need} units"
                steps.append(
                    f"{lead}{count_of(remaining, 'unit')} {_remain(remaining)}; {given}"
                    f"{_names(items, at_cut)} tie with {cut} min left each for {last}: "
                    "a tie the clinician may settle either way (CMS 20.2, Examples 2 and 5)"
                )
                steps.append(
                    f"unitcalc gives {'it' if need == 1 else 'them'} to "
                    f"{_names(items, picked)} (tie preference, then more total minutes, then "
                    "input order); every other choice is equally compliant (see the "
                    "alternatives)"
                )
        where = f" ({pool})" if pool else ""
        for i in pooled:
            item = items[i]
            if chosen[i] == 0 and item.minutes >= 8:
                if i in tied:
                    rivals = [j for j in tied if j != i]
                    why = (
                        f"it tied with {_names(items, rivals)} for the last "
                        f"unit{'s' * (shared != 1)} and another choice is equally compliant "
                        "(see the alternatives)"
                    )
                else:
                    why = "they went to codes with larger leftovers (CMS 20.2, Example 4)"
                warnings.append(
                    Note(
                        f"{item.name}{where} has {item.minutes} min but gets no unit: the "
                        f"{total} timed min support {count_of(total_units, 'unit')}, and {why}",
                        kind="no-unit",
                        codes=item.codes,
                    )
                )
            elif chosen[i] and item.minutes < 8:
                warnings.append(
                    Note(
                        f"{item.name}{where} bills {count_of(chosen[i], 'unit')} for "
                        f"{item.minutes} min, fewer than 8: compliant because the day's total "
                        "supports the unit (CMS 20.2, Examples 3 and 5); counted on its own it "
                        "would get none",
                        kind="under-eight",
                        codes=item.codes,
                    )
                )
        return PoolAllocation(
            tuple(base), tied, shared, tuple(chosen), cut, tuple(steps), tuple(warnings)
        )

    def columnar(self, items: pl.LazyFrame) -> pl.LazyFrame:
        """The same count over many pools: the pool's 15-minute codes summed into the
        unit table, full blocks, then the units left by leftover rank within the pool.
        Items are sorted by pool and leftover (largest first); an item whose run of
        equal leftovers ends inside the units left surely gets one, and one whose run
        straddles the last unit is tied: exactly how :func:`cms_extras` cuts the sorted
        leftovers."""
        import polars as pl

        minutes, unit = pl.col("minutes"), pl.col("unit_minutes")
        pooled = unit == 15
        leftover = pl.when(pooled & (minutes % 15 > 0)).then(minutes % 15).otherwise(0)
        staged = (
            items.with_columns(
                _pooled_minutes=pl.when(pooled).then(minutes).otherwise(0),
                _blocks=pl.when(pooled).then(minutes // 15).otherwise(0),
                _leftover=leftover,
            )
            .sort("pool", "_leftover", descending=[False, True])
            .with_row_index("_at")
            .with_columns(_run=pl.struct("pool", "_leftover").rle_id())
            .with_columns(pl.col("pool").set_sorted(), pl.col("_run").set_sorted())
        )
        in_pool = pl.col("_at").cast(pl.Int64) - pl.col("_at").min().over("pool").cast(pl.Int64)
        staged = staged.with_columns(
            _total=pl.col("_pooled_minutes").sum().over("pool"),
            _full=pl.col("_blocks").sum().over("pool"),
            _rank_first=in_pool + 1,
            _rank_last=in_pool + 1,
        ).with_columns(
            _rank_first=pl.col("_rank_first").min().over("_run"),
            _rank_last=pl.col("_rank_last").max().over("_run"),
        )
        total_units = pl.when(pl.col("_total") < 8).then(0).otherwise((pl.col("_total") + 7) // 15)
        has_leftover = pl.col("_leftover") > 0
        staged = staged.with_columns(_remaining=total_units - pl.col("_full")).with_columns(
            _sure=has_leftover & (pl.col("_rank_last") <= pl.col("_remaining")),
            tied=has_leftover
            & (pl.col("_rank_first") <= pl.col("_remaining"))
            & (pl.col("_rank_last") > pl.col("_remaining")),
        )
        staged = staged.with_columns(
            base=pl.when(pooled)
            .then(pl.col("_blocks") + pl.col("_sure").cast(pl.Int64))
            .otherwise(columnar_midpoint(minutes, unit))
            .cast(pl.Int64),
            shared=pl.when(pl.col("tied").any().over("pool"))
            .then(pl.col("_remaining") - pl.col("_sure").cast(pl.Int64).sum().over("pool"))
            .otherwise(0)
            .cast(pl.Int64),
        )
        return staged.drop(
            "_at", "_run", "_pooled_minutes", "_blocks", "_leftover", "_total", "_full",
            "_rank_first", "_rank_last", "_remaining", "_sure",
        )  # fmt: skip
