"""Evaluating groups: the columnar engine settles every group it can in columns, and
builds a :class:`Group` with its finding for the others.

For each group the engine joins the code table and the payer profiles, pools the timed
minutes (per discipline by default), asks each rule's columnar form for the units every
compliant allocation gives and the tie left open, and compares the billed units with
them: the status (ok, over, under, misallocated) and the MUE and NCCI edits are columns.
A group is handed to the scalar engine (:func:`unitcalc.engine.count.evaluate` and
:func:`unitcalc.engine.audit.check`) when a finding must be written for it (it is not ok,
trips an edit, or every group is listed), or when it holds what the columns do not
count (an unreadable row, an unknown or deleted code, an add-on family, a payer cap or
minimum, rules that differ within the day, a line without a discipline beside lines
with one). The property tests hold both engines to the same statuses.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from collections.abc import Callable, Generator, Hashable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from ..core.codes import CodeTable
from ..core.encodings import Source, detect_encoding, open_source, text_encoding
from ..core.errors import FileProblem, Mention, UnitcalcError, message_of
from ..core.model import MAX_MINUTES, Note, ServiceLine
from ..core.mue import MueTable
from ..engine.audit import Finding, check
from ..engine.count import (
    DEFAULT_MAX_ALTERNATIVES,
    Evaluation,
    Pooling,
    evaluate,
    rule_note,
    untimed_without_minutes,
)
from ..engine.edits import per_day_limits
from ..engine.payers import PayerProfile
from ..rules import RULES, Rule, get_rule
from .check import (
    ASSISTED,
    BILLED,
    CHECKED,
    CODE,
    DATE_FORMAT,
    DISCIPLINE,
    MINUTES,
    PAYER,
    PROVIDER,
    RULE,
    Layout,
    Row,
    check_frame,
    key_names,
    payer_profile,
)
from .group import GROUP, assign_groups, scattered
from .leftovers import remove_stale, run_mark
from .options import InputFormat, Options
from .read import (
    END,
    ERROR,
    LINE,
    Lines,
    Record,
    csv_frame,
    csv_lines,
    csv_parts,
    detect_delimiter,
    detect_format,
    parquet_frame,
    read_records,
    records_frame,
    with_lines,
)
from .summary import Summary

if TYPE_CHECKING:
    import polars as pl

LOCALITY_COLUMN = "locality"
"""The visit file's column naming a row's payment locality, when it has one."""
PRIOR_COLUMN_NAMES = ("kx_prior_pt_slp", "kx_prior_ot")
"""Visit-file columns with a patient's amounts already incurred that year elsewhere
(PT/SLP, then OT)."""


class PriceRow(NamedTuple):
    """One row of a group as the fee pricer reads it (:mod:`unitcalc.files.price`)."""

    line: int
    code: str
    billed: int
    discipline: str | None
    values: Mapping[str, Any]
    """The row's raw values (the record's), at least those of :func:`price_columns`."""


@attrs.frozen(eq=False)
class Priced:
    """A group settled in columns, as the fee pricer reads it (with
    ``Options.price_columns``): its rows in line order, its payer profile, and for a
    group settled ok without a finding, the units allowed per code (those billed)."""

    rows: tuple[PriceRow, ...]
    """The rows with billed units, in line order."""
    first: Mapping[str, Any]
    """The raw values of the group's first row (its date of service is the day's)."""
    profile: PayerProfile | None
    allowed: Mapping[str, int] | None = None


def price_columns(layout: Layout) -> list[str]:
    """The input columns the fee pricer reads: modifiers, CQ units, the patient and the
    date of service, the locality and the amounts incurred elsewhere."""
    names = [
        layout.known.get("modifiers"),
        layout.known.get("cq_units"),
        layout.roles.get("patient_id"),
        layout.roles.get("date_of_service"),
        LOCALITY_COLUMN,
        *PRIOR_COLUMN_NAMES,
    ]
    return [name for name in dict.fromkeys(names) if name is not None]


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
    notes: tuple[Note, ...] = ()
    """Remarks on the rows themselves, such as two identical rows."""
    providers: tuple[str, ...] | None = None
    """The providers of the group's rows (from its rows when None)."""
    payer: str | None = None
    """The payer profile the group was counted under (from its rows when None)."""
    priced: Priced | None = None
    """A group settled in columns, its rows as the fee pricer reads them (with
    ``Options.price_columns``). A group settled ok has no finding then: it is handed on
    for its amounts only, and the consumer drops it after pricing it."""

    @property
    def provider_names(self) -> tuple[str, ...]:
        """The providers named on the group's rows, in row order, each once."""
        if self.providers is not None:
            return self.providers
        column = self.layout.known.get("provider")
        if column is None:
            return ()
        names = (str(row.record.values.get(column) or "").strip() for row in self.rows)
        return tuple(dict.fromkeys(name for name in names if name))

    @property
    def payer_name(self) -> str:
        """The payer profile of the group's rows ('' when none)."""
        if self.payer is not None:
            return self.payer
        names = dict.fromkeys(row.payer.name for row in self.rows if row.payer is not None)
        return "; ".join(names)

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
            rule = first.payer.rule if first.payer else first.rule
            return invalid_finding(self.name, rule, self.errors, self.lines)
        billed: dict[tuple[str, str | None], int] = {}
        claim_lines = []
        pooled = self.evaluation.pooling == "discipline"
        # A line without a discipline was counted in the day's one named discipline.
        homes: dict[str, set[str | None]] = {}
        for pool in self.evaluation.pools:
            for code in [code for members in pool.members for code, _ in members]:
                homes.setdefault(code, set()).add(pool.discipline)
            for code in pool.untimed:
                homes.setdefault(code, set()).add(pool.discipline)
        for row in self.rows:
            assert row.service is not None
            assert row.billed is not None
            discipline = row.service.discipline
            home = homes.get(row.service.code, set())
            if discipline is None and len(home) == 1:
                discipline = next(iter(home))
            key = (row.service.code, discipline if pooled else None)
            billed[key] = billed.get(key, 0) + row.billed
            claim_lines.append((row.service.code, row.service.discipline, row.billed))
        finding = check(
            self.evaluation,
            billed,
            group=self.name,
            lines=self.lines,
            mue=mue,
            claim_lines=claim_lines,
        )
        modifiers = self._modifier_edits()
        if modifiers:
            finding = attrs.evolve(finding, edits=(*finding.edits, *modifiers))
        return finding

    def _modifier_edits(self) -> tuple[str, ...]:
        """The assistant modifiers billed (a ``modifiers`` or ``cq_units`` column) against
        the units due with CQ/CO (:mod:`unitcalc.engine.assistant`), as edit messages."""
        known = self.layout.known
        if self.evaluation is None or not {"modifiers", "cq_units"} & set(known):
            return ()
        from ..engine.modifiers import BilledLine, check_billed_lines, check_modifier_count

        found: list[str] = []
        for line in self.evaluation.result.lines:
            split = line.assistant
            if split is None:
                continue
            rows = [
                row
                for row in self.rows
                if row.service is not None
                and row.service.code == line.code
                and row.service.discipline in (line.discipline, None)
            ]
            if "modifiers" in known:
                billed = [
                    BilledLine(
                        line.code,
                        row.billed or 0,
                        str(row.record.values.get(known["modifiers"]) or ""),
                    )
                    for row in rows
                ]
                findings = check_billed_lines(split, billed)
            else:
                count = sum(
                    int(str(row.record.values.get(known["cq_units"]) or "0").split(".")[0])
                    for row in rows
                )
                findings = check_modifier_count(split, count)
            found.extend(f"Modifier: {finding.message}" for finding in findings)
        return tuple(found)


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
            date_of_service=_date_of(key, layout),
            blank_discipline="join",
        )
    except UnitcalcError as exc:
        code = getattr(exc, "code", None)
        where = [row.record.line for row in rows if row.service and row.service.code == code]
        problem = _at_lines(
            where or [row.record.line for row in rows], exc.worded(options.spelling)
        )
        return _finish(Group(key, layout, tuple(rows), None, (problem,)), options)
    return _finish(Group(key, layout, tuple(rows), evaluation, ()), options)


def _at_lines(lines: Sequence[int], problem: str) -> str:
    """A group's problem with the lines it is about: ``lines 3, 7: ...``."""
    shown = ", ".join(map(str, lines))
    return f"line{'s' * (len(lines) != 1)} {shown}: {problem}"


def invalid_finding(
    group: str, rule: str | None, errors: tuple[str, ...], lines: tuple[int, ...]
) -> Finding:
    """The finding of a group that could not be evaluated."""
    return Finding(
        group=group,
        status="invalid",
        rule=rule,
        billed={},
        allowed={},
        difference=0,
        message="Could not be evaluated: " + "; ".join(errors),
        lines=lines,
        errors=errors,
    )


def _date_of(key: tuple[str, ...] | None, layout: Layout) -> str | None:
    """The group's date of service (``YYYY-MM-DD``), when the key holds one."""
    if key is None or layout.date_index is None:
        return None
    return key[layout.date_index]


def _finish(group: Group, options: Options) -> Group:
    notes = tuple(_duplicate_notes(group.rows))
    group = attrs.evolve(group, notes=notes)
    if not options.need_billed:
        return group
    finding = group.audit(options.mue)
    if notes:
        finding = attrs.evolve(finding, warnings=(*finding.warnings, *notes))
    return attrs.evolve(group, finding=finding)


def _duplicate_notes(rows: Sequence[Row]) -> Iterator[Note]:
    """Rows entered twice, as the scalar checker read them."""
    return _identical(
        (row.record.line, (row.service, row.billed)) for row in rows if row.service is not None
    )


def _identical(signatures: Iterable[tuple[int, Hashable]]) -> Iterator[Note]:
    """Rows entered twice are counted twice, as documented minutes add up; say so.
    ``signatures`` are each row's line and what it documents and bills."""
    seen: dict[Hashable, int] = {}
    for line, signature in signatures:
        if signature in seen:
            yield Note(
                f"lines {seen[signature]} and {line} are identical; both are counted: check "
                "that the service was not entered twice",
                kind="identical-rows",
            )
        else:
            seen[signature] = line


def _terms(row: Row) -> str:
    if row.payer is not None:
        return f"payer {row.payer.name}"
    return row.rule or "the default rule"


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


def iter_findings(
    path: str | Path,
    rule: str | Rule | None = None,
    *,
    payer: str | None = None,
    profiles: Mapping[str, PayerProfile] | None = None,
    profiles_path: str = "the payer profiles given",
    group_by: Sequence[str] = (),
    input_format: InputFormat | None = None,
    encoding: str | None = "utf-8",
    pooling: Pooling | None = None,
    tie_preference: Sequence[str] | None = None,
    codes: CodeTable | None = None,
    mue: MueTable | None = None,
    delimiter: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> Iterator[Finding]:
    """Audit a visit file and yield one :class:`~unitcalc.Finding` per group,
    ``ok`` ones included. Findings come after the whole file was read, so that a file
    whose groups turn out to be scattered is still counted right; they wait in a
    temporary file, not in memory. ``payer`` names the profile (from ``profiles``) for
    rows without a ``payer`` column value. ``encoding=None`` detects the encoding; the
    delimiter is detected unless given; ``columns`` maps roles to headers (role ->
    header, as ``--columns``).
    """
    options = Options(
        delimiter=delimiter,
        columns=dict(columns or {}),
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
        payer_profile(payer, options)  # an unknown payer fails here, not at the first finding
    return _findings(path, options)


def group_columns(names: Sequence[str]) -> tuple[str, ...]:
    columns = tuple(name.strip() for name in names if name.strip())
    if names and not columns:
        raise FileProblem(
            message_of(
                Mention("group_by", owner="Options"),
                " names no column; give e.g. ",
                Mention("group_by", ("claim_id",), owner="Options"),
            ),
            path="",
            argument="group_by",
        )
    return columns


def _findings(path: str | Path, options: Options) -> Iterator[Finding]:
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:

        def consume(group: Group) -> None:
            assert group.finding is not None
            spool.write(json.dumps(group.finding.to_dict(whole=True)) + "\n")

        def reset() -> None:
            spool.seek(0)
            spool.truncate()

        run_groups(path, options, consume, reset=reset)
        spool.seek(0)
        for text in spool:
            yield Finding.from_dict(json.loads(text))


# --- loading ---------------------------------------------------------------------------


@attrs.frozen(eq=False)
class Loaded:
    """A file read and checked: its layout, the parsed rows, and how to get a row's
    record back (for the groups the scalar engine evaluates)."""

    layout: Layout
    parsed: pl.DataFrame
    raw: pl.DataFrame | None
    records: Mapping[int, Record]
    options: Options | None = None
    """The options the file was read with (its encoding and delimiter settled)."""
    detected: tuple[str, ...] = ()
    """What was detected rather than given or the default (``encoding``, ``delimiter``)."""
    blank_lines: int = 0
    """Lines skipped for holding no record (blank, or only empty cells)."""

    def parsed_rows(self, lines: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The parsed columns of these lines, by line."""
        import polars as pl

        chosen = pl.DataFrame({LINE: list(lines)}, schema={LINE: pl.Int64})
        rows = self.parsed.join(chosen, on=LINE, how="semi")
        return {row[LINE]: row for row in rows.iter_rows(named=True)}

    def record_rows(self, lines: Sequence[int]) -> dict[int, Record]:
        """The records of these lines, by line."""
        if self.raw is None:
            return {line: self.records[line] for line in lines}
        import polars as pl

        columns = list(self.layout.columns)
        chosen = pl.DataFrame({LINE: list(lines)}, schema={LINE: pl.Int64})
        wanted = self.raw.join(chosen, on=LINE, how="semi").select(LINE, END, *columns)
        return {
            values[0]: Record(values[0], values[1], dict(zip(columns, values[2:], strict=True)))
            for values in wanted.iter_rows()
        }


def load(source: Source, options: Options, *, display: str) -> Loaded:
    """Read and check a visit file, given by its path or its bytes (see
    :mod:`unitcalc.files.read`). A path that is no regular file (a named pipe, a process
    substitution) is read once, into memory."""
    source, options, detected, input_format = resolve(source, options, display=display)
    encoding = options.encoding
    assert encoding is not None
    assert options.delimiter is not None
    utf8 = encoding == "utf-8"
    fast = None
    if input_format == "parquet":
        fast = parquet_frame(source, display=display)
    elif input_format == "csv" and utf8:
        fast = csv_frame(source, options.delimiter, display=display)
    if fast is not None:
        columns, raw = fast
        layout = Layout.of(columns, options, display=display, open_ended=False)
        parsed = check_frame(raw, layout, options, display=display)
        return Loaded(layout, parsed, raw, {}, options, detected)
    try:
        lines = Lines(source, encoding, display=display)
    except OSError as exc:
        raise FileProblem(f"cannot read {display}: {exc.strerror or exc}", path=display) from None
    try:
        columns, records = read_records(lines, input_format, delimiter=options.delimiter)
        layout = Layout.of(columns, options, display=display, open_ended=input_format == "jsonl")
        kept = list(records)
    finally:
        lines.close()
    parsed = check_frame(records_frame(kept), layout, options, records=kept, display=display)
    records_by_line = {record.line: record for record in kept}
    return Loaded(layout, parsed, None, records_by_line, options, detected, lines.blank)


def resolve(
    source: Source, options: Options, *, display: str
) -> tuple[Source, Options, tuple[str, ...], InputFormat]:
    """The source as it will be read (a pipe's bytes), the options with its encoding and
    delimiter settled (given, or detected), what was detected, and its format."""
    import codecs

    named = source if isinstance(source, Path) else Path(display)
    input_format: InputFormat = detect_format(named, options.input_format)
    if isinstance(source, Path):
        if not source.exists():
            raise FileProblem(f"cannot read {display}: No such file or directory", path=display)
        if source.is_dir():
            raise FileProblem(f"cannot read {display}: Is a directory", path=display)
        if not source.is_file():
            try:
                source = source.read_bytes()
            except OSError as exc:
                raise FileProblem(
                    f"cannot read {display}: {exc.strerror or exc}", path=display
                ) from None
    detected: list[str] = []
    if input_format == "parquet":
        options = attrs.evolve(options, encoding=options.encoding or "utf-8")
    elif options.encoding is None:
        guessed, guess = detect_encoding(source)
        options = attrs.evolve(options, encoding=guessed)
        if guess:
            detected.append("encoding")
    encoding = text_encoding(options.encoding or "utf-8", display=display)
    if encoding == "utf-8":
        with open_source(source) as handle:
            if handle.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                # The byte-order mark says UTF-16, whatever the default says.
                options = attrs.evolve(options, encoding="utf-16")
                encoding = "utf-16"
    if options.delimiter is None:
        delimiter = detect_delimiter(source, encoding) if input_format == "csv" else ","
        if delimiter != ",":
            detected.append("delimiter")
        options = attrs.evolve(options, delimiter=delimiter)
    return source, options, tuple(detected), input_format


# --- the columnar engine -----------------------------------------------------------------


def _code_frame(table: CodeTable) -> pl.DataFrame:
    import polars as pl

    entries = list(table)
    return pl.DataFrame(
        {
            CODE: [info.code for info in entries],
            "__kind": [info.kind for info in entries],
            "unit_minutes": [info.unit_minutes for info in entries],
            "__family": [
                info.addon_of is not None or bool(table.addons(info.code)) for info in entries
            ],
            "__code_index": list(range(1, len(entries) + 1)),
            "__valid_from": [info.valid_from for info in entries],
            "__valid_to": [info.valid_to for info in entries],
            "__valid_kind": [info.valid_kind for info in entries],
        },
        schema={
            CODE: pl.String,
            "__kind": pl.String,
            "unit_minutes": pl.Int64,
            "__family": pl.Boolean,
            "__code_index": pl.Int64,
            "__valid_from": pl.Date,
            "__valid_to": pl.Date,
            "__valid_kind": pl.String,
        },
    )


def _payer_frame(profiles: Mapping[str, PayerProfile]) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(
        {
            PAYER: [profile.name for profile in profiles.values()],
            "__payer_rule": [get_rule(profile.rule).name for profile in profiles.values()],
            "__payer_pooling": [profile.pooling for profile in profiles.values()],
            "__payer_plain": [
                not profile.has_caps and not profile.min_minutes for profile in profiles.values()
            ],
        },
        schema={
            PAYER: pl.String,
            "__payer_rule": pl.String,
            "__payer_pooling": pl.String,
            "__payer_plain": pl.Boolean,
        },
    )


_POOL_OF = {"PT": 1, "OT": 2, "SLP": 3}


@attrs.frozen(eq=False)
class Settled:
    """The columnar engine's answer: per group, whether the scalar engine must evaluate
    it (``__odd``), its status and edits; per item (code in a pool), the units."""

    groups: pl.DataFrame
    items: pl.DataFrame
    rows: pl.DataFrame


def settle(grouped: pl.DataFrame, options: Options, *, date_column: str | None = None) -> Settled:
    """Count and audit every group in columns (see the module's docstring).
    ``date_column`` holds the date of service, when the key has one: a code counts only
    inside its window (a deleted code as it counted then)."""
    import polars as pl

    table = options.codes if options.codes is not None else CodeTable.default()
    preference = {code: rank for rank, code in enumerate(options.tie_preference or ())}
    if not grouped.get_column(GROUP).is_sorted():
        grouped = grouped.sort(GROUP, LINE)  # a scattered file: its groups' rows together
    rows = grouped.drop(DATE_FORMAT).join(
        _code_frame(table), on=CODE, how="left", maintain_order="left"
    )
    rows = rows.join(_payer_frame(options.profiles), on=PAYER, how="left", maintain_order="left")
    if date_column is not None:
        day = pl.col(date_column).str.to_date("%Y-%m-%d", strict=False)
        inside = (pl.col("__valid_from").is_null() | (day >= pl.col("__valid_from"))) & (
            pl.col("__valid_to").is_null() | (day <= pl.col("__valid_to"))
        )
        in_force = (
            pl.when(pl.col("__kind") == "deleted")
            .then(pl.col("__valid_kind"))
            .otherwise(pl.col("__kind"))
        )
        rows = rows.with_columns(
            __kind=pl.when(day.is_null())
            .then(pl.col("__kind"))
            .when(inside)
            .then(in_force)
            .otherwise(pl.lit(None, dtype=pl.String))
        )
    rows = rows.with_columns(pl.col(GROUP).set_sorted())
    timed = pl.col("__kind") == "timed"
    rule = pl.coalesce(pl.col(RULE), pl.col("__payer_rule"), pl.lit(get_rule("cms").name))
    pooling = (
        pl.lit(options.pooling)
        if options.pooling is not None
        else pl.coalesce(pl.col("__payer_pooling"), pl.lit("discipline"))
    )
    rows = rows.with_columns(
        __counting=rule,
        __pooling=pooling,
        __minutes0=pl.col(MINUTES).fill_null(0),
        __first_rule=pl.col(RULE).first().over(GROUP),
        __first_payer=pl.col(PAYER).first().over(GROUP),
    )
    odd_row = (
        pl.col(ERROR).is_not_null()
        | pl.col(ASSISTED)
        | pl.col("__kind").is_null()
        | ~pl.col("__kind").is_in(["timed", "untimed"])
        | pl.col("__family").fill_null(True)
        | (timed & (pl.col(MINUTES).is_null() | pl.col("unit_minutes").is_null()))
        | (pl.col(PAYER).is_not_null() & ~pl.col("__payer_plain").fill_null(False))
        | (
            pl.col(RULE).is_not_null()
            & pl.col(PAYER).is_not_null()
            & (pl.col(RULE) != pl.col("__payer_rule"))
        )
        | pl.col(RULE).ne_missing(pl.col("__first_rule"))
        | pl.col(PAYER).ne_missing(pl.col("__first_payer"))
    )
    rows = rows.with_columns(
        __unusable=pl.col(ERROR).is_not_null()
        | ~pl.col("__kind").is_in(["timed", "untimed"]).fill_null(False),
        __odd_row=odd_row,
        __timed_minutes=pl.when(timed).then(pl.col("__minutes0")).otherwise(0),
        __blank=pl.col(DISCIPLINE).is_null(),
    )
    blank_discipline = (pl.col("__pooling") == "discipline") & (
        pl.col("__blank").any().over(GROUP) & (~pl.col("__blank")).any().over(GROUP)
    )
    pool = pl.col(GROUP) * 4 + pl.when(pl.col("__pooling") == "discipline").then(
        pl.col(DISCIPLINE).replace_strict(_POOL_OF, default=0, return_dtype=pl.Int64)
    ).otherwise(0)
    # More minutes than a day holds, as the scalar engine finds it line by line: a code's
    # minutes so far, then the day's timed minutes so far.
    # Only days over a day's minutes in all can be; the running sums are taken on them.
    long_days = rows.filter(pl.col("__minutes0").sum().over(GROUP) > MAX_MINUTES)
    long_days = long_days.with_columns(
        __code_so_far=pl.col("__minutes0").cum_sum().over(GROUP, CODE),
        __timed_so_far=pl.col("__timed_minutes").cum_sum().over(GROUP),
    ).with_columns(
        __too_long_row=(pl.col("__code_so_far") > MAX_MINUTES)
        | (timed & (pl.col("__timed_so_far") > MAX_MINUTES))
    )
    too_long = (
        long_days.filter("__too_long_row")
        .group_by(GROUP, maintain_order=True)
        .agg(
            pl.col(CODE).first().alias("__long_code"),
            pl.when(pl.col("__code_so_far") > MAX_MINUTES)
            .then(
                pl.format(
                    "{}: {} minutes in one day is more than the {} minutes a day holds; "
                    "check for a line entered twice",
                    pl.col(CODE),
                    pl.col("__code_so_far"),
                    pl.lit(MAX_MINUTES),
                )
            )
            .otherwise(
                pl.format(
                    "{}: the day's timed minutes add up to {}, more than the {} minutes a day "
                    "holds; check for lines entered twice",
                    pl.col(CODE),
                    pl.col("__timed_so_far"),
                    pl.lit(MAX_MINUTES),
                )
            )
            .first()
            .alias("__problem"),
        )
    )
    rows = (
        rows.with_columns(
            __odd=pl.col("__odd_row").any().over(GROUP) | blank_discipline,
            pool=pool,
        )
        # One integer per item (a code in a pool), so that one sort brings items together.
        .with_columns(__item=pl.col("pool") * 4096 + pl.col("__code_index").fill_null(0))
        .select(
            GROUP,
            LINE,
            END,
            CODE,
            MINUTES,
            DISCIPLINE,
            BILLED,
            PROVIDER,
            "__minutes0",
            "unit_minutes",
            "__kind",
            "__counting",
            "__odd",
            "__unusable",
            RULE,
            PAYER,
            "pool",
            "__item",
            *(name for name in grouped.columns if name.startswith("__k")),
        )
        .sort("__item")
        .with_columns(pl.col("pool").set_sorted(), pl.col("__item").set_sorted())
    )
    items = rows.group_by("__item", maintain_order=True).agg(
        pl.col(GROUP).first(),
        pl.col("pool").first(),
        pl.col(CODE).first(),
        pl.col("__minutes0").sum().alias("minutes"),
        pl.col(BILLED).fill_null(0).sum().alias("billed"),
        pl.col("unit_minutes").first(),
        pl.col("__kind").first(),
        pl.col("__counting").first(),
        pl.col(LINE).min().alias("__first"),
        pl.col(DISCIPLINE).n_unique().alias("__disciplines"),
        pl.col(MINUTES).is_not_null().any().alias("__zero"),
        pl.col("__odd").first(),
    )
    timed_items = items.filter(pl.col("__kind") == "timed")
    counted = [
        counting.columnar(timed_items.filter(pl.col("__counting") == name).lazy()).collect(
            engine="in-memory"
        )
        for name, counting in RULES.items()
    ]
    untimed_items = items.filter(pl.col("__kind") != "timed").with_columns(
        base=pl.lit(1, dtype=pl.Int64), tied=pl.lit(False), shared=pl.lit(0, dtype=pl.Int64)
    )
    billed, base = pl.col("billed"), pl.col("base")
    extra = pl.col("tied") & (billed == base + 1)
    items = (
        pl.concat([*counted, untimed_items], how="diagonal_relaxed")
        .sort("pool")
        .with_columns(
            __item_ok=(billed == base) | extra,
            __extra=extra.cast(pl.Int64),
            __preference=pl.col(CODE).replace_strict(
                preference, default=len(preference), return_dtype=pl.Int64
            ),
            __item_odd=pl.col("__disciplines") > 1,
        )
        # The closest compliant allocation: the tie's units go first to tied items the
        # biller gave one more, then in unitcalc's order (preference, minutes, input).
        .sort(
            "pool",
            pl.col("tied"),
            billed > base,
            "__preference",
            "minutes",
            "__first",
            descending=[False, True, True, False, True, False],
        )
        .with_columns(pl.col("pool").set_sorted(), __tied_at=pl.col("tied").cast(pl.Int64))
        .with_columns(
            allowed=base
            + (
                pl.col("tied") & (pl.col("__tied_at").cum_sum().over("pool") <= pl.col("shared"))
            ).cast(pl.Int64)
        )
    )
    pools = items.group_by("pool", maintain_order=True).agg(
        pl.col(GROUP).first(),
        (pl.col("__item_ok").all() & (pl.col("__extra").sum() == pl.col("shared").max())).alias(
            "__compliant"
        ),
        (pl.col("base").sum() + pl.col("shared").max()).alias("__allowed"),
        pl.col("billed").sum().alias("__billed"),
        pl.col("tied").any().alias("__tie"),
        pl.col("__item_odd").any(),
    )
    groups = (
        pools.with_columns(pl.col(GROUP).set_sorted())
        .group_by(GROUP, maintain_order=True)
        .agg(
            pl.col("__compliant").all(),
            pl.col("__allowed").sum(),
            pl.col("__billed").sum(),
            pl.col("__tie").any(),
            pl.col("__item_odd").any(),
        )
    )
    difference = pl.col("__billed") - pl.col("__allowed")
    groups = groups.with_columns(
        __status=pl.when(difference > 0)
        .then(pl.lit("over"))
        .when(difference < 0)
        .then(pl.lit("under"))
        .when(pl.col("__compliant"))
        .then(pl.lit("ok"))
        .otherwise(pl.lit("misallocated"))
    )
    flags = (
        rows.with_columns(pl.col(GROUP).set_sorted())  # items are ordered by group
        .group_by(GROUP, maintain_order=True)
        .agg(pl.col("__odd").first(), pl.col("__counting").first())
    )
    groups = (
        flags.join(groups, on=GROUP, how="left")
        .join(too_long, on=GROUP, how="left")
        .join(_edits(rows.lazy(), options.mue).collect(engine="in-memory"), on=GROUP, how="left")
        .with_columns(
            __odd=pl.col("__odd") | pl.col("__item_odd").fill_null(False),
            __edits=pl.col("__edits").fill_null(False),
        )
        .with_columns(
            __status=pl.when(pl.col("__problem").is_not_null())
            .then(pl.lit("invalid"))
            .otherwise(pl.col("__status")),
            __edits=pl.col("__edits") & pl.col("__problem").is_null(),
        )
        .with_columns(__scalar=pl.col("__odd") | (pl.col("__status") != "ok") | pl.col("__edits"))
        .sort(GROUP)
    )
    return Settled(groups, items, rows)


def _edits(rows: pl.LazyFrame, mue: MueTable | None) -> pl.LazyFrame:
    """``__edits`` per group: whether the billed units trip an NCCI per-day limit or
    an MUE (as :func:`unitcalc.engine.edits.check_edits` decides for one group)."""
    import polars as pl

    billed = pl.col(BILLED).fill_null(0)
    tripped: list[pl.Expr] = []
    for limit in per_day_limits():
        inside = pl.col(CODE).is_in(sorted(limit.codes))
        tripped.append(pl.when(inside).then(billed).otherwise(0).sum() > limit.max_units)
    staged = rows
    if mue is not None and mue.entries:
        entries = list(mue.entries.items())
        table = pl.DataFrame(
            {
                CODE: [code for code, _ in entries],
                "__mue": [entry.units for _, entry in entries],
                "__mue_line": [entry.per_line for _, entry in entries],
            },
            schema={CODE: pl.String, "__mue": pl.Int64, "__mue_line": pl.Boolean},
        ).lazy()
        staged = staged.join(table, on=CODE, how="left").with_columns(
            __code_billed=billed.sum().over(GROUP, CODE)
        )
        tripped.append((pl.col("__mue_line").fill_null(False) & (billed > pl.col("__mue"))).any())
        tripped.append(
            (
                ~pl.col("__mue_line").fill_null(True) & (pl.col("__code_billed") > pl.col("__mue"))
            ).any()
        )
    if not tripped:
        return staged.group_by(GROUP).agg(pl.lit(False).alias("__edits"))
    return staged.group_by(GROUP).agg(pl.any_horizontal(tripped).alias("__edits"))


# --- a run ------------------------------------------------------------------------------


PARTITION_BYTES = 8 << 20
"""A CSV file larger than this is counted in parts, each holding whole patients, so that
memory stays bounded whatever the file's size."""

PARTS_FOLDER = re.compile(r"unitcalc-(?P<pid>[0-9]+)-[a-z0-9_]+")
"""The temporary folder of a run's parts, named for the run's process."""


def run_groups(
    path: str | Path | bytes,
    options: Options,
    consume: Callable[[Group], None],
    *,
    reset: Callable[[], None] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
    display: str | None = None,
    partition_bytes: int = PARTITION_BYTES,
) -> Summary:
    """Read ``path``, settle every group in columns, and hand ``consume`` a
    :class:`Group` with its finding (in an audit) for every group to write, in file
    order of their first rows: every group when ``only_findings`` is off, else those
    that are not ok or trip an edit. A plain CSV file larger than ``partition_bytes`` is
    split by patient into parts counted one after the other (groups then come part by
    part). ``reset`` is kept for callers of earlier versions and never called: the file
    is read once."""
    del reset
    remove_stale(Path(tempfile.gettempdir()), PARTS_FOLDER)  # parts a killed run left
    shown = display or str(path)
    source: Source = path if isinstance(path, bytes) else Path(path)
    summary = Summary()
    source, options, detected, input_format = resolve(source, options, display=shown)
    if input_format != "parquet":
        summary.encoding = options.encoding
    if input_format == "csv":
        summary.delimiter = options.delimiter
    summary.detected = detected
    size = len(source) if isinstance(source, bytes) else 0
    if isinstance(source, Path) and source.is_file():
        size = source.stat().st_size
        if size > partition_bytes:
            prefix = f"unitcalc-{run_mark()}-"
            with tempfile.TemporaryDirectory(prefix=prefix) as folder:
                parts = split_csv(source, options, folder=Path(folder), display=shown)
                if parts is not None:
                    count, loaded_parts = parts
                    # Closed before the parts' folder goes, whatever ends the run: the
                    # thread settling the next part is done with its files.
                    with contextlib.closing(_settled_parts(loaded_parts, options)) as settled:
                        for done, part in enumerate(settled, start=1):
                            _run_part(part, options, consume, summary)
                            if on_progress is not None:
                                on_progress(summary.rows_read, size * done // count, size)
                    return summary
    loaded = load(source, options, display=shown)
    if on_progress is not None:
        on_progress(loaded.parsed.height, size // 2, size)  # read and checked
    _run_part(_settle_part(loaded, options), options, consume, summary)
    if on_progress is not None:
        on_progress(summary.rows_read, size, size)
    return summary


AHEAD = 2
"""Parts settled ahead of the one being written, each in a thread of its own: polars
settles them side by side (a part of 50,000 rows keeps about one core busy) while
Python writes findings."""


def _settled_parts(loaded_parts: Iterator[Loaded], options: Options) -> Generator[_Part]:
    """Each part read, checked and settled, up to :data:`AHEAD` of them in other threads
    while the caller writes this one's findings. At most ``AHEAD + 1`` parts are held at
    a time; the parts come in their order."""
    import itertools
    import threading
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    taking = threading.Lock()  # the parts' generator is advanced by one thread at a time
    numbers = itertools.count()

    def settle_next() -> tuple[int, _Part | None]:
        with taking:
            number, loaded = next(numbers), next(loaded_parts, None)
        return number, None if loaded is None else _settle_part(loaded, options)

    with ThreadPoolExecutor(max_workers=AHEAD, thread_name_prefix="unitcalc-parts") as pool:
        pending: deque[Future[tuple[int, _Part | None]]] = deque(
            pool.submit(settle_next) for _ in range(AHEAD)
        )
        ready: dict[int, _Part | None] = {}
        expected = 0
        while pending:
            number, settled = pending.popleft().result()
            ready[number] = settled
            while expected in ready:  # the parts in their order, whichever thread took them
                part = ready.pop(expected)
                expected += 1
                if part is None:
                    return  # the parts ran out
                pending.append(pool.submit(settle_next))
                yield part


@attrs.frozen(eq=False)
class _Part:
    """One file, or one part of it, settled in columns: what is left is Python's work
    (wording findings, the scalar engine) and adding it to the summary."""

    loaded: Loaded
    rows_read: int
    scattered: bool
    date_formats: frozenset[str]
    invalid_rows: int
    quiet: int
    tally: pl.DataFrame | None
    written: Iterator[tuple[int, Group]]
    by_scalar: pl.DataFrame


def _settle_part(loaded: Loaded, options: Options) -> _Part:
    """The columnar work on one file or part (polars, which leaves the interpreter free
    while it runs: the next part is settled while this one's findings are written)."""
    import polars as pl

    layout, parsed = loaded.layout, loaded.parsed
    keys = key_names(layout)
    grouped = assign_groups(parsed, keys)
    formats = frozenset(grouped.get_column(DATE_FORMAT).drop_nulls().unique().to_list())
    date_column = keys[layout.date_index] if layout.date_index is not None else None
    settled = settle(grouped, options, date_column=date_column)
    groups = settled.groups
    quiet, tally = 0, None
    if options.only_findings and not options.explain:
        quiet = groups.filter(~pl.col("__scalar")).height
        if "provider" in layout.known:
            # As the scalar count: a day with more minutes than a day holds (invalid,
            # not evaluated) adds nothing to its provider's minutes.
            plain = groups.filter(~pl.col("__odd") & pl.col("__problem").is_null()).select(GROUP)
            tally = _tally_frame(settled.rows.join(plain, on=GROUP, how="semi"), options)
        found = groups.filter(pl.col("__scalar") & ~pl.col("__odd"))
        if options.price_columns:
            found = groups.filter(~pl.col("__odd"))  # ok ones too, for their amounts
        scalar = groups.filter(pl.col("__odd")).select(GROUP)
    else:
        found = groups.clear()
        scalar = groups.select(GROUP)
    chosen = grouped.join(scalar, on=GROUP, how="semi").select(GROUP, LINE).sort(GROUP, LINE)
    return _Part(
        loaded=loaded,
        rows_read=grouped.height,
        # The careful reader's rows are the whole file: counted by rows, blank lines apart.
        scattered=scattered(grouped, keys, by_rows=loaded.raw is None),
        date_formats=formats,
        # Rows that cannot be used: unreadable, or a code not counted by the day (unknown,
        # not in force on the date of service, monthly).
        invalid_rows=int(settled.rows.get_column("__unusable").sum()),
        quiet=quiet,
        tally=tally,
        written=_column_findings(found, settled, layout, options, loaded=loaded),
        by_scalar=chosen.group_by(GROUP, maintain_order=True).agg(pl.col(LINE)),
    )


def _run_part(
    part: _Part, options: Options, consume: Callable[[Group], None], summary: Summary
) -> None:
    """Count one settled file, or part of it, into ``summary``."""
    loaded = part.loaded
    summary.layout = loaded.layout
    summary.rows_read += part.rows_read
    summary.blank_lines += loaded.blank_lines
    if part.scattered:
        summary.order = "scattered"
    summary.date_formats = tuple(sorted(part.date_formats | set(summary.date_formats)))
    summary.invalid_rows += part.invalid_rows
    if options.only_findings and not options.explain:
        summary.groups += part.quiet
        if part.quiet:
            summary.counts["ok"] = summary.counts.get("ok", 0) + part.quiet
    if part.tally is not None:
        for who, minutes, billed in part.tally.iter_rows():
            entry = summary.providers.setdefault(who, [0, 0])
            entry[0] += int(minutes)
            entry[1] += int(billed)
    default_rule = get_rule(options.rule).name if options.rule else None
    pending: list[tuple[int, list[int]]] = []
    waiting = 0
    for first_line, group, lines in _merged(part.written, part.by_scalar.iter_rows()):
        if group is not None:
            _evaluate_batch(pending, loaded, options, default_rule, summary, consume)
            pending, waiting = [], 0
            if group.finding is not None:  # else settled ok, counted in part.quiet
                _count(summary, group)
            consume(group)
            continue
        pending.append((first_line, lines))
        waiting += len(lines)
        if waiting >= 20_000:  # rows held as Python objects at a time
            waiting = 0
            _evaluate_batch(pending, loaded, options, default_rule, summary, consume)
            pending = []
    _evaluate_batch(pending, loaded, options, default_rule, summary, consume)


def run_frame(
    raw: pl.DataFrame, layout: Layout, options: Options, consume: Callable[[Group], None]
) -> Summary:
    """Count rows already read: ``raw`` holds the input's columns as text (named as in
    ``layout``) and each row's line number in :data:`~unitcalc.files.read.LINE`. The
    rows may be part of a larger input as long as they hold its groups whole (every row
    of a patient): :mod:`unitcalc.spark` runs the engine this way on each partition.
    ``consume`` gets the groups as :func:`run_groups` hands them; the summary counts
    these rows only (no encoding or delimiter: nothing was read here)."""
    summary = Summary(layout=layout)
    if raw.height == 0:
        return summary
    raw = with_lines(raw.sort(LINE))
    parsed = check_frame(raw, layout, options)
    loaded = Loaded(layout, parsed, raw, {}, options)
    _run_part(_settle_part(loaded, options), options, consume, summary)
    return summary


def split_csv(
    path: Path, options: Options, *, folder: Path, display: str
) -> tuple[int, Iterator[Loaded]] | None:
    """A large plain CSV file in parts, each with whole patients (rows hashed by the
    first key column), written to ``folder`` by polars' streaming engine: how many, and
    each loaded in turn; None when the file needs the careful reader."""
    import polars as pl

    delimiter = options.delimiter  # settled by resolve()
    if delimiter is None or detect_format(path, options.input_format) != "csv":
        return None
    if text_encoding(options.encoding or "utf-8", display=display) != "utf-8":
        return None
    shape = csv_lines(path, delimiter)
    if shape is None:
        return None
    layout = Layout.of(shape[0], options, display=display, open_ended=False)
    if not layout.key_columns:
        return None
    # Parts of about 2 MB (50,000 rows) up to 64 of them, larger beyond (the split
    # writes a file per part and chunk: their number stays bounded).
    parts = min(max(2, path.stat().st_size // (2 << 20)), 64)
    files = csv_parts(path, delimiter, shape, layout.key_columns[0], folder=folder, parts=parts)
    if files is None:
        return None

    def loaded() -> Iterator[Loaded]:
        for part in files:
            raw = with_lines(pl.concat([pl.read_ipc(file) for file in part]))
            parsed = check_frame(raw, layout, options, display=display)
            yield Loaded(layout, parsed, raw, {}, options)

    return len(files), loaded()


def _merged(
    written: Iterator[tuple[int, Group]], by_scalar: Iterator[tuple[int, list[int]]]
) -> Iterator[tuple[int, Group | None, list[int]]]:
    """Groups found in columns and groups for the scalar engine (their lines), in file
    order of their first lines."""
    import heapq

    found: Iterator[tuple[int, Group | None, list[int]]] = (
        (first, group, []) for first, group in written
    )
    scalar: Iterator[tuple[int, Group | None, list[int]]] = (
        (first, None, lines) for first, lines in by_scalar
    )
    return heapq.merge(found, scalar, key=lambda entry: entry[0])


class _Spans:
    """A frame sorted by group, as one Python list per column, and the span of rows
    each group holds: a group's values are slices, with no object built per row."""

    def __init__(self, frame: pl.DataFrame, names: Sequence[str]) -> None:
        self.values: dict[str, list[Any]] = {
            name: frame.get_column(name).to_list() for name in names
        }
        runs = frame.get_column(GROUP).rle()
        self.spans: dict[int, tuple[int, int]] = {}
        start = 0
        for length, group_id in zip(
            runs.struct.field("len").to_list(), runs.struct.field("value").to_list(), strict=True
        ):
            self.spans[group_id] = (start, start + length)
            start += length

    def of(self, group_id: int, names: Sequence[str] | None = None) -> dict[str, list[Any]]:
        """The group's values, column by column (those of ``names``, else every one)."""
        start, stop = self.spans[group_id]
        if names is not None:
            return {name: self.values[name][start:stop] for name in names}
        return {name: values[start:stop] for name, values in self.values.items()}


def _column_findings(
    found: pl.DataFrame,
    settled: Settled,
    layout: Layout,
    options: Options,
    *,
    loaded: Loaded | None = None,
) -> Iterator[tuple[int, Group]]:
    """Findings of the groups settled in columns that are not ok or trip an edit, built
    from their items and rows: the text only for them, no step-by-step explanation
    (``--explain`` asks the scalar engine for it). With ``options.price_columns`` each
    group carries its rows for the fee pricer (read from ``loaded``), and ``found`` may
    hold groups settled ok: they come without a finding."""
    if found.height == 0:
        return iter(())
    wording = _Wording(options)
    if not options.price_columns:
        return _worded_part(found, settled, layout, options, wording, loaded)
    # Priced, nearly every group comes through here: their rows are made Python values
    # a slice of groups at a time (the first one now, the others as they are reached),
    # so that memory stays as without fees.
    size = PRICED_GROUPS
    first = _worded_part(found.slice(0, size), settled, layout, options, wording, loaded)

    def chained() -> Iterator[tuple[int, Group]]:
        yield from first
        for start in range(size, found.height, size):
            part = found.slice(start, size)
            yield from _worded_part(part, settled, layout, options, wording, loaded)

    return chained()


PRICED_GROUPS = 5_000
"""With fees, how many groups settled in columns are made Python values at a time."""


def _worded_part(
    found: pl.DataFrame,
    settled: Settled,
    layout: Layout,
    options: Options,
    wording: _Wording,
    loaded: Loaded | None,
) -> Iterator[tuple[int, Group]]:
    """:func:`_column_findings` of some of the groups (``found``)."""
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
    items = settled.items.join(wanted, on=GROUP, how="semi").sort(GROUP, "__first")
    row_spans = _Spans(
        rows, [LINE, END, CODE, DISCIPLINE, MINUTES, BILLED, RULE, PAYER, "__twice", *names]
    )
    who = pl.col(PROVIDER).fill_null("").str.strip_chars()
    providers_of: dict[int, list[str]] = dict(
        rows.group_by(GROUP).agg(who.filter(who != "").unique(maintain_order=True)).iter_rows()
    )
    item_spans = _Spans(
        items,
        ["pool", CODE, "minutes", "billed", "unit_minutes", "__kind", "__first", "allowed",
         "__zero", "base", "tied"],
    )  # fmt: skip
    columns = found.select(
        GROUP, "__status", "__counting", "__tie", "__allowed", "__billed", "__problem",
        "__long_code", "__edits", "__scalar",
    )  # fmt: skip
    pricing = None
    quiet_names = [LINE, CODE, BILLED, DISCIPLINE, PAYER, *names]
    if options.price_columns:
        assert loaded is not None
        pricing = _PriceSpans(rows, row_spans, loaded, options)

    def worded() -> Iterator[tuple[int, Group]]:
        for (
            group_id,
            status,
            rule_name,
            tie,
            allowed_total,
            billed_total,
            problem,
            code,
            edits,
            flagged,
        ) in columns.iter_rows():
            # A group settled ok is handed on for its amounts only: its pricing columns.
            group_rows = row_spans.of(group_id, None if flagged else quiet_names)
            key = tuple(group_rows[name][0] for name in names)
            providers = tuple(providers_of[group_id])
            payer = group_rows[PAYER][0] or ""
            priced = (
                pricing.of(group_id, group_rows, settled_ok=not flagged)
                if pricing is not None
                else None
            )
            if not flagged:
                yield (
                    group_id,
                    Group(key, layout, (), None, (), providers=providers, payer=payer,
                          priced=priced),
                )  # fmt: skip
                continue
            if problem is not None:
                finding = _invalid_of(key, problem, code, group_rows, options)
            else:
                finding = wording.finding(
                    key,
                    status,
                    RULES[rule_name],
                    bool(tie),
                    int(allowed_total),
                    int(billed_total),
                    item_spans.of(group_id),
                    group_rows,
                    edits=bool(edits),
                )
            yield (
                group_id,
                Group(
                    key,
                    layout,
                    (),
                    None,
                    (),
                    finding=finding,
                    providers=providers,
                    payer=payer,
                    priced=priced,
                ),
            )

    return worded()


class _PriceSpans:
    """The raw values the fee pricer reads (:func:`price_columns`) for the rows of
    ``rows`` (sorted by group and line, as ``spans``), one list per column."""

    def __init__(self, rows: pl.DataFrame, spans: _Spans, loaded: Loaded, options: Options) -> None:
        self.spans = spans
        self.profiles = options.profiles
        wanted = price_columns(loaded.layout)
        lines = rows.get_column(LINE)
        self.values: list[Mapping[str, Any]]
        if loaded.raw is not None:
            present = [name for name in wanted if name in loaded.raw.columns]
            picked = (
                rows.select(LINE)
                .join(loaded.raw.select(LINE, *present), on=LINE, how="left", maintain_order="left")
                .select(present)
            )
            lists = [picked.get_column(name).to_list() for name in present]
            self.values = (
                [dict(zip(present, each, strict=True)) for each in zip(*lists, strict=True)]
                if present
                else [{} for _ in range(rows.height)]
            )
        else:
            records = loaded.records
            self.values = [
                {name: values[name] for name in wanted if name in values}
                for values in (records[line].values for line in lines.to_list())
            ]

    def of(
        self, group_id: int, group_rows: Mapping[str, Sequence[Any]], *, settled_ok: bool
    ) -> Priced:
        """The group's rows for the pricer; ``settled_ok``: with the units allowed per
        code, those billed (a group settled ok is allowed what it bills)."""
        start, stop = self.spans.spans[group_id]
        payer = group_rows[PAYER][0]
        rows = tuple(
            PriceRow(line, code, billed, discipline, values)
            for line, code, billed, discipline, values in zip(
                group_rows[LINE],
                group_rows[CODE],
                group_rows[BILLED],
                group_rows[DISCIPLINE],
                self.values[start:stop],
                strict=True,
            )
            if billed is not None  # as the scalar pricer: a row billing nothing is left out
        )
        allowed: dict[str, int] | None = None
        if settled_ok:
            allowed = {}
            for row in rows:
                allowed[row.code] = allowed.get(row.code, 0) + row.billed
        return Priced(rows, self.values[start], self.profiles[payer] if payer else None, allowed)


_LABEL = {0: None, 1: "PT", 2: "OT", 3: "SLP"}


def _identical_rows(rows: Mapping[str, Sequence[Any]]) -> tuple[Note, ...]:
    """Rows entered twice, as the columns parsed them."""
    if not any(rows["__twice"]):
        return ()
    return tuple(
        _identical(
            zip(
                rows[LINE],
                zip(rows[CODE], rows[MINUTES], rows[DISCIPLINE], rows[BILLED], strict=True),
                strict=True,
            )
        )
    )


def _all_lines(rows: Mapping[str, Sequence[Any]]) -> tuple[int, ...]:
    """Every physical line of the group's rows (a record may span several)."""
    if rows[LINE] == rows[END]:
        return tuple(rows[LINE])
    return tuple(
        line
        for first, last in zip(rows[LINE], rows[END], strict=True)
        for line in range(first, last + 1)
    )


def _invalid_of(
    key: tuple[str, ...],
    problem: str,
    code: str,
    rows: Mapping[str, Sequence[Any]],
    options: Options,
) -> Finding:
    """The finding of a day with more minutes than a day holds, worded as the scalar
    engine words it (the lines of the code at fault, then the problem)."""
    error = _at_lines(
        [line for line, other in zip(rows[LINE], rows[CODE], strict=True) if other == code],
        problem,
    )
    payer = rows[PAYER][0]
    rule = options.profiles[payer].rule if payer else rows[RULE][0]
    finding = invalid_finding(" / ".join(key), rule, (error,), _all_lines(rows))
    return attrs.evolve(finding, warnings=_identical_rows(rows))


class _Wording:
    """Findings worded from columns as :func:`unitcalc.engine.audit.check` words them. What
    depends only on a pool's minutes (the rule's warnings) is worded once per distinct
    pool and reused: files repeat the same visits many times."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.table = options.codes if options.codes is not None else CodeTable.default()
        self.preference = {code: rank for rank, code in enumerate(options.tie_preference or ())}
        self.warned: dict[Hashable, tuple[Note, ...]] = {}

    def pool_warnings(
        self,
        counting: Rule,
        label: str | None,
        timed: tuple[tuple[str, int, int], ...],
    ) -> tuple[Note, ...]:
        """The rule's warnings for one pool's timed items: (code, minutes, unit minutes)
        each, in order of first line (their rank in the pool orders ties as the first
        lines would)."""
        from ..rules import TimedItem

        preference = self.preference
        key = (counting.name, label, timed)
        found = self.warned.get(key)
        if found is None:
            allocation = counting.allocate(
                [
                    TimedItem(
                        name=code,
                        minutes=minutes,
                        unit_minutes=unit,
                        rank=(preference.get(code, len(preference)), -minutes, order),
                    )
                    for order, (code, minutes, unit) in enumerate(timed)
                ],
                pool=label,
            )
            found = allocation.warnings
            if len(self.warned) >= 100_000:
                self.warned.clear()
            self.warned[key] = found
        return found

    def finding(
        self,
        key: tuple[str, ...],
        status: str,
        counting: Rule,
        tie: bool,
        allowed_total: int,
        billed_total: int,
        items: Mapping[str, Sequence[Any]],
        rows: Mapping[str, Sequence[Any]],
        *,
        edits: bool,
    ) -> Finding:
        """One group's finding from its columns: ``items`` per code and pool in order of
        first line, ``rows`` in line order; ``edits`` whether any edit trips."""
        from ..engine.audit import _by_code, _message
        from ..engine.edits import check_edits

        pools: dict[int, list[int]] = {}
        for index, pool in enumerate(items["pool"]):
            pools.setdefault(pool, []).append(index)
        codes, kinds, minutes = items[CODE], items["__kind"], items["minutes"]
        order = dict.fromkeys(rows[CODE])
        allowed_lines: dict[tuple[str, str | None], int] = {}
        billed_lines: dict[tuple[str, str | None], int] = {}
        notes: list[Note] = []
        warnings: list[Note] = []
        several = len(pools) > 1
        for pool, members in pools.items():
            label = _LABEL[pool % 4]
            timed = [i for i in members if kinds[i] == "timed"]
            for i in [*timed, *(i for i in members if kinds[i] != "timed")]:
                allowed_lines[(codes[i], label)] = items["allowed"][i]
                billed_lines[(codes[i], label)] = items["billed"][i]
            for i in members:
                note = self.table.codes[codes[i]].rule_notes.get(counting.name)
                if note:
                    notes.append(rule_note(codes[i], note))
            for i in members:
                if kinds[i] != "timed" and minutes[i] == 0 and items["__zero"][i]:
                    warnings.append(untimed_without_minutes(codes[i]))
            if timed and counting.may_warn(
                [minutes[i] for i in timed],
                [items["base"][i] for i in timed],
                tied=any(items["tied"][i] for i in timed),
            ):
                # Items come sorted by first line (the frame is sorted so): timed too.
                warnings.extend(
                    self.pool_warnings(
                        counting,
                        label or ("no discipline" if several else None),
                        tuple((codes[i], minutes[i], items["unit_minutes"][i]) for i in timed),
                    )
                )
        shown = {line: billed_lines.get(line, 0) for line in allowed_lines} | billed_lines
        message = _message(
            status,  # type: ignore[arg-type]
            counting.name,
            shown,
            allowed_lines,
            billed_total,
            allowed_total,
            tie or None,
        )
        found_edits: tuple[str, ...] = ()
        if edits:
            found_edits = tuple(
                note.text
                for note in check_edits(
                    zip(
                        rows[CODE],
                        rows[DISCIPLINE],
                        (units or 0 for units in rows[BILLED]),
                        strict=True,
                    ),
                    mue=self.options.mue,
                )
            )
        warnings.extend(_identical_rows(rows))
        return Finding(
            group=" / ".join(key),
            status=status,  # type: ignore[arg-type]
            rule=counting.name,
            billed=_by_code(billed_lines, order=order),  # type: ignore[arg-type]
            allowed=_by_code(allowed_lines, order=order),  # type: ignore[arg-type]
            difference=billed_total - allowed_total,
            message=message,
            lines=_all_lines(rows),
            edits=found_edits,
            warnings=(*notes, *warnings),
        )


def _evaluate_batch(
    batch: Sequence[tuple[int, list[int]]],
    loaded: Loaded,
    options: Options,
    default_rule: str | None,
    summary: Summary,
    consume: Callable[[Group], None],
) -> None:
    if not batch:
        return
    wanted = [line for _, lines in batch for line in lines]
    records = loaded.record_rows(wanted)
    layout = loaded.layout
    parsed = loaded.parsed_rows(wanted)
    assistant = 0 if "assistant_minutes" in layout.known else None

    def row_of(line: int) -> Row:
        values = parsed[line]
        if values[CHECKED]:
            return layout.check(records[line], options, default_rule)
        # A row of plain values, parsed in columns: built without parsing it again.
        key = tuple(values[name] for name in key_names(layout))
        service = ServiceLine(
            values[CODE],
            values[MINUTES],
            discipline=values[DISCIPLINE],
            assistant_minutes=assistant,
        )
        payer = options.profiles[values[PAYER]] if values[PAYER] else None
        return Row(
            records[line],
            key or None,
            service,
            values[BILLED],
            values[RULE],
            None,
            payer,
            values[DATE_FORMAT],
        )

    for _, lines in batch:
        rows = [row_of(line) for line in lines]
        key = rows[0].key if len(rows) > 1 or rows[0].key is not None else None
        group = _evaluate_group(key, layout, rows, options)
        _count(summary, group)
        consume(group)


def _tally_frame(rows: pl.DataFrame, options: Options) -> pl.DataFrame:
    """Providers' timed minutes and billed units over rows of groups settled ok: one
    row per provider."""
    import polars as pl

    table = options.codes if options.codes is not None else CodeTable.default()
    timed = [info.code for info in table if info.timed]
    return (
        rows.filter(pl.col(CODE).is_in(timed))
        .with_columns(
            pl.col(PROVIDER).fill_null("").str.strip_chars().replace("", "(none)").alias("__who")
        )
        .group_by("__who", maintain_order=True)
        .agg(pl.col(MINUTES).fill_null(0).sum(), pl.col(BILLED).fill_null(0).sum())
    )
