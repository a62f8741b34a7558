"""Counting rules: how one pool of timed minutes becomes units, and the registry of rules.

Every rule implements :class:`Rule` and is found through :data:`RULES` /
:func:`get_rule`; the CLI's ``--rule`` choices and ``unitcalc rules`` come from here.

References:
    CMS Pub. 100-04, Medicare Claims Processing Manual, Chapter 5, section 20.2
    (unit table, allocation among codes, Examples 1-5).
    CPT time rule, "a unit of time is attained when the mid-point is passed", as
    published by payers (Premera "Billing for Time", 2019; Blue Cross of Idaho PAP228).

>>> sorted(RULES)
['ama', 'cms', 'commercial-15']
>>> get_rule("medicare").name
'cms'
"""

from __future__ import annotations

import abc
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar

import attrs

from ._text import count_of
from .errors import UnknownRuleError


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class TimedItem:
    """One timed service inside a pool: a code (or an add-on family shown as one code)
    and its summed minutes. ``rank`` orders items for the default pick in a tie
    (lower wins)."""

    name: str
    minutes: int
    unit_minutes: int
    rank: tuple[int, int, int]


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class PoolAllocation:
    """The units of one pool's items, with the tie (if any) left open.

    Every item ``i`` surely gets ``base[i]`` units. When ``tied`` is not empty, exactly
    ``shared`` of the items listed in ``tied`` get one more unit each, in any
    combination; ``chosen`` is the combination unitcalc picked. That is the whole set
    of compliant allocations, so checking a billed allocation never needs enumeration.
    """

    base: tuple[int, ...]
    tied: tuple[int, ...]
    shared: int
    chosen: tuple[int, ...]
    leftover_at_cut: int
    steps: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def total_units(self) -> int:
        return sum(self.chosen)

    @property
    def count(self) -> int:
        """Number of compliant allocations (1 when unique)."""
        return math.comb(len(self.tied), self.shared) if self.tied else 1

    def is_compliant(self, units: Sequence[int]) -> bool:
        """True when ``units`` (per item, in item order) is a compliant allocation."""
        if len(units) != len(self.base):
            return False
        extra = 0
        tied = set(self.tied)
        for index, (got, floor) in enumerate(zip(units, self.base, strict=True)):
            if got == floor:
                continue
            if got == floor + 1 and index in tied:
                extra += 1
                continue
            return False
        return extra == (self.shared if self.tied else 0)

    def covers(self, units: Sequence[int]) -> bool:
        """True when ``units`` fit under some compliant allocation, item by item: what a
        payer cap may leave of one."""
        if len(units) != len(self.base):
            return False
        extra = 0
        tied = set(self.tied)
        for index, (got, floor) in enumerate(zip(units, self.base, strict=True)):
            if got <= floor:
                continue
            if got == floor + 1 and index in tied:
                extra += 1
                continue
            return False
        return extra <= self.shared

    def allocations(self) -> Iterator[tuple[int, ...]]:
        """Every compliant allocation, the chosen one first."""
        yield self.chosen
        if not self.tied:
            return
        chosen_extras = tuple(i for i in self.tied if self.chosen[i] > self.base[i])
        for extras in itertools.combinations(self.tied, self.shared):
            if extras == chosen_extras:
                continue
            units = list(self.base)
            for i in extras:
                units[i] += 1
            yield tuple(units)


def midpoint_units(minutes: int, unit_minutes: int) -> int:
    """Units under the CPT midpoint rule: a unit is attained once more than half of it
    has passed (8 of 15 minutes, 16 of 30, 31 of 60).

    >>> [midpoint_units(m, 15) for m in (7, 8, 22, 23)]
    [0, 1, 1, 2]
    >>> [midpoint_units(m, 30) for m in (15, 16, 45, 46)]
    [0, 1, 1, 2]
    """
    half = unit_minutes // 2
    return (minutes + unit_minutes - half - 1) // unit_minutes


def cms_total_units(minutes: int) -> int:
    """Units of a day's total timed minutes by the CMS 20.2 table: 0-7 = 0, 8-22 = 1,
    23-37 = 2 ..., the pattern continuing past two hours without a cap.

    >>> [cms_total_units(m) for m in (7, 8, 22, 23, 127, 128)]
    [0, 1, 1, 2, 8, 9]
    """
    return 0 if minutes < 8 else (minutes + 7) // 15


def cms_extras(leftovers: Sequence[int], remaining: int) -> tuple[list[int], list[int], int, int]:
    """Who gets the units left after full 15-minute blocks (CMS 20.2): the indices whose
    leftover is above the cut (one unit each), the indices at the cut, how many of those
    get one (all of them unless it is a tie), and the cut. ``remaining`` is at least 1
    and at most the number of positive leftovers, because (sum of leftovers + 7) // 15
    <= their number.

    >>> cms_extras([3, 7], 1)          # Example 3: 97140's 7 minutes beat 97110's 3
    ([], [1], 1, 7)
    >>> cms_extras([13, 10, 8], 2)     # Example 4's leftovers: the 8 minutes lose
    ([0], [1], 1, 10)
    >>> cms_extras([5, 5], 1)          # Example 2: two at the cut for one unit, a tie
    ([], [0, 1], 1, 5)
    """
    candidates = sorted((i for i, r in enumerate(leftovers) if r > 0), key=lambda i: -leftovers[i])
    cut = leftovers[candidates[remaining - 1]]
    above = [i for i in candidates if leftovers[i] > cut]
    at_cut = [i for i in candidates if leftovers[i] == cut]
    return above, at_cut, remaining - len(above), cut


def _band(units: int, unit_minutes: int) -> str:
    """The minutes band of the CMS unit table that yields ``units``."""
    half = unit_minutes // 2
    if units == 0:
        return f"0-{half}"
    low = unit_minutes * (units - 1) + half + 1
    return f"{low}-{low + unit_minutes - 1}"


def _remain(count: int) -> str:
    return "remains" if count == 1 else "remain"


def _names(items: Sequence[TimedItem], indices: Sequence[int]) -> str:
    names = [items[i].name for i in indices]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class Rule(abc.ABC):
    """A counting rule. Subclasses set the class attributes and implement
    :meth:`allocate` for one pool of timed items."""

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    title: ClassVar[str]
    summary: ClassVar[str]
    source: ClassVar[str]
    pools_minutes: ClassVar[bool]
    """True when the rule adds up a pool's minutes before counting (CMS)."""

    def to_dict(self) -> dict[str, object]:
        """The rule as ``unitcalc rules --format json`` and ``GET /api/rules`` show it."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "title": self.title,
            "summary": self.summary,
            "source": self.source,
        }

    @abc.abstractmethod
    def allocate(self, items: Sequence[TimedItem], *, pool: str | None) -> PoolAllocation:
        """Units for each item of one pool; ``pool`` names its discipline, if any."""


def _per_code(items: Sequence[TimedItem], *, why: str) -> tuple[list[int], list[str], list[str]]:
    """Count each item on its own with the midpoint rule (AMA, or CMS for codes whose
    unit is not 15 minutes)."""
    units: list[int] = []
    steps: list[str] = []
    warnings: list[str] = []
    for item in items:
        count = midpoint_units(item.minutes, item.unit_minutes)
        units.append(count)
        band = _band(count, item.unit_minutes)
        half = item.unit_minutes // 2 + 1
        steps.append(
            f"{item.name}: {item.minutes} min = {count_of(count, 'unit')} "
            f"({band} min band of a {item.unit_minutes}-minute unit; a unit is attained "
            f"at {half} min, {why})"
        )
    return units, steps, warnings


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
        pooled = [i for i, item in enumerate(items) if item.unit_minutes == 15]
        alone = [i for i, item in enumerate(items) if item.unit_minutes != 15]
        base = [0] * len(items)
        steps: list[str] = []
        warnings: list[str] = []
        if alone:
            alone_units, alone_steps, _ = _per_code(
                [items[i] for i in alone],
                why="counted on its own: the total-time table is for 15-minute codes",
            )
            for i, count in zip(alone, alone_units, strict=True):
                base[i] = count
            steps.extend(alone_steps)
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
            count = -(-item.minutes // item.unit_minutes)
            units.append(count)
            steps.append(
                f"{item.name}: {item.minutes} min = {count_of(count, 'unit')} (every started "
                f"{item.unit_minutes}-minute unit counts under this contract term)"
            )
        chosen = tuple(units)
        return PoolAllocation(chosen, (), 0, chosen, 0, tuple(steps), ())


def _registry(*rules: Rule) -> Mapping[str, Rule]:
    return MappingProxyType({rule.name: rule for rule in rules})


RULES: Mapping[str, Rule] = _registry(CmsRule(), AmaRule(), RoundUpRule())
"""Every counting rule by its canonical name."""

_ALIASES: Mapping[str, str] = MappingProxyType(
    {alias: rule.name for rule in RULES.values() for alias in (rule.name, *rule.aliases)}
)


def get_rule(name: str | Rule) -> Rule:
    """The rule with this name or alias (case-insensitive); a :class:`Rule` passes through."""
    if isinstance(name, Rule):
        return name
    key = name.strip().lower() if isinstance(name, str) else name
    try:
        return RULES[_ALIASES[key]]
    except (KeyError, TypeError):
        names = ", ".join(sorted(_ALIASES))
        raise UnknownRuleError(
            f"unknown rule {name!r}: choose one of {names}",
            name=str(name),
            choices=sorted(_ALIASES),
        ) from None


def rule_names() -> tuple[str, ...]:
    """Every accepted name: canonical names and aliases."""
    return tuple(sorted(_ALIASES))
