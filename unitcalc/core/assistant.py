"""The values of the assistant modifiers CQ and CO: the split of a code's units, how a
payer pays the units that carry the modifier, and the options of the sub-rules that are
UNCONFIRMED. The algorithm that decides which units take the modifier is
:mod:`unitcalc.engine.assistant`.

References:
    42 USC 1395m(v) (the 85% payment, the modifier); docs/rules.md, Assistant modifiers.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

import attrs

from .model import Note

SOURCE_STATUTE = "42 USC 1395m(v)"

DeMinimis = Literal["more-than", "at-least"]
DE_MINIMIS: tuple[DeMinimis, ...] = ("more-than", "at-least")


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

    ``split_two_final_units`` is rule 4 (two units left, each provider 9-14 minutes: one
    unit with the modifier, one without); the proposed rule's text, on by default.
    ``de_minimis`` is ``"more-than"`` (CMS: more than 10 percent) or ``"at-least"`` (10%
    or more, as some billing software reads it).
    """

    split_two_final_units: bool = True
    de_minimis: DeMinimis = attrs.field(default="more-than")

    @de_minimis.validator
    def _check(self, _: Any, value: str) -> None:
        if value not in DE_MINIMIS:
            raise ValueError(f"de_minimis must be one of {', '.join(DE_MINIMIS)}, not {value!r}")


DEFAULT_OPTIONS = AssistantOptions()


@attrs.frozen
class AssistantSplit:
    """How many of one code's units take the assistant modifier, and why.

    ``modifier`` is ``"CQ"`` or ``"CO"``, or ``None`` before 2020-01-01 when no modifier
    existed. ``reasons`` gives one line per unit (or per run of alike units), citing the
    rule. ``paid_percent`` is what the payer pays for a unit with the modifier.
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

    @property
    def without_modifier(self) -> int:
        return self.units - self.with_modifier

    def to_dict(self) -> dict[str, Any]:
        """The ``"assistant"`` entry of ``unitcalc calc --format json``."""
        return {
            "with_modifier": self.with_modifier,
            "without_modifier": self.without_modifier,
            "modifier": self.modifier,
            "therapist_minutes": self.therapist_minutes,
            "assistant_minutes": self.assistant_minutes,
            "paid_percent": self.paid_percent,
            "reasons": list(self.reasons),
        }
