"""Dollar amounts: rounded to the cent, and read as fee files and visit files write them.

Every amount unitcalc prices with comes from the user's files (docs/payment.md): this
module reads such a number (``$1,250.00``, ``31.47``) and bounds it, so that the products
the pricing takes of them still round to the cent exactly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ...core.errors import FeeFileError

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    """An amount rounded to the cent, halves up.

    >>> cents(Decimal("12.345")), cents(Decimal("-0.004"))
    (Decimal('12.35'), Decimal('0.00'))
    """
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded + 0  # -0.00 -> 0.00


AMOUNT_LIMIT = Decimal(10_000_000)
"""Amounts, relative values, GPCIs and conversion factors read from files are below this:
products of three of them still round to the cent exactly."""


def amount_of(text: str) -> Decimal | None:
    """A dollar amount (or another number of a fee file) as files write it (``$1,250.00``,
    ``31.47``); None when the text is no number from 0 up to :data:`AMOUNT_LIMIT`.

    >>> amount_of("$1,250.00"), amount_of("1e30"), amount_of("-3"), amount_of("abc")
    (Decimal('1250.00'), None, None, None)
    """
    try:
        number = Decimal(text.replace("$", "").replace(",", "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and 0 <= number < AMOUNT_LIMIT else None


def read_amount(text: str, shown: str, line: int, field: str, *, blank: bool = False) -> Decimal:
    """A number of a fee file's cell (``field`` on ``line`` of ``shown``); an error naming
    them when it is none. ``blank``: an empty cell is 0."""
    if blank and not text.replace("$", "").replace(",", "").strip():
        return Decimal(0)
    number = amount_of(text)
    if number is None:
        raise FeeFileError(
            f"{shown}, line {line}: {field} {text!r} is not an amount; write a number from 0 "
            "to under 10,000,000 such as 31.47",
            path=shown,
            line=line,
            field=field,
        )
    return number
