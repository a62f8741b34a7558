"""``unitcalc batch`` output: a row per group and code (the claim line), or every input
row with its units, in CSV, JSON Lines or Parquet.

A claim line keeps its group's key, code, discipline and minutes, the units and the
computed columns, and the input's other columns; a JSON Lines record starts with its
``schema_version``. The computed columns (and that key) are set apart
(``unitcalc_units`` ...) when the input has columns of the same names, and always for
JSON Lines input, whose records may bring any key. An output name never takes an input's: when
the input has those too (an output fed back in), the names take a number
(``unitcalc_units_2`` ...).
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from ..core.errors import OutputProblem, UnitcalcError
from ..core.model import Result
from ..engine.month_result import MonthResult
from .cells import CsvRows, safe_row
from .check import Row
from .evaluate import Group
from .layout import Layout
from .read import Record
from .spool import Spool, spool_frame, write_parquet
from .summary import Summary

if TYPE_CHECKING:
    import polars as pl

BatchFormat = Literal["csv", "jsonl", "parquet"]
COMPUTED = ("units", "tie", "status", "message", "edits")
VERSION = "schema_version"
BATCH_SCHEMA_VERSION = 1
"""The ``schema_version`` each ``batch --format jsonl`` record starts with; the JSON
Schema of a record ships as :func:`batch_record_schema` (generated from
:class:`unitcalc.core.shapes.BatchRecord`). It grows when a key is removed or changes
meaning; new keys may appear within a version."""
_ROLES = ("code", "minutes", "discipline")
OTHER_FIELDS = "other_fields"


def free_names(names: Sequence[str], taken: Collection[str]) -> list[str]:
    """``names`` as they are, or all with the first number that makes none of them one of
    ``taken`` (lower case), so that no output column overwrites an input's.

    >>> free_names(["units", "tie"], {"units"}), free_names(["units"], {"units", "units_2"})
    (['units_2', 'tie_2'], ['units_3'])
    """
    for number in itertools.count(1):
        suffix = "" if number == 1 else f"_{number}"
        candidates = [f"{name}{suffix}" for name in names]
        if not {name.lower() for name in candidates} & set(taken):
            return candidates
    raise AssertionError("unreachable")  # pragma: no cover


def _problems(group: Group) -> Iterator[tuple[Row, str]]:
    """Each row of a group that could not be counted, with its own problem, or the
    group's when the row has none: a problem is written on its row, not every row's on
    every row (a group of many bad rows would grow its output with their square)."""
    own = {
        row.record.line: f"line {row.record.line}: {row.error}" for row in group.rows if row.error
    }
    shared = [error for error in group.errors if error not in own.values()]
    errors = list(own.values())
    more = f"; and {len(errors) - 3} more lines that cannot be used" if errors[3:] else ""
    whole = "; ".join(shared) or "; ".join(errors[:3]) + more
    for row in group.rows:
        yield row, own.get(row.record.line, whole)


def batch_record_schema() -> Path:
    """The packaged JSON Schema of one record of ``unitcalc batch --format jsonl``.

    >>> schema = json.loads(batch_record_schema().read_text())
    >>> schema["anyOf"]  # the keys as they are, or set apart as unitcalc_units ...
    [{'$ref': '#/$defs/BatchRecord'}, {'$ref': '#/$defs/BatchRecordApart'}]
    >>> schema["$defs"]["BatchRecord"]["properties"]["schema_version"]["const"]
    1
    """
    return Path(__file__).parents[1] / "schemas" / "batch-record.schema.json"


def tie_text(result: Result) -> str:
    """One line describing a result's tie, empty when there is none."""
    if result.tie is None:
        return ""
    parts = [
        f"{'/'.join(group.codes)} compete for {group.units} unit{'s' * (group.units != 1)}"
        + (f" ({group.discipline})" if group.discipline else "")
        for group in result.tie.groups
    ]
    return f"{'; '.join(parts)}: {result.tie.allocations} compliant allocations"


class BatchWriter:
    """``unitcalc batch`` output: a row per group and code (the claim line), or with
    ``per_row`` every input row with its units."""

    def __init__(self, output_format: BatchFormat, *, per_row: bool) -> None:
        self.format = output_format
        self.per_row = per_row
        self.spool = Spool()
        self.columns: list[str] | None = None
        self.computed_names: list[str] = list(COMPUTED)
        self.version_name = VERSION
        """The key of a JSON Lines record's ``schema_version``, set apart as the computed
        columns are."""
        self.other_fields = OTHER_FIELDS
        """The column holding a JSON Lines record's keys the header lacks, as JSON."""
        self._row_text = io.StringIO(newline="")
        """A CSV row as text, before it goes to the spool."""
        self._csv = CsvRows(self._row_text)

    def reset(self) -> None:
        self.spool.reset()

    def _header(self, layout: Layout) -> list[str]:
        inputs = list(layout.columns)
        taken = {name.lower() for name in inputs}
        # JSON Lines records may bring any key in any record: the computed columns are
        # always set apart there, so that no input value is ever overwritten.
        # JSON Lines output starts each record with its schema_version, named as they are.
        names = (VERSION, *COMPUTED) if self.format == "jsonl" else COMPUTED
        apart = bool(taken & set(names)) or layout.open_ended
        chosen = free_names([f"unitcalc_{name}" if apart else name for name in names], taken)
        if self.format == "jsonl":
            self.version_name, *chosen = chosen
        computed = chosen
        self.computed_names = computed
        self.other_fields = free_names([OTHER_FIELDS], taken | {n.lower() for n in computed})[0]
        if self.per_row:
            columns = inputs + computed
        else:
            roles = {name.lower() for name in layout.key_columns} | set(_ROLES)
            roles |= {layout.known[role].lower() for role in _ROLES if role in layout.known}
            extras = [name for name in inputs if name.lower() not in roles]
            named = [
                c
                for c in ("code", "discipline", "minutes")
                if c not in {k.lower() for k in layout.key_columns}
            ]
            columns = [*layout.key_columns, *named, *computed, *extras]
        return [*columns, self.other_fields] if layout.open_ended else columns

    def consume(self, group: Group) -> None:
        if self.columns is None:
            self.columns = self._header(group.layout)
        if not self.per_row:
            for row in self._rows(group):
                self._write(row)
            return
        # An input row each, in the group's order: the spool puts them in the order of
        # the input's lines (a scattered group's rows are not together in the file).
        lines = [row.record.line for row in group.rows]
        for line, row in zip(lines, self._rows(group), strict=True):
            self._write(row, line)

    def _write(self, row: dict[str, Any], line: int | None = None) -> None:
        assert self.columns is not None
        if self.format == "jsonl":
            # JSON keeps every key, nested values as they were.
            record = {self.version_name: BATCH_SCHEMA_VERSION, **row}
            text = json.dumps(record, default=str) + "\n"
        else:
            known = set(self.columns)
            other = {k: v for k, v in row.items() if k not in known}
            if other:
                row = {k: v for k, v in row.items() if k in known}
                row[self.other_fields] = json.dumps(other, default=str)
            cells = [_cell(row.get(column)) for column in self.columns]
            self._csv.writerow(safe_row(cells) if self.format == "csv" else cells)
            text = self._row_text.getvalue()
            self._row_text.seek(0)
            self._row_text.truncate()
        if line is None:
            self.spool.file.write(text)
        else:
            self.spool.write_row(text, line)

    def _computed(
        self, units: int | None, tie: str, status: str, message: str, edits: str = ""
    ) -> dict[str, Any]:
        values = (units, tie, status, message, edits)
        return dict(zip(self.computed_names, values, strict=True))

    def _values(self, record: Record) -> dict[str, Any]:
        """A record's values to write, refused when one of its keys is an output column's
        name (a JSON Lines record whose keys the first record did not show)."""
        values = _copy(record.values)
        names = [*self.computed_names, *([self.version_name] if self.format == "jsonl" else [])]
        taken = {name.lower() for name in values} & {name.lower() for name in names}
        if taken:
            raise OutputProblem(
                f"line {record.line}: the input's {sorted(taken)[0]!r} is the name of an output "
                "column; rename it in the input, or list it in the first record so that the "
                "output's columns take other names"
            )
        return values

    def _rows(self, group: Group) -> Iterator[dict[str, Any]]:
        if group.month is not None:
            yield from self._month_rows(group, group.month)
            return
        evaluation = group.evaluation
        if evaluation is None:
            for row, message in _problems(group):
                values = self._values(row.record)
                if self.per_row:
                    yield values | self._computed(None, "", "invalid", message)
                else:
                    yield self._claim_line(
                        group,
                        values,
                        _value(group, values, "code"),
                        _value(group, values, "discipline"),
                        _value(group, values, "minutes"),
                    ) | self._computed(None, "", "invalid", message)
            return
        result = evaluation.result
        tie = tie_text(result)
        edits = "; ".join(result.edits)
        warnings = [note for note in result.warnings if note.kind != "edit"]

        def remarks(code: str) -> str:
            """The warnings about this line's code, and those about the whole visit."""
            return "; ".join(note.text for note in [*warnings, *group.notes] if note.about(code))

        pooled = evaluation.pooling == "discipline"
        billed_column = _column(group, "billed_units")
        if billed_column is not None and not any(
            billed_column in row.record.values for row in group.rows
        ):
            billed_column = None  # JSON Lines without the key: add none
        billed: dict[tuple[str, str | None], list[Any]] = {}
        remaining = {
            (line.code, line.discipline if pooled else None): line for line in result.lines
        }
        first_rows: dict[tuple[str, str | None], dict[str, Any]] = {}
        per_row: list[tuple[tuple[str, str | None], dict[str, Any]]] = []
        for row in group.rows:
            assert row.service is not None
            # A row without a discipline is looked up in the pool it was counted in.
            key = (row.service.code, group.pool_of(row))
            values = self._values(row.record)
            first_rows.setdefault(key, values)
            if billed_column is not None:
                # A claim line bills what its rows billed together.
                billed.setdefault(key, []).append(values.get(billed_column))
            if self.per_row:
                line = remaining.pop(key, None)
                units = line.units if line is not None else 0
                computed = self._computed(units, tie, "ok", remarks(row.service.code), edits)
                per_row.append((key, values | computed))
        if self.per_row:
            yield from self._with_family_notes(per_row, remaining.values())
            return
        for line in result.lines:
            key = (line.code, line.discipline if pooled else None)
            values = dict(first_rows.get(key) or group.key_fields)
            if billed_column is not None:
                values[billed_column] = _billed_sum(billed.get(key, []))
            yield self._claim_line(group, values, line.code, line.discipline, line.minutes) | (
                self._computed(line.units, tie, "ok", remarks(line.code), edits)
            )

    def _with_family_notes(
        self, rows: list[tuple[tuple[str, str | None], dict[str, Any]]], unlisted: Iterable[Any]
    ) -> Iterator[dict[str, Any]]:
        """The per-row rows, each an input row: a code of an add-on family counted but not
        in the input (97129 for 97130) is said on the first row of its pool, never
        written as a row of its own."""
        message = self.computed_names[3]
        for line in unlisted:
            pool = line.discipline
            _, row = next(((k, r) for k, r in rows if k[1] == pool), rows[0])
            note = (
                f"{line.code} x{line.units} counted too, as part of this add-on family; it is "
                "not a line of the input (bill it on its own claim line)"
            )
            row[message] = "; ".join(part for part in (row[message], note) if part)
        for _, row in rows:
            yield row

    def _month_rows(self, group: Group, month: MonthResult) -> Iterator[dict[str, Any]]:
        """A patient's month: a claim line per code (its lines' minutes, the units the
        month's count gives it), or with ``per_row`` each input row and only those."""
        notes = [*month.warnings, *group.notes]

        def remarks(code: str) -> str:
            return "; ".join(note.text for note in notes if note.about(code))

        billed_column = _column(group, "billed_units")
        rows: dict[str, list[dict[str, Any]]] = {}
        minutes: dict[str, int | None] = {}
        for row in group.rows:
            assert row.service is not None
            code = row.service.code
            rows.setdefault(code, []).append(_copy(row.record.values))
            if row.service.minutes is not None:
                minutes[code] = (minutes.get(code) or 0) + row.service.minutes
        if self.per_row:
            yield from self._month_input_rows(group, month, remarks)
            return
        for code, units in month.units.items():
            given = rows.get(code, [])
            values = dict(given[0]) if given else dict(group.key_fields)
            if billed_column is not None and given:
                values[billed_column] = _billed_sum([each.get(billed_column) for each in given])
            discipline = _value(group, values, "discipline") if given else None
            yield self._claim_line(group, values, code, discipline, minutes.get(code)) | (
                self._computed(units, "", "ok", remarks(code))
            )

    def _month_input_rows(
        self, group: Group, month: MonthResult, remarks: Callable[[str], str]
    ) -> Iterator[dict[str, Any]]:
        """Each input row of a month with its code's units on the code's first row (0 on
        the others, and for a code the month counts as another); a code the count gives
        that no row bills is said on the month's first row, never written as a row."""
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for row in group.rows:
            assert row.service is not None
            code = row.service.code
            units = month.units.get(code, 0) if code not in seen else 0
            seen.add(code)
            out.append(self._values(row.record) | self._computed(units, "", "ok", remarks(code)))
        message = self.computed_names[3]
        for code, units in month.units.items():
            if code not in seen and out:
                note = (
                    f"{code} x{units}: the month's count gives it; it is not a line of the "
                    "input (bill it on its own claim line)"
                )
                out[0][message] = "; ".join(part for part in (out[0][message], note) if part)
        yield from out

    def _claim_line(
        self, group: Group, values: Mapping[str, Any], code: Any, discipline: Any, minutes: Any
    ) -> dict[str, Any]:
        known = group.layout.known
        roles = {c.lower() for c in group.layout.key_columns} | set(_ROLES)
        roles |= {known[role].lower() for role in _ROLES if role in known}
        out: dict[str, Any] = dict(group.key_fields)
        for name in group.layout.key_columns:
            out.setdefault(name, values.get(name))
        out.update({"code": code, "discipline": discipline, "minutes": minutes})
        out.update({k: v for k, v in values.items() if k.lower() not in roles})
        return out

    def finish(self, out: IO[str], summary: Summary) -> None:
        columns = self.columns
        if columns is None and summary.layout is not None:
            columns = self._header(summary.layout)  # a file of no rows still gets its header
        if self.format == "parquet":
            write_parquet(
                self.spool,
                columns or [],
                out,
                integers=self.computed_names[:1],
                manifest=summary.manifest,
            )
            return
        if self.format == "csv" and columns is not None:
            CsvRows(out).writerow(columns)
        self.spool.copy_to(out)

    def frame(self, layout: Layout) -> pl.DataFrame:
        """The rows written so far as the Parquet output holds them (``layout``: the
        input's, for the header when no group came)."""
        columns = self.columns if self.columns is not None else self._header(layout)
        return spool_frame(self.spool, columns, integers=self.computed_names[:1])

    def close(self) -> None:
        self.spool.close()


def _cell(value: Any) -> Any:
    """A CSV cell: nested JSON values and true/false/null written as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        return json.dumps(value)
    return value


def _billed_sum(values: list[Any]) -> Any:
    """A claim line's billed units: its rows' sum when every one is a whole number, else
    the rows' values as written, joined with '+', so nothing is silently rewritten."""
    from ..core.values import parse_units

    try:
        return sum(parse_units(value, code=None) for value in values)
    except UnitcalcError:
        return "+".join("" if value is None else str(value) for value in values)


def _copy(values: Mapping[str, Any]) -> dict[str, Any]:
    """A record's values to write: a JSON Lines record keeps finding its keys whatever
    their letter case."""
    copy = getattr(values, "copy", None)
    return copy() if callable(copy) else dict(values)


def _column(group: Group, role: str) -> str | None:
    return group.layout.known.get(role)


def _value(group: Group, values: Mapping[str, Any], role: str) -> Any:
    column = _column(group, role)
    return values.get(column) if column is not None else None
