"""Months: what a monthly code counts in its month, and the month as a value.

A monthly code (remote therapeutic monitoring) is counted by the calendar month or by a
30-day period, never by a day's minutes. What it counts is data, in its code table entry
(``month = {...}``, read into a :class:`MonthCounting`): its role (``set-up``,
``device`` or ``management``), for a management code the minutes of the month its unit
needs (``minutes``) and the code it follows (``after``, for an add-on block), for a
device supply code the system it monitors (``system``), the days of data its period
needs (``days``, both ends inclusive) and the period's length (``period_days``).

The month itself has two forms side by side, as every value: :func:`month_of` for one
date, :func:`month_column` for a column of dates (polars); ``tests/core/test_months.py``
holds them equal. A month is written ``YYYY-MM`` (:func:`parse_month`).

>>> month_of(datetime.date(2026, 3, 31))
'2026-03'
>>> parse_month("2026-3")
datetime.date(2026, 3, 1)
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal

import attrs

from .errors import InvalidServiceError

if TYPE_CHECKING:
    import polars as pl

    from . import dicts

MonthRole = Literal["set-up", "device", "management"]
MONTH_ROLES: tuple[MonthRole, ...] = ("set-up", "device", "management")
_MONTH_KEYS = frozenset({"role", "minutes", "after", "system", "days", "period_days"})
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{1,2})$")


@attrs.frozen
class MonthCounting:
    """How a monthly code counts in its month (the ``month`` table of its entry)."""

    role: MonthRole
    minutes: int | None = None
    """Management codes: the month's minutes its unit needs (its first block, or each
    further block for a code that follows another)."""
    after: str | None = None
    """Management codes: the first-block code whose minutes this one's blocks follow
    (98981 after 98980); codes without it are alternatives, one a month."""
    system: str | None = None
    """Device supply codes: what the device monitors; codes of one system are chosen
    between by the days of data."""
    days: tuple[int, int] | None = None
    """Device supply codes: the days of data in the period the code needs (inclusive)."""
    period_days: int | None = None
    """Device supply codes: the period's length in days (one unit per period)."""

    def to_dict(self) -> dicts.MonthCounting:
        return {
            "role": self.role,
            "minutes": self.minutes,
            "after": self.after,
            "system": self.system,
            "days": list(self.days) if self.days is not None else None,
            "period_days": self.period_days,
        }


def parse_counting(
    value: object, fail: Callable[[str, str], Exception], code_of: Callable[[str], str]
) -> MonthCounting:
    """A code table entry's ``month`` table, every key checked; ``fail(key, problem)``
    builds the error naming the entry's key (``month``) and what is wrong, ``code_of``
    puts a code in canonical form."""
    if not isinstance(value, Mapping):
        raise fail("month", 'must be a table such as { role = "management", minutes = 20 }')
    unknown = sorted(set(value) - _MONTH_KEYS)
    if unknown:
        raise fail(
            "month", f"unknown key {unknown[0]!r}; keys are {', '.join(sorted(_MONTH_KEYS))}"
        )
    role = value.get("role")
    if role not in MONTH_ROLES:
        raise fail("month", f"role must be one of {', '.join(MONTH_ROLES)}, not {role!r}")
    given = {key for key in value if key != "role"}
    allowed = {
        "set-up": set(),
        "device": {"system", "days", "period_days"},
        "management": {"minutes", "after"},
    }[role]
    if given - allowed:
        extra = sorted(given - allowed)[0]
        raise fail("month", f"{extra} is not for a {role} code")
    if role == "management":
        minutes = _whole(value.get("minutes"), "minutes", fail)
        after = value.get("after")
        if after is not None and not isinstance(after, str):
            raise fail("month", f"after must be a code such as '98980', not {after!r}")
        try:
            after = code_of(after) if after is not None else None
        except InvalidServiceError as exc:
            raise fail("month", f"after: {exc}") from exc
        return MonthCounting(role, minutes=minutes, after=after)
    if role == "device":
        system = value.get("system")
        if not isinstance(system, str) or not system.strip():
            raise fail("month", "a device code needs its system, e.g. 'musculoskeletal'")
        period = _whole(value.get("period_days"), "period_days", fail)
        days = value.get("days")
        if (
            not isinstance(days, list)
            or len(days) != 2
            or any(isinstance(d, bool) or not isinstance(d, int) for d in days)
            or not 1 <= days[0] <= days[1] <= period
        ):
            raise fail(
                "month", f"days must be [FIRST, LAST] days of data within 1-{period}, not {days!r}"
            )
        return MonthCounting(
            role, system=system.strip(), days=(days[0], days[1]), period_days=period
        )
    return MonthCounting(role)


def _whole(value: object, key: str, fail: Callable[[str, str], Exception]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise fail("month", f"{key} must be whole minutes or days above 0, not {value!r}")
    return value


def check_counting(counting: Mapping[str, MonthCounting | None]) -> str | None:
    """What is wrong with the management codes' relations across a table (``None``: all
    is well): a code ``after`` another must follow a management code that follows none."""
    for code, entry in counting.items():
        if entry is None or entry.after is None:
            continue
        first = counting.get(entry.after)
        if first is None or first.role != "management" or first.after is not None:
            return (
                f"{code} counts after {entry.after}, which must be a monthly management code "
                "that follows none"
            )
    return None


# --- the month as a value --------------------------------------------------------------


def parse_month(value: object) -> datetime.date:
    """The first day of the month written ``YYYY-MM`` (or a date's month, for a date).

    >>> parse_month("2026-13")
    Traceback (most recent call last):
    ...
    unitcalc.core.errors.InvalidServiceError: month '2026-13' is not a month: write YYYY-MM, ...
    """
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.replace(day=1)
    text = value.strip() if isinstance(value, str) else None
    found = _MONTH.match(text) if text is not None else None
    if found is not None and 1 <= int(found.group(2)) <= 12 and int(found.group(1)) >= 1:
        return datetime.date(int(found.group(1)), int(found.group(2)), 1)
    raise InvalidServiceError(
        f"month {value!r} is not a month: write YYYY-MM, such as 2026-03",
        code=None,
        field="month",
        value=value,
    )


def month_of(day: datetime.date) -> str:
    """The calendar month of a date, ``YYYY-MM``."""
    return f"{day.year:04d}-{day.month:02d}"


def month_column(day: pl.Expr) -> pl.Expr:
    """The columnar form of :func:`month_of`: each date's month, ``YYYY-MM`` (null for
    no date)."""
    return day.dt.strftime("%Y-%m")


def last_day(first: datetime.date) -> datetime.date:
    """The last day of the month that starts on ``first``.

    >>> last_day(datetime.date(2026, 2, 1))
    datetime.date(2026, 2, 28)
    """
    following = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)
