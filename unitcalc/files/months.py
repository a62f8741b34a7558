"""A visit file's remote therapeutic monitoring, grouped by patient and calendar month.

A row whose code is counted by the month (:data:`~unitcalc.files.check.MONTHLY`, as
:mod:`.check` read it) leaves its day's group: its group is its patient's month (the key
with the date of service's month in the date's place, ``P1 / 2026-03``), beside the
daily groups of the same file. The month groups are counted in columns, in the order of
the one-month engine (:func:`unitcalc.engine.month_count.calculate_month`), calling the
columnar form of each step of :mod:`unitcalc.engine.monthly`:

1. each row's code joined with its month data and checked as in force on its date; a
   group with a row that cannot be counted (unreadable, a code not in force, a device
   supply without its days of data ...) is handed to the one-month engine, whose error
   becomes its ``invalid`` finding;
2. the management minutes of each month added up and allocated
   (:func:`~unitcalc.engine.monthly.management_columns`);
3. each device supply row's code from its days of data
   (:func:`~unitcalc.engine.monthly.device_code_column`), then one per 30-day period of
   its system, in date order across the patient's months
   (:func:`~unitcalc.engine.monthly.counted_devices_column`);
4. the set-up counted once a month, or once per patient
   (:func:`~unitcalc.engine.monthly.set_up_column`);
5. the units allowed per code against those billed, and the status.

The groups that need words (all of them in a batch; in an audit those that are not ok,
or all of them when every group is listed) are worded by the same functions as the
one-month engine (:func:`~unitcalc.engine.month_result.month_result`,
:func:`~unitcalc.engine.month_result.month_finding`). Months need the date of service
in the group key: without it, monthly rows stay in their groups, which refuse them.
A file's parts and Spark's partitions hold whole patients, so a patient's months are
counted together.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..core.errors import UnitcalcError
from ..core.model import ServiceLine
from ..core.months import month_column
from ..core.windows import in_force_column
from ..engine.audit import Finding
from ..engine.compliance import status_column
from ..engine.month_count import MonthLine, calculate_month
from ..engine.month_result import (
    MonthHistory,
    MonthLineResult,
    MonthResult,
    month_finding,
    month_result,
)
from ..engine.monthly import (
    counted_devices_column,
    device_code_column,
    management_columns,
    month_code_frame,
    set_up_column,
)
from ..engine.wording import at_lines
from .check import BILLED, CODE, DAYS, DISCIPLINE, MINUTES, MONTHLY, PAYER, RULE, Row, key_names
from .evaluate import Group, Priced, PriceRow, invalid_finding, price_columns
from .group import GROUP
from .load import Loaded
from .options import Options
from .read import END, ERROR, LINE, Record

if TYPE_CHECKING:
    import polars as pl


@attrs.frozen(eq=False)
class Months:
    """A file's (or part's) month groups: those handed on, in file order of their first
    lines, and how many rows and groups were settled without a word."""

    groups: list[tuple[int, Group]]
    rows: int
    unusable: int
    """Rows that cannot be counted (their month is invalid because of them)."""
    quiet: int
    """Month groups settled ok and not handed on (an audit that lists findings only)."""


def split_months(parsed: pl.DataFrame, date_index: int | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows counted by the day and those counted by the month (none when the group
    key has no date of service, or no row's code is monthly)."""
    import polars as pl

    names = [name for name in parsed.columns if name.startswith("__k")]
    if date_index is None or not parsed.get_column(MONTHLY).any():
        return parsed, parsed.clear()
    monthly = pl.col(MONTHLY) & pl.all_horizontal(pl.col(name).is_not_null() for name in names)
    return parsed.filter(~monthly), parsed.filter(monthly)


def settle_months(rows: pl.DataFrame, loaded: Loaded, options: Options) -> Months:
    """Count and audit every month group of ``rows`` (see the module's docstring)."""
    if rows.height == 0:
        return Months([], 0, 0, 0)
    import polars as pl

    layout = loaded.layout
    assert layout.date_index is not None
    names = key_names(layout)
    patient = [name for index, name in enumerate(names) if index != layout.date_index]
    date = names[layout.date_index]
    table = options.settings.codes
    codes = month_code_frame(table)
    day = pl.col(date).str.to_date("%Y-%m-%d", strict=False)
    rows = (
        rows.with_columns(__day=day)
        .with_columns(
            __month=month_column(pl.col("__day")), __on=pl.col("__day").dt.truncate("1mo")
        )
        .with_columns(pl.col(LINE).min().over([*patient, "__month"]).alias(GROUP))
        .join(codes, left_on=CODE, right_on="code", how="left", maintain_order="left")
        .sort(GROUP, LINE)
    )
    window = in_force_column(pl.col("valid_from"), pl.col("valid_to"), pl.col("__day"))
    device = pl.col("role") == "device"
    problem = (
        pl.col(ERROR).is_not_null()
        | pl.col("role").is_null()
        | ~window
        | (device & (pl.col(DAYS).is_null() | (pl.col(DAYS) > pl.col("period_days"))))
    )
    rows = rows.with_columns(__problem=problem, __bad=problem.any().over(GROUP))
    good = _counted(rows.filter(~pl.col("__bad")), codes, patient, options)
    allowed = good.allowed
    billed = (
        rows.filter(~pl.col("__bad"))
        .group_by(GROUP, CODE)
        .agg(pl.col(BILLED).fill_null(0).sum().alias("billed"))
    )
    per_code = allowed.join(billed, on=[GROUP, CODE], how="full", coalesce=True).fill_null(0)
    statuses = per_code.group_by(GROUP).agg(
        (pl.col("billed") == pl.col("units")).all().alias("__compliant"),
        (pl.col("billed").sum() - pl.col("units").sum()).alias("__difference"),
    )
    groups = (
        rows.group_by(GROUP)
        .agg(pl.col("__bad").first())
        .join(statuses, on=GROUP, how="left")
        .with_columns(__status=status_column(pl.col("__difference"), pl.col("__compliant")))
    )
    quiet_groups = groups.filter(pl.lit(False))
    listed = options.explain or options.price_columns or not options.only_findings
    if options.need_billed and not listed:
        quiet_groups = groups.filter(~pl.col("__bad") & (pl.col("__status") == "ok"))
    wanted = groups.join(quiet_groups.select(GROUP), on=GROUP, how="anti").sort(GROUP)
    worded = list(_worded(wanted, rows, good, loaded, options))
    return Months(
        worded,
        rows.height,
        int(rows.get_column("__problem").sum()),
        quiet_groups.height,
    )


@attrs.frozen(eq=False)
class _Counted:
    """The good groups counted in columns: units allowed per group and code, management
    minutes per group, and each row's outcome."""

    allowed: pl.DataFrame
    management: pl.DataFrame
    minutes: pl.DataFrame
    outcomes: pl.DataFrame


def _counted(
    good: pl.DataFrame, codes: pl.DataFrame, patient: Sequence[str], options: Options
) -> _Counted:
    """Steps 2-4 on the groups whose every row can be counted."""
    import polars as pl

    month = options.month
    role = pl.col("role")
    minutes = (
        good.group_by(GROUP)
        .agg(
            pl.col(MINUTES).filter(role == "management").fill_null(0).sum().alias("__managed"),
            pl.col("__on").first(),
        )
        .with_columns(pl.col("__managed").cast(pl.Int64))
    )
    management = management_columns(
        minutes,
        codes,
        group=GROUP,
        minutes="__managed",
        on="__on",
        further_blocks=month.further_blocks,
    ).rename({"code": CODE})
    devices = good.filter(role == "device")
    fitting = device_code_column(devices, codes, row=LINE, system="system", days=DAYS, day="__day")
    periods = codes.select(pl.col("code").alias("as"), pl.col("period_days").alias("__period"))
    devices = devices.join(fitting, on=LINE).join(periods, on="as")
    held = counted_devices_column(
        devices, key=[*patient, "system"], row=LINE, day="__day", period="__period"
    )
    device_outcomes = devices.select(LINE, "as").join(held, on=LINE)
    scope: list[str] = [GROUP] if month.set_up == "month" else list(patient)
    set_ups = good.filter(role == "set-up").select(
        LINE,
        pl.when(set_up_column(pl.col("__day"), pl.col(LINE), scope)).then(pl.col(CODE)).alias("as"),
        pl.lit(None, dtype=pl.Date).alias("held"),
    )
    outcomes = pl.concat(
        [
            device_outcomes.with_columns(
                pl.when(pl.col("held").is_null()).then(pl.col("as")).alias("as")
            ),
            set_ups,
        ],
        how="vertical_relaxed",
    )
    counted = (
        good.select(GROUP, LINE)
        .join(outcomes.filter(pl.col("as").is_not_null()), on=LINE)
        .group_by(GROUP, pl.col("as").alias(CODE))
        .agg(pl.len().cast(pl.Int64).alias("units"))
    )
    present = good.select(GROUP, CODE).unique().with_columns(units=pl.lit(0, dtype=pl.Int64))
    allowed = (
        pl.concat(
            [present, management.select(GROUP, CODE, "units"), counted], how="vertical_relaxed"
        )
        .group_by(GROUP, CODE)
        .agg(pl.col("units").sum())
    )
    return _Counted(allowed, management, minutes, outcomes)


def _worded(
    wanted: pl.DataFrame,
    rows: pl.DataFrame,
    counted: _Counted,
    loaded: Loaded,
    options: Options,
) -> Iterator[tuple[int, Group]]:
    """The month groups of ``wanted``, each with its finding (an audit) or its month's
    result (a batch), in file order."""
    if wanted.height == 0:
        return
    chosen = rows.join(wanted.select(GROUP), on=GROUP, how="semi").join(
        counted.outcomes, on=LINE, how="left"
    )
    chosen = chosen.sort(GROUP, LINE)
    records = loaded.record_rows(chosen.get_column(LINE).to_list())
    management: dict[int, dict[str, int]] = {}
    for group_id, code, units in counted.management.select(GROUP, CODE, "units").iter_rows():
        management.setdefault(group_id, {})[code] = units
    minutes = dict(counted.minutes.select(GROUP, "__managed").iter_rows())
    bad = dict(wanted.select(GROUP, "__bad").iter_rows())
    columns = [GROUP, LINE, END, CODE, MINUTES, DAYS, DISCIPLINE, BILLED, RULE, PAYER, ERROR,
               "__day", "__month", "as", "held", *key_names(loaded.layout)]  # fmt: skip
    frame = chosen.select(columns)
    for group_id, part in frame.group_by(GROUP, maintain_order=True):
        values = part.to_dicts()
        yield (
            values[0][LINE],
            _group(
                int(group_id[0]),
                values,
                records,
                loaded,
                options,
                bad=bool(bad[group_id[0]]),
                management=management.get(int(group_id[0]), {}),
                minutes=int(minutes.get(group_id[0], 0)),
            ),
        )


def _group(
    group_id: int,
    values: list[dict[str, Any]],
    records: Mapping[int, Record],
    loaded: Loaded,
    options: Options,
    *,
    bad: bool,
    management: dict[str, int],
    minutes: int,
) -> Group:
    """One month group, its rows rebuilt from their parsed columns, with its finding or
    its result."""
    layout = loaded.layout
    names = key_names(layout)
    first = values[0]
    key = tuple(first[name] for name in names)
    key = tuple(
        first["__month"] if index == layout.date_index else part for index, part in enumerate(key)
    )
    rows = tuple(_row(value, records[value[LINE]], key, options) for value in values)
    lines = tuple(line for value in values for line in range(value[LINE], value[END] + 1))
    name = " / ".join(key)
    table = options.settings.codes
    result: MonthResult | None = None
    finding: Finding | None = None
    errors: tuple[str, ...] = ()
    if bad:
        errors = _errors(values, options)
        if options.need_billed:
            finding = invalid_finding(name, "month", errors, lines)
    else:
        outcomes = [
            MonthLineResult(
                value[CODE],
                table.codes[value[CODE]].label,
                table.codes[value[CODE]].month.role,  # type: ignore[union-attr]
                value["__day"],
                value[MINUTES],
                value[DAYS],
                counted_as=value["as"],
                held=value["held"],
            )
            for value in values
        ]
        result = month_result(
            first["__month"],
            minutes,
            management,
            outcomes,
            options.month,
            history=MonthHistory(),
            codes=table,
        )
        if options.need_billed:
            billed: dict[str, int] = {}
            for value in values:
                billed[value[CODE]] = billed.get(value[CODE], 0) + (value[BILLED] or 0)
            finding = month_finding(result, billed, group=name, lines=lines, codes=table)
    priced = None
    if options.need_billed:
        kept = [row for row in rows if row.service is not None and row.billed is not None]
        wanted = price_columns(layout)
        priced = Priced(
            tuple(
                PriceRow(
                    row.record.line,
                    row.service.code,  # type: ignore[union-attr]
                    row.billed or 0,
                    row.service.discipline,  # type: ignore[union-attr]
                    {name: row.record.values.get(name) for name in wanted},
                )
                for row in kept
            ),
            {name: rows[0].record.values.get(name) for name in wanted},
            rows[0].payer,
        )
    del group_id
    return Group(key, layout, rows, None, errors, finding=finding, month=result, priced=priced)


def _row(value: dict[str, Any], record: Record, key: tuple[str, ...], options: Options) -> Row:
    """A row of a month group rebuilt from its parsed columns (never parsed again)."""
    if value[ERROR] is not None:
        return Row(record, key, None, None, None, value[ERROR], monthly=True)
    service = ServiceLine(value[CODE], value[MINUTES], discipline=value[DISCIPLINE])
    payer = options.profiles[value[PAYER]] if value[PAYER] else None
    return Row(
        record, key, service, value[BILLED], value[RULE], None, payer,
        days_of_data=value[DAYS], monthly=True,
    )  # fmt: skip


def _errors(values: list[dict[str, Any]], options: Options) -> tuple[str, ...]:
    """Why a month group cannot be counted: its unreadable rows, else the one-month
    engine's error naming the lines of its code."""
    errors = tuple(f"line {value[LINE]}: {value[ERROR]}" for value in values if value[ERROR])
    if errors:
        return errors
    lines = [
        MonthLine(
            value[CODE], value[MINUTES], days_of_data=value[DAYS], date_of_service=value["__day"]
        )
        for value in values
    ]
    try:
        calculate_month(
            lines, values[0]["__month"], codes=options.settings.codes, options=options.month
        )
    except UnitcalcError as exc:
        code = getattr(exc, "code", None)
        where = [value[LINE] for value in values if value[CODE] == code]
        return (at_lines(where or [value[LINE] for value in values], exc.worded(options.spelling)),)
    # Unreachable when both engines agree (tests/files/test_months.py holds them so).
    return (at_lines([value[LINE] for value in values], "this month cannot be counted"),)
