"""The unit engine: from documented services to a :class:`~unitcalc.core.model.Result`.

It validates the services, groups them into pools (one per discipline by default),
merges add-on families (97129 with 97130), counts untimed codes, hands each pool's timed
minutes to the counting rule and assembles units, ties, alternatives and the explanation.

References:
    CMS Pub. 100-04 Ch. 5 section 20.1 (disciplines: separate plans of care, modifiers
    GP, GO, GN) and 20.2 (per day, untimed codes, allocation).
    Pooling timed minutes per discipline is the common reading, not stated in the CMS
    text: it is the default, and ``pooling="day"`` pools the whole day instead. A line
    without a discipline joins the pool of the day's only named discipline (with a
    warning); with two or more named, it must say which (or ``default_discipline``).
    Dates of service: codes are checked against the window of the code table in force
    on ``date_of_service`` (without it, the current code set).

>>> result = calculate({"97110": 33, "97140": 7})
>>> dict(result.units), result.total_units
({'97110': 2, '97140': 1}, 3)
>>> calculate({"97110": 33, "97140": 7}, rule="ama").total_units
2
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, cast

import attrs

from ..core.codeinfo import CodeInfo
from ..core.codes import CodeTable
from ..core.disciplines import ASSISTANT_MODIFIERS, THERAPY_MODIFIERS, normalize_discipline
from ..core.errors import InvalidServiceError, Mention, UnitcalcError, message_of
from ..core.model import (
    MAX_MINUTES,
    LineResult,
    Note,
    Result,
    ServiceLine,
    Tie,
    TieGroup,
    parse_date_of_service,
)
from ..core.text import count_of
from ..rules import PoolAllocation, Rule, TimedItem, get_rule
from .edits import check_edits

if TYPE_CHECKING:
    from ..core.assistant import AssistantOptions, AssistantPayment, AssistantSplit
    from ..core.mue import MueTable
    from .payers import PayerProfile

Pooling = Literal["discipline", "day"]
POOLINGS: tuple[Pooling, ...] = ("discipline", "day")
BlankDiscipline = Literal["join", "apart"]
"""What a line without a discipline does beside named ones: ``join`` the day's only named
discipline (an error with two or more named, unless ``default_discipline``), or, as the
file commands still count until the file engine adopts ``join``, form a pool ``apart``
(with a warning)."""
DEFAULT_MAX_ALTERNATIVES = 100
"""How many alternative allocations a result lists before it sets
``alternatives_truncated``; the tie itself is always described whole."""

_COUNT_LIMIT = 100_000

Services = Mapping[str, object] | Iterable[ServiceLine]


@attrs.define(eq=False, repr=False)  # internal: no generated eq or repr to compile
class _CodeInPool:
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
class _Pool:
    discipline: str | None
    codes: dict[str, _CodeInPool] = attrs.Factory(dict)


def calculate(
    services: Services,
    rule: str | Rule | None = None,
    *,
    payer: PayerProfile | None = None,
    tie_preference: Sequence[str] | None = None,
    pooling: Pooling | None = None,
    codes: CodeTable | None = None,
    max_alternatives: int = DEFAULT_MAX_ALTERNATIVES,
    mue: MueTable | None = None,
    date_of_service: datetime.date | str | None = None,
    default_discipline: str | None = None,
    blank_discipline: BlankDiscipline = "join",
    assistant_options: AssistantOptions | None = None,
) -> Result:
    """Billable units for one patient's day of services under ``rule``.

    ``services`` is a mapping ``{code: minutes}`` (``None`` minutes for an untimed
    code) or an iterable of :class:`~unitcalc.ServiceLine`. ``rule`` is ``"cms"`` unless
    a ``payer`` profile names another; the profile's caps, minimums and tie preference
    apply too. ``tie_preference`` lists codes to favour, first first, when a tie must be
    settled; ``pooling`` is ``"discipline"`` (PT, OT and SLP minutes pool apart, the
    default) or ``"day"``; ``codes`` replaces the packaged code table;
    ``max_alternatives`` bounds the listed alternatives; ``mue`` is a table of
    Medically Unlikely Edits to check the units against. ``date_of_service`` (a date or
    ``"YYYY-MM-DD"``) checks each code against its window in the code table and counts
    a code deleted since as it counted then; without it the current code set applies.
    It also dates the assistant modifier rules (none before 2020, 85% from 2022;
    ``None``: the rules in force now), and ``assistant_options`` sets their UNCONFIRMED
    sub-rules; both matter only for lines with ``assistant_minutes`` (see
    :mod:`unitcalc.engine.assistant`). ``default_discipline`` (PT, OT, SLP) is the discipline
    of every line that names none; without it such lines join the day's only named
    discipline, and are an error when the day names two or more.

    >>> r = calculate({"97112": 20, "97110": 20})
    >>> dict(r.units), [dict(a) for a in r.alternatives]
    ({'97112': 2, '97110': 1}, [{'97112': 1, '97110': 2}])
    >>> r.tie.groups[0].codes
    ('97112', '97110')
    """
    key = None
    if payer is None and codes is None and mue is None:
        key = _cache_key(
            services,
            rule,
            tie_preference,
            pooling,
            max_alternatives,
            (date_of_service, default_discipline, blank_discipline, assistant_options),
        )
        cached = _RESULTS.get(key) if key is not None else None
        if cached is not None:
            return cached
    result = evaluate(
        services,
        rule,
        payer=payer,
        tie_preference=tie_preference,
        pooling=pooling,
        codes=codes,
        max_alternatives=max_alternatives,
        mue=mue,
        date_of_service=date_of_service,
        default_discipline=default_discipline,
        blank_discipline=blank_discipline,
        assistant_options=assistant_options,
    ).result
    if key is not None:
        if len(_RESULTS) >= _CACHE_SIZE:
            _RESULTS.pop(next(iter(_RESULTS)))  # the oldest entry
        _RESULTS[key] = result
    return result


_CACHE_SIZE = 4096
_RESULTS: dict[tuple[object, ...], Result] = {}
"""Results of recent visits on the packaged table: the count is a pure function of its
inputs and a Result is immutable, so a repeated visit is answered from here."""


def _cache_key(
    services: Services,
    rule: str | Rule | None,
    tie_preference: Sequence[str] | None,
    pooling: Pooling | None,
    max_alternatives: int,
    context: tuple[object, ...] = (),
) -> tuple[object, ...] | None:
    """A hashable key for the call, or None when an argument is not hashable plainly
    (then the call is simply computed)."""
    if isinstance(services, Mapping):
        content: object = ("map", tuple(services.items()))
    elif isinstance(services, tuple | list):
        content = ("lines", tuple(services))
    else:
        return None  # an iterator is consumed by reading it
    preference = tuple(tie_preference) if tie_preference is not None else None
    name = rule.name if isinstance(rule, Rule) else rule
    key = (content, name, preference, pooling, max_alternatives, context)
    try:
        hash(key)
    except TypeError:
        return None
    # bool and float hash like int: keep their type so 33.0 and True stay apart.
    return (
        key,
        tuple(type(v).__name__ for _, v in services.items())
        if isinstance(services, Mapping)
        else (),
    )


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class PoolEvaluation:
    """One pool's counting, kept for audits: its timed items (add-on families merged),
    each item's member codes with their minutes, the rule's allocation and the pool's
    untimed codes."""

    discipline: str | None
    items: tuple[TimedItem, ...]
    members: tuple[tuple[tuple[str, int], ...], ...]
    allocation: PoolAllocation
    untimed: tuple[str, ...]


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class Evaluation:
    """A result with the pools behind it."""

    result: Result
    pools: tuple[PoolEvaluation, ...]
    pooling: Pooling
    payer: PayerProfile | None = None
    chosen: tuple[tuple[int, ...], ...] = ()
    """Each pool's units per item after any payer cap."""


def evaluate(
    services: Services,
    rule: str | Rule | None = None,
    *,
    payer: PayerProfile | None = None,
    tie_preference: Sequence[str] | None = None,
    pooling: Pooling | None = None,
    codes: CodeTable | None = None,
    max_alternatives: int = DEFAULT_MAX_ALTERNATIVES,
    mue: MueTable | None = None,
    date_of_service: datetime.date | str | None = None,
    default_discipline: str | None = None,
    blank_discipline: BlankDiscipline = "apart",
    assistant_options: AssistantOptions | None = None,
) -> Evaluation:
    """:func:`calculate`, keeping each pool's allocation for checking billed units.

    ``blank_discipline`` defaults to ``"apart"`` here, the pooling of the file commands
    (``batch`` / ``audit``) whose quick pass still counts that way; :func:`calculate` and
    :func:`~unitcalc.audit` pass ``"join"``."""
    counting = _resolve_rule(rule, payer)
    table = codes if codes is not None else CodeTable.default()
    on = parse_date_of_service(date_of_service)
    fallback = normalize_discipline(default_discipline)
    if tie_preference is None:
        tie_preference = payer.tie_preference if payer is not None else ()
    if pooling is None:
        pooling = (payer.pooling if payer is not None else None) or "discipline"
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {pooling!r}")
    if isinstance(max_alternatives, bool) or not isinstance(max_alternatives, int):
        raise TypeError(f"max_alternatives must be a whole number, not {max_alternatives!r}")
    if max_alternatives < 0:
        raise ValueError("max_alternatives must be 0 or more")
    preference = _preference(tie_preference, table, on)

    lines = _service_lines(services)
    warnings: list[Note] = []
    if blank_discipline not in ("join", "apart"):
        raise ValueError(f"blank_discipline must be 'join' or 'apart', not {blank_discipline!r}")
    if pooling == "discipline" and (blank_discipline == "join" or fallback is not None):
        lines = _assign_disciplines(lines, table, on, fallback, warnings)
    pools = _pools(lines, table, pooling, on)
    explanation = [f"Rule: {counting.summary} ({counting.source})."]
    if payer is not None:
        explanation.append(_payer_step(payer))
    if on is not None:
        for pool in pools.values():
            for entry in pool.codes.values():
                if entry.info.valid_to is not None and entry.listed:
                    explanation.append(
                        f"{entry.info.code} is valid {entry.info.window}: on "
                        f"{on.isoformat()} it counts as {entry.info.kind}"
                    )
    used_disciplines = [p.discipline for p in pools.values()]
    if pooling == "discipline" and len(pools) > 1:
        shown = ", ".join(d or "no discipline" for d in used_disciplines)
        explanation.append(
            f"Disciplines are counted apart ({shown}): each is its own plan of care (CMS "
            "20.1). Pooling per discipline is the common reading, not a sentence of the CMS "
            "text; pooling the whole day instead is an option."
        )
        if None in pools:
            bare = ", ".join(pools[None].codes)
            named = ", ".join(d for d in used_disciplines if d)
            warnings.append(
                Note(
                    f"{bare} {'has' if len(pools[None].codes) == 1 else 'have'} no discipline "
                    f"while other lines do ({named}): counted in a pool of their own; give the "
                    "discipline (e.g. 97110-GP) if they belong to a plan of care",
                    kind="no-discipline",
                    codes=tuple(pools[None].codes),
                )
            )
    for pool in pools.values():
        for entry in pool.codes.values():
            note = entry.info.rule_notes.get(counting.name)
            # A primary's note speaks for its family, even when only the add-on was given.
            family = [pool.codes[c] for c in table.addons(entry.info.code) if c in pool.codes]
            if note and (entry.listed or any(member.listed for member in family)):
                warnings.append(rule_note(entry.info.code, note))
    for pool in pools.values():
        for entry in pool.codes.values():
            if len(entry.disciplines) > 1:
                warnings.append(
                    Note(
                        f"{entry.info.code} was documented under "
                        f"{' and '.join(sorted(d or 'no discipline' for d in entry.disciplines))}"
                        "; with the whole day pooled its minutes count as one line: split its "
                        "units between the plans of care yourself",
                        kind="two-disciplines",
                        codes=(entry.info.code,),
                    )
                )

    pool_evaluations: list[PoolEvaluation] = []
    tie_groups: list[TieGroup] = []
    timed_total = untimed_total = 0
    minimums = payer.min_minutes if payer is not None else {}
    for pool in pools.values():
        label = pool.discipline if pooling == "discipline" else None
        items, members = _timed_items(pool, table, preference, minimums)
        for code, entry in pool.codes.items():
            if code in minimums and entry.info.timed and (entry.minutes or 0) < minimums[code]:
                explanation.append(_minimum_step(code, entry.minutes or 0, minimums[code], payer))
        for entry in pool.codes.values():
            if not entry.info.timed:
                untimed_total += entry.minutes or 0
                explanation.append(_untimed_step(entry, label))
                if entry.minutes == 0:
                    warnings.append(untimed_without_minutes(entry.info.code))
        timed_total += sum(item.minutes for item in items)
        pool_name = label or ("no discipline" if len(pools) > 1 else None)
        allocation = counting.allocate(items, pool=pool_name)
        explanation.extend(allocation.steps)
        warnings.extend(allocation.warnings)
        pool_evaluations.append(
            PoolEvaluation(
                discipline=label,
                items=tuple(items),
                members=tuple(tuple(m) for m in members),
                allocation=allocation,
                untimed=tuple(c for c, e in pool.codes.items() if not e.info.timed),
            )
        )
        if allocation.tied:
            tie_groups.append(
                TieGroup(
                    discipline=label,
                    codes=tuple(items[i].name for i in allocation.tied),
                    units=allocation.shared,
                    leftover_minutes=allocation.leftover_at_cut,
                    chosen=tuple(
                        items[i].name
                        for i in allocation.tied
                        if allocation.chosen[i] > allocation.base[i]
                    ),
                )
            )

    chosen = [pool.allocation.chosen for pool in pool_evaluations]
    removed: dict[str, int] = {}
    if payer is not None and payer.has_caps:
        capped, removals = apply_caps(pool_evaluations, chosen, payer)
        if removals:
            step, warning, removed = _cap_texts(pool_evaluations, chosen, capped, removals, payer)
            explanation.append(step)
            warnings.append(warning)
        chosen = capped

    ordered_lines: list[tuple[tuple[int, int], LineResult]] = []
    assisting = (
        _assisting(on, assistant_options, payer)
        if any(line.assistant_minutes is not None for line in lines)
        else None
    )
    for pool, evaluation, vector in zip(pools.values(), pool_evaluations, chosen, strict=True):
        label = evaluation.discipline
        units_by_code: dict[str, int] = {}
        splits: dict[str, AssistantSplit] = {}
        for item, item_members, count in zip(
            evaluation.items, evaluation.members, vector, strict=True
        ):
            split = split_family(item_members, count)
            if len(item_members) > 1:
                explanation.append(_family_step(item, split, label))
                for code, share in split.items():
                    if share and not pool.codes[code].listed:
                        warnings.append(_added_member_warning(code, item.name, label))
            units_by_code.update(split)
            entries = [pool.codes[code] for code, _ in item_members]
            if assisting is not None and any(entry.assistant is not None for entry in entries):
                splits.update(assisting.item(item, entries, split))
        for code, entry in pool.codes.items():
            line_units = 1 if not entry.info.timed else units_by_code[code]
            if assisting is not None and not entry.info.timed and entry.assistant is not None:
                splits.update(assisting.item(None, [entry], {code: line_units}))
            assistant_split = splits.get(code)
            if assistant_split is not None:
                explanation.extend(assistant_split.reasons)
                warnings.extend(assistant_split.warnings)
            line = LineResult(
                code=code,
                label=entry.info.label,
                timed=entry.info.timed,
                minutes=entry.minutes,
                units=line_units,
                discipline=_line_discipline(entry),
                assistant=assistant_split,
            )
            ordered_lines.append((entry.first, line))

    # Lines in input order; a family member unitcalc added stands beside its family.
    line_results = [line for _, line in sorted(ordered_lines, key=lambda pair: pair[0])]
    units: dict[str, int] = {}
    for line in line_results:
        units[line.code] = units.get(line.code, 0) + line.units
    total_units = sum(units.values())
    timed_units = sum(line.units for line in line_results if line.timed)
    untimed_units = total_units - timed_units
    explanation.append(
        f"Total: {count_of(timed_units, 'timed unit')} + "
        f"{count_of(untimed_units, 'untimed unit')} = {count_of(total_units, 'unit')}."
    )
    transform = None
    if payer is not None and payer.has_caps:
        capping_payer = payer

        def transform(combination: Sequence[tuple[int, ...]]) -> Sequence[tuple[int, ...]]:
            return apply_caps(pool_evaluations, combination, capping_payer)[0]

    alternatives, truncated = _alternatives(
        pool_evaluations, units, max_alternatives, transform=transform
    )
    tie = None
    if tie_groups:
        count = _count_allocations(pool_evaluations, units, transform=transform)
        if count > 1:
            tie = Tie(groups=tuple(tie_groups), allocations=count)
    edit_notes = tuple(check_edits(line_results, mue=mue))
    warnings.extend(edit_notes)
    edits = tuple(note.text for note in edit_notes)
    result = Result(
        rule=counting.name,
        total_timed_minutes=timed_total,
        total_untimed_minutes=untimed_total,
        total_units=total_units,
        units=units,
        lines=tuple(line_results),
        tie=tie,
        alternatives=alternatives,
        alternatives_truncated=truncated,
        explanation=tuple(explanation),
        warnings=tuple(warnings),
        payer=payer.name if payer is not None else None,
        removed=removed,
        edits=edits,
        assistant=_assistant_by_code(line_results),
        date_of_service=on if assisting is not None else None,
    )
    return Evaluation(
        result=result,
        pools=tuple(pool_evaluations),
        pooling=pooling,
        payer=payer,
        chosen=tuple(chosen),
    )


def _counted_minutes(code: str, minutes: int, minimums: Mapping[str, int]) -> int:
    return 0 if minutes < minimums.get(code, 0) else minutes


def _resolve_rule(rule: str | Rule | None, payer: PayerProfile | None) -> Rule:
    if payer is None:
        return get_rule("cms" if rule is None else rule)
    counting = get_rule(payer.rule if rule is None else rule)
    if counting.name != payer.rule:
        from ..core.errors import PayerProfileError

        raise PayerProfileError(
            f"rule {counting.name!r} conflicts with payer profile {payer.name!r}, which "
            f"counts by {payer.rule!r}; give the payer or the rule, not both",
            path="",
            payer=payer.name,
            key="rule",
        )
    return counting


def _payer_step(payer: PayerProfile) -> str:
    terms = []
    if payer.daily_unit_cap is not None:
        terms.append(f"at most {count_of(payer.daily_unit_cap, 'timed unit')} a day per discipline")
    if payer.visit_unit_cap is not None:
        terms.append(f"at most {count_of(payer.visit_unit_cap, 'timed unit')} a visit")
    if payer.min_minutes:
        shown = ", ".join(f"{code} {minutes} min" for code, minutes in payer.min_minutes.items())
        terms.append(f"minimum minutes {shown}")
    if payer.has_caps:
        terms.append(
            "caps keep lines in claim order"
            if payer.cap_order == "claim"
            else "caps keep the lines with the most units first"
        )
    source = f" (source: {payer.source})" if payer.source else ""
    described = "; ".join(terms) if terms else "no caps or minimums"
    return f"Payer profile {payer.name}: rule {payer.rule}; {described}{source}."


def _minimum_step(code: str, minutes: int, minimum: int, payer: PayerProfile | None) -> str:
    name = payer.name if payer is not None else "the payer"
    return (
        f"{code}: {minutes} min is under {name}'s minimum of {minimum} min for this code: "
        "no unit, and its minutes do not count (payer profile)"
    )


def apply_caps(
    pools: Sequence[PoolEvaluation],
    vectors: Sequence[tuple[int, ...]],
    payer: PayerProfile,
) -> tuple[list[tuple[int, ...]], list[tuple[int, int, int]]]:
    """Units per item after the payer's caps, and each removal as (pool, item, units).

    The daily cap applies to each pool (a discipline's day), then the visit cap to all
    pools together. ``claim`` order keeps items in input order; ``largest`` keeps the
    items with the most units first.
    """
    units = [list(vector) for vector in vectors]
    removals: list[tuple[int, int, int]] = []

    def keep(entries: list[tuple[int, int]], cap: int) -> None:
        if payer.cap_order == "largest":
            entries.sort(key=lambda e: (-units[e[0]][e[1]], pools[e[0]].items[e[1]].rank[2]))
        else:
            entries.sort(key=lambda e: pools[e[0]].items[e[1]].rank[2])
        room = cap
        for p, i in entries:
            kept = min(units[p][i], room)
            if kept < units[p][i]:
                removals.append((p, i, units[p][i] - kept))
                units[p][i] = kept
            room -= kept

    if payer.daily_unit_cap is not None:
        for p, pool in enumerate(pools):
            keep([(p, i) for i in range(len(pool.items))], payer.daily_unit_cap)
    if payer.visit_unit_cap is not None:
        keep(
            [(p, i) for p, pool in enumerate(pools) for i in range(len(pool.items))],
            payer.visit_unit_cap,
        )
    return [tuple(vector) for vector in units], removals


def _cap_texts(
    pools: Sequence[PoolEvaluation],
    before: Sequence[tuple[int, ...]],
    after: Sequence[tuple[int, ...]],
    removals: Sequence[tuple[int, int, int]],
    payer: PayerProfile,
) -> tuple[str, Note, dict[str, int]]:
    """The explanation step, the warning and the units removed per code."""
    removed: dict[str, int] = {}
    for p, pool in enumerate(pools):
        for i, members in enumerate(pool.members):
            was = split_family(members, before[p][i])
            now = split_family(members, after[p][i])
            for code in was:
                if was[code] > now[code]:
                    removed[code] = removed.get(code, 0) + was[code] - now[code]
    total_before = sum(map(sum, before))
    total_after = sum(map(sum, after))
    shown = ", ".join(f"{code} x{count}" for code, count in removed.items())
    order = "claim order" if payer.cap_order == "claim" else "largest units first"
    caps = []
    if payer.daily_unit_cap is not None:
        caps.append(f"{count_of(payer.daily_unit_cap, 'timed unit')} a day per discipline")
    if payer.visit_unit_cap is not None:
        caps.append(f"{count_of(payer.visit_unit_cap, 'timed unit')} a visit")
    step = (
        f"Payer cap ({payer.name}: {' and '.join(caps)}, kept in {order}): "
        f"{total_before} timed units become {total_after}; removed {shown}"
    )
    # About the visit's total, so no code of its own: shown beside every line.
    warning = Note(
        f"{payer.name}'s cap removed {count_of(total_before - total_after, 'unit')} ({shown}): "
        f"the minutes support {total_before} timed units, the payer pays at most {total_after}",
        kind="payer-cap",
    )
    return step, warning, removed


def _preference(codes: Sequence[str], table: CodeTable, on: datetime.date | None) -> dict[str, int]:
    """Tie preference ranks by code; every code must be one the table can count."""
    if isinstance(codes, str):
        raise TypeError(f"tie_preference must be a list of codes such as ['97110'], not {codes!r}")
    ranks: dict[str, int] = {}
    for rank, raw in enumerate(codes):
        try:
            code = table.lookup(raw, on=on).code
        except UnitcalcError as exc:
            raise InvalidServiceError(
                f"tie preference: {exc}", code=None, field="tie_preference", value=raw
            ) from exc
        ranks.setdefault(code, rank)
    return ranks


def _added_member_warning(code: str, family: str, pool: str | None) -> Note:
    where = f" ({pool})" if pool else ""
    return Note(
        f"{code}{where} was not entered but bills units: {family} count as one service, the "
        "first unit billed as the primary code and the rest as its add-on",
        kind="added-member",
        codes=(code,),
    )


def rule_note(code: str, note: str) -> Note:
    """The code table's note on ``code`` under the rule counted by, as a warning."""
    return Note(f"{code}: {note}", kind="rule-note", codes=(code,))


def untimed_without_minutes(code: str) -> Note:
    """The warning on an untimed code billed with 0 documented minutes."""
    return Note(
        f"{code} is untimed and bills 1 unit, but 0 minutes were documented: record the "
        "service's minutes (they count toward total treatment time, CMS Pub. 100-02 Ch. 15 "
        "section 220.3) or remove the line if the service was not given",
        kind="untimed-no-minutes",
        codes=(code,),
    )


def _service_lines(services: Services) -> list[ServiceLine]:
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


def _assign_disciplines(
    lines: Sequence[ServiceLine],
    table: CodeTable,
    on: datetime.date | None,
    fallback: str | None,
    warnings: list[Note],
) -> list[ServiceLine]:
    """Give each line without a discipline the pool it belongs to: ``fallback`` when
    given, else the day's only named discipline (narrowed by the code's own disciplines,
    e.g. 97161 is PT). With none named, the day is one pool as before; with a choice,
    the line is an error naming it and the fix."""
    named = sorted({line.discipline for line in lines if line.discipline is not None})
    if not named and fallback is None:
        return list(lines)
    out: list[ServiceLine] = []
    for index, line in enumerate(lines):
        if line.discipline is not None:
            out.append(line)
            continue
        if fallback is not None:
            out.append(attrs.evolve(line, discipline=fallback))
            continue
        info = table.lookup(line.code, on=on)
        hint = [d for d in named if d in info.disciplines] if info.disciplines else named
        shown = _shown_line(index, line)
        if len(hint) == 1:
            warnings.append(
                Note(
                    f"{info.code} has no discipline while other lines do ({', '.join(named)}): "
                    f"counted with {hint[0]}, the only discipline "
                    f"{'named this day' if len(named) == 1 else 'of its code named this day'}; "
                    f"give it one (e.g. {line.code}-{THERAPY_MODIFIERS[hint[0]]}) if that is wrong",
                    kind="no-discipline",
                    codes=(info.code,),
                )
            )
            out.append(attrs.evolve(line, discipline=hint[0]))
            continue
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
                f"{shown} has no discipline and {why}: give it its discipline ({examples}), "
                "choose one for every line without a discipline (",
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
    return out


def _shown_line(index: int, line: ServiceLine) -> str:
    minutes = f", {line.minutes} min" if line.minutes is not None else ""
    return f"service {index + 1} ({line.code}{minutes})"


def _pools(
    lines: Sequence[ServiceLine],
    table: CodeTable,
    pooling: Pooling,
    on: datetime.date | None = None,
) -> dict[str | None, _Pool]:
    pools: dict[str | None, _Pool] = {}
    per_code_day: dict[str, int] = {}
    timed_day = 0
    # Primaries given with minutes: their add-on may be listed without minutes
    # (97550=45 97551), the family's minutes being on the primary.
    with_minutes = {line.code for line in lines if line.minutes is not None}
    for index, line in enumerate(lines):
        info = table.lookup(line.code, on=on)
        if info.timed and line.minutes is None:
            if info.addon_of is not None and info.addon_of in with_minutes:
                line = attrs.evolve(line, minutes=0)
            else:
                family = (
                    f", or give the family's minutes on {info.addon_of} and list "
                    f"{info.code} without minutes"
                    if info.addon_of is not None
                    else ""
                )
                raise InvalidServiceError(
                    f"{info.code} is a timed code and its minutes are missing: give the "
                    f"documented minutes (e.g. {info.code}=15 on the command line){family}",
                    code=info.code,
                    field="minutes",
                    value=None,
                )
        line_minutes = (line.minutes or 0) + (line.assistant_minutes or 0)
        day_minutes = per_code_day.get(info.code, 0) + line_minutes
        if day_minutes > MAX_MINUTES:
            raise InvalidServiceError(
                f"{info.code}: {day_minutes} minutes in one day is more than the {MAX_MINUTES} "
                "minutes a day holds; check for a line entered twice",
                code=info.code,
                field="minutes",
                value=day_minutes,
            )
        per_code_day[info.code] = day_minutes
        if info.timed:
            timed_day += line_minutes
            if timed_day > MAX_MINUTES:
                raise InvalidServiceError(
                    f"{info.code}: the day's timed minutes add up to {timed_day}, more than "
                    f"the {MAX_MINUTES} minutes a day holds; check for lines entered twice",
                    code=info.code,
                    field="minutes",
                    value=timed_day,
                )
        key = line.discipline if pooling == "discipline" else None
        pool = pools.setdefault(key, _Pool(key))
        entry = pool.codes.get(info.code)
        if entry is None:
            total = None if line.minutes is None else line_minutes
            entry = pool.codes[info.code] = _CodeInPool(
                info, total, 1, {line.discipline}, (index, 0)
            )
        else:
            if line.minutes is not None:
                entry.minutes = (entry.minutes or 0) + line_minutes
            entry.listed += 1
            entry.disciplines.add(line.discipline)
        if line.assistant_minutes is not None and line.discipline in ASSISTANT_MODIFIERS:
            assert line.discipline is not None
            # ServiceLine refuses assistant minutes above 0 on other disciplines.
            entry.assistant = (entry.assistant or 0) + line.assistant_minutes
            entry.assistant_disciplines.add(line.discipline)
    # An add-on family always shows all its codes, primary first, where its first
    # member stood; a member not given joins with 0 minutes.
    for pool in pools.values():
        ordered: dict[str, _CodeInPool] = {}
        for code, entry in pool.codes.items():
            primary = entry.info.addon_of or code
            for place, member in enumerate((primary, *table.addons(primary))):
                if member not in ordered:
                    ordered[member] = pool.codes.get(member) or _CodeInPool(
                        table.lookup(member, on=on),
                        0,
                        0,
                        set(entry.disciplines),
                        (entry.first[0], place - (1 if member == primary else 0)),
                    )
        pool.codes = ordered
    return pools


def _timed_items(
    pool: _Pool, table: CodeTable, preference: Mapping[str, int], minimums: Mapping[str, int]
) -> tuple[list[TimedItem], list[list[tuple[str, int]]]]:
    """The pool's timed items (add-on families merged) and each item's member codes
    with their minutes; a code under a payer's minimum counts no minutes."""
    items: list[TimedItem] = []
    members: list[list[tuple[str, int]]] = []
    seen: set[str] = set()
    for code, entry in pool.codes.items():
        if not entry.info.timed or code in seen:
            continue
        primary = entry.info.addon_of or code
        family = [primary, *table.addons(primary)] if primary in pool.codes else [code]
        family = [c for c in family if c in pool.codes]
        seen.update(family)
        counted = {c: _counted_minutes(c, pool.codes[c].minutes or 0, minimums) for c in family}
        minutes = sum(counted.values())
        name = "+".join(family)
        rank = (
            min(preference.get(c, len(preference)) for c in family),
            -minutes,
            min(pool.codes[c].first[0] for c in family),
        )
        info = pool.codes[family[0]].info
        assert info.unit_minutes is not None
        further = pool.codes[family[-1]].info.unit_minutes if len(family) > 1 else None
        items.append(
            TimedItem(
                name=name,
                minutes=minutes,
                unit_minutes=info.unit_minutes,
                rank=rank,
                further_unit_minutes=further if further != info.unit_minutes else None,
            )
        )
        members.append([(c, counted[c]) for c in family])
    return items, members


def _assisting(
    date_of_service: datetime.date | None,
    options: AssistantOptions | None,
    payer: PayerProfile | None,
) -> _Assisting:
    # Loaded only for a visit with assistant minutes, so that `unitcalc calc` starts quickly.
    from ..core.assistant import DEFAULT_OPTIONS, MEDICARE_PAYMENT

    payment = payer.assistant_payment if payer is not None else None
    return _Assisting(date_of_service, options or DEFAULT_OPTIONS, payment or MEDICARE_PAYMENT)


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class _Assisting:
    """The assistant modifier settings of one evaluation."""

    date_of_service: datetime.date | None
    options: AssistantOptions
    payment: AssistantPayment

    def item(
        self,
        item: TimedItem | None,
        entries: Sequence[_CodeInPool],
        units: Mapping[str, int],
    ) -> dict[str, AssistantSplit]:
        """The splits of one service (an add-on family counts as one, its modifier units
        placed on its last units, the add-on's, first), keyed by code."""
        from .assistant import split_units

        disciplines = {d for entry in entries for d in entry.assistant_disciplines}
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
        discipline = disciplines.pop()
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


def _assistant_by_code(lines: Sequence[LineResult]) -> dict[str, AssistantSplit]:
    """The splits by code; a code split in two discipline pools is keyed CODE-DISC."""
    splits = [line.assistant for line in lines if line.assistant is not None]
    codes = [split.code for split in splits]
    return {
        split.code if codes.count(split.code) == 1 else f"{split.code}-{split.discipline}": split
        for split in splits
    }


def split_family(members: Sequence[tuple[str, int]], units: int) -> dict[str, int]:
    """A family's units: the primary bills the first unit, the add-on the rest."""
    if len(members) == 1:
        return {members[0][0]: units}
    primary, addon = members[0][0], members[1][0]
    first = min(units, 1)
    return {primary: first, addon: units - first}


def _family_step(item: TimedItem, split: Mapping[str, int], pool: str | None) -> str:
    primary, addon = list(split)
    where = f" ({pool})" if pool else ""
    return (
        f"{primary} and its add-on {addon}{where} count as one service of {item.minutes} min: "
        f"{primary} bills the first unit ({split[primary]}), {addon} each further unit "
        f"({split[addon]})"
    )


def _untimed_step(entry: _CodeInPool, pool: str | None) -> str:
    where = f" ({pool})" if pool else ""
    minutes = (
        f"; its {entry.minutes} min count toward total treatment time, not toward timed units"
        if entry.minutes
        else ""
    )
    listed = f"; listed {entry.listed} times, still 1 unit" if entry.listed > 1 else ""
    return (
        f"{entry.info.code}{where}, {entry.info.label}, is untimed: 1 unit for the day whatever "
        f"the minutes (CMS 20.2 B){minutes}{listed}"
    )


def _line_discipline(entry: _CodeInPool) -> str | None:
    known = {d for d in entry.disciplines if d is not None}
    return known.pop() if len(known) == 1 and len(entry.disciplines) == 1 else None


Transform = Callable[[Sequence[tuple[int, ...]]], Sequence[tuple[int, ...]]]


def _alternatives(
    pools: Sequence[PoolEvaluation],
    chosen: Mapping[str, int],
    limit: int,
    *,
    transform: Transform | None = None,
) -> tuple[list[dict[str, int]], bool]:
    """The other compliant allocations in code space, at most ``limit`` of them, and
    whether more exist."""
    if not any(pool.allocation.tied for pool in pools):
        return [], False
    fixed = _fixed_units(pools, chosen)
    found: list[dict[str, int]] = []
    seen = {tuple(sorted(chosen.items()))}
    for combination in _lazy_product([pool.allocation for pool in pools]):
        units = _code_units(
            pools, fixed, transform(combination) if transform is not None else combination
        )
        key = tuple(sorted(units.items()))
        if key in seen:
            continue
        if len(found) == limit:
            return found, True
        seen.add(key)
        found.append(units)
    return found, False


def _code_units(
    pools: Sequence[PoolEvaluation],
    fixed: Mapping[str, int],
    combination: Sequence[tuple[int, ...]],
) -> dict[str, int]:
    """One combination of pool allocations, as units per code."""
    units = dict(fixed)
    for pool, pool_units in zip(pools, combination, strict=True):
        for item_members, count in zip(pool.members, pool_units, strict=True):
            for code, share in split_family(item_members, count).items():
                units[code] += share
    return units


def _count_allocations(
    pools: Sequence[PoolEvaluation],
    chosen: Mapping[str, int],
    *,
    transform: Transform | None = None,
) -> int:
    """How many distinct allocations per code are compliant.

    Pools multiply, except where one code ties in two discipline pools: then two
    allocations of the lines can give the same units per code (97110-GP x2 with
    97110-GO x1 and the reverse), and only distinct ones are counted. Counting them
    means enumerating; past ``_COUNT_LIMIT`` line allocations (a day no clinic
    documents) the count of line allocations, an upper bound, is returned instead.
    """
    line_allocations = math.prod(pool.allocation.count for pool in pools)
    tied_codes: list[str] = []
    for pool in pools:
        for index in pool.allocation.tied:
            tied_codes.extend(code for code, _ in pool.members[index])
    distinct = len(tied_codes) == len(set(tied_codes)) and transform is None
    if distinct or line_allocations > _COUNT_LIMIT:
        return line_allocations
    fixed = _fixed_units(pools, chosen)
    return len(
        {
            tuple(
                sorted(
                    _code_units(
                        pools, fixed, transform(combination) if transform else combination
                    ).items()
                )
            )
            for combination in _lazy_product([pool.allocation for pool in pools])
        }
    )


def _fixed_units(
    pools: Sequence[PoolEvaluation],
    chosen: Mapping[str, int],
) -> dict[str, int]:
    """Units that are the same in every allocation: untimed codes keep their unit;
    timed codes start from 0 and take their pools' units."""
    timed = {code for pool in pools for item in pool.members for code, _ in item}
    return {code: 0 if code in timed else count for code, count in chosen.items()}


def _lazy_product(
    allocations: Sequence[PoolAllocation],
) -> Iterator[tuple[tuple[int, ...], ...]]:
    """Every combination of the pools' compliant allocations, generated lazily: a large
    tie can have more allocations than fit in memory, and only the first few are read."""
    if not allocations:
        yield ()
        return
    head, *rest = allocations
    for first in head.allocations():
        for tail in _lazy_product(rest):
            yield (first, *tail)
