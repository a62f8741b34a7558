"""A finding's dollars as each output writes them, in both forms side by side: the
scalar form of one amount (a :class:`~decimal.Decimal`, or None) and the columnar form of
a column of amounts in whole cents (polars expressions), for the findings the columns
write (:mod:`.render`, :mod:`.texts`).

- JSON: the number ``float(amount)`` gives (``60.0``, ``33.33``, ``-15.0``), ``null``
  without one (:meth:`unitcalc.engine.audit.Finding.to_dict`);
- CSV and Parquet: the amount to the cent (``60.00``), blank without one
  (:func:`.findings_table.finding_row`);
- text: as a billing person writes it (``$1,250.00``, ``-$22.50``), ``-`` without one
  (:func:`.texts.finding_text`).

The columnar forms give null for an amount of a trillion dollars or more (no visit
file's day comes near): the finding is then written one by one.
``tests/files/test_amount_texts.py`` holds the two forms equal.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

LIMIT = 10**14
"""Cents at and beyond which the columnar forms give null (a trillion dollars)."""


def json_amount(amount: Decimal | None) -> str:
    """An amount as the audit's JSON writes it.

    >>> json_amount(Decimal("60.00")), json_amount(Decimal("-0.50")), json_amount(None)
    ('60.0', '-0.5', 'null')
    """
    return json.dumps(None if amount is None else float(amount))


def csv_amount(amount: Decimal | None) -> str:
    """An amount as the findings' CSV writes it.

    >>> csv_amount(Decimal("60")), csv_amount(Decimal("-0.5")), csv_amount(None)
    ('60.00', '-0.50', '')
    """
    return "" if amount is None else str(amount.quantize(Decimal("0.01")))


def text_amount(amount: Decimal | None) -> str:
    """An amount as the audit's text writes it.

    >>> text_amount(Decimal("1250")), text_amount(Decimal("-22.5")), text_amount(None)
    ('$1,250.00', '-$22.50', '-')
    """
    if amount is None:
        return "-"
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def json_amount_column(cents: pl.Expr) -> pl.Expr:
    """:func:`json_amount` of a column of cents."""
    import polars as pl

    whole, part = _parts(cents)
    # float's shortest text: the cents' trailing zero dropped, at least one digit kept.
    fraction = (
        pl.when(part == 0)
        .then(pl.lit("0"))
        .when(part % 10 == 0)
        .then((part // 10).cast(pl.String))
        .otherwise(part.cast(pl.String).str.zfill(2))
    )
    text = pl.concat_str(_sign(cents), whole.cast(pl.String), pl.lit("."), fraction)
    return pl.when(cents.is_null()).then(pl.lit("null")).otherwise(_bounded(cents, text))


def csv_amount_column(cents: pl.Expr) -> pl.Expr:
    """:func:`csv_amount` of a column of cents."""
    import polars as pl

    whole, part = _parts(cents)
    text = pl.concat_str(
        _sign(cents), whole.cast(pl.String), pl.lit("."), part.cast(pl.String).str.zfill(2)
    )
    return pl.when(cents.is_null()).then(pl.lit("")).otherwise(_bounded(cents, text))


def text_amount_column(cents: pl.Expr) -> pl.Expr:
    """:func:`text_amount` of a column of cents."""
    import polars as pl

    whole, part = _parts(cents)
    # Thousands apart by commas: groups of three digits, the first one unpadded.
    written = []
    for power in range(DOLLAR_GROUPS - 1, -1, -1):
        group = ((whole // 1000**power) % 1000).cast(pl.String)
        shown = pl.when(whole >= 1000 ** (power + 1)).then(group.str.zfill(3)).otherwise(group)
        comma = pl.lit("," if power else "")
        written.append(
            pl.when(whole >= 1000**power if power else pl.lit(True))
            .then(pl.concat_str(shown, comma))
            .otherwise(pl.lit(""))
        )
    text = pl.concat_str(
        _sign(cents), pl.lit("$"), *written, pl.lit("."), part.cast(pl.String).str.zfill(2)
    )
    return pl.when(cents.is_null()).then(pl.lit("-")).otherwise(_bounded(cents, text))


DOLLAR_GROUPS = 4
"""Groups of three digits in the dollars below :data:`LIMIT`."""


def _parts(cents: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The whole dollars and the cents left, of the amount's absolute value."""
    import polars as pl

    size = cents.abs().cast(pl.Int64, strict=False)
    return size // 100, size % 100


def _sign(cents: pl.Expr) -> pl.Expr:
    import polars as pl

    return pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))


def _bounded(cents: pl.Expr, text: pl.Expr) -> pl.Expr:
    """``text`` where the amount is below :data:`LIMIT`, else null."""
    import polars as pl

    return pl.when(cents.abs() < LIMIT).then(text)
