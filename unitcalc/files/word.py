"""Findings of the groups settled in columns, worded from their columns.

The columnar pipeline (:mod:`.settle`) gives each group's status, items and rows; a group
that is not ok or trips an edit needs its finding's words: they are put together here
from its columns' values, sliced per group as plain Python lists (no object built per
row), with the words of the one-visit audit (:mod:`unitcalc.engine.wording`), the rule's
own warnings and a payer cap's. A group settled ok is handed on without a finding, with
its rows for the fee pricer when the audit is priced.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..core.model import Note
from ..engine.audit import Finding
from ..engine.caps import cap_texts, capped_message
from ..engine.compliance import Status, ok_allowed
from ..engine.edits import check_edits
from ..engine.explain import rule_note, untimed_without_minutes
from ..engine.pools import pool_label
from ..engine.ptp import ClaimLine
from ..engine.wording import LineKey, at_lines, by_code, message
from ..rules import RULES, Rule, TimedItem
from .check import BILLED, CODE, DISCIPLINE, MINUTES, MODIFIERS, PAYER, PROVIDER, RULE, key_names
from .evaluate import Group, invalid_finding
from .group import GROUP
from .layout import Layout
from .load import Loaded
from .options import Options
from .price_frame import PricedGroups
from .price_spans import PriceSpans
from .read import END, LINE
from .rendered import Runs, providers_named, rendered_frame
from .settle import Settled
from .spans import Spans, all_lines, identical_rows
from .worded import Words, worded_frame, words_of

if TYPE_CHECKING:
    import polars as pl


def column_findings(
    found: pl.DataFrame,
    settled: Settled,
    layout: Layout,
    options: Options,
    *,
    loaded: Loaded | None = None,
    barriers: Sequence[int] = (),
    prices: PricedGroups | None = None,
    added: list[Callable[[], None]] | None = None,
) -> Iterator[tuple[int, Group]]:
    """Findings of the groups settled in columns that are not ok or trip an edit, built
    from their items and rows: the text only for them, no step-by-step explanation
    (``--explain`` asks the scalar engine for it). With ``options.price_columns`` each
    group carries its rows for the fee pricer (read from ``loaded``), and ``found`` may
    hold groups settled ok: they come without a finding. With ``options.rendered`` the
    findings the columns write come as runs of text, each run between two of
    ``barriers`` (the sorted first lines of the groups handed on beside these). With
    ``prices`` (the groups priced in columns by ``options.column_pricer``) the findings
    the columns write carry their dollars, and ``added`` gets the function that adds
    their prices (call it after the part's groups settled ok are added)."""
    if found.height == 0:
        return iter(())
    wording = _Wording(options, modifiers="modifiers" in layout.known)
    if not options.price_columns or options.column_pricer is not None:
        # Only findings come here (the groups settled ok are priced apart): all at once.
        slices = _slices(found, settled, layout, options, loaded, prices, added)
        return _worded_part(found, slices, layout, options, wording, barriers)
    # Priced, nearly every group comes through here: their rows are made Python values
    # a slice of groups at a time (the first one now, the others as they are reached),
    # so that memory stays as without fees.
    size = PRICED_GROUPS

    def worded(part: pl.DataFrame) -> Iterator[tuple[int, Group]]:
        slices = _slices(part, settled, layout, options, loaded)
        return _worded_part(part, slices, layout, options, wording, barriers)

    first = worded(found.slice(0, size))

    def chained() -> Iterator[tuple[int, Group]]:
        yield from first
        for start in range(size, found.height, size):
            yield from worded(found.slice(start, size))

    return chained()


PRICED_GROUPS = 5_000
"""With fees, how many groups settled in columns are made Python values at a time."""


def _worded_part(
    found: pl.DataFrame,
    slices: _Slices,
    layout: Layout,
    options: Options,
    wording: _Wording,
    barriers: Sequence[int],
) -> Iterator[tuple[int, Group]]:
    """:func:`column_findings` of some of the groups (``found``, their ``slices``)."""
    columns = found.select(
        GROUP, "__status", "__counting", "__tie", "__allowed", "__billed", "__problem",
        "__long_code", "__edits", "__scalar",
    )  # fmt: skip

    def worded() -> Iterator[tuple[int, Group]]:
        rendered, run = slices.rendered, Runs(layout, barriers)
        for values in columns.iter_rows():
            written = rendered.get(values[0])
            if written is None:
                yield from run.ended()
                yield values[0], _group_of(values, slices, layout, options, wording)
            else:
                yield from run.add(values[0], *written)
        yield from run.ended()

    return worded()


@attrs.frozen(eq=False)
class _Slices:
    """The columns of some groups' rows and items, as Python lists sliced per group."""

    rows: Spans
    items: Spans
    providers: Mapping[int, list[str]]
    pricing: PriceSpans | None
    names: list[str]
    """The parsed key's columns."""
    words: Mapping[int, Words]
    """The findings' words put together in columns (:mod:`.worded`), by group."""
    rendered: Mapping[int, tuple[str, str]]
    """The findings written by the columns (:mod:`.rendered`): status and text, by group."""


def _slices(
    found: pl.DataFrame,
    settled: Settled,
    layout: Layout,
    options: Options,
    loaded: Loaded | None,
    prices: PricedGroups | None = None,
    added: list[Callable[[], None]] | None = None,
) -> _Slices:
    """The rows and items of the groups of ``found`` made Python values, each group's a
    slice: the one polars step of wording them. Those the columns write (with
    ``options.rendered``) are written here, with their ``prices`` when priced (``added``
    gets the function adding the prices of those written)."""
    import polars as pl

    wanted = found.select(GROUP)
    names = key_names(layout)
    rows = (
        settled.rows.join(wanted, on=GROUP, how="semi")
        .sort(GROUP, LINE)
        .with_columns(
            # Rows entered twice are rare: the scalar wording is asked only for them.
            __twice=pl.struct(GROUP, CODE, MINUTES, DISCIPLINE, BILLED).is_duplicated()
        )
    )
    items = settled.items.join(wanted, on=GROUP, how="semi").sort(GROUP, "first")
    plan = worded_frame(found.filter(pl.col("__scalar")), items, rows, options.settings.codes)
    rendered: dict[int, tuple[str, str]] = {}
    worded = plan.collect(engine="in-memory")
    texts = None
    if options.rendered is not None and (not options.price_columns or prices is not None):
        amounts = None if prices is None else prices.amounts(found)
        texts = rendered_frame(found, worded.lazy(), rows, layout, options.rendered, amounts)
    if texts is not None:
        written = texts.collect(engine="in-memory")
        rendered = {group: (status, text) for group, status, text in written.iter_rows()}
        if prices is not None and options.column_pricer is not None and added is not None:
            found_prices = prices.prices(written.select(GROUP, "status"))
            added.append(options.column_pricer.adding(found_prices))
        # Only the groups left are made Python values.
        done = written.select(GROUP)
        rows = rows.join(done, on=GROUP, how="anti", maintain_order="left")
        items = items.join(done, on=GROUP, how="anti", maintain_order="left")
        worded = worded.join(done, on=GROUP, how="anti", maintain_order="left")
    spanned = [LINE, END, CODE, DISCIPLINE, MINUTES, BILLED, RULE, PAYER, "__twice", MODIFIERS]
    row_spans = Spans(rows, [*spanned, PROVIDER, "__day", *names])
    providers = dict(rows.group_by(GROUP).agg(providers_named()).iter_rows())
    # unitcalc's pick and what a cap kept of it are read only where a cap removed units.
    capped = ["chosen", "kept"] if items.get_column("__capped").any() else []
    item_spans = Spans(
        items,
        ["pool", CODE, "minutes", "billed", "unit_minutes", "timed", "allowed", "__zero",
         "base", "tied", "preference", "__capped", *capped],
    )  # fmt: skip
    pricing = None
    if options.price_columns:
        assert loaded is not None
        pricing = PriceSpans(rows, row_spans, loaded, options)
    return _Slices(row_spans, item_spans, providers, pricing, names, words_of(worded), rendered)


def _group_of(
    values: tuple[Any, ...],
    slices: _Slices,
    layout: Layout,
    options: Options,
    wording: _Wording,
) -> Group:
    """One group settled in columns, with its finding (when flagged) worded from its
    columns, or handed on for its amounts only (a group settled ok, when priced)."""
    group_id, status, rule, tie, allowed, billed, problem, code, edits, flagged = values
    names = slices.names
    quiet = [LINE, CODE, BILLED, DISCIPLINE, PAYER, *names]
    group_rows = slices.rows.of(group_id, None if flagged else quiet)
    key = tuple(group_rows[name][0] for name in names)
    priced = (
        slices.pricing.of(group_id, group_rows, settled_ok=not flagged)
        if slices.pricing is not None
        else None
    )
    finding = None
    if flagged and problem is not None:
        finding = _invalid_of(key, problem, code, group_rows, options)
    elif flagged and (words := slices.words.get(group_id)) is not None:
        items = {} if words.notes is not None else slices.items.of(group_id)
        finding = wording.worded(
            key, status, RULES[rule], words, items, group_rows, edits=bool(edits)
        )
    elif flagged:
        finding = wording.finding(
            key,
            status,
            RULES[rule],
            bool(tie),
            (int(allowed), int(billed)),
            slices.items.of(group_id),
            group_rows,
            edits=bool(edits),
        )
    return Group(
        key,
        layout,
        (),
        None,
        (),
        finding=finding,
        providers=tuple(slices.providers[group_id]),
        payer=group_rows[PAYER][0] or "",
        priced=priced,
        settled_lines=(
            tuple(zip(group_rows[LINE], group_rows[CODE], group_rows[BILLED], strict=True))
            if flagged
            else ()
        ),
    )


def _pools(items: Mapping[str, Sequence[Any]]) -> dict[int, list[int]]:
    """The places of the group's items in each of its pools, pools in order of first line."""
    pools: dict[int, list[int]] = {}
    for index, pool in enumerate(items["pool"]):
        pools.setdefault(pool, []).append(index)
    return pools


def _invalid_of(
    key: tuple[str, ...],
    problem: str,
    code: str,
    rows: Mapping[str, Sequence[Any]],
    options: Options,
) -> Finding:
    """The finding of a day with more minutes than a day holds, worded as the scalar
    engine words it (the lines of the code at fault, then the problem)."""
    error = at_lines(
        [line for line, other in zip(rows[LINE], rows[CODE], strict=True) if other == code],
        problem,
    )
    payer = rows[PAYER][0]
    rule = options.profiles[payer].rule if payer else rows[RULE][0]
    finding = invalid_finding(" / ".join(key), rule, (error,), all_lines(rows))
    return attrs.evolve(finding, warnings=identical_rows(rows))


class _Wording:
    """Findings worded from columns as :func:`unitcalc.engine.audit.check` words them. What
    depends only on a pool's minutes (the rule's warnings) is worded once per distinct
    pool and reused: files repeat the same visits many times."""

    def __init__(self, options: Options, *, modifiers: bool) -> None:
        self.options = options
        self.modifiers = modifiers
        """The file has a modifiers column: each line's discipline modifiers are checked."""
        self.table = options.settings.codes
        self.warned: dict[Hashable, tuple[Note, ...]] = {}

    def pool_warnings(
        self,
        counting: Rule,
        label: str | None,
        timed: tuple[tuple[str, int, int, int], ...],
    ) -> tuple[Note, ...]:
        """The rule's warnings for one pool's timed items: (code, minutes, unit minutes,
        tie preference rank) each, in order of first line (their place in the pool orders
        ties as the first lines would)."""
        key = (counting.name, label, timed)
        found = self.warned.get(key)
        if found is None:
            allocation = counting.allocate(
                [
                    TimedItem(
                        name=code, minutes=minutes, unit_minutes=unit, rank=(rank, -minutes, order)
                    )
                    for order, (code, minutes, unit, rank) in enumerate(timed)
                ],
                pool=label,
            )
            found = allocation.warnings
            if len(self.warned) >= 100_000:
                self.warned.clear()
            self.warned[key] = found
        return found

    def worded(
        self,
        key: tuple[str, ...],
        status: Status,
        counting: Rule,
        words: Words,
        items: Mapping[str, Sequence[Any]],
        rows: Mapping[str, Sequence[Any]],
        *,
        edits: bool,
    ) -> Finding:
        """One group's finding from the words the columns put together (:mod:`.worded`):
        its notes are asked for only when it may have some (``items`` then holds its
        items, as for :meth:`finding`)."""
        notes: list[Note] = []
        warnings: list[Note] = []
        if words.notes is None:
            notes, warnings = self._notes(counting, _pools(items), items)
        else:
            warnings = [
                Note(text, kind=kind, codes=tuple(codes.split("+")) if codes else ())  # type: ignore[arg-type]
                for text, kind, codes in words.notes
            ]
        billed = dict(zip(words.codes, words.billed, strict=True))
        allowed = dict(zip(words.codes, words.allowed, strict=True))
        difference = sum(words.billed) - sum(words.allowed)
        units = (billed, allowed, difference)
        return self._built(
            key, status, counting, units, words.message, notes + warnings, rows, edits
        )

    def finding(
        self,
        key: tuple[str, ...],
        status: Status,
        counting: Rule,
        tie: bool,
        totals: tuple[int, int],
        items: Mapping[str, Sequence[Any]],
        rows: Mapping[str, Sequence[Any]],
        *,
        edits: bool,
    ) -> Finding:
        """One group's finding from its columns: ``items`` per code and pool in order of
        first line, ``rows`` in line order; ``totals`` the allowed and billed units;
        ``edits`` whether any edit trips."""
        allowed_total, billed_total = totals
        pools = _pools(items)
        allowed_lines: dict[LineKey, int] = {}
        billed_lines: dict[LineKey, int] = {}
        for pool, members in pools.items():
            label = pool_label(pool)
            timed = [i for i in members if items["timed"][i]]
            for i in [*timed, *(i for i in members if not items["timed"][i])]:
                allowed_lines[(items[CODE][i], label)] = items["allowed"][i]
                billed_lines[(items[CODE][i], label)] = items["billed"][i]
        if status == "ok":  # flagged for an edit: allowed what it bills
            allowed_lines = ok_allowed(allowed_lines, billed_lines)
        notes, warnings = self._notes(counting, pools, items)
        shown = {line: billed_lines.get(line, 0) for line in allowed_lines} | billed_lines
        words = message(
            status, counting.name, shown, allowed_lines, billed_total, allowed_total, tie or None
        )
        if items["__capped"][0]:
            words += self._capped(pools, items, rows, warnings)
        order = dict.fromkeys(rows[CODE])
        units = (
            by_code(billed_lines, order=order),
            by_code(allowed_lines, order=order),
            billed_total - allowed_total,
        )
        return self._built(key, status, counting, units, words, notes + warnings, rows, edits)

    def _built(
        self,
        key: tuple[str, ...],
        status: Status,
        counting: Rule,
        units: tuple[Mapping[Any, int], Mapping[Any, int], int],
        words: str,
        said: list[Note],
        rows: Mapping[str, Sequence[Any]],
        edits: bool,
    ) -> Finding:
        """The finding of a group worded so far (its units billed and allowed per code
        and their difference, its message, its notes and warnings) with what its rows add:
        rows entered twice, every line, the edits tripped."""
        billed, allowed, difference = units
        return Finding(
            group=" / ".join(key),
            status=status,
            rule=counting.name,
            billed=billed,
            allowed=allowed,
            difference=difference,
            message=words,
            lines=all_lines(rows),
            edits=self._edits(rows) if edits else (),
            warnings=(*said, *identical_rows(rows)),
        )

    def _notes(
        self, counting: Rule, pools: Mapping[int, list[int]], items: Mapping[str, Sequence[Any]]
    ) -> tuple[list[Note], list[Note]]:
        """The code table's notes on the group's codes, then each pool's warnings (an
        untimed code without minutes, the rule's own)."""
        codes, minutes = items[CODE], items["minutes"]
        notes: list[Note] = []
        warnings: list[Note] = []
        several = len(pools) > 1
        for pool, members in pools.items():
            for i in members:
                note = self.table.codes[codes[i]].rule_notes.get(counting.name)
                if note:
                    notes.append(rule_note(codes[i], note))
            for i in members:
                if not items["timed"][i] and minutes[i] == 0 and items["__zero"][i]:
                    warnings.append(untimed_without_minutes(codes[i]))
            timed = [i for i in members if items["timed"][i]]
            if timed and counting.may_warn(
                [minutes[i] for i in timed],
                [items["base"][i] for i in timed],
                tied=any(items["tied"][i] for i in timed),
            ):
                # Items come sorted by first line (the frame is sorted so): timed too.
                label = pool_label(pool)
                warnings.extend(
                    self.pool_warnings(
                        counting,
                        label or ("no discipline" if several else None),
                        tuple(
                            (codes[i], minutes[i], items["unit_minutes"][i], items["preference"][i])
                            for i in timed
                        ),
                    )
                )
        return notes, warnings

    def _capped(
        self,
        pools: Mapping[int, list[int]],
        items: Mapping[str, Sequence[Any]],
        rows: Mapping[str, Sequence[Any]],
        warnings: list[Note],
    ) -> str:
        """A group whose payer's cap removed units: the cap's warning (added to
        ``warnings``) and the words the finding's message ends with."""
        removed: dict[str, int] = {}
        before = after = 0
        for members in pools.values():
            for i in members:
                if items["timed"][i]:
                    chosen, kept = items["chosen"][i], items["kept"][i]
                    before, after = before + chosen, after + kept
                    if kept < chosen:
                        code = items[CODE][i]
                        removed[code] = removed.get(code, 0) + chosen - kept
        payer = self.options.profiles[rows[PAYER][0]]
        warnings.append(cap_texts(removed, before, after, payer)[1])
        return capped_message(payer.name, removed)

    def _edits(self, rows: Mapping[str, Sequence[Any]]) -> tuple[str, ...]:
        """The edits the group's claim lines trip, worded."""
        billed = (units or 0 for units in rows[BILLED])
        lines = map(
            ClaimLine, rows[CODE], rows[DISCIPLINE], billed, rows[MODIFIERS], rows[PROVIDER]
        )
        on, settings = rows["__day"][0], self.options.settings
        notes = check_edits(
            lines, mue=settings.mue, ptp=settings.ptp, date_of_service=on,
            modifier_on=settings.ptp_modifier_on,
            modifier_codes=self.table if self.modifiers else None,
        )  # fmt: skip
        return tuple(note.text for note in notes)
