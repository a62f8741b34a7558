"""A payer's terms on top of the rule: minimum minutes per code, and caps on timed units.

A payer profile may set, per code, minutes below which the code gets no unit and its
minutes do not count (``min_minutes``), a cap on a discipline's timed units a day
(``daily_unit_cap``) and a cap on a visit's timed units (``visit_unit_cap``). The daily
cap applies to each pool, then the visit cap to all pools together; ``cap_order`` says
which units a cap keeps: ``claim`` keeps items in input order, ``largest`` the items with
the most units first.

Two forms side by side: :func:`counted_minutes` and :func:`apply_caps` for one visit,
:func:`counted_minutes_column` and :func:`cap_columns` for many groups' items in columns
(polars). ``tests/engine/test_caps.py`` holds them equal.

References:
    Payer contracts (user data: docs/payers.md); unitcalc ships no cap or minimum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..core.model import Note
from ..core.text import count_of

if TYPE_CHECKING:
    import polars as pl

    from .payers import PayerProfile

Removal = tuple[int, int, int]
"""Units a cap removed: (pool, item, units)."""


def counted_minutes(code: str, minutes: int, minimums: Mapping[str, int]) -> int:
    """A code's minutes as they count: none when under the payer's minimum for the code.

    >>> counted_minutes("97140", 7, {"97140": 8}), counted_minutes("97140", 8, {"97140": 8})
    (0, 8)
    """
    return 0 if minutes < minimums.get(code, 0) else minutes


def counted_minutes_column(minutes: pl.Expr, minimum: pl.Expr) -> pl.Expr:
    """The columnar form of :func:`counted_minutes`: ``minimum`` is the row's payer's
    minimum for its code (null when none)."""
    import polars as pl

    return pl.when(minimum.is_not_null() & (minutes < minimum)).then(0).otherwise(minutes)


def apply_caps(
    firsts: Sequence[Sequence[int]],
    vectors: Sequence[Sequence[int]],
    payer: PayerProfile,
) -> tuple[list[tuple[int, ...]], list[Removal]]:
    """Units per item after the payer's caps, and each removal as (pool, item, units).

    ``vectors`` holds each pool's units per timed item, ``firsts`` each item's first
    input line (claim order). The daily cap applies to each pool, then the visit cap to
    all pools together.

    >>> from unitcalc.engine.payers import PayerProfile
    >>> payer = PayerProfile("p", daily_unit_cap=3)
    >>> apply_caps([[0, 1]], [(2, 2)], payer)
    ([(2, 1)], [(0, 1, 1)])
    """
    units = [list(vector) for vector in vectors]
    removals: list[Removal] = []

    def keep(entries: list[tuple[int, int]], cap: int) -> None:
        if payer.cap_order == "largest":
            entries.sort(key=lambda e: (-units[e[0]][e[1]], firsts[e[0]][e[1]]))
        else:
            entries.sort(key=lambda e: firsts[e[0]][e[1]])
        room = cap
        for p, i in entries:
            kept = min(units[p][i], room)
            if kept < units[p][i]:
                removals.append((p, i, units[p][i] - kept))
                units[p][i] = kept
            room -= kept

    if payer.daily_unit_cap is not None:
        for p, vector in enumerate(units):
            keep([(p, i) for i in range(len(vector))], payer.daily_unit_cap)
    if payer.visit_unit_cap is not None:
        keep(
            [(p, i) for p, vector in enumerate(units) for i in range(len(vector))],
            payer.visit_unit_cap,
        )
    return [tuple(vector) for vector in units], removals


def cap_columns(
    items: pl.DataFrame,
    *,
    group: str,
    pool: str,
    units: str,
    first: str,
    daily: str,
    visit: str,
    largest: str,
) -> pl.DataFrame:
    """The columnar form of :func:`apply_caps`: ``items`` holds the timed items of many
    groups, each with its units, its first line, and its payer's caps (``daily``,
    ``visit``: null for none) and order (``largest``); adds ``kept``, the units the caps
    leave. A cap keeps items in order while its room lasts: an item keeps what the units
    before it left of the cap."""
    import polars as pl

    def kept(amount: pl.Expr, cap: pl.Expr, over: str) -> pl.Expr:
        before = amount.cum_sum().over(over) - amount
        room = pl.max_horizontal(cap - before, pl.lit(0))
        return pl.when(cap.is_null()).then(amount).otherwise(pl.min_horizontal(amount, room))

    def order(amount: pl.Expr) -> pl.Expr:
        return pl.when(pl.col(largest)).then(-amount).otherwise(0)

    daily_kept = (
        items.sort(pool, order(pl.col(units)), first)
        .with_columns(__daily_kept=kept(pl.col(units), pl.col(daily), pool))
        .sort(group, order(pl.col("__daily_kept")), first)
        .with_columns(kept=kept(pl.col("__daily_kept"), pl.col(visit), group))
    )
    return daily_kept.drop("__daily_kept")


def payer_step(payer: PayerProfile) -> str:
    """The explanation's line on a payer's terms."""
    terms = []
    if payer.daily_unit_cap is not None:
        terms.append(f"at most {count_of(payer.daily_unit_cap, 'timed unit')} a day per discipline")
    if payer.visit_unit_cap is not None:
        terms.append(f"at most {count_of(payer.visit_unit_cap, 'timed unit')} a visit")
    if payer.min_minutes:
        shown = ", ".join(f"{code} {minutes} min" for code, minutes in payer.min_minutes.items())
        terms.append(f"minimum minutes {shown}")
    if payer.has_caps:
        terms.append(
            "caps keep lines in claim order"
            if payer.cap_order == "claim"
            else "caps keep the lines with the most units first"
        )
    source = f" (source: {payer.source})" if payer.source else ""
    described = "; ".join(terms) if terms else "no caps or minimums"
    return f"Payer profile {payer.name}: rule {payer.rule}; {described}{source}."


def minimum_step(code: str, minutes: int, minimum: int, payer: PayerProfile | None) -> str:
    """The explanation's line on a code under the payer's minimum minutes."""
    name = payer.name if payer is not None else "the payer"
    return (
        f"{code}: {minutes} min is under {name}'s minimum of {minimum} min for this code: "
        "no unit, and its minutes do not count (payer profile)"
    )


def cap_texts(
    removed: Mapping[str, int], before: int, after: int, payer: PayerProfile
) -> tuple[str, Note]:
    """The explanation's line and the warning of a cap that removed units (``removed``
    per code; ``before`` and ``after`` the timed units)."""
    shown = ", ".join(f"{code} x{count}" for code, count in removed.items())
    order = "claim order" if payer.cap_order == "claim" else "largest units first"
    caps = []
    if payer.daily_unit_cap is not None:
        caps.append(f"{count_of(payer.daily_unit_cap, 'timed unit')} a day per discipline")
    if payer.visit_unit_cap is not None:
        caps.append(f"{count_of(payer.visit_unit_cap, 'timed unit')} a visit")
    step = (
        f"Payer cap ({payer.name}: {' and '.join(caps)}, kept in {order}): "
        f"{before} timed units become {after}; removed {shown}"
    )
    # About the visit's total, so no code of its own: shown beside every line.
    warning = Note(
        f"{payer.name}'s cap removed {count_of(before - after, 'unit')} ({shown}): "
        f"the minutes support {before} timed units, the payer pays at most {after}",
        kind="payer-cap",
    )
    return step, warning


def capped_message(payer: str, removed: Mapping[str, int]) -> str:
    """What a finding adds when its payer's cap removed units."""
    shown = ", ".join(f"{code} x{units}" for code, units in removed.items())
    return f" {payer}'s cap applies: the minutes support more ({shown} removed)."
