"""A patient's amounts already incurred in a year elsewhere, the KX accrual's starting
point: from a ``--kx-start`` file (``patient_id,year,pt_slp,ot``, read as every side file
is, :mod:`unitcalc.core.sidefiles`) or from the visit file's ``kx_prior_pt_slp`` and
``kx_prior_ot`` columns (the value of the patient's earliest date of service in the
year). docs/payment.md tells how they are used.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..core.errors import FeeFileError
from ..core.sidefiles import SideRow, read_side_file
from ..payment.fees.money import amount_of
from ..payment.threshold import Bucket
from .evaluate import PRIOR_COLUMN_NAMES

PRIOR_COLUMNS: Mapping[Bucket, str] = {"PT/SLP": PRIOR_COLUMN_NAMES[0], "OT": PRIOR_COLUMN_NAMES[1]}
"""Visit-file columns with a patient's amounts already incurred that year elsewhere."""
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
                amount = prior_amount(value, line, column)
            except FeeFileError as exc:
                problems.append(str(exc))
                continue
            found.append(Prior(patient, day.year, bucket, day, line, amount))
    return found, problems


def prior_amounts(
    priors: Iterable[Prior],
) -> tuple[Starting, list[tuple[tuple[datetime.date, int], str]]]:
    """Each patient's starting amount per year and bucket from the ``kx_prior_*``
    columns: the value of the earliest date of service (then the first line), and a
    note for each patient year whose rows give different values, with the date and
    line of the value used (the notes of several sets of patients, the parts of a
    file, are put in one order by it).

    >>> day = datetime.date
    >>> amounts, notes = prior_amounts([
    ...     Prior("F", 2025, "PT/SLP", day(2025, 12, 30), 2, Decimal("2000")),
    ...     Prior("F", 2025, "PT/SLP", day(2025, 12, 1), 3, Decimal("2380"))])
    >>> amounts
    {('F', 2025, 'PT/SLP'): Decimal('2380')}
    >>> used, text = notes[0]
    >>> used
    (datetime.date(2025, 12, 1), 3)
    >>> print(text)
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
            used = chosen[key]
            listed = ", ".join(f"{amount} on line {line}" for amount, line in found.items())
            notes.append(
                (
                    (used.day, used.line),
                    f"patient {patient}, {year} {bucket}: {PRIOR_COLUMNS[bucket]} differs "
                    f"between rows ({listed}): the earliest date of service's, line "
                    f"{used.line}, is used",
                )
            )
    return {key: prior.amount for key, prior in chosen.items()}, notes


def prior_amount(value: Any, line: int, column: str) -> Decimal:
    """The amount of a ``kx_prior_*`` cell (or a starting file's ``pt_slp``/``ot``); an
    error naming the line and column when it is none."""
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


STARTING_COLUMNS = ("patient_id", "year", "pt_slp", "ot")


def load_starting(path: str | Path) -> Starting:
    """Amounts a patient already incurred in a year elsewhere, from a CSV with the
    columns ``patient_id``, ``year``, ``pt_slp`` and ``ot`` (either may be empty)."""
    shown = str(path)
    try:
        rows = read_side_file(Path(path), display=shown, problem=FeeFileError).rows
    except OSError as exc:
        raise FeeFileError(f"cannot read {shown}: {exc}", path=shown) from None
    header = rows[0].cells if rows else ()
    found = {name.strip().lower() for name in header}
    if not set(STARTING_COLUMNS) <= found:
        missing = ", ".join(sorted(set(STARTING_COLUMNS) - found))
        raise FeeFileError(
            f"{shown}, line 1: the starting amounts need the columns patient_id, year, "
            f"pt_slp and ot; {missing} missing",
            path=shown,
            line=1,
            field="header",
        )
    starting: Starting = {}
    given_on: dict[tuple[str, int, Bucket], int] = {}
    for row in rows[1:]:
        if row.cells:  # a blank line is no record
            _add_starting(starting, given_on, shown, row.line, _record(header, row))
    return starting


def _record(header: tuple[str, ...], row: SideRow) -> dict[str, str]:
    """A starting file's row by its column names (trimmed, lower case); a cell past the
    row's end is empty, one past the header's end is left out."""
    raw = dict(zip(header, row.cells, strict=False))
    for name in header[len(row.cells) :]:
        raw[name] = ""
    return {name.strip().lower(): value.strip() for name, value in raw.items() if name}


def _add_starting(
    starting: Starting,
    given_on: dict[tuple[str, int, Bucket], int],
    shown: str,
    line: int,
    record: Mapping[str, str],
) -> None:
    """Add a starting file's row to ``starting`` (``given_on``: the line each patient,
    year and bucket was given on)."""
    year = record["year"]
    if not (year.isdigit() and len(year) == 4):
        raise FeeFileError(
            f"{shown}, line {line}: year {year!r} is not a year such as 2025",
            path=shown,
            line=line,
            field="year",
        )
    buckets: tuple[tuple[Bucket, str], ...] = (("PT/SLP", "pt_slp"), ("OT", "ot"))
    for bucket, column in buckets:
        if not record[column]:
            continue
        try:
            amount = prior_amount(record[column], line, column)
        except FeeFileError as exc:
            raise FeeFileError(f"{shown}, {exc}", path=shown, line=line, field=column) from None
        key = (record["patient_id"], int(year), bucket)
        if key in given_on:
            raise FeeFileError(
                f"{shown}, line {line}: patient {key[0]!r} has a {column} amount "
                f"for {year} on line {given_on[key]} already; give one amount per "
                "patient and year (their sum, if both count)",
                path=shown,
                line=line,
                field=column,
            )
        given_on[key] = line
        starting[key] = amount
