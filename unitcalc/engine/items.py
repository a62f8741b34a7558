"""A pool's timed items, and how an add-on family bills its units.

A pool's timed codes become the items the counting rule allocates units to. An add-on
family (97129 with 97130, 97550 with 97551) counts as one service: one item, its members'
minutes summed, the primary billing the first unit and the add-on each further one. A
code under the payer's minimum minutes counts none (:mod:`.caps`). Each item carries its
rank for a tie: the tie preference, more minutes, then input order.

References:
    CPT add-on codes as published by CMS (the code table's ``addon_of``, with sources);
    docs/rules.md, 97129 and 97130.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from ..core.codes import CodeTable
from ..core.model import Result
from ..rules import PoolAllocation, TimedItem
from .caps import counted_minutes
from .pools import Pool
from .settings import Pooling

if TYPE_CHECKING:
    from .payers import PayerProfile

Members = tuple[tuple[str, int], ...]
"""An item's member codes with their counted minutes, primary first."""


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class PoolEvaluation:
    """One pool's counting, kept for audits: its timed items (add-on families merged),
    each item's member codes with their minutes, the rule's allocation and the pool's
    untimed codes."""

    discipline: str | None
    items: tuple[TimedItem, ...]
    members: tuple[Members, ...]
    allocation: PoolAllocation
    untimed: tuple[str, ...]


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class Evaluation:
    """A result with the pools behind it."""

    result: Result
    pools: tuple[PoolEvaluation, ...]
    pooling: Pooling
    payer: PayerProfile | None = None
    chosen: tuple[tuple[int, ...], ...] = ()
    """Each pool's units per item after any payer cap."""


def timed_items(
    pool: Pool, table: CodeTable, preference: Mapping[str, int], minimums: Mapping[str, int]
) -> tuple[list[TimedItem], list[Members]]:
    """The pool's timed items (add-on families merged) and each item's member codes
    with their minutes; a code under a payer's minimum counts no minutes."""
    items: list[TimedItem] = []
    members: list[Members] = []
    seen: set[str] = set()
    for code, entry in pool.codes.items():
        if not entry.info.timed or code in seen:
            continue
        primary = entry.info.addon_of or code
        family = [primary, *table.addons(primary)] if primary in pool.codes else [code]
        family = [c for c in family if c in pool.codes]
        seen.update(family)
        counted = {c: counted_minutes(c, pool.codes[c].minutes or 0, minimums) for c in family}
        minutes = sum(counted.values())
        rank = (
            min(preference.get(c, len(preference)) for c in family),
            -minutes,
            min(pool.codes[c].first[0] for c in family),
        )
        info = pool.codes[family[0]].info
        assert info.unit_minutes is not None
        further = pool.codes[family[-1]].info.unit_minutes if len(family) > 1 else None
        items.append(
            TimedItem(
                name="+".join(family),
                minutes=minutes,
                unit_minutes=info.unit_minutes,
                rank=rank,
                further_unit_minutes=further if further != info.unit_minutes else None,
            )
        )
        members.append(tuple((c, counted[c]) for c in family))
    return items, members


def split_family(members: Sequence[tuple[str, int]], units: int) -> dict[str, int]:
    """A family's units: the primary bills the first unit, the add-on the rest.

    >>> split_family([("97129", 20), ("97130", 25)], 3)
    {'97129': 1, '97130': 2}
    """
    if len(members) == 1:
        return {members[0][0]: units}
    primary, addon = members[0][0], members[1][0]
    first = min(units, 1)
    return {primary: first, addon: units - first}
