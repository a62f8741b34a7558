"""What every counting rule shares: the pool's timed items, the allocation a rule
returns, the unit tables, and the :class:`Rule` interface with its two forms.

A rule has a *scalar* form, :meth:`Rule.allocate` (one pool of one visit, with the
step-by-step explanation, used by ``unitcalc calc``), and a *columnar* form,
:meth:`Rule.columnar_units` (polars expressions over many pools at once, used by the
file engine). Both live in the rule's own module and are held equal by property tests.
"""

from __future__ import annotations

import abc
import itertools
import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, ClassVar, TypeVar

import attrs

from ..core.model import Note
from ..core.text import count_of

if TYPE_CHECKING:
    import polars as pl

    from ..core import dicts

Count = TypeVar("Count", int, "pl.Expr")
"""Minutes or units: a number, or a polars expression of them (the columnar forms)."""


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class TimedItem:
    """One timed service inside a pool: a code (or an add-on family shown as one code)
    and its summed minutes. ``rank`` orders items for the default pick in a tie
    (lower wins). ``further_unit_minutes`` is set for an add-on family whose add-on
    unit differs from the primary's (97550's first 30 minutes, then 97551's 15)."""

    name: str
    minutes: int
    unit_minutes: int
    rank: tuple[int, int, int]
    further_unit_minutes: int | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes the item stands for (an add-on family's name joins them with +)."""
        return tuple(self.name.split("+"))

    @property
    def uniform(self) -> bool:
        """True when every unit of the item has the same length."""
        return self.further_unit_minutes is None or self.further_unit_minutes == self.unit_minutes


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
    warnings: tuple[Note, ...]

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


def midpoint_units(minutes: Count, unit_minutes: Count) -> Count:
    """Units under the CPT midpoint rule: a unit is attained once more than half of it
    has passed (8 of 15 minutes, 16 of 30, 31 of 60).

    >>> [midpoint_units(m, 15) for m in (7, 8, 22, 23)]
    [0, 1, 1, 2]
    >>> [midpoint_units(m, 30) for m in (15, 16, 45, 46)]
    [0, 1, 1, 2]
    """
    half = unit_minutes // 2
    return (minutes + unit_minutes - half - 1) // unit_minutes


def attained_at(unit_minutes: int) -> int:
    """The minutes at which a unit of this length is attained under the CPT midpoint
    rule: once more than half of it has passed.

    >>> [attained_at(m) for m in (15, 30, 60)]
    [8, 16, 31]
    """
    return unit_minutes // 2 + 1


def full_units(minutes: int, unit_minutes: int) -> tuple[int, int]:
    """The full units of ``unit_minutes`` in ``minutes``, and the minutes left over.

    >>> full_units(33, 15)
    (2, 3)
    """
    return divmod(minutes, unit_minutes)


def whole_units(minutes: Count, unit_minutes: Count) -> Count:
    """The whole units of ``unit_minutes`` in ``minutes``, a part unit not counted: for
    codes billed per full block of time (each further 20 minutes of remote therapeutic
    monitoring management). Works on numbers and on polars expressions alike.

    >>> whole_units(39, 20), whole_units(40, 20)
    (1, 2)
    """
    return minutes // unit_minutes


def item_midpoint_units(item: TimedItem) -> int:
    """Units of one item under the CPT midpoint rule, unit by unit: for a family whose
    units differ in length, the first unit is attained past the midpoint of the first
    unit's length, each further one past the midpoint of the add-on's.

    >>> item = TimedItem("97550+97551", 38, 30, (0, 0, 0), further_unit_minutes=15)
    >>> item_midpoint_units(item)   # 30 min = 97550, then 8 more = one 97551
    2
    """
    if item.uniform:
        return midpoint_units(item.minutes, item.unit_minutes)
    assert item.further_unit_minutes is not None
    if item.minutes <= item.unit_minutes // 2:
        return 0
    rest = max(0, item.minutes - item.unit_minutes)
    return 1 + midpoint_units(rest, item.further_unit_minutes)


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

    def to_dict(self) -> dicts.Rule:
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

    def may_warn(self, minutes: Sequence[int], units: Sequence[int], *, tied: bool) -> bool:
        """Whether :meth:`allocate` can give a warning for a pool whose items have these
        minutes and (sure) units: a tie, an item of 1 to 7 minutes, or an item with
        minutes and no unit. A rule whose warnings say other things overrides this; the
        file engine asks it before building a finding's notes."""
        return tied or any(
            0 < count < 8 or (unit == 0 and count > 0)
            for count, unit in zip(minutes, units, strict=True)
        )

    def warnings_columns(self, items: pl.LazyFrame) -> pl.LazyFrame | None:
        """The columnar form of :meth:`allocate`'s warnings, for many pools at once.

        ``items`` holds the timed items of each pool in order (``pool``, ``name``,
        ``minutes``, ``unit_minutes``), :meth:`columnar`'s ``base`` and ``tied``, and
        ``label``, the pool's name (null for none). The answer has one row per pool:
        ``pool``, ``worded`` (the columns word its warnings; else ask :meth:`allocate`),
        and the warnings' ``texts``, ``kinds`` and ``codes`` (joined by ``+``). A rule
        that words none in columns answers None."""
        return None

    def may_warn_columns(self, minutes: pl.Expr, units: pl.Expr, tied: pl.Expr) -> pl.Expr:
        """The columnar form of :meth:`may_warn`, per timed item: whether it alone lets
        :meth:`allocate` warn (its pool may warn when any of its items does). A rule
        that overrides :meth:`may_warn` overrides this beside it."""
        return tied | ((minutes > 0) & (minutes < 8)) | ((units == 0) & (minutes > 0))

    @abc.abstractmethod
    def columnar(self, items: pl.LazyFrame) -> pl.LazyFrame:
        """The columnar form of :meth:`allocate`, over the timed items of many pools.

        ``items`` has one row per timed item with the columns ``pool`` (an id shared by
        the items of one pool), ``minutes`` and ``unit_minutes``. The result adds, per
        item, what :class:`PoolAllocation` says of it: ``base`` (the units every
        compliant allocation gives it), ``tied`` (it may take one more unit) and
        ``shared`` (how many of the pool's tied items take one: 0 without a tie).
        """


def _per_code(items: Sequence[TimedItem], *, why: str) -> tuple[list[int], list[str], list[Note]]:
    """Count each item on its own with the midpoint rule (AMA, or CMS for codes whose
    unit is not 15 minutes)."""
    units: list[int] = []
    steps: list[str] = []
    warnings: list[Note] = []
    for item in items:
        count = item_midpoint_units(item)
        units.append(count)
        half = attained_at(item.unit_minutes)
        if item.uniform:
            band = _band(count, item.unit_minutes)
            steps.append(
                f"{item.name}: {item.minutes} min = {count_of(count, 'unit')} "
                f"({band} min band of a {item.unit_minutes}-minute unit; a unit is attained "
                f"at {half} min, {why})"
            )
        else:
            further = item.further_unit_minutes
            assert further is not None
            steps.append(
                f"{item.name}: {item.minutes} min = {count_of(count, 'unit')} (a first "
                f"{item.unit_minutes}-minute unit, attained at {half} min, then "
                f"{further}-minute units, each attained once more than half of it "
                f"({further // 2 + 1} min) has passed; CPT midpoint rule per unit, {why})"
            )
        if count == 0 and item.minutes > 0:
            warnings.append(
                Note(
                    f"{item.name} has {item.minutes} min but gets no unit: a unit is attained "
                    f"at {half} min of its {item.unit_minutes}-minute unit ({why})",
                    kind="no-unit",
                    codes=item.codes,
                )
            )
    return units, steps, warnings


def columnar_midpoint(minutes: pl.Expr, unit_minutes: pl.Expr) -> pl.Expr:
    """:func:`midpoint_units` as a polars expression."""
    return (minutes + unit_minutes - unit_minutes // 2 - 1) // unit_minutes


def columnar_untied(items: pl.LazyFrame, units: pl.Expr) -> pl.LazyFrame:
    """A rule's columnar result when every item's units are settled alone (no ties)."""
    import polars as pl

    return items.with_columns(
        base=units.cast(pl.Int64), tied=pl.lit(False), shared=pl.lit(0, dtype=pl.Int64)
    )
