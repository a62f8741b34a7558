"""Visit files: read CSV or JSON Lines service lines, group them into patient days and
count or audit each group, accounting for every input row.

Grouping: ``patient_id`` + ``date_of_service`` when both columns exist (two sessions of
one patient on one day pool, as CMS 20.2 counts per day), else ``visit_id``, unless the
caller names the columns. Rows of a group are usually contiguous (the usual export
order): then the file is read once with flat memory. A group key seen again after its
group closed is caught by a fixed-size Bloom filter, verified exactly in a second pass,
and if the file really is scattered, the run starts over in *partitioned* mode: rows
are spilled to temporary files by a hash of their group key, and each partition is
grouped in memory. The results are the same either way; only the order of the output
differs (partitioned output follows the partitions).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal

import attrs

from .auditing import Finding, check, parse_units
from .codes import CodeTable
from .engine import DEFAULT_MAX_ALTERNATIVES, Evaluation, Pooling, evaluate
from .errors import UnitcalcError
from .model import ServiceLine
from .mue import MueTable
from .payers import PayerProfile, PayerProfileError
from .payers import select as select_profile
from .rules import Rule, get_rule

InputFormat = Literal["csv", "jsonl"]
KNOWN_COLUMNS = ("code", "minutes", "discipline", "rule", "billed_units", "payer", "provider")
KEY_COLUMNS_DAY = ("patient_id", "date_of_service")
KEY_COLUMN_VISIT = "visit_id"


class FileProblem(UnitcalcError, ValueError):
    """The run cannot be done: missing file, empty file, missing columns, undecodable
    bytes, or (under ``strict``) the first bad row. ``line`` is set when known."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


@attrs.frozen
class Record:
    """One data record as read: its physical lines, raw values by column, or an error
    saying why it could not be read."""

    line: int
    end_line: int
    values: Mapping[str, Any]
    error: str | None = None


@attrs.frozen
class Row:
    """A record checked and ready to count."""

    record: Record
    key: tuple[str, ...] | None
    service: ServiceLine | None
    billed: int | None
    rule: str | None
    error: str | None
    payer: PayerProfile | None = None


@attrs.frozen
class Options:
    """How a file is read and counted."""

    rule: str | None = None
    """The rule for rows that name none (and no payer): cms by default."""
    group_by: tuple[str, ...] = ()
    input_format: InputFormat | None = None
    encoding: str = "utf-8"
    pooling: Pooling | None = None
    tie_preference: tuple[str, ...] | None = None
    codes: CodeTable | None = None
    strict: bool = False
    need_billed: bool = False
    payer: str | None = None
    """The payer profile for rows that name none."""
    profiles: Mapping[str, PayerProfile] = attrs.field(factory=dict)
    profiles_path: str = ""
    mue: MueTable | None = None
    delimiter: str = ","
    only_findings: bool = False
    """Ok groups need only be counted (an audit that lists what is not ok): the quick
    pass of :mod:`unitcalc.fastpath` may settle them without building findings."""


@attrs.frozen
class Group:
    """The rows of one group, and its outcome: an evaluation, or why there is none."""

    key: tuple[str, ...] | None
    layout: Layout
    rows: tuple[Row, ...]
    evaluation: Evaluation | None
    errors: tuple[str, ...]
    finding: Finding | None = None
    """The audit of the group, when billed units were read."""
    notes: tuple[str, ...] = ()
    """Remarks on the rows themselves, such as two identical rows."""

    @property
    def name(self) -> str:
        if self.key is None:
            return f"line {self.rows[0].record.line}"
        return " / ".join(self.key)

    @property
    def key_fields(self) -> dict[str, str]:
        return dict(zip(self.layout.key_columns, self.key or (), strict=False))

    @property
    def lines(self) -> tuple[int, ...]:
        return tuple(
            line for row in self.rows for line in range(row.record.line, row.record.end_line + 1)
        )

    def audit(self, mue: MueTable | None = None) -> Finding:
        """The audit of this group against its billed units."""
        if self.evaluation is None:
            first = self.rows[0]
            return Finding(
                group=self.name,
                status="invalid",
                rule=first.payer.rule if first.payer else first.rule,
                billed={},
                allowed={},
                difference=0,
                message="Could not be evaluated: " + "; ".join(self.errors),
                lines=self.lines,
                errors=self.errors,
            )
        billed: dict[tuple[str, str | None], int] = {}
        claim_lines = []
        pooled = self.evaluation.pooling == "discipline"
        for row in self.rows:
            assert row.service is not None
            assert row.billed is not None
            key = (row.service.code, row.service.discipline if pooled else None)
            billed[key] = billed.get(key, 0) + row.billed
            claim_lines.append((row.service.code, row.service.discipline, row.billed))
        return check(
            self.evaluation,
            billed,
            group=self.name,
            lines=self.lines,
            mue=mue,
            claim_lines=claim_lines,
        )


@attrs.define
class Summary:
    """Counts of a run: every data record is in ``rows_read``."""

    rows_read: int = 0
    invalid_rows: int = 0
    groups: int = 0
    counts: dict[str, int] = attrs.Factory(dict)
    order: str = "contiguous"
    edits: int = 0
    """Groups whose billed units trip an MUE or NCCI edit."""
    providers: dict[str, list[int]] = attrs.Factory(dict)
    """Per provider: timed minutes and billed timed units of the groups evaluated."""
    layout: Layout | None = None
    """The input's columns, once the file was opened."""
    settled_quickly: int = 0
    """Groups the quick pass counted as ok without building a finding."""

    def count(self, status: str) -> None:
        """One more group of this status."""
        self.groups += 1
        self.counts[status] = self.counts.get(status, 0) + 1

    def tally(self, provider: str, minutes: int, billed: int) -> None:
        """A timed row's documented minutes and billed units, for its provider."""
        totals = self.providers.setdefault(provider.strip() or "(none)", [0, 0])
        totals[0] += minutes
        totals[1] += billed

    def provider_rows(self) -> list[dict[str, Any]]:
        """Each provider's average timed minutes per billed timed unit; under 15 is
        flagged: CMS 20.2 asks that "a consistent practice of billing less than 15
        minutes for a unit" be highlighted for review."""
        rows = []
        for provider, (minutes, units) in sorted(self.providers.items()):
            average = round(minutes / units, 1) if units else None
            rows.append(
                {
                    "provider": provider,
                    "timed_minutes": minutes,
                    "timed_units_billed": units,
                    "minutes_per_unit": average,
                    "review": average is not None and average < 15,
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "counts": dict(self.counts),
            "rows_read": self.rows_read,
            "groups": self.groups,
            "invalid_rows": self.invalid_rows,
            "order": self.order,
            "edits": self.edits,
        }
        if self.providers:
            out["providers"] = self.provider_rows()
        return out


# --- reading -------------------------------------------------------------------------


class _Lines:
    """Decoded physical lines of a file, numbered from 1, with a clear error for a byte
    the encoding cannot decode."""

    def __init__(self, path: Path, encoding: str, *, display: str) -> None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise FileProblem(f"unknown encoding {encoding!r}", path=display) from None
        self.path = path
        self.display = display
        self.encoding = encoding
        self.number = 0
        self.last = ""
        """The text of the line read last."""
        self.first = ""
        """The text of the first line read since :meth:`mark`."""
        self._marked = False
        self._handle: IO[bytes] = path.open("rb")
        self._text: io.TextIOWrapper | None = None
        self.size = os.fstat(self._handle.fileno()).st_size
        self._utf8 = name == "utf-8"
        # UTF-16 and UTF-32 cannot be split into lines on raw newline bytes.
        self._wide = name.startswith(("utf-16", "utf-32"))

    def __iter__(self) -> Iterator[str]:
        if self._wide:
            yield from self._wide_lines()
            return
        decode = codecs.getdecoder(self.encoding)
        for raw in self._handle:
            self.number += 1
            if self.number == 1 and raw.startswith(codecs.BOM_UTF8):
                if not self._utf8:
                    raise FileProblem(
                        f"{self.display}: the file starts with a UTF-8 byte-order mark, so it "
                        f"is UTF-8, not {self.encoding}; leave out --encoding",
                        path=self.display,
                        line=1,
                    )
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                self.last = decode(raw)[0]
            except UnicodeDecodeError as exc:
                raise self._undecodable(raw[exc.start]) from None
            if self._marked:
                self.first, self._marked = self.last, False
            yield self.last

    def _wide_lines(self) -> Iterator[str]:
        stream = io.TextIOWrapper(self._handle, encoding=self.encoding, newline="")
        self._text = stream
        try:
            for text in stream:
                self.number += 1
                self.last = text
                if self._marked:
                    self.first, self._marked = text, False
                yield text
        except UnicodeDecodeError:
            # The wrapper decodes in blocks, so its line count runs ahead: find the
            # line of the bad bytes from the start of the file (an error path only).
            data = self.path.read_bytes()
            try:
                data.decode(self.encoding)
            except UnicodeDecodeError as exc:
                before = data[: exc.start].decode(self.encoding, errors="replace")
                self.number = before.count("\n")
                raise self._undecodable(data[exc.start]) from None
            raise

    def _undecodable(self, byte: int) -> FileProblem:
        line = self.number + (1 if self._wide else 0)
        return FileProblem(
            f"{self.display}, line {line}: byte 0x{byte:02x} cannot be decoded as "
            f"{self.encoding}; if the file was saved in another encoding, give it with "
            "--encoding (e.g. --encoding cp1252)",
            path=self.display,
            line=line,
        )

    def mark(self) -> None:
        """Remember the next line read (the first line of the next record)."""
        self._marked = True

    def position(self) -> int:
        return self._handle.tell()

    def close(self) -> None:
        if self._text is not None:
            self._text.close()  # closes the file under it too
        self._handle.close()


def _detect_format(path: Path, given: InputFormat | None) -> InputFormat:
    if given is not None:
        return given
    return "jsonl" if path.suffix.lower() in {".jsonl", ".ndjson", ".json"} else "csv"


def read_records(
    lines: _Lines, input_format: InputFormat, *, delimiter: str = ","
) -> tuple[tuple[str, ...], Iterator[Record]]:
    """The file's columns (original names, in order) and its records."""
    if input_format == "jsonl":
        return _jsonl_records(lines)
    return _csv_records(lines, delimiter)


def _csv_records(lines: _Lines, delimiter: str) -> tuple[tuple[str, ...], Iterator[Record]]:
    stream = iter(lines)
    header: list[str] = []
    try:
        for fields in csv.reader(stream, delimiter=delimiter):
            if any(field.strip() for field in fields):
                header = fields
                break
    except csv.Error as exc:
        hint = (
            "; the lines seem to end with a carriage return only (old Mac format): save the "
            "file with LF or CRLF line ends"
            if "new-line character" in str(exc)
            else ""
        )
        raise FileProblem(
            f"{lines.display}, line {lines.number}: the header cannot be read as CSV{hint}",
            path=lines.display,
            line=lines.number,
        ) from None
    if not header:
        raise FileProblem(f"{lines.display}: the file is empty (no header row)", path=lines.display)
    if header[0].lstrip().startswith(("{", "[")):
        raise FileProblem(
            f"{lines.display}: this looks like JSON, not CSV; for one JSON object a line use "
            "--input-format jsonl",
            path=lines.display,
            line=lines.number,
        )
    columns = tuple(name.strip() or f"column {index}" for index, name in enumerate(header, start=1))
    header_line = lines.number

    def records() -> Iterator[Record]:
        reader = csv.reader(stream, delimiter=delimiter)
        last = header_line
        while True:
            lines.mark()
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start = last + 1
                yield Record(
                    start,
                    lines.number,
                    _first_fields(columns, lines.first, delimiter),
                    _csv_error(exc, start),
                )
                last = lines.number
                reader = csv.reader(stream, delimiter=delimiter)
                continue
            start, last = last + 1, lines.number
            if not any(field.strip() for field in fields):
                continue  # a blank line, or a row of empty cells, is no record
            yield csv_record(columns, start, last, fields, delimiter)

    return columns, records()


def _first_fields(columns: Sequence[str], text: str, delimiter: str) -> dict[str, str]:
    """What can still be read of a line the CSV parser gave up on: its fields split
    plainly at the delimiter, so that the row's group (whose key usually comes first)
    is marked invalid rather than split."""
    return dict(zip(columns, (f.strip().strip('"') for f in text.split(delimiter)), strict=False))


def _csv_error(exc: csv.Error, start: int) -> str:
    text = str(exc)
    if "new-line character" in text:
        return (
            f"line {start} has a carriage return inside an unquoted field; quote the field "
            "or remove the character"
        )
    if "field larger than field limit" in text:
        return (
            f"a field from line {start} is longer than {csv.field_size_limit()} characters; "
            f"a quote opened on line {start} is probably never closed"
        )
    return f"unreadable CSV from line {start} ({text})"


def csv_record(
    columns: Sequence[str], start: int, end: int, fields: list[str], delimiter: str
) -> Record:
    """A CSV row as a record, with the reason it cannot be used as read, if any."""
    problem = _broken_record(fields, len(columns), start, end, delimiter)
    return Record(start, end, dict(zip(columns, fields, strict=False)), problem)


def _broken_record(
    fields: Sequence[str], width: int, start: int, end: int, delimiter: str
) -> str | None:
    """Why a record cannot be used as read, or None. A quoted field running over lines
    that themselves look like rows is an unclosed quote, even when the field count
    happens to come out right."""
    if end > start:
        for field in fields:
            continuation = field.split("\n")[1:]
            if any(line.count(delimiter) >= max(1, width - 2) for line in continuation):
                swallowed = f"line {end}" if end == start + 1 else f"lines {start + 1}-{end}"
                return (
                    f"a quote opened on line {start} is never closed: the record swallowed "
                    f"{swallowed} ({end - start} line{'s' * (end - start != 1)}); close the "
                    "quote or remove it"
                )
    if len(fields) != width:
        return (
            f"wrong number of fields: expected {width} as in the header, found {len(fields)}; "
            "check for an unquoted delimiter"
        )
    return None


def _jsonl_records(lines: _Lines) -> tuple[tuple[str, ...], Iterator[Record]]:
    stream = iter(lines)
    pending: list[Record] = []
    first: Record | None = None
    for text in stream:
        if not text.strip():
            continue
        if not pending and text.lstrip().startswith("["):
            raise FileProblem(
                f"{lines.display}, line {lines.number}: this is a JSON array; JSON Lines "
                "holds one object a line",
                path=lines.display,
                line=lines.number,
            )
        record = _json_record(lines.number, text)
        pending.append(record)
        if record.error is None:
            first = record
            break
    if not pending:
        raise FileProblem(f"{lines.display}: the file is empty (no records)", path=lines.display)
    columns = tuple(first.values) if first is not None else ()

    def records() -> Iterator[Record]:
        yield from pending
        for text in stream:
            if text.strip():
                yield _json_record(lines.number, text)

    return columns, records()


def _json_record(number: int, text: str) -> Record:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Record(number, number, {}, f"not valid JSON ({exc.msg}, column {exc.colno})")
    except RecursionError:
        return Record(number, number, {}, "JSON nested too deeply")
    if not isinstance(value, dict):
        return Record(number, number, {}, "a JSON Lines record must be an object {...}")
    # Keys are matched whatever their letter case, record by record.
    return Record(number, number, {str(k).strip().lower(): v for k, v in value.items()})


# --- checking rows -------------------------------------------------------------------


@attrs.frozen
class Layout:
    """Which input column plays which part, matched case-insensitively."""

    columns: tuple[str, ...]
    key_columns: tuple[str, ...]
    known: Mapping[str, str]
    open_ended: bool = False
    """True for JSON Lines, whose records may carry keys the first record lacks."""

    @classmethod
    def of(
        cls, columns: Sequence[str], options: Options, *, display: str, open_ended: bool
    ) -> Layout:
        by_lower: dict[str, str] = {}
        for name in columns:
            lower = name.lower()
            if lower in by_lower:
                raise FileProblem(
                    f"{display}: column {name!r} appears twice in the header", path=display
                )
            by_lower[lower] = name
        if open_ended:
            # JSON Lines: keys are lower-cased record by record, and a key the first
            # record lacks may come later; a record missing one is reported by itself.
            by_lower.update({name: name for name in (*KNOWN_COLUMNS, *KEY_COLUMNS_DAY)})
            by_lower.setdefault(KEY_COLUMN_VISIT, KEY_COLUMN_VISIT)
            if not all(name in columns for name in KEY_COLUMNS_DAY) and (
                KEY_COLUMN_VISIT in columns
            ):
                by_lower.pop(KEY_COLUMNS_DAY[0])
        required = ["code", "minutes"] + (["billed_units"] if options.need_billed else [])
        missing = [name for name in required if name not in by_lower]
        if options.group_by:
            key = [by_lower.get(name.lower(), "") for name in options.group_by]
            missing += [n for n, k in zip(options.group_by, key, strict=True) if not k]
        elif all(name in by_lower for name in KEY_COLUMNS_DAY):
            key = [by_lower[name] for name in KEY_COLUMNS_DAY]
        elif KEY_COLUMN_VISIT in by_lower:
            key = [by_lower[KEY_COLUMN_VISIT]]
        else:
            key = []
            missing.append("patient_id and date_of_service, or visit_id (or use --group-by)")
        if missing:
            hint = ""
            if len(columns) == 1 and any(mark in columns[0] for mark in ";\t|"):
                hint = "; the header seems to use another delimiter: give it with --delimiter"
            raise FileProblem(
                f"{display}: missing required column{'s' * (len(missing) > 1)}: "
                f"{', '.join(missing)}; the header has {', '.join(columns) or 'no columns'}"
                f"{hint}",
                path=display,
            )
        known = {name: by_lower[name] for name in KNOWN_COLUMNS if name in by_lower}
        return cls(tuple(columns), tuple(key), known, open_ended)

    def check(self, record: Record, options: Options, default_rule: str | None) -> Row:
        values = record.values
        key = self.key_of(values)
        if record.error is not None:
            return Row(record, key, None, None, None, record.error)
        if key is None:
            empty = [n for n in self.key_columns if _key_text(values.get(n)) is None]
            return Row(record, None, None, None, None, f"{', '.join(empty)} is empty or not text")
        try:
            code = values.get(self.known["code"])
            if isinstance(code, int) and not isinstance(code, bool):
                code = str(code)  # JSON Lines may give 97110 as a number
            minutes = values.get(self.known["minutes"])
            if isinstance(minutes, str) and not minutes.strip():
                minutes = None  # an untimed code needs no minutes
            discipline = (
                values.get(self.known["discipline"]) if "discipline" in self.known else None
            )
            service = ServiceLine(code, minutes, discipline=discipline)
            rule_text = values.get(self.known["rule"]) if "rule" in self.known else None
            rule = default_rule
            if rule_text is not None and str(rule_text).strip():
                rule = get_rule(str(rule_text)).name
            payer_text = values.get(self.known["payer"]) if "payer" in self.known else None
            payer_name = str(payer_text).strip() if payer_text is not None else ""
            payer = _profile(payer_name or options.payer, options)
            billed = None
            if options.need_billed:
                billed = parse_units(values.get(self.known["billed_units"], ""), code=service.code)
        except UnitcalcError as exc:
            field = getattr(exc, "field", None)
            where = f"{field}: " if field and field not in str(exc) else ""
            return Row(record, key, None, None, None, f"{where}{exc}")
        return Row(record, key, service, billed, rule, None, payer)

    def key_of(self, values: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The group key of a row, or None when a key value is missing or empty."""
        parts = [_key_text(values.get(name)) for name in self.key_columns]
        if any(part is None for part in parts):
            return None
        return tuple(part for part in parts if part is not None)


def _key_text(value: Any) -> str | None:
    """A key cell as text; None when empty or not a plain value (JSON null, a list)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return text or None


def _evaluate_group(
    key: tuple[str, ...] | None, layout: Layout, rows: Sequence[Row], options: Options
) -> Group:
    errors = [f"line {row.record.line}: {row.error}" for row in rows if row.error]
    if not errors:
        terms = {(row.rule, row.payer.name if row.payer else None) for row in rows}
        if len(terms) > 1:
            errors.append(
                "rows of this group name different rules or payers ("
                + ", ".join(f"{_terms(row)} on line {row.record.line}" for row in rows)
                + "); a patient's day is counted under one rule"
            )
    if errors:
        return _finish(Group(key, layout, tuple(rows), None, tuple(errors)), options)
    try:
        evaluation = evaluate(
            [row.service for row in rows if row.service is not None],
            rows[0].rule,
            payer=rows[0].payer,
            tie_preference=options.tie_preference,
            pooling=options.pooling,
            codes=options.codes,
            max_alternatives=DEFAULT_MAX_ALTERNATIVES,
            mue=options.mue,
        )
    except UnitcalcError as exc:
        code = getattr(exc, "code", None)
        where = [row.record.line for row in rows if row.service and row.service.code == code]
        shown = ", ".join(map(str, where or [row.record.line for row in rows]))
        problem = f"line{'s' * (len(where) != 1)} {shown}: {exc}"
        return _finish(Group(key, layout, tuple(rows), None, (problem,)), options)
    return _finish(Group(key, layout, tuple(rows), evaluation, ()), options)


def _finish(group: Group, options: Options) -> Group:
    notes = tuple(_duplicate_notes(group.rows))
    group = attrs.evolve(group, notes=notes)
    if not options.need_billed:
        return group
    finding = group.audit(options.mue)
    if notes:
        finding = attrs.evolve(finding, warnings=(*finding.warnings, *notes))
    return attrs.evolve(group, finding=finding)


def _duplicate_notes(rows: Sequence[Row]) -> Iterator[str]:
    """Rows entered twice are counted twice, as documented minutes add up; say so."""
    seen: dict[tuple[object, ...], int] = {}
    for row in rows:
        if row.service is None:
            continue
        signature = (row.service, row.billed)
        if signature in seen:
            yield (
                f"lines {seen[signature]} and {row.record.line} are identical; both are "
                "counted: check that the service was not entered twice"
            )
        else:
            seen[signature] = row.record.line


def _terms(row: Row) -> str:
    if row.payer is not None:
        return f"payer {row.payer.name}"
    return row.rule or "the default rule"


def _profile(name: str | None, options: Options) -> PayerProfile | None:
    if not name:
        return None
    if not options.profiles:
        raise PayerProfileError(
            f"payer {name!r} is named, but no payer profiles were given (--payers FILE)",
            path="",
            payer=name,
        )
    return select_profile(options.profiles, name, path=options.profiles_path)


# --- grouping ------------------------------------------------------------------------


class _SeenKeys:
    """A fixed-size Bloom filter of closed group keys: memory stays flat whatever the
    file's size. A hit may be false, so hits are only suspects, checked exactly later.
    Four probes into 2**26 bits (8 MiB), from two halves of the key's hash."""

    BITS = 1 << 26
    _MASK = BITS - 1

    def __init__(self) -> None:
        self._bits = bytearray(self.BITS >> 3)

    def add(self, key: tuple[str, ...]) -> None:
        bits, mask = self._bits, self._MASK
        value = hash(key)
        first, step = value & mask, ((value >> 26) & mask) | 1
        for _ in range(4):
            bits[first >> 3] |= 1 << (first & 7)
            first = (first + step) & mask

    def __contains__(self, key: object) -> bool:
        bits, mask = self._bits, self._MASK
        value = hash(key)
        first, step = value & mask, ((value >> 26) & mask) | 1
        for _ in range(4):
            if not bits[first >> 3] & (1 << (first & 7)):
                return False
            first = (first + step) & mask
        return True


class _Scattered(Exception):
    """The file's groups are not contiguous: start over in partitioned mode."""


@attrs.define
class _Source:
    """An input file, opened afresh for each pass."""

    path: Path
    display: str
    options: Options
    on_progress: Callable[[int, int, int], None] | None = None

    def open(self) -> tuple[_Lines, Layout, Iterator[Record]]:
        input_format = _detect_format(self.path, self.options.input_format)
        try:
            lines = _Lines(self.path, self.options.encoding, display=self.display)
        except OSError as exc:
            raise FileProblem(
                f"cannot read {self.display}: {exc.strerror or exc}", path=self.display
            ) from None
        try:
            columns, records = read_records(lines, input_format, delimiter=self.options.delimiter)
            layout = Layout.of(
                columns, self.options, display=self.display, open_ended=input_format == "jsonl"
            )
        except BaseException:
            lines.close()
            raise
        return lines, layout, records


def _checked_rows(
    source: _Source, lines: _Lines, layout: Layout, records: Iterable[Record], summary: Summary
) -> Iterator[Row]:
    options = source.options
    default_rule = get_rule(options.rule).name if options.rule else None
    for record in records:
        summary.rows_read += 1
        row = layout.check(record, options, default_rule)
        if row.error is not None:
            summary.invalid_rows += 1
            if options.strict:
                raise FileProblem(
                    f"{source.display}, line {record.line}: {row.error}",
                    path=source.display,
                    line=record.line,
                )
        if source.on_progress is not None and summary.rows_read % 65536 == 0:
            source.on_progress(summary.rows_read, lines.position(), lines.size)
        yield row


def _contiguous_groups(
    source: _Source, summary: Summary, suspects: set[tuple[str, ...]]
) -> Iterator[Group]:
    """Groups in file order, assuming each group's rows are contiguous; keys that may
    have been seen before go into ``suspects``."""
    lines, layout, records = source.open()
    summary.layout = layout
    seen = _SeenKeys()
    try:
        current: list[Row] = []
        current_key: tuple[str, ...] | None = None
        keyless: list[Row] = []  # reported after the group they interrupt, in file order
        for row in _checked_rows(source, lines, layout, records, summary):
            if row.key is None:
                keyless.append(row)
                continue
            if current and row.key == current_key:
                current.append(row)
                continue
            if current:
                assert current_key is not None
                seen.add(current_key)
                yield _evaluate_group(current_key, layout, current, source.options)
            for lone in keyless:
                yield _evaluate_group(None, layout, [lone], source.options)
            keyless = []
            if row.key in seen:
                suspects.add(row.key)
                if len(suspects) > _MAX_SUSPECTS:
                    raise _Scattered
            current, current_key = [row], row.key
        if current:
            yield _evaluate_group(current_key, layout, current, source.options)
        for lone in keyless:
            yield _evaluate_group(None, layout, [lone], source.options)
    finally:
        lines.close()


_MAX_SUSPECTS = 10_000


def _really_scattered(source: _Source, suspects: set[tuple[str, ...]]) -> bool:
    """Exact check of the suspects: does any key's run of rows start twice?"""
    lines, layout, records = source.open()
    try:
        finished: set[tuple[str, ...]] = set()
        previous: tuple[str, ...] | None = None
        for record in records:
            key = layout.key_of(record.values)
            if key is None:
                continue  # a row without a usable key is a group of its own
            if key != previous:
                if previous in suspects:
                    finished.add(previous)
                if key in finished:
                    return True
                previous = key
        return False
    finally:
        lines.close()


def _partitioned_groups(source: _Source, summary: Summary) -> Iterator[Group]:
    """Groups of a scattered file: rows spilled by a hash of their key to temporary
    files, each partition then grouped in memory."""
    lines, layout, records = source.open()
    summary.layout = layout
    # About 512 KiB of input a partition keeps each one small in memory; at most 512 files.
    count = max(1, min(512, lines.size // (512 << 10)))
    with tempfile.TemporaryDirectory(prefix="unitcalc-") as folder:
        with contextlib.ExitStack() as stack:
            stack.callback(lines.close)
            spills = [
                stack.enter_context(Path(folder, f"part{n}.jsonl").open("w", encoding="utf-8"))
                for n in range(count)
            ]
            for row in _checked_rows(source, lines, layout, records, summary):
                record = row.record
                part = hash(row.key) % count if row.key is not None else record.line % count
                json.dump(
                    [record.line, record.end_line, dict(record.values), record.error],
                    spills[part],
                )
                spills[part].write("\n")
        default_rule = get_rule(source.options.rule).name if source.options.rule else None
        for n in range(count):
            groups: dict[object, list[Row]] = {}
            with Path(folder, f"part{n}.jsonl").open(encoding="utf-8") as spill:
                for text in spill:
                    line, end_line, values, error = json.loads(text)
                    row = layout.check(
                        Record(line, end_line, values, error), source.options, default_rule
                    )
                    groups.setdefault(row.key if row.key is not None else ("#", line), []).append(
                        row
                    )
            for rows in sorted(groups.values(), key=lambda rows: rows[0].record.line):
                key = rows[0].key
                yield _evaluate_group(key, layout, rows, source.options)


def run_groups(
    path: str | Path,
    options: Options,
    consume: Callable[[Group], None],
    *,
    reset: Callable[[], None],
    on_progress: Callable[[int, int, int], None] | None = None,
    display: str | None = None,
) -> Summary:
    """Read ``path`` and hand every group to ``consume``, in file order when the file's
    groups are contiguous. If they are not, ``reset`` is called (discard what was
    consumed) and every group is handed over again from a partitioned pass.
    """
    source = _Source(Path(path), display or str(path), options, on_progress)
    summary = Summary()
    suspects: set[tuple[str, ...]] = set()
    try:
        try:
            for group in _first_pass(source, summary, suspects):
                _count(summary, group)
                consume(group)
        except _NoFastPath:
            reset()
            summary = Summary()
            suspects.clear()
            for group in _contiguous_groups(source, summary, suspects):
                _count(summary, group)
                consume(group)
        if not suspects or not _really_scattered(source, suspects):
            return summary
    except _Scattered:
        pass
    reset()
    summary = Summary(order="scattered")
    for group in _partitioned_groups(source, summary):
        _count(summary, group)
        consume(group)
    return summary


class _NoFastPath(Exception):
    """Raised to leave the quick pass for the full one."""


def _first_pass(
    source: _Source, summary: Summary, suspects: set[tuple[str, ...]]
) -> Iterator[Group]:
    """The quick pass when only findings matter (an audit listing what is not ok),
    else the full contiguous pass."""
    if not source.options.only_findings:
        yield from _contiguous_groups(source, summary, suspects)
        return
    from .fastpath import NoFastPath, fast_groups  # a cycle at import time otherwise

    default_rule = get_rule(source.options.rule).name if source.options.rule else None

    def slow(layout: Layout, key: tuple[str, ...] | None, records: list[Record]) -> Group:
        rows = []
        for record in records:
            row = layout.check(record, source.options, default_rule)
            summary.invalid_rows += row.error is not None
            rows.append(row)
        return _evaluate_group(key, layout, rows, source.options)

    try:
        yield from fast_groups(source, summary, suspects, slow)
    except NoFastPath:
        raise _NoFastPath from None


def _count(summary: Summary, group: Group) -> None:
    if group.finding is not None:
        status = group.finding.status
        summary.edits += bool(group.finding.edits)
    else:
        status = "ok" if group.evaluation is not None else "invalid"
    summary.count(status)
    column = group.layout.known.get("provider")
    if column is None or group.evaluation is None or group.finding is None:
        return
    timed = {line.code for line in group.evaluation.result.lines if line.timed}
    for row in group.rows:
        if row.service is None or row.service.code not in timed:
            continue
        provider = str(row.record.values.get(column) or "")
        summary.tally(provider, row.service.minutes or 0, row.billed or 0)


# --- library iterators ---------------------------------------------------------------


def iter_findings(
    path: str | Path,
    rule: str | Rule | None = None,
    *,
    payer: str | None = None,
    profiles: Mapping[str, PayerProfile] | None = None,
    profiles_path: str = "the payer profiles given",
    group_by: Sequence[str] = (),
    input_format: InputFormat | None = None,
    encoding: str = "utf-8",
    pooling: Pooling | None = None,
    tie_preference: Sequence[str] | None = None,
    codes: CodeTable | None = None,
    mue: MueTable | None = None,
) -> Iterator[Finding]:
    """Audit a visit file and yield one :class:`~unitcalc.Finding` per group,
    ``ok`` ones included. Findings come after the whole file was read, so that a file
    whose groups turn out to be scattered is still counted right; they wait in a
    temporary file, not in memory. ``payer`` names the profile (from ``profiles``) for
    rows without a ``payer`` column value.
    """
    options = Options(
        rule=get_rule(rule).name if rule is not None else None,
        group_by=group_columns(group_by),
        input_format=input_format,
        encoding=encoding,
        pooling=pooling,
        tie_preference=tuple(tie_preference) if tie_preference is not None else None,
        codes=codes,
        payer=payer,
        profiles=dict(profiles or {}),
        profiles_path=profiles_path,
        mue=mue,
        need_billed=True,
    )
    if payer is not None:
        _profile(payer, options)  # an unknown payer fails here, not at the first finding
    return _findings(path, options)


def group_columns(names: Sequence[str]) -> tuple[str, ...]:
    columns = tuple(name.strip() for name in names if name.strip())
    if names and not columns:
        raise FileProblem("--group-by names no column; give e.g. --group-by claim_id", path="")
    return columns


def _findings(path: str | Path, options: Options) -> Iterator[Finding]:
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:

        def consume(group: Group) -> None:
            assert group.finding is not None
            spool.write(json.dumps(group.finding.to_dict()) + "\n")

        def reset() -> None:
            spool.seek(0)
            spool.truncate()

        run_groups(path, options, consume, reset=reset)
        spool.seek(0)
        for text in spool:
            data = json.loads(text)
            data["lines"] = tuple(data["lines"])
            data["explanation"] = tuple(data["explanation"])
            data["errors"] = tuple(data["errors"])
            data["edits"] = tuple(data["edits"])
            data["warnings"] = tuple(data["warnings"])
            yield Finding(**data)
