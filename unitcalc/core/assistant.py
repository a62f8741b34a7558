"""The values of the assistant modifiers CQ and CO: the standards that decide which units
take them and the dates each governs, the split of a code's units, how a payer pays the
units that carry the modifier, and the options of the sub-rules that are UNCONFIRMED. The
algorithms that decide which units take the modifier are :mod:`unitcalc.engine.assistant`.

The standards are data (``unitcalc/data/assistant.toml``), each with its window of dates
of service and its sources: the one in force on a date is chosen from them
(:func:`standard_on`), as a code's window is.

References:
    42 USC 1395m(v) (the 85% payment, the modifier); CY 2020 final rule 84 FR 62702-62707
    and CY 2022 final rule 86 FR 64996 (the standards); docs/rules.md, Assistant modifiers.

>>> standard_on(datetime.date(2021, 6, 1)).name, standard_on(datetime.date(2022, 1, 1)).name
('cy2020', 'cy2022')
>>> standard_on(datetime.date(2019, 12, 31)) is None
True
"""

from __future__ import annotations

import datetime
import functools
import itertools
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs

from .model import Note

if TYPE_CHECKING:
    from . import dicts

SOURCE_STATUTE = "42 USC 1395m(v)"

DeMinimis = Literal["more-than", "at-least"]
DE_MINIMIS: tuple[DeMinimis, ...] = ("more-than", "at-least")

Method = Literal["per-unit", "final-unit"]
METHODS: tuple[Method, ...] = ("per-unit", "final-unit")
BY_DATE = "by-date"
"""The ``standard`` option's default: the standard in force on the date of service."""


@attrs.frozen
class AssistantStandard:
    """One standard for the assistant modifiers and the dates of service it governs.

    ``method`` names the algorithm (:mod:`unitcalc.engine.assistant`): ``"per-unit"``, the
    10% test on each unit's own minutes (CY 2020), or ``"final-unit"``, per unit with the
    CY 2022 exceptions for the final unit and for two units left. ``valid_from`` and
    ``valid_to`` are inclusive (``valid_to`` ``None``: still in force). ``cite`` is what
    each unit's reason cites, ``de_minimis_cite`` what the 10% test itself cites;
    ``sources`` are the full citations from the data file.
    """

    name: str
    label: str
    method: Method
    valid_from: datetime.date
    valid_to: datetime.date | None
    cite: str
    de_minimis_cite: str
    sources: tuple[str, ...]
    note: str = ""

    def in_force_on(self, day: datetime.date) -> bool:
        """True when ``day`` is inside the standard's window."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def window(self) -> str:
        """The window in words, e.g. ``2020-01-01 to 2021-12-31`` or ``from 2022-01-01``."""
        if self.valid_to is None:
            return f"from {self.valid_from.isoformat()}"
        return f"{self.valid_from.isoformat()} to {self.valid_to.isoformat()}"


def parse_standards(document: dict[str, Any]) -> tuple[AssistantStandard, ...]:
    """The standards of a document shaped as ``unitcalc/data/assistant.toml``, oldest
    first; a ``ValueError`` names a standard whose method, window or sources are wrong."""
    sources: dict[str, str] = document["sources"]
    found = []
    for entry in document["standard"]:
        name = entry["name"]
        if entry["method"] not in METHODS:
            raise ValueError(f"assistant standard {name}: unknown method {entry['method']!r}")
        missing = [key for key in entry["source"] if key not in sources]
        if missing or not entry["source"]:
            raise ValueError(f"assistant standard {name}: sources {missing} not in [sources]")
        found.append(
            AssistantStandard(
                name=name,
                label=entry["label"],
                method=entry["method"],
                valid_from=entry["valid_from"],
                valid_to=entry.get("valid_to"),
                cite=entry["cite"],
                de_minimis_cite=entry["de_minimis_cite"],
                sources=tuple(sources[key] for key in entry["source"]),
                note=entry.get("note", ""),
            )
        )
    found.sort(key=lambda standard: standard.valid_from)
    for earlier, later in itertools.pairwise(found):
        if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
            raise ValueError(
                f"assistant standards {earlier.name} and {later.name}: windows overlap"
            )
    return tuple(found)


@functools.cache
def standards() -> tuple[AssistantStandard, ...]:
    """The packaged standards (``unitcalc/data/assistant.toml``), oldest first."""
    path = Path(__file__).parents[1] / "data" / "assistant.toml"
    return parse_standards(tomllib.loads(path.read_text(encoding="utf-8")))


def standard_named(name: str) -> AssistantStandard:
    """The packaged standard called ``name`` (a ``ValueError`` naming the others if none)."""
    for standard in standards():
        if standard.name == name:
            return standard
    names = ", ".join(standard.name for standard in standards())
    raise ValueError(f"no assistant modifier standard {name!r}: the standards are {names}")


def current_standard() -> AssistantStandard:
    """The standard in force now: the newest."""
    return standards()[-1]


def standard_on(day: datetime.date | None) -> AssistantStandard | None:
    """The standard in force on the date of service ``day``; ``None`` before the first
    (no modifier existed). ``day`` ``None`` means the standard in force now (the newest).
    """
    if day is None:
        return current_standard()
    return next((standard for standard in standards() if standard.in_force_on(day)), None)


@attrs.frozen
class AssistantPayment:
    """How a payer pays the units that carry CQ or CO.

    ``applies`` says whether the payer takes a differential at all; ``paid_percent`` is
    the share of the fee paid for such a unit from ``effective`` on. Medicare's
    (:data:`MEDICARE_PAYMENT`) is 85% from 2022-01-01 (42 USC 1395m(v)); commercial
    payers vary and belong in payer profiles.
    """

    applies: bool = True
    paid_percent: int = attrs.field(default=85)
    effective: datetime.date = datetime.date(2022, 1, 1)
    source: str = SOURCE_STATUTE

    @paid_percent.validator
    def _check(self, _: Any, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 100:
            raise ValueError(f"paid_percent must be a whole percent from 1 to 100, not {value!r}")

    def percent_on(self, date_of_service: datetime.date | None) -> int:
        """The percent paid for a modifier unit on ``date_of_service`` (``None``: the
        rate in force now, i.e. the differential applies)."""
        if not self.applies:
            return 100
        if date_of_service is not None and date_of_service < self.effective:
            return 100
        return self.paid_percent


MEDICARE_PAYMENT = AssistantPayment()


@attrs.frozen
class AssistantOptions:
    """The sub-rules docs/rules.md marks UNCONFIRMED or disputed, with their defaults.

    ``split_two_final_units`` is rule 4 of the CY 2022 standard (two units left, each
    provider 9-14 minutes: one unit with the modifier, one without); the proposed rule's
    text, on by default. ``de_minimis`` is ``"more-than"`` (CMS: more than 10 percent) or
    ``"at-least"`` (10% or more, as some billing software reads it). ``standard`` is
    ``"by-date"`` (the standard in force on the date of service, from the data) or a
    standard's name (``"cy2020"``, ``"cy2022"``) to apply it on every date from
    2020-01-01, for a reading of the CY 2020 standard other than unitcalc's (DERIVED in
    part) or a payer that follows another.

    >>> AssistantOptions(standard="cy2022").standard_for(datetime.date(2021, 6, 1)).name
    'cy2022'
    """

    split_two_final_units: bool = True
    de_minimis: DeMinimis = attrs.field(default="more-than")
    standard: str = attrs.field(default=BY_DATE)

    @de_minimis.validator
    def _check(self, _: Any, value: str) -> None:
        if value not in DE_MINIMIS:
            raise ValueError(f"de_minimis must be one of {', '.join(DE_MINIMIS)}, not {value!r}")

    @standard.validator
    def _check_standard(self, _: Any, value: str) -> None:
        if value == BY_DATE:
            return  # the default: the data is read only when a split needs it
        choices = standard_choices()
        if value not in choices:
            raise ValueError(f"standard must be one of {', '.join(choices)}, not {value!r}")

    def standard_for(self, day: datetime.date | None) -> AssistantStandard | None:
        """The standard to apply on ``day``: the one in force (``"by-date"``) or the one
        named; ``None`` before the first standard began, when no modifier existed."""
        in_force = standard_on(day)
        if in_force is None or self.standard == BY_DATE:
            return in_force
        return standard_named(self.standard)


def standard_choices() -> tuple[str, ...]:
    """The values of the ``standard`` option: ``"by-date"`` and each standard's name."""
    return (BY_DATE, *(standard.name for standard in standards()))


DEFAULT_OPTIONS = AssistantOptions()


@attrs.frozen
class AssistantSplit:
    """How many of one code's units take the assistant modifier, and why.

    ``modifier`` is ``"CQ"`` or ``"CO"``, or ``None`` before 2020-01-01 when no modifier
    existed. ``reasons`` gives one line per unit (or per run of alike units), citing the
    rule of the standard used (``standard``, a name of :func:`standards`).
    ``paid_percent`` is what the payer pays for a unit with the modifier.
    """

    code: str
    discipline: str
    units: int
    with_modifier: int
    therapist_minutes: int
    assistant_minutes: int
    modifier: str | None
    paid_percent: int
    reasons: tuple[str, ...]
    warnings: tuple[Note, ...] = ()
    standard: str | None = None
    """The name of the standard that decided the split (``None`` before 2020-01-01)."""

    @property
    def without_modifier(self) -> int:
        return self.units - self.with_modifier

    def to_dict(self) -> dicts.LineAssistant:
        """The ``"assistant"`` entry of a line of ``unitcalc calc --format json``."""
        return {
            "with_modifier": self.with_modifier,
            "without_modifier": self.without_modifier,
            "modifier": self._modifier(),
            "therapist_minutes": self.therapist_minutes,
            "assistant_minutes": self.assistant_minutes,
            "paid_percent": self.paid_percent,
            "reasons": list(self.reasons),
        }

    def totals(self) -> dicts.AssistantTotals:
        """The code's entry of the result's ``"assistant"`` in ``unitcalc calc --format
        json``."""
        return {
            "with_modifier": self.with_modifier,
            "without_modifier": self.without_modifier,
            "modifier": self._modifier(),
            "paid_percent": self.paid_percent,
        }

    def _modifier(self) -> dicts.AssistantModifier | None:
        # The discipline table's CQ and CO (data/disciplines.toml), or None before 2020.
        return cast("dicts.AssistantModifier | None", self.modifier)
