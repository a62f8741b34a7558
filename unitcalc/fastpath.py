"""The quick way through an audit: most groups of a real file are billed right, and an
ok group needs only to be counted, not explained.

This module reads a UTF-8 CSV with the C parser straight from the file, keeps each row
as the list of strings the parser returns, and checks each group with integers only:
the same unit table, the same leftover cut (:func:`~unitcalc.rules.cms_extras`) and the
same compliance test as the full path. Any group it cannot settle as plainly ``ok`` (a
finding, an edit, an unusual code, a row that does not parse) goes to the full path in
:mod:`unitcalc.batch`, which builds the finding with its explanation. Nothing is
skipped: every value the full path checks is checked here too, through the same
functions, and ``tests/test_fastpath.py`` holds the two paths to the same output.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from .auditing import parse_units
from .batch import (
    _MAX_SUSPECTS,
    Group,
    Layout,
    Options,
    Record,
    Summary,
    _Scattered,
    _SeenKeys,
    _Source,
    csv_record,
)
from .codes import CodeInfo, CodeTable
from .edits import check_edits, per_day_limits
from .errors import UnitcalcError
from .model import MAX_MINUTES, normalize_discipline, parse_minutes
from .rules import cms_extras, cms_total_units, get_rule, midpoint_units

_BAD = object()
"""A cached value that the full path must handle (it raises there, with its message)."""


class NoFastPath(Exception):
    """This file or run is for the full path (a decode or CSV error, JSON, strict mode,
    payer profiles ...)."""


class FastAuditor:
    """Settles well-formed groups as ok with integer arithmetic, or hands them on."""

    def __init__(self, layout: Layout, options: Options, table: CodeTable) -> None:
        if options.payer:
            raise NoFastPath  # payer profiles change counting: the full path applies them
        index = {name: i for i, name in enumerate(layout.columns)}

        def position(role: str) -> int | None:
            column = layout.known.get(role)
            return index[column] if column is not None else None

        self.key_positions = [index[name] for name in layout.key_columns]
        code, minutes, billed = position("code"), position("minutes"), position("billed_units")
        if code is None or minutes is None or billed is None or position("payer") is not None:
            raise NoFastPath  # payer profiles change counting: the full path applies them
        self.code, self.minutes, self.billed = code, minutes, billed
        self.discipline = position("discipline")
        self.rule_column = position("rule")
        self.provider = position("provider")
        self.default_rule = get_rule(options.rule).name if options.rule else "cms"
        self.by_discipline = (options.pooling or "discipline") == "discipline"
        self.table = table
        self.mue = options.mue
        self._codes: dict[str, CodeInfo | object] = {}
        self._minutes: dict[str, int | object | None] = {}
        self._billed: dict[tuple[str, str], int | object] = {}
        self._disciplines: dict[str, str | object | None] = {}
        self._rules: dict[str, str | object] = {}
        self._plain: dict[str, bool] = {}
        self._rows: dict[tuple[str, ...], Any] = {}
        # Codes an edit can concern: only groups holding one need the edit check.
        self._edited = frozenset(
            code for limit in per_day_limits() for code in limit.codes
        ) | frozenset(options.mue.entries if options.mue is not None else ())

    def _info(self, raw: str) -> CodeInfo | object:
        info = self._codes.get(raw)
        if info is None:
            try:
                info = self.table.lookup(raw)
            except UnitcalcError:
                info = _BAD
            self._codes[raw] = info
        return info

    def _plain_code(self, info: CodeInfo) -> bool:
        """A code the integer check covers: untimed, or timed without an add-on family."""
        plain = self._plain.get(info.code)
        if plain is None:
            plain = not info.timed or (info.addon_of is None and not self.table.addons(info.code))
            self._plain[info.code] = plain
        return plain

    def _parsed_minutes(self, raw: str) -> int | object | None:
        value = self._minutes.get(raw, self)
        if value is self:
            try:
                value = parse_minutes(None if not raw.strip() else raw, code=None)
            except UnitcalcError:
                value = _BAD
            self._minutes[raw] = value
        return value

    def _parsed_billed(self, raw: str, code: str) -> int | object:
        value = self._billed.get((raw, code))
        if value is None:
            try:
                value = parse_units(raw, code=code)
            except UnitcalcError:
                value = _BAD
            self._billed[(raw, code)] = value
        return value

    def _parsed_discipline(self, raw: str) -> str | object | None:
        value = self._disciplines.get(raw, self)
        if value is self:
            try:
                value = normalize_discipline(raw)
            except UnitcalcError:
                value = _BAD
            self._disciplines[raw] = value
        return value

    def _rule(self, raw: str) -> str | object:
        if not raw.strip():
            return self.default_rule
        value = self._rules.get(raw)
        if value is None:
            try:
                value = get_rule(raw).name
            except UnitcalcError:
                value = _BAD
            self._rules[raw] = value
        return value

    def _parse(self, fields: list[str]) -> tuple[Any, ...] | None:
        """One row as (code info, minutes, billed, discipline, rule, touches an edit), or
        None when the full path must read it. Rows repeat their values, so the result is
        cached."""
        raw = (
            fields[self.code],
            fields[self.minutes],
            fields[self.billed],
            fields[self.discipline] if self.discipline is not None else "",
            fields[self.rule_column] if self.rule_column is not None else "",
        )
        parsed = self._rows.get(raw, self)
        if parsed is not self:
            return parsed  # type: ignore[no-any-return]
        parsed = None
        info = self._info(raw[0])
        if isinstance(info, CodeInfo) and self._plain_code(info):
            minutes = self._parsed_minutes(raw[1])
            billed = self._parsed_billed(raw[2], info.code)
            discipline = self._parsed_discipline(raw[3]) if self.discipline is not None else None
            rule = self._rule(raw[4])
            usable = (
                minutes is not _BAD
                and not (minutes is None and info.timed)
                and billed is not _BAD
                and discipline is not _BAD
                and rule is not _BAD
            )
            if usable:
                parsed = (
                    info,
                    minutes or 0,
                    billed,
                    discipline,
                    rule,
                    info.code in self._edited,
                    info.timed,
                )
        if len(self._rows) < 100_000:
            self._rows[raw] = parsed
        return parsed  # type: ignore[no-any-return]

    def ok(self, rows: Sequence[list[str]]) -> list[tuple[str, int, int]] | None:
        """The group's provider tallies (provider, timed minutes, billed timed units)
        when the group is plainly ok; None when the full path must look at it."""
        rule = None
        pools: dict[str | None, dict[str, list[Any]]] = {}
        per_code_day: dict[str, int] = {}
        timed_day = 0
        tallies = []
        edited = False
        for fields in rows:
            parsed = self._parse(fields)
            if parsed is None:
                return None
            info, minutes, billed, discipline, row_rule, touches_edit, timed_code = parsed
            if rule is not None and row_rule != rule:
                return None
            rule = row_rule
            edited = edited or touches_edit
            code = info.code
            day = per_code_day.get(code, 0) + minutes
            per_code_day[code] = day
            if timed_code:
                timed_day += minutes
                if self.provider is not None:
                    tallies.append((fields[self.provider], minutes, billed))
            if day > MAX_MINUTES or timed_day > MAX_MINUTES:
                return None
            pool = pools.setdefault(discipline if self.by_discipline else None, {})
            entry = pool.get(code)
            if entry is None:
                pool[code] = [info, minutes, billed]
            else:
                entry[1] += minutes
                entry[2] += billed
        if not isinstance(rule, str):
            return None
        billed_total = allowed_total = 0
        for pool in pools.values():
            timed = []
            for info, minutes, billed in pool.values():
                billed_total += billed
                if info.timed:
                    timed.append((info, minutes, billed))
                elif billed != 1:
                    return None
                else:
                    allowed_total += 1
            allowed, fits = _check_pool(rule, timed)
            if not fits:
                return None
            allowed_total += allowed
        if billed_total != allowed_total:
            return None
        if edited:
            claim_lines = []
            for fields in rows:
                parsed = self._parse(fields)
                assert parsed is not None
                claim_lines.append((parsed[0].code, parsed[3], parsed[2]))
            if any(True for _ in check_edits(claim_lines, mue=self.mue)):
                return None
        return tallies


def _check_pool(rule: str, timed: list[tuple[CodeInfo, int, int]]) -> tuple[int, bool]:
    """The units a pool allows and whether the billed units are a compliant allocation,
    as :meth:`PoolAllocation.is_compliant` decides it."""
    if rule == "cms":
        if any(info.unit_minutes != 15 for info, _, _ in timed):
            return 0, False  # counted apart under cms: the full path handles it
        units = cms_total_units(sum(minutes for _, minutes, _ in timed))
        base = [minutes // 15 for _, minutes, _ in timed]
        remaining = units - sum(base)
        tied: list[int] = []
        shared = 0
        if units and remaining:
            leftovers = [minutes % 15 for _, minutes, _ in timed]
            above, at_cut, need, _ = cms_extras(leftovers, remaining)
            for i in above:
                base[i] += 1
            if need == len(at_cut):
                for i in at_cut:
                    base[i] += 1
            else:
                tied, shared = at_cut, need
        extra = 0
        for i, (_, _, billed) in enumerate(timed):
            if billed == base[i]:
                continue
            if billed == base[i] + 1 and i in tied:
                extra += 1
                continue
            return units, False
        return units, extra == shared
    allowed = 0
    fits = True
    for info, minutes, billed in timed:
        unit = info.unit_minutes or 15
        count = midpoint_units(minutes, unit) if rule == "ama" else -(-minutes // unit)
        if rule not in {"ama", "commercial-15"}:
            return 0, False
        allowed += count
        fits = fits and billed == count
    return allowed, fits


def fast_groups(
    source: _Source,
    summary: Summary,
    suspects: set[tuple[str, ...]],
    slow: Callable[[Layout, tuple[str, ...] | None, list[Record]], Group],
) -> Iterator[Group]:
    """Like the full path's contiguous pass, but ok groups are counted here and only the
    others come out, through ``slow`` (which builds their rows and finding)."""
    options = source.options
    if options.strict or options.input_format == "jsonl" or not options.need_billed:
        raise NoFastPath
    if options.input_format is None and source.path.suffix.lower() in {
        ".jsonl",
        ".ndjson",
        ".json",
    }:
        raise NoFastPath
    if options.encoding.lower().replace("_", "-") not in {"utf-8", "utf8"}:
        raise NoFastPath
    table = options.codes if options.codes is not None else CodeTable.default()
    try:
        handle = source.path.open(encoding="utf-8-sig", newline="")
    except OSError:
        raise NoFastPath from None
    with handle:
        reader = csv.reader(handle, delimiter=options.delimiter)
        try:
            yield from _read(source, summary, suspects, slow, handle, reader, table)
        except (UnicodeDecodeError, csv.Error):
            raise NoFastPath from None


def _read(
    source: _Source,
    summary: Summary,
    suspects: set[tuple[str, ...]],
    slow: Callable[[Layout, tuple[str, ...] | None, list[Record]], Group],
    handle: Any,
    reader: Any,
    table: CodeTable,
) -> Iterator[Group]:
    options = source.options
    header: list[str] = []
    for fields in reader:
        if any(field.strip() for field in fields):
            header = fields
            break
    if not header or header[0].lstrip().startswith(("{", "[")):
        raise NoFastPath  # the full path words these errors
    columns = tuple(name.strip() or f"column {index}" for index, name in enumerate(header, start=1))
    layout = Layout.of(columns, options, display=source.display, open_ended=False)
    summary.layout = layout
    auditor = FastAuditor(layout, options, table)
    width = len(columns)
    positions = auditor.key_positions
    seen = _SeenKeys()
    size = source.path.stat().st_size
    last = reader.line_num
    current: list[tuple[int, int, list[str]]] = []
    current_key: tuple[str, ...] | None = None
    keyless: list[tuple[int, int, list[str]]] = []
    progress = source.on_progress

    def close(
        key: tuple[str, ...] | None, rows: list[tuple[int, int, list[str]]], plain: bool
    ) -> Group | None:
        if plain:
            tallies = auditor.ok([fields for _, _, fields in rows])
            if tallies is not None:
                summary.count("ok")
                summary.settled_quickly += 1
                for provider, minutes, billed in tallies:
                    summary.tally(provider, minutes, billed)
                return None
        records = [
            csv_record(columns, start, end, fields, options.delimiter)
            for start, end, fields in rows
        ]
        return slow(layout, key, records)

    key_of = itemgetter(*positions)
    single = len(positions) == 1
    plain = True  # every row of the current group is one line of the right width
    for fields in reader:
        start, last = last + 1, reader.line_num
        if not any(fields):
            continue  # an empty line, or a row of empty cells
        key: tuple[str, ...] | None
        if len(fields) == width:
            key = (key_of(fields).strip(),) if single else tuple(map(str.strip, key_of(fields)))
            if not all(key):
                key = None
        else:
            key = layout.key_of(dict(zip(columns, fields, strict=False)))
        if key is None and not any(field.strip() for field in fields):
            continue  # blank cells only: no record
        summary.rows_read += 1
        if progress is not None and summary.rows_read % 65536 == 0:
            progress(summary.rows_read, handle.buffer.tell(), size)
        if key is None:
            keyless.append((start, last, fields))
            continue
        if current and key == current_key:
            current.append((start, last, fields))
            plain = plain and start == last and len(fields) == width
            continue
        if current:
            assert current_key is not None
            seen.add(current_key)
            group = close(current_key, current, plain)
            if group is not None:
                yield group
        for lone in keyless:
            yield slow(layout, None, [csv_record(columns, *lone, options.delimiter)])
        keyless = []
        if key in seen:
            suspects.add(key)
            if len(suspects) > _MAX_SUSPECTS:
                raise _Scattered
        current, current_key = [(start, last, fields)], key
        plain = start == last and len(fields) == width
    if current:
        group = close(current_key, current, plain)
        if group is not None:
            yield group
    for lone in keyless:
        yield slow(layout, None, [csv_record(columns, *lone, options.delimiter)])
