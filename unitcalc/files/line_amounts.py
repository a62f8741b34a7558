"""The billed dollars of each claim line an audit with fees priced, by input line: what
the episode and visit time findings' lines add up to (``billed_amount``), since such a
finding names lines across a patient's days, not one group."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    import polars as pl


@attrs.define
class LineAmounts:
    """Each priced line's billed amount: exact cents kept as whole numbers (an amount of
    a fraction of a cent as it is), the lines priced in columns as their frames."""

    cents: dict[int, int] = attrs.Factory(dict)
    odd: dict[int, Decimal] = attrs.Factory(dict)
    frames: list[pl.DataFrame] = attrs.Factory(list)

    def keep(self, lines: Sequence[int], amounts: Sequence[Decimal]) -> None:
        """A group's billed lines, each with its amount."""
        for line, amount in zip(lines, amounts, strict=True):
            whole = amount.scaleb(2)
            if whole == whole.to_integral_value():
                self.cents[line] = int(whole)
            else:
                self.odd[line] = amount

    def keep_columns(self, frame: pl.DataFrame) -> None:
        """Lines priced in columns: ``line`` and ``amount`` (whole cents)."""
        self.frames.append(frame)

    def of(self, wanted: Iterable[int]) -> dict[int, Decimal]:
        """The amounts of the ``wanted`` lines that were priced."""
        import polars as pl

        lines = set(wanted)
        found = {line: Decimal(self.cents[line]).scaleb(-2) for line in lines & self.cents.keys()}
        found |= {line: self.odd[line] for line in lines & self.odd.keys()}
        if self.frames and lines:
            chosen = pl.concat(self.frames).filter(pl.col("line").is_in(list(lines)))
            for line, amount in chosen.iter_rows():
                found[int(line)] = Decimal(int(amount)).scaleb(-2)
        return found
