"""A finding's words: what was billed, what the rule allows, and what to change.

Written once and used by both engines: the one-visit audit (:func:`unitcalc.audit`) and
the file engine, which words the findings of the groups it settled in columns from their
columns with these same functions. Lines are keyed by code and the discipline pool they
were counted in; the discipline is shown only when the group has lines of more than one.

>>> billed = {("97110", None): 3, ("97140", None): 0}
>>> allowed = {("97110", None): 2, ("97140", None): 1}
>>> message("misallocated", "cms", billed, allowed, 3, 3, None)
'Billed 3 units (97110 x3, 97140 x0): the right total, on the wrong codes. cms allows 3 \
units as 97110 x2, 97140 x1: move units from 97110 to 97140.'
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence

from ..core.model import Note
from ..core.text import count_of
from .compliance import Status

LineKey = tuple[str, str | None]
"""A claim line: a code and the discipline pool it was counted in."""


def by_code(lines: Mapping[LineKey, int], *, order: Iterable[str]) -> dict[str, int]:
    """Units per code (summed over disciplines), codes of ``order`` first."""
    out = dict.fromkeys(order, 0)
    for (code, _), units in lines.items():
        out[code] = out.get(code, 0) + units
    return out


def shown(lines: Mapping[LineKey, int]) -> str:
    """``97110 x2, 97140 x1`` (``97110-PT x2`` when the lines have several disciplines)."""
    with_discipline = len({d for _, d in lines}) > 1
    parts = [
        f"{code}-{discipline} x{units}" if with_discipline and discipline else f"{code} x{units}"
        for (code, discipline), units in lines.items()
    ]
    return ", ".join(parts) or "nothing"


def message(
    status: Status,
    rule: str,
    billed: Mapping[LineKey, int],
    allowed: Mapping[LineKey, int],
    billed_total: int,
    allowed_total: int,
    tie: object,
) -> str:
    """The finding's message: the billed units, what ``rule`` allows, and the closest
    compliant allocation (or the moves that reach it); ``tie``: the allocation is not
    unique."""
    billed_text = f"Billed {count_of(billed_total, 'unit')} ({shown(billed)})"
    allowed_text = f"{rule} allows {count_of(allowed_total, 'unit')}"
    if status == "ok":
        tie_note = "; a tie, and the billed choice is one of the compliant ones" if tie else ""
        return f"{billed_text}: compliant; {allowed_text}{tie_note}."
    closest = f"Closest compliant allocation: {shown(allowed)}."
    if status == "over":
        excess = billed_total - allowed_total
        return (
            f"{billed_text}, but the documented minutes support {allowed_total} under {rule}: "
            f"{count_of(excess, 'unit')} over. {closest}"
        )
    if status == "under":
        missing = allowed_total - billed_total
        return (
            f"{billed_text}; the documented minutes support {allowed_total} under {rule}: "
            f"{count_of(missing, 'unit')} under, revenue not claimed. {closest}"
        )
    return (
        f"{billed_text}: the right total, on the wrong codes. {allowed_text} as "
        f"{shown(allowed)}{_moves(billed, allowed)}."
    )


def _moves(billed: Mapping[LineKey, int], allowed: Mapping[LineKey, int]) -> str:
    keys = list(dict.fromkeys([*allowed, *billed]))
    with_discipline = len({d for _, d in keys}) > 1

    def name(key: LineKey) -> str:
        return f"{key[0]}-{key[1]}" if with_discipline and key[1] else key[0]

    too_many = [name(k) for k in keys if billed.get(k, 0) > allowed.get(k, 0)]
    too_few = [name(k) for k in keys if billed.get(k, 0) < allowed.get(k, 0)]
    if not too_many or not too_few:
        return ""
    return f": move units from {', '.join(too_many)} to {', '.join(too_few)}"


def at_lines(lines: Sequence[int], problem: str) -> str:
    """A group's problem with the lines it is about: ``lines 3, 7: ...``."""
    return f"line{'s' * (len(lines) != 1)} {', '.join(map(str, lines))}: {problem}"


def invalid_message(errors: Sequence[str]) -> str:
    """The message of a group that could not be evaluated."""
    return "Could not be evaluated: " + "; ".join(errors)


def identical_notes(signatures: Iterable[tuple[int, Hashable]]) -> Iterator[Note]:
    """Rows entered twice are counted twice, as documented minutes add up; say so.
    ``signatures`` are each row's line and what it documents and bills."""
    seen: dict[Hashable, int] = {}
    for line, signature in signatures:
        if signature in seen:
            yield Note(
                f"lines {seen[signature]} and {line} are identical; both are counted: check "
                "that the service was not entered twice",
                kind="identical-rows",
            )
        else:
            seen[signature] = line
