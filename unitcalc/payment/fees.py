"""Fees from the user's files, and the price of a patient's day of therapy units.

unitcalc ships no fee, conversion factor or dollar amount: they come from the files the
user downloads from CMS (the Physician Fee Schedule relative value file PPRRVU with the
GPCI file, or the locality payment file PFALL) or from a plain CSV of the user's own
(``code,amount[,modifier]``). Only codes and numbers are read: the descriptor column of
the CMS files is skipped, never kept (CPT descriptors are the AMA's copyright).

A day is priced in three steps (docs/payment.md cites each):

1. the allowed amount of each unit: the fee file's amount, or for PPRRVU
   ``[(work RVU x work GPCI) + (PE RVU x PE GPCI) + (MP RVU x MP GPCI)] x CF``;
2. the therapy multiple procedure payment reduction (MPPR): the unit with the highest
   practice-expense (PE) payment is paid in full, every other unit of a code subject to
   the reduction has its PE payment cut to the packaged share (50% from 2013-04-01);
3. the assistant reduction last: a unit billed with CQ or CO is paid at the payer's
   percent (Medicare 85% from 2022-01-01, :data:`unitcalc.core.assistant.MEDICARE_PAYMENT`).

References:
    AMA, "Medicare Relative Value Payment Amount" (the payment formula).
    NGS, "Multiple Procedure Payment Reduction" (physical/occupational/speech therapy).
    42 USC 1395m(v) (the assistant payment differential).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import attrs

from ..core.assistant import MEDICARE_PAYMENT, AssistantPayment
from ..core.disciplines import ASSISTANT_MODIFIERS as _BY_DISCIPLINE
from ..core.disciplines import THERAPY_MODIFIERS
from ..core.errors import FeeFileError, Mention, message_of

CENT = Decimal("0.01")
FeeKind = Literal["csv", "pprrvu", "pfall"]
Setting = Literal["non-facility", "facility"]
SETTINGS: tuple[Setting, ...] = ("non-facility", "facility")
ASSISTANT_MODIFIERS = frozenset(_BY_DISCIPLINE.values())
# Modifiers that never select another fee row: discipline, assistant, threshold.
_PRICING_NEUTRAL = frozenset((*THERAPY_MODIFIERS.values(), *ASSISTANT_MODIFIERS, "KX"))


def cents(amount: Decimal) -> Decimal:
    """An amount rounded to the cent, halves up.

    >>> cents(Decimal("12.345")), cents(Decimal("-0.004"))
    (Decimal('12.35'), Decimal('0.00'))
    """
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded + 0  # -0.00 -> 0.00


@attrs.frozen
class Fee:
    """What one unit of a code is allowed: ``amount`` in dollars, of which
    ``practice_expense`` is the PE payment (None when the file does not say), and
    whether the code is subject to the therapy MPPR."""

    code: str
    amount: Decimal
    practice_expense: Decimal | None = None
    mppr: bool = False
    modifier: str = ""


@attrs.frozen
class Gpci:
    """A payment locality's geographic practice cost indices."""

    locality: str
    work: Decimal
    practice_expense: Decimal
    malpractice: Decimal


PAID_STATUSES = frozenset({"A", "R", "T"})
"""PFS status codes whose services are paid from their relative values (CY PFS final
rule, Addendum A); C is contractor-priced, the others are not paid under the schedule."""
CONTRACTOR_PRICED = "C"


@attrs.frozen
class Rvu:
    """A PPRRVU row's numbers: relative values for the setting, the conversion factor,
    and whether the MPPR applies (multiple procedure indicator 5)."""

    work: Decimal
    practice_expense: Decimal
    malpractice: Decimal
    conversion_factor: Decimal
    mppr: bool
    status: str = "A"
    """The PFS status code: A (active), R (restricted coverage) and T are paid from the
    relative values; C is priced by the contractor (no amount here); the others (B and P
    bundled, I not valid for Medicare, N non-covered, X and E excluded ...) are not paid
    under the fee schedule."""

    def fee(self, code: str, modifier: str, gpci: Gpci | None) -> Fee:
        if self.status not in PAID_STATUSES:
            return Fee(code, Decimal(0), Decimal(0), False, modifier)
        work, pe, mp = (
            (gpci.work, gpci.practice_expense, gpci.malpractice)
            if gpci is not None
            else (Decimal(1), Decimal(1), Decimal(1))
        )
        factor = self.conversion_factor
        # The fee schedule amount is in cents, as the PFALL file gives it.
        practice = cents(self.practice_expense * pe * factor)
        amount = cents(
            (self.work * work + self.practice_expense * pe + self.malpractice * mp) * factor
        )
        return Fee(code, amount, practice, self.mppr, modifier)


def _frozen(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class FeeSchedule:
    """Fees by code (and modifier, and locality where the file has several)."""

    source: str
    kind: FeeKind
    fees: Mapping[tuple[str, str, str], Fee] = attrs.field(factory=dict, converter=_frozen)
    """(locality, code, modifier) -> fee; locality ``""`` when the file has none."""
    rvus: Mapping[tuple[str, str], Rvu] = attrs.field(factory=dict, converter=_frozen)
    """PPRRVU: (code, modifier) -> relative values, priced with a locality's GPCI."""
    gpcis: Mapping[str, Gpci] = attrs.field(factory=dict, converter=_frozen)
    locality: str | None = None
    """The locality for rows that name none (``--locality``)."""
    setting: Setting = "non-facility"
    _localities: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False)
    _seen: dict[tuple[str, tuple[str, ...], str | None], Fee | object | None] = attrs.field(
        init=False, factory=dict, eq=False, repr=False
    )

    @_localities.default
    def _known_localities(self) -> tuple[str, ...]:
        if self.kind == "pprrvu":
            return tuple(sorted(self.gpcis))
        return tuple(sorted({key[0] for key in self.fees} - {""}))

    @property
    def localities(self) -> tuple[str, ...]:
        """The payment localities the file has (none: one set of amounts)."""
        return self._localities

    def resolve_locality(self, locality: str | None) -> str:
        """The locality a row is priced in: its own, else the schedule's, else the file's
        only one; ``""`` when the file has no localities."""
        known = self.localities
        wanted = (locality or "").strip() or (self.locality or "")
        if not known:
            return ""
        if not wanted:
            if len(known) == 1:
                return known[0]
            raise FeeFileError(
                message_of(
                    f"{self.source} has {len(known)} payment localities ({_some(known)}): "
                    "name one with ",
                    Mention("locality", owner="load_fees"),
                    " (e.g. ",
                    Mention("locality", known[0], owner="load_fees"),
                    ") or a locality column",
                ),
                path=self.source,
                field="locality",
                argument="locality",
            )
        if wanted in known:
            return wanted
        # A locality number alone, when only one contractor uses it.
        matches = [name for name in known if name.split("-")[-1] == wanted]
        if len(matches) == 1:
            return matches[0]
        raise FeeFileError(
            f"locality {wanted!r} is not in {self.source}; it has {_some(known)}",
            path=self.source,
            field="locality",
        )

    def fee(
        self, code: str, modifiers: Iterable[str] = (), locality: str | None = None
    ) -> Fee | None:
        """The fee of one unit of ``code``: the row for one of the line's pricing
        modifiers (26, TC, 52 ...) when the file has one, else the row without modifier.
        Each answer is remembered: a visit file asks the same few many times."""
        modifiers = tuple(modifiers)
        key = (code, modifiers, locality)
        found = self._seen.get(key, _UNSEEN)
        if found is _UNSEEN:
            found = self._fee(code, modifiers, locality)
            if len(self._seen) >= 10_000:
                self._seen.clear()
            self._seen[key] = found
        return found  # type: ignore[return-value]

    def _fee(self, code: str, modifiers: tuple[str, ...], locality: str | None) -> Fee | None:
        place = self.resolve_locality(locality)
        choices = [m for m in modifiers if m and m not in _PRICING_NEUTRAL]
        for modifier in [*choices, ""]:
            if self.kind == "pprrvu":
                rvu = self.rvus.get((code, modifier))
                if rvu is not None and rvu.status != CONTRACTOR_PRICED:
                    return rvu.fee(code, modifier, self.gpcis.get(place) if place else None)
            else:
                fee = self.fees.get((place, code, modifier))
                if fee is not None:
                    return fee
        return None


_UNSEEN = object()


def _some(names: Sequence[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


# --- the packaged yearly amounts ------------------------------------------------------


@attrs.frozen
class Threshold:
    """The KX modifier threshold of a calendar year, per bucket, with its sources."""

    year: int
    pt_slp: Decimal
    ot: Decimal
    sources: tuple[str, ...]
    note: str = ""

    def amount(self, bucket: str) -> Decimal:
        return self.ot if bucket == "OT" else self.pt_slp


@attrs.frozen
class PaymentData:
    """The packaged payment data (``unitcalc/data/payment.toml``)."""

    thresholds: Mapping[int, Threshold] = attrs.field(converter=_frozen)
    review_amount: Decimal
    review_years: tuple[int, int]
    review_sources: tuple[str, ...]
    mppr: tuple[tuple[datetime.date, int, tuple[str, ...]], ...]
    sources: Mapping[str, str] = attrs.field(converter=_frozen)

    def threshold(self, year: int) -> Threshold | None:
        """The KX threshold of ``year``; None for a year the data has none for."""
        return self.thresholds.get(year)

    def review_threshold(self, year: int) -> Decimal | None:
        """The targeted medical review threshold of ``year`` ($3,000 for 2018-2027)."""
        first, last = self.review_years
        return self.review_amount if first <= year <= last else None

    def pe_paid_percent(self, day: datetime.date | None) -> int | None:
        """The percent of the PE payment paid for the units after the first under the
        MPPR on ``day``; None before the first listed date (no MPPR is applied)."""
        percent = None
        for start, share, _ in self.mppr:
            if day is None or day >= start:
                percent = share
        return percent


def payment_data() -> PaymentData:
    """The packaged thresholds and MPPR share, each with its sources.

    >>> data = payment_data()
    >>> data.threshold(2025).pt_slp, data.review_threshold(2027), data.review_threshold(2028)
    (Decimal('2410.00'), Decimal('3000.00'), None)
    >>> data.pe_paid_percent(datetime.date(2026, 1, 5))
    50
    """
    text = resources.files("unitcalc").joinpath("data/payment.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    sources = raw["sources"]
    thresholds = {
        entry["year"]: Threshold(
            entry["year"],
            Decimal(entry["pt_slp"]),
            Decimal(entry["ot"]),
            tuple(entry["source"]),
            entry.get("note", ""),
        )
        for entry in raw["kx_threshold"]
    }
    review = raw["review_threshold"]
    mppr = tuple(
        (entry["valid_from"], int(entry["pe_paid_percent"]), tuple(entry["source"]))
        for entry in raw["mppr"]
    )
    return PaymentData(
        thresholds,
        Decimal(review["amount"]),
        (review["first_year"], review["last_year"]),
        tuple(review["source"]),
        mppr,
        sources,
    )


# --- reading fee files ------------------------------------------------------------------


def load_fees(
    path: str | Path,
    *,
    gpci: str | Path | None = None,
    locality: str | None = None,
    setting: Setting = "non-facility",
) -> FeeSchedule:
    """Read a fee file, its layout recognised from its contents: the CMS PPRRVU file
    (with ``gpci``, the GPCI file, for locality amounts; without it, national amounts),
    the CMS PFALL file, or a plain CSV with a header naming ``code`` and ``amount``
    (and optionally ``modifier``, ``locality``, ``pe_amount``, ``mppr``).
    ``locality`` is the payment locality for rows that name none; ``setting`` chooses
    the non-facility or facility amounts."""
    if setting not in SETTINGS:
        raise FeeFileError(
            f"fee setting {setting!r}: choose non-facility or facility", path=str(path)
        )
    shown = str(path)
    rows = _csv_rows(Path(path), shown)
    if not rows:
        raise FeeFileError(f"{shown} is empty: give a fee file", path=shown)
    header = _pprrvu_header(rows)
    if header is not None:
        gpcis = load_gpci(gpci) if gpci is not None else {}
        schedule = FeeSchedule(
            shown,
            "pprrvu",
            rvus=_pprrvu(rows, header, shown, setting),
            gpcis=gpcis,
            locality=locality,
            setting=setting,
        )
    elif gpci is not None:
        raise FeeFileError(
            message_of(
                f"{shown} is not a PPRRVU file, so a GPCI file does not apply to it: give the "
                "PPRRVU file with ",
                Mention("gpci", owner="load_fees"),
                ", or leave it out",
            ),
            path=shown,
            field="gpci",
            argument="gpci",
        )
    elif _is_pfall(rows):
        schedule = FeeSchedule(
            shown, "pfall", fees=_pfall(rows, shown, setting), locality=locality, setting=setting
        )
    else:
        schedule = FeeSchedule(
            shown, "csv", fees=_plain(rows, shown), locality=locality, setting=setting
        )
    if locality:
        schedule.resolve_locality(None)  # an unknown locality fails here, not mid-run
    return schedule


def _csv_rows(path: Path, shown: str) -> list[list[str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeeFileError(
            f"cannot read the fee file {shown}: {exc.strerror or exc}", path=shown
        ) from None
    # A byte-order mark says the encoding (Excel's "Unicode text" is UTF-16); else
    # UTF-8, or cp1252 for an older export.
    boms = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
            (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip
    marked = next((name for bom, name in boms if data.startswith(bom)), None)
    for encoding in (marked,) if marked else ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FeeFileError(f"{shown} is not text in its byte-order mark's encoding", path=shown)
    first = next((line for line in text.splitlines() if line.strip()), "")
    # A header naming the code, split by another mark: a fee CSV saved with semicolons
    # (whose amounts may then use a decimal comma, unsafe to guess at).
    if "," not in first and "CODE" in first.upper() and any(mark in first for mark in ";\t|"):
        raise FeeFileError(
            f"{shown}, line 1: the fields are not separated by commas; save the fee file "
            "as CSV with commas (amounts with a decimal point, such as 31.47)",
            path=shown,
            line=1,
            field="header",
        )
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise FeeFileError(f"{shown}: not CSV ({exc})", path=shown) from None


def _normal(cell: str) -> str:
    return re.sub(r"[^A-Z0-9]+", " ", cell.upper()).strip()


def _pprrvu_header(rows: Sequence[Sequence[str]]) -> tuple[int, list[str]] | None:
    """Where the PPRRVU header ends, and its column names: the files open with notice
    lines, then a header split over several rows (``WORK`` above ``RVU``, ``CONV``
    above ``FACTOR``), the last one starting with HCPCS. The rows are joined column by
    column."""
    for index, row in enumerate(rows[:40]):
        if not row or _normal(row[0]) != "HCPCS":
            continue
        start = index
        while start > 0 and _header_part(rows[start - 1]):
            start -= 1
        width = max(len(rows[at]) for at in range(start, index + 1))
        names = [
            _normal(" ".join(_cell(rows[at], column) for at in range(start, index + 1)))
            for column in range(width)
        ]
        if "WORK RVU" in names and "CONV FACTOR" in names:
            return index, names
    return None


def _header_part(row: Sequence[str]) -> bool:
    """A row of the split header above the HCPCS row: no code first, many names."""
    return not _cell(row, 0) and sum(map(bool, row)) > 5


_PPRRVU_COLUMNS = {
    "code": ("HCPCS",),
    "modifier": ("MOD",),
    "work": ("WORK RVU",),
    "non-facility": ("NON FAC PE RVU", "NON FACILITY PE RVU"),
    "facility": ("FACILITY PE RVU", "FAC PE RVU"),
    "malpractice": ("MP RVU",),
    "mppr": ("MULT PROC",),
    "conversion_factor": ("CONV FACTOR",),
}


def _pprrvu(
    rows: Sequence[Sequence[str]], header: tuple[int, list[str]], shown: str, setting: Setting
) -> dict[tuple[str, str], Rvu]:
    header_at, names = header
    where: dict[str, int] = {}
    for role, choices in _PPRRVU_COLUMNS.items():
        found = next((names.index(choice) for choice in choices if choice in names), None)
        if found is None:
            raise FeeFileError(
                f"{shown}, line {header_at + 1}: the PPRRVU header has no {choices[0]!r} "
                "column; give the CSV file of the CMS RVU release as downloaded",
                path=shown,
                line=header_at + 1,
                field=choices[0],
            )
        where[role] = found
    status_at = names.index("STATUS CODE") if "STATUS CODE" in names else None
    rvus: dict[tuple[str, str], Rvu] = {}
    for index in range(header_at + 1, len(rows)):
        row = rows[index]
        line = index + 1
        if not row or not any(row):
            continue
        code = _cell(row, where["code"]).upper()
        if not re.fullmatch(r"[0-9A-Z]{5}", code):
            continue  # a note or a second header line, not a code row
        modifier = _cell(row, where["modifier"]).upper()

        def number(role: str, *, line: int = line, row: Sequence[str] = row) -> Decimal:
            return _number(
                _cell(row, where[role]), shown, line, _PPRRVU_COLUMNS[role][0], blank=True
            )

        rvus[(code, modifier)] = Rvu(
            number("work"),
            number(setting),
            number("malpractice"),
            number("conversion_factor"),
            _cell(row, where["mppr"]) == "5",
            (_cell(row, status_at).upper() or "A") if status_at is not None else "A",
        )
    if not rvus:
        raise FeeFileError(f"{shown}: the PPRRVU file has no code rows", path=shown)
    return rvus


def load_gpci(path: str | Path) -> dict[str, Gpci]:
    """The GPCI file of the CMS RVU release: the header row names the contractor
    (MAC), the locality number and the PW, PE and MP GPCIs. Localities are keyed
    ``MAC-LOCALITY`` (``01112-05``)."""
    shown = str(path)
    rows = _csv_rows(Path(path), shown)
    for index, row in enumerate(rows[:40]):
        names = [_normal(cell) for cell in row]

        def find(word: str, names: list[str] = names) -> int | None:
            return next((i for i, name in enumerate(names) if word in name), None)

        mac, number = find("CONTRACTOR"), find("LOCALITY NUMBER")
        work, pe, mp = find("PW GPCI"), find("PE GPCI"), find("MP GPCI")
        if None in (mac, number, work, pe, mp):
            continue
        assert mac is not None
        assert number is not None
        assert work is not None
        assert pe is not None
        assert mp is not None
        gpcis: dict[str, Gpci] = {}
        for at in range(index + 1, len(rows)):
            values = rows[at]
            if not values or not _cell(values, number) or not _cell(values, mac).isdigit():
                continue
            key = f"{_cell(values, mac)}-{_cell(values, number).zfill(2)}"
            gpcis[key] = Gpci(
                key,
                _number(_cell(values, work), shown, at + 1, "PW GPCI"),
                _number(_cell(values, pe), shown, at + 1, "PE GPCI"),
                _number(_cell(values, mp), shown, at + 1, "MP GPCI"),
            )
        if not gpcis:
            raise FeeFileError(f"{shown}: the GPCI file has no locality rows", path=shown)
        return gpcis
    raise FeeFileError(
        f"{shown} is not a GPCI file: no header row names the contractor, the locality "
        "number and the PW, PE and MP GPCIs",
        path=shown,
        field="gpci",
    )


# The PFALL columns (no header): year, carrier, locality, HCPCS, modifier, non-facility
# fee, facility fee, filler, PC/TC indicator, status, multiple surgery indicator, the
# therapy-reduced amounts (non-institutional, institutional), OPPS indicator, OPPS fees.
_PFALL = {"code": 3, "modifier": 4, "non-facility": 5, "facility": 6}
_PFALL_REDUCED = {"non-facility": 11, "facility": 12}


def _is_pfall(rows: Sequence[Sequence[str]]) -> bool:
    first = rows[0]
    return len(first) in (15, 16) and bool(re.fullmatch(r"[0-9]{4}", first[0]))


def _pfall_footer(rows: Sequence[Sequence[str]]) -> int:
    """Where the notices a PFALL file ends with begin (copyright lines, after the last
    row of fees): the index of the first row after the last row that starts with a
    year; rows of text before it stay, to be reported."""
    last = max(
        (index for index, row in enumerate(rows) if row and re.fullmatch(r"[0-9]{4}", row[0])),
        default=-1,
    )
    return last + 1


def _pfall(
    rows: Sequence[Sequence[str]], shown: str, setting: Setting
) -> dict[tuple[str, str, str], Fee]:
    fees: dict[tuple[str, str, str], Fee] = {}
    footer = _pfall_footer(rows)
    for index, row in enumerate(rows[:footer]):
        line = index + 1
        if not any(row):
            continue
        if len(row) not in (15, 16):
            raise FeeFileError(
                f"{shown}, line {line}: {len(row)} fields, where the PFALL layout has 16 "
                "(year, carrier, locality, HCPCS, modifier, fees ...); give the file as "
                "downloaded",
                path=shown,
                line=line,
            )
        shift = 0 if len(row) == 16 else -1  # without the filler column
        locality = f"{row[1]}-{row[2].zfill(2)}"
        code, modifier = row[_PFALL["code"]].upper(), row[_PFALL["modifier"]].upper()
        amount = _number(row[_PFALL[setting]], shown, line, f"{setting} fee")
        reduced = _number(
            row[_PFALL_REDUCED[setting] + shift],
            shown,
            line,
            "therapy reduction amount",
            blank=True,
        )
        # The file gives the amount of a unit after the 50% PE cut: the PE payment is
        # twice the difference, and lies between nothing and the whole fee.
        mppr = Decimal(0) < reduced < amount
        practice = (amount - reduced) * 2 if mppr else None
        if reduced > amount or (practice is not None and practice > amount):
            raise FeeFileError(
                f"{shown}, line {line}: the therapy reduction amount {reduced} does not fit "
                f"the {setting} fee {amount} (a reduced fee lies between half the fee and "
                "the fee, as the practice expense part is at most the whole fee): "
                "the columns are not in the PFALL layout unitcalc reads; give the file as "
                "downloaded or a fee CSV with code, amount and pe_amount",
                path=shown,
                line=line,
                field="therapy reduction amount",
            )
        fees[(locality, code, modifier)] = Fee(code, amount, practice, mppr, modifier)
    return fees


_TRUE = {"1", "y", "yes", "true", "5"}
_FALSE = {"", "0", "n", "no", "false"}


def _plain(rows: Sequence[Sequence[str]], shown: str) -> dict[tuple[str, str, str], Fee]:
    header = [cell.lower() for cell in rows[0]]
    if "code" not in header or "amount" not in header:
        raise FeeFileError(
            f"{shown}, line 1: a fee CSV needs a header naming code and amount (e.g. "
            "code,amount,modifier), or give the CMS PPRRVU or PFALL file as downloaded",
            path=shown,
            line=1,
            field="header",
        )
    at = {name: header.index(name) for name in header}
    fees: dict[tuple[str, str, str], Fee] = {}
    for index in range(1, len(rows)):
        row, line = rows[index], index + 1
        if not any(row):
            continue
        if len(row) > len(header) and any(row[len(header) :]):
            raise FeeFileError(
                f"{shown}, line {line}: {len(row)} fields where the header names "
                f"{len(header)}; quote a value holding a comma, or remove the extra field",
                path=shown,
                line=line,
                field="fields",
            )
        code = _cell(row, at["code"]).upper()
        if not re.fullmatch(r"[0-9A-Z]{5}", code):
            raise FeeFileError(
                f"{shown}, line {line}: code {_cell(row, at['code'])!r} is not a 5-character "
                "CPT/HCPCS code such as 97110",
                path=shown,
                line=line,
                field="code",
            )
        amount = _number(_cell(row, at["amount"]), shown, line, "amount")
        modifier = _cell(row, at["modifier"]).upper() if "modifier" in at else ""
        locality = _cell(row, at["locality"]) if "locality" in at else ""
        practice = None
        if "pe_amount" in at and _cell(row, at["pe_amount"]):
            practice = _number(_cell(row, at["pe_amount"]), shown, line, "pe_amount")
            if practice > amount:
                raise FeeFileError(
                    f"{shown}, line {line}: pe_amount {practice} is more than the amount "
                    f"{amount}; the practice-expense part is a share of the amount",
                    path=shown,
                    line=line,
                    field="pe_amount",
                )
        flag = _cell(row, at["mppr"]).lower() if "mppr" in at else ""
        if flag not in _TRUE | _FALSE:
            raise FeeFileError(
                f"{shown}, line {line}: mppr {flag!r}: write yes or no",
                path=shown,
                line=line,
                field="mppr",
            )
        mppr = flag in _TRUE
        if mppr and practice is None:
            raise FeeFileError(
                f"{shown}, line {line}: mppr is yes but pe_amount is empty; the reduction "
                "cuts the practice-expense part, so give pe_amount",
                path=shown,
                line=line,
                field="pe_amount",
            )
        key = (locality, code, modifier)
        if key in fees:
            raise FeeFileError(
                f"{shown}, line {line}: {code}{'-' + modifier if modifier else ''} is listed "
                "twice; keep one row per code and modifier",
                path=shown,
                line=line,
                field="code",
            )
        fees[key] = Fee(code, amount, practice, mppr, modifier)
    if not fees:
        raise FeeFileError(f"{shown}: the fee CSV has a header but no fee rows", path=shown)
    return fees


def _cell(row: Sequence[str], index: int) -> str:
    return row[index] if index < len(row) else ""


AMOUNT_LIMIT = Decimal(10_000_000)
"""Amounts, relative values, GPCIs and conversion factors read from files are below this:
products of three of them still round to the cent exactly."""


def amount_of(text: str) -> Decimal | None:
    """A dollar amount (or another number of a fee file) as files write it (``$1,250.00``,
    ``31.47``); None when the text is no number from 0 up to :data:`AMOUNT_LIMIT`.

    >>> amount_of("$1,250.00"), amount_of("1e30"), amount_of("-3"), amount_of("abc")
    (Decimal('1250.00'), None, None, None)
    """
    try:
        number = Decimal(text.replace("$", "").replace(",", "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and 0 <= number < AMOUNT_LIMIT else None


def _number(text: str, shown: str, line: int, field: str, *, blank: bool = False) -> Decimal:
    if blank and not text.replace("$", "").replace(",", "").strip():
        return Decimal(0)
    number = amount_of(text)
    if number is None:
        raise FeeFileError(
            f"{shown}, line {line}: {field} {text!r} is not an amount; write a number from 0 "
            "to under 10,000,000 such as 31.47",
            path=shown,
            line=line,
            field=field,
        )
    return number


# --- pricing a day -------------------------------------------------------------------


@attrs.frozen
class DayLine:
    """Units of one code on one day: ``assistant_units`` of them carry CQ or CO."""

    code: str
    units: int
    assistant_units: int = 0
    modifiers: tuple[str, ...] = ()
    locality: str | None = None


@attrs.frozen
class UnitPrice:
    """One unit's price: the fee, the MPPR cut, the assistant cut, what is allowed."""

    code: str
    index: int
    """Which line of the day (its position in the lines priced) the unit belongs to."""
    fee: Decimal
    mppr_cut: Decimal
    assistant_cut: Decimal

    @property
    def allowed(self) -> Decimal:
        """The unit's allowed amount, to the cent."""
        return cents(self.fee - self.mppr_cut - self.assistant_cut)


@attrs.frozen
class DayPrice:
    """A day priced unit by unit; ``unpriced`` lists the codes the fee file lacks."""

    units: tuple[UnitPrice, ...]
    unpriced: tuple[str, ...] = ()

    @property
    def total(self) -> Decimal:
        return cents(sum((unit.allowed for unit in self.units), Decimal(0)))

    def line_totals(self, count: int) -> list[Decimal]:
        """The allowed amount of each of ``count`` lines priced, to the cent."""
        totals = [Decimal(0)] * count
        for unit in self.units:
            totals[unit.index] += unit.allowed
        return [cents(total) for total in totals]


def price_day(
    lines: Sequence[DayLine],
    schedule: FeeSchedule,
    *,
    day: datetime.date | None = None,
    data: PaymentData | None = None,
    assistant: AssistantPayment = MEDICARE_PAYMENT,
) -> DayPrice:
    """Price one patient's day: each unit's fee, the MPPR on every unit after the one
    with the highest PE payment (codes the fee file marks, from the packaged start
    date), then the assistant reduction on units with CQ/CO.

    >>> fees = FeeSchedule("fees.csv", "csv", fees={
    ...     ("", "97110", ""): Fee("97110", Decimal("30"), Decimal("12"), True),
    ...     ("", "97140", ""): Fee("97140", Decimal("28"), Decimal("14"), True)})
    >>> price = price_day([DayLine("97110", 2), DayLine("97140", 1)], fees,
    ...                   day=datetime.date(2025, 3, 4))
    >>> [str(unit.mppr_cut) for unit in price.units], price.total
    (['6', '6', '0'], Decimal('76.00'))
    """
    units, unpriced = _units(lines, schedule, day, data or payment_data(), assistant)
    return DayPrice(
        tuple(UnitPrice(fee.code, index, fee.amount, cut, off) for fee, index, cut, off in units),
        unpriced,
    )


def day_totals(
    lines: Sequence[DayLine],
    schedule: FeeSchedule,
    *,
    day: datetime.date | None = None,
    data: PaymentData | None = None,
    assistant: AssistantPayment = MEDICARE_PAYMENT,
) -> tuple[Decimal, list[Decimal], tuple[str, ...]]:
    """What :func:`price_day` gives a day, worked out line by line rather than unit by
    unit: the total, each line's total (:meth:`DayPrice.line_totals`) and the codes
    unpriced. A line's units differ only in whether they carry CQ/CO (the first
    ``assistant_units``) and whether the MPPR cuts them (all but the day's first unit
    with the highest PE payment), so each kind is priced once.

    >>> fees = FeeSchedule("fees.csv", "csv", fees={
    ...     ("", "97110", ""): Fee("97110", Decimal("30"), Decimal("12"), True)})
    >>> day_totals([DayLine("97110", 2), DayLine("97140", 1)], fees,
    ...            day=datetime.date(2025, 3, 4))
    (Decimal('54.00'), [Decimal('54.00'), Decimal('0.00')], ('97140',))
    """
    data = data or payment_data()
    share = data.pe_paid_percent(day)
    percent = assistant.percent_on(day)
    found, unpriced = _line_fees(lines, schedule)
    fees = [
        (index, fee, line.units, min(line.assistant_units, line.units))
        for index, line, fee in found
    ]
    # The full unit: the first unit of the first line with the highest PE payment.
    full: tuple[int, Decimal] | None = None
    for index, fee, _, _ in fees:
        practice = fee.practice_expense
        if fee.mppr and practice and (full is None or practice > full[1]):
            full = (index, practice)
    whole = Decimal(0)
    totals = [Decimal(0)] * len(lines)
    for index, fee, units, assisted in fees:
        cut = Decimal(0)
        if share is not None and fee.mppr and fee.practice_expense:
            cut = fee.practice_expense * (100 - share) / 100
        kinds: list[tuple[int, Decimal, bool]] = []  # (units, cut, with CQ/CO)
        if full is not None and full[0] == index:
            kinds.append((1, Decimal(0), assisted > 0))
            kinds += [(assisted - 1, cut, True), (units - assisted, cut, False)]
            if assisted == 0:
                kinds[1:] = [(units - 1, cut, False)]
        else:
            kinds += [(assisted, cut, True), (units - assisted, cut, False)]
        line_total = Decimal(0)
        for count, taken, with_modifier in kinds:
            if count <= 0:
                continue
            off = (fee.amount - taken) * (100 - percent) / 100 if with_modifier else Decimal(0)
            line_total += count * cents(fee.amount - taken - off)  # as UnitPrice.allowed
        whole += line_total
        totals[index] = line_total
    return cents(whole), [cents(total) for total in totals], tuple(dict.fromkeys(unpriced))


def _line_fees(
    lines: Sequence[DayLine], schedule: FeeSchedule
) -> tuple[list[tuple[int, DayLine, Fee]], list[str]]:
    """The day's lines that bill units, each with its place and its fee, and the codes
    the fee file lacks (in line order, repeats kept)."""
    found: list[tuple[int, DayLine, Fee]] = []
    unpriced: list[str] = []
    for index, line in enumerate(lines):
        if line.units <= 0:
            continue
        fee = schedule.fee(line.code, line.modifiers, line.locality)
        if fee is None:
            unpriced.append(line.code)
        else:
            found.append((index, line, fee))
    return found, unpriced


def _units(
    lines: Sequence[DayLine],
    schedule: FeeSchedule,
    day: datetime.date | None,
    data: PaymentData,
    assistant: AssistantPayment,
) -> tuple[list[tuple[Fee, int, Decimal, Decimal]], tuple[str, ...]]:
    """Each unit of a day (its fee, line, MPPR cut and assistant cut), and the codes
    the fee file lacks."""
    share = data.pe_paid_percent(day)
    percent = assistant.percent_on(day)
    found, unpriced = _line_fees(lines, schedule)
    priced: list[tuple[Fee, int, bool]] = []
    for index, line, fee in found:
        with_modifier = min(line.assistant_units, line.units)
        priced.extend((fee, index, n < with_modifier) for n in range(line.units))
    # The unit with the highest PE payment is paid in full; a tie keeps the first.
    reducible = [n for n, (fee, _, _) in enumerate(priced) if fee.mppr and fee.practice_expense]
    first = max(reducible, key=lambda n: (priced[n][0].practice_expense, -n), default=None)
    reduced = set(reducible)
    units = []
    for n, (fee, index, assisted) in enumerate(priced):
        cut = Decimal(0)
        if share is not None and n in reduced and n != first:
            assert fee.practice_expense is not None
            cut = fee.practice_expense * (100 - share) / 100
        assistant_cut = (fee.amount - cut) * (100 - percent) / 100 if assisted else Decimal(0)
        units.append((fee, index, cut, assistant_cut))
    return units, tuple(dict.fromkeys(unpriced))
