"""The audit of the assistant modifiers billed on claim lines: CQ/CO as billed against
the units due.

:func:`unitcalc.engine.assistant.split_units` decides how many of a code's units take
CQ (PT assistant) or CO (OT assistant); this module reads the modifiers as billed
(:func:`parse_modifiers`, :class:`BilledLine`) and reports, as data, what differs
(:class:`ModifierFinding`, one of :data:`FINDING_KINDS`):

- a CQ billed without GP or a CO without GO (``unpaired-modifier``: claims so paired are
  rejected or returned as unprocessable);
- fewer units billed with the modifier than are due (``missing-modifier``: each such
  unit is paid too much, 15% under Medicare from 2022-01-01);
- more units billed with it than are due (``modifier-not-due``: paid too little, or,
  before 2020-01-01, a modifier that did not exist).

It is pure: the split carries the date of service's standard (the units due were decided
by the standard in force on it, :mod:`unitcalc.engine.assistant`) and the payer's
percentage. In 2020-2021 the modifier was required but paid in full: a finding then has no
payment effect, and its message names the standard that made the modifier due or not.

References:
    42 USC 1395m(v) (the modifier, the 85% payment); CMS Pub. 100-04 Ch. 5 section 20.1
    (CQ paired with GP, CO with GO; claims not so paired are returned).

>>> import datetime
>>> from unitcalc.engine.assistant import split_units
>>> due = split_units(code="97110", discipline="PT", units=1, therapist_minutes=5,
...                   assistant_minutes=10, date_of_service=datetime.date(2026, 3, 2))
>>> [f.kind for f in check_billed_lines(due, [BilledLine("97110", 1, "GP")])]
['missing-modifier']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..core.assistant import SOURCE_STATUTE, AssistantSplit, current_standard, standard_named
from ..core.disciplines import ASSISTANT_MODIFIERS, THERAPY_MODIFIERS
from ..core.errors import InvalidServiceError
from ..core.text import echo
from .assistant import REQUIRED_FROM

if TYPE_CHECKING:
    import polars as pl

SOURCE_PAIRING = "CMS Pub. 100-04 Ch. 5 section 20.1"


FindingKind = Literal["missing-modifier", "modifier-not-due", "unpaired-modifier"]
FINDING_KINDS: tuple[FindingKind, ...] = (
    "missing-modifier",
    "modifier-not-due",
    "unpaired-modifier",
)


def parse_modifiers(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Modifiers as billed, e.g. ``"GP;CQ"``, ``"GP,CQ"``, ``"GP CQ"`` or a list.

    >>> parse_modifiers(" gp; cq ")
    ('GP', 'CQ')
    """
    if value is None:
        return ()
    parts: Iterable[str]
    if isinstance(value, str):
        parts = value.replace(",", ";").replace(" ", ";").split(";")
    else:
        parts = value
    out = []
    for part in parts:
        if not isinstance(part, str):
            raise InvalidServiceError(
                f"modifiers must be text such as 'GP;CQ', not {echo(part)}",
                code=None,
                field="modifiers",
                value=value,
            )
        text = part.strip(_BLANK)
        if not text:
            continue
        if not _MODIFIER.fullmatch(text):
            raise InvalidServiceError(
                f"modifier {echo(text)} is not a two-character modifier such as GP or CQ",
                code=None,
                field="modifiers",
                value=value,
            )
        out.append(text.upper())
    return tuple(out)


_BLANK = " \t\n\v\f\r"
"""The white space a modifier may stand between (ASCII's)."""
_MODIFIER = re.compile("[A-Za-z0-9]{2}")
_PART = r"[\t\n\v\f\r]*(?:[A-Za-z0-9]{2}[\t\n\v\f\r]*)?"
_MODIFIERS_TEXT = rf"^{_PART}(?:[ ;,]{_PART})*$"
"""A modifiers cell :func:`parse_modifiers` reads: parts between spaces, semicolons or
commas, each empty or one modifier, white space around it."""


def modifiers_column(text: pl.Expr) -> pl.Expr:
    """The columnar form of :func:`parse_modifiers`: whether each cell reads (null for
    none), without the scalar form's error."""
    return text.str.contains(_MODIFIERS_TEXT)


@attrs.frozen
class BilledLine:
    """One claim line as billed: a code, its units and its modifiers.

    >>> BilledLine("97110", 1, "GP;CQ").modifiers
    ('GP', 'CQ')
    """

    code: str
    units: int
    modifiers: tuple[str, ...] = attrs.field(default=(), converter=parse_modifiers)


@attrs.frozen
class ModifierFinding:
    """One modifier error on a code: ``kind`` is one of :data:`FINDING_KINDS`."""

    code: str
    kind: FindingKind
    message: str
    modifier: str | None
    billed_with_modifier: int
    due_with_modifier: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "message": self.message,
            "modifier": self.modifier,
            "billed_with_modifier": self.billed_with_modifier,
            "due_with_modifier": self.due_with_modifier,
        }


def check_billed_lines(
    split: AssistantSplit, lines: Sequence[BilledLine]
) -> tuple[ModifierFinding, ...]:
    """Findings for the claim lines billed for ``split``'s code (other codes' lines, and
    lines marked for another discipline, are ignored).

    Flags a CQ without GP or a CO without GO on any line (claims so paired are returned,
    CMS 20.1), then compares the units billed with the modifier to the units due.

    >>> import datetime
    >>> from unitcalc.engine.assistant import split_units
    >>> due = split_units(code="97110", discipline="PT", units=2, therapist_minutes=13,
    ...                   assistant_minutes=23, date_of_service=datetime.date(2026, 3, 2))
    >>> [f.kind for f in check_billed_lines(due, [BilledLine("97110", 2, "GP")])]
    ['missing-modifier']
    """
    own = THERAPY_MODIFIERS[split.discipline]
    others = set(THERAPY_MODIFIERS.values()) - {own}
    relevant = [
        line
        for line in lines
        if line.code == split.code and (own in line.modifiers or not others & set(line.modifiers))
    ]
    findings: list[ModifierFinding] = []
    billed = 0
    for line in relevant:
        for assistant_mod, discipline in (("CQ", "PT"), ("CO", "OT")):
            pair = THERAPY_MODIFIERS[discipline]
            if assistant_mod in line.modifiers and pair not in line.modifiers:
                findings.append(
                    ModifierFinding(
                        code=split.code,
                        kind="unpaired-modifier",
                        message=(
                            f"{split.code}: {assistant_mod} billed without {pair} "
                            f"({';'.join(line.modifiers)}): {assistant_mod} must be paired "
                            f"with {pair}; claims not so paired are rejected or returned "
                            f"as unprocessable ({SOURCE_PAIRING})"
                        ),
                        modifier=assistant_mod,
                        billed_with_modifier=line.units,
                        due_with_modifier=split.with_modifier,
                    )
                )
        # Before 2020 no modifier was due: either assistant modifier counts as billed.
        due_modifiers = {split.modifier} if split.modifier else set(ASSISTANT_MODIFIERS.values())
        if due_modifiers & set(line.modifiers):
            billed += line.units
    findings.extend(check_modifier_count(split, billed))
    return tuple(findings)


def check_modifier_count(
    split: AssistantSplit, billed_with_modifier: int
) -> tuple[ModifierFinding, ...]:
    """Findings when the units billed with the modifier (a ``cq_units`` count) differ from
    the units due: a missing modifier (paid too much) or one not due (paid too little).

    >>> from unitcalc.engine.assistant import split_units
    >>> due = split_units(code="97110", discipline="PT", units=1, therapist_minutes=14,
    ...                   assistant_minutes=1)
    >>> [f.kind for f in check_modifier_count(due, 1)]
    ['modifier-not-due']
    """
    _check_count(split.code, billed_with_modifier)
    due = split.with_modifier
    name = split.modifier or ASSISTANT_MODIFIERS[split.discipline]
    reduction = 100 - split.paid_percent
    if billed_with_modifier < due:
        missing = due - billed_with_modifier
        effect = (
            f"paid {reduction}% too much on {'it' if missing == 1 else 'them'}"
            if reduction
            else "no payment difference on this date, but the modifier is required "
            f"from {REQUIRED_FROM.isoformat()} ({SOURCE_STATUTE}){_under(split)}"
        )
        return (
            ModifierFinding(
                code=split.code,
                kind="missing-modifier",
                message=(
                    f"{split.code}: {_units(missing)} furnished in whole or in part by the "
                    f"assistant billed without {name} ({due} due, {billed_with_modifier} "
                    f"billed): {effect}"
                ),
                modifier=name,
                billed_with_modifier=billed_with_modifier,
                due_with_modifier=due,
            ),
        )
    if billed_with_modifier > due:
        extra = billed_with_modifier - due
        if split.modifier is None:
            effect = (
                f"no assistant modifier existed before {REQUIRED_FROM.isoformat()} "
                f"({SOURCE_STATUTE})"
            )
        elif reduction:
            effect = f"paid {reduction}% too little on {'it' if extra == 1 else 'them'}"
        else:
            effect = (
                "no payment difference on this date, but the claim misstates who "
                f"furnished it{_under(split)}"
            )
        return (
            ModifierFinding(
                code=split.code,
                kind="modifier-not-due",
                message=(
                    f"{split.code}: {_units(extra)} billed with {name} where none is due "
                    f"({due} due, {billed_with_modifier} billed): {effect}"
                ),
                modifier=name,
                billed_with_modifier=billed_with_modifier,
                due_with_modifier=due,
            ),
        )
    return ()


def _check_count(code: str, billed_with_modifier: int) -> None:
    """Refuse a count of units billed with the modifier that is not a whole number 0 or
    more."""
    if isinstance(billed_with_modifier, bool) or not isinstance(billed_with_modifier, int):
        raise InvalidServiceError(
            f"{code}: units billed with the modifier must be a whole number, "
            f"not {billed_with_modifier!r}",
            code=code,
            field="cq_units",
            value=billed_with_modifier,
        )
    if billed_with_modifier < 0:
        raise InvalidServiceError(
            f"{code}: units billed with the modifier must be 0 or more, not {billed_with_modifier}",
            code=code,
            field="cq_units",
            value=billed_with_modifier,
        )


def _under(split: AssistantSplit) -> str:
    """The standard that decided the units due, where the finding has no payment effect
    to state and the standard is an earlier one than today's (a 2020-2021 claim)."""
    if split.standard is None or split.standard == current_standard().name:
        return ""
    standard = standard_named(split.standard)
    return f"; due under {standard.label} ({standard.window}: {standard.cite})"


def _units(count: int) -> str:
    return f"{count} unit" if count == 1 else f"{count} units"
