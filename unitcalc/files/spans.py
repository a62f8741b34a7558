"""A frame sorted by group, made Python lists once, read a group at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .group import GROUP

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
