"""Values as documented, parsed: minutes, billed units and dates of service.

Each value has two forms side by side. The scalar form parses one value as a caller or a
file gives it (text, a number) and names what is wrong and the fix; the columnar form
parses a column of text (polars) in its plain spellings (``33``, ``2``, ``2026-01-05``,
``01/05/2026``) and says which values are plain: any other is left to the scalar form,
which parses it or names the problem. ``tests/core/test_values.py`` holds the two forms to
the same answers. Codes are parsed in :mod:`.codeinfo`, disciplines in
:mod:`.disciplines`, rule names in :mod:`unitcalc.rules`.

Minutes are whole minutes as documented (CMS Pub. 100-04 Ch. 5 section 20.3): a value
with a fraction is rejected, never rounded.
"""

from __future__ import annotations

import datetime
import numbers
import re
from typing import TYPE_CHECKING

from .errors import InvalidServiceError
from .text import echo

if TYPE_CHECKING:
    import polars as pl

MAX_MINUTES = 1440
"""Most minutes one line, or one code on one day, can hold: the minutes in a day."""
MAX_UNITS = 9999
"""Most units one line can bill."""

_NUMBER = re.compile(r"^([+-]?)(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))$")


def parse_minutes(value: object, *, code: str | None) -> int | None:
    """Return documented minutes as an int, or ``None`` when none were given.

    Accepts whole numbers, numbers with a zero fraction (``33.0``) and text holding
    either. Rejects fractions, negatives, booleans, NaN, other text, empty text and
    values above 1440, with a message naming the code and the value.

    >>> parse_minutes("33.0", code="97110")
    33
    >>> parse_minutes(7.5, code="97140")
    Traceback (most recent call last):
    ...
    unitcalc.core.errors.InvalidServiceError: 97140: minutes 7.5 has a fraction; give whole ...
    """
    if value is None:
        return None
    who = code or "service"

    def bad(problem: str) -> InvalidServiceError:
        return InvalidServiceError(
            f"{who}: minutes {echo(value)} {problem}", code=code, field="minutes", value=value
        )

    if isinstance(value, bool):
        raise bad("is true/false; give whole minutes such as 15")
    if isinstance(value, int):
        negative, fraction, minutes = value < 0, False, value
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise bad("is empty; give whole minutes such as 15")
        match = _NUMBER.match(text)
        if match is None:
            raise bad("is not a number; give whole minutes such as 15")
        sign, whole, decimals, only_decimals = match.groups()
        digits = (decimals or only_decimals or "").rstrip("0")
        if len((whole or "").lstrip("0")) > 5:
            # Never turned into an int: a number of thousands of digits is no minutes.
            raise bad(f"is more than the {MAX_MINUTES} minutes in a day")
        minutes = int(whole.lstrip("0") or "0") if whole else 0
        fraction = bool(digits)
        negative = sign == "-" and (minutes > 0 or fraction)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise bad("is not a number; give whole minutes such as 15")
        negative, fraction = value < 0, not value.is_integer()
        minutes = int(value) if not fraction else 0
    else:
        # Rarer numbers (Fraction, Decimal): exact arithmetic, loaded when needed.
        from decimal import Decimal
        from fractions import Fraction

        if not isinstance(value, numbers.Real | Decimal):
            raise bad(f"is a {type(value).__name__}; give whole minutes such as 15")
        try:
            exact = Fraction(value)  # type: ignore[arg-type]  # every Real converts
        except (ValueError, OverflowError):  # NaN and infinities
            raise bad("is not a number; give whole minutes such as 15") from None
        negative, fraction = exact < 0, exact.denominator != 1
        minutes = int(exact)
    if negative:
        raise bad("is negative; minutes run from 0 to 1440")
    if fraction:
        raise bad("has a fraction; give whole minutes as documented (unitcalc never rounds)")
    if minutes > MAX_MINUTES:
        raise bad(f"is more than the {MAX_MINUTES} minutes in a day")
    return minutes


_ISO_STRICT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def parse_date_of_service(value: object) -> datetime.date | None:
    """A date of service from a ``datetime.date`` or ``YYYY-MM-DD`` text; ``None`` (or
    empty text) means none was given.

    >>> parse_date_of_service("2016-06-01")
    datetime.date(2016, 6, 1)
    >>> parse_date_of_service("06/01/2016")
    Traceback (most recent call last):
    ...
    unitcalc.core.errors.InvalidServiceError: date of service '06/01/2016' is not a date ...
    """
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _ISO_STRICT.match(text):
            try:
                return datetime.date.fromisoformat(text)
            except ValueError:
                pass
    raise InvalidServiceError(
        f"date of service {echo(value)} is not a date written YYYY-MM-DD, such as 2016-06-01",
        code=None,
        field="date_of_service",
        value=value,
    )


def parse_units(value: object, *, code: str | None, field: str = "billed_units") -> int:
    """Billed units as a whole number of 0 or more (text such as ``"2"`` is fine).

    >>> parse_units("2", code="97110")
    2
    >>> parse_units("", code="97110")
    Traceback (most recent call last):
    ...
    unitcalc.core.errors.InvalidServiceError: 97110: billed_units '' is empty; write 0 if ...
    """
    who = code or "service"

    def bad(problem: str) -> InvalidServiceError:
        return InvalidServiceError(
            f"{who}: {field} {echo(value)} {problem}", code=code, field=field, value=value
        )

    if isinstance(value, bool):
        raise bad("is true/false; give a whole number of units")
    if isinstance(value, int):
        units = value
    elif isinstance(value, float):
        if value != value or not value.is_integer():
            raise bad("is not a whole number of units")
        units = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise bad("is empty; write 0 if no unit was billed")
        if not re.fullmatch(r"[0-9]+(\.0*)?", text):
            raise bad("is not a whole number of units 0 or more")
        whole = text.split(".")[0].lstrip("0")
        if len(whole) > 4:
            raise bad("is more units than one day can hold")
        units = int(whole or "0")
    else:
        raise bad(f"is a {type(value).__name__}; give a whole number of units")
    if units < 0:
        raise bad("is negative")
    if units > MAX_UNITS:
        raise bad("is more units than one day can hold")
    return units


_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_US_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")


def parse_date(text: str) -> tuple[datetime.date, str]:
    """A date of service and the way it was written (``iso`` or ``us``).

    >>> parse_date("2026-1-5"), parse_date("01/05/2026")[0]
    ((datetime.date(2026, 1, 5), 'iso'), datetime.date(2026, 1, 5))
    >>> parse_date("5.1.2026")
    Traceback (most recent call last):
    ...
    unitcalc.core.errors.InvalidServiceError: date_of_service '5.1.2026' is not a date: ...
    """
    value = text.strip()
    iso = _ISO_DATE.match(value)
    us = _US_DATE.match(value) if iso is None else None
    try:
        if iso is not None:
            year, month, day = map(int, iso.groups())
            return datetime.date(year, month, day), "iso"
        if us is not None:
            month, day, year = map(int, us.groups())
            return datetime.date(year, month, day), "us"
    except ValueError:
        pass
    raise InvalidServiceError(
        f"date_of_service {echo(text)} is not a date: write YYYY-MM-DD (2026-01-05) or "
        "MM/DD/YYYY (01/05/2026)",
        code=None,
        field="date_of_service",
        value=text,
    )


def minutes_cell(value: object, *, code: str | None) -> int | None:
    """A file's minutes cell: none for empty text (an untimed code needs none), else as
    :func:`parse_minutes` reads it.

    >>> minutes_cell(" ", code="97161"), minutes_cell("33", code="97110")
    (None, 33)
    """
    if isinstance(value, str) and not value.strip():
        return None
    return parse_minutes(value, code=code)


def minutes_column(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The columnar form of :func:`minutes_cell`: the minutes (null for empty text) and
    whether the text is plain (empty, or a whole number of 0 to 1,440 as polars reads
    it)."""
    import polars as pl

    minutes = text.cast(pl.Int64, strict=False)
    plain = (text == "") | minutes.is_between(0, MAX_MINUTES)
    return pl.when(text == "").then(None).otherwise(minutes), plain


def units_column(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The columnar form of :func:`parse_units`: the units and whether the text is plain
    (a whole number of 0 to 9,999, unsigned)."""
    import polars as pl

    units = text.cast(pl.Int64, strict=False)
    plain = units.is_between(0, MAX_UNITS) & ~text.str.starts_with("+") & ~text.str.starts_with("-")
    return units, plain


def date_column(text: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """The columnar form of :func:`parse_date`: the date as ``YYYY-MM-DD`` text, how it
    was written (``iso`` or ``us``), and whether the text is plain (either form, nothing
    around it)."""
    import polars as pl

    iso = text.str.to_date("%Y-%m-%d", strict=False, exact=True)
    us = text.str.to_date("%m/%d/%Y", strict=False, exact=True)
    day = pl.coalesce(iso, us)
    plain = (
        day.dt.year().is_between(1000, 9999)
        & text.str.len_bytes().is_between(8, 10)
        & ~text.str.contains(" ", literal=True)
    )
    written = pl.when(iso.is_not_null()).then(pl.lit("iso")).otherwise(pl.lit("us"))
    return day.dt.to_string("%Y-%m-%d"), written, plain
