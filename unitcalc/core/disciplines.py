"""The therapy disciplines (PT, OT, SLP) and their modifiers, from one table of data.

Each discipline is its own plan of care with its own modifier (GP, GO, GN); the units a
PT or OT assistant furnishes take CQ (with GP) or CO (with GO); SLP has no assistant
modifier. The table is ``unitcalc/data/disciplines.toml``, each entry with its source.

A discipline is written PT, OT, SLP or as its modifier. Parsing it has two forms side by
side: :func:`normalize_discipline` for one value (it names a bad one and the fix) and
:func:`discipline_column` for a column of text (polars): plain spellings are parsed in
columns and every other value is left to the scalar form. ``tests/core/test_disciplines.py``
holds the two equal.

References:
    CMS Pub. 100-04 Ch. 5 section 20.1 (GP, GO, GN; CQ paired with GP, CO with GO);
    42 USC 1395m(v) (the assistant modifier).

>>> normalize_discipline("gn"), THERAPY_MODIFIERS["OT"], ASSISTANT_MODIFIERS["PT"]
('SLP', 'GO', 'CQ')
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from .errors import InvalidServiceError
from .text import echo

if TYPE_CHECKING:
    import polars as pl


class Discipline(NamedTuple):
    """One row of the discipline table."""

    name: str
    label: str
    modifier: str
    """The plan-of-care modifier (GP, GO, GN)."""
    source: str
    assistant_modifier: str | None
    """CQ or CO; None where the discipline has no assistant modifier (SLP)."""
    assistant_source: str


def _load() -> tuple[Discipline, ...]:
    path = Path(__file__).parents[1] / "data" / "disciplines.toml"
    entries = tomllib.loads(path.read_text(encoding="utf-8"))["discipline"]
    return tuple(
        Discipline(
            name=entry["name"],
            label=entry["label"],
            modifier=entry["modifier"],
            source=entry["source"],
            assistant_modifier=entry.get("assistant_modifier"),
            assistant_source=entry["assistant_source"],
        )
        for entry in entries
    )


DISCIPLINES: tuple[Discipline, ...] = _load()
"""The disciplines, in the order unitcalc lists them (PT, OT, SLP)."""
NAMES: tuple[str, ...] = tuple(discipline.name for discipline in DISCIPLINES)
THERAPY_MODIFIERS: Mapping[str, str] = MappingProxyType(
    {discipline.name: discipline.modifier for discipline in DISCIPLINES}
)
"""Each discipline's plan-of-care modifier: PT GP, OT GO, SLP GN."""
ASSISTANT_MODIFIERS: Mapping[str, str] = MappingProxyType(
    {
        discipline.name: discipline.assistant_modifier
        for discipline in DISCIPLINES
        if discipline.assistant_modifier is not None
    }
)
"""The assistant modifier of each discipline that has one: PT CQ, OT CO."""
BY_MODIFIER: Mapping[str, str] = MappingProxyType(
    {modifier: name for name, modifier in THERAPY_MODIFIERS.items()}
)
"""The discipline of each plan-of-care modifier: GP PT, GO OT, GN SLP."""
SPELLINGS: Mapping[str, str] = MappingProxyType({**{name: name for name in NAMES}, **BY_MODIFIER})
"""Every plain spelling of a discipline (upper case) and the discipline it names."""


def normalize_discipline(value: object) -> str | None:
    """``PT``, ``OT`` or ``SLP`` from those names or the modifiers GP, GO, GN (any case,
    surrounding white space ignored); ``None`` for no value or empty text.

    >>> normalize_discipline(" gp ")
    'PT'
    >>> normalize_discipline("")
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidServiceError(
            f"discipline {echo(value)} must be text: PT, OT or SLP (or GP, GO, GN)",
            code=None,
            field="discipline",
            value=value,
        )
    key = value.strip().upper()
    if not key:
        return None
    try:
        return SPELLINGS[key]
    except KeyError:
        raise InvalidServiceError(
            f"discipline {echo(value)} is not PT, OT or SLP (or the modifiers GP, GO, GN)",
            code=None,
            field="discipline",
            value=value,
        ) from None


def discipline_column(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The columnar form of :func:`normalize_discipline` for plain spellings: the
    discipline (null for empty text) and whether the text is plain (exactly a spelling,
    upper case, or empty). Other text is for the scalar form, which parses it or names
    the problem."""
    import polars as pl

    plain = text.is_in(["", *SPELLINGS])
    value = text.replace_strict(dict(SPELLINGS), default=None, return_dtype=pl.String)
    return value, plain


def assistant_modifier(discipline: str | None, *, code: str | None = None) -> str:
    """``"CQ"`` for PT, ``"CO"`` for OT; an error a biller can act on otherwise.

    >>> assistant_modifier("OT")
    'CO'
    """
    if discipline is not None and discipline in ASSISTANT_MODIFIERS:
        return ASSISTANT_MODIFIERS[discipline]
    who = code or "service"
    if discipline in NAMES:
        problem = (
            f"{discipline} has no assistant modifier (CQ is for PT assistants, CO for OT "
            "assistants): count a speech-language pathology assistant's minutes as the "
            "line's minutes, or drop them"
        )
    else:
        problem = (
            "assistant minutes need the discipline, PT (CQ) or OT (CO), to choose the "
            f"modifier: write e.g. {who}-GP=13+23 or give discipline PT"
        )
    raise InvalidServiceError(
        f"{who}: {problem}", code=code, field="assistant_minutes", value=discipline
    )


def bills_assistant_modifier(modifiers: str) -> bool:
    """Whether a modifiers cell bills an assistant modifier (CQ or CO anywhere in it, any
    case): such a line's units are checked against the assistant's minutes.

    >>> bills_assistant_modifier("gp;cq"), bills_assistant_modifier("GP 59")
    (True, False)
    """
    text = modifiers.upper()
    return any(modifier in text for modifier in ASSISTANT_MODIFIERS.values())


def bills_assistant_modifier_column(modifiers: pl.Expr) -> pl.Expr:
    """The columnar form of :func:`bills_assistant_modifier`."""
    return modifiers.str.to_uppercase().str.contains("|".join(ASSISTANT_MODIFIERS.values()))
