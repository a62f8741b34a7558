"""A month's count in words: its units, the reasoning, the notes, and its audit finding.

Both engines call these functions: the one-visit month engine (:func:`unitcalc.engine.
month_count.calculate_month`) after counting a month line by line, and the file engine
(:mod:`unitcalc.files.months`) after counting many months in columns; each hands over
what the count found (the management minutes and the codes they support, each line's
outcome) and gets the same :class:`MonthResult`, and for an audit the same
:class:`~unitcalc.Finding` (:func:`month_finding`), word for word.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from ..core.codes import CodeTable
from ..core.frozen import frozen
from ..core.model import Note
from ..core.months import MonthRole
from ..core.text import count_of
from .audit import Finding
from .compliance import status
from .monthly import Counted, MonthOptions
from .wording import LineKey, shown

if TYPE_CHECKING:
    from ..core import dicts

RULE = "month"
"""The ``rule`` of a month's finding: counted by the month, under no day's rule."""


@attrs.frozen
class MonthHistory:
    """What a patient's earlier months leave for the next: the last device supply
    counted for each system (its day and period), and whether a set-up was counted."""

    devices: Mapping[str, Counted] = attrs.field(factory=dict, converter=frozen)
    set_up: bool = False


@attrs.frozen
class MonthLineResult:
    """How one line of a month counted."""

    code: str
    label: str
    role: MonthRole
    date_of_service: datetime.date
    minutes: int | None
    days_of_data: int | None
    counted_as: str | None = None
    """Device supply and set-up lines: the code the line counts as (None: it does not);
    management lines count together, never alone."""
    held: datetime.date | None = None
    """A device supply line not counted: the day of the supply counted before it whose
    30-day period holds it."""

    def to_dict(self) -> dicts.MonthLine:
        return {
            "code": self.code,
            "label": self.label,
            "role": self.role,
            "date_of_service": self.date_of_service.isoformat(),
            "minutes": self.minutes,
            "days_of_data": self.days_of_data,
            "counted_as": self.counted_as,
            "held_by": self.held.isoformat() if self.held else None,
        }


@attrs.frozen
class MonthResult:
    """One patient's month counted: the units of each code (those of the lines, then
    those the count adds), the management minutes, each line's outcome, the reasoning,
    what may surprise a biller, and the history the next month starts from."""

    month: str
    management_minutes: int
    units: Mapping[str, int] = attrs.field(converter=frozen)
    total_units: int
    lines: tuple[MonthLineResult, ...]
    explanation: tuple[str, ...]
    warnings: tuple[Note, ...]
    history: MonthHistory = attrs.field(factory=MonthHistory, eq=False)

    def to_dict(self) -> dicts.MonthResult:
        """The JSON shape of ``unitcalc calc --month`` and ``POST /api/month``."""
        return {
            "month": self.month,
            "management_minutes": self.management_minutes,
            "total_units": self.total_units,
            "units": dict(self.units),
            "lines": [line.to_dict() for line in self.lines],
            "explanation": list(self.explanation),
            "warnings": [note.text for note in self.warnings],
        }


def month_result(
    month: str,
    minutes: int,
    management: Mapping[str, int],
    lines: Sequence[MonthLineResult],
    options: MonthOptions,
    *,
    history: MonthHistory,
    codes: CodeTable,
) -> MonthResult:
    """The month's result from what its count found: ``minutes`` of management and the
    codes they support (``management``), each line's outcome (``lines``, in input
    order)."""
    units: dict[str, int] = dict.fromkeys((line.code for line in lines), 0)
    for code, count in management.items():
        units[code] = units.get(code, 0) + count
    for line in lines:
        if line.counted_as is not None:
            units[line.counted_as] = units.get(line.counted_as, 0) + 1
    return MonthResult(
        month=month,
        management_minutes=minutes,
        units=units,
        total_units=sum(units.values()),
        lines=tuple(lines),
        explanation=tuple(_explanation(month, minutes, management, lines, options, codes)),
        warnings=tuple(_notes(lines, options)),
        history=history,
    )


def _explanation(
    month: str,
    minutes: int,
    management: Mapping[str, int],
    lines: Sequence[MonthLineResult],
    options: MonthOptions,
    codes: CodeTable,
) -> list[str]:
    """The steps of the month's count, for people."""
    steps = [
        f"{month}: remote therapeutic monitoring, counted by the calendar month and by "
        "30-day periods, never by a day's minutes (neither the 8-minute rule nor the "
        "midpoint rule applies). Sources: the CY 2026 PFS final rule (CMS-1832-F) for "
        "98979 and 98984-98986, CR 14250 for 98979, 98984 and 98985 in therapy; each "
        "code's in the code table."
    ]
    managing = [line for line in lines if line.role == "management"]
    if managing:
        steps.append(
            f"Management: {minutes} minutes on {count_of(len(managing), 'line')}, added up "
            "for the calendar month."
        )
        steps.append(_allocation(minutes, management, options, codes))
    in_order = sorted(enumerate(lines), key=lambda each: (each[1].date_of_service, each[0]))
    for _, line in in_order:
        if line.role == "device":
            steps.append(_device_step(line, codes))
        elif line.role == "set-up":
            steps.append(_set_up_step(line, options))
    return steps


def _allocation(
    minutes: int, management: Mapping[str, int], options: MonthOptions, codes: CodeTable
) -> str:
    """How the month's management minutes became units."""
    first = [
        code
        for code in management
        if (info := codes.codes.get(code)) and info.month and info.month.after is None
    ]
    if not first:
        return (
            f"{minutes} minutes reach no management code in force this month: nothing to "
            "bill for management (the 8-minute rule never applies)."
        )
    chosen = codes.codes[first[0]]
    assert chosen.month is not None
    assert chosen.month.minutes is not None
    text = f"{chosen.code} once, for the first {chosen.month.minutes} minutes"
    rest = minutes - chosen.month.minutes
    for info in codes:
        if info.month is None or info.month.after != chosen.code or info.month.minutes is None:
            continue
        size = info.month.minutes
        further = management.get(info.code, 0)
        how = (
            f"each further {size} minutes once more than half of it has passed "
            "(the midpoint reading, UNCONFIRMED)"
            if options.further_blocks == "midpoint"
            else f"each further full {size} minutes, a part block not counted"
        )
        text += (
            f"; {info.code} x{further} for {how}: {rest} minutes after the first "
            f"{chosen.month.minutes}"
        )
    return text + "."


def _device_step(line: MonthLineResult, codes: CodeTable) -> str:
    """How one device supply line counted."""
    head = f"{line.code} on {line.date_of_service.isoformat()}, {line.days_of_data} days of data"
    if line.counted_as is not None:
        counting = codes.codes[line.counted_as].month
        assert counting is not None
        assert counting.days is not None
        low, high = counting.days
        return f"{head}: {line.counted_as} ({low}-{high} days in its period), counted."
    if line.held is not None:
        counting = codes.codes[line.code].month
        period = counting.period_days if counting is not None else None
        return (
            f"{head}: within the {period}-day period of the supply counted on "
            f"{line.held.isoformat()}, not counted (one a period, CMS-1832-F)."
        )
    counting = codes.codes[line.code].month
    system = counting.system if counting is not None else ""
    return f"{head}: no {system} device supply code needs that many days on that date."


def _set_up_step(line: MonthLineResult, options: MonthOptions) -> str:
    scope = "this month" if options.set_up == "month" else "for this patient"
    when = f"{line.code} on {line.date_of_service.isoformat()}"
    if line.counted_as is not None:
        return f"{when}: the set-up, counted once {scope}."
    return f"{when}: a set-up was already counted {scope}, not counted again."


def _notes(lines: Sequence[MonthLineResult], options: MonthOptions) -> list[Note]:
    """What may surprise a biller in the month's count."""
    notes: list[Note] = []
    for line in lines:
        day = line.date_of_service.isoformat()
        if line.minutes and line.role != "management":
            notes.append(
                Note(
                    f"{line.code} on {day}: its {line.minutes} minutes are not counted; a "
                    f"{line.role} code counts "
                    + ("days of data" if line.role == "device" else "once, not by time"),
                    kind="monthly",
                    codes=(line.code,),
                )
            )
    counted = [line.code for line in lines if line.role == "set-up" and line.counted_as]
    if counted and options.set_up == "month":
        notes.append(
            Note(
                f"{counted[0]} is billed once per episode of care; where an episode starts is "
                "not in the lines, so it is counted once a month: check that no earlier "
                "set-up of this episode was billed",
                kind="monthly",
                codes=(counted[0],),
            )
        )
    return notes


def month_finding(
    result: MonthResult,
    billed: Mapping[str, int],
    *,
    group: str = "",
    lines: Sequence[int] = (),
    codes: CodeTable,
) -> Finding:
    """The audit of a month: the units billed per code against the month's count.
    Compliant only when every code bills exactly its units (the month's count has a
    single answer: no tie)."""
    allowed = dict(result.units) | {code: result.units.get(code, 0) for code in billed}
    billed_all = {code: billed.get(code, 0) for code in allowed}
    billed_total, allowed_total = sum(billed_all.values()), sum(allowed.values())
    compliant = all(billed_all[code] == allowed[code] for code in allowed)
    found = status(billed_total - allowed_total, compliant=compliant)
    warnings = list(result.warnings)
    first = [
        code
        for code, units in sorted(billed_all.items())
        if units and (info := codes.codes.get(code)) and info.month
        and info.month.role == "management" and info.month.after is None
    ]  # fmt: skip
    if len(first) > 1:
        warnings.append(
            Note(
                f"{' and '.join(first)} are billed in the same month: one of them a month "
                "(10-19 minutes the shorter one, 20 or more the longer)",
                kind="monthly",
                codes=tuple(first),
            )
        )
    return Finding(
        group=group,
        status=found,
        rule=RULE,
        billed=billed_all,
        allowed=allowed,
        difference=billed_total - allowed_total,
        message=month_message(found, result.month, billed_all, allowed),
        lines=tuple(lines),
        explanation=result.explanation,
        warnings=tuple(warnings),
    )


def month_message(
    found: str, month: str, billed: Mapping[str, int], allowed: Mapping[str, int]
) -> str:
    """A month's finding in words: the billed units, what the month's documentation
    supports, and the closest compliant allocation or the moves that reach it."""
    billed_total, allowed_total = sum(billed.values()), sum(allowed.values())
    billed_lines: dict[LineKey, int] = {(code, None): units for code, units in billed.items()}
    allowed_lines: dict[LineKey, int] = {(code, None): units for code, units in allowed.items()}
    billed_text = f"Billed {count_of(billed_total, 'unit')} ({shown(billed_lines)})"
    supports = f"the documentation of {month} supports {allowed_total}"
    closest = f"Closest compliant allocation: {shown(allowed_lines)}."
    if found == "ok":
        return f"{billed_text}: compliant with the month's count of {month}."
    if found == "over":
        excess = count_of(billed_total - allowed_total, "unit")
        return f"{billed_text}, but {supports}: {excess} over. {closest}"
    if found == "under":
        missing = count_of(allowed_total - billed_total, "unit")
        return f"{billed_text}; {supports}: {missing} under, revenue not claimed. {closest}"
    too_many = [code for code in allowed if billed.get(code, 0) > allowed[code]]
    too_few = [code for code in allowed if billed.get(code, 0) < allowed[code]]
    moves = (
        f": move units from {', '.join(too_many)} to {', '.join(too_few)}"
        if too_many and too_few
        else ""
    )
    return (
        f"{billed_text}: the right total, on the wrong codes. The month's count of {month} "
        f"allows {count_of(allowed_total, 'unit')} as {shown(allowed_lines)}{moves}."
    )
