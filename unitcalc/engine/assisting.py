"""The assistant modifiers of a visit's codes: each service's units split into those that
take CQ or CO and those that do not (the algorithm is :mod:`.assistant`'s), for the codes
whose lines give assistant minutes.

An add-on family counts as one service, its modifier units placed on its last units (the
add-on's) first. With the whole day pooled, a service whose lines are under PT and OT
cannot take one modifier: it is refused, naming the fix (count the disciplines apart), in
the one-visit engine as in the file engine.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from ..core.assistant import (
    DEFAULT_OPTIONS,
    MEDICARE_PAYMENT,
    AssistantOptions,
    AssistantPayment,
    AssistantSplit,
)
from ..core.disciplines import ASSISTANT_MODIFIERS
from ..core.errors import InvalidServiceError, Mention, message_of
from ..core.model import LineResult
from ..rules import TimedItem
from .pools import CodeInPool

if TYPE_CHECKING:
    from .payers import PayerProfile


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class Assisting:
    """The assistant modifier settings of one evaluation."""

    date_of_service: datetime.date | None
    options: AssistantOptions
    payment: AssistantPayment

    @classmethod
    def of(
        cls,
        date_of_service: datetime.date | None,
        options: AssistantOptions | None,
        payer: PayerProfile | None,
    ) -> Assisting:
        """The settings of a visit: the payer's payment of modifier units, else
        Medicare's."""
        payment = payer.assistant_payment if payer is not None else None
        return cls(date_of_service, options or DEFAULT_OPTIONS, payment or MEDICARE_PAYMENT)

    def item(
        self,
        item: TimedItem | None,
        entries: Sequence[CodeInPool],
        units: Mapping[str, int],
    ) -> dict[str, AssistantSplit]:
        """The splits of one service (an add-on family counts as one, its modifier units
        placed on its last units, the add-on's, first), keyed by code."""
        # Loaded only for a visit with assistant minutes, so that `unitcalc calc` starts
        # quickly.
        from .assistant import split_units

        discipline = _one_discipline(entries)
        assistant = sum(entry.assistant or 0 for entry in entries)
        whole = sum(entry.minutes or 0 for entry in entries)
        info = entries[0].info
        split = split_units(
            code=item.name if item is not None else info.code,
            discipline=discipline,
            units=sum(units.values()),
            therapist_minutes=whole - assistant,
            assistant_minutes=assistant,
            timed=info.timed,
            unit_minutes=info.unit_minutes or 0,
            date_of_service=self.date_of_service,
            options=self.options,
            payment=self.payment,
        )
        if len(entries) == 1:
            return {info.code: attrs.evolve(split, code=info.code)}
        out: dict[str, AssistantSplit] = {}
        left = split.with_modifier
        for place, entry in reversed(list(enumerate(entries))):
            code = entry.info.code
            taken = min(left, units[code])
            left -= taken
            own = entry.assistant or 0
            out[code] = attrs.evolve(
                split,
                code=code,
                units=units[code],
                with_modifier=taken,
                therapist_minutes=(entry.minutes or 0) - own,
                assistant_minutes=own,
                reasons=split.reasons if place == 0 else (),
                warnings=split.warnings if place == 0 else (),
            )
        return out


def _one_discipline(entries: Sequence[CodeInPool]) -> str:
    """The discipline whose modifier the service takes: the one of its lines under PT or
    OT; lines under both (the whole day pooled) are refused."""
    disciplines = {
        d
        for entry in entries
        for d in entry.disciplines
        if d is not None and d in ASSISTANT_MODIFIERS
    }
    if len(disciplines) > 1:
        code = entries[0].info.code
        raise InvalidServiceError(
            message_of(
                f"{code}: assistant minutes are documented under "
                f"{' and '.join(sorted(disciplines))} with the whole day pooled: count the "
                "disciplines apart (",
                Mention("pooling", "discipline", owner="calculate"),
                ") so that each takes its own modifier",
            ),
            code=code,
            field="assistant_minutes",
            value=sorted(disciplines),
            argument="pooling",
        )
    return disciplines.pop()


def assistant_by_code(lines: Sequence[LineResult]) -> dict[str, AssistantSplit]:
    """The splits by code; a code split in two discipline pools is keyed CODE-DISC."""
    splits = [line.assistant for line in lines if line.assistant is not None]
    codes = [split.code for split in splits]
    return {
        split.code if codes.count(split.code) == 1 else f"{split.code}-{split.discipline}": split
        for split in splits
    }
