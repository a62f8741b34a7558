"""The discipline modifiers billed on each therapy claim line: GP, GO or GN, and the
assistant modifier beside it.

A therapy line carries its plan of care's modifier, one of GP (PT), GO (OT), GN (SLP);
a CQ (PT assistant) stands with GP, a CO (OT assistant) with GO, and SLP has none. An
always-therapy code is billed with a therapy modifier whoever furnishes it, and the
evaluation codes on CMS's list take one discipline's modifier only (97161-97164 GP,
97165-97168 GO, 92521-92524, 92597, 92607 GN): the code table says which (its
``therapy_list`` ``always`` and a single ``disciplines`` entry). A line flags:

- no GP, GO or GN on a therapy line (one with a discipline, a CQ/CO or an always-therapy
  code; a code the table marks ``not-therapy`` is billed without one, unless it carries
  CQ/CO);
- more than one of GP, GO, GN on one line;
- an always-therapy code under another discipline's modifier (97165 with GP);
- CQ beside GO or GN, CO beside GP or GN.

A line is a therapy line by its discipline, not by its units: a line billing no unit is
read too. Two forms side by side: :func:`check_therapy_modifiers` words what one group's
claim lines trip; :func:`therapy_modifier_columns` says, for many groups' rows in columns
(polars), whether any trips. ``tests/engine/test_therapy_modifiers.py`` holds them equal.

References:
    CMS Pub. 100-04 Ch. 5 section 20.1 (GP, GO, GN for services under a PT, OT or SLP
    plan of care; CQ paired with GP, CO with GO: "Claims not so paired will be
    rejected/returned as unprocessable").
    CMS Pub. 100-04 Transmittal 3814, Change Request 10176, "Updated Editing of Always
    Therapy Services" (always-therapy codes always carry GN, GO or GP; the codes that take
    one discipline's modifier only), as cited in ``unitcalc/data/codes.toml``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from ..core.disciplines import ASSISTANT_MODIFIERS, BY_MODIFIER, THERAPY_MODIFIERS
from ..core.errors import InvalidServiceError
from ..core.model import Note
from .ptp import ClaimLine

if TYPE_CHECKING:
    import polars as pl

    from ..core.codes import CodeTable

SOURCE_MODIFIERS = "CMS Pub. 100-04 Ch. 5 section 20.1"
SOURCE_ALWAYS = "CMS CR 10176, Pub. 100-04 Transmittal 3814"
PREFIX = "Therapy modifier: "
"""Each finding's edit text starts so."""


def only_modifier(code: str, codes: CodeTable) -> str | None:
    """The one therapy modifier an always-therapy code takes (``None``: any, or the code
    is not always therapy).

    >>> from unitcalc.core.codes import CodeTable
    >>> only_modifier("97165", CodeTable.default()), only_modifier("97110", CodeTable.default())
    ('GO', None)
    """
    info = codes.codes.get(code)
    if info is None or info.therapy_list != "always" or len(info.disciplines) != 1:
        return None
    return THERAPY_MODIFIERS[info.disciplines[0]]


def line_problems(
    code: str, discipline: str | None, modifiers: Sequence[str], codes: CodeTable
) -> tuple[str, ...]:
    """What is wrong with one line's discipline modifiers, worded (empty: nothing).

    >>> from unitcalc.core.codes import CodeTable
    >>> line_problems("97165", "OT", ("GP",), CodeTable.default())
    ('97165-OT billed with GP: an always-therapy code that takes GO only, whoever ...',)
    """
    info = codes.codes.get(code)
    listed = info.therapy_list if info is not None else None
    therapy = [modifier for modifier in THERAPY_MODIFIERS.values() if modifier in modifiers]
    assistants = [modifier for modifier in _PAIRS if modifier in modifiers]
    where = f"{code}-{discipline}" if discipline else code
    if not therapy:
        if assistants:
            pair = _PAIRS[assistants[0]]
            return (
                f"{where} billed with {assistants[0]} but without GP, GO or GN: "
                f"{assistants[0]} is paired with {pair}; claims not so paired are returned "
                f"as unprocessable ({SOURCE_MODIFIERS})",
            )
        if listed == "always":
            return (
                f"{where} billed without GP, GO or GN: an always-therapy code carries its "
                f"plan of care's modifier whoever furnishes it ({SOURCE_ALWAYS}; "
                f"{SOURCE_MODIFIERS})",
            )
        if discipline is not None and listed != "not-therapy":
            return (
                f"{where} billed without GP, GO or GN: a therapy line carries its plan of "
                f"care's modifier; claims without it are returned as unprocessable "
                f"({SOURCE_MODIFIERS})",
            )
        return ()
    if len(therapy) > 1:
        return (
            f"{where} billed with {' and '.join(therapy)}: a line carries one plan of "
            f"care's modifier ({SOURCE_MODIFIERS})",
        )
    [billed] = therapy
    found: list[str] = []
    only = only_modifier(code, codes)
    if only is not None and billed != only:
        found.append(
            f"{where} billed with {billed}: an always-therapy code that takes {only} only, "
            f"whoever furnishes it ({SOURCE_ALWAYS})"
        )
    for assistant in assistants:
        if _PAIRS[assistant] != billed:
            owner = BY_MODIFIER[billed]
            found.append(
                f"{where} billed with {assistant} beside {billed}: {assistant} is paired "
                f"with {_PAIRS[assistant]} only ({owner} has "
                f"{_assistant_of(owner)}); claims not so paired are returned as "
                f"unprocessable ({SOURCE_MODIFIERS})"
            )
    return tuple(found)


_PAIRS = {modifier: THERAPY_MODIFIERS[name] for name, modifier in ASSISTANT_MODIFIERS.items()}
"""Each assistant modifier and the therapy modifier it is paired with: CQ GP, CO GO."""


def _assistant_of(discipline: str) -> str:
    modifier = ASSISTANT_MODIFIERS.get(discipline)
    return modifier if modifier is not None else "no assistant modifier"


def check_therapy_modifiers(lines: Iterable[ClaimLine], codes: CodeTable) -> Iterator[Note]:
    """The discipline modifier findings of one group's claim lines, each worded once.

    >>> from unitcalc.core.codes import CodeTable
    >>> [note] = check_therapy_modifiers([ClaimLine("97530", "OT", 1, "GO;CQ")],
    ...                                  CodeTable.default())
    >>> note.text
    'Therapy modifier: 97530-OT billed with CQ beside GO: CQ is paired with GP only ...'
    """
    seen: set[str] = set()
    for line in lines:
        for problem in line_problems(line.code, line.discipline, _modifiers(line), codes):
            if problem not in seen:
                seen.add(problem)
                yield Note(PREFIX + problem, kind="edit", codes=(line.code,))


def _modifiers(line: ClaimLine) -> tuple[str, ...]:
    from .modifiers import parse_modifiers

    try:
        return parse_modifiers(line.modifiers)
    except InvalidServiceError:
        return ()  # such a row cannot be used: its group is invalid, with the reason


_SEPARATOR = "[ \t\n\x0b\x0c\r;,]"


def _carries(text: pl.Expr, modifier: str) -> pl.Expr:
    return text.str.contains(f"(?:^|{_SEPARATOR}){modifier}(?:{_SEPARATOR}|$)")


def therapy_modifier_columns(
    rows: pl.LazyFrame,
    codes: CodeTable,
    *,
    group: str,
    code: str,
    discipline: str,
    modifiers: str,
) -> pl.LazyFrame:
    """The columnar form of :func:`check_therapy_modifiers`: per group, ``__modifiers``
    says whether any of its rows (one claim line each) trips."""
    import polars as pl

    entries = list(codes.codes.values())
    table = pl.DataFrame(
        {
            code: [info.code for info in entries],
            "__listed": [info.therapy_list for info in entries],
            "__only": [only_modifier(info.code, codes) for info in entries],
        },
        schema={code: pl.String, "__listed": pl.String, "__only": pl.String},
    ).lazy()
    text = pl.col(modifiers).fill_null("").str.to_uppercase()
    has = {name: _carries(text, name) for name in (*THERAPY_MODIFIERS.values(), *_PAIRS)}
    count = pl.sum_horizontal(*(has[m].cast(pl.Int32) for m in THERAPY_MODIFIERS.values()))
    listed = pl.col("__listed")
    assisted = pl.any_horizontal(*(has[m] for m in _PAIRS))
    missing = (count == 0) & (
        assisted
        | (listed == "always").fill_null(False)
        | (pl.col(discipline).is_not_null() & (listed != "not-therapy").fill_null(True))
    )
    only = pl.col("__only")
    wrong_code = only.is_not_null() & ~pl.coalesce(
        *(pl.when(only == m).then(has[m]) for m in THERAPY_MODIFIERS.values())
    )
    unpaired = pl.any_horizontal(*(has[a] & ~has[pair] for a, pair in _PAIRS.items()))
    trips = missing | (count > 1) | ((count == 1) & (wrong_code | unpaired))
    return (
        rows.join(table, on=code, how="left")
        .group_by(group)
        .agg(__modifiers=trips.fill_null(False).any())
    )
