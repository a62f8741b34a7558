"""One entry of the code table: a code in canonical form and what the table says of it.

A code is put in canonical form (:func:`normalize_code`: CPT Category I, II or III, or
HCPCS Level II, HCPCS letters upper case) before anything looks it up. Its entry
(:class:`CodeInfo`) says whether it is timed, untimed, counted by the month, deleted, or
unlisted (counted only once the user declares how) (:data:`KINDS`), its unit length, the
code it is an add-on of, its replacements, the window in which it is valid
(``valid_from``, ``valid_to``, inclusive, each with its source), and its place on CMS's
therapy code list (:data:`THERAPY_LIST`). The table of entries and its lookup are
:mod:`unitcalc.core.codes`; reading them from TOML is :mod:`unitcalc.core.codefile`.

>>> info = CodeInfo(code="97001", label="PT evaluation", kind="deleted",
...                 deleted_on=datetime.date(2017, 1, 1), replaced_by=("97161",))
>>> info.window, info.in_force_on(datetime.date(2016, 12, 31))
('to 2016-12-31', True)
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import attrs

from .errors import InvalidServiceError
from .frozen import frozen
from .months import MonthCounting
from .text import echo

if TYPE_CHECKING:
    from . import dicts

Kind = Literal["timed", "untimed", "monthly", "deleted", "unlisted"]
KINDS: tuple[Kind, ...] = ("timed", "untimed", "monthly", "deleted", "unlisted")
"""``monthly`` codes (remote therapeutic monitoring) are counted by the calendar month or a
30-day period (:mod:`unitcalc.engine.monthly`) and refused for a day's count; ``deleted``
codes are refused after their last valid day; ``unlisted`` codes (97039, 97139, 97799)
have no unit of their own and are refused until the user declares how they count
(``define_code``, the command line's ``--define``)."""
TherapyList = Literal["always", "sometimes", "not-therapy"]
THERAPY_LIST: tuple[TherapyList, ...] = ("always", "sometimes", "not-therapy")
"""A code's designation on CMS's therapy code list: ``always`` therapy (billed under a PT,
OT or SLP plan of care whoever furnishes it, always with a therapy modifier),
``sometimes`` therapy (therapy when furnished under a therapy plan of care; other
practitioners bill it without one), or ``not-therapy`` (the list says to bill it
without a therapy modifier)."""
DayKind = Literal["timed", "untimed"]
_ONE_DAY = datetime.timedelta(days=1)

# CPT Category I (5 digits), Category II/III (4 digits + F/T/U), HCPCS Level II (letter + 4 digits).
_CODE_SHAPE = re.compile(r"^(?:[0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")
_DESCRIPTION = re.compile(r"^(?=.*[A-Z]{3})(?=.*\s).+$")
"""Words where a code belongs (``ther ex``, ``Manual Therapy``): letters, spaces apart."""


def normalize_code(raw: object) -> str:
    """Return the code in canonical form: no surrounding white space, HCPCS letters upper
    case. White space inside a code is refused, never removed.

    >>> normalize_code(" g0283")
    'G0283'
    >>> normalize_code("9711")
    Traceback (most recent call last):
    ...
    unitcalc.core.errors.InvalidServiceError: '9711' is not a CPT/HCPCS code: ...
    """
    if not isinstance(raw, str):
        raise InvalidServiceError(
            f"code {echo(raw)} must be text such as '97110', not {type(raw).__name__}",
            code=None,
            field="code",
            value=raw,
        )
    code = raw.strip().upper()
    if reads_as_description(code):
        raise InvalidServiceError(
            f"{echo(raw.strip())} reads as a description of a service, not a CPT/HCPCS code "
            "(5 characters, such as 97110)",
            code=None,
            field="code",
            value=raw,
        )
    if any(character.isspace() for character in code):
        raise InvalidServiceError(
            f"{echo(raw.strip())} has white space inside the code: write the 5 characters "
            "together, such as 97110",
            code=None,
            field="code",
            value=raw,
        )
    if not _CODE_SHAPE.match(code):
        shown = raw.strip() or raw
        raise InvalidServiceError(
            f"{echo(shown)} is not a CPT/HCPCS code: codes have 5 characters, such as 97110 "
            "or G0283",
            code=None,
            field="code",
            value=raw,
        )
    return code


def is_code_shaped(text: str) -> bool:
    """Whether a value has a CPT/HCPCS code's shape (``97110``, ``G0283``)."""
    return _CODE_SHAPE.match(text.strip().upper()) is not None


def reads_as_description(text: str) -> bool:
    """Whether a value given as a code reads as words (``ther ex``): a description of
    the service where its code belongs."""
    return _DESCRIPTION.match(text.strip().upper()) is not None


@attrs.frozen
class CodeInfo:
    """One entry of the code table."""

    code: str
    label: str
    kind: Kind
    unit_minutes: int | None = None
    addon_of: str | None = None
    disciplines: tuple[str, ...] = ()
    deleted_on: datetime.date | None = None
    replaced_by: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    note: str | None = None
    rule_notes: Mapping[str, str] = attrs.field(factory=dict, converter=frozen)
    """Warnings to show when the code is counted under a given rule (by rule name)."""
    valid_from: datetime.date | None = None
    """First day the code is valid (``None``: valid since before the table's sources)."""
    valid_to: datetime.date | None = None
    """Last day the code is valid (``None``: still valid). For a deleted code, the day
    before ``deleted_on``."""
    valid_sources: tuple[str, ...] = ()
    """Citations for ``valid_from`` / ``valid_to``."""
    valid_kind: DayKind | None = None
    """Deleted codes only: how the code was counted while valid (``None``: unknown)."""
    monthly_counting: str | None = None
    """Monthly codes only: what they count by, in a few words."""
    therapy_list: TherapyList | None = None
    """The code's designation on CMS's therapy code list (``None``: not given by the
    sources of this table)."""
    therapy_list_sources: tuple[str, ...] = ()
    """Citations for ``therapy_list``."""
    declare_hint: str | None = None
    """Unlisted codes only: what the user declares before the code can be counted."""
    month: MonthCounting | None = None
    """Monthly codes only: how the code counts in its month (None: the table does not
    say, and a month with it cannot be counted)."""

    def __attrs_post_init__(self) -> None:
        # A deleted code's window ends the day before its deletion: one fact, two views.
        if self.deleted_on is not None and self.valid_to is None:
            object.__setattr__(self, "valid_to", self.deleted_on - _ONE_DAY)

    def in_force_on(self, day: datetime.date) -> bool:
        """True when ``day`` lies in the code's window (both ends inclusive).

        >>> from unitcalc.core.codes import CodeTable
        >>> CodeTable.default().codes["97001"].in_force_on(datetime.date(2016, 12, 31))
        True
        """
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def window(self) -> str:
        """The window as text: ``from 2017-01-01``, ``to 2016-12-31``, both, or ``""``.

        >>> from unitcalc.core.codes import CodeTable
        >>> CodeTable.default().codes["G0515"].window
        '2018-01-01 to 2019-12-31'
        """
        start = self.valid_from.isoformat() if self.valid_from else None
        end = self.valid_to.isoformat() if self.valid_to else None
        if start and end:
            return f"{start} to {end}"
        if start:
            return f"from {start}"
        return f"to {end}" if end else ""

    def to_dict(self) -> dicts.Code:
        """The entry as ``unitcalc codes --format json`` and ``GET /api/codes`` show it."""
        return {
            "code": self.code,
            "label": self.label,
            "kind": self.kind,
            "unit_minutes": self.unit_minutes,
            "addon_of": self.addon_of,
            "disciplines": list(self.disciplines),
            "deleted_on": self.deleted_on.isoformat() if self.deleted_on else None,
            "replaced_by": list(self.replaced_by),
            "sources": list(self.sources),
            "note": self.note,
            "rule_notes": dict(self.rule_notes),
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "valid_sources": list(self.valid_sources),
            "valid_kind": self.valid_kind,
            "monthly_counting": self.monthly_counting,
            "therapy_list": self.therapy_list,
            "therapy_list_sources": list(self.therapy_list_sources),
            "declare_hint": self.declare_hint,
            "month": self.month.to_dict() if self.month is not None else None,
        }

    @property
    def timed(self) -> bool:
        """True for codes billed per unit of time."""
        return self.kind == "timed"

    @property
    def deleted(self) -> bool:
        return self.kind == "deleted"

    @property
    def monthly(self) -> bool:
        """True for codes counted by the calendar month (remote therapeutic monitoring)."""
        return self.kind == "monthly"

    @property
    def unlisted(self) -> bool:
        """True for codes counted only once the user declares their unit."""
        return self.kind == "unlisted"
