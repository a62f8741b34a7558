"""A run over a visit file: read, settle in columns, word, and hand each group on.

A row travels: the file is read and checked (:mod:`.load`), rows are grouped into patient
days (:mod:`.group`), every group is settled in columns (:mod:`.settle`), the findings of
those that need one are worded from their columns (:mod:`.word`), and the groups the
columns cannot count are evaluated one by one by the one-visit engine (:mod:`.evaluate`);
each group goes to the caller's ``consume`` (a writer, the pricer) in file order of its
first line, and the summary adds everything up (:mod:`.summary`). A large CSV file is
counted in parts, each holding whole patients, settled two ahead in other threads while
this one's findings are written.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ..core.codes import CodeTable
from ..core.encodings import Source, text_encoding
from ..core.errors import FileProblem, Mention, message_of
from ..core.mue import MueTable
from ..core.ptp import PtpTable
from ..engine.audit import Finding
from ..engine.monthly import MonthOptions
from ..engine.payers import PayerProfile
from ..engine.providers import added_days, tally_days
from ..engine.ptp import ModifierPlacement
from ..engine.settings import Pooling
from ..rules import Rule, RuleName
from .beside import in_file_order, ok_lines_of, tally_frames
from .check import (
    DATE_FORMAT,
    check_frame,
    key_names,
    payer_profile,
)
from .checks import chosen_summary
from .columnar import csv_lines, with_lines
from .detect import detect_format
from .episodes import PartChecks, part_checks
from .evaluate import Group, count_group, evaluate_batch
from .group import GROUP, assign_groups, scattered
from .layout import Layout
from .leftovers import remove_stale, run_mark
from .load import Loaded, load, readable, resolve
from .months import settle_months, split_months
from .options import InputFormat, Options
from .patterns import Patterns, part_patterns
from .price_frame import priced_part
from .read import END, ERROR, LINE
from .settle import settle
from .split import csv_parts
from .summary import Summary
from .word import column_findings

if TYPE_CHECKING:
    import polars as pl


def iter_findings(
    path: str | Path,
    rule: RuleName | Rule | None = None,
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
    ptp: PtpTable | None = None,
    ptp_modifier_on: ModifierPlacement = "either",
    delimiter: str | None = None,
    columns: Mapping[str, str] | None = None,
    month: MonthOptions | None = None,
) -> Iterator[Finding]:
    """Audit a visit file and yield one :class:`~unitcalc.Finding` per group,
    ``ok`` ones included. Findings come after the whole file was read, so that a file
    whose groups turn out to be scattered is still counted right; they wait in a
    temporary file, not in memory. ``payer`` names the profile (from ``profiles``) for
    rows without a ``payer`` column value. ``encoding=None`` detects the encoding; the
    delimiter is detected unless given; ``columns`` maps roles to headers (role ->
    header, as ``--columns``). Rows of remote therapeutic monitoring codes are audited by
    patient and calendar month (``month``: the options where the sources leave a choice).
    ``ptp`` holds NCCI procedure-to-procedure edits to check each group's claim lines
    against, ``ptp_modifier_on`` where a modifier bypasses an indicator 1 edit.
    """
    options = Options.of(
        delimiter=delimiter,
        columns=dict(columns or {}),
        rule=rule,
        group_by=group_columns(group_by),
        input_format=input_format,
        encoding=encoding,
        pooling=pooling,
        tie_preference=tie_preference,
        codes=codes,
        payer=payer,
        profiles=dict(profiles or {}),
        profiles_path=profiles_path,
        mue=mue,
        ptp=ptp,
        ptp_modifier_on=ptp_modifier_on,
        month=month or MonthOptions(),
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
    given: Source = path if isinstance(path, bytes) else Path(path)
    with readable(given, shown) as source:
        summary = _run_source(source, options, consume, on_progress, shown, partition_bytes)
    return chosen_summary(summary, options)


def _run_source(
    source: Source,
    options: Options,
    consume: Callable[[Group], None],
    on_progress: Callable[[int, int, int], None] | None,
    shown: str,
    partition_bytes: int,
) -> Summary:
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
                    days: list[pl.DataFrame] = []  # the parts' provider days, added below
                    with contextlib.closing(_settled_parts(loaded_parts, options)) as settled:
                        for done, part in enumerate(settled, start=1):
                            summary += _run_part(part, options, consume, days=False)
                            if part.days is not None:
                                days.append(part.days)  # added 16 parts at a time:
                                if len(days) == 16:  # few polars calls, little memory
                                    days = [added_days(days)]
                            if on_progress is not None:
                                on_progress(summary.rows_read, size * done // count, size)
                    if days:
                        tally_days(summary.days, added_days(days))
                    return summary
    loaded = load(source, options, display=shown)
    if on_progress is not None:
        on_progress(loaded.parsed.height, size // 2, size)  # read and checked
    summary += _run_part(_settle_part(loaded, options), options, consume)
    if on_progress is not None:
        on_progress(summary.rows_read, size, size)
    return summary


AHEAD = 3
"""Parts settled ahead of the one being written, each in a thread: polars settles them
side by side while Python writes findings; three keep both cores busier than two as
parts of uneven cost finish (docs/performance.md)."""


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
    days: pl.DataFrame | None
    """Per provider and date of service: the timed minutes of the groups settled ok."""
    written: Iterator[tuple[int, Group]]
    by_scalar: pl.DataFrame
    months: list[tuple[int, Group]]
    """The patients' month groups (remote therapeutic monitoring), in file order."""
    patterns: Patterns
    """Patterns across groups (every month of a year, claims billed twice)."""
    quiet_months: int
    """Month groups settled ok and not handed on."""
    checks: PartChecks | None = None
    """Episode facts and visit time findings (:mod:`.episodes`)."""
    priced: Sequence[Callable[[], None]] = ()
    """Add the amounts of the groups priced in columns (with ``Options.column_pricer``)
    to the pricer's, in turn: those settled ok, then the findings the columns write."""
    ok_lines: pl.DataFrame | None = None
    """With ``Options.claim_lines``: the input lines of the groups settled ok."""


def _settle_part(loaded: Loaded, options: Options) -> _Part:
    """The columnar work on one file or part (polars, which leaves the interpreter free
    while it runs: the next part is settled while this one's findings are written)."""
    import polars as pl

    layout, parsed = loaded.layout, loaded.parsed
    keys = key_names(layout)
    formats = frozenset(parsed.get_column(DATE_FORMAT).drop_nulls().unique().to_list())
    by_day, by_month = split_months(parsed, layout.date_index)
    months = settle_months(by_month, loaded, options)
    grouped = assign_groups(by_day, keys)
    date_column = keys[layout.date_index] if layout.date_index is not None else None
    settled = settle(
        grouped,
        options,
        date_column=date_column,
        modifiers="modifiers" in layout.known and options.runs("modifiers"),
    )
    groups = settled.groups
    quiet, tally, days, ok_lines, prices = 0, None, None, None, None
    priced: list[Callable[[], None]] = []  # adding the prices of the groups priced here
    if options.only_findings and not options.explain:
        quiet = groups.filter(~pl.col("__scalar")).height
        if "provider" in layout.known:
            # As the scalar count: a day with more minutes than a day holds (invalid,
            # not evaluated) adds nothing to its provider's minutes.
            plain = groups.filter(~pl.col("__odd") & pl.col("__problem").is_null()).select(GROUP)
            day_column = date_column if options.runs("patterns") else None
            tally, days = tally_frames(settled.rows.join(plain, on=GROUP, how="semi"), options,
                                       day_column)  # fmt: skip
        found = groups.filter(pl.col("__scalar") & ~pl.col("__odd"))
        if options.claim_lines is not None:
            ok_lines = ok_lines_of(settled, keys)
        pricer, raw = options.column_pricer, loaded.raw
        if options.price_columns and pricer is not None and raw is not None:
            # The groups settled in columns are priced here, all at once: those settled
            # ok added now, the findings' as the columns write them (column_findings).
            rendering = options.rendered is not None  # the columns write findings
            prices, add = priced_part(
                groups, settled, raw, layout, options.profiles, pricer, findings=rendering
            )
            priced.append(add)
        elif options.price_columns:
            found = groups.filter(~pl.col("__odd"))  # ok ones too, for their amounts
        scalar = groups.filter(pl.col("__odd")).select(GROUP)
    else:
        found = groups.clear()
        scalar = groups.select(GROUP)
    chosen = grouped.join(scalar, on=GROUP, how="semi").select(GROUP, LINE).sort(GROUP, LINE)
    # The first lines of the groups handed on beside those found in columns.
    barriers = sorted([*scalar.get_column(GROUP).to_list(), *(first for first, _ in months.groups)])
    written = column_findings(found, settled, layout, options, loaded=loaded,
                              barriers=barriers, prices=prices, added=priced)  # fmt: skip
    return _Part(
        loaded=loaded,
        rows_read=grouped.height + months.rows,
        # The careful reader's rows are the whole file: counted by rows, blank lines apart.
        scattered=scattered(grouped, keys, by_rows=loaded.raw is None),
        date_formats=formats,
        # Rows that cannot be used: unreadable, or a code not counted by the day (unknown,
        # not in force on the date of service, monthly).
        invalid_rows=int(settled.rows.get_column("__unusable").sum()) + months.unusable,
        quiet=quiet,
        tally=tally,
        days=days,
        written=written,
        by_scalar=chosen.group_by(GROUP, maintain_order=True).agg(pl.col(LINE)),
        months=months.groups,
        patterns=part_patterns(loaded)
        if options.need_billed and options.runs("patterns")
        else Patterns(),
        quiet_months=months.quiet,
        checks=part_checks(loaded, options),
        priced=priced,
        ok_lines=ok_lines,
    )


def _run_part(
    part: _Part, options: Options, consume: Callable[[Group], None], *, days: bool = True
) -> Summary:
    """Hand on the groups of one settled file, or part of it, in file order, and give
    its summary; ``days``: with the providers' days of the groups settled ok (else the
    caller adds ``part.days`` up)."""
    loaded = part.loaded
    for add in part.priced:
        add()
    if part.ok_lines is not None and options.claim_lines is not None:
        options.claim_lines(part.ok_lines)
    summary = Summary(
        layout=loaded.layout,
        rows_read=part.rows_read,
        blank_lines=loaded.blank_lines,
        order="scattered" if part.scattered else "contiguous",
        date_formats=tuple(sorted(part.date_formats)),
        invalid_rows=part.invalid_rows,
        every_month=part.patterns.every_month,
        claim_duplicates=part.patterns.claim_duplicates,
        spans=part.patterns.spans,
        unchecked_times=part.patterns.unchecked_times,
    )
    if options.only_findings and not options.explain and part.quiet:
        summary.groups += part.quiet
        summary.counts["ok"] = part.quiet
    if part.quiet_months:
        summary.groups += part.quiet_months
        summary.counts["ok"] = summary.counts.get("ok", 0) + part.quiet_months
    if part.tally is not None:
        for who, minutes, billed in part.tally.iter_rows():
            summary.tally(who, int(minutes), int(billed))
    if days and part.days is not None:
        tally_days(summary.days, part.days)
    summary.add_checks(part.checks)
    pending: list[tuple[int, list[int]]] = []
    waiting = 0
    merged = in_file_order(part.written, part.by_scalar.iter_rows(), iter(part.months))
    for first_line, group, lines in merged:
        if group is not None:
            evaluate_batch(pending, loaded, options, summary, consume)
            pending, waiting = [], 0
            if group.finding is not None or group.priced is None:
                count_group(summary, group)  # else settled ok, counted in part.quiet
            consume(group)
            continue
        pending.append((first_line, lines))
        waiting += len(lines)
        if waiting >= 20_000:  # rows held as Python objects at a time
            waiting = 0
            evaluate_batch(pending, loaded, options, summary, consume)
            pending = []
    evaluate_batch(pending, loaded, options, summary, consume)
    return summary


def run_frame(
    raw: pl.DataFrame, layout: Layout, options: Options, consume: Callable[[Group], None]
) -> Summary:
    """Count rows already read: ``raw`` holds the input's columns as text (named as in
    ``layout``) and each row's line number in :data:`~unitcalc.files.read.LINE`. The
    rows may be part of a larger input as long as they hold its groups whole (every row
    of a patient): :mod:`unitcalc.spark` runs the engine this way on each partition.
    ``consume`` gets the groups as :func:`run_groups` hands them; the summary counts
    these rows only (no encoding or delimiter: nothing was read here). An
    :data:`~unitcalc.files.read.ERROR` column, if any, holds the reason a row could not
    be read (null for the others)."""
    import polars as pl

    if raw.height == 0:
        return Summary(layout=layout)
    raw = raw.sort(LINE)
    if ERROR in raw.columns:  # the reader's reason a row cannot be used, kept
        raw = raw.with_columns(pl.col(LINE).alias(END), pl.col(ERROR).cast(pl.String))
    else:
        raw = with_lines(raw)
    parsed = check_frame(raw, layout, options)
    loaded = Loaded(layout, parsed, raw, {}, options)
    return _run_part(_settle_part(loaded, options), options, consume)


def split_csv(
    path: Path, options: Options, *, folder: Path, display: str
) -> tuple[int, Iterator[Loaded]] | None:
    """A large plain CSV file in parts, each with whole patients (rows hashed by the
    first key column), written to ``folder`` by polars' streaming engine: how many, and
    each loaded in turn; None when the file needs the careful reader."""
    import polars as pl

    delimiter = options.delimiter  # settled by resolve()
    if delimiter is None or detect_format(Path(display), options.input_format) != "csv":
        return None
    if text_encoding(options.encoding or "utf-8", display=display) != "utf-8":
        return None
    shape = csv_lines(path, delimiter, display=display)
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
            yield Loaded(layout, parsed, raw, {}, options, display=display)

    return len(files), loaded()
