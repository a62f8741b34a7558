"""Pricing an audit: dollar amounts on every finding, their sums, and the KX threshold
followed across the file.

:class:`Pricer` sits between the file engine and the writer. Each group handed on by
:func:`unitcalc.files.evaluate.run_groups` is priced before the writer sees it:

1. its rows are gathered (:func:`gathered`: from the columns it was settled in, or from
   the one-visit engine's rows) and made into day lines (code, units, CQ/CO units,
   modifiers, locality);
2. the billed lines and the lines of the units the rule allows (:mod:`.amounts`) are
   priced (:func:`unitcalc.payment.fees.day_totals`, each day remembered by its lines),
   and the finding gets both amounts, their difference and its notes;
3. the amounts are added by status, provider and payer (:mod:`.sums`), and the claim
   lines kept, small, for the KX accrual (:mod:`.accrual`).

The groups the columns settle ok (no finding to print) are not handed on one by one: the
run gives their rows to :meth:`Pricer.price_groups` (``Options.column_pricer``), which
prices them all in columns (:mod:`.price_frame`), the same way, with those of the
findings the columns write.

Once the whole file is read (split by patient, a few parts at a time), :meth:`Pricer.finish`
accrues the KX threshold from the starting amounts (:mod:`.starting`) and puts the sums,
the threshold findings and the notes into the run's summary (``Summary.payment``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from ..core.assistant import MEDICARE_PAYMENT, AssistantPayment
from ..core.errors import InvalidServiceError
from ..core.values import parse_date
from ..engine.audit import Finding
from ..engine.modifiers import parse_modifiers
from ..engine.payers import PayerProfile
from ..payment.fees import (
    ASSISTANT_MODIFIERS,
    DayLine,
    FeeSchedule,
    PaymentData,
    day_totals,
    payment_data,
    price_day,
)
from ..payment.threshold import FirstDay
from .accrual import KxLines, not_followed
from .amounts import (
    Line,
    allowed_assistant_units,
    allowed_lines,
    amount_difference,
    billed_assistant_units,
    carried_note,
    unpriced_note,
)
from .evaluate import LOCALITY_COLUMN, Group, PriceRow
from .layout import Layout
from .line_amounts import LineAmounts
from .price_frame import ColumnPrices, PricedGroups, price_groups
from .price_rows import Fees, locality_of, whole_units
from .starting import Starting
from .summary import Summary
from .sums import Sums

if TYPE_CHECKING:
    import polars as pl

REMEMBERED_DAYS = 10_000
"""How many day prices (and dates, and modifier texts) a :class:`Pricer` remembers at
most; past that it starts again, so that memory stays bounded on any file."""


class DayTotals(NamedTuple):
    """What pricing a day gives the audit: its total, each line's, the codes unpriced."""

    total: Decimal
    lines: list[Decimal]
    unpriced: tuple[str, ...]


class Gathered(NamedTuple):
    """What pricing needs of a group, settled in columns or by the one-visit engine."""

    rows: list[PriceRow]
    """The rows whose code, minutes and units were read, in line order."""
    kept: list[tuple[int, Mapping[str, Any]]]
    """Line and values of every row, for its ``kx_prior_*`` amounts."""
    refused: int
    """Rows the checks refused: their ``kx_prior_*`` amounts still count."""
    first: Mapping[str, Any] | None
    """The values of the group's first row (its date of service is the day's)."""
    profile: PayerProfile | None
    status: str
    evaluated: bool
    """Whether the rule gave the units it allows (not for an invalid day)."""
    allowed: Mapping[str, int]
    due: dict[str, int] | None
    """The assistant units the rule engine gave each code; None when it gave none (no
    assistant minutes documented): the billed CQ/CO units then carry over."""


def gathered(group: Group) -> Gathered:
    """The group's rows as pricing reads them (a group with a finding or ``priced``)."""
    finding, priced = group.finding, group.priced
    if priced is not None:
        rows = list(priced.rows)
        status = finding.status if finding is not None else "ok"
        # Settled in columns: only a day with more minutes than a day holds is not
        # evaluated (invalid); no row bills assistant units (those are not settled).
        allowed = finding.allowed if finding is not None else priced.allowed or {}
        kept = [(row.line, row.values) for row in rows]
        return Gathered(
            rows, kept, 0, priced.first, priced.profile, status, status != "invalid", allowed, None
        )
    assert finding is not None
    rows = []
    profile = None
    for each in group.rows:
        if each.service is None or each.billed is None:
            continue
        if not rows:
            profile = each.payer
        rows.append(
            PriceRow(
                each.record.line,
                each.service.code,
                each.billed,
                each.service.discipline,
                each.record.values,
            )
        )
    if not rows and group.rows:
        profile = group.rows[0].payer
    due: dict[str, int] | None = None
    if group.evaluation is not None:
        for line in group.evaluation.result.lines:
            if line.assistant is not None:
                due = due or {}
                due[line.code] = due.get(line.code, 0) + line.assistant.with_modifier
    return Gathered(
        rows,
        [(each.record.line, each.record.values) for each in group.rows],
        len(group.rows) - len(rows),
        group.rows[0].record.values if group.rows else None,
        profile,
        finding.status,
        group.evaluation is not None,
        finding.allowed,
        due,
    )


@attrs.define
class Pricer:
    """Prices the groups of an audit as they pass (:meth:`wrap`), then follows the KX
    threshold (:meth:`finish`). ``schedules`` gives a payer profile its own fee file
    (the ``fees`` key of a profile); other groups use ``schedule``."""

    schedule: FeeSchedule | None
    """The fee file for groups whose payer profile names none (``--fees``)."""
    starting: Starting = attrs.Factory(dict)
    schedules: Mapping[str, FeeSchedule] = attrs.Factory(dict)
    data: PaymentData = attrs.Factory(payment_data)
    explanations: bool = True
    """Keep the findings' step-by-step reasoning; off, findings read as an audit without
    fees does (its columnar engine writes none unless --explain or --all)."""
    first_day: FirstDay = "patient"
    """Whose first date of service of a year KX is looked for on (``kx-first-day``):
    the patient's, each bucket's, or ``off`` (UNCONFIRMED: see docs/payment.md)."""
    sums: Sums = attrs.Factory(Sums)
    """The amounts by status, provider and payer."""
    kx: KxLines = attrs.Factory(KxLines)
    """The claim lines kept for the KX accrual."""
    kx_check: bool = True
    """Follow the KX threshold (false: ``kx`` not among ``--checks``)."""
    lines: LineAmounts = attrs.Factory(LineAmounts)
    """Each billed line's amount, for the episode findings' dollars."""
    unpriced: dict[str, int] = attrs.Factory(dict)
    """Codes the fee file lacks, with the number of groups that have them."""
    national_only: bool = False
    """Rows named a locality that a PPRRVU file without its GPCI file cannot price."""
    memo: bool = True
    """Remember each day's totals by its lines (:func:`unitcalc.payment.fees.day_totals`); off,
    every day is priced anew unit by unit (:func:`unitcalc.payment.fees.price_day`): the same
    amounts, slower."""
    _days: dict[Hashable, DayTotals] = attrs.Factory(dict)
    _parsed: dict[str, tuple[str, ...]] = attrs.Factory(dict)
    _dates: dict[str, datetime.date | None] = attrs.Factory(dict)
    _rates: dict[
        tuple[datetime.date | None, int, str], tuple[int | None, int, AssistantPayment]
    ] = attrs.Factory(dict)

    def wrap(self, consume: Callable[[Group], None]) -> Callable[[Group], None]:
        """``consume`` with each group priced first. A group settled ok in columns
        (``Options.price_columns``: no finding, its rows in ``Group.priced``) is priced
        for the sums and the KX accrual only, and not handed on."""

        def priced(group: Group) -> None:
            if group.finding is None and group.priced is not None:
                self.price(group)
                return
            consume(self.price(group))

        return priced

    def price_groups(
        self,
        rows: pl.DataFrame,
        raw: pl.DataFrame,
        layout: Layout,
        profiles: Mapping[str, PayerProfile],
        allowed: pl.DataFrame | None = None,
    ) -> PricedGroups:
        """:func:`.price_frame.price_groups` of ``rows`` (groups settled in columns, the
        input's ``raw`` text, payers among ``profiles``); :meth:`adding` adds it."""
        fees = Fees(self.schedule, self.schedules, profiles, self.data, _date)
        return price_groups(rows, raw, layout, fees, allowed)

    def adding(
        self, found: ColumnPrices | None, *, part: bool = False, whole: bool = False
    ) -> Callable[[], None]:
        """A function adding ``found``, called in the order of the file's parts; ``part``:
        a part's first; ``whole``: parts hold whole patients (the last one is accrued)."""

        def add() -> None:
            if part:
                if whole and self.kx_check:
                    self.kx.close_part(self.starting, self.data, self.first_day)
                self.kx.part += 1
            if found is not None:
                self._add_columns(found)

        return add

    def _add_columns(self, found: ColumnPrices) -> None:
        """Add the sums, codes unpriced and claim lines of groups priced in columns."""
        self.sums.add_columns(found.sums)
        for code, count in found.unpriced.items():
            self.unpriced[code] = self.unpriced.get(code, 0) + count
        self.national_only = self.national_only or found.national
        self.kx.no_patient = self.kx.no_patient or found.undated
        if found.claims is not None and found.amounts is not None:
            self.kx.keep_columns(found.claims)
            self.lines.keep_columns(found.amounts)

    def price(self, group: Group) -> Group:
        """The group with its finding's amounts set, its lines kept for the KX accrual.
        A group settled in columns is priced from ``group.priced``, the others from
        their rows and evaluation; both the same way."""
        if group.finding is None and group.priced is None:
            return group
        schedule = self.schedules.get(group.payer_name, self.schedule)
        if schedule is None:
            return group
        found = gathered(group)
        day = self._day(group.layout, found.first)
        billed_lines, row_modifiers = self._billed_lines(group.layout, found.rows)
        if (
            not self.national_only
            and schedule.kind == "pprrvu"
            and not schedule.gpcis
            and any(line[4] for line in billed_lines)
        ):
            self.national_only = True
        if not found.rows:
            self.sums.add(found.status, group, Decimal(0), None, None)  # counted apart
            self.kx.keep(group, found.profile, found.kept, found.refused, [], [], [], day)
            return group
        assistant = (found.profile.assistant_payment if found.profile else None) or MEDICARE_PAYMENT
        billed_key = tuple(billed_lines)
        billed = self._price_day(billed_key, schedule, day, assistant)
        allowed: DayTotals | None = None
        carried: dict[str, int] = {}
        if found.evaluated:
            due, carried = allowed_assistant_units(
                found.allowed, billed_assistant_units(billed_lines), found.due
            )
            allowed_key = allowed_lines(found.allowed, due, billed_lines, row_modifiers)
            # Most days are allowed what they bill, line for line: priced once.
            same = self.memo and allowed_key == billed_key
            allowed = billed if same else self._price_day(allowed_key, schedule, day, assistant)
        allowed_unpriced = allowed.unpriced if allowed is not None else ()
        for code in dict.fromkeys((*billed.unpriced, *allowed_unpriced)):
            self.unpriced[code] = self.unpriced.get(code, 0) + 1
        allowed_total = allowed.total if allowed is not None else None
        difference = amount_difference(
            billed.total, allowed_total, bool(billed.unpriced or allowed_unpriced)
        )
        self.sums.add(found.status, group, billed.total, allowed_total, difference)
        self.lines.keep([row.line for row in found.rows], billed.lines)
        self.kx.keep(
            group,
            found.profile,
            found.kept,
            found.refused,
            found.rows,
            row_modifiers,
            billed.lines,
            day,
        )
        if group.finding is None:
            return group
        finding = self._priced(group.finding, billed, allowed, difference, carried, schedule)
        return attrs.evolve(group, finding=finding)

    def _priced(
        self,
        finding: Finding,
        billed: DayTotals,
        allowed: DayTotals | None,
        difference: Decimal | None,
        carried: Mapping[str, int],
        schedule: FeeSchedule,
    ) -> Finding:
        """The finding with its amounts, and the notes on the CQ/CO units carried over
        and the codes the fee file lacks."""
        warnings = finding.warnings
        if carried:
            warnings = (*warnings, carried_note(carried))
        unpriced = unpriced_note(
            billed.unpriced, allowed.unpriced if allowed is not None else (), schedule.source
        )
        if unpriced is not None:
            warnings = (*warnings, unpriced)
        return attrs.evolve(
            finding,
            billed_amount=billed.total,
            allowed_amount=allowed.total if allowed is not None else None,
            amount_difference=difference,
            warnings=warnings,
            explanation=finding.explanation if self.explanations else (),
        )

    def _billed_lines(
        self, layout: Layout, rows: Sequence[PriceRow]
    ) -> tuple[list[Line], list[tuple[str, ...]]]:
        """The day lines billed, and each row's modifiers: a row whose modifiers name
        CQ or CO bills all its units with it, else as many as its ``cq_units``."""
        modifiers_column = layout.known.get("modifiers")
        cq_column = layout.known.get("cq_units")
        billed_lines: list[Line] = []
        row_modifiers: list[tuple[str, ...]] = []
        for row in rows:
            values = row.values
            modifiers = (
                self._modifiers(str(values.get(modifiers_column) or "")) if modifiers_column else ()
            )
            row_modifiers.append(modifiers)
            if modifiers and not ASSISTANT_MODIFIERS.isdisjoint(modifiers):
                assisted = row.billed
            elif cq_column is not None:
                assisted = whole_units(values.get(cq_column))
            else:
                assisted = 0
            billed_lines.append((row.code, row.billed, assisted, modifiers, _locality(values)))
        return billed_lines, row_modifiers

    def _day(self, layout: Layout, first: Mapping[str, Any] | None) -> datetime.date | None:
        """The group's date of service, from its first row's values (each text parsed
        once)."""
        column = layout.roles.get("date_of_service")
        if column is None or first is None:
            return None
        text = str(first.get(column) or "")
        if text not in self._dates:
            if len(self._dates) >= REMEMBERED_DAYS:
                self._dates.clear()
            self._dates[text] = _date(text)
        return self._dates[text]

    def _modifiers(self, text: str) -> tuple[str, ...]:
        """The modifiers of a row's text, parsed once per distinct text."""
        found = self._parsed.get(text)
        if found is None:
            found = parse_modifiers(text)
            if len(self._parsed) >= REMEMBERED_DAYS:
                self._parsed.clear()
            self._parsed[text] = found
        return found

    def _price_day(
        self,
        lines: tuple[Line, ...],
        schedule: FeeSchedule,
        day: datetime.date | None,
        assistant: AssistantPayment,
    ) -> DayTotals:
        """:func:`price_day` of ``lines`` (each a :class:`DayLine`'s fields), its totals
        remembered (with ``memo``) by the lines and what the day changes in a price (the
        MPPR share and the assistant percent): visit files repeat the same days."""
        if not self.memo:  # each day priced anew, unit by unit, as price_day gives it
            price = price_day(
                [DayLine(*line) for line in lines],
                schedule,
                day=day,
                data=self.data,
                assistant=assistant,
            )
            return DayTotals(price.total, price.line_totals(len(lines)), price.unpriced)
        rated = (day, id(assistant), schedule.setting)
        rates = self._rates.get(rated)
        if rates is None:
            # The payment kept beside its id, so that the id is not another's later.
            share = self.data.pe_paid_percent(day, schedule.setting)
            rates = (share, assistant.percent_on(day), assistant)
            self._rates[rated] = rates
        key = (id(schedule), lines, rates)
        found = self._days.get(key)
        if found is None:
            found = DayTotals(
                *day_totals(
                    [DayLine(*line) for line in lines],
                    schedule,
                    day=day,
                    data=self.data,
                    assistant=assistant,
                )
            )
            if len(self._days) >= REMEMBERED_DAYS:
                self._days.clear()
            self._days[key] = found
        return found

    def finish(self, summary: Summary) -> None:
        """Follow the KX threshold over the lines kept, and put the sums, the threshold
        findings and the notes in ``summary.payment``."""
        # --kx-start wins over the kx_prior_* columns
        if self.kx_check:
            kx, notes = self.kx.accrue(self.starting, self.data, first_day=self.first_day)
            if summary.checks is not None:
                summary.checks["kx"] = "ran"  # priced: followed, whoever handed the groups on
        else:  # not chosen (--checks): the threshold is not followed
            kx, notes = not_followed(), []
        episodes = summary.episodes()
        if episodes:  # their lines' dollars
            summary.line_amounts = self.lines.of(line for row in episodes for line in row["lines"])
        if self.national_only:
            notes.append(
                "the visit file names payment localities, but a PPRRVU file without its "
                "GPCI file gives national amounts only: give the GPCI file for the "
                "localities' amounts"
            )
        notes += self.kx.left_out()
        if self.unpriced:
            codes = ", ".join(sorted(self.unpriced))
            notes.append(f"codes not in the fee file, priced at $0: {codes}")
        used: list[FeeSchedule] = []
        for schedule in [self.schedule, *self.schedules.values()]:
            if schedule is not None and all(schedule is not seen for seen in used):
                used.append(schedule)
        for schedule in used:
            if schedule.kind == "csv" and schedule.setting != "office":
                notes.append(
                    f"{schedule.source} is a fee CSV: its amounts are used as given, whatever "
                    f"the fee setting ({schedule.setting} chooses the amounts of the CMS "
                    "PPRRVU and PFALL files); the setting still decides the 2011-2013 "
                    "therapy reduction rate"
                )
        summary.payment = {
            "fees": ", ".join(schedule.source for schedule in used),
            "fee_file": ", ".join(dict.fromkeys(schedule.kind for schedule in used)),
            "locality": used[0].locality if used else None,
            "setting": used[0].setting if used else None,
            **self.sums.payment(),
            "kx": kx,
            "notes": notes,
        }


def _date(text: str) -> datetime.date | None:
    try:
        return parse_date(text)[0]
    except InvalidServiceError:
        return None


def _locality(values: Mapping[str, Any]) -> str | None:
    return locality_of(values.get(LOCALITY_COLUMN))


def profile_schedules(
    profiles: Mapping[str, PayerProfile], load: Callable[[str], FeeSchedule]
) -> dict[str, FeeSchedule]:
    """Each payer profile's own fee file (``fees``), loaded once per file."""
    loaded: dict[str, FeeSchedule] = {}
    out: dict[str, FeeSchedule] = {}
    for name, profile in profiles.items():
        path = profile.fees
        if path:
            if path not in loaded:
                loaded[path] = load(path)
            out[name] = loaded[path]
    return out
