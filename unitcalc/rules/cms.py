"""The Medicare total-time ("8-minute") rule.

References:
    CMS Pub. 100-04, Medicare Claims Processing Manual, Chapter 5, section 20.2 (unit
    table, allocation by full 15-minute blocks then largest leftovers, Examples 1-5).
"""

from __future__ import annotations

from collections.abc import Sequence

from .._text import count_of
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
)


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
        warnings: list[str] = []
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
                    f"No timed unit{where}: {total} timed min in all ({parts}), fewer than 8 "
                    "(CMS 20.2)"
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
                    f"{item.name}{where} has {item.minutes} min but gets no unit: the {total} "
                    f"timed min support {count_of(total_units, 'unit')}, and {why}"
                )
            elif chosen[i] and item.minutes < 8:
                warnings.append(
                    f"{item.name}{where} bills {count_of(chosen[i], 'unit')} for "
                    f"{item.minutes} min, fewer than 8: compliant because the day's total "
                    "supports the unit (CMS 20.2, Examples 3 and 5); counted on its own it "
                    "would get none"
                )
        return PoolAllocation(
            tuple(base), tied, shared, tuple(chosen), cut, tuple(steps), tuple(warnings)
        )
