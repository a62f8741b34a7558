"""Value objects: the service lines going in and the result coming out.

All are frozen attrs classes, safe to share and to hash where their fields allow.
Minutes are whole minutes as documented (CMS Pub. 100-04 Ch. 5 section 20.3): a value
with a fraction is rejected, never rounded.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

import attrs

from .codeinfo import normalize_code
from .disciplines import assistant_modifier, normalize_discipline
from .errors import InvalidServiceError
from .frozen import frozen, frozen_each
from .values import parse_minutes

if TYPE_CHECKING:
    from . import dicts
    from .assistant import AssistantSplit

NoteKind = Literal[
    "no-discipline",
    "two-disciplines",
    "rule-note",
    "untimed-no-minutes",
    "no-unit",
    "under-eight",
    "no-timed-unit",
    "payer-cap",
    "added-member",
    "assistant",
    "edit",
    "identical-rows",
    "unpriced",
    "assistant-carried",
    "monthly",
]
"""What a warning is about: a line without a discipline (``no-discipline``), a code
documented under two disciplines with the day pooled (``two-disciplines``), the code
table's note on a code under the rule (``rule-note``), an untimed code with 0 minutes
(``untimed-no-minutes``), minutes that get no unit (``no-unit``), a unit for fewer than 8
minutes (``under-eight``), fewer than 8 timed minutes in all (``no-timed-unit``), units a
payer's cap removed (``payer-cap``), a family member not entered that bills units
(``added-member``), assistant minutes on an evaluation (``assistant``), an MUE or NCCI
edit (``edit``), rows of a file entered twice (``identical-rows``), codes a fee file does
not price (``unpriced``), allowed units priced with the CQ/CO units billed because no
assistant minutes were documented (``assistant-carried``), how a month's remote
therapeutic monitoring was counted (``monthly``)."""


def _codes(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(codes)


@attrs.frozen
class Note:
    """A warning on a result or a finding: what may surprise a biller in the count.

    ``kind`` says what it is about, ``codes`` the codes it is about (empty: the whole
    visit or pool), ``text`` the words for people; ``str()`` of a note is its text.

    >>> note = Note("97140 bills 1 unit for 7 min", kind="under-eight", codes=("97140",))
    >>> str(note), note.about("97140"), note.about("97110")
    ('97140 bills 1 unit for 7 min', True, False)
    """

    text: str
    kind: NoteKind
    codes: tuple[str, ...] = attrs.field(default=(), converter=_codes)

    def __str__(self) -> str:
        return self.text

    def about(self, code: str) -> bool:
        """True when the note concerns ``code``: it names it, or names no code."""
        return not self.codes or code in self.codes

    def to_dict(self) -> dicts.Note:
        return {"kind": self.kind, "codes": list(self.codes), "text": self.text}


@attrs.frozen(repr=False)
class ServiceLine:
    """One documented service: a code, its minutes and optionally its discipline.

    ``minutes`` may be ``None`` for an untimed code. The code is normalised; minutes
    are checked as :func:`parse_minutes` describes.

    ``assistant_minutes`` are the minutes a PT or OT assistant furnished on their own,
    apart from the therapist; ``minutes`` are then the therapist's (alone or together
    with the assistant) and the code's minutes are the sum. They need the discipline (PT
    takes CQ, OT takes CO; SLP has no assistant modifier) and the therapist's minutes
    (0 when the assistant furnished it all); 0 assistant minutes need neither. See
    :mod:`unitcalc.engine.assistant`.

    >>> ServiceLine(" 97110", 33.0, discipline="gp")
    ServiceLine(code='97110', minutes=33, discipline='PT')
    >>> ServiceLine("97110", 13, assistant_minutes=23, discipline="PT")
    ServiceLine(code='97110', minutes=13, discipline='PT', assistant_minutes=23)
    """

    code: str = attrs.field(converter=normalize_code)
    minutes: int | None = None
    discipline: str | None = attrs.field(default=None, converter=normalize_discipline, kw_only=True)
    assistant_minutes: int | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        # Frozen class: the checked value replaces the raw one once, at construction.
        object.__setattr__(self, "minutes", parse_minutes(self.minutes, code=self.code))
        if self.assistant_minutes is None:
            return
        try:
            assistant = parse_minutes(self.assistant_minutes, code=self.code)
        except InvalidServiceError as exc:
            raise InvalidServiceError(
                exc.message.replace(": minutes ", ": assistant minutes ", 1),
                code=self.code,
                field="assistant_minutes",
                value=self.assistant_minutes,
            ) from None
        object.__setattr__(self, "assistant_minutes", assistant)
        if not assistant:
            return  # 0: the assistant furnished nothing on their own, whatever the discipline
        if self.discipline not in ("PT", "OT"):
            assistant_modifier(self.discipline, code=self.code)  # raises, naming the fix
        if self.minutes is None:
            raise InvalidServiceError(
                f"{self.code}: assistant minutes {assistant} are given but not the "
                "therapist's minutes: give both (the therapist's 0 when the assistant "
                "furnished it all)",
                code=self.code,
                field="minutes",
                value=None,
            )

    def __repr__(self) -> str:
        extra = (
            f", assistant_minutes={self.assistant_minutes!r}"
            if self.assistant_minutes is not None
            else ""
        )
        return (
            f"ServiceLine(code={self.code!r}, minutes={self.minutes!r}, "
            f"discipline={self.discipline!r}{extra})"
        )


@attrs.frozen
class LineResult:
    """The units of one code in one discipline pool."""

    code: str
    label: str
    timed: bool
    minutes: int | None
    units: int
    discipline: str | None = None
    assistant: AssistantSplit | None = None
    """Which of the units take CQ or CO, when assistant minutes were given."""

    def to_dict(self) -> dicts.Line:
        out: dicts.Line = {
            "code": self.code,
            "label": self.label,
            "minutes": self.minutes,
            "units": self.units,
            "timed": self.timed,
        }
        if self.discipline is not None:
            out["discipline"] = self.discipline
        if self.assistant is not None:
            out["assistant"] = self.assistant.to_dict()
        return out


@attrs.frozen
class TieGroup:
    """Codes whose leftover minutes tie for ``units`` remaining unit(s) in one pool."""

    discipline: str | None
    codes: tuple[str, ...]
    units: int
    leftover_minutes: int
    chosen: tuple[str, ...]

    def to_dict(self) -> dicts.TieGroup:
        return {
            "discipline": self.discipline,
            "codes": list(self.codes),
            "units": self.units,
            "leftover_minutes": self.leftover_minutes,
            "chosen": list(self.chosen),
        }


@attrs.frozen
class Tie:
    """The allocation is not unique: each group's codes share its units as the biller
    chooses. ``allocations`` counts every compliant allocation, the chosen one included."""

    groups: tuple[TieGroup, ...]
    allocations: int

    def to_dict(self) -> dicts.Tie:
        return {"groups": [g.to_dict() for g in self.groups], "allocations": self.allocations}


@attrs.frozen
class Result:
    """The billable units of one patient's day under one rule, with the reasoning.

    ``units`` maps every input code to its units, summed across disciplines. ``tie`` is
    ``None`` when the allocation is unique. ``alternatives`` holds the other compliant
    allocations, shaped like ``units`` (at most ``max_alternatives`` of them;
    ``alternatives_truncated`` says when more exist).
    """

    rule: str
    total_timed_minutes: int
    total_untimed_minutes: int
    total_units: int
    units: Mapping[str, int] = attrs.field(converter=frozen)
    lines: tuple[LineResult, ...]
    tie: Tie | None
    alternatives: tuple[Mapping[str, int], ...] = attrs.field(converter=frozen_each)
    alternatives_truncated: bool
    explanation: tuple[str, ...]
    warnings: tuple[Note, ...]
    """What may surprise a biller in the count (the edits among them)."""
    payer: str | None = None
    removed: Mapping[str, int] = attrs.field(factory=dict, converter=frozen)
    """Units a payer cap removed, by code."""
    edits: tuple[str, ...] = ()
    """MUE and NCCI edits the units trip (also among the warnings)."""
    assistant: Mapping[str, AssistantSplit] = attrs.field(factory=dict, converter=frozen)
    """Assistant modifier splits by code, for the codes given assistant minutes (a code
    split in two discipline pools is keyed ``CODE-PT`` and ``CODE-OT``)."""
    date_of_service: datetime.date | None = None

    def to_dict(self) -> dicts.Result:
        """The JSON shape of ``unitcalc calc --format json``."""
        out: dicts.Result = {
            "rule": self.rule,
            "total_timed_minutes": self.total_timed_minutes,
            "total_untimed_minutes": self.total_untimed_minutes,
            "total_units": self.total_units,
            "units": dict(self.units),
            "lines": [line.to_dict() for line in self.lines],
            "tie": self.tie.to_dict() if self.tie is not None else False,
            "alternatives": [dict(a) for a in self.alternatives],
            "alternatives_truncated": self.alternatives_truncated,
            "explanation": list(self.explanation),
            "warnings": [note.text for note in self.warnings],
            "payer": self.payer,
            "removed": dict(self.removed),
            "edits": list(self.edits),
        }
        if self.assistant:
            out["assistant"] = {key: split.totals() for key, split in self.assistant.items()}
            day = self.date_of_service
            out["date_of_service"] = day.isoformat() if day else None
        return out
