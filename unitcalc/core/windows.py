"""Code windows: how a code counts on a date of service.

Each entry of the code table carries the window in which the code is valid (both ends
inclusive). On a date inside it a code counts as its kind (timed or untimed); a deleted
code counts as it was counted while valid (its ``valid_kind``). Outside its window, a
monthly code, or a deleted code without a date (the current code set), cannot be counted
for a day: :meth:`unitcalc.core.codes.CodeTable.lookup` says why and names the codes in
force instead.

Two forms side by side: :func:`kind_on` for one code and date, :func:`kind_column` for
many rows in columns (polars). ``tests/core/test_windows.py`` holds them equal, and both
to the lookup.

References:
    The windows and their sources in ``unitcalc/data/codes.toml`` (CMS HCPCS and PFS
    releases, docs/codes.md).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from .codeinfo import CodeInfo, DayKind


def kind_on(info: CodeInfo, on: datetime.date | None) -> DayKind | None:
    """How the code counts on ``on`` (``None``: the current code set): ``timed`` or
    ``untimed``, or ``None`` when it cannot be counted for that day.

    >>> from unitcalc.core.codes import CodeTable
    >>> codes = CodeTable.default().codes
    >>> kind_on(codes["97001"], datetime.date(2016, 12, 31)), kind_on(codes["97001"], None)
    ('untimed', None)
    """
    if on is not None and not info.in_force_on(on):
        return None
    if info.kind == "deleted":
        return info.valid_kind if on is not None else None
    if info.kind in ("timed", "untimed"):
        return "timed" if info.kind == "timed" else "untimed"
    return None


def kind_column(
    kind: pl.Expr,
    valid_from: pl.Expr,
    valid_to: pl.Expr,
    valid_kind: pl.Expr,
    day: pl.Expr,
) -> pl.Expr:
    """The columnar form of :func:`kind_on`: each row's code's kind and window (joined
    from the code table) and its date of service (null: the current code set)."""
    import polars as pl

    inside = in_force_column(valid_from, valid_to, day)
    dated = pl.when(kind == "deleted").then(valid_kind).otherwise(kind)
    counted = pl.when(day.is_null()).then(kind).when(inside).then(dated).otherwise(None)
    return pl.when(counted.is_in(["timed", "untimed"])).then(counted).otherwise(None)


def in_force_column(valid_from: pl.Expr, valid_to: pl.Expr, day: pl.Expr) -> pl.Expr:
    """The columnar form of :meth:`CodeInfo.in_force_on
    <unitcalc.core.codeinfo.CodeInfo.in_force_on>`: whether each day lies in its code's
    window (both ends inclusive, null ends open)."""
    return (valid_from.is_null() | (day >= valid_from)) & (valid_to.is_null() | (day <= valid_to))
