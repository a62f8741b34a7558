"""A frame sorted by group, made Python lists once, read a group at a time; and what a
group's rows, so read, say of themselves (every line, rows entered twice)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..core.model import Note
from ..engine.wording import identical_notes
from .check import BILLED, CODE, DISCIPLINE, MINUTES
from .group import GROUP
from .read import END, LINE

if TYPE_CHECKING:
    import polars as pl


class Spans:
    """A frame sorted by group, as one Python list per column, and the span of rows
    each group holds: a group's values are slices, with no object built per row."""

    def __init__(self, frame: pl.DataFrame, names: Sequence[str]) -> None:
        self.values: dict[str, list[Any]] = {
            name: frame.get_column(name).to_list() for name in names
        }
        runs = frame.get_column(GROUP).rle()
        self.spans: dict[int, tuple[int, int]] = {}
        start = 0
        for length, group_id in zip(
            runs.struct.field("len").to_list(), runs.struct.field("value").to_list(), strict=True
        ):
            self.spans[group_id] = (start, start + length)
            start += length

    def of(self, group_id: int, names: Sequence[str] | None = None) -> dict[str, list[Any]]:
        """The group's values, column by column (those of ``names``, else every one)."""
        start, stop = self.spans[group_id]
        if names is not None:
            return {name: self.values[name][start:stop] for name in names}
        return {name: values[start:stop] for name, values in self.values.items()}


def identical_rows(rows: Mapping[str, Sequence[Any]]) -> tuple[Note, ...]:
    """Rows entered twice, as the columns parsed them."""
    if not any(rows["__twice"]):
        return ()
    return tuple(
        identical_notes(
            zip(
                rows[LINE],
                zip(rows[CODE], rows[MINUTES], rows[DISCIPLINE], rows[BILLED], strict=True),
                strict=True,
            )
        )
    )


def all_lines(rows: Mapping[str, Sequence[Any]]) -> tuple[int, ...]:
    """Every physical line of the group's rows (a record may span several)."""
    if rows[LINE] == rows[END]:
        return tuple(rows[LINE])
    return tuple(
        line
        for first, last in zip(rows[LINE], rows[END], strict=True)
        for line in range(first, last + 1)
    )
