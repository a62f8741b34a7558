"""An audit's amounts added up: billed, allowed and their difference, by status, by
provider and by payer.

A group without an allowed amount (an invalid one) or without a difference (a code the
fee file lacks) would add to one side only: it is kept out of the sums and counted apart
as *not comparable*, with what its lines that could be priced bill (docs/payment.md,
"Findings in dollars"). :func:`add_to_sums` adds one group; :func:`sums_columns`, its
columnar form, adds a frame of them by status, provider and payer at once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from ..payment.fees.money import cents
from .evaluate import Group

if TYPE_CHECKING:
    import polars as pl

KINDS = ("status", "provider", "payer")
"""What the amounts are added up by."""


def _zero() -> list[Decimal]:
    return [Decimal(0)] * 6


def add_to_sums(
    sums: list[Decimal], billed: Decimal, allowed: Decimal | None, difference: Decimal | None
) -> None:
    """Add a group to ``sums`` (billed, allowed, difference, groups, groups not
    comparable, their billed amount). A group without an allowed amount (an invalid
    one), or without a difference (a code the fee file lacks), is kept out of the first
    three, so that they compare like with like, and counted apart.

    >>> sums = [Decimal(0)] * 6
    >>> add_to_sums(sums, Decimal("54"), Decimal("54"), Decimal("0"))
    >>> add_to_sums(sums, Decimal("30"), None, None)
    >>> [str(value) for value in sums]
    ['54', '54', '0', '2', '1', '30']
    """
    sums[3] += 1
    if allowed is None or difference is None:
        sums[4] += 1
        sums[5] += billed
        return
    sums[0] += billed
    sums[1] += allowed
    sums[2] += difference


def sums_columns(groups: pl.DataFrame) -> pl.DataFrame:
    """:func:`add_to_sums` of every group of ``groups`` (``status``, ``provider``,
    ``payer``, and ``billed``, ``allowed``, ``difference`` in cents, the last two null
    when the group has none), added per status, provider and payer: one row each with
    the six sums (the amounts in cents)."""
    import polars as pl

    apart = pl.col("allowed").is_null() | pl.col("difference").is_null()
    return groups.group_by("status", "provider", "payer", maintain_order=True).agg(
        pl.col("billed").filter(~apart).sum(),
        pl.col("allowed").filter(~apart).sum(),
        pl.col("difference").filter(~apart).sum(),
        pl.len().alias("groups"),
        apart.sum().alias("apart"),
        pl.col("billed").filter(apart).sum().alias("apart_billed"),
    )


@attrs.define
class Sums:
    """The amounts of an audit's groups, added per status, provider and payer."""

    by: dict[str, dict[str, list[Decimal]]] = attrs.Factory(dict)
    """By ``status``, ``provider`` and ``payer``: billed, allowed, difference (groups
    with both amounts), groups, groups not comparable and their billed amount."""
    _parties: dict[tuple[str, str, str], list[Decimal]] = attrs.Factory(dict)

    def add(
        self,
        status: str,
        group: Group,
        billed: Decimal,
        allowed: Decimal | None,
        difference: Decimal | None,
    ) -> None:
        """Add a group's amounts under its status, provider and payer (into ``by`` by
        :meth:`fold`)."""
        provider = "; ".join(group.provider_names) or "(none)"
        parties = (status, provider, group.payer_name or "(none)")
        sums = self._parties.get(parties)
        if sums is None:
            sums = self._parties[parties] = _zero()
        add_to_sums(sums, billed, allowed, difference)

    def add_columns(self, summed: pl.DataFrame) -> None:
        """:meth:`add` of every group of a frame, added up by :func:`sums_columns`."""
        for status, provider, payer, *amounts in summed.iter_rows():
            sums = self._parties.get((status, provider, payer))
            if sums is None:
                sums = self._parties[(status, provider, payer)] = _zero()
            for index, amount in enumerate(amounts):
                sums[index] += Decimal(amount).scaleb(-2) if index not in (3, 4) else amount

    def fold(self) -> None:
        """The amounts added per status, provider and payer, into ``by``."""
        for parties, amounts in self._parties.items():
            for kind, name in zip(KINDS, parties, strict=True):
                sums = self.by.setdefault(kind, {}).setdefault(name, _zero())
                for index, amount in enumerate(amounts):
                    sums[index] += amount
        self._parties.clear()

    def payment(self) -> dict[str, Any]:
        """The sums as the summary's ``payment`` gives them: the totals, the groups not
        comparable, and the amounts ``by_status``, ``by_provider`` and ``by_payer``."""
        self.fold()
        total = self.by.get("status", {})
        return {
            "billed": _money(sum((v[0] for v in total.values()), Decimal(0))),
            "allowed": _money(sum((v[1] for v in total.values()), Decimal(0))),
            "difference": _money(sum((v[2] for v in total.values()), Decimal(0))),
            "not_comparable": {
                "groups": int(sum((v[4] for v in total.values()), Decimal(0))),
                "billed": _money(sum((v[5] for v in total.values()), Decimal(0))),
            },
            **{
                f"by_{kind}": {
                    name: {
                        "billed": _money(v[0]),
                        "allowed": _money(v[1]),
                        "difference": _money(v[2]),
                        "groups": int(v[3]),
                        "not_comparable": int(v[4]),
                        "not_comparable_billed": _money(v[5]),
                    }
                    for name, v in sorted(self.by.get(kind, {}).items())
                }
                for kind in KINDS
            },
        }


def _money(value: Decimal) -> float:
    return float(cents(value))
