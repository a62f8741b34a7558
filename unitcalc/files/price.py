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
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..assistant import MEDICARE_PAYMENT, parse_modifiers
from ..errors import FeeFileError, InvalidServiceError
from ..fees import (
    ASSISTANT_MODIFIERS,
    DayLine,
    FeeSchedule,
    PaymentData,
    amount_of,
    cents,
    payment_data,
    price_day,
)
from ..model import Note
from ..payers import PayerProfile
from ..threshold import BUCKETS, Bucket, Charge, accrue
from .check import parse_date
from .evaluate import Group, Summary

LOCALITY_COLUMN = "locality"
"""The visit file's column naming a row's payment locality, when it has one."""
PRIOR_COLUMNS: Mapping[Bucket, str] = {"PT/SLP": "kx_prior_pt_slp", "OT": "kx_prior_ot"}
"""Visit-file columns with a patient's amounts already incurred that year elsewhere."""
_DISCIPLINE_MODIFIERS = {"GP": "PT", "GN": "SLP", "GO": "OT"}
Starting = dict[tuple[str, int, Bucket], Decimal]


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
) -> list[Prior]:
    """A row's ``kx_prior_pt_slp`` and ``kx_prior_ot`` amounts (none without a patient)."""
    found = []
    for bucket, column in PRIOR_COLUMNS.items():
        value = values.get(column)
        if patient and value is not None and str(value).strip():
            found.append(Prior(patient, day.year, bucket, day, line, _prior(value, line, column)))
    return found


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

    def wrap(self, consume: Callable[[Group], None]) -> Callable[[Group], None]:
        """``consume`` with each group priced first."""

        def priced(group: Group) -> None:
            consume(self.price(group))

        return priced

    def price(self, group: Group) -> Group:
        """The group with its finding's amounts set, its lines kept for the KX accrual."""
        finding = group.finding
        if finding is None:
            return group
        schedule = self.schedules.get(group.payer_name, self.schedule)
        if schedule is None:
            return group
        layout = group.layout
        modifiers_column = layout.known.get("modifiers")
        cq_column = layout.known.get("cq_units")
        rows = [row for row in group.rows if row.service is not None and row.billed is not None]
        day = _day(group)
        billed_lines: list[DayLine] = []
        row_modifiers: list[tuple[str, ...]] = []
        for row in rows:
            assert row.service is not None
            assert row.billed is not None
            values = row.record.values
            modifiers = (
                parse_modifiers(str(values.get(modifiers_column) or "")) if modifiers_column else ()
            )
            row_modifiers.append(modifiers)
            if ASSISTANT_MODIFIERS & set(modifiers):
                assisted = row.billed
            elif cq_column is not None:
                assisted = _whole(values.get(cq_column))
            else:
                assisted = 0
            billed_lines.append(
                DayLine(row.service.code, row.billed, assisted, modifiers, _locality(values))
            )
        if not rows:
            self._add(finding.status, group, Decimal(0), None, None)  # counted apart
            self._keep(group, [], [], [], day)
            return group
        payer = rows[0].payer
        assistant = (payer.assistant_payment if payer else None) or MEDICARE_PAYMENT
        billed = price_day(billed_lines, schedule, day=day, data=self.data, assistant=assistant)
        allowed_total: Decimal | None = None
        allowed_unpriced: tuple[str, ...] = ()
        carried: dict[str, int] = {}
        if group.evaluation is not None:
            due: dict[str, int] | None = None
            for line in group.evaluation.result.lines:
                if line.assistant is not None:
                    due = due or {}
                    due[line.code] = due.get(line.code, 0) + line.assistant.with_modifier
            due, carried = allowed_assistant_units(
                finding.allowed, billed_assistant_units(billed_lines), due
            )
            first_modifiers: dict[str, tuple[str, ...]] = {}
            for billed_line, mods in zip(billed_lines, row_modifiers, strict=True):
                first_modifiers.setdefault(billed_line.code, mods)
            locality = billed_lines[0].locality
            allowed = price_day(
                [
                    DayLine(code, units, due.get(code, 0), first_modifiers.get(code, ()), locality)
                    for code, units in finding.allowed.items()
                ],
                schedule,
                day=day,
                data=self.data,
                assistant=assistant,
            )
            allowed_total = allowed.total
            allowed_unpriced = allowed.unpriced
        for code in dict.fromkeys((*billed.unpriced, *allowed_unpriced)):
            self.unpriced[code] = self.unpriced.get(code, 0) + 1
        difference = amount_difference(
            billed.total, allowed_total, bool(billed.unpriced or allowed_unpriced)
        )
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
        self._add(finding.status, group, billed.total, allowed_total, difference)
        self._keep(group, rows, row_modifiers, billed.line_totals(len(billed_lines)), day)
        return attrs.evolve(group, finding=finding)

    def _add(
        self,
        status: str,
        group: Group,
        billed: Decimal,
        allowed: Decimal | None,
        difference: Decimal | None,
    ) -> None:
        parties = {
            "status": status,
            "provider": "; ".join(group.provider_names) or "(none)",
            "payer": group.payer_name or "(none)",
        }
        for kind, name in parties.items():
            sums = self.sums.setdefault(kind, {}).setdefault(name, _zero())
            add_to_sums(sums, billed, allowed, difference)

    def _keep(
        self,
        group: Group,
        rows: list[Any],
        row_modifiers: list[tuple[str, ...]],
        amounts: list[Decimal],
        day: datetime.date | None,
    ) -> None:
        patient_column = group.layout.roles.get("patient_id")
        if patient_column is None or day is None:
            self.no_patient = True
            return
        for row in group.rows:
            if follows_kx(row.payer):
                patient = str(row.record.values.get(patient_column) or "").strip()
                self.priors.extend(row_priors(patient, day, row.record.line, row.record.values))
                if row.service is None or row.billed is None:
                    self.not_priced += 1
        for row, modifiers, amount in zip(rows, row_modifiers, amounts, strict=True):
            if not row.billed:
                continue  # a row billing no unit is no claim line
            if not follows_kx(row.payer):
                self.not_medicare += 1
                continue
            values = row.record.values
            patient = str(values.get(patient_column) or "").strip()
            discipline = row.service.discipline or next(
                (_DISCIPLINE_MODIFIERS[m] for m in modifiers if m in _DISCIPLINE_MODIFIERS), None
            )
            bucket = BUCKETS.get(discipline or "")
            if bucket is None or not patient:
                self.not_accrued += 1
                continue
            self.charges.append(
                Charge(patient, day, bucket, row.record.line, amount, "KX" in modifiers, group.name)
            )

    def finish(self, summary: Summary) -> None:
        """Follow the KX threshold over the lines kept, and put the sums and the
        threshold findings in ``summary.payment``."""
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


def billed_assistant_units(lines: Sequence[DayLine]) -> dict[str, int]:
    """The units billed with CQ or CO, per code."""
    out: dict[str, int] = {}
    for line in lines:
        units = min(line.assistant_units, line.units)
        if units > 0:
            out[line.code] = out.get(line.code, 0) + units
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


def _money(value: Decimal) -> float:
    return float(cents(value))


def _day(group: Group) -> datetime.date | None:
    column = group.layout.roles.get("date_of_service")
    if column is None or not group.rows:
        return None
    text = str(group.rows[0].record.values.get(column) or "")
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
