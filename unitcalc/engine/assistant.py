"""Assistant modifiers CQ (PT assistant) and CO (OT assistant): which units take them.

Since 2020-01-01 Medicare requires the CQ modifier (with GP) or the CO modifier (with GO)
on each unit of outpatient therapy furnished in whole or in part by a physical or
occupational therapist assistant; from 2022-01-01 such units are paid at 85%. This module
decides, unit by unit, which of a code's units take the modifier, and checks the
modifiers billed on claim lines. It is pure: dates of service are arguments, nothing is
printed, and the units themselves come from the counting rule (the modifier never changes
how many units a code bills).

How a code's minutes map onto its units (one algorithm, :func:`split_units`):

1. Only the minutes the assistant furnished on their own count as the assistant's; minutes
   furnished together are the therapist's (docs/rules.md, Assistant modifiers CQ and CO).
2. Each provider's own full units come first: every full unit (15 minutes) of the
   assistant's minutes is a unit furnished in whole by the assistant and takes the
   modifier; every full unit of the therapist's minutes does not (rule 1).
3. The minutes left over (each provider fewer than a full unit) make the rest:
   - one unit left, the final unit: no modifier when the therapist furnished 8 minutes or
     more of it; the modifier when the assistant furnished 8 or more and the therapist
     fewer (rule 2); when both furnished fewer than 8, the modifier when the assistant's
     minutes are more than 10% of the unit's minutes (rule 3);
   - two units left: each provider's leftover is a unit of its own, the assistant's with
     the modifier and the therapist's without (rule 4, stated for 9-14 minutes each).
     Rule 4 is the proposed rule's text, its finalisation UNCONFIRMED: with
     ``split_two_final_units=False`` both of those units take the modifier when the
     assistant furnished 9-14 of their minutes (the statute's "in whole or in part").
   Two units left outside that band (possible when the total-time rule gives a code a
   leftover unit) are split the same way, each provider's leftover a unit of its own
   (DERIVED from rules 1 and 4).
4. When a payer's cap leaves a code fewer units than its full units, the assistant's
   units are kept first, so the full rate is never claimed for the assistant's time. A
   unit beyond the documented minutes (no rule unitcalc ships gives one) takes no modifier.

For a code whose unit is not 15 minutes the thresholds follow the unit's midpoint (16 of
30 minutes instead of 8 of 15; 17-29 instead of 9-14), DERIVED from the CPT midpoint
rule (docs/rules.md).

Untimed services take the modifier on their one unit when the assistant's minutes are
more than 10% of the service's total time.

References:
    42 USC 1395m(v) (the 85% payment, the modifier); CMS Pub. 100-04 Ch. 5 section 20.1
    (CQ paired with GP, CO with GO; claims not so paired are returned); CMS "Billing
    Examples Using CQ/CO Modifiers for Services Furnished In Whole or In Part by PTAs and
    OTAs"; CY 2020 final rule 84 FR 62702-62707 (de minimis: more than 10 percent);
    CY 2022 final rule CMS-1751-F, 86 FR 64996 (the de minimis standard per unit).

>>> split = split_units(code="97110", discipline="PT", units=1, therapist_minutes=5,
...                     assistant_minutes=10, date_of_service=datetime.date(2026, 3, 2))
>>> split.with_modifier, split.without_modifier, split.modifier, split.paid_percent
(1, 0, 'CQ', 85)
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import attrs

from ..core.assistant import (
    DEFAULT_OPTIONS,
    MEDICARE_PAYMENT,
    SOURCE_STATUTE,
    AssistantOptions,
    AssistantPayment,
    AssistantSplit,
)
from ..core.disciplines import ASSISTANT_MODIFIERS, THERAPY_MODIFIERS, assistant_modifier
from ..core.errors import InvalidServiceError
from ..core.model import Note

REQUIRED_FROM = datetime.date(2020, 1, 1)
"""The first date of service on which the modifier is required (42 USC 1395m(v))."""
EVALUATION_CODES = frozenset(
    ("97161", "97162", "97163", "97164", "97165", "97166", "97167", "97168")
)
"""PT and OT evaluations and re-evaluations: not furnished by assistants (docs/rules.md)."""

SOURCE_PAIRING = "CMS Pub. 100-04 Ch. 5 section 20.1"
SOURCE_PER_UNIT = "CY 2022 final rule, 86 FR 64996, CMS billing examples for CQ/CO"
SOURCE_DE_MINIMIS = "CY 2020 final rule, 84 FR 62702-62707"


def split_units(
    *,
    code: str,
    discipline: str | None,
    units: int,
    therapist_minutes: int,
    assistant_minutes: int,
    timed: bool = True,
    unit_minutes: int = 15,
    date_of_service: datetime.date | None = None,
    options: AssistantOptions = DEFAULT_OPTIONS,
    payment: AssistantPayment = MEDICARE_PAYMENT,
) -> AssistantSplit:
    """Which of a code's ``units`` take the assistant modifier (the module's algorithm).

    ``units`` are the code's billable units as the counting rule (and any payer cap) left
    them; ``therapist_minutes`` are the therapist's (alone or with the assistant) and
    ``assistant_minutes`` the assistant's on their own. ``date_of_service`` ``None``
    means the rules in force now.

    >>> s = split_units(code="97110", discipline="PT", units=2, therapist_minutes=13,
    ...                 assistant_minutes=23)
    >>> s.with_modifier, s.without_modifier
    (1, 1)
    >>> for reason in s.reasons:
    ...     print(reason)
    97110 unit 1: CQ: a full unit furnished by the assistant alone (15 of the ... rule 1, ...)
    97110 unit 2, the final unit: no CQ: the therapist furnished 13 min of it, 8 or ... rule 2, ...)
    """
    modifier = assistant_modifier(discipline, code=code)
    assert discipline is not None  # assistant_modifier refuses None
    for name, value in (
        ("units", units),
        ("therapist_minutes", therapist_minutes),
        ("assistant_minutes", assistant_minutes),
        ("unit_minutes", unit_minutes),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidServiceError(
                f"{code}: {name} must be a whole number 0 or more, not {value!r}",
                code=code,
                field=name,
                value=value,
            )
    if timed and unit_minutes == 0:
        raise InvalidServiceError(
            f"{code}: a timed code needs a unit length", code=code, field="unit_minutes", value=0
        )
    warnings: list[Note] = []
    if assistant_minutes and code in EVALUATION_CODES:
        warnings.append(
            Note(
                f"{code} is an evaluation or re-evaluation, which therapist assistants do not "
                f"furnish: check the {assistant_minutes} assistant minutes documented on it",
                kind="assistant",
                codes=(code,),
            )
        )
    if date_of_service is not None and date_of_service < REQUIRED_FROM:
        reason = (
            f"{code}: no assistant modifier: the date of service "
            f"{date_of_service.isoformat()} is before {REQUIRED_FROM.isoformat()}, when CQ "
            f"and CO began ({SOURCE_STATUTE})"
        )
        return AssistantSplit(
            code=code,
            discipline=discipline,
            units=units,
            with_modifier=0,
            therapist_minutes=therapist_minutes,
            assistant_minutes=assistant_minutes,
            modifier=None,
            paid_percent=100,
            reasons=(reason,) if units else (),
            warnings=tuple(warnings),
        )
    if timed:
        marks = _timed_marks(
            code, modifier, units, therapist_minutes, assistant_minutes, unit_minutes, options
        )
    else:
        marks = _untimed_marks(code, modifier, units, therapist_minutes, assistant_minutes, options)
    return AssistantSplit(
        code=code,
        discipline=discipline,
        units=units,
        with_modifier=sum(1 for taken, _ in marks if taken),
        therapist_minutes=therapist_minutes,
        assistant_minutes=assistant_minutes,
        modifier=modifier,
        paid_percent=payment.percent_on(date_of_service),
        reasons=tuple(reason for _, reason in marks),
        warnings=tuple(warnings),
    )


def _exceeds_de_minimis(assistant: int, whole: int, options: AssistantOptions) -> bool:
    """True when the assistant's minutes pass the 10% test on ``whole`` minutes.

    Exact integer arithmetic: ``assistant / whole > 10%`` is ``10 * assistant > whole``.
    """
    if assistant == 0:
        return False
    if options.de_minimis == "at-least":
        return 10 * assistant >= whole
    return 10 * assistant > whole


def _de_minimis_words(options: AssistantOptions) -> str:
    return "10% or more" if options.de_minimis == "at-least" else "more than 10%"


def _timed_marks(
    code: str,
    modifier: str,
    units: int,
    therapist: int,
    assistant: int,
    unit_minutes: int,
    options: AssistantOptions,
) -> list[tuple[bool, str]]:
    """(takes the modifier, reason) for each unit in order: see the module docstring."""
    cite = SOURCE_PER_UNIT
    half = (
        unit_minutes // 2 + 1
    )  # 8 of 15: the midpoint passed (docs/rules.md, the AMA/CPT per-code midpoint rule)
    full_assistant, left_assistant = divmod(assistant, unit_minutes)
    full_therapist, left_therapist = divmod(therapist, unit_minutes)
    marks: list[tuple[bool, str]] = []

    def unit(taken: bool, why: str, *, final: bool = False) -> None:
        label = f"{code} unit {len(marks) + 1}{', the final unit' if final else ''}"
        marks.append((taken, f"{label}: {modifier if taken else 'no ' + modifier}: {why}"))

    # Rule 1: full units, the assistant's first (also what a cap keeps first).
    for _ in range(min(full_assistant, units)):
        unit(
            True,
            f"a full unit furnished by the assistant alone ({unit_minutes} of the assistant's "
            f"{assistant} min; rule 1, {cite})",
        )
    for _ in range(min(full_therapist, units - len(marks))):
        unit(
            False,
            f"a full unit furnished by the therapist ({unit_minutes} of the therapist's "
            f"{therapist} min; rule 1, {cite})",
        )
    left = units - len(marks)
    if left == 1:
        if left_therapist >= half:
            unit(
                False,
                f"the therapist furnished {left_therapist} min of it, {half} or more "
                f"(assistant {left_assistant} min; rule 2, {cite})",
                final=True,
            )
        elif left_assistant >= half:
            unit(
                True,
                f"the assistant furnished {left_assistant} min of it, {half} or more, and "
                f"the therapist {left_therapist}, fewer than {half} (rule 2, {cite})",
                final=True,
            )
        else:
            whole = left_therapist + left_assistant
            taken = _exceeds_de_minimis(left_assistant, whole, options)
            verdict = "" if taken else "not "
            unit(
                taken,
                f"both furnished fewer than {half} min of it (therapist {left_therapist}, "
                f"assistant {left_assistant}): the assistant's share is {verdict}"
                f"{_de_minimis_words(options)} of its {whole} min (rule 3, {cite}; "
                f"{SOURCE_DE_MINIMIS})",
                final=True,
            )
    elif left >= 2:
        band = range(half + 1, unit_minutes)  # 9-14 minutes of a 15-minute unit
        in_band = left_assistant in band and left_therapist in band
        if in_band and not options.split_two_final_units:
            for _ in range(2):
                unit(
                    True,
                    f"two units left from the therapist's {left_therapist} and the "
                    f"assistant's {left_assistant} min, both furnished in part by the "
                    f"assistant (rule 4 turned off: {SOURCE_STATUTE}, 'in whole or in part')",
                )
        else:
            rule = "rule 4" if in_band else "rule 4 applied beyond 9-14 min, DERIVED"
            if left_assistant:
                unit(
                    True,
                    f"two units left: this one is the assistant's {left_assistant} min "
                    f"({rule}, {cite})",
                )
            unit(
                False,
                f"two units left: this one is the therapist's {left_therapist} min "
                f"({rule}, {cite})",
            )
            if not left_assistant:
                unit(False, f"two units left, with no assistant minutes among them ({cite})")
        while len(marks) < units:
            # More units than the minutes hold: no counting rule unitcalc ships does this.
            unit(False, "a unit beyond the documented minutes: no assistant minutes in it")
    return marks


def _untimed_marks(
    code: str,
    modifier: str,
    units: int,
    therapist: int,
    assistant: int,
    options: AssistantOptions,
) -> list[tuple[bool, str]]:
    whole = therapist + assistant
    taken = _exceeds_de_minimis(assistant, whole, options)
    verdict = "" if taken else "not "
    why = (
        f"{code}, untimed: {modifier if taken else 'no ' + modifier}: the assistant's "
        f"{assistant} min are {verdict}{_de_minimis_words(options)} of the service's "
        f"{whole} min ({SOURCE_DE_MINIMIS}, untimed services)"
    )
    return [(taken, why) for _ in range(units)]


# --- Audit: the modifiers billed on claim lines ------------------------------------------

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
                f"modifiers must be text such as 'GP;CQ', not {part!r}",
                code=None,
                field="modifiers",
                value=value,
            )
        text = part.strip().upper()
        if not text:
            continue
        if len(text) != 2 or not text.isalnum():
            raise InvalidServiceError(
                f"modifier {part.strip()!r} is not a two-character modifier such as GP or CQ",
                code=None,
                field="modifiers",
                value=value,
            )
        out.append(text)
    return tuple(out)


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

    >>> due = split_units(code="97110", discipline="PT", units=1, therapist_minutes=14,
    ...                   assistant_minutes=1)
    >>> [f.kind for f in check_modifier_count(due, 1)]
    ['modifier-not-due']
    """
    if isinstance(billed_with_modifier, bool) or not isinstance(billed_with_modifier, int):
        raise InvalidServiceError(
            f"{split.code}: units billed with the modifier must be a whole number, "
            f"not {billed_with_modifier!r}",
            code=split.code,
            field="cq_units",
            value=billed_with_modifier,
        )
    if billed_with_modifier < 0:
        raise InvalidServiceError(
            f"{split.code}: units billed with the modifier must be 0 or more, "
            f"not {billed_with_modifier}",
            code=split.code,
            field="cq_units",
            value=billed_with_modifier,
        )
    due = split.with_modifier
    name = split.modifier or ASSISTANT_MODIFIERS[split.discipline]
    reduction = 100 - split.paid_percent
    if billed_with_modifier < due:
        missing = due - billed_with_modifier
        effect = (
            f"paid {reduction}% too much on {'it' if missing == 1 else 'them'}"
            if reduction
            else "no payment difference on this date, but the modifier is required "
            f"from {REQUIRED_FROM.isoformat()} ({SOURCE_STATUTE})"
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
            effect = "no payment difference on this date, but the claim misstates who furnished it"
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


def _units(count: int) -> str:
    return f"{count} unit" if count == 1 else f"{count} units"
