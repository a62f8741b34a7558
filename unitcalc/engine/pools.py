"""Pools and the day's limits: which lines count together, and what one day can hold.

A visit's timed minutes pool per discipline by default (PT, OT and SLP are separate plans
of care, CMS 20.1), or for the whole day. A line without a discipline joins the day's only
named discipline (narrowed by its code's own disciplines, the plans of care that bill
it), or is an error naming the choices when the day names two or more; a code that CMS's
therapy code list bills without a therapy modifier (G0237, G0238) stays out of the
therapy pools, in the pool of lines without a discipline. The lines of one code in one
pool add up; an add-on family always shows all its codes. No code, and no day's timed
minutes, may pass the minutes a day holds (1,440): a line entered twice is the usual
cause.

Two forms side by side: :func:`pool_lines` gathers one visit's lines into pools and raises
at the first line past a day's limit; :func:`pool_column` and :func:`day_limit_problems`
do the same for many groups' rows in columns (polars), with the same sentences
(:data:`CODE_OVER_DAY`, :data:`TIMED_OVER_DAY`). ``tests/engine/test_pools.py`` holds
them equal.

References:
    CMS Pub. 100-04 Ch. 5 section 20.1 (disciplines, modifiers GP, GO, GN) and 20.2 (per
    day). Pooling per discipline is the common reading, not stated in the CMS text
    (docs/rules.md).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

import attrs

from ..core.codeinfo import CodeInfo
from ..core.codes import CodeTable
from ..core.disciplines import ASSISTANT_MODIFIERS, NAMES, THERAPY_MODIFIERS
from ..core.errors import InvalidServiceError, Mention, message_of
from ..core.model import Note, ServiceLine
from ..core.text import format_column
from ..core.values import MAX_MINUTES
from .settings import Pooling

if TYPE_CHECKING:
    import polars as pl

Services = Mapping[str, object] | Iterable[ServiceLine]

CODE_OVER_DAY = (
    "{code}: {minutes} minutes in one day is more than the {limit} minutes a day holds; "
    "check for a line entered twice"
)
"""The problem of a code whose lines pass the minutes of a day."""
TIMED_OVER_DAY = (
    "{code}: the day's timed minutes add up to {minutes}, more than the {limit} minutes a "
    "day holds; check for lines entered twice"
)
"""The problem of a day whose timed minutes pass the minutes of a day (at the code of the
line that passes them)."""

POOL_LABELS: tuple[str | None, ...] = (None, *NAMES)
"""A pool's number within its group (see :func:`pool_column`) and its discipline: 0 is
the pool of lines without a discipline, or the whole day."""
POOLS_PER_GROUP = len(POOL_LABELS)


@attrs.define(eq=False, repr=False)  # internal: no generated eq or repr to compile
class CodeInPool:
    """Minutes of one code in one pool, gathered from its lines. ``first`` orders it:
    the index of its first input line, and its place beside an add-on family member."""

    info: CodeInfo
    minutes: int | None
    listed: int
    disciplines: set[str | None]
    first: tuple[int, int]
    assistant: int | None = None
    """The assistant's own minutes among ``minutes``; ``None`` when no line gave any."""
    assistant_disciplines: set[str] = attrs.Factory(set)


@attrs.define(eq=False, repr=False)  # internal: no generated eq or repr to compile
class Pool:
    """The codes of one pool (a discipline's, or the whole day's) in order of first line."""

    discipline: str | None
    codes: dict[str, CodeInPool] = attrs.Factory(dict)


def service_lines(services: Services) -> list[ServiceLine]:
    """The services as lines: a mapping ``{code: minutes}`` or :class:`ServiceLine`s."""
    if isinstance(services, Mapping):
        # ServiceLine checks the minutes itself and names the code when they are bad.
        return [
            ServiceLine(code, cast("int | None", minutes)) for code, minutes in services.items()
        ]
    if isinstance(services, str | bytes):
        raise TypeError("services must be a mapping {code: minutes} or ServiceLine objects")
    lines = list(services)
    for line in lines:
        if not isinstance(line, ServiceLine):
            raise TypeError(
                f"services must be a mapping or ServiceLine objects, not {type(line).__name__}"
            )
    return lines


def join_disciplines(
    lines: Sequence[ServiceLine],
    table: CodeTable,
    on: datetime.date | None,
    fallback: str | None,
    warnings: list[Note],
) -> list[ServiceLine]:
    """Give each line without a discipline the pool it belongs to: ``fallback`` when
    given, else the day's only named discipline (narrowed by the code's own disciplines,
    e.g. 97161 is PT). With none named, the day is one pool as before; with a choice,
    the line is an error naming it and the fix. A code billed without a therapy modifier
    (``therapy_list`` ``not-therapy``) is joined to no therapy pool: it stays without a
    discipline, with a warning."""
    named = sorted({line.discipline for line in lines if line.discipline is not None})
    if not named and fallback is None:
        return list(lines)
    out: list[ServiceLine] = []
    for index, line in enumerate(lines):
        if line.discipline is not None:
            out.append(line)
        elif fallback is not None:
            out.append(attrs.evolve(line, discipline=fallback))
        else:
            info = table.lookup(line.code, on=on)
            if info.therapy_list == "not-therapy":
                warnings.append(_apart_warning(line, info, named))
                out.append(line)
                continue
            discipline = _only_discipline(index, line, info, named)
            warnings.append(_joined_warning(line, info, named, discipline))
            out.append(attrs.evolve(line, discipline=discipline))
    return out


def _only_discipline(index: int, line: ServiceLine, info: CodeInfo, named: list[str]) -> str:
    """The one discipline a line without one can join, or the error naming the choice."""
    hint = [d for d in named if d in info.disciplines] if info.disciplines else named
    if len(hint) == 1:
        return hint[0]
    if hint:
        why = f"the day names {' and '.join(named)}"
    else:
        why = (
            f"the day names only {' and '.join(named)}, and {info.code} is a "
            f"{', '.join(info.disciplines)} code"
        )
    examples = " or ".join(
        f"{line.code}-{THERAPY_MODIFIERS[d]}" for d in (hint or list(info.disciplines) or named)
    )
    raise InvalidServiceError(
        message_of(
            f"{_shown_line(index, line)} has no discipline and {why}: give it its discipline "
            f"({examples}), choose one for every line without a discipline (",
            Mention("default_discipline", owner="calculate"),
            "), or pool the whole day (",
            Mention("pooling", "day", owner="calculate"),
            ")",
        ),
        code=info.code,
        field="discipline",
        value=None,
        argument="default_discipline",
    )


def _joined_warning(line: ServiceLine, info: CodeInfo, named: list[str], discipline: str) -> Note:
    where = "named this day" if len(named) == 1 else "of its code named this day"
    sometimes = (
        f"; {info.code} is 'sometimes therapy' on CMS's therapy code list: if it was not "
        f"furnished under the {discipline} plan of care, it is billed without a therapy "
        "modifier and does not count with that plan's minutes"
        if info.therapy_list == "sometimes"
        else ""
    )
    return Note(
        f"{info.code} has no discipline while other lines do ({', '.join(named)}): "
        f"counted with {discipline}, the only discipline {where}; give it one (e.g. "
        f"{line.code}-{THERAPY_MODIFIERS[discipline]}) if that is wrong{sometimes}",
        kind="no-discipline",
        codes=(info.code,),
    )


def _apart_warning(line: ServiceLine, info: CodeInfo, named: list[str]) -> Note:
    """The warning of a line kept out of the therapy pools: its code is billed without a
    therapy modifier by CMS's therapy code list, though a payer may count it with one."""
    examples = " or ".join(f"{line.code}-{THERAPY_MODIFIERS[d]}" for d in named)
    return Note(
        f"{info.code} has no discipline while other lines do ({', '.join(named)}): counted "
        "apart from them, since CMS's therapy code list bills it without a therapy "
        f"modifier; if your payer counts it with a plan of care, give it one (e.g. "
        f"{examples})",
        kind="no-discipline",
        codes=(info.code,),
    )


def _shown_line(index: int, line: ServiceLine) -> str:
    minutes = f", {line.minutes} min" if line.minutes is not None else ""
    return f"service {index + 1} ({line.code}{minutes})"


@attrs.define(eq=False, repr=False)  # internal: no generated eq or repr to compile
class DayLimits:
    """The day's minutes so far, per code and timed, line by line: :meth:`add` raises at
    the first line past what a day holds."""

    per_code: dict[str, int] = attrs.Factory(dict)
    timed: int = 0

    def add(self, code: str, minutes: int, *, timed: bool) -> None:
        so_far = self.per_code.get(code, 0) + minutes
        if so_far > MAX_MINUTES:
            raise _over_day(CODE_OVER_DAY, code, so_far)
        self.per_code[code] = so_far
        if timed:
            self.timed += minutes
            if self.timed > MAX_MINUTES:
                raise _over_day(TIMED_OVER_DAY, code, self.timed)


def _over_day(template: str, code: str, minutes: int) -> InvalidServiceError:
    return InvalidServiceError(
        template.format(code=code, minutes=minutes, limit=MAX_MINUTES),
        code=code,
        field="minutes",
        value=minutes,
    )


def pool_lines(
    lines: Sequence[ServiceLine],
    table: CodeTable,
    pooling: Pooling,
    on: datetime.date | None = None,
) -> dict[str | None, Pool]:
    """The visit's pools, keyed by discipline (``None``: lines without one, or the whole
    day), each code's lines added up in order of first line; an add-on family always
    shows all its codes, primary first. Raises at the first line whose minutes are
    missing (a timed code) or pass the day's limits."""
    pools: dict[str | None, Pool] = {}
    limits = DayLimits()
    # Primaries given with minutes: their add-on may be listed without minutes
    # (97550=45 97551), the family's minutes being on the primary.
    with_minutes = {line.code for line in lines if line.minutes is not None}
    for index, line in enumerate(lines):
        info = table.lookup(line.code, on=on)
        if info.timed and line.minutes is None:
            line = _family_minutes(line, info, with_minutes)
        line_minutes = (line.minutes or 0) + (line.assistant_minutes or 0)
        limits.add(info.code, line_minutes, timed=info.timed)
        key = pool_key(line.discipline, pooling)
        pool = pools.setdefault(key, Pool(key))
        entry = pool.codes.get(info.code)
        if entry is None:
            total = None if line.minutes is None else line_minutes
            entry = pool.codes[info.code] = CodeInPool(
                info, total, 1, {line.discipline}, (index, 0)
            )
        else:
            if line.minutes is not None:
                entry.minutes = (entry.minutes or 0) + line_minutes
            entry.listed += 1
            entry.disciplines.add(line.discipline)
        if line.assistant_minutes is not None and line.discipline in ASSISTANT_MODIFIERS:
            # ServiceLine refuses assistant minutes above 0 on other disciplines.
            assert line.discipline is not None
            entry.assistant = (entry.assistant or 0) + line.assistant_minutes
            entry.assistant_disciplines.add(line.discipline)
    for pool in pools.values():
        pool.codes = _with_families(pool.codes, table, on)
    return pools


def _family_minutes(line: ServiceLine, info: CodeInfo, with_minutes: set[str]) -> ServiceLine:
    """A timed line without minutes: an add-on whose primary carries the family's minutes
    counts 0 of its own; any other is an error naming the fix."""
    if info.addon_of is not None and info.addon_of in with_minutes:
        return attrs.evolve(line, minutes=0)
    family = (
        f", or give the family's minutes on {info.addon_of} and list {info.code} without minutes"
        if info.addon_of is not None
        else ""
    )
    raise InvalidServiceError(
        f"{info.code} is a timed code and its minutes are missing: give the documented "
        f"minutes (e.g. {info.code}=15 on the command line){family}",
        code=info.code,
        field="minutes",
        value=None,
    )


def _with_families(
    codes: Mapping[str, CodeInPool], table: CodeTable, on: datetime.date | None
) -> dict[str, CodeInPool]:
    """The pool's codes with every add-on family whole, primary first, where its first
    member stood; a member not given joins with 0 minutes."""
    ordered: dict[str, CodeInPool] = {}
    for code, entry in codes.items():
        primary = entry.info.addon_of or code
        for place, member in enumerate((primary, *table.addons(primary))):
            if member not in ordered:
                ordered[member] = codes.get(member) or CodeInPool(
                    table.lookup(member, on=on),
                    0,
                    0,
                    set(entry.disciplines),
                    (entry.first[0], place - (1 if member == primary else 0)),
                )
    return ordered


def pool_key(discipline: str | None, pooling: Pooling) -> str | None:
    """The pool a line of this discipline counts in: its discipline, or ``None`` for the
    whole day (and for lines without a discipline)."""
    return discipline if pooling == "discipline" else None


def pool_column(group: pl.Expr, discipline: pl.Expr, pooling: pl.Expr) -> pl.Expr:
    """The columnar form of :func:`pool_key`: one integer per pool of every group,
    ``group * POOLS_PER_GROUP`` plus the place of the pool's discipline in
    :data:`POOL_LABELS` (0 for the whole day, or lines without a discipline)."""
    import polars as pl

    places = {label: place for place, label in enumerate(POOL_LABELS) if label is not None}
    place = (
        pl.when(pooling == "discipline")
        .then(discipline.replace_strict(places, default=0, return_dtype=pl.Int64))
        .otherwise(0)
    )
    return group * POOLS_PER_GROUP + place


def pool_label(pool: int) -> str | None:
    """The discipline of a pool numbered by :func:`pool_column`."""
    return POOL_LABELS[pool % POOLS_PER_GROUP]


def blank_beside_named(group: str, discipline: pl.Expr, pooling: pl.Expr) -> pl.Expr:
    """Per row: its group, pooled per discipline, has lines without a discipline beside
    named ones; :func:`join_disciplines` decides where they go (or names the choice), so
    such groups are counted one by one."""
    blank = discipline.is_null()
    return (pooling == "discipline") & blank.any().over(group) & (~blank).any().over(group)


def day_limit_problems(
    rows: pl.DataFrame, *, group: str, line: str, code: str, minutes: str, timed: str
) -> pl.DataFrame:
    """The columnar form of :class:`DayLimits`: per group whose rows, in line order, pass
    the day's limits, the code of the first row that does (``__long_code``) and the
    problem (``__problem``), worded as :func:`pool_lines` words it. ``minutes`` is each
    row's minutes (0 when none), ``timed`` whether its code is timed."""
    import polars as pl

    # Only days over a day's minutes in all can be; the running sums are taken on them,
    # line by line as the one-visit engine adds them up.
    long_days = rows.filter(pl.col(minutes).sum().over(group) > MAX_MINUTES).sort(group, line)
    code_so_far = pl.col(minutes).cum_sum().over(group, code)
    timed_so_far = pl.when(pl.col(timed)).then(pl.col(minutes)).otherwise(0).cum_sum().over(group)
    staged = long_days.with_columns(__code_so_far=code_so_far, __timed_so_far=timed_so_far)
    over_code = pl.col("__code_so_far") > MAX_MINUTES
    over_timed = pl.col(timed) & (pl.col("__timed_so_far") > MAX_MINUTES)
    limit = pl.lit(MAX_MINUTES)
    problem = (
        pl.when(over_code)
        .then(
            format_column(
                CODE_OVER_DAY, code=pl.col(code), minutes=pl.col("__code_so_far"), limit=limit
            )
        )
        .otherwise(
            format_column(
                TIMED_OVER_DAY, code=pl.col(code), minutes=pl.col("__timed_so_far"), limit=limit
            )
        )
    )
    return (
        staged.filter(over_code | over_timed)
        .group_by(group, maintain_order=True)
        .agg(pl.col(code).first().alias("__long_code"), problem.first().alias("__problem"))
    )
