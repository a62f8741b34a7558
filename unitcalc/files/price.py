"""Pricing an audit: dollar amounts on every finding, their sums, and the KX threshold
followed across the file.

:class:`Pricer` sits between the file engine and the writer: each group handed on by
:func:`unitcalc.files.evaluate.run_groups` is priced (:func:`unitcalc.payment.fees.price_day`,
the billed units and the units the rule allows) before the writer sees it, and its
claim lines' allowed amounts are kept, small, for the KX accrual made once the whole
file is read (:func:`unitcalc.payment.threshold.accrue`, in date-of-service order). The sums
and the threshold findings go into the run's summary (``Summary.payment``).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import attrs

from ..core.assistant import MEDICARE_PAYMENT, AssistantPayment
from ..core.disciplines import BY_MODIFIER
from ..core.errors import FeeFileError, InvalidServiceError
from ..core.model import Note
from ..core.values import parse_date
from ..engine.modifiers import parse_modifiers
from ..engine.payers import PayerProfile
from ..payment.fees import (
    ASSISTANT_MODIFIERS,
    DayLine,
    FeeSchedule,
    PaymentData,
    amount_of,
    cents,
    day_totals,
    payment_data,
    price_day,
)
from ..payment.threshold import BUCKETS, Bucket, Charge, accrue
from .evaluate import LOCALITY_COLUMN, PRIOR_COLUMN_NAMES, Group, PriceRow
from .layout import Layout
from .summary import Summary

PRIOR_COLUMNS: Mapping[Bucket, str] = {"PT/SLP": PRIOR_COLUMN_NAMES[0], "OT": PRIOR_COLUMN_NAMES[1]}
"""Visit-file columns with a patient's amounts already incurred that year elsewhere."""
Starting = dict[tuple[str, int, Bucket], Decimal]
REMEMBERED_DAYS = 10_000
"""How many day prices (and dates, and modifier texts) a :class:`Pricer` remembers at
most; past that it starts again, so that memory stays bounded on any file."""


@attrs.frozen
class Prior:
    """One row's amount already incurred elsewhere (a ``kx_prior_*`` column)."""

    patient: str
    year: int
    bucket: Bucket
    day: datetime.date
    line: int
    amount: Decimal


def row_priors(
    patient: str, day: datetime.date, line: int, values: Mapping[str, Any]
) -> tuple[list[Prior], list[str]]:
    """A row's ``kx_prior_pt_slp`` and ``kx_prior_ot`` amounts (none without a patient),
    and what is wrong with those that are no amount (the run goes on without them).

    >>> print(*row_priors("P1", datetime.date(2025, 3, 4), 7, {"kx_prior_ot": "x"})[1])
    line 7: kx_prior_ot 'x' is not an amount; write the dollars already incurred this
    year, such as 1250.00
    """
    found, problems = [], []
    for bucket, column in PRIOR_COLUMNS.items():
        value = values.get(column)
        if patient and value is not None and str(value).strip():
            try:
                amount = _prior(value, line, column)
            except FeeFileError as exc:
                problems.append(str(exc))
                continue
            found.append(Prior(patient, day.year, bucket, day, line, amount))
    return found, problems


def prior_amounts(priors: Iterable[Prior]) -> tuple[Starting, list[str]]:
    """Each patient's starting amount per year and bucket from the ``kx_prior_*``
    columns: the value of the earliest date of service (then the first line), and a
    note for each patient year whose rows give different values.

    >>> day = datetime.date
    >>> amounts, notes = prior_amounts([
    ...     Prior("F", 2025, "PT/SLP", day(2025, 12, 30), 2, Decimal("2000")),
    ...     Prior("F", 2025, "PT/SLP", day(2025, 12, 1), 3, Decimal("2380"))])
    >>> amounts
    {('F', 2025, 'PT/SLP'): Decimal('2380')}
    >>> print(notes[0])
    patient F, 2025 PT/SLP: kx_prior_pt_slp differs between rows (2380 on line 3, 2000
    on line 2): the earliest date of service's, line 3, is used
    """
    chosen: dict[tuple[str, int, Bucket], Prior] = {}
    values: dict[tuple[str, int, Bucket], dict[Decimal, int]] = {}
    for prior in sorted(priors, key=lambda p: (p.day, p.line)):
        key = (prior.patient, prior.year, prior.bucket)
        chosen.setdefault(key, prior)
        values.setdefault(key, {}).setdefault(prior.amount, prior.line)
    notes = []
    for key, found in values.items():
        if len(found) > 1:
            patient, year, bucket = key
            listed = ", ".join(f"{amount} on line {line}" for amount, line in found.items())
            notes.append(
                f"patient {patient}, {year} {bucket}: {PRIOR_COLUMNS[bucket]} differs between "
                f"rows ({listed}): the earliest date of service's, line {chosen[key].line}, "
                "is used"
            )
    return {key: prior.amount for key, prior in chosen.items()}, notes


def _zero() -> list[Decimal]:
    return [Decimal(0)] * 6


def add_to_sums(
    sums: list[Decimal], billed: Decimal, allowed: Decimal | None, difference: Decimal | None
) -> None:
    """Add a group to ``sums`` (billed, allowed, difference, groups, groups not
    comparable, their billed amount). A group without an allowed amount (an invalid
    one), or without a difference (a code the fee file lacks), is kept out of the first
    three, so that they compare like with like, and counted apart.

    >>> sums = [Decimal(0)] * 6
    >>> add_to_sums(sums, Decimal("54"), Decimal("54"), Decimal("0"))
    >>> add_to_sums(sums, Decimal("30"), None, None)
    >>> [str(value) for value in sums]
    ['54', '54', '0', '2', '1', '30']
    """
    sums[3] += 1
    if allowed is None or difference is None:
        sums[4] += 1
        sums[5] += billed
        return
    sums[0] += billed
    sums[1] += allowed
    sums[2] += difference


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
    sums: dict[str, dict[str, list[Decimal]]] = attrs.Factory(dict)
    """By ``status``, ``provider`` and ``payer``: billed, allowed, difference (groups
    with both amounts), groups, groups not comparable and their billed amount."""
    charges: list[Charge] = attrs.Factory(list)
    priors: list[Prior] = attrs.Factory(list)
    """The visit file's ``kx_prior_*`` amounts, row by row."""
    unpriced: dict[str, int] = attrs.Factory(dict)
    not_accrued: int = 0
    not_medicare: int = 0
    not_priced: int = 0
    """Rows the checks refused (no code, minutes or units read): not in the KX totals."""
    """Claim lines of payer profiles not marked ``medicare``: no KX threshold."""
    no_patient: bool = False
    bad_priors: list[str] = attrs.Factory(list)
    """``kx_prior_*`` cells that hold no amount (line, column, value): left out."""
    national_only: bool = False
    """Rows named a locality that a PPRRVU file without its GPCI file cannot price."""
    memo: bool = True
    """Remember each day's totals by its lines (:func:`unitcalc.payment.fees.day_totals`); off,
    every day is priced anew unit by unit (:func:`unitcalc.payment.fees.price_day`): the same
    amounts, slower."""
    _days: dict[Hashable, _DayTotals] = attrs.Factory(dict)
    _parsed: dict[str, tuple[str, ...]] = attrs.Factory(dict)
    _dates: dict[str, datetime.date | None] = attrs.Factory(dict)
    _rates: dict[tuple[datetime.date | None, int], tuple[int | None, int, AssistantPayment]] = (
        attrs.Factory(dict)
    )
    _parties: dict[tuple[str, str, str], list[Decimal]] = attrs.Factory(dict)

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

    def price(self, group: Group) -> Group:
        """The group with its finding's amounts set, its lines kept for the KX accrual.
        A group settled in columns is priced from ``group.priced``, the others from
        their rows and evaluation; both the same way."""
        finding = group.finding
        priced = group.priced
        if finding is None and priced is None:
            return group
        schedule = self.schedules.get(group.payer_name, self.schedule)
        if schedule is None:
            return group
        # The assistant units the rule engine gave each code; None when it gave none
        # (no assistant minutes documented): the billed CQ/CO units then carry over.
        due: dict[str, int] | None = None
        refused = 0  # rows the checks refused: their kx_prior_* amounts still count
        if priced is not None:
            rows: list[PriceRow] = list(priced.rows)
            kept = [(row.line, row.values) for row in rows]
            first: Mapping[str, Any] | None = priced.first
            profile = priced.profile
            status = finding.status if finding is not None else "ok"
            # Settled in columns: only a day with more minutes than a day holds is not
            # evaluated (invalid); no row bills assistant units (those are not settled).
            evaluated = status != "invalid"
            allowed_units = finding.allowed if finding is not None else priced.allowed or {}
        else:
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
            kept = [(each.record.line, each.record.values) for each in group.rows]
            refused = len(group.rows) - len(rows)
            first = group.rows[0].record.values if group.rows else None
            status = finding.status
            evaluated = group.evaluation is not None
            allowed_units = finding.allowed
            if group.evaluation is not None:
                for line in group.evaluation.result.lines:
                    if line.assistant is not None:
                        due = due or {}
                        due[line.code] = due.get(line.code, 0) + line.assistant.with_modifier
        layout = group.layout
        modifiers_column = layout.known.get("modifiers")
        cq_column = layout.known.get("cq_units")
        day = self._day(layout, first)
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
                assisted = _whole(values.get(cq_column))
            else:
                assisted = 0
            billed_lines.append((row.code, row.billed, assisted, modifiers, _locality(values)))
        if (
            not self.national_only
            and schedule.kind == "pprrvu"
            and not schedule.gpcis
            and any(line[4] for line in billed_lines)
        ):
            self.national_only = True
        if not rows:
            self._add(status, group, Decimal(0), None, None)  # counted apart
            self._keep(group, profile, kept, refused, [], [], [], day)
            return group
        assistant = (profile.assistant_payment if profile else None) or MEDICARE_PAYMENT
        billed_key = tuple(billed_lines)
        billed = self._price_day(billed_key, schedule, day, assistant)
        allowed_total: Decimal | None = None
        allowed_unpriced: tuple[str, ...] = ()
        carried: dict[str, int] = {}
        if evaluated:
            due, carried = allowed_assistant_units(
                allowed_units, billed_assistant_units(billed_lines), due
            )
            first_modifiers: dict[str, tuple[str, ...]] = {}
            for billed_line, mods in zip(billed_lines, row_modifiers, strict=True):
                first_modifiers.setdefault(billed_line[0], mods)
            locality = billed_lines[0][4]
            allowed_key = tuple(
                (code, units, due.get(code, 0), first_modifiers.get(code, ()), locality)
                for code, units in allowed_units.items()
            )
            # Most days are allowed what they bill, line for line: priced once.
            same = self.memo and allowed_key == billed_key
            allowed = billed if same else self._price_day(allowed_key, schedule, day, assistant)
            allowed_total = allowed.total
            allowed_unpriced = allowed.unpriced
        for code in dict.fromkeys((*billed.unpriced, *allowed_unpriced)):
            self.unpriced[code] = self.unpriced.get(code, 0) + 1
        difference = amount_difference(
            billed.total, allowed_total, bool(billed.unpriced or allowed_unpriced)
        )
        self._add(status, group, billed.total, allowed_total, difference)
        self._keep(group, profile, kept, refused, rows, row_modifiers, billed.lines, day)
        if finding is None:
            return group
        warnings = finding.warnings
        if carried:
            warnings = (*warnings, carried_note(carried))
        unpriced = unpriced_note(billed.unpriced, allowed_unpriced, schedule.source)
        if unpriced is not None:
            warnings = (*warnings, unpriced)
        finding = attrs.evolve(
            finding,
            billed_amount=billed.total,
            allowed_amount=allowed_total,
            amount_difference=difference,
            warnings=warnings,
            explanation=finding.explanation if self.explanations else (),
        )
        return attrs.evolve(group, finding=finding)

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
    ) -> _DayTotals:
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
            return _DayTotals(price.total, price.line_totals(len(lines)), price.unpriced)
        rates = self._rates.get((day, id(assistant)))
        if rates is None:
            # The payment kept beside its id, so that the id is not another's later.
            rates = (self.data.pe_paid_percent(day), assistant.percent_on(day), assistant)
            self._rates[(day, id(assistant))] = rates
        key = (id(schedule), lines, rates)
        found = self._days.get(key)
        if found is None:
            found = _totals(lines, schedule, day, self.data, assistant)
            if len(self._days) >= REMEMBERED_DAYS:
                self._days.clear()
            self._days[key] = found
        return found

    def _add(
        self,
        status: str,
        group: Group,
        billed: Decimal,
        allowed: Decimal | None,
        difference: Decimal | None,
    ) -> None:
        """Add a group's amounts under its status, provider and payer (into ``sums`` by
        :meth:`finish`)."""
        provider = "; ".join(group.provider_names) or "(none)"
        parties = (status, provider, group.payer_name or "(none)")
        sums = self._parties.get(parties)
        if sums is None:
            sums = self._parties[parties] = _zero()
        add_to_sums(sums, billed, allowed, difference)

    def _fold(self) -> None:
        """The amounts added per status, provider and payer, into ``sums``."""
        for parties, amounts in self._parties.items():
            for kind, name in zip(("status", "provider", "payer"), parties, strict=True):
                sums = self.sums.setdefault(kind, {}).setdefault(name, _zero())
                for index, amount in enumerate(amounts):
                    sums[index] += amount
        self._parties.clear()

    def _keep(
        self,
        group: Group,
        profile: PayerProfile | None,
        kept: list[tuple[int, Mapping[str, Any]]],
        refused: int,
        rows: list[PriceRow],
        row_modifiers: list[tuple[str, ...]],
        amounts: list[Decimal],
        day: datetime.date | None,
    ) -> None:
        """Keep a group's claim lines for the KX accrual, and every row's ``kx_prior_*``
        amounts (``kept``: line and values of each row, ``refused`` of them not read)."""
        patient_column = group.layout.roles.get("patient_id")
        if patient_column is None or day is None:
            self.no_patient = True
            return
        medicare = follows_kx(profile)
        if medicare:
            for line, values in kept:
                patient = str(values.get(patient_column) or "").strip()
                priors, problems = row_priors(patient, day, line, values)
                self.priors.extend(priors)
                self.bad_priors.extend(problems)
            self.not_priced += refused
        name = group.name
        for row, modifiers, amount in zip(rows, row_modifiers, amounts, strict=True):
            if not row.billed:
                continue  # a row billing no unit is no claim line
            if not medicare:
                self.not_medicare += 1
                continue
            values = row.values
            patient = str(values.get(patient_column) or "").strip()
            discipline = row.discipline or next(
                (BY_MODIFIER[m] for m in modifiers if m in BY_MODIFIER), None
            )
            bucket = BUCKETS.get(discipline or "")
            if bucket is None or not patient:
                self.not_accrued += 1
                continue
            self.charges.append(
                Charge(patient, day, bucket, row.line, amount, "KX" in modifiers, name)
            )

    def finish(self, summary: Summary) -> None:
        """Follow the KX threshold over the lines kept, and put the sums and the
        threshold findings in ``summary.payment``."""
        self._fold()
        from_columns, notes = prior_amounts(self.priors)
        starting = {**from_columns, **self.starting}  # --kx-start wins over the columns
        accrual = accrue(self.charges, starting=starting, data=self.data)
        findings = [finding.to_dict() for finding in accrual.findings]
        if accrual.years_without_threshold:
            years = ", ".join(map(str, accrual.years_without_threshold))
            notes.append(
                f"no KX threshold is packaged for {years}: lines of those years were not "
                "checked against it"
            )
        if self.bad_priors:
            shown = "; ".join(self.bad_priors[:3])
            more = f" (and {len(self.bad_priors) - 3} more)" if len(self.bad_priors) > 3 else ""
            notes.append(
                f"{len(self.bad_priors)} kx_prior_* cell(s) are not amounts and were left "
                f"out of the starting amounts: {shown}{more}"
            )
        if self.national_only:
            notes.append(
                "the visit file names payment localities, but a PPRRVU file without its "
                "GPCI file gives national amounts only: give the GPCI file for the "
                "localities' amounts"
            )
        if self.no_patient:
            notes.append(
                "the KX threshold is followed per patient and date of service: groups "
                "without patient_id and date_of_service columns were not accrued"
            )
        if self.not_accrued:
            notes.append(
                f"{self.not_accrued} line(s) without a discipline (PT, OT, SLP or GP, GO, "
                "GN) were not accrued toward a KX threshold"
            )
        if self.not_priced:
            notes.append(
                f"{self.not_priced} line(s) could not be priced (their code, minutes or "
                "units were not read) and were not added to the KX totals; their "
                "kx_prior_* amounts were read"
            )
        if self.not_medicare:
            notes.append(
                f"{self.not_medicare} line(s) of payer profiles not marked medicare = true "
                "were not accrued: the KX threshold is Medicare's"
            )
        if self.unpriced:
            codes = ", ".join(sorted(self.unpriced))
            notes.append(f"codes not in the fee file, priced at $0: {codes}")
        total = self.sums.get("status", {})
        schedules = [self.schedule, *self.schedules.values()]
        used: list[FeeSchedule] = []
        for schedule in schedules:
            if schedule is not None and all(schedule is not seen for seen in used):
                used.append(schedule)
        for schedule in used:
            if schedule.kind == "csv" and schedule.setting == "facility":
                notes.append(
                    f"{schedule.source} is a fee CSV: its amounts are used as given, whatever "
                    "the fee setting (facility applies to the CMS PPRRVU and PFALL files)"
                )
        summary.payment = {
            "fees": ", ".join(schedule.source for schedule in used),
            "fee_file": ", ".join(dict.fromkeys(schedule.kind for schedule in used)),
            "locality": used[0].locality if used else None,
            "setting": used[0].setting if used else None,
            "billed": _money(sum((v[0] for v in total.values()), Decimal(0))),
            "allowed": _money(sum((v[1] for v in total.values()), Decimal(0))),
            "difference": _money(sum((v[2] for v in total.values()), Decimal(0))),
            "not_comparable": {
                "groups": int(sum((v[4] for v in total.values()), Decimal(0))),
                "billed": _money(sum((v[5] for v in total.values()), Decimal(0))),
            },
            **{
                f"by_{kind}": {
                    name: {
                        "billed": _money(v[0]),
                        "allowed": _money(v[1]),
                        "difference": _money(v[2]),
                        "groups": int(v[3]),
                        "not_comparable": int(v[4]),
                        "not_comparable_billed": _money(v[5]),
                    }
                    for name, v in sorted(self.sums.get(kind, {}).items())
                }
                for kind in ("status", "provider", "payer")
            },
            "kx": {
                "missing_kx_lines": sum(f["kind"] == "missing-kx" for f in findings),
                "review_patients": sum(f["kind"] == "review" for f in findings),
                "findings": findings,
            },
            "notes": notes,
        }


def follows_kx(payer: PayerProfile | None) -> bool:
    """True for a row the Medicare KX threshold applies to: one without a payer profile
    (an audit is Medicare's by default) or whose profile says ``medicare = true``."""
    return payer is None or payer.medicare


def billed_assistant_units(lines: Sequence[Line]) -> dict[str, int]:
    """The units billed with CQ or CO, per code (each line: code, units, assistant
    units, ...)."""
    out: dict[str, int] = {}
    for code, units, assisted, *_ in lines:
        count = min(assisted, units)
        if count > 0:
            out[code] = out.get(code, 0) + count
    return out


def allowed_assistant_units(
    allowed: Mapping[str, int],
    billed_assisted: Mapping[str, int],
    due: Mapping[str, int] | None,
) -> tuple[dict[str, int], dict[str, int]]:
    """The allowed units of each code that carry CQ or CO, and those of them carried over
    from the billed lines.

    ``due`` is what the rule engine assigned (from the visit file's assistant minutes);
    without it (``None``: no assistant minutes documented), the units billed with CQ/CO
    carry to the allowed units of the same code, up to the units allowed.

    >>> allowed_assistant_units({"97110": 1, "97140": 2}, {"97110": 2}, None)
    ({'97110': 1}, {'97110': 1})
    >>> allowed_assistant_units({"97110": 1}, {"97110": 2}, {"97110": 0})
    ({'97110': 0}, {})
    """
    if due is not None:
        return dict(due), {}
    carried = {
        code: min(billed_assisted.get(code, 0), units)
        for code, units in allowed.items()
        if min(billed_assisted.get(code, 0), units) > 0
    }
    return dict(carried), carried


def carried_note(carried: Mapping[str, int]) -> Note:
    """The finding's note that the allowed units carry the billed CQ/CO units."""
    units = ", ".join(f"{code} x{count}" for code, count in carried.items())
    return Note(
        f"Fees: without assistant_minutes the rule gives no unit CQ/CO, so the allowed "
        f"units carry the CQ/CO units billed ({units}), priced with the assistant reduction",
        kind="assistant-carried",
        codes=tuple(carried),
    )


def amount_difference(billed: Decimal, allowed: Decimal | None, unpriced: bool) -> Decimal | None:
    """Billed less allowed; ``None`` without an allowed amount, or when a code of either
    side is missing from the fee file (a $0 there would make the difference wrong)."""
    if allowed is None or unpriced:
        return None
    return billed - allowed


def unpriced_note(billed: Sequence[str], allowed: Sequence[str], source: str) -> Note | None:
    """The finding's note naming the codes of either side the fee file lacks.

    >>> print(unpriced_note(["97161"], ["97161", "97140"], "fees.csv"))
    Fees: 97161, 97140 not in fees.csv: priced at $0 (97140 in the allowed units
    only); no amount_difference
    """
    codes = tuple(dict.fromkeys((*billed, *allowed)))
    if not codes:
        return None
    only = [code for code in allowed if code not in billed]
    where = f" ({', '.join(only)} in the allowed units only)" if only else ""
    return Note(
        f"Fees: {', '.join(codes)} not in {source}: priced at $0{where}; no amount_difference",
        kind="unpriced",
        codes=codes,
    )


Line = tuple[str, int, int, tuple[str, ...], str | None]
"""A :class:`DayLine`'s fields: code, units, assistant units, modifiers, locality."""


class _DayTotals(NamedTuple):
    """What pricing a day gives the audit: its total, each line's, the codes unpriced."""

    total: Decimal
    lines: list[Decimal]
    unpriced: tuple[str, ...]


def _totals(
    lines: tuple[Line, ...],
    schedule: FeeSchedule,
    day: datetime.date | None,
    data: PaymentData,
    assistant: AssistantPayment,
) -> _DayTotals:
    return _DayTotals(
        *day_totals(
            [DayLine(*line) for line in lines], schedule, day=day, data=data, assistant=assistant
        )
    )


def _money(value: Decimal) -> float:
    return float(cents(value))


def _date(text: str) -> datetime.date | None:
    try:
        return parse_date(text)[0]
    except InvalidServiceError:
        return None


def _locality(values: Mapping[str, Any]) -> str | None:
    value = values.get(LOCALITY_COLUMN)
    return str(value).strip() or None if value is not None else None


def _whole(value: Any) -> int:
    text = str(value or "0").strip().split(".")[0]
    return int(text) if text.isdigit() else 0


def _prior(value: Any, line: int, column: str) -> Decimal:
    amount = amount_of(str(value))
    if amount is None:
        raise FeeFileError(
            f"line {line}: {column} {value!r} is not an amount; write the dollars already "
            "incurred this year, such as 1250.00",
            path="",
            line=line,
            field=column,
        )
    return amount


def load_starting(path: str | Path) -> Starting:
    """Amounts a patient already incurred in a year elsewhere, from a CSV with the
    columns ``patient_id``, ``year``, ``pt_slp`` and ``ot`` (either may be empty)."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FeeFileError(f"cannot read {shown}: {exc}", path=shown) from None
    reader = csv.DictReader(io.StringIO(text))
    wanted = {"patient_id", "year", "pt_slp", "ot"}
    found = {name.strip().lower() for name in reader.fieldnames or ()}
    if not wanted <= found:
        missing = ", ".join(sorted(wanted - found))
        raise FeeFileError(
            f"{shown}, line 1: the starting amounts need the columns patient_id, year, "
            f"pt_slp and ot; {missing} missing",
            path=shown,
            line=1,
            field="header",
        )
    starting: Starting = {}
    given_on: dict[tuple[str, int, str], int] = {}
    for number, raw in enumerate(reader, start=2):
        record = {key.strip().lower(): (value or "").strip() for key, value in raw.items() if key}
        year = record["year"]
        if not (year.isdigit() and len(year) == 4):
            raise FeeFileError(
                f"{shown}, line {number}: year {year!r} is not a year such as 2025",
                path=shown,
                line=number,
                field="year",
            )
        for bucket, column in (("PT/SLP", "pt_slp"), ("OT", "ot")):
            if record[column]:
                try:
                    amount = _prior(record[column], number, column)
                except FeeFileError as exc:
                    raise FeeFileError(
                        f"{shown}, {exc}", path=shown, line=number, field=column
                    ) from None
                key = (record["patient_id"], int(year), bucket)
                if key in given_on:
                    raise FeeFileError(
                        f"{shown}, line {number}: patient {key[0]!r} has a {column} amount "
                        f"for {year} on line {given_on[key]} already; give one amount per "
                        "patient and year (their sum, if both count)",
                        path=shown,
                        line=number,
                        field=column,
                    )
                given_on[key] = number
                starting[key] = amount  # type: ignore[index]
    return starting


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
