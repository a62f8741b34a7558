"""The groups the columns cannot count, evaluated one by one by the one-visit engine.

A :class:`Group` holds one group's rows and its outcome. The columnar pipeline
(:mod:`.settle`) hands here the groups it marks odd (an unreadable row, an add-on family,
assistant minutes, rules that differ within the day ...), and every group when every
group is listed or explained: each is counted by :func:`unitcalc.engine.count.count`
under its rows' terms and audited by :func:`unitcalc.engine.audit.check`, its claim
lines' assistant modifiers checked too. A problem becomes an ``invalid`` finding naming
the lines it is about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import attrs

from ..core.errors import UnitcalcError
from ..core.model import Note, ServiceLine
from ..core.values import parse_date_of_service
from ..engine.audit import Finding, check
from ..engine.count import count
from ..engine.edits import check_edits
from ..engine.items import Evaluation
from ..engine.month_result import MonthResult
from ..engine.payers import PayerProfile
from ..engine.ptp import ClaimLine
from ..engine.settings import Counting, Settings
from ..engine.wording import at_lines, identical_notes, invalid_message
from ..rules import DEFAULT_RULE
from .check import (
    ASSISTANT,
    BILLED,
    CODE,
    DATE_FORMAT,
    DISCIPLINE,
    MINUTES,
    PAYER,
    RULE,
    Row,
    key_names,
    modifiers_text,
)
from .layout import Layout
from .load import Loaded
from .options import Options
from .read import ERROR
from .summary import Summary

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


class Rendered(NamedTuple):
    """A run of findings written by the columns, in file order (:mod:`.rendered`)."""

    texts: list[str]
    counts: dict[str, int]
    """How many of them have each status."""


@attrs.frozen(eq=False)
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
    month: MonthResult | None = None
    """A patient's month of remote therapeutic monitoring, counted (:mod:`.months`)."""
    settled_lines: tuple[tuple[int, str | None, int | None], ...] = ()
    rendered: Rendered | None = None
    """Findings written by the columns (``Options.rendered``), a run of them in file
    order, which the writer writes as they are; such a group carries nothing else."""
    """A flagged group settled in columns (its rows not kept): its input lines, each
    line's number, code and units billed (:attr:`billed_lines`)."""

    @property
    def billed_lines(self) -> tuple[tuple[int, str | None, int | None], ...]:
        """The group's input lines: each line's number, its code (as parsed; as written
        when it could not be parsed) and the units billed on it."""
        if not self.rows:
            return self.settled_lines
        column = self.layout.known.get("code")
        lines = []
        for row in self.rows:
            code = row.service.code if row.service is not None else None
            if code is None and column is not None:
                code = str(row.record.values.get(column) or "") or None
            lines.append((row.record.line, code, row.billed))
        return tuple(lines)

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

    def pool_of(self, row: Row) -> str | None:
        """The discipline pool the row's service was counted in (``None``: the whole day,
        or lines without a discipline): a line without one was counted in the day's one
        named discipline, and is looked up there."""
        assert self.evaluation is not None
        assert row.service is not None
        if self.evaluation.pooling != "discipline":
            return None
        discipline = row.service.discipline
        if discipline is None:
            homes = {
                pool.discipline
                for pool in self.evaluation.pools
                if row.service.code in pool.untimed
                or any(code == row.service.code for members in pool.members for code, _ in members)
            }
            if len(homes) == 1:
                discipline = homes.pop()
        return discipline

    def audit(self, settings: Settings | None = None, *, modifiers: bool = True) -> Finding:
        """The audit of this group against its billed units, with the edits of
        ``settings`` (its MUE and PTP tables); ``modifiers``: the modifiers billed are
        checked (when the file has them)."""
        if self.evaluation is None:
            first = self.rows[0]
            rule = first.payer.rule if first.payer else first.rule
            return invalid_finding(self.name, rule, self.errors, self.lines)
        billed: dict[tuple[str, str | None], int] = {}
        claim_lines = []
        for row in self.rows:
            assert row.service is not None
            assert row.billed is not None
            key = (row.service.code, self.pool_of(row))
            billed[key] = billed.get(key, 0) + row.billed
            claim_lines.append(claim_line(row, self.layout, row.billed or 0))
        date = parse_date_of_service(_date_of(self.key, self.layout))
        finding = check(
            self.evaluation,
            billed,
            group=self.name,
            lines=self.lines,
            mue=settings.mue if settings else None,
            claim_lines=claim_lines,
            ptp=settings.ptp if settings else None,
            ptp_on=(date, settings.ptp_modifier_on if settings else "either"),
            modifier_codes=settings.codes
            if settings and modifiers and "modifiers" in self.layout.known
            else None,
        )
        edits = self._modifier_edits() if modifiers else ()
        if edits:
            finding = attrs.evolve(finding, edits=(*finding.edits, *edits))
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
            found.extend(
                f"Modifier: {finding.message}"
                for finding in findings
                # With a modifiers column every line's pairing is checked as an edit
                # (unitcalc.engine.therapy_modifiers), assistant minutes or not.
                if finding.kind != "unpaired-modifier"
            )
        return tuple(found)


def _evaluate_group(
    key: tuple[str, ...] | None, layout: Layout, rows: Sequence[Row], options: Options
) -> Group:
    errors = [f"line {row.record.line}: {row.error}" for row in rows if row.error]
    if not errors:
        terms = {(row.rule or DEFAULT_RULE, row.payer.name if row.payer else None) for row in rows}
        if len(terms) > 1:
            errors.append(
                "rows of this group name different rules or payers ("
                + ", ".join(f"{_terms(row)} on line {row.record.line}" for row in rows)
                + "); a patient's day is counted under one rule"
            )
    if errors:
        return _finish(Group(key, layout, tuple(rows), None, tuple(errors)), options)
    try:
        counting = options.settings.resolve(
            payer=rows[0].payer, rule=rows[0].rule, date_of_service=_date_of(key, layout)
        )
        evaluation = count([row.service for row in rows if row.service is not None], counting)
        if counting.settings.ptp is not None and {"modifiers", "provider"} & set(layout.known):
            evaluation = _as_claimed(evaluation, rows, layout, counting)
    except UnitcalcError as exc:
        code = getattr(exc, "code", None)
        where = [row.record.line for row in rows if row.service and row.service.code == code]
        problem = at_lines(where or [row.record.line for row in rows], exc.worded(options.spelling))
        return _finish(Group(key, layout, tuple(rows), None, (problem,)), options)
    return _finish(Group(key, layout, tuple(rows), evaluation, ()), options)


def _as_claimed(
    evaluation: Evaluation, rows: Sequence[Row], layout: Layout, counting: Counting
) -> Evaluation:
    """The evaluation with its PTP edits read from the rows as claimed: each row's
    modifiers (an indicator 1 edit bypassed by 59 or an X modifier) and provider (a pair
    is one provider's), a code billed when it counts units, as the audit reads its
    rows' billed units."""
    result = evaluation.result
    claimed = [
        claim_line(row, layout, result.units.get(row.service.code, 0))
        for row in rows
        if row.service is not None
    ]
    notes = tuple(
        check_edits(
            result.lines,
            mue=counting.mue,
            ptp=counting.settings.ptp,
            date_of_service=counting.date_of_service,
            modifier_on=counting.settings.ptp_modifier_on,
            ptp_lines=claimed,
        )
    )
    old = set(result.edits)
    warnings = [note for note in result.warnings if note.kind != "edit" or note.text not in old]
    result = attrs.evolve(
        result, warnings=(*warnings, *notes), edits=tuple(note.text for note in notes)
    )
    return attrs.evolve(evaluation, result=result)


def claim_line(row: Row, layout: Layout, units: int) -> ClaimLine:
    """A row as a claim line of ``units``: its code, discipline, modifiers and provider."""
    assert row.service is not None
    known, values = layout.known, row.record.values
    modifiers = values.get(known["modifiers"]) if "modifiers" in known else None
    provider = values.get(known["provider"]) if "provider" in known else None
    return ClaimLine(
        row.service.code,
        row.service.discipline,
        units,
        modifiers_text(modifiers),
        str(provider or ""),
    )


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
        message=invalid_message(errors),
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
    finding = group.audit(options.settings, modifiers=options.runs("modifiers"))
    if notes:
        finding = attrs.evolve(finding, warnings=(*finding.warnings, *notes))
    return attrs.evolve(group, finding=finding)


def _duplicate_notes(rows: Sequence[Row]) -> Iterator[Note]:
    """Rows entered twice, as the scalar checker read them."""
    return identical_notes(
        (row.record.line, (row.service, row.billed)) for row in rows if row.service is not None
    )


def _terms(row: Row) -> str:
    if row.payer is not None:
        return f"payer {row.payer.name}"
    return row.rule or f"{DEFAULT_RULE} (the default rule)"


def count_group(summary: Summary, group: Group) -> None:
    """Add one group to the summary: its status, edits and providers' minutes."""
    if group.rendered is not None:  # no edit: such groups are not written so
        for status, count in group.rendered.counts.items():
            summary.groups += count
            summary.counts[status] = summary.counts.get(status, 0) + count
        return
    if group.finding is not None:
        status = group.finding.status
        summary.edits += bool(group.finding.edits)
    else:
        counted = group.evaluation is not None or group.month is not None
        status = "ok" if counted else "invalid"
    summary.count(status)
    column = group.layout.known.get("provider")
    if column is None or group.evaluation is None or group.finding is None:
        return
    timed = {line.code for line in group.evaluation.result.lines if line.timed}
    index = group.layout.date_index
    date = group.key[index] if group.key is not None and index is not None else None
    for row in group.rows:
        if row.service is None or row.service.code not in timed:
            continue
        provider = str(row.record.values.get(column) or "")
        summary.tally(provider, row.service.minutes or 0, row.billed or 0, date)


def evaluate_batch(
    batch: Sequence[tuple[int, list[int]]],
    loaded: Loaded,
    options: Options,
    summary: Summary,
    consume: Callable[[Group], None],
) -> None:
    """Evaluate groups one by one (each given by its lines), count them into the summary
    and hand them on. Each row is built from the columns it was parsed into
    (:mod:`.check`), never parsed again."""
    if not batch:
        return
    wanted = [line for _, lines in batch for line in lines]
    records = loaded.record_rows(wanted)
    layout = loaded.layout
    parsed = loaded.parsed_rows(wanted)
    names = key_names(layout)

    def row_of(line: int) -> Row:
        values = parsed[line]
        parts = tuple(values[name] for name in names)
        key = parts if parts and all(part is not None for part in parts) else None
        if values[ERROR] is not None:
            return Row(records[line], key, None, None, None, values[ERROR])
        service = ServiceLine(
            values[CODE],
            values[MINUTES],
            discipline=values[DISCIPLINE],
            assistant_minutes=values[ASSISTANT],
        )
        payer = options.profiles[values[PAYER]] if values[PAYER] else None
        return Row(
            records[line], key, service, values[BILLED], values[RULE], None, payer,
            values[DATE_FORMAT],
        )  # fmt: skip

    for _, lines in batch:
        rows = [row_of(line) for line in lines]
        key = rows[0].key if len(rows) > 1 or rows[0].key is not None else None
        group = _evaluate_group(key, layout, rows, options)
        count_group(summary, group)
        consume(group)
