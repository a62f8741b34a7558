"""The audit's comparison: are the billed units compliant, what is the closest compliant
allocation, and the group's status.

The rule's allocation of a pool says what every compliant allocation gives each item: its
``base`` units, plus, for a tie, exactly ``shared`` more units spread over the ``tied``
items in any combination (:class:`~unitcalc.rules.PoolAllocation`). Billed units are
compliant when they are such an allocation (under a payer's cap that removed units: when
they fit under one, since which lines a biller trims to meet a cap is the biller's
choice); untimed codes bill exactly one unit. The closest compliant allocation gives the
tie's units first to the tied items the biller gave one more, then in unitcalc's own
order (tie preference, more minutes, input order). The status compares totals: ``over``
or ``under`` when the billed total differs from what the minutes support, ``ok`` when
compliant, else ``misallocated``.

Two forms side by side: :func:`closest`, :func:`fits` and :func:`status` for one pool
or group (unitcalc's own pick is the rule's :attr:`PoolAllocation.chosen`);
:func:`allocation_columns`, :func:`compliant_column` and :func:`status_column` for many
in columns (polars). ``tests/engine/test_compliance.py`` holds them equal.

References:
    CMS Pub. 100-04 Ch. 5 section 20.2 (allocation among codes, ties: "choose either
    code").
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from ..core.dicts import Status as Status  # where it is defined: with the finding's shape
from ..core.runs import key_changed, run_cum_sum

if TYPE_CHECKING:
    import polars as pl

    from ..rules import PoolAllocation

STATUSES: tuple[Status, ...] = ("ok", "over", "under", "misallocated", "invalid")
"""Every status a finding can have; ``invalid``: the group could not be evaluated."""

Line = TypeVar("Line", bound=Hashable)
Frame = TypeVar("Frame", "pl.DataFrame", "pl.LazyFrame")
"""A frame, eager or lazy: the columnar forms take either."""
"""A claim line's key (a code and its pool's discipline)."""
Rank = tuple[int, int, int]
"""An item's place when a tie is settled: tie preference, minus its minutes, first line."""


def fits(allocation: PoolAllocation, billed: Sequence[int], *, capped: bool) -> bool:
    """Whether the billed units per item are a compliant allocation of the pool (under
    a cap that removed units: fit under one)."""
    return allocation.covers(billed) if capped else allocation.is_compliant(billed)


def closest(
    allocation: PoolAllocation, billed: Sequence[int], ranks: Sequence[Rank]
) -> tuple[int, ...]:
    """The compliant allocation of the pool nearest to the billed units: tied items the
    biller gave the extra unit keep it, then the rank order fills the rest."""
    if not allocation.tied:
        return allocation.base
    units = list(allocation.base)
    ordered = sorted(allocation.tied, key=lambda i: (-(billed[i] > allocation.base[i]), ranks[i]))
    for index in ordered[: allocation.shared]:
        units[index] += 1
    return tuple(units)


def ok_allowed(allowed: Mapping[Line, int], billed: Mapping[Line, int]) -> dict[Line, int]:
    """The allowed units of a group found ok: the billed ones, line by line. A compliant
    billing is its own closest allocation, in a tie as under a payer's cap, where which
    lines a biller trims to meet the cap is the biller's choice.

    >>> ok_allowed({"97110": 2, "97112": 2}, {"97110": 1, "97112": 3})
    {'97110': 1, '97112': 3}
    """
    return {line: billed.get(line, 0) for line in allowed} | dict(billed)


def status(difference: int, *, compliant: bool) -> Status:
    """A group's status from billed minus allowed units, and whether the billed units
    are a compliant allocation.

    >>> status(1, compliant=True), status(0, compliant=True), status(0, compliant=False)
    ('over', 'ok', 'misallocated')
    """
    if difference > 0:
        return "over"
    if difference < 0:
        return "under"
    return "ok" if compliant else "misallocated"


def allocation_columns(items: Frame, *, pool: str, chosen: bool = True) -> Frame:
    """The columnar form of the rule's pick (``chosen``, when asked for) and of
    :func:`closest`, over the items of many pools: each with ``base``, ``tied``,
    ``shared`` (the rule's columnar answer), ``billed`` and its rank (``preference``,
    ``minutes``, ``first``). Adds ``closest``, and per item ``exact`` (its billed units are
    what some compliant allocation gives it), ``under`` (they fit under one) and
    ``extra`` (it was billed a tie's unit). The items come sorted by pool."""
    import polars as pl

    billed, base, tied = pl.col("billed"), pl.col("base"), pl.col("tied")
    extra = tied & (billed == base + 1)
    # Sorted so, the tie's units go to the first `shared` tied items of each pool.
    first = key_changed([pool])  # (each sort below keeps the pools' order)
    given = base + (tied & (run_cum_sum(tied.cast(pl.Int64), first) <= pl.col("shared"))).cast(
        pl.Int64
    )
    rank: list[pl.Expr] = [pl.col("preference"), pl.col("minutes"), pl.col("first")]
    rank_descending: list[bool] = [False, True, False]
    if chosen:
        items = items.sort(pool, tied, *rank, descending=[False, True, *rank_descending])
        items = items.with_columns(chosen=given)
    nearest = items.sort(
        pool, tied, billed > base, *rank, descending=[False, True, True, *rank_descending]
    )
    return nearest.with_columns(
        closest=given,
        exact=(billed == base) | extra,
        under=(billed <= base) | extra,
        extra=extra.cast(pl.Int64),
    )


def compliant_column(capped: pl.Expr) -> pl.Expr:
    """The columnar form of :func:`fits`, an aggregation over a pool's items of
    :func:`allocation_columns`: whether the pool's billed units are compliant
    (``capped``: per item, whether its group's cap removed units; untimed items, whose
    ``timed`` is false, always bill exactly their unit)."""
    import polars as pl

    fit = pl.when(capped & pl.col("timed")).then(pl.col("under")).otherwise(pl.col("exact"))
    extras, shared = pl.col("extra").sum(), pl.col("shared").max()
    return fit.all() & pl.when(capped.any()).then(extras <= shared).otherwise(extras == shared)


def pool_columns(items: pl.DataFrame, *, pool: str, capped: pl.Expr) -> pl.DataFrame:
    """:func:`compliant_column` per pool: ``compliant`` for each pool of ``items``."""
    return items.group_by(pool, maintain_order=True).agg(
        compliant_column(capped).alias("compliant")
    )


def status_column(difference: pl.Expr, compliant: pl.Expr) -> pl.Expr:
    """The columnar form of :func:`status`."""
    import polars as pl

    return (
        pl.when(difference > 0)
        .then(pl.lit("over"))
        .when(difference < 0)
        .then(pl.lit("under"))
        .when(compliant)
        .then(pl.lit("ok"))
        .otherwise(pl.lit("misallocated"))
    )
