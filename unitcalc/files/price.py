"""Pricing an audit: dollar amounts on every finding, their sums, and the KX threshold
followed across the file.

:class:`Pricer` sits between the file engine and the writer: each group handed on by
:func:`unitcalc.files.evaluate.run_groups` is priced (:func:`unitcalc.fees.price_day`,
the billed units and the units the rule allows) before the writer sees it, and its
claim lines' allowed amounts are kept, small, for the KX accrual made once the whole
file is read (:func:`unitcalc.threshold.accrue`, in date-of-service order). The sums
and the threshold findings go into the run's summary (``Summary.payment``).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Hashable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import attrs

from ..assistant import MEDICARE_PAYMENT, AssistantPayment, parse_modifiers
from ..errors import FeeFileError, InvalidServiceError
from ..fees import (
    ASSISTANT_MODIFIERS,
    DayLine,
    FeeSchedule,
    PaymentData,
    cents,
    day_totals,
    payment_data,
    price_day,
)
from ..model import Note
from ..payers import PayerProfile
from ..threshold import BUCKETS, Bucket, Charge, accrue
from .check import Layout, parse_date
from .evaluate import LOCALITY_COLUMN, PRIOR_COLUMN_NAMES, Group, PriceRow, Summary

PRIOR_COLUMNS: Mapping[Bucket, str] = {"PT/SLP": PRIOR_COLUMN_NAMES[0], "OT": PRIOR_COLUMN_NAMES[1]}
"""Visit-file columns with a patient's amounts already incurred that year elsewhere."""
_DISCIPLINE_MODIFIERS = {"GP": "PT", "GN": "SLP", "GO": "OT"}
Starting = dict[tuple[str, int, Bucket], Decimal]
REMEMBERED_DAYS = 10_000
"""How many day prices (and dates, and modifier texts) a :class:`Pricer` remembers at
most; past that it starts again, so that memory stays bounded on any file."""


def _zero() -> list[Decimal]:
    return [Decimal(0), Decimal(0), Decimal(0), Decimal(0)]


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
    """By ``status``, ``provider`` and ``payer``: billed, allowed, difference, groups."""
    charges: list[Charge] = attrs.Factory(list)
    unpriced: dict[str, int] = attrs.Factory(dict)
    not_accrued: int = 0
    no_patient: bool = False
    memo: bool = True
    """Remember each day's totals by its lines (:func:`unitcalc.fees.day_totals`); off,
    every day is priced anew unit by unit (:func:`unitcalc.fees.price_day`): the same
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
        due: dict[str, int] = {}
        if priced is not None:
            rows: list[PriceRow] = list(priced.rows)
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
            first = group.rows[0].record.values if group.rows else None
            status = finding.status
            evaluated = group.evaluation is not None
            allowed_units = finding.allowed
            if group.evaluation is not None:
                for line in group.evaluation.result.lines:
                    if line.assistant is not None:
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
        if not rows:
            return group
        assistant = (profile.assistant_payment if profile else None) or MEDICARE_PAYMENT
        billed_key = tuple(billed_lines)
        billed = self._price_day(billed_key, schedule, day, assistant)
        allowed_total: Decimal | None = None
        if evaluated:
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
        for code in billed.unpriced:
            self.unpriced[code] = self.unpriced.get(code, 0) + 1
        difference = billed.total - allowed_total if allowed_total is not None else None
        self._add(status, group, billed.total, allowed_total, difference)
        self._keep(group, rows, row_modifiers, billed.lines, day)
        if finding is None:
            return group
        warnings = finding.warnings
        if billed.unpriced:
            warnings = (
                *warnings,
                Note(
                    f"Fees: {', '.join(billed.unpriced)} not in {schedule.source}: priced at $0",
                    kind="unpriced",
                    codes=tuple(billed.unpriced),
                ),
            )
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
        sums[0] += billed
        sums[1] += allowed or Decimal(0)
        sums[2] += difference or Decimal(0)
        sums[3] += 1

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
        rows: list[PriceRow],
        row_modifiers: list[tuple[str, ...]],
        amounts: list[Decimal],
        day: datetime.date | None,
    ) -> None:
        patient_column = group.layout.roles.get("patient_id")
        if patient_column is None or day is None:
            self.no_patient = True
            return
        name = group.name
        for row, modifiers, amount in zip(rows, row_modifiers, amounts, strict=True):
            if not row.billed:
                continue  # a row billing no unit is no claim line
            values = row.values
            patient = str(values.get(patient_column) or "").strip()
            discipline = row.discipline or next(
                (_DISCIPLINE_MODIFIERS[m] for m in modifiers if m in _DISCIPLINE_MODIFIERS), None
            )
            bucket = BUCKETS.get(discipline or "")
            if bucket is None or not patient:
                self.not_accrued += 1
                continue
            key = (patient, day.year, bucket)
            if key not in self.starting:
                prior = values.get(PRIOR_COLUMNS[bucket])
                if prior is not None and str(prior).strip():
                    self.starting[key] = _prior(prior, row.line, PRIOR_COLUMNS[bucket])
            self.charges.append(
                Charge(patient, day, bucket, row.line, amount, "KX" in modifiers, name)
            )

    def finish(self, summary: Summary) -> None:
        """Follow the KX threshold over the lines kept, and put the sums and the
        threshold findings in ``summary.payment``."""
        self._fold()
        accrual = accrue(self.charges, starting=self.starting, data=self.data)
        findings = [finding.to_dict() for finding in accrual.findings]
        notes = []
        if accrual.years_without_threshold:
            years = ", ".join(map(str, accrual.years_without_threshold))
            notes.append(
                f"no KX threshold is packaged for {years}: lines of those years were not "
                "checked against it"
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
        if self.unpriced:
            codes = ", ".join(sorted(self.unpriced))
            notes.append(f"codes not in the fee file, priced at $0: {codes}")
        total = self.sums.get("status", {})
        schedules = [self.schedule, *self.schedules.values()]
        used: list[FeeSchedule] = []
        for schedule in schedules:
            if schedule is not None and all(schedule is not seen for seen in used):
                used.append(schedule)
        summary.payment = {
            "fees": ", ".join(schedule.source for schedule in used),
            "fee_file": ", ".join(dict.fromkeys(schedule.kind for schedule in used)),
            "locality": used[0].locality if used else None,
            "setting": used[0].setting if used else None,
            "billed": _money(sum((v[0] for v in total.values()), Decimal(0))),
            "allowed": _money(sum((v[1] for v in total.values()), Decimal(0))),
            "difference": _money(sum((v[2] for v in total.values()), Decimal(0))),
            **{
                f"by_{kind}": {
                    name: {
                        "billed": _money(v[0]),
                        "allowed": _money(v[1]),
                        "difference": _money(v[2]),
                        "groups": int(v[3]),
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
    text = str(value).replace("$", "").replace(",", "").strip()
    try:
        amount = Decimal(text)
    except ArithmeticError:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
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
                amount = _prior(record[column], number, column)
                starting[(record["patient_id"], int(year), bucket)] = amount  # type: ignore[index]
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
