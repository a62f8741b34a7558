"""The Medicare total-time ("8-minute") rule.

References:
    CMS Pub. 100-04, Medicare Claims Processing Manual, Chapter 5, section 20.2 (unit
    table, allocation by full 15-minute blocks then largest leftovers, Examples 1-5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from ..core.model import Note
from ..core.runs import key_changed, key_ends, run_total
from ..core.text import count_of, count_of_column
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
        """The pool's units, step by step: codes whose unit is not 15 minutes counted
        alone, the 15-minute codes' total and its band of the unit table, their full
        blocks, the units left by largest leftovers (a tie left open), then the warnings."""
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
            return _unique(base, steps, warnings)

        total = sum(items[i].minutes for i in pooled)
        total_units = cms_total_units(total)
        steps.extend(_total_steps(items, pooled, total, total_units, pool))
        if total_units == 0:
            if total > 0:
                warnings.append(_no_timed_unit(items, pooled, total, pool))
            return _unique(base, steps, warnings)

        blocks, leftover = _full_blocks(items, pooled)
        for i in pooled:
            base[i] = blocks[i]
        steps.append(
            "; ".join(
                f"{items[i].name}: {count_of(blocks[i], 'full unit')}, {leftover[i]} min left"
                for i in pooled
            )
        )
        extra = _leftover_units(items, pooled, leftover, total_units, sum(blocks.values()))
        for i in extra.sure:
            base[i] += 1
        chosen = list(base)
        for i in extra.picked:
            chosen[i] += 1
        steps.extend(extra.steps)
        warnings.extend(_unit_warnings(items, pooled, chosen, extra, total, total_units, pool))
        return PoolAllocation(
            tuple(base),
            extra.tied,
            extra.shared,
            tuple(chosen),
            extra.cut,
            tuple(steps),
            tuple(warnings),
        )

    def columnar(self, items: pl.LazyFrame) -> pl.LazyFrame:
        """The same count over many pools: the pool's 15-minute codes summed into the
        unit table, full blocks, then the units left by leftover rank within the pool.
        Items are sorted by pool and leftover (largest first); an item whose run of
        equal leftovers ends inside the units left surely gets one, and one whose run
        straddles the last unit is tied: exactly how :func:`cms_extras` cuts the sorted
        leftovers. Sorted so, a pool and a run of equal leftovers are rows side by side:
        their sums and ranks are read at their edges (:mod:`unitcalc.core.runs`), with no
        window."""
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
        )
        at = pl.col("_at").cast(pl.Int64)
        edges = (pl.col("_first"), pl.col("_last"))  # a pool's first and last rows
        staged = (
            staged.with_columns(
                _first=key_changed(["pool"]),
                _last=key_ends(["pool"]),
                _opens=key_changed(["pool", "_leftover"]),  # a run's first and last rows
                _closes=key_ends(["pool", "_leftover"]),
            )
            .with_columns(
                _rank=at - pl.when("_first").then(at).forward_fill() + 1,  # 1 up within the pool
                _total=run_total(pl.col("_pooled_minutes"), *edges),
                _full=run_total(pl.col("_blocks"), *edges),
            )
            .with_columns(
                _rank_first=pl.when("_opens").then(pl.col("_rank")).forward_fill(),
                _rank_last=pl.when("_closes").then(pl.col("_rank")).backward_fill(),
            )
        )
        total_units = pl.when(pl.col("_total") < 8).then(0).otherwise((pl.col("_total") + 7) // 15)
        has_leftover = pl.col("_leftover") > 0
        staged = staged.with_columns(_remaining=total_units - pl.col("_full")).with_columns(
            _sure=has_leftover & (pl.col("_rank_last") <= pl.col("_remaining")),
            tied=has_leftover
            & (pl.col("_rank_first") <= pl.col("_remaining"))
            & (pl.col("_rank_last") > pl.col("_remaining")),
        )
        sure = pl.col("_sure").cast(pl.Int64)
        staged = staged.with_columns(
            base=pl.when(pooled)
            .then(pl.col("_blocks") + sure)
            .otherwise(columnar_midpoint(minutes, unit))
            .cast(pl.Int64),
            shared=pl.when(run_total(pl.col("tied").cast(pl.Int64), *edges) > 0)
            .then(pl.col("_remaining") - run_total(sure, *edges))
            .otherwise(0)
            .cast(pl.Int64),
        )
        return staged.drop(
            "_at", "_first", "_last", "_opens", "_closes", "_rank", "_pooled_minutes", "_blocks",
            "_leftover", "_total", "_full", "_rank_first", "_rank_last", "_remaining", "_sure",
        )  # fmt: skip

    def warnings_columns(self, items: pl.LazyFrame) -> pl.LazyFrame | None:
        """:func:`_no_timed_unit` and :func:`_unit_warnings` in columns, for the pools of
        15-minute codes alone (a code counted alone is worded by :meth:`allocate`).
        ``items`` also hold ``chosen`` (the rule's pick in a tie,
        :func:`unitcalc.engine.compliance.allocation_columns`), ``shared``, and the tie
        ranks ``preference`` and ``first``."""
        import polars as pl

        name, minutes, chosen = pl.col("name"), pl.col("minutes"), pl.col("chosen")
        where = pl.concat_str(pl.lit(" ("), pl.col("label"), pl.lit(")")).fill_null("")
        total = minutes.sum().over("pool")
        units = count_of_column(pl.when(total < 8).then(0).otherwise((total + 7) // 15), "unit")
        why = (
            pl.when(pl.col("tied"))
            .then(
                pl.concat_str(
                    pl.lit("it tied with "),
                    _names_column(pl.col("__rivals")),
                    pl.lit(" for the last unit"),
                    pl.when(pl.col("shared") != 1).then(pl.lit("s")).otherwise(pl.lit("")),
                    pl.lit(" and another choice is equally compliant (see the alternatives)"),
                )
            )
            .otherwise(pl.lit("they went to codes with larger leftovers (CMS 20.2, Example 4)"))
        )
        no_unit = pl.concat_str(
            name, where, pl.lit(" has "), minutes.cast(pl.String),
            pl.lit(" min but gets no unit: the "), total.cast(pl.String),
            pl.lit(" timed min support "), units, pl.lit(", and "), why,
        )  # fmt: skip
        under_eight = pl.concat_str(
            name, where, pl.lit(" bills "), count_of_column(chosen, "unit"), pl.lit(" for "),
            minutes.cast(pl.String), pl.lit(" min, fewer than 8: compliant because the day's "
            "total supports the unit (CMS 20.2, Examples 3 and 5); counted on its own it "
            "would get none"),
        )  # fmt: skip
        pool_none = pl.concat_str(
            pl.lit("No timed unit"), where, pl.lit(": "), total.cast(pl.String),
            pl.lit(" timed min in all ("),
            pl.concat_str(name, pl.lit(" "), minutes.cast(pl.String)).str.join(" + ").over("pool"),
            pl.lit("), fewer than 8 (CMS 20.2)"),
        )  # fmt: skip
        worded = _with_rivals(items).with_columns(
            __text=pl.when(total == 0)
            .then(None)
            .when(total < 8)
            .then(pl.when(pl.int_range(pl.len()).over("pool") == 0).then(pool_none))
            .when((chosen == 0) & (minutes >= 8))
            .then(no_unit)
            .when((chosen > 0) & (minutes < 8))
            .then(under_eight),
            __kind=pl.when(total < 8)
            .then(pl.lit("no-timed-unit"))
            .when(chosen == 0)
            .then(pl.lit("no-unit"))
            .otherwise(pl.lit("under-eight")),
            __codes=pl.when(total < 8).then(pl.lit("")).otherwise(name),
        )
        kept = pl.col("__text").is_not_null()
        return worded.group_by("pool", maintain_order=True).agg(
            (pl.col("unit_minutes") == 15).all().alias("worded"),
            pl.col("__text").filter(kept).alias("texts"),
            pl.col("__kind").filter(kept).alias("kinds"),
            pl.col("__codes").filter(kept).alias("codes"),
        )


def _with_rivals(items: pl.LazyFrame) -> pl.LazyFrame:
    """``items`` with ``__rivals``: for a tied item, the other tied items of its pool in
    order of rank (tie preference, more minutes, first line), as :func:`_leftover_units`
    lists them."""
    import polars as pl

    tied = items.filter(pl.col("tied")).select("pool", "name", "preference", "minutes", "first")
    rivals = (
        tied.join(tied, on="pool", suffix="_r")
        .filter(pl.col("name") != pl.col("name_r"))
        .sort(
            "pool",
            "name",
            "preference_r",
            "minutes_r",
            "first_r",
            descending=[False, False, False, True, False],
        )
        .group_by("pool", "name", maintain_order=True)
        .agg(pl.col("name_r").alias("__rivals"))
    )
    return items.join(rivals, on=["pool", "name"], how="left", maintain_order="left")


def _names_column(names: pl.Expr) -> pl.Expr:
    """:func:`_names` over a list column."""
    import polars as pl

    several = pl.concat_str(
        names.list.head(names.list.len() - 1).list.join(", "), pl.lit(" and "), names.list.last()
    )
    return pl.when(names.list.len() == 1).then(names.list.first()).otherwise(several)


def _unique(base: Sequence[int], steps: Sequence[str], warnings: Sequence[Note]) -> PoolAllocation:
    """A pool with one compliant allocation and no unit left to the leftovers."""
    unique = tuple(base)
    return PoolAllocation(unique, (), 0, unique, 0, tuple(steps), tuple(warnings))


def _parts(items: Sequence[TimedItem], pooled: Sequence[int]) -> str:
    return " + ".join(f"{items[i].name} {items[i].minutes}" for i in pooled)


def _total_steps(
    items: Sequence[TimedItem],
    pooled: Sequence[int],
    total: int,
    total_units: int,
    pool: str | None,
) -> list[str]:
    """The 15-minute codes' total and its band of the CMS 20.2 unit table."""
    heading = f"Timed minutes ({pool})" if pool else "Timed minutes"
    steps = [
        f"{heading}: {_parts(items, pooled)} = {total} min, in the {_band(total_units, 15)} "
        f"min band of the unit table = {count_of(total_units, 'unit')} (CMS 20.2)"
    ]
    if total_units == 0 and total > 0:
        steps.append("Fewer than 8 timed minutes in all: no timed unit is billable (CMS 20.2)")
    return steps


def _no_timed_unit(
    items: Sequence[TimedItem], pooled: Sequence[int], total: int, pool: str | None
) -> Note:
    where = f" ({pool})" if pool else ""
    return Note(
        f"No timed unit{where}: {total} timed min in all ({_parts(items, pooled)}), fewer "
        "than 8 (CMS 20.2)",
        kind="no-timed-unit",
    )


def _full_blocks(
    items: Sequence[TimedItem], pooled: Sequence[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """Each 15-minute code's full blocks, which it keeps, and its minutes left over."""
    blocks = {i: items[i].minutes // 15 for i in pooled}
    leftover = {i: items[i].minutes % 15 for i in pooled}
    return blocks, leftover


class _Leftovers(NamedTuple):
    """The units left after the full blocks: one each for ``sure``; when leftovers tie
    at the ``cut``, ``shared`` of the ``tied`` get one, unitcalc's choice ``picked``."""

    sure: list[int]
    tied: tuple[int, ...]
    shared: int
    picked: list[int]
    cut: int
    steps: list[str]


def _leftover_units(
    items: Sequence[TimedItem],
    pooled: Sequence[int],
    leftover: Mapping[int, int],
    total_units: int,
    full: int,
) -> _Leftovers:
    """The units the total leaves after the ``full`` blocks, one each to the largest
    leftovers (CMS 20.2)."""
    remaining = total_units - full
    if remaining == 0:
        step = (
            f"Full 15-minute blocks account for the {count_of(total_units, 'unit')}; "
            "leftover minutes earn nothing more (CMS 20.2)"
        )
        return _Leftovers([], (), 0, [], 0, [step])
    # Each code keeps its full blocks; the rest go one each to the largest
    # leftovers. remaining never exceeds the number of codes with a leftover,
    # because (sum of leftovers + 7) // 15 <= number of leftovers.
    above_at, at_cut_at, need, cut = cms_extras([leftover[i] for i in pooled], remaining)
    above = [pooled[j] for j in above_at]
    at_cut = sorted((pooled[j] for j in at_cut_at), key=lambda i: items[i].rank)
    lead = f"Full 15-minute blocks take {count_of(full, 'unit')}; " if full else ""
    if need == len(at_cut):
        winners = sorted(above + at_cut, key=lambda i: -leftover[i])
        goes = (
            "1 unit remains and goes to"
            if remaining == 1
            else f"{remaining} units remain, one each to"
        )
        step = (
            f"{lead}{goes} {_names(items, winners)}, the largest leftover"
            f"{'s' * (remaining != 1)} (CMS 20.2)"
        )
        return _Leftovers(above + at_cut, (), 0, [], cut, [step])
    picked = at_cut[:need]
    given = (
        f"{_names(items, above)} take{'s' * (len(above) == 1)} "
        f"{count_of(len(above), 'unit')} for the larger "
        f"leftover{'s' * (len(above) != 1)}; "
        if above
        else ""
    )
    last = "the last unit" if need == 1 else f"the last {need} units"
    steps = [
        f"{lead}{count_of(remaining, 'unit')} {_remain(remaining)}; {given}"
        f"{_names(items, at_cut)} tie with {cut} min left each for {last}: "
        "a tie the clinician may settle either way (CMS 20.2, Examples 2 and 5)",
        f"unitcalc gives {'it' if need == 1 else 'them'} to "
        f"{_names(items, picked)} (tie preference, then more total minutes, then "
        "input order); every other choice is equally compliant (see the "
        "alternatives)",
    ]
    return _Leftovers(above, tuple(at_cut), need, picked, cut, steps)


def _unit_warnings(
    items: Sequence[TimedItem],
    pooled: Sequence[int],
    chosen: Sequence[int],
    extra: _Leftovers,
    total: int,
    total_units: int,
    pool: str | None,
) -> list[Note]:
    """A code of 8 minutes or more that gets no unit, and a code of fewer than 8 that
    bills one (CMS 20.2, Examples 3, 4 and 5)."""
    where = f" ({pool})" if pool else ""
    warnings: list[Note] = []
    for i in pooled:
        item = items[i]
        if chosen[i] == 0 and item.minutes >= 8:
            if i in extra.tied:
                rivals = [j for j in extra.tied if j != i]
                why = (
                    f"it tied with {_names(items, rivals)} for the last "
                    f"unit{'s' * (extra.shared != 1)} and another choice is equally compliant "
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
    return warnings
