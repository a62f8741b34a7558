"""The one-visit engine: from documented services to a :class:`~unitcalc.Result`.

A visit travels through these steps, each written once in its own module, in the order
the file engine's columnar pipeline (:mod:`unitcalc.files.settle`) follows too:

1. how to count, every option resolved once (:mod:`.settings`);
2. lines without a discipline join the day's only named one, each line's code looked up
   in the code table for the date of service, the lines gathered into pools (one per
   discipline by default), and the day's limits checked (:mod:`.pools`);
3. a payer's minimum minutes, the timed items of each pool with add-on families merged
   (:mod:`.caps`, :mod:`.items`);
4. the counting rule allocates each pool's units (:mod:`unitcalc.rules`);
5. a payer's caps (:mod:`.caps`), then the assistant modifiers of the codes with
   assistant minutes (:mod:`.assisting`);
6. the lines, totals, any tie with its alternatives (:mod:`.alternatives`), the edits
   (:mod:`.edits`), and the explanation (:mod:`.explain`).

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
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from ..core.codes import CodeTable
from ..core.model import LineResult, Note, Result, Tie, TieGroup
from ..rules import PoolAllocation, Rule, RuleName, TimedItem
from . import explain
from .alternatives import alternatives, count_allocations
from .caps import apply_caps, cap_texts, minimum_step, payer_step
from .edits import check_edits
from .items import Evaluation, PoolEvaluation, split_family, timed_items
from .pools import Pool, Services, join_disciplines, pool_lines, service_lines
from .ptp import ModifierPlacement
from .settings import DEFAULT_MAX_ALTERNATIVES, BlankDiscipline, Counting, Pooling

if TYPE_CHECKING:
    from ..core.assistant import AssistantOptions, AssistantSplit
    from ..core.mue import MueTable
    from ..core.ptp import PtpTable
    from .assisting import Assisting
    from .payers import PayerProfile


def calculate(
    services: Services,
    rule: RuleName | Rule | None = None,
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
    ptp: PtpTable | None = None,
    ptp_modifier_on: ModifierPlacement = "either",
) -> Result:
    """Billable units for one patient's day of services under ``rule``.

    ``services`` is a mapping ``{code: minutes}`` (``None`` minutes for an untimed
    code) or an iterable of :class:`~unitcalc.ServiceLine`. ``rule`` is ``"cms"`` unless
    a ``payer`` profile names another; the profile's caps, minimums and tie preference
    apply too. ``tie_preference`` lists codes to favour, first first, when a tie must be
    settled; ``pooling`` is ``"discipline"`` (PT, OT and SLP minutes pool apart, the
    default) or ``"day"``; ``codes`` replaces the packaged code table;
    ``max_alternatives`` bounds the listed alternatives; ``mue`` is a table of
    Medically Unlikely Edits to check the units against, ``ptp`` one of NCCI
    procedure-to-procedure edits (the codes given bill no modifier; ``ptp_modifier_on``
    is where one would bypass an indicator 1 edit). ``date_of_service`` (a date or
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
    if payer is None and codes is None and mue is None and ptp is None:
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
        ptp=ptp,
        ptp_modifier_on=ptp_modifier_on,
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


def evaluate(
    services: Services,
    rule: RuleName | Rule | None = None,
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
    ptp: PtpTable | None = None,
    ptp_modifier_on: ModifierPlacement = "either",
) -> Evaluation:
    """:func:`calculate`, keeping each pool's allocation for checking billed units.

    ``blank_discipline`` defaults to ``"apart"`` here, the pooling of the file commands
    (``batch`` / ``audit``) whose quick pass still counts that way; :func:`calculate` and
    :func:`~unitcalc.audit` pass ``"join"``."""
    counting = Counting.of(
        rule,
        payer=payer,
        tie_preference=tie_preference,
        pooling=pooling,
        codes=codes,
        mue=mue,
        date_of_service=date_of_service,
        default_discipline=default_discipline,
        blank_discipline=blank_discipline,
        assistant_options=assistant_options,
        max_alternatives=max_alternatives,
        ptp=ptp,
        ptp_modifier_on=ptp_modifier_on,
    )
    return count(services, counting)


def count(services: Services, counting: Counting) -> Evaluation:
    """One visit counted under ``counting``: its result and the pools behind it."""
    lines = service_lines(services)
    warnings: list[Note] = []
    table, on = counting.codes, counting.date_of_service
    if counting.pooling == "discipline" and (
        counting.blank_discipline == "join" or counting.default_discipline is not None
    ):
        lines = join_disciplines(lines, table, on, counting.default_discipline, warnings)
    pools = pool_lines(lines, table, counting.pooling, on)
    explanation = _heading(counting, pools, warnings)
    counted = _allocate(pools, counting, explanation, warnings)
    chosen = [pool.allocation.chosen for pool in counted.pools]
    removed: dict[str, int] = {}
    payer = counting.payer
    if payer is not None and payer.has_caps:
        chosen, removed = _capped(counted.pools, chosen, payer, explanation, warnings)
    assisting = (
        _assisting(counting) if any(line.assistant_minutes is not None for line in lines) else None
    )
    line_results = _lines(pools, counted.pools, chosen, assisting, explanation, warnings)
    units: dict[str, int] = {}
    for line in line_results:
        units[line.code] = units.get(line.code, 0) + line.units
    timed_units = sum(line.units for line in line_results if line.timed)
    explanation.append(explain.total_step(timed_units, sum(units.values()) - timed_units))
    tie, listed, truncated = _tie(counted, units, counting)
    edit_notes = tuple(
        check_edits(
            line_results,
            mue=counting.mue,
            ptp=counting.settings.ptp,
            date_of_service=on,
            modifier_on=counting.settings.ptp_modifier_on,
        )
    )
    warnings.extend(edit_notes)
    result = Result(
        rule=counting.rule.name,
        total_timed_minutes=counted.timed_minutes,
        total_untimed_minutes=counted.untimed_minutes,
        total_units=sum(units.values()),
        units=units,
        lines=tuple(line_results),
        tie=tie,
        alternatives=listed,
        alternatives_truncated=truncated,
        explanation=tuple(explanation),
        warnings=tuple(warnings),
        payer=payer.name if payer is not None else None,
        removed=removed,
        edits=tuple(note.text for note in edit_notes),
        assistant=_assistant_by_code(line_results),
        date_of_service=on if assisting is not None else None,
    )
    return Evaluation(
        result=result,
        pools=counted.pools,
        pooling=counting.pooling,
        payer=payer,
        chosen=tuple(chosen),
    )


def _heading(
    counting: Counting, pools: Mapping[str | None, Pool], warnings: list[Note]
) -> list[str]:
    """The explanation's first steps (the rule, the payer, code windows, pools) and the
    warnings on the day's lines (no discipline, the code table's notes, a code under
    two disciplines)."""
    rule = counting.rule
    explanation = [f"Rule: {rule.summary} ({rule.source})."]
    if counting.payer is not None:
        explanation.append(payer_step(counting.payer))
    explanation.extend(explain.window_steps(pools, counting.date_of_service))
    if counting.pooling == "discipline" and len(pools) > 1:
        explanation.append(explain.discipline_step(pools))
        # Lines kept apart when joined (a code billed without a therapy modifier) were
        # warned of, with the reason, by join_disciplines.
        if None in pools and not any(w.kind == "no-discipline" for w in warnings):
            warnings.append(explain.apart_warning(pools))
    warnings.extend(explain.rule_notes(pools, counting.codes, rule.name))
    warnings.extend(explain.two_disciplines(pools))
    return explanation


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class _Counted:
    """The pools allocated by the rule, their ties, and the day's minutes."""

    pools: tuple[PoolEvaluation, ...]
    ties: tuple[TieGroup, ...]
    timed_minutes: int
    untimed_minutes: int


def _allocate(
    pools: Mapping[str | None, Pool],
    counting: Counting,
    explanation: list[str],
    warnings: list[Note],
) -> _Counted:
    """Each pool's timed items allocated by the rule (a payer's minimums first), its
    untimed codes worded, and its tie, if any."""
    evaluations: list[PoolEvaluation] = []
    ties: list[TieGroup] = []
    timed_total = untimed_total = 0
    payer = counting.payer
    minimums = payer.min_minutes if payer is not None else {}
    for pool in pools.values():
        label = pool.discipline if counting.pooling == "discipline" else None
        items, members = timed_items(pool, counting.codes, counting.preference, minimums)
        for code, entry in pool.codes.items():
            if code in minimums and entry.info.timed and (entry.minutes or 0) < minimums[code]:
                explanation.append(minimum_step(code, entry.minutes or 0, minimums[code], payer))
        for entry in pool.codes.values():
            if not entry.info.timed:
                untimed_total += entry.minutes or 0
                explanation.append(explain.untimed_step(entry, label))
                if entry.minutes == 0:
                    warnings.append(explain.untimed_without_minutes(entry.info.code))
        timed_total += sum(item.minutes for item in items)
        pool_name = label or ("no discipline" if len(pools) > 1 else None)
        allocation = counting.rule.allocate(items, pool=pool_name)
        explanation.extend(allocation.steps)
        warnings.extend(allocation.warnings)
        evaluations.append(
            PoolEvaluation(
                discipline=label,
                items=tuple(items),
                members=tuple(members),
                allocation=allocation,
                untimed=tuple(c for c, e in pool.codes.items() if not e.info.timed),
            )
        )
        if allocation.tied:
            ties.append(_tie_group(label, items, allocation))
    return _Counted(tuple(evaluations), tuple(ties), timed_total, untimed_total)


def _tie_group(
    label: str | None, items: Sequence[TimedItem], allocation: PoolAllocation
) -> TieGroup:
    return TieGroup(
        discipline=label,
        codes=tuple(items[i].name for i in allocation.tied),
        units=allocation.shared,
        leftover_minutes=allocation.leftover_at_cut,
        chosen=tuple(
            items[i].name for i in allocation.tied if allocation.chosen[i] > allocation.base[i]
        ),
    )


def _firsts(pools: Sequence[PoolEvaluation]) -> list[list[int]]:
    """Each pool's items' first input lines: the claim order a cap keeps."""
    return [[item.rank[2] for item in pool.items] for pool in pools]


def _capped(
    pools: Sequence[PoolEvaluation],
    chosen: Sequence[tuple[int, ...]],
    payer: PayerProfile,
    explanation: list[str],
    warnings: list[Note],
) -> tuple[list[tuple[int, ...]], dict[str, int]]:
    """The units the payer's caps leave, and the units they removed per code."""
    capped, removals = apply_caps(_firsts(pools), chosen, payer)
    if not removals:
        return capped, {}
    removed: dict[str, int] = {}
    for p, pool in enumerate(pools):
        for i, members in enumerate(pool.members):
            was = split_family(members, chosen[p][i])
            now = split_family(members, capped[p][i])
            for code in was:
                if was[code] > now[code]:
                    removed[code] = removed.get(code, 0) + was[code] - now[code]
    step, warning = cap_texts(removed, sum(map(sum, chosen)), sum(map(sum, capped)), payer)
    explanation.append(step)
    warnings.append(warning)
    return capped, removed


def _assisting(counting: Counting) -> Assisting:
    # Loaded only for a visit with assistant minutes, so that `unitcalc calc` starts quickly.
    from .assisting import Assisting

    return Assisting.of(counting.date_of_service, counting.assistant, counting.payer)


def _lines(
    pools: Mapping[str | None, Pool],
    evaluations: Sequence[PoolEvaluation],
    chosen: Sequence[tuple[int, ...]],
    assisting: Assisting | None,
    explanation: list[str],
    warnings: list[Note],
) -> list[LineResult]:
    """The result's lines, in input order (a family member unitcalc added beside its
    family), each code's units split among its family and its assistant modifiers."""
    ordered: list[tuple[tuple[int, int], LineResult]] = []
    for pool, evaluation, vector in zip(pools.values(), evaluations, chosen, strict=True):
        label = evaluation.discipline
        units_by_code: dict[str, int] = {}
        splits: dict[str, AssistantSplit] = {}
        for item, members, units in zip(evaluation.items, evaluation.members, vector, strict=True):
            split = split_family(members, units)
            if len(members) > 1:
                explanation.append(explain.family_step(item, split, label))
                for code, share in split.items():
                    if share and not pool.codes[code].listed:
                        warnings.append(explain.added_member_warning(code, item.name, label))
            units_by_code.update(split)
            entries = [pool.codes[code] for code, _ in members]
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
                discipline=_line_discipline(entry.disciplines),
                assistant=assistant_split,
            )
            ordered.append((entry.first, line))
    return [line for _, line in sorted(ordered, key=lambda pair: pair[0])]


def _line_discipline(disciplines: set[str | None]) -> str | None:
    known = {d for d in disciplines if d is not None}
    return known.pop() if len(known) == 1 and len(disciplines) == 1 else None


def _tie(
    counted: _Counted, units: Mapping[str, int], counting: Counting
) -> tuple[Tie | None, list[dict[str, int]], bool]:
    """The tie (when more than one allocation is compliant), the alternatives listed and
    whether more exist."""
    pools = counted.pools
    payer = counting.payer
    transform = None
    if payer is not None and payer.has_caps:
        capping_payer = payer
        firsts = _firsts(pools)

        def transform(combination: Sequence[tuple[int, ...]]) -> Sequence[tuple[int, ...]]:
            return apply_caps(firsts, combination, capping_payer)[0]

    listed, truncated = alternatives(pools, units, counting.max_alternatives, transform=transform)
    tie = None
    if counted.ties:
        allocations = count_allocations(pools, units, transform=transform)
        if allocations > 1:
            tie = Tie(groups=counted.ties, allocations=allocations)
    return tie, listed, truncated


def _assistant_by_code(lines: Sequence[LineResult]) -> dict[str, AssistantSplit]:
    if not any(line.assistant is not None for line in lines):
        return {}
    from .assisting import assistant_by_code

    return assistant_by_code(lines)
