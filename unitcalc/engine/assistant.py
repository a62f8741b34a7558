"""Assistant modifiers CQ (PT assistant) and CO (OT assistant): which units take them.

Since 2020-01-01 Medicare requires the CQ modifier (with GP) or the CO modifier (with GO)
on each unit of outpatient therapy furnished in whole or in part by a physical or
occupational therapist assistant; from 2022-01-01 such units are paid at 85%. This module
decides, unit by unit, which of a code's units take the modifier
(:mod:`unitcalc.engine.modifiers` checks the modifiers billed on claim lines against it).
It is pure: dates of service are arguments, nothing is printed, and the units themselves
come from the counting rule (the modifier never changes how many units a code bills).

Which standard decides it is data (``unitcalc/data/assistant.toml``, each standard with its
window of dates of service and its sources): the one in force on the date of service
(:meth:`~unitcalc.core.assistant.AssistantOptions.standard_for`), as a code's window is.
Each unit's reason cites the standard used. Two algorithms, one per standard's ``method``:

**"per-unit"**, the CY 2020 de minimis standard (dates of service 2020-01-01 to
2021-12-31): the 10% test applied to each unit's own minutes.

1. Only the minutes the assistant furnished on their own count as the assistant's; minutes
   furnished together are the therapist's (docs/rules.md, Assistant modifiers CQ and CO).
2. Each provider's own full units come first: every full unit (15 minutes) of the
   assistant's minutes is a unit furnished in whole by the assistant and takes the
   modifier; every full unit of the therapist's has no assistant minute and does not.
3. The minutes left over (each provider fewer than a full unit) make the final unit: the
   modifier when the assistant's are more than 10% of its minutes, however many the
   therapist furnished (the exception for the therapist's 8 minutes came in 2022). Two
   units made of them are judged together by the same test (DERIVED: no rule before
   CY 2022 splits them).

**"final-unit"**, the CY 2022 standard (from 2022-01-01): the same full units (rule 1),
then exceptions for the minutes left over:

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

Under both, when a payer's cap leaves a code fewer units than its full units, the
assistant's units are kept first, so the full rate is never claimed for the assistant's
time; a unit beyond the documented minutes (no rule unitcalc ships gives one) takes no
modifier.

For a code whose unit is not 15 minutes the thresholds follow the unit's midpoint (16 of
30 minutes instead of 8 of 15; 17-29 instead of 9-14), DERIVED from the CPT midpoint
rule (docs/rules.md).

Untimed services take the modifier on their one unit when the assistant's minutes are
more than 10% of the service's total time.

References:
    42 USC 1395m(v) (the 85% payment, the modifier); CMS Pub. 100-04 Ch. 5 section 20.1
    (CQ paired with GP, CO with GO; claims not so paired are returned); CMS "Billing
    Examples Using CQ/CO Modifiers for Services Furnished In Whole or In Part by PTAs and
    OTAs"; CY 2020 final rule 84 FR 62702-62707 (de minimis: more than 10 percent, per
    unit); CY 2022 final rule CMS-1751-F, 86 FR 64996 (the final-unit exceptions).

>>> split = split_units(code="97110", discipline="PT", units=1, therapist_minutes=5,
...                     assistant_minutes=10, date_of_service=datetime.date(2026, 3, 2))
>>> split.with_modifier, split.without_modifier, split.modifier, split.paid_percent
(1, 0, 'CQ', 85)

In 2021 the therapist's 8 minutes of the final unit did not exempt it:

>>> split = split_units(code="97110", discipline="PT", units=1, therapist_minutes=8,
...                     assistant_minutes=7, date_of_service=datetime.date(2021, 6, 1))
>>> split.with_modifier, split.standard, split.paid_percent
(1, 'cy2020', 100)
"""

from __future__ import annotations

import datetime

from ..core.assistant import (
    DEFAULT_OPTIONS,
    MEDICARE_PAYMENT,
    SOURCE_STATUTE,
    AssistantOptions,
    AssistantPayment,
    AssistantSplit,
    AssistantStandard,
    standards,
)
from ..core.disciplines import assistant_modifier
from ..core.errors import InvalidServiceError
from ..core.model import Note
from ..rules import attained_at, full_units

REQUIRED_FROM: datetime.date = standards()[0].valid_from
"""The first date of service on which the modifier is required (42 USC 1395m(v)): the
first standard's (``unitcalc/data/assistant.toml``)."""
EVALUATION_CODES = frozenset(
    ("97161", "97162", "97163", "97164", "97165", "97166", "97167", "97168")
)
"""PT and OT evaluations and re-evaluations: not furnished by assistants (docs/rules.md)."""


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
    means the rules in force now; it chooses the standard (``options.standard`` may name
    another).

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
    _check_counts(
        code,
        units=units,
        therapist_minutes=therapist_minutes,
        assistant_minutes=assistant_minutes,
        unit_minutes=unit_minutes,
        timed=timed,
    )
    warnings = _evaluation_warnings(code, assistant_minutes)
    standard = options.standard_for(date_of_service)
    if standard is None:
        assert date_of_service is not None  # a standard is in force now
        marks = _before_modifiers(code, units, date_of_service)
    elif timed:
        counts = (units, therapist_minutes, assistant_minutes, unit_minutes)
        marks = _timed_marks(_Units(code, modifier, standard, options), *counts)
    else:
        marks = _untimed_marks(
            code, modifier, units, therapist_minutes, assistant_minutes, options, standard
        )
    return AssistantSplit(
        code=code,
        discipline=discipline,
        units=units,
        with_modifier=sum(1 for taken, _ in marks if taken),
        therapist_minutes=therapist_minutes,
        assistant_minutes=assistant_minutes,
        modifier=modifier if standard is not None else None,
        paid_percent=payment.percent_on(date_of_service) if standard is not None else 100,
        reasons=tuple(reason for _, reason in marks),
        warnings=warnings,
        standard=standard.name if standard is not None else None,
    )


def _before_modifiers(code: str, units: int, day: datetime.date) -> list[tuple[bool, str]]:
    """Before the first standard no modifier existed: one reason for all the units."""
    reason = (
        f"{code}: no assistant modifier: the date of service {day.isoformat()} is before "
        f"{REQUIRED_FROM.isoformat()}, when CQ and CO began ({SOURCE_STATUTE})"
    )
    return [(False, reason)] if units else []


def _check_counts(code: str, *, timed: bool, **counts: int) -> None:
    """Refuse units and minutes that are not whole numbers 0 or more (in the order of
    :func:`split_units`' arguments), and a timed code without a unit length."""
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidServiceError(
                f"{code}: {name} must be a whole number 0 or more, not {value!r}",
                code=code,
                field=name,
                value=value,
            )
    if timed and counts["unit_minutes"] == 0:
        raise InvalidServiceError(
            f"{code}: a timed code needs a unit length", code=code, field="unit_minutes", value=0
        )


def _evaluation_warnings(code: str, assistant_minutes: int) -> tuple[Note, ...]:
    """A warning for assistant minutes on an evaluation, which assistants do not furnish."""
    if not assistant_minutes or code not in EVALUATION_CODES:
        return ()
    return (
        Note(
            f"{code} is an evaluation or re-evaluation, which therapist assistants do not "
            f"furnish: check the {assistant_minutes} assistant minutes documented on it",
            kind="assistant",
            codes=(code,),
        ),
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


class _Units:
    """A timed code's units as they are marked, in order: (takes the modifier, reason),
    under one standard and the options."""

    def __init__(
        self, code: str, modifier: str, standard: AssistantStandard, options: AssistantOptions
    ) -> None:
        self.code = code
        self.modifier = modifier
        self.standard = standard
        self.options = options
        self.marks: list[tuple[bool, str]] = []

    def add(self, taken: bool, why: str, *, final: bool = False) -> None:
        label = f"{self.code} unit {len(self.marks) + 1}{', the final unit' if final else ''}"
        verdict = self.modifier if taken else "no " + self.modifier
        self.marks.append((taken, f"{label}: {verdict}: {why}"))

    def cite(self, rule: str) -> str:
        """The citation of a reason: the CY 2022 rule's number and its source, or the
        standard's name, window and source."""
        standard = self.standard
        if standard.method == "final-unit":
            return f"{rule}, {standard.cite}"
        return f"{standard.label}, in force {standard.window}: {standard.cite}"


def _timed_marks(
    marked: _Units, units: int, therapist: int, assistant: int, unit_minutes: int
) -> list[tuple[bool, str]]:
    """(takes the modifier, reason) for each unit in order: see the module docstring."""
    # 8 of 15: the midpoint passed (docs/rules.md, the AMA/CPT per-code midpoint rule).
    half = attained_at(unit_minutes)
    _full_units(marked, units, therapist, assistant, unit_minutes)
    left = units - len(marked.marks)
    left_therapist = full_units(therapist, unit_minutes)[1]
    left_assistant = full_units(assistant, unit_minutes)[1]
    if marked.standard.method == "per-unit":
        _per_unit_left(marked, left, left_therapist, left_assistant, half)
    elif left == 1:
        _final_unit(marked, left_therapist, left_assistant, half)
    elif left >= 2:
        band = range(half + 1, unit_minutes)  # 9-14 minutes of a 15-minute unit
        _two_units_left(marked, left_therapist, left_assistant, band)
    while len(marked.marks) < units:
        # More units than the minutes hold: no counting rule unitcalc ships does this.
        marked.add(False, "a unit beyond the documented minutes: no assistant minutes in it")
    return marked.marks


def _full_units(
    marked: _Units, units: int, therapist: int, assistant: int, unit_minutes: int
) -> None:
    """Rule 1: each provider's full units, the assistant's first (also what a cap keeps
    first)."""
    cite = marked.cite("rule 1")
    for _ in range(min(full_units(assistant, unit_minutes)[0], units)):
        marked.add(
            True,
            f"a full unit furnished by the assistant alone ({unit_minutes} of the assistant's "
            f"{assistant} min; {cite})",
        )
    for _ in range(min(full_units(therapist, unit_minutes)[0], units - len(marked.marks))):
        marked.add(
            False,
            f"a full unit furnished by the therapist ({unit_minutes} of the therapist's "
            f"{therapist} min; {cite})",
        )


def _per_unit_left(marked: _Units, left: int, therapist: int, assistant: int, half: int) -> None:
    """The per-unit standard (CY 2020): the unit or two units made of the minutes left
    over take the modifier when the assistant's are more than 10% of them."""
    whole = therapist + assistant
    if not left or not whole:
        return  # no minutes left over: any further unit is beyond the documented minutes
    taken = _exceeds_de_minimis(assistant, whole, marked.options)
    share = f"{'' if taken else 'not '}{_de_minimis_words(marked.options)}"
    cite = marked.cite("")
    if left == 1:
        later = _exception_from(marked.standard) if taken and therapist >= half else ""
        marked.add(
            taken,
            f"the assistant furnished {assistant} of its {whole} min (therapist "
            f"{therapist}): {share} ({cite}{later})",
            final=True,
        )
        return
    for _ in range(2):
        marked.add(
            taken,
            f"two units left from the therapist's {therapist} and the assistant's "
            f"{assistant} min, judged together: the assistant's share is {share} of their "
            f"{whole} min (DERIVED; {cite})",
        )


def _exception_from(standard: AssistantStandard) -> str:
    """Where a later standard exempts a final unit of which the therapist furnished the
    midpoint, the words saying from when."""
    later = [
        other.valid_from
        for other in standards()
        if other.valid_from > standard.valid_from and other.method == "final-unit"
    ]
    return "".join(
        f"; the therapist's minutes exempt a final unit only from {day}" for day in later[:1]
    )


def _final_unit(marked: _Units, therapist: int, assistant: int, half: int) -> None:
    """Rules 2 and 3: one unit left, made of each provider's leftover minutes."""
    if therapist >= half:
        marked.add(
            False,
            f"the therapist furnished {therapist} min of it, {half} or more "
            f"(assistant {assistant} min; {marked.cite('rule 2')})",
            final=True,
        )
    elif assistant >= half:
        marked.add(
            True,
            f"the assistant furnished {assistant} min of it, {half} or more, and "
            f"the therapist {therapist}, fewer than {half} ({marked.cite('rule 2')})",
            final=True,
        )
    else:
        whole = therapist + assistant
        taken = _exceeds_de_minimis(assistant, whole, marked.options)
        verdict = "" if taken else "not "
        marked.add(
            taken,
            f"both furnished fewer than {half} min of it (therapist {therapist}, "
            f"assistant {assistant}): the assistant's share is {verdict}"
            f"{_de_minimis_words(marked.options)} of its {whole} min ({marked.cite('rule 3')}; "
            f"{marked.standard.de_minimis_cite})",
            final=True,
        )


def _two_units_left(marked: _Units, therapist: int, assistant: int, band: range) -> None:
    """Rule 4: two units left, each provider's leftover minutes a unit of its own (both
    units with the modifier when the option turns rule 4 off and both are in ``band``)."""
    cite = marked.standard.cite
    in_band = assistant in band and therapist in band
    if in_band and not marked.options.split_two_final_units:
        for _ in range(2):
            marked.add(
                True,
                f"two units left from the therapist's {therapist} and the "
                f"assistant's {assistant} min, both furnished in part by the "
                f"assistant (rule 4 turned off: {SOURCE_STATUTE}, 'in whole or in part')",
            )
        return
    rule = "rule 4" if in_band else "rule 4 applied beyond 9-14 min, DERIVED"
    if assistant:
        marked.add(
            True,
            f"two units left: this one is the assistant's {assistant} min ({rule}, {cite})",
        )
    marked.add(
        False,
        f"two units left: this one is the therapist's {therapist} min ({rule}, {cite})",
    )
    if not assistant:
        marked.add(False, f"two units left, with no assistant minutes among them ({cite})")


def _untimed_marks(
    code: str,
    modifier: str,
    units: int,
    therapist: int,
    assistant: int,
    options: AssistantOptions,
    standard: AssistantStandard,
) -> list[tuple[bool, str]]:
    whole = therapist + assistant
    taken = _exceeds_de_minimis(assistant, whole, options)
    verdict = "" if taken else "not "
    cite = standard.de_minimis_cite
    if standard.method == "per-unit":
        cite = f"{standard.label}, in force {standard.window}: {cite}"
    why = (
        f"{code}, untimed: {modifier if taken else 'no ' + modifier}: the assistant's "
        f"{assistant} min are {verdict}{_de_minimis_words(options)} of the service's "
        f"{whole} min ({cite}, untimed services)"
    )
    return [(taken, why) for _ in range(units)]
