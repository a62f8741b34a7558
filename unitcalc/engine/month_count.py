"""One patient's month of remote therapeutic monitoring: counted, explained and audited.

A month's lines (:class:`MonthLine`: a code, its management minutes or days of data, its
date) travel through the steps of :mod:`.monthly` in its order: each line's code looked
up as in force on its date (:meth:`~unitcalc.core.codes.CodeTable.lookup_monthly`), the
management minutes added up and allocated, each device supply line's days of data
turned into the code they support and its 30-day period checked against the patient's
earlier supplies (``history``), the set-up counted; then :func:`month_result` words the
count (the explanation, the notes) and :func:`month_finding` compares it with the units
billed. The file engine (:mod:`unitcalc.files.months`) computes the same steps in columns
and calls :func:`month_result` and :func:`month_finding` for the words, so both engines
say the same.

>>> result = calculate_month([MonthLine("98980", 45), MonthLine("98977", days_of_data=20)],
...                      month="2026-03")
>>> dict(result.units), result.total_units
({'98980': 1, '98977': 1, '98981': 1}, 3)
>>> audit_month([MonthLine("98980", 15)], {"98980": 1}, month="2026-03").status
'misallocated'
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence

import attrs

from ..core.codeinfo import CodeInfo, normalize_code
from ..core.codes import CodeTable
from ..core.errors import InvalidServiceError, Mention, message_of
from ..core.months import MonthRole, last_day, month_of, parse_month
from ..core.values import parse_date_of_service, parse_minutes, parse_units
from .audit import Finding
from .month_result import MonthHistory, MonthLineResult, MonthResult, month_finding, month_result
from .monthly import (
    Counted,
    MonthOptions,
    counted_devices,
    counted_set_ups,
    device_code,
    in_force,
    management_units,
)

__all__ = [
    "MonthHistory",
    "MonthLine",
    "MonthLineResult",
    "MonthOptions",
    "MonthResult",
    "audit_month",
    "calculate_month",
]


def _days(value: object) -> int | None:
    return None if value is None else parse_units(value, code=None, field="days_of_data")


@attrs.frozen
class MonthLine:
    """One documented line of a month: a monthly code, its management minutes (98979,
    98980, 98981) or days of data in its 30-day period (device supply codes), and its
    date of service (default: the month's first day).

    >>> line = MonthLine(" 98977", days_of_data="20", date_of_service="2026-03-02")
    >>> line.code, line.days_of_data, line.date_of_service
    ('98977', 20, datetime.date(2026, 3, 2))
    """

    code: str = attrs.field(converter=normalize_code)
    minutes: int | None = None
    days_of_data: int | None = attrs.field(default=None, kw_only=True, converter=_days)
    date_of_service: datetime.date | None = attrs.field(
        default=None, kw_only=True, converter=parse_date_of_service
    )

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "minutes", parse_minutes(self.minutes, code=self.code))


def calculate_month(
    lines: Iterable[MonthLine] | Mapping[str, int | None],
    month: str | datetime.date,
    *,
    codes: CodeTable | None = None,
    options: MonthOptions | None = None,
    history: MonthHistory | None = None,
) -> MonthResult:
    """Count one patient's month (``"YYYY-MM"``) of remote therapeutic monitoring.

    ``lines`` are :class:`MonthLine` objects, or ``{code: minutes}`` for management and
    set-up codes alone (a device supply needs its days of data: a :class:`MonthLine`).
    ``options`` settle what the sources leave open (:class:`MonthOptions`); ``codes``
    replaces the packaged code table. ``history`` carries the patient's earlier months
    (:attr:`MonthResult.history` of the month before): a device supply less than 30
    days after one counted then is not counted. Raises
    :class:`~unitcalc.InvalidServiceError` (or a code table lookup error) naming the
    line's code and field for a line that cannot be counted.

    >>> calculate_month([MonthLine("98977", days_of_data=10)], "2025-06").total_units
    0
    """
    table = codes if codes is not None else CodeTable.default()
    options = options if options is not None else MonthOptions()
    history = history if history is not None else MonthHistory()
    first = parse_month(month)
    given = (
        [MonthLine(code, minutes) for code, minutes in lines.items()]
        if isinstance(lines, Mapping)
        else list(lines)
    )
    checked = [_checked(line, first, table) for line in given]
    minutes = sum(line.minutes or 0 for line, info in checked if _role(info) == "management")
    management = management_units(
        minutes, in_force(table, first), further_blocks=options.further_blocks
    )
    results = [
        MonthLineResult(
            info.code,
            info.label,
            _role(info),
            line.date_of_service or first,
            line.minutes,
            line.days_of_data,
        )
        for line, info in checked
    ]
    devices = _devices(results, table, dict(history.devices))
    done = history.set_up and options.set_up == "patient"
    set_ups = _in_order(results, "set-up")
    for index, counted in zip(set_ups, counted_set_ups(len(set_ups), done=done), strict=True):
        if counted:
            results[index] = attrs.evolve(results[index], counted_as=results[index].code)
    set_up = history.set_up or any(results[index].counted_as for index in set_ups)
    return month_result(
        month_of(first),
        minutes,
        management,
        results,
        options,
        history=MonthHistory(devices, set_up),
        codes=table,
    )


def _in_order(results: Sequence[MonthLineResult], role: MonthRole) -> list[int]:
    """The indices of the lines of ``role``, in date order (then input order)."""
    return sorted(
        (index for index, result in enumerate(results) if result.role == role),
        key=lambda index: (results[index].date_of_service, index),
    )


def _devices(
    results: list[MonthLineResult], table: CodeTable, devices: dict[str, Counted]
) -> dict[str, Counted]:
    """Each device supply line's code from its days of data, and whether its system's
    30-day period counts it (set on ``results``); the last supply counted per system."""
    fitting: dict[str, list[tuple[int, str]]] = {}
    for index in _in_order(results, "device"):
        line = results[index]
        system = _system(table, line.code)
        code = device_code(system, line.days_of_data or 0, line.date_of_service, table)
        if code is not None:
            fitting.setdefault(system, []).append((index, code))
    for system, chosen in fitting.items():
        days = [(results[index].date_of_service, _period(table, code)) for index, code in chosen]
        held, last = counted_devices(days, devices.get(system))
        for (index, code), covered in zip(chosen, held, strict=True):
            counted_as = None if covered else code
            results[index] = attrs.evolve(results[index], counted_as=counted_as, held=covered)
        if last is not None:
            devices[system] = last
    return devices


def _system(table: CodeTable, code: str) -> str:
    counting = table.codes[code].month
    assert counting is not None
    assert counting.system is not None
    return counting.system


def _checked(line: MonthLine, first: datetime.date, table: CodeTable) -> tuple[MonthLine, CodeInfo]:
    """A line's code looked up on its date, which must lie in the month, and the values
    its role needs."""
    day = line.date_of_service or first
    if not first <= day <= last_day(first):
        raise InvalidServiceError(
            f"{line.code}: date of service {day.isoformat()} is not in {month_of(first)}",
            code=line.code,
            field="date_of_service",
            value=day,
        )
    info = table.lookup_monthly(line.code, on=day)
    counting = info.month
    if counting is None:
        raise InvalidServiceError(
            message_of(
                f"{info.code} is a monthly code, but the code table does not say how it "
                'counts in a month: give its month table (role = "set-up", "device" or '
                '"management") in a ',
                Mention("path", owner="CodeTable.load"),
                " file",
            ),
            code=info.code,
            field="code",
            value=line.code,
            argument="path",
        )
    if counting.role == "device":
        period = counting.period_days or 30
        if line.days_of_data is None:
            raise InvalidServiceError(
                f"{info.code} counts the days of data in its {period}-day period: give "
                "its days_of_data",
                code=info.code,
                field="days_of_data",
                value=None,
            )
        if line.days_of_data > period:
            raise InvalidServiceError(
                f"{info.code}: days_of_data {line.days_of_data} is more days than its "
                f"{period}-day period holds",
                code=info.code,
                field="days_of_data",
                value=line.days_of_data,
            )
    return line, info


def _role(info: CodeInfo) -> MonthRole:
    assert info.month is not None
    return info.month.role


def _period(table: CodeTable, code: str | None) -> int:
    info = table.codes.get(code or "")
    return (info.month.period_days if info is not None and info.month else None) or 30


def audit_month(
    lines: Iterable[MonthLine] | Mapping[str, int | None],
    billed: Mapping[str, object],
    month: str | datetime.date,
    *,
    group: str = "",
    line_numbers: Sequence[int] = (),
    codes: CodeTable | None = None,
    options: MonthOptions | None = None,
    history: MonthHistory | None = None,
) -> Finding:
    """Audit one patient's month: ``billed`` maps codes to the units billed for the
    month (``{"98980": 1, "98981": 1}``); the other arguments are those of
    :func:`calculate_month`. Invalid input raises, as :func:`calculate_month` does; the file
    audit turns such errors into ``invalid`` findings.

    >>> finding = audit_month([MonthLine("98980", 25)], {"98980": 1, "98979": 1}, "2026-03")
    >>> finding.status, finding.difference
    ('over', 1)
    """
    table = codes if codes is not None else CodeTable.default()
    result = calculate_month(lines, month, codes=table, options=options, history=history)
    units: dict[str, int] = {}
    for raw, value in billed.items():
        code = normalize_code(raw)
        units[code] = units.get(code, 0) + parse_units(value, code=code)
    return month_finding(result, units, group=group, lines=line_numbers, codes=table)
