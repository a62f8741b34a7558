"""The words of a visit's count: the explanation's steps and the warnings that are not
the rule's own (the rule words its allocation, :mod:`unitcalc.rules`; a payer's terms are
worded in :mod:`.caps`).

Each function words one thing, in the order the one-visit engine meets it: the code
windows of the date of service, pools per discipline, the code table's notes, a code
under two disciplines, untimed codes, add-on families, the total.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping

from ..core.codes import CodeTable
from ..core.model import Note
from ..core.text import count_of
from ..rules import TimedItem
from .pools import CodeInPool, Pool


def window_steps(pools: Mapping[str | None, Pool], on: datetime.date | None) -> Iterator[str]:
    """Codes valid for a limited window, and how they count on the date of service."""
    if on is None:
        return
    for pool in pools.values():
        for entry in pool.codes.values():
            if entry.info.valid_to is not None and entry.listed:
                yield (
                    f"{entry.info.code} is valid {entry.info.window}: on "
                    f"{on.isoformat()} it counts as {entry.info.kind}"
                )


def discipline_step(pools: Mapping[str | None, Pool]) -> str:
    """Why disciplines are counted apart."""
    shown = ", ".join(pool.discipline or "no discipline" for pool in pools.values())
    return (
        f"Disciplines are counted apart ({shown}): each is its own plan of care (CMS "
        "20.1). Pooling per discipline is the common reading, not a sentence of the CMS "
        "text; pooling the whole day instead is an option."
    )


def apart_warning(pools: Mapping[str | None, Pool]) -> Note:
    """Lines without a discipline counted in a pool of their own, beside named ones."""
    bare = pools[None].codes
    named = ", ".join(pool.discipline for pool in pools.values() if pool.discipline)
    return Note(
        f"{', '.join(bare)} {'has' if len(bare) == 1 else 'have'} no discipline while other "
        f"lines do ({named}): counted in a pool of their own; give the discipline (e.g. "
        "97110-GP) if they belong to a plan of care",
        kind="no-discipline",
        codes=tuple(bare),
    )


def rule_notes(pools: Mapping[str | None, Pool], table: CodeTable, rule: str) -> Iterator[Note]:
    """The code table's notes on the codes given, under the rule counted by."""
    for pool in pools.values():
        for entry in pool.codes.values():
            note = entry.info.rule_notes.get(rule)
            # A primary's note speaks for its family, even when only the add-on was given.
            family = [pool.codes[c] for c in table.addons(entry.info.code) if c in pool.codes]
            if note and (entry.listed or any(member.listed for member in family)):
                yield rule_note(entry.info.code, note)


def rule_note(code: str, note: str) -> Note:
    """The code table's note on ``code`` under the rule counted by, as a warning."""
    return Note(f"{code}: {note}", kind="rule-note", codes=(code,))


def two_disciplines(pools: Mapping[str | None, Pool]) -> Iterator[Note]:
    """Codes documented under two disciplines, with the whole day pooled."""
    for pool in pools.values():
        for entry in pool.codes.values():
            if len(entry.disciplines) > 1:
                named = " and ".join(sorted(d or "no discipline" for d in entry.disciplines))
                yield Note(
                    f"{entry.info.code} was documented under {named}; with the whole day "
                    "pooled its minutes count as one line: split its units between the plans "
                    "of care yourself",
                    kind="two-disciplines",
                    codes=(entry.info.code,),
                )


def untimed_step(entry: CodeInPool, pool: str | None) -> str:
    """How an untimed code counts."""
    where = f" ({pool})" if pool else ""
    minutes = (
        f"; its {entry.minutes} min count toward total treatment time, not toward timed units"
        if entry.minutes
        else ""
    )
    listed = f"; listed {entry.listed} times, still 1 unit" if entry.listed > 1 else ""
    return (
        f"{entry.info.code}{where}, {entry.info.label}, is untimed: 1 unit for the day whatever "
        f"the minutes (CMS 20.2 B){minutes}{listed}"
    )


def untimed_without_minutes(code: str) -> Note:
    """The warning on an untimed code billed with 0 documented minutes."""
    return Note(
        f"{code} is untimed and bills 1 unit, but 0 minutes were documented: record the "
        "service's minutes (they count toward total treatment time, CMS Pub. 100-02 Ch. 15 "
        "section 220.3) or remove the line if the service was not given",
        kind="untimed-no-minutes",
        codes=(code,),
    )


def family_step(item: TimedItem, split: Mapping[str, int], pool: str | None) -> str:
    """How an add-on family's units are billed."""
    primary, addon = list(split)
    where = f" ({pool})" if pool else ""
    return (
        f"{primary} and its add-on {addon}{where} count as one service of {item.minutes} min: "
        f"{primary} bills the first unit ({split[primary]}), {addon} each further unit "
        f"({split[addon]})"
    )


def added_member_warning(code: str, family: str, pool: str | None) -> Note:
    """A family member not entered that bills units."""
    where = f" ({pool})" if pool else ""
    return Note(
        f"{code}{where} was not entered but bills units: {family} count as one service, the "
        "first unit billed as the primary code and the rest as its add-on",
        kind="added-member",
        codes=(code,),
    )


def total_step(timed_units: int, untimed_units: int) -> str:
    """The explanation's last line."""
    return (
        f"Total: {count_of(timed_units, 'timed unit')} + "
        f"{count_of(untimed_units, 'untimed unit')} = "
        f"{count_of(timed_units + untimed_units, 'unit')}."
    )
