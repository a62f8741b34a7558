"""Remote therapeutic monitoring counted by the month: the algorithms, each in two forms.

A month of one patient's remote therapeutic monitoring (RTM) is counted in three parts,
each from the code table's ``month`` data (:class:`~unitcalc.core.months.MonthCounting`),
never by a day's minutes (the 8-minute rule and the midpoint rule never apply):

- **Management** (98979, 98980, 98981): the management minutes documented in the calendar
  month add up. The first-block code with the most minutes the month reaches is billed
  once (98980 from 20 minutes; from 2026-01-01, 98979 for 10-19 minutes; under 10, or
  under 20 before 2026, nothing): one a month, so never 98979 with 98980. The code that
  follows it (98981 after 98980) is billed once for each further full block of its
  minutes (:func:`management_units`); ``MonthOptions.further_blocks="midpoint"`` counts
  a block once more than half of it has passed instead (the CPT time rule's reading,
  UNCONFIRMED for these codes).
- **Device supply** (98976-98978; 98984-98986 from 2026-01-01): each line's days of data
  in its 30-day period choose the code of the line's system that needs that many days
  (16-30, or 2-15) on the line's date (:func:`device_code`); one unit per 30-day period
  of each system: a line less than 30 days after the last one counted is not counted
  (:func:`counted_devices`, in date order across the patient's months).
- **Set-up** (98975): once per episode of care; a visit file does not show where an
  episode starts, so it is counted once a month by default and once per patient with
  ``MonthOptions.set_up="patient"`` (UNCONFIRMED either way; a note says so).

Each algorithm has its scalar form (one patient's month, :mod:`.month_count` words it)
beside its columnar form (polars, many patients' months at once, used by the file engine
:mod:`unitcalc.files.months`); ``tests/engine/test_monthly.py`` holds them equal.

References:
    CMS-1832-F, the CY 2026 PFS final rule (90 FR 49266, 5 November 2025): 98984-98986
    for 2-15 days of data in a 30-day period, not with the 16-30 day codes in the same
    period; 98979 for 10-19 minutes of management in a calendar month. CMS CR 14250
    (Transmittal R13431CP, MLN Matters MM14250), the CY 2026 therapy code update. The
    sources of each code are in ``unitcalc/data/codes.toml``; docs/rules.md states each
    choice and which are UNCONFIRMED.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..core.codeinfo import CodeInfo
from ..core.codes import CodeTable
from ..core.errors import InvalidServiceError
from ..core.windows import in_force_column
from ..rules import midpoint_units, whole_units

if TYPE_CHECKING:
    import polars as pl

FurtherBlocks = Literal["full", "midpoint"]
FURTHER_BLOCKS: tuple[FurtherBlocks, ...] = ("full", "midpoint")
SetUpScope = Literal["month", "patient"]
SET_UP_SCOPES: tuple[SetUpScope, ...] = ("month", "patient")


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value not in choices:
            raise InvalidServiceError(
                f"{attribute.name} {value!r} is none of {', '.join(choices)}",
                code=None,
                field=attribute.name,
                value=value,
                argument=attribute.name,
            )

    return check


@attrs.frozen
class MonthOptions:
    """The month's count where the sources leave a choice (docs/rules.md)."""

    further_blocks: FurtherBlocks = attrs.field(default="full", validator=_one_of(FURTHER_BLOCKS))
    """``full``: a further management block (98981) needs its full 20 minutes (the
    reading of the sources that state it); ``midpoint``: once more than half of it has
    passed (UNCONFIRMED)."""
    set_up: SetUpScope = attrs.field(default="month", validator=_one_of(SET_UP_SCOPES))
    """``month``: a set-up (98975) counts once a month; ``patient``: once for all the
    patient's months counted together (a visit file's rows are taken as one episode)."""


# --- management minutes ----------------------------------------------------------------


def management_units(
    minutes: int, codes: Iterable[CodeInfo], *, further_blocks: FurtherBlocks = "full"
) -> dict[str, int]:
    """The management codes the month's ``minutes`` support, from ``codes`` (the codes in
    force in the month): the first-block code with the most minutes reached, once, and
    the code that follows it once per further block.

    >>> table = CodeTable.default()
    >>> march = [i for i in table if i.month and i.in_force_on(datetime.date(2026, 3, 1))]
    >>> management_units(45, march), management_units(15, march), management_units(9, march)
    ({'98980': 1, '98981': 1}, {'98979': 1}, {})
    >>> management_units(31, march, further_blocks="midpoint")
    {'98980': 1, '98981': 1}
    """
    managing = [i for i in codes if i.month is not None and i.month.role == "management"]
    first = sorted(
        (i for i in managing if i.month is not None and i.month.after is None),
        key=lambda i: (-(i.month.minutes or 0) if i.month else 0, i.code),
    )
    chosen = next((i for i in first if i.month and (i.month.minutes or 0) <= minutes), None)
    if chosen is None or chosen.month is None:
        return {}
    units = {chosen.code: 1}
    rest = minutes - (chosen.month.minutes or 0)
    for info in sorted(managing, key=lambda i: i.code):
        if info.month is not None and info.month.after == chosen.code:
            further = blocks(rest, info.month.minutes or 1, further_blocks)
            if further:
                units[info.code] = further
    return units


def blocks(rest: Any, size: Any, further_blocks: FurtherBlocks) -> Any:
    """Further blocks of ``size`` minutes in ``rest`` minutes (numbers or expressions)."""
    if further_blocks == "midpoint":
        return midpoint_units(rest, size)
    return whole_units(rest, size)


def management_columns(
    groups: pl.DataFrame,
    codes: pl.DataFrame,
    *,
    group: str,
    minutes: str,
    on: str,
    further_blocks: FurtherBlocks = "full",
) -> pl.DataFrame:
    """The columnar form of :func:`management_units`: for each group (its management
    ``minutes`` and the month's first day ``on``), ``code`` and ``units`` of every
    management code its minutes support. ``codes`` is :func:`month_code_frame`."""
    import polars as pl

    managing = codes.filter(pl.col("role") == "management").select(
        pl.col("code").alias("__code"),
        pl.col("minutes").alias("__size"),
        pl.col("after").alias("__after"),
        pl.col("valid_from").alias("__valid_from"),
        pl.col("valid_to").alias("__valid_to"),
    )
    pairs = groups.select(group, minutes, on).join(managing, how="cross")
    pairs = pairs.filter(in_force_column(pl.col("__valid_from"), pl.col("__valid_to"), pl.col(on)))
    first = (
        pairs.filter(pl.col("__after").is_null() & (pl.col("__size") <= pl.col(minutes)))
        .sort(group, "__size", "__code", descending=[False, True, False])
        .group_by(group, maintain_order=True)
        .first()
        .select(group, minutes, "__code", pl.col("__size").alias("__first_size"))
    )
    further = pairs.join(
        first.select(group, pl.col("__code").alias("__after"), "__first_size"),
        on=[group, "__after"],
    ).select(
        group,
        "__code",
        blocks(pl.col(minutes) - pl.col("__first_size"), pl.col("__size"), further_blocks).alias(
            "units"
        ),
    )
    chosen = first.select(group, "__code", pl.lit(1, dtype=pl.Int64).alias("units"))
    found = pl.concat([chosen, further.cast({"units": pl.Int64})])
    return found.filter(pl.col("units") > 0).rename({"__code": "code"})


# --- device supply ---------------------------------------------------------------------


def device_code(system: str, days: int, on: datetime.date, codes: Iterable[CodeInfo]) -> str | None:
    """The device supply code of ``system`` that ``days`` of data support on ``on``
    (``None``: none does).

    >>> table = CodeTable.default()
    >>> [device_code("musculoskeletal", d, datetime.date(2026, 3, 2), table) for d in (1, 2, 16)]
    [None, '98985', '98977']
    >>> device_code("musculoskeletal", 10, datetime.date(2025, 3, 2), table) is None
    True
    """
    fitting = sorted(
        info.code
        for info in codes
        if info.month is not None
        and info.month.role == "device"
        and info.month.system == system
        and info.month.days is not None
        and info.month.days[0] <= days <= info.month.days[1]
        and info.in_force_on(on)
    )
    return fitting[0] if fitting else None


def device_code_column(
    rows: pl.DataFrame, codes: pl.DataFrame, *, row: str, system: str, days: str, day: str
) -> pl.DataFrame:
    """The columnar form of :func:`device_code`: ``row`` and the code (``as``) each row's
    ``system``, ``days`` of data and ``day`` support, for the rows some code fits."""
    import polars as pl

    devices = codes.filter(pl.col("role") == "device").select(
        "code", "system", "days_from", "days_to", "valid_from", "valid_to"
    )
    return (
        rows.select(row, system, days, day)
        .join(devices, left_on=system, right_on="system")
        .filter(
            pl.col(days).is_between(pl.col("days_from"), pl.col("days_to"))
            & in_force_column(pl.col("valid_from"), pl.col("valid_to"), pl.col(day))
        )
        .group_by(row)
        .agg(pl.col("code").min().alias("as"))
    )


Counted = tuple[datetime.date, int]
"""The day of the last device supply counted for a system, and its period in days."""


def counted_devices(
    lines: Sequence[tuple[datetime.date, int]], last: Counted | None = None
) -> tuple[list[datetime.date | None], Counted | None]:
    """Which of one system's device supply lines count, one per period: ``lines`` are
    each line's day and its code's period in days, in date order; ``last`` is the last
    one counted before them. For each line, ``None`` when it counts, else the day of the
    counted line whose period holds it; then the last one counted.

    >>> days = [(datetime.date(2026, 3, 2), 30), (datetime.date(2026, 3, 31), 30),
    ...         (datetime.date(2026, 4, 1), 30)]
    >>> held, last = counted_devices(days)
    >>> held, last[0]
    ([None, datetime.date(2026, 3, 2), None], datetime.date(2026, 4, 1))
    """
    held: list[datetime.date | None] = []
    for day, period in lines:
        if last is None or day >= last[0] + datetime.timedelta(days=last[1]):
            held.append(None)
            last = (day, period)
        else:
            held.append(last[0])
    return held, last


def counted_devices_column(
    rows: pl.DataFrame,
    *,
    key: Sequence[str],
    row: str,
    day: str,
    period: str,
    last: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The columnar form of :func:`counted_devices`, for many patients' systems at once
    (``key``): ``row`` and ``held``, the day of the counted line whose period holds it
    (null: it counts). Rows are taken in the order of ``day`` then ``row``. ``last``
    gives each key's last counted day and period before the rows (columns ``key``,
    ``last_day``, ``last_period``). One pass picks each key's next counted line, so the
    passes are as many as the most lines one key counts."""
    import polars as pl

    keys = list(key)
    pending = rows.select(*keys, row, day, period).sort(*keys, day, row)
    schema: dict[str, Any] = {name: rows.schema[name] for name in keys}
    schema |= {"last_day": pl.Date, "last_period": pl.Int64}
    state = (
        last.select(*keys, "last_day", "last_period")
        if last is not None
        else pl.DataFrame(schema=schema)
    )
    done: list[pl.DataFrame] = []
    while pending.height:
        joined = pending.join(state, on=keys, how="left", maintain_order="left")
        next_day = pl.col("last_day") + pl.duration(days=pl.col("last_period"))
        held = pl.col("last_day").is_not_null() & (pl.col(day) < next_day)
        done.append(joined.filter(held).select(row, pl.col("last_day").alias("held")))
        open_rows = joined.filter(~held).drop("last_day", "last_period")
        picked = open_rows.group_by(keys, maintain_order=True).first()
        done.append(picked.select(row, pl.lit(None, dtype=pl.Date).alias("held")))
        state = picked.select(
            *keys, pl.col(day).alias("last_day"), pl.col(period).cast(pl.Int64).alias("last_period")
        )
        pending = open_rows.join(picked.select(row), on=row, how="anti", maintain_order="left")
    schema = {row: rows.schema[row], "held": pl.Date}
    return pl.concat([pl.DataFrame(schema=schema), *done], how="vertical_relaxed")


# --- set-up ----------------------------------------------------------------------------


def counted_set_ups(lines: int, *, done: bool) -> list[bool]:
    """Which of a month's set-up lines (in date order) count: the first, unless a set-up
    was already counted (``done``, for the patient's earlier months when the set-up is
    counted once per patient).

    >>> counted_set_ups(2, done=False), counted_set_ups(1, done=True)
    ([True, False], [False])
    """
    return [index == 0 and not done for index in range(lines)]


def set_up_column(day: pl.Expr, line: pl.Expr, scope: Sequence[str]) -> pl.Expr:
    """The columnar form of :func:`counted_set_ups`: whether each set-up row counts, the
    first by ``day`` then ``line`` in its ``scope`` (its month's group, or its patient's
    columns)."""
    import polars as pl

    return pl.int_range(pl.len()).over(list(scope), order_by=[day, line]) == 0


# --- the code table's month data in columns --------------------------------------------


def month_code_frame(table: CodeTable) -> pl.DataFrame:
    """The monthly codes of ``table`` with their month data, one row per code: ``code``,
    ``role``, ``minutes``, ``after``, ``system``, ``days_from``, ``days_to``,
    ``period_days`` and the window (``valid_from``, ``valid_to``)."""
    import polars as pl

    entries = [info for info in table if info.monthly and info.month is not None]

    def each(name: str) -> list[Any]:
        return [getattr(info.month, name) for info in entries]

    days = [info.month.days if info.month else None for info in entries]
    return pl.DataFrame(
        {
            "code": [info.code for info in entries],
            "role": each("role"),
            "minutes": each("minutes"),
            "after": each("after"),
            "system": each("system"),
            "days_from": [d[0] if d else None for d in days],
            "days_to": [d[1] if d else None for d in days],
            "period_days": each("period_days"),
            "valid_from": [info.valid_from for info in entries],
            "valid_to": [info.valid_to for info in entries],
        },
        schema={
            "code": pl.String,
            "role": pl.String,
            "minutes": pl.Int64,
            "after": pl.String,
            "system": pl.String,
            "days_from": pl.Int64,
            "days_to": pl.Int64,
            "period_days": pl.Int64,
            "valid_from": pl.Date,
            "valid_to": pl.Date,
        },
    )


def in_force(table: CodeTable, on: datetime.date) -> list[CodeInfo]:
    """The monthly codes of ``table`` in force on ``on``."""
    return [info for info in table if info.monthly and info.in_force_on(on)]
